//! Memory per component without the counting allocator: the memory sampler splits
//! each RSS change between two probes among the components that ran in that interval,
//! by running time, so the shares add up to the process's change when calls overlap;
//! probes run off the calls' path, at a measured cost held to its budget; and a leak
//! verdict needs measured growth, never an extrapolated page fault.
//!
//! Every in-process test takes `LOCK`: RSS and sessions are process-wide.

mod common;

use common::{lock, quiet};

use profiler::analyse;
use profiler::model::{Report, RssShare};
use profiler::sample::memory::MemorySampler;
use profiler::sample::Extras;
use profiler::{profile, Config};
use std::hint::black_box;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

const MB: usize = 1 << 20;
const PAGE: f64 = 4096.0;

/// Process RSS now, bytes, read here (not through the profiler).
fn rss() -> f64 {
    common::rss_bytes() as f64
}

/// Runs the probes' code once, so that faulting in its own pages of program text (RSS
/// counts mapped file pages too) happens before a measured window, not inside it.
fn warm_up_the_probe_code() {
    let s = MemorySampler::manual(1.0);
    s.tick();
    s.tick();
    let _ = measured(&s);
}

/// What `sampler` measured so far (its last reading taken now), and the process RSS
/// read right before that reading.
fn measured(sampler: &MemorySampler) -> (Extras, f64) {
    let rss = rss();
    let memory = sampler.report(true);
    let extras = Extras {
        memory,
        component_memory: sampler.component_memory(),
        ..Extras::default()
    };
    (extras, rss)
}

fn report_of(extras: Extras) -> Report {
    analyse::build(&profiler::aggregate::snapshot(), &quiet(), extras)
}

fn share(r: &Report, name: &str) -> RssShare {
    r.components[name]
        .memory
        .as_ref()
        .and_then(|m| m.rss_share.clone())
        .unwrap_or_else(|| panic!("{name}: no share of RSS in {:?}", r.components[name]))
}

static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Keeps `mb` MB of touched memory.
fn keep(mb: usize) {
    KEPT.lock().unwrap().push(vec![7u8; mb * MB]);
}

// ---- overlapping calls ---------------------------------------------------------------

const PHASES: usize = 4;

/// The steps of one long call: inside it, `PHASES` times, wait for the go, keep `mb`
/// MB, say done; then wait for the end.
fn phases(mb: usize, start: &Barrier, go: &Barrier, done: &Barrier, end: &Barrier) {
    start.wait();
    for _ in 0..PHASES {
        go.wait();
        keep(mb);
        done.wait();
    }
    end.wait();
}

#[profile(component = "share_big")]
fn big(b: &[Barrier; 4]) {
    phases(6, &b[0], &b[1], &b[2], &b[3]);
}

#[profile(component = "share_small")]
fn small(b: &[Barrier; 4]) {
    phases(2, &b[0], &b[1], &b[2], &b[3]);
}

