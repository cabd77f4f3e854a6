//! Resources: memory leak verdicts per component, GPU findings and per-component GPU
//! figures from recorded samples, and the run without a GPU.
//!
//! Every test takes `LOCK`: RSS is process-wide, and sessions and GPU samplers are
//! global, so these tests must not overlap.

mod common;

use common::lock;

use futures::{FutureExt, Stream, StreamExt};
use profiler::analyse;
use profiler::model::{FindingKind, GpuPoint, GpuReport, LeakVerdict, Severity};
use profiler::sample::gpu::{DeviceInfo, GpuSampler, RecordedSource};
use profiler::sample::Extras;
use profiler::{profile, Config};
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn quiet(gpu: bool) -> Config {
    Config {
        gpu,
        // RSS probed as often as the memory sampler goes (every 5 ms while calls run).
        memory_overhead_pct: 100.0,
        ..common::quiet()
    }
}

fn busy(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

// ---- memory ---------------------------------------------------------------------

const CHUNK_MB: usize = 10;
static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Allocates and touches 10 MB that outlive the call (RSS grows by as much).
fn retain_chunk() {
    KEPT.lock().unwrap().push(vec![1u8; CHUNK_MB << 20]);
    busy(Duration::from_millis(5));
}

#[profile(component = "res_leak_150mb")]
fn leak_150() {
    retain_chunk();
}

#[profile(component = "res_leak_250mb")]
fn leak_250() {
    retain_chunk();
}

/// Touches 10 MB and frees them before returning.
#[profile(component = "res_steady")]
fn steady() {
    black_box(vec![1u8; CHUNK_MB << 20]);
    busy(Duration::from_millis(5));
}

#[test]
fn retained_memory_gives_suspected_and_certain_leaks_and_a_steady_component_none() {
    let _l = lock();
    let session = profiler::init_with(quiet(false));
    for _ in 0..15 {
        leak_150();
    }
    for _ in 0..25 {
        leak_250();
    }
    for _ in 0..20 {
        steady();
    }
    let r = profiler::report();
    drop(session);
    KEPT.lock().unwrap().clear();

    let delta = |name: &str| {
        let c = &r.components[name];
        let m = c
            .memory
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no memory read"));
        let share = m
            .rss_share
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no share of RSS"));
        eprintln!(
            "{name}: share of RSS growth {:+.1}MB over {} calls, {} probe intervals",
            c.memory_delta_mb.unwrap_or(0.0),
            c.latency.count,
            share.probes
        );
        assert!(share.probes >= 2, "{name}: {m:?}");
        (c.memory_delta_mb.unwrap(), m.leak)
    };

    let (d150, leak) = delta("res_leak_150mb");
    assert!((120.0..=200.0).contains(&d150), "{d150}");
    assert_eq!(leak, Some(LeakVerdict::Suspected));
    let line = r.bottlenecks.iter().find(|b| b.contains("res_leak_150mb"));
    assert!(
        line.is_some_and(|l| l.contains("leak suspected")),
        "{:?}",
        r.bottlenecks
    );

    let (d250, leak) = delta("res_leak_250mb");
    assert!((220.0..=330.0).contains(&d250), "{d250}");
    assert_eq!(leak, Some(LeakVerdict::Certain));
    let f = r
        .findings
        .iter()
        .find(|f| f.component == "res_leak_250mb" && f.kind == FindingKind::Memory);
    assert_eq!(f.map(|f| f.severity), Some(Severity::Critical));

    let (d_steady, leak) = delta("res_steady");
    assert!(d_steady.abs() < 50.0, "{d_steady}");
    assert_eq!(leak, None);
    assert!(
        !r.bottlenecks.iter().any(|b| b.contains("res_steady")),
        "{:?}",
        r.bottlenecks
    );
}

// ---- GPU from recorded samples --------------------------------------------------

const VRAM_TOTAL_MB: f64 = 10_000.0;

fn device() -> DeviceInfo {
    DeviceInfo {
        index: 0,
        name: "Recorded GPU".into(),
        vram_total_mb: VRAM_TOTAL_MB,
    }
}

fn sample(util: f64, vram_mb: f64, temp: f64) -> GpuPoint {
    GpuPoint {
        util_pct: util,
        vram_used_mb: vram_mb,
        temperature_c: temp,
        power_w: 250.0,
        ..GpuPoint::default()
    }
}

/// The GPU report of `samples` replayed one per tick.
fn replay(samples: Vec<GpuPoint>) -> GpuReport {
    let n = samples.len();
    let s = GpuSampler::manual(RecordedSource::new(vec![(device(), samples)]));
    for _ in 0..n {
        s.tick();
    }
    s.report()
}

fn report_with(gpu: GpuReport) -> profiler::Report {
    let extras = Extras {
        gpu,
        ..Extras::default()
    };
    analyse::build(&profiler::aggregate::snapshot(), &Config::default(), extras)
}

fn gpu_findings(r: &profiler::Report) -> Vec<(FindingKind, Severity)> {
    r.findings
        .iter()
        .filter(|f| f.component == "gpu0")
        .map(|f| (f.kind, f.severity))
        .collect()
}

#[test]
fn recorded_gpu_samples_give_the_spec_findings() {
    let _l = lock();
    // VRAM 95 %, utilisation 20 %, 90 C: each threshold crossed.
    let hot = report_with(replay(vec![
        sample(15.0, 9_000.0, 84.0),
        sample(25.0, 9_500.0, 90.0),
    ]));
    let d = &hot.gpu.devices[0];
    assert_eq!(
        (d.max_vram_pct, d.mean_util_pct, d.max_temperature_c),
        (95.0, 20.0, 90.0)
    );
    let found = gpu_findings(&hot);
    assert!(
        found.contains(&(FindingKind::GpuMemory, Severity::Critical)),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.0 == FindingKind::GpuUtilisation),
        "{found:?}"
    );
    assert!(
        found.iter().any(|f| f.0 == FindingKind::GpuTemperature),
        "{found:?}"
    );
    assert!(
        hot.bottlenecks.iter().any(|b| b.contains("VRAM 95.0%")),
        "{:?}",
        hot.bottlenecks
    );
    assert!(
        hot.recommendations
            .iter()
            .any(|r| r.contains("half precision")),
        "{:?}",
        hot.recommendations
    );
    let console = profiler::render::console::render(&hot);
    assert!(
        console.contains("VRAM: 9500/10000MB (95.0%) ✗"),
        "{console}"
    );

    // 50 % VRAM, 70 % busy, 65 C: nothing to say.
    let healthy = report_with(replay(vec![
        sample(65.0, 5_000.0, 60.0),
        sample(75.0, 4_000.0, 65.0),
    ]));
    assert!(healthy.gpu.available);
    assert_eq!(gpu_findings(&healthy), vec![]);
}

