//! Live heap bytes per component: with `CountingAllocator::with_owners` as this test
//! binary's global allocator, each block remembers the component whose call allocated
//! it, so bytes freed by another component, task or thread are credited to the owner,
//! and what a component still holds is exact under a multi-thread runtime.
//!
//! Every test takes `LOCK`: sessions and process RSS are process-wide.

mod common;

use common::{hop_once, lock, quiet};
use profiler::analyse;
use profiler::model::{LeakVerdict, MemoryBasis, Report};
use profiler::profile;
use profiler::sample::memory::MemorySampler;
use profiler::sample::Extras;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{mpsc, Mutex};

#[global_allocator]
static ALLOC: profiler::CountingAllocator =
    profiler::CountingAllocator::with_owners(std::alloc::System);

const MB: usize = 1 << 20;

/// Blocks of `churn_a` freed on a thread of its own, outside every component.
static FREED_ELSEWHERE: AtomicUsize = AtomicUsize::new(0);

/// Touched memory (so it is resident, not only reserved).
fn touched(mb: usize, byte: u8) -> Vec<u8> {
    vec![byte; mb * MB]
}

// ---- three sessions on a multi-thread runtime ----------------------------------------

static KEPT: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// Keeps 1 MB for good, in a global.
#[profile(component = "heap_retain")]
async fn retain() {
    let chunk = touched(1, 1);
    hop_once().await;
    KEPT.lock().unwrap().push(chunk);
}

/// Allocates 4 MB: frees half itself, hands the other half back to its caller (who
/// gives it to `churn_b` to free, or to a thread of its own).
#[profile(component = "heap_churn_a")]
async fn churn_a() -> Vec<u8> {
    let own = touched(2, 2);
    hop_once().await;
    drop(own);
    let handed = touched(2, 3);
    hop_once().await;
    handed
}

/// Frees what `churn_a` handed over (another component's block), then allocates and
/// frees 4 MB of its own.
#[profile(component = "heap_churn_b")]
async fn churn_b(from_a: Vec<u8>) {
    hop_once().await;
    drop(from_a);
    let own = touched(4, 4);
    hop_once().await;
    drop(own);
}

/// One session's share of the work: `retains` calls of `retain`, `churns` pairs of
/// `churn_a` and `churn_b`, interleaved; every other block `churn_a` hands over is
/// freed by `churn_b`, the others by the `elsewhere` thread.
async fn session(retains: usize, churns: usize, elsewhere: mpsc::Sender<Vec<u8>>) {
    for i in 0..retains.max(churns) {
        if i < retains {
            retain().await;
        }
        if i < churns {
            let buffer = churn_a().await;
            if i % 2 == 0 {
                churn_b(buffer).await;
            } else {
                elsewhere.send(buffer).unwrap();
                churn_b(Vec::new()).await;
            }
        }
    }
}

fn live_mb(r: &Report, name: &str) -> f64 {
    let m = r.components[name].memory.as_ref().unwrap();
    assert_eq!(m.basis, MemoryBasis::LiveHeap, "{name}: {m:?}");
    m.heap.as_ref().unwrap().live_mb
}

/// The process's RSS growth bounds the live heap gained only in a process that has not
/// freed memory before (freed pages are reused without growing RSS): this runs in a
/// child process of its own.
#[test]
fn three_sessions_get_each_component_its_own_live_heap_bytes() {
    let c = common::run_child("three_sessions_child", &[("PROFILER_GPU", "off")]);
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
}