#[test]
fn overlapping_calls_shares_add_up_to_the_process_rss_change() {
    let _l = lock();
    profiler::configure(quiet());
    warm_up_the_probe_code();
    let sampler = MemorySampler::manual(1.0);
    let barriers: [Barrier; 4] = std::array::from_fn(|_| Barrier::new(3));
    let (rss_first, (extras, rss_last)) = std::thread::scope(|s| {
        s.spawn(|| big(&barriers));
        s.spawn(|| small(&barriers));
        // Both calls are running from here to the end: they overlap every interval,
        // the last one (the report's own reading) included.
        barriers[0].wait();
        let first = rss();
        sampler.tick();
        for _ in 0..PHASES {
            barriers[1].wait();
            barriers[2].wait();
            sampler.tick();
        }
        let last = measured(&sampler);
        barriers[3].wait();
        (first, last)
    });
    let r = report_of(extras);
    drop(sampler);
    KEPT.lock().unwrap().clear();

    let (big, small) = (share(&r, "share_big"), share(&r, "share_small"));
    let a = r.memory.as_ref().unwrap().attribution.clone().unwrap();
    let process_mb = (rss_last - rss_first) / MB as f64;
    eprintln!(
        "shares: big {:+.3}MB, small {:+.3}MB; process {process_mb:+.3}MB over {} probes; unattributed {:+.6}MB",
        big.share_mb, small.share_mb, a.probes, a.unattributed_mb
    );
    // The ledger: shares plus the unattributed part are the process's RSS change
    // between the first and the last probe, to the byte.
    let sum = big.share_mb + small.share_mb;
    assert_eq!(sum + a.unattributed_mb, a.change_mb, "{a:?}");
    assert_eq!(a.attributed_mb, sum, "{a:?}");
    assert_eq!(a.change_mb, a.last_rss_mb - a.first_rss_mb, "{a:?}");
    // The calls covered every interval, so nothing is left unattributed but the
    // rounding of the shares: the shares sum to the process's change within a byte
    // per probe (the issue asks for a page per probe).
    let probes = a.probes as f64;
    assert!(a.unattributed_mb.abs() * MB as f64 <= probes, "{a:?}");
    // Read independently around the same window: the same, give or take the kernel's
    // batching of RSS counts (per-CPU counts of up to 32 pages folded in at a time,
    // Linux 6.2 and later) at each end.
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let kernel_batch = 2.0 * 32.0 * cpus * PAGE;
    assert!(
        (sum - process_mb).abs() * MB as f64 <= PAGE * probes + kernel_batch,
        "shares {sum} MB against the process's {process_mb} MB"
    );
    assert!(sum >= (PHASES * 8) as f64 - 0.5, "{sum}");
    // Both ran through every interval: each is charged half of what the process grew,
    // whoever allocated it (a share of RSS, not an owner; see heap_owners.rs).
    assert!(
        (big.share_mb - small.share_mb).abs() * MB as f64 <= PAGE,
        "{big:?} {small:?}"
    );
    assert!(big.probes >= PHASES as u64 && small.probes >= PHASES as u64);
}

// ---- calls one after another ---------------------------------------------------------

#[profile(component = "share_first")]
fn first_stage() {
    keep(12);
}

#[profile(component = "share_second")]
fn second_stage() {
    keep(20);
}

#[test]
fn a_call_alone_in_its_interval_gets_its_growth_and_idle_growth_stays_unattributed() {
    let _l = lock();
    profiler::configure(quiet());
    warm_up_the_probe_code();
    let sampler = MemorySampler::manual(1.0);
    sampler.tick();
    let r0 = rss();
    first_stage();
    let r1 = rss();
    sampler.tick();
    second_stage();
    let r2 = rss();
    sampler.tick();
    // Outside every component: nobody's share.
    keep(5);
    let (extras, r3) = measured(&sampler);
    let r = report_of(extras);
    drop(sampler);
    KEPT.lock().unwrap().clear();

    let (first, second) = (share(&r, "share_first"), share(&r, "share_second"));
    let a = r.memory.as_ref().unwrap().attribution.clone().unwrap();
    eprintln!(
        "first {:+.3}MB, second {:+.3}MB, unattributed {:+.3}MB; read here: {:+.3}MB, {:+.3}MB, {:+.3}MB",
        first.share_mb,
        second.share_mb,
        a.unattributed_mb,
        (r1 - r0) / MB as f64,
        (r2 - r1) / MB as f64,
        (r3 - r2) / MB as f64
    );
    // Alone in its interval, each is charged the whole change the probes read around
    // it, to the byte; the interval in which nothing ran is nobody's.
    let interval = |s: &RssShare| s.process_rss_last_mb - s.process_rss_first_mb;
    assert_eq!(first.share_mb, interval(&first), "{first:?}");
    assert_eq!(second.share_mb, interval(&second), "{second:?}");
    assert_eq!(second.process_rss_first_mb, first.process_rss_last_mb);
    assert_eq!(
        a.unattributed_mb,
        a.last_rss_mb - second.process_rss_last_mb,
        "{a:?}"
    );
    assert_eq!(
        first.share_mb + second.share_mb + a.unattributed_mb,
        a.change_mb
    );
    // And that is what the process grew, read here, give or take the kernel's batching
    // of RSS counts (up to 32 pages per CPU are folded in at a time).
    let close = |got: f64, want: f64| (got - want / MB as f64).abs() <= 0.5;
    assert!(close(first.share_mb, r1 - r0), "{first:?}");
    assert!(close(second.share_mb, r2 - r1), "{second:?}");
    assert!(close(a.unattributed_mb, r3 - r2), "{a:?}");
    // Most of what they kept is new to the process (pages freed by earlier tests may
    // be reused: RSS counts pages, not allocations).
    assert!(
        first.share_mb > 8.0 && second.share_mb > 16.0,
        "{first:?} {second:?}"
    );
}

