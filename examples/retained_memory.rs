//! The profiler's own memory per component does not grow with the number of calls:
//! after 10^5, 10^6 and 10^7 calls of each kind of component (a sync fn, an `async fn`,
//! a `first_item` stream) it prints the bytes the recording shards hold for that
//! component, and exits 1 if a figure grew in a way the call count could explain.
//!
//! ```sh
//! cargo run --release --example retained_memory                 # the real clock
//! cargo run --release --example retained_memory -- --mock-clock # latencies fixed
//! ```
//!
//! A component's memory is one `Cell` (counters and two histograms) per recording
//! thread, plus 8 KiB for each histogram row touched. A row covers one power of two
//! of latency, and is allocated the first time a latency of that magnitude lands in
//! it, so the figure depends on the spread of latencies (at most 32 rows per
//! histogram, the bound printed), never on the number of calls:
//!
//! - with `--mock-clock` every call takes one of four fixed latencies (40 ns, 300 ns,
//!   5 us, 2 ms) in turn, so the spread is the same after 10^5 calls as after 10^7 and
//!   the figures are equal: memory is constant in the number of calls;
//! - with the real clock, a rare longer latency (the thread descheduled, a page fault)
//!   can open a row later in the run; the figure then grows by whole rows and stays
//!   under the bound.
//!
//! Components are driven one after the other on the main thread, so the growth of
//! `profiler::aggregate::retained_bytes()` (every shard, every component) while one
//! component runs is that component's memory.

use futures::executor::block_on;
use futures::{Stream, StreamExt};
use profiler::profile;
use std::hint::black_box;
use std::sync::{Arc, OnceLock};

const CHECKPOINTS: [u64; 3] = [100_000, 1_000_000, 10_000_000];
/// A histogram row: 1024 `u64` buckets (see profiler-core's `record::histogram`).
const ROW_BYTES: usize = 1024 * 8;
/// Rows a histogram can ever allocate (latencies up to about 18 minutes).
const ROWS_PER_HISTOGRAM: usize = 32;
/// The latencies the mock clock gives calls, in turn (ns).
const MOCK_LATENCIES: [u64; 4] = [40, 300, 5_000, 2_000_000];

static MOCK: OnceLock<Arc<quanta::Mock>> = OnceLock::new();

/// Inside a measured call: with the mock clock, makes the call last its fixed latency.
#[inline(always)]
fn elapse(i: u64) {
    if let Some(mock) = MOCK.get() {
        mock.increment(MOCK_LATENCIES[(i % 4) as usize]);
    }
}

#[inline(always)]
fn work(x: u64) -> u64 {
    elapse(x);
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

#[profile(component = "sync_component")]
fn sync_call(x: u64) -> u64 {
    work(x)
}

#[profile(component = "async_component")]
async fn async_call(x: u64) -> u64 {
    work(x)
}

#[profile(component = "stream_component", first_item)]
fn stream_call(x: u64) -> impl Stream<Item = u64> {
    futures::stream::iter([x, x + 1]).map(work)
}

/// Makes the calls numbered `from..to` of one component.
type Driver = fn(u64, u64);

fn drive_sync(from: u64, to: u64) {
    for i in from..to {
        black_box(sync_call(black_box(i)));
    }
}

fn drive_async(from: u64, to: u64) {
    block_on(async {
        for i in from..to {
            black_box(async_call(black_box(i)).await);
        }
    });
}

fn drive_stream(from: u64, to: u64) {
    block_on(async {
        for i in from..to {
            let s = stream_call(black_box(i));
            black_box(s.collect::<Vec<_>>().await);
        }
    });
}

fn main() {
    let mock_clock = std::env::args().any(|a| a == "--mock-clock");
    if mock_clock {
        let (clock, mock) = quanta::Clock::mock();
        assert!(
            profiler::install_clock(clock),
            "the clock is installed before the first measurement"
        );
        let _ = MOCK.set(mock);
    }
    // Defaults, whatever PROFILER_* says: the figures are about recording being on.
    profiler::configure(profiler::Config::default());
    let components: [(&str, Driver); 3] = [
        ("sync_component", drive_sync),
        ("async_component", drive_async),
        ("stream_component", drive_stream),
    ];

    println!(
        "retained bytes per component, {} clock (recording shards, one thread)",
        if mock_clock { "mock" } else { "real" }
    );
    print!("{:<18}", "component");
    for n in CHECKPOINTS {
        print!("{:>16}", format!("{n} calls"));
    }
    println!("{:>10}  verdict", "bound");

    let mut ok = true;
    for (name, drive) in components {
        let before = profiler::aggregate::retained_bytes();
        let mut done = 0;
        let mut figures = Vec::new();
        for n in CHECKPOINTS {
            drive(done, n);
            done = n;
            figures.push(profiler::aggregate::retained_bytes() - before);
        }
        // The cell is what is left beside whole rows; the bound is every row touched.
        let cell = figures[0] % ROW_BYTES;
        let bound = cell + 2 * ROWS_PER_HISTOGRAM * ROW_BYTES;
        let verdict = if figures.windows(2).all(|w| w[1] == w[0]) {
            "constant".to_string()
        } else if !mock_clock && figures.iter().all(|f| *f <= bound && f % ROW_BYTES == cell) {
            let rows = (figures[2] - figures[0]) / ROW_BYTES;
            format!("bounded: {rows} more row(s) for latencies of a new magnitude")
        } else {
            ok = false;
            "GROWS".to_string()
        };
        print!("{name:<18}");
        for f in &figures {
            print!("{f:>16}");
        }
        println!("{bound:>10}  {verdict}");
    }

    for c in &profiler::aggregate::snapshot().components {
        let calls = c.totals.latency.len()
            + c.totals.warmup_excluded
            + c.totals.errors
            + c.totals.cancelled;
        println!("{}: {calls} calls recorded", c.meta.name);
    }
    if !ok {
        std::process::exit(1);
    }
}