#[test]
#[ignore = "run by three_sessions_get_each_component_its_own_live_heap_bytes"]
fn three_sessions_child() {
    if !common::in_child() {
        return;
    }
    let _l = lock();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    let (to_elsewhere, blocks) = mpsc::channel::<Vec<u8>>();
    let elsewhere = std::thread::spawn(move || {
        for block in blocks {
            drop(block);
            FREED_ELSEWHERE.fetch_add(1, Relaxed);
        }
    });
    let rss_before = common::rss_bytes();
    let session_guard = profiler::init_with(quiet());
    // 40 retains of 1 MB and 50 pairs of churns (200 MB each) over three sessions.
    rt.block_on(async {
        let tasks: Vec<_> = [(14, 17), (13, 17), (13, 16)]
            .into_iter()
            .map(|(retains, churns)| tokio::spawn(session(retains, churns, to_elsewhere.clone())))
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    });
    drop(to_elsewhere);
    elsewhere.join().unwrap();
    let r = profiler::report();
    let growth_mb = (common::rss_bytes() as f64 - rss_before as f64) / MB as f64;
    drop(session_guard);
    drop(rt);

    let retain = live_mb(&r, "heap_retain");
    let a = live_mb(&r, "heap_churn_a");
    let b = live_mb(&r, "heap_churn_b");
    let heap = |name: &str| {
        r.components[name]
            .memory
            .as_ref()
            .unwrap()
            .heap
            .clone()
            .unwrap()
    };
    // 8 + 8 + 8 of churn_a's blocks were freed on the thread of their own.
    assert_eq!(FREED_ELSEWHERE.load(Relaxed), 24);
    eprintln!(
        "live: retain {retain:.3}MB, churn_a {a:.3}MB, churn_b {b:.3}MB; allocated: churn_a {:.1}MB, churn_b {:.1}MB; process RSS grew {growth_mb:.1}MB",
        heap("heap_churn_a").allocated_mb,
        heap("heap_churn_b").allocated_mb
    );
    assert!((retain - 40.0).abs() <= 0.8, "retain: {retain} MB");
    assert!(a.abs() <= 1.0, "churn_a: {a} MB");
    assert!(b.abs() <= 1.0, "churn_b: {b} MB");
    // Each churn allocated its 200 MB, and got every byte of it back (churn_a's half
    // freed inside churn_b).
    for name in ["heap_churn_a", "heap_churn_b"] {
        let h = heap(name);
        assert!((200.0..201.0).contains(&h.allocated_mb), "{name}: {h:?}");
    }
    // memory_delta_mb is the live heap gained after warm-up (no warm-up here).
    for name in ["heap_retain", "heap_churn_a", "heap_churn_b"] {
        let c = &r.components[name];
        let delta = c.memory_delta_mb.unwrap();
        assert!(
            delta <= growth_mb,
            "{name}: {delta} MB above the process growth {growth_mb} MB"
        );
        assert_eq!(c.memory.as_ref().unwrap().leak, None, "{name}");
    }
    assert!((r.components["heap_retain"].memory_delta_mb.unwrap() - 40.0).abs() <= 0.8);
    let console = profiler::render::console::render(&r);
    assert!(
        console.contains("live heap (its calls' blocks not freed yet): 40.0MB"),
        "{console}"
    );
    KEPT.lock().unwrap().clear();
}

// ---- leak verdicts on live bytes after warm-up -----------------------------------------

static MODEL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// The first two calls load a 60 MB model (warm-up); later calls keep 10 MB each.
#[profile(component = "heap_growing", warmup = 2)]
fn serve(call: usize) {
    let mb = if call < 2 { 60 } else { 10 };
    MODEL.lock().unwrap().push(touched(mb, 5));
}

/// Allocates and frees 30 MB a call: a lot of traffic, nothing kept.
#[profile(component = "heap_traffic")]
fn traffic() {
    drop(std::hint::black_box(touched(30, 6)));
}

#[test]
fn live_heap_gained_after_warm_up_is_judged_and_traffic_is_not() {
    let _l = lock();
    profiler::configure(quiet());
    // Warm-up: 120 MB loaded and kept; the baseline is taken at the first reading after.
    serve(0);
    let sampler = MemorySampler::manual(1.0);
    sampler.tick();
    serve(1);
    sampler.tick();
    for call in 2..13 {
        serve(call);
        traffic();
    }
    let extras = Extras {
        memory: sampler.report(true),
        component_memory: sampler.component_memory(),
        ..Extras::default()
    };
    let r = analyse::build(&profiler::aggregate::snapshot(), &quiet(), extras);
    drop(sampler);
    MODEL.lock().unwrap().clear();

    let growing = &r.components["heap_growing"];
    let m = growing.memory.as_ref().unwrap();
    let h = m.heap.as_ref().unwrap();
    eprintln!("heap_growing: {h:?}");
    // 230 MB live, of which 110 MB since the warm-up: suspected, not certain.
    assert!((h.live_mb - 230.0).abs() < 0.1, "{h:?}");
    assert!((h.since_baseline_mb - 110.0).abs() < 0.1, "{h:?}");
    assert!((growing.memory_delta_mb.unwrap() - 110.0).abs() < 0.1);
    assert_eq!(m.leak, Some(LeakVerdict::Suspected));
    assert!(
        r.bottlenecks.iter().any(|b| b
            .starts_with("heap_growing: live heap grew 110.0MB after warm-up")
            && b.ends_with("leak suspected")),
        "{:?}",
        r.bottlenecks
    );
    let t = &r.components["heap_traffic"];
    let th = t.memory.as_ref().unwrap().heap.clone().unwrap();
    assert!(th.allocated_mb >= 330.0 && th.live_mb.abs() < 0.1, "{th:?}");
    assert_eq!(t.memory.as_ref().unwrap().leak, None);
}