// ---- the probes' cost against the budget -----------------------------------------------

#[profile(component = "share_busy")]
fn busy_stage() {
    let start = Instant::now();
    while start.elapsed() < Duration::from_micros(500) {
        std::hint::spin_loop();
    }
}

#[test]
fn the_probes_measured_cost_stays_within_the_budget() {
    let _l = lock();
    for pct in [1.0, 0.2] {
        let session = profiler::init_with(Config {
            memory_overhead_pct: pct,
            ..quiet()
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(400) {
            busy_stage();
        }
        let r = profiler::report();
        drop(session);
        let a = r.memory.as_ref().unwrap().attribution.clone().unwrap();
        eprintln!(
            "budget {pct}%: {} probes, {:.1}us each, {:.3}% of {:.2}s running",
            a.probes, a.mean_probe_us, a.cost_pct, a.running_sec
        );
        assert_eq!(a.budget_pct, pct);
        assert!(a.probes >= 2 && a.mean_probe_us > 0.0, "{a:?}");
        // Within the budget (the sampler keeps room for the report's own reading),
        // give or take two probes costing more than the mean it plans with.
        let one_probe_pct = a.mean_probe_us / 1e6 / a.running_sec * 100.0;
        assert!(
            a.cost_pct <= pct + 2.0 * one_probe_pct,
            "{:.3}% measured against {pct}%: {a:?}",
            a.cost_pct
        );
        assert!(share(&r, "share_busy").probes >= 1);
    }
}

// ---- no leak verdict without evidence --------------------------------------------------

/// Pure arithmetic: allocates nothing, retains nothing.
#[profile(component = "arithmetic")]
fn arithmetic(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ x
}

/// Runs `ARITHMETIC_CALLS` calls of `arithmetic` on 4 threads under a session with the
/// default configuration, and prints what the report says of memory.
#[test]
#[ignore = "run by the no-leak tests below, in child processes"]
fn child_pure_arithmetic_calls() {
    if !common::in_child() {
        return;
    }
    let calls: u64 = std::env::var("ARITHMETIC_CALLS").unwrap().parse().unwrap();
    let session = profiler::init_with(quiet());
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                let mut acc = 0;
                for i in 0..calls / 4 {
                    acc ^= arithmetic(black_box(i ^ t));
                }
                black_box(acc)
            });
        }
    });
    let r = profiler::report();
    drop(session);
    let c = &r.components["arithmetic"];
    let m = r.memory.as_ref().unwrap();
    let leaks: Vec<&String> = r
        .bottlenecks
        .iter()
        .filter(|b| b.contains("leak"))
        .collect();
    eprintln!(
        "child: calls={} delta_mb={:?} process_growth_mb={:.3} leak={:?} leak_findings={}",
        c.latency.count,
        c.memory_delta_mb,
        m.growth_mb,
        c.memory.as_ref().and_then(|m| m.leak),
        leaks.len()
    );
}

