//! Memory stays bounded when nobody scrapes the Prometheus endpoint: the exporter
//! buffers every histogram sample until a scrape or its upkeep drains it (its known
//! failure), and the publisher runs that upkeep after every batch it hands over. Heap
//! bytes are counted by this binary's global allocator.

mod common;

use common::{call, serial, spread, ticks_by_flush};
use profiler_core::__private::Outcome;
use profiler_core::config::Config;
use profiler_core::live::{self, prometheus};
use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};

/// Live heap bytes, and the highest value since the last reset.
static LIVE: AtomicI64 = AtomicI64::new(0);
static PEAK: AtomicI64 = AtomicI64::new(0);

struct Counting;

fn grew(by: i64) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            grew(l.size() as i64);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size() as i64, Relaxed);
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(l) };
        if !p.is_null() {
            grew(l.size() as i64);
        }
        p
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            grew(new as i64 - l.size() as i64);
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const KIB: i64 = 1024;
const MIB: i64 = 1024 * KIB;

#[test]
fn a_million_calls_unscraped_keep_memory_bounded() {
    let _serial = serial();
    profiler_core::configure(Config {
        // No per-call memory reads (they allocate).
        memory_overhead_pct: 0.0,
        ..ticks_by_flush()
    });
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    // Served, never scraped.
    let _exporter = prometheus::serve(SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    let tts = site!("tts", Latency, Some(200.0), &[("provider", "elevenlabs")]);
    // A thousand distinct latencies from 5 ms to 500 ms, cycled.
    let latencies = spread(1000, 5.0, 500.0, 21);
    let mut i = 0;
    let mut calls = |n: usize| {
        for _ in 0..n {
            call(tts, latencies[i % latencies.len()], Outcome::Ok);
            i += 1;
        }
    };

    // Warm up: every latency seen, every series and buffer of the exporter made.
    for _ in 0..2 {
        calls(50_000);
        live::flush();
    }
    let base = LIVE.load(Relaxed);

    // A million calls, published every 100 000: what stays after each tick is flat.
    let mut retained = Vec::new();
    for _ in 0..10 {
        calls(100_000);
        live::flush();
        retained.push(LIVE.load(Relaxed) - base);
    }
    let worst = *retained.iter().max().unwrap();
    assert!(
        worst < 512 * KIB,
        "memory grew by {worst} bytes over a million unscraped calls ({retained:?})"
    );

    // A million calls in one tick: the publisher hands them over in batches, each
    // drained before the next, so even the peak stays small.
    calls(1_000_000);
    PEAK.store(LIVE.load(Relaxed), Relaxed);
    let before = LIVE.load(Relaxed);
    live::flush();
    let peak = PEAK.load(Relaxed) - before;
    let after = LIVE.load(Relaxed) - base;
    assert!(
        peak < 6 * MIB,
        "publishing a million samples took {peak} bytes at its peak"
    );
    assert!(after < 512 * KIB, "{after} bytes retained after the tick");

    // The exporter's own failure, measured the same way: a recorder that nobody scrapes
    // and nobody runs the upkeep of holds every sample (16 bytes each, in blocks).
    let unkept = prometheus::builder().build_recorder();
    let h = {
        use metrics::Recorder;
        static META: metrics::Metadata<'static> =
            metrics::Metadata::new("test", metrics::Level::INFO, None);
        unkept.register_histogram(&metrics::Key::from_name("unkept_seconds"), &META)
    };
    let before = LIVE.load(Relaxed);
    h.record_many(0.1, 1_000_000);
    let held = LIVE.load(Relaxed) - before;
    eprintln!(
        "retained after each of 10 ticks of 100 000 calls: {retained:?} bytes; \
         a tick of 1 000 000 samples: peak {peak} bytes, {after} retained; \
         a recorder without upkeep: {held} bytes for 1 000 000 samples"
    );
    assert!(held > 12 * MIB, "an unkept recorder held only {held} bytes");
    // A scrape (or upkeep) drains it.
    drop(unkept.handle().render());
    drop(h);
    drop(unkept);
}