#[profile(component = "res_gpu_render")]
fn render(s: &GpuSampler) {
    s.tick();
    s.tick();
}

#[profile(component = "res_gpu_encode")]
async fn encode(s: &GpuSampler) {
    tokio::task::yield_now().await;
    s.tick();
    tokio::task::yield_now().await;
}

/// Encloses `encode`: running whenever it runs.
#[profile(component = "res_gpu_turn")]
async fn respond(s: Arc<GpuSampler>) {
    encode(&s).await;
}

#[profile(component = "res_gpu_idle")]
fn idle() {}

#[test]
fn each_component_gets_the_gpu_samples_taken_while_it_ran() {
    let _l = lock();
    let s = Arc::new(GpuSampler::manual(RecordedSource::new(vec![(
        device(),
        vec![
            sample(5.0, 1_000.0, 40.0),  // before: nothing running
            sample(80.0, 6_000.0, 70.0), // render
            sample(90.0, 7_000.0, 72.0), // render
            sample(40.0, 3_000.0, 60.0), // encode, inside respond
            sample(5.0, 1_000.0, 45.0),  // after
        ],
    )])));
    idle();
    s.tick();
    render(&s);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(rt.spawn(respond(s.clone()))).unwrap();
    s.tick();

    let per = s.component_gpu();
    let render = &per["res_gpu_render"];
    assert_eq!(render.samples, 2);
    assert_eq!((render.mean_util_pct, render.max_util_pct), (85.0, 90.0));
    assert_eq!(
        (render.mean_vram_used_mb, render.max_vram_used_mb),
        (6_500.0, 7_000.0)
    );
    for name in ["res_gpu_encode", "res_gpu_turn"] {
        let c = &per[name];
        assert_eq!(
            (c.samples, c.mean_util_pct, c.max_vram_used_mb),
            (1, 40.0, 3_000.0),
            "{name}"
        );
    }
    assert!(!per.contains_key("res_gpu_idle"), "{per:?}");

    let extras = Extras {
        gpu: s.report(),
        component_gpu: per,
        ..Extras::default()
    };
    let r = analyse::build(&profiler::aggregate::snapshot(), &Config::default(), extras);
    assert_eq!(
        r.components["res_gpu_render"]
            .gpu
            .as_ref()
            .map(|g| g.samples),
        Some(2)
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(
        json["components"]["res_gpu_encode"]["gpu"]["mean_util_pct"],
        40.0
    );
    let console = profiler::render::console::render(&r);
    assert!(
        console.contains("GPU: utilisation 85% (max 90%), VRAM 7000MB"),
        "{console}"
    );
}

/// A stream runs until its end: a sample between its items is its own.
#[profile(component = "res_gpu_stream", first_item)]
fn tokens(s: Arc<GpuSampler>) -> impl Stream<Item = u32> {
    futures::stream::iter(0..3).map(move |i| {
        if i == 1 {
            s.tick();
        }
        i
    })
}

#[profile(component = "res_gpu_cancelled")]
async fn never_finishes() {
    std::future::pending::<()>().await
}

#[test]
fn streams_count_as_running_until_their_end_and_cancelled_calls_stop_counting() {
    let _l = lock();
    let s = Arc::new(GpuSampler::manual(RecordedSource::new(vec![(
        device(),
        vec![sample(70.0, 2_000.0, 60.0), sample(10.0, 500.0, 50.0)],
    )])));
    let items = futures::executor::block_on(tokens(s.clone()).collect::<Vec<_>>());
    assert_eq!(items, vec![0, 1, 2]);
    // Begun, polled once, dropped: cancelled, and no longer running.
    assert!(never_finishes().now_or_never().is_none());
    s.tick();

    let per = s.component_gpu();
    let stream = &per["res_gpu_stream"];
    assert_eq!((stream.samples, stream.mean_util_pct), (1, 70.0));
    assert!(!per.contains_key("res_gpu_cancelled"), "{per:?}");
    let r = profiler::report();
    assert_eq!(r.components["res_gpu_cancelled"].counts.cancelled, 1);
}

// ---- without a GPU --------------------------------------------------------------

#[profile(component = "res_no_gpu_stage", target_ms = 100)]
fn stage() -> u32 {
    busy(Duration::from_millis(1));
    7
}

#[test]
fn without_nvml_the_report_says_why_and_everything_else_works() {
    let _l = lock();
    let session = profiler::init_with(quiet(true));
    for _ in 0..5 {
        stage();
    }
    let r = profiler::report();
    drop(session);
    let stage = &r.components["res_no_gpu_stage"];
    assert_eq!(stage.latency.count, 5);
    assert!(stage.latency.p95 >= 1.0, "{:?}", stage.latency);
    assert!(r.memory.is_some());
    if r.gpu.available {
        // A machine with a GPU: the real sampler ran.
        assert!(
            !r.gpu.devices.is_empty() && !r.gpu.devices[0].samples.is_empty(),
            "{:?}",
            r.gpu
        );
        return;
    }
    let reason = r.gpu.reason.clone().unwrap_or_default();
    eprintln!("no-GPU reason: {reason}");
    assert!(
        reason.contains("NVML") && reason.contains("libnvidia-ml"),
        "{reason}"
    );
    assert!(r.gpu.devices.is_empty());
    assert!(!r.findings.iter().any(|f| f.component.starts_with("gpu")));
    let console = profiler::render::console::render(&r);
    assert!(
        console.contains("⚠ GPU metrics unavailable: NVML"),
        "{console}"
    );
    assert!(console.contains("【res_no_gpu_stage】"), "{console}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["gpu"]["available"], false);
    assert_eq!(json["gpu"]["reason"], reason.as_str());
}

#[test]
fn gpu_switched_off_gives_the_reason_and_no_warning() {
    let _l = lock();
    let r = GpuSampler::from_config(&Config {
        gpu: false,
        ..Config::default()
    })
    .report();
    assert!(!r.available);
    assert_eq!(r.reason.as_deref(), Some("switched off by PROFILER_GPU"));
    let console = profiler::render::console::render(&report_with(r));
    assert!(
        console.contains("⚠ GPU metrics unavailable: switched off by PROFILER_GPU"),
        "{console}"
    );
}

/// Runs in a child process (see the next test) so its stderr can be read.
#[test]
#[ignore = "run by a_missing_gpu_is_one_warning_line_per_process"]
fn child_two_sessions_without_a_gpu() {
    if !common::in_child() {
        return;
    }
    for _ in 0..2 {
        let session = profiler::init_with(quiet(true));
        stage();
        eprintln!("child: gpu available={}", profiler::report().gpu.available);
        drop(session);
    }
}

#[test]
fn a_missing_gpu_is_one_warning_line_per_process() {
    let child = common::run_child("child_two_sessions_without_a_gpu", &[]);
    assert!(child.ok, "{}", child.stderr);
    let stderr = child.stderr;
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("GPU metrics unavailable"))
        .collect();
    eprintln!("{warnings:?}");
    // With a GPU there is nothing to warn about; without one, one line for two sessions.
    if stderr.contains("child: gpu available=true") {
        assert!(warnings.is_empty(), "{stderr}");
        return;
    }
    assert_eq!(
        stderr.matches("child: gpu available=false").count(),
        2,
        "{stderr}"
    );
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("NVML") && warnings[0].contains("everything else is profiled"),
        "{stderr}"
    );
}