/// `runs` children of `calls` calls each: none reports a leak, and the component's
/// figure never exceeds the process's own growth (plus a page).
fn no_leak_in_runs(runs: usize, calls: u64) {
    let calls = calls.to_string();
    let mut worst: f64 = f64::MIN;
    for run in 0..runs {
        let child = common::run_child(
            "child_pure_arithmetic_calls",
            &[("ARITHMETIC_CALLS", calls.as_str())],
        );
        assert!(child.ok, "run {run}: {}", child.stderr);
        let (line, field) = child_line(&child.stderr);
        eprintln!("run {run}: {line}");
        assert_eq!(field("leak="), "None", "run {run}: {line}");
        assert_eq!(field("leak_findings="), "0", "run {run}: {line}");
        let delta: f64 = field("delta_mb=")
            .trim_start_matches("Some(")
            .trim_end_matches(')')
            .parse()
            .unwrap_or_else(|_| panic!("run {run}: {line}"));
        let growth: f64 = field("process_growth_mb=").parse().unwrap();
        assert!(
            delta <= growth.max(0.0) + PAGE / MB as f64,
            "run {run}: the component's {delta} MB is more than the process grew ({growth} MB)"
        );
        worst = worst.max(delta);
    }
    eprintln!("{runs} runs of {calls} calls: no leak; largest component figure {worst:.3} MB");
}

#[test]
fn pure_arithmetic_calls_report_no_leak_in_20_runs_of_20() {
    // The case (10 million calls on 4 threads) scaled down for CI: the same
    // mechanism, 400 thousand calls a run. The full size is the ignored test below.
    no_leak_in_runs(20, 400_000);
}

#[test]
#[ignore = "the full size: cargo test --release --test memory_share -- --ignored ten_million"]
fn ten_million_pure_arithmetic_calls_report_no_leak_in_20_runs_of_20() {
    no_leak_in_runs(20, 10_000_000);
}

// ---- a warm-up after `init` is not a leak -----------------------------------------------

/// The first two calls load a 150 MB model (the warm-up); later calls keep nothing.
#[profile(component = "share_loads_model", warmup = 2)]
fn serve(call: u64) -> u64 {
    if call < 2 {
        keep(150);
    }
    black_box(call)
}

/// `init` before the first profiled call (so before any component exists), a warm-up
/// that loads a model, then steady calls: prints what the report says of memory.
#[test]
#[ignore = "run by the warm-up test below, in a child process"]
fn child_init_then_a_warm_up_that_loads_a_model() {
    if !common::in_child() {
        return;
    }
    let session = profiler::init_with(quiet());
    serve(0);
    serve(1);
    // Steady calls long enough for the sampler to read between them (where its
    // readings fall does not change the verdict; this makes the baseline one of them).
    let start = Instant::now();
    let mut call = 2;
    while start.elapsed() < Duration::from_millis(300) {
        serve(call);
        call += 1;
    }
    let r = profiler::report();
    drop(session);
    let m = r.memory.as_ref().unwrap();
    let c = &r.components["share_loads_model"];
    let leaks = r
        .findings
        .iter()
        .filter(|f| f.kind == profiler::model::FindingKind::Memory);
    eprintln!(
        "child: process_growth_mb={:.3} baseline_rss_mb={:.3} leak={:?} component_leak={:?} delta_mb={:?} leak_findings={}",
        m.growth_mb,
        m.baseline_rss_mb,
        m.leak,
        c.memory.as_ref().and_then(|m| m.leak),
        c.memory_delta_mb,
        leaks.count()
    );
}

#[test]
fn a_model_loaded_in_the_warm_up_after_init_is_not_a_leak() {
    let child = common::run_child("child_init_then_a_warm_up_that_loads_a_model", &[]);
    assert!(child.ok, "{}", child.stderr);
    let (line, field) = child_line(&child.stderr);
    eprintln!("{line}");
    assert_eq!(field("leak="), "None", "{line}");
    assert_eq!(field("component_leak="), "None", "{line}");
    assert_eq!(field("leak_findings="), "0", "{line}");
    // The baseline is after the load: the model is in it, and not in the growth.
    let growth: f64 = field("process_growth_mb=").parse().unwrap();
    let baseline: f64 = field("baseline_rss_mb=").parse().unwrap();
    assert!(growth.abs() < 20.0, "{line}");
    assert!(baseline > 150.0, "{line}");
}

/// The `child: key=value ...` line a child printed on stderr, and its fields by key
/// (`"leak="` gives what follows it).
fn child_line(stderr: &str) -> (String, impl Fn(&str) -> String) {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("child: "))
        .unwrap_or_else(|| panic!("no child line in: {stderr}"))
        .to_string();
    let fields = line.clone();
    let field = move |key: &str| -> String {
        fields
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap_or_else(|| panic!("no {key} in {fields}"))
            .to_string()
    };
    (line, field)
}

// ---- merging reports -------------------------------------------------------------------

#[profile(component = "share_merged")]
fn merged_stage() {}

#[test]
fn merged_memory_figures_are_the_sums_of_the_inputs_to_the_byte() {
    use profiler::aggregate::{HeapTotals, MemoryTotals, RssShareTotals};
    let _l = lock();
    profiler::configure(quiet());
    for _ in 0..3 {
        merged_stage();
    }
    let totals = MemoryTotals {
        rss: Some(RssShareTotals {
            probes: 7,
            running_ns: 1_500_000_000,
            share: 3 * MB as i64 + 4096,
            since_baseline: 2 * MB as i64 + 8192,
            growth_per_min: 1.5 * MB as f64,
            rss_first: 100 * MB as u64,
            rss_last: 140 * MB as u64,
            vms_first: 300 * MB as u64,
            vms_last: 330 * MB as u64,
        }),
        heap: Some(HeapTotals {
            allocated: 50 * MB as u64 + 12_345,
            freed: 20 * MB as u64,
            since_baseline: 30 * MB as i64 + 12_345 - MB as i64,
            growth_per_min: 0.75 * MB as f64,
        }),
        stated_delta: None,
    };
    let extras = Extras {
        component_memory: [("share_merged".to_string(), totals)].into(),
        ..Extras::default()
    };
    let one = analyse::build(&profiler::aggregate::snapshot(), &quiet(), extras);
    // Through the JSON file and back, as `profiler merge` reads reports.
    let text = serde_json::to_string(&one).unwrap();
    let read: Report = serde_json::from_str(&text).unwrap();
    let inputs = vec![("a.json".into(), read.clone()), ("b.json".into(), read)];
    let merged = profiler::analyse::merge::merge(&inputs).unwrap();

    let (c1, cm) = (
        &one.components["share_merged"],
        &merged.components["share_merged"],
    );
    let (m1, mm) = (c1.memory.clone().unwrap(), cm.memory.clone().unwrap());
    let (h1, hm) = (m1.heap.unwrap(), mm.heap.unwrap());
    let (r1, rm) = (m1.rss_share.unwrap(), mm.rss_share.unwrap());
    // Live heap after warm-up is the judged figure: 29 MB + 12345 bytes, twice.
    assert_eq!(c1.memory_delta_mb, Some(h1.since_baseline_mb));
    assert_eq!(cm.memory_delta_mb, Some(2.0 * h1.since_baseline_mb));
    assert_eq!(
        (
            hm.allocated_mb,
            hm.freed_mb,
            hm.live_mb,
            hm.growth_mb_per_min
        ),
        (
            2.0 * h1.allocated_mb,
            2.0 * h1.freed_mb,
            2.0 * h1.live_mb,
            1.5
        )
    );
    assert_eq!(
        (
            rm.probes,
            rm.share_mb,
            rm.since_baseline_mb,
            rm.growth_mb_per_min
        ),
        (14, 2.0 * r1.share_mb, 2.0 * r1.since_baseline_mb, 3.0)
    );
    assert_eq!(
        (rm.process_rss_first_mb, rm.process_rss_last_mb),
        (100.0, 140.0)
    );
    assert_eq!(
        r1.share_mb * MB as f64,
        (3 * MB + 4096) as f64,
        "bytes survive MB"
    );
    // 58 MB of live heap gained after warm-up over two processes: below 100 MB.
    assert_eq!(mm.leak, None);
}
