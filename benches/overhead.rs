//! What `#[profile]` costs per call, against bare code and the profilers users compare
//! it with, in one criterion run (figures and how to read them: docs/overhead.md).
//!
//! ```sh
//! cargo bench -p profiler-benches --bench overhead -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Every variant runs the same trivial body (`work`) behind `#[inline(never)]`, in the
//! same loop, so the differences are the instrumentation alone. Groups:
//!
//! - `sync_call`: per call of a sync fn. `profile_session_default` runs under a session
//!   with the default configuration (calls also count themselves running for the
//!   memory sampler's RSS shares). `floor` is the issue's floor written by hand
//!   (two raw TSC reads and an HDR record into a histogram passed by reference: no
//!   thread-local, no component lookup), the bound a real profiler approaches.
//! - `async_call`: per call of an `async fn` awaited inside one `block_on` of a
//!   current-thread tokio runtime (one `block_on` per criterion sample, so the
//!   runtime's own entry cost is not in the figure). puffin has no async support (its
//!   scopes must begin and end on one thread), so it is left out there.
//! - `stream_item`: per item of a 1000-item `first_item` stream; `stream_call`: per
//!   one-item stream (call, first item, end), both against the same bare stream.
//! - `sync_call/profile_trace`: `profile_only` with the `trace` format asked for, so
//!   each call also writes its event into the trace ring.
//! - `sync_call/profile_metrics`: `profile_only` with a `metrics` recorder installed
//!   (Prometheus's, without its listener) and the live publisher ticking every 100 ms;
//!   `publish_tick`: what one tick costs the background thread, per sample it hands
//!   the recorder (the calls themselves do nothing more when metrics are on).
//! - `two_threads`: two threads recording into one component at once; criterion's
//!   throughput (elements/s) against one thread gives the scaling, with bare calls on
//!   the same threads as the machine's own ceiling.
//! - `realistic_body`: a 1 ms busy-wait body (spinning to a deadline, so the body
//!   itself lasts 1 ms whatever happens inside it), bare, under `#[profile]` alone, and
//!   under `#[profile]` with a session running the default configuration (memory
//!   sampler, RSS shares, its probes at `PROFILER_MEMORY_OVERHEAD_PCT=1`): the time a
//!   caller sees added per call, as a fraction of the body. Each criterion sample is
//!   the median call of its batch (each call timed on its own), as the issue measured
//!   stages from outside: on this shared 2-vCPU VM a call that loses its core to
//!   another process for milliseconds would otherwise decide the figure. What the
//!   memory sampler's thread takes from the machine is its measured CPU time, which
//!   the session reports against its budget (`memory.attribution.cost_pct`).
//!
//! Subscribers: the global default is a registry with `profiler::layer()` (declining
//! `#[profile]`'s own spans, so "profile only" builds none) and the tracing peer's
//! duration layer behind a filter that takes only the peer's spans, the peer's best
//! case (a global default). `profile_with_fmt` adds a scoped fmt layer writing to
//! `io::sink`; it formats each span's fields when the span is created.
//!
//! Peers are set up the way their docs say to use them: hotpath with a live
//! `HotpathGuard`; fastrace with a reporter (that discards the records) and a root
//! span with a local parent per batch of 10, 100 or 1000 calls, so every child span is
//! collected and submitted; puffin with scopes on, one frame scope per 100 or 1000
//! calls and `new_frame()` after each, so its memory does not grow. Their batch costs
//! are in their figures, spread over the batch; docs/overhead.md takes each peer's
//! fastest batch size.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures::{Stream, StreamExt};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use profiler::{profile, Config, MetricsConfig};
use std::future::Future;
use std::hint::black_box;
use std::sync::{Barrier, OnceLock};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// Calls per fastrace root span: its cost per span depends on it (a root's spans are
/// kept in one growing buffer, handed to the collector when the root's guard drops),
/// so a few sizes are measured and the table takes the fastest.
const FASTRACE_BATCHES: [u64; 3] = [10, 100, 1000];
/// Calls per puffin frame (`new_frame()` after each), likewise.
const PUFFIN_BATCHES: [u64; 2] = [100, 1000];
/// Items per stream in `stream_item`.
const ITEMS: u64 = 1000;
/// Target of the `#[tracing::instrument]` peer's spans, the only ones its layer takes.
const PEER_TARGET: &str = "peer_tracing";

/// The body every variant measures: a few cycles the optimiser cannot remove.
#[inline(always)]
fn work(x: u64) -> u64 {
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ x
}

fn clock() -> &'static quanta::Clock {
    static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
    CLOCK.get_or_init(quanta::Clock::new)
}

// ---- sync variants -------------------------------------------------------------

#[inline(never)]
fn bare_sync(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn floor_sync(x: u64, clock: &quanta::Clock, hist: &mut hdrhistogram::Histogram<u64>) -> u64 {
    let start = clock.raw();
    let out = work(x);
    hist.saturating_record(clock.delta_as_nanos(start, clock.raw()));
    out
}

#[profile(component = "bench_sync")]
#[inline(never)]
fn profiled_sync(x: u64) -> u64 {
    work(x)
}

#[profiler_macros_compiled_out::profile(component = "bench_sync")]
#[inline(never)]
fn compiled_out_sync(x: u64) -> u64 {
    work(x)
}

#[hotpath::measure]
#[inline(never)]
fn hotpath_sync(x: u64) -> u64 {
    work(x)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_sync(x: u64) -> u64 {
    work(x)
}

#[inline(never)]
fn puffin_sync(x: u64) -> u64 {
    puffin::profile_function!();
    work(x)
}

#[tracing::instrument(target = "peer_tracing", skip_all)]
#[inline(never)]
fn traced_sync(x: u64) -> u64 {
    work(x)
}

// ---- async variants ------------------------------------------------------------

#[inline(never)]
async fn bare_async(x: u64) -> u64 {
    work(x)
}

#[profile(component = "bench_async")]
#[inline(never)]
async fn profiled_async(x: u64) -> u64 {
    work(x)
}

#[profiler_macros_compiled_out::profile(component = "bench_async")]
#[inline(never)]
async fn compiled_out_async(x: u64) -> u64 {
    work(x)
}

#[hotpath::measure]
#[inline(never)]
async fn hotpath_async(x: u64) -> u64 {
    work(x)
}

#[fastrace::trace]
#[inline(never)]
async fn fastrace_async(x: u64) -> u64 {
    work(x)
}

#[tracing::instrument(target = "peer_tracing", skip_all)]
#[inline(never)]
async fn traced_async(x: u64) -> u64 {
    work(x)
}

// ---- streams and threads -------------------------------------------------------

fn bare_stream(n: u64) -> impl Stream<Item = u64> {
    futures::stream::iter(0..n)
}

#[profile(component = "bench_stream", first_item)]
fn profiled_stream(n: u64) -> impl Stream<Item = u64> {
    futures::stream::iter(0..n)
}

#[profiler_macros_compiled_out::profile(component = "bench_stream", first_item)]
fn compiled_out_stream(n: u64) -> impl Stream<Item = u64> {
    futures::stream::iter(0..n)
}

#[profile(component = "bench_threads")]
#[inline(never)]
fn profiled_shared(x: u64) -> u64 {
    work(x)
}

/// The realistic body: 1 ms of busy work, to a deadline.
#[inline(always)]
fn one_millisecond() -> u64 {
    let start = Instant::now();
    let mut spins = 0u64;
    while start.elapsed() < Duration::from_millis(1) {
        spins = spins.wrapping_add(1);
        std::hint::spin_loop();
    }
    spins
}

#[inline(never)]
fn bare_realistic(x: u64) -> u64 {
    one_millisecond() ^ x
}

#[profile(component = "realistic_body")]
fn profiled_realistic(x: u64) -> u64 {
    one_millisecond() ^ x
}

// ---- set-up --------------------------------------------------------------------

/// A minimal timing layer for the `#[tracing::instrument]` peer: span creation to
/// close, summed per thread.
struct DurationLayer;

struct Opened(u64);

thread_local! {
    static SPAN_NS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

impl<S> Layer<S> for DurationLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened(clock().raw()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id) {
            if let Some(Opened(start)) = span.extensions().get::<Opened>() {
                let ns = clock().delta_as_nanos(*start, clock().raw());
                SPAN_NS.with(|c| c.set(c.get().wrapping_add(ns)));
            }
        }
    }
}

/// fastrace's reporter: takes every batch of records and drops it.
struct Discard;

impl fastrace::collector::Reporter for Discard {
    fn report(&mut self, spans: Vec<fastrace::collector::SpanRecord>) {
        black_box(spans.len());
    }
}

fn set_up() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Defaults, whatever PROFILER_* says, so a run is reproducible.
        profiler::configure(Config::default());
        let subscriber = tracing_subscriber::registry()
            .with(profiler::layer())
            .with(DurationLayer.with_filter(filter_fn(|m| m.target() == PEER_TARGET)));
        tracing::subscriber::set_global_default(subscriber)
            .expect("the bench sets the only global subscriber");
        fastrace::set_reporter(Discard, fastrace::collector::Config::default());
        puffin::set_scopes_on(true);
    });
}

fn hotpath_guard(name: &str) -> hotpath::HotpathGuard {
    hotpath::HotpathGuardBuilder::new("overhead")
        .output_path(std::env::temp_dir().join(format!("overhead-hotpath-{name}.txt")))
        .build()
}

/// Profiling off as `PROFILER_ENABLED=0` leaves it, for the duration of `f`.
fn with_env_off(f: impl FnOnce()) {
    profiler::configure(Config {
        enabled: false,
        ..Config::default()
    });
    f();
    profiler::configure(Config::default());
}

/// The `trace` format asked for, for the duration of `f`: every call also leaves an
/// event in the trace ring (the ring of the latest 100 000 events, overwritten here).
fn with_trace(f: impl FnOnce()) {
    profiler::configure(Config {
        formats: profiler::Formats {
            trace: true,
            ..profiler::Formats::default()
        },
        ..Config::default()
    });
    f();
    profiler::configure(Config::default());
}

/// The process's Prometheus recorder (built without a listener: nothing scrapes), with
/// its upkeep run by the publisher after each batch, as `metrics::prometheus` sets up.
fn prometheus_recorder() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // `metrics::prometheus::builder()`'s settings, without its HTTP listener.
        let mut builder = PrometheusBuilder::new().with_recommended_naming(true);
        for name in profiler::metrics::names::HISTOGRAMS {
            builder = builder
                .set_buckets_for_metric(
                    Matcher::Full(name.replace('.', "_")),
                    &profiler::metrics::names::LATENCY_BUCKETS,
                )
                .expect("buckets are not empty");
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).expect("the bench sets the only recorder");
        profiler::metrics::set_upkeep(Some(std::sync::Arc::new(move || handle.run_upkeep())));
    });
}

/// `f` while the live publisher feeds the Prometheus recorder every 100 ms.
fn with_metrics(f: impl FnOnce()) {
    prometheus_recorder();
    profiler::configure(Config {
        metrics: MetricsConfig {
            interval_ms: 100,
            ..MetricsConfig::default()
        },
        ..Config::default()
    });
    let publishing = profiler::metrics::install();
    f();
    drop(publishing);
    profiler::configure(Config::default());
}

/// `f` with a fmt layer (writing to a sink) beside the profiler's, as the current
/// subscriber; the callsites' interest is rebuilt after so later variants see only
/// the global subscriber again.
fn with_fmt(f: impl FnOnce()) {
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink))
        .with(profiler::layer());
    let guard = tracing::subscriber::set_default(subscriber);
    f();
    drop(guard);
    tracing::callsite::rebuild_interest_cache();
}

/// `f` under a session with the default configuration, what a program gets from
/// `profiler::init()` with no PROFILER_* variable set (reports written nowhere: only
/// the sampling and recording are measured): the memory sampler runs, and calls count
/// themselves running for its RSS shares.
fn with_default_session(f: impl FnOnce()) {
    let session = profiler::init_with(Config {
        formats: profiler::Formats::none(),
        ..Config::default()
    });
    f();
    drop(session);
    profiler::configure(Config::default());
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime builds")
}

/// `iters` calls of `f`, timed.
#[inline(always)]
fn calls(iters: u64, mut f: impl FnMut(u64) -> u64) -> Duration {
    let start = Instant::now();
    for i in 0..iters {
        black_box(f(black_box(i)));
    }
    start.elapsed()
}

/// `iters` calls in batches of `size`, `batch(first, n)` making `n` calls from `first`.
#[inline(always)]
fn batches(iters: u64, size: u64, mut batch: impl FnMut(u64, u64)) -> Duration {
    let start = Instant::now();
    let mut done = 0;
    while done < iters {
        let n = (iters - done).min(size);
        batch(done, n);
        done += n;
    }
    start.elapsed()
}

// ---- groups --------------------------------------------------------------------

fn sync_call(c: &mut Criterion) {
    set_up();
    let mut g = c.benchmark_group("sync_call");
    g.throughput(Throughput::Elements(1));
    g.bench_function("bare", |b| b.iter_custom(|n| calls(n, bare_sync)));
    g.bench_function("floor", |b| {
        let mut hist =
            hdrhistogram::Histogram::<u64>::new_with_bounds(1, 1 << 40, 3).expect("valid bounds");
        b.iter_custom(|n| calls(n, |x| floor_sync(x, clock(), &mut hist)))
    });
    g.bench_function("profile_only", |b| {
        b.iter_custom(|n| calls(n, profiled_sync))
    });
    with_metrics(|| {
        g.bench_function("profile_metrics", |b| {
            b.iter_custom(|n| calls(n, profiled_sync))
        });
    });
    with_default_session(|| {
        g.bench_function("profile_session_default", |b| {
            b.iter_custom(|n| calls(n, profiled_sync))
        });
    });
    with_fmt(|| {
        g.bench_function("profile_with_fmt", |b| {
            b.iter_custom(|n| calls(n, profiled_sync))
        });
    });
    with_trace(|| {
        g.bench_function("profile_trace", |b| {
            b.iter_custom(|n| calls(n, profiled_sync))
        });
    });
    with_env_off(|| {
        g.bench_function("profile_env_off", |b| {
            b.iter_custom(|n| calls(n, profiled_sync))
        });
    });
    g.bench_function("profile_compiled_out", |b| {
        b.iter_custom(|n| calls(n, compiled_out_sync))
    });
    let guard = hotpath_guard("sync");
    g.bench_function("hotpath", |b| b.iter_custom(|n| calls(n, hotpath_sync)));
    drop(guard);
    for batch in FASTRACE_BATCHES {
        g.bench_function(BenchmarkId::new("fastrace", batch), |b| {
            b.iter_custom(|n| {
                batches(n, batch, |first, k| {
                    let root =
                        fastrace::Span::root("batch", fastrace::collector::SpanContext::random());
                    let _parent = root.set_local_parent();
                    for i in first..first + k {
                        black_box(fastrace_sync(black_box(i)));
                    }
                })
            })
        });
    }
    for batch in PUFFIN_BATCHES {
        g.bench_function(BenchmarkId::new("puffin", batch), |b| {
            b.iter_custom(|n| {
                batches(n, batch, |first, k| {
                    {
                        puffin::profile_scope!("frame");
                        for i in first..first + k {
                            black_box(puffin_sync(black_box(i)));
                        }
                    }
                    puffin::GlobalProfiler::lock().new_frame();
                })
            })
        });
    }
    g.bench_function("tracing_instrument_timing_layer", |b| {
        b.iter_custom(|n| calls(n, traced_sync))
    });
    g.finish();
}

/// Calls recorded between two publisher ticks in `publish_tick`.
const TICK_SAMPLES: u64 = 10_000;

/// One tick of a publisher feeding the Prometheus recorder, timed, after `TICK_SAMPLES`
/// untimed calls: the background cost of metrics, per sample handed over (criterion's
/// throughput, elements = samples).
fn publish_tick(c: &mut Criterion) {
    set_up();
    prometheus_recorder();
    let live = profiler::metrics::Live::manual(true, false);
    live.tick(); // what the earlier groups recorded
    let mut g = c.benchmark_group("publish_tick");
    g.throughput(Throughput::Elements(TICK_SAMPLES));
    let ticks = |n: u64, tick: &dyn Fn()| {
        let mut ticks = Duration::ZERO;
        for _ in 0..n {
            for i in 0..TICK_SAMPLES {
                black_box(profiled_sync(black_box(i)));
            }
            let start = Instant::now();
            tick();
            ticks += start.elapsed();
        }
        ticks
    };
    g.bench_function("prometheus", |b| {
        b.iter_custom(|n| ticks(n, &|| drop(live.tick())))
    });
    // The publisher's own share: the same tick into a recorder that keeps nothing.
    let noop = metrics::NoopRecorder;
    g.bench_function("noop_recorder", |b| {
        b.iter_custom(|n| {
            ticks(n, &|| {
                metrics::with_local_recorder(&noop, || drop(live.tick()));
            })
        })
    });
    g.finish();
}

/// `iters` awaited calls of `f` inside one `block_on`, timed.
fn awaits<F, Fut>(rt: &Runtime, iters: u64, f: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    rt.block_on(async {
        let start = Instant::now();
        for i in 0..iters {
            black_box(f(black_box(i)).await);
        }
        start.elapsed()
    })
}

fn async_call(c: &mut Criterion) {
    set_up();
    let rt = runtime();
    let mut g = c.benchmark_group("async_call");
    g.throughput(Throughput::Elements(1));
    g.bench_function("bare", |b| b.iter_custom(|n| awaits(&rt, n, bare_async)));
    g.bench_function("profile_only", |b| {
        b.iter_custom(|n| awaits(&rt, n, profiled_async))
    });
    with_fmt(|| {
        g.bench_function("profile_with_fmt", |b| {
            b.iter_custom(|n| awaits(&rt, n, profiled_async))
        });
    });
    with_env_off(|| {
        g.bench_function("profile_env_off", |b| {
            b.iter_custom(|n| awaits(&rt, n, profiled_async))
        });
    });
    g.bench_function("profile_compiled_out", |b| {
        b.iter_custom(|n| awaits(&rt, n, compiled_out_async))
    });
    let guard = hotpath_guard("async");
    g.bench_function("hotpath", |b| {
        b.iter_custom(|n| awaits(&rt, n, hotpath_async))
    });
    drop(guard);
    for batch in FASTRACE_BATCHES {
        g.bench_function(BenchmarkId::new("fastrace", batch), |b| {
            b.iter_custom(|n| {
                rt.block_on(async {
                    let start = Instant::now();
                    let mut done = 0;
                    while done < n {
                        let k = (n - done).min(batch);
                        let root = fastrace::Span::root(
                            "batch",
                            fastrace::collector::SpanContext::random(),
                        );
                        let _parent = root.set_local_parent();
                        for i in done..done + k {
                            black_box(fastrace_async(black_box(i)).await);
                        }
                        done += k;
                    }
                    start.elapsed()
                })
            })
        });
    }
    g.bench_function("tracing_instrument_timing_layer", |b| {
        b.iter_custom(|n| awaits(&rt, n, traced_async))
    });
    g.finish();
}

/// `iters` streams made by `make`, each drained inside one `block_on`, timed.
fn drains<S: Stream<Item = u64>>(
    rt: &Runtime,
    iters: u64,
    items: u64,
    make: impl Fn(u64) -> S,
) -> Duration {
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let mut s = std::pin::pin!(make(black_box(items)));
            let mut acc = 0;
            while let Some(v) = s.next().await {
                acc ^= black_box(v);
            }
            black_box(acc);
        }
        start.elapsed()
    })
}

fn streams(c: &mut Criterion) {
    set_up();
    let rt = runtime();
    for (group, items) in [("stream_item", ITEMS), ("stream_call", 1)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(items));
        g.bench_function("bare", |b| {
            b.iter_custom(|n| drains(&rt, n, items, bare_stream))
        });
        g.bench_function("profile_only", |b| {
            b.iter_custom(|n| drains(&rt, n, items, profiled_stream))
        });
        with_env_off(|| {
            g.bench_function("profile_env_off", |b| {
                b.iter_custom(|n| drains(&rt, n, items, profiled_stream))
            });
        });
        g.bench_function("profile_compiled_out", |b| {
            b.iter_custom(|n| drains(&rt, n, items, compiled_out_stream))
        });
        g.finish();
    }
}

/// `iters` calls of `f` on each of `threads` new threads started together; the time
/// of the slowest. Each thread makes one call before the start so its shard exists.
fn on_threads(threads: usize, iters: u64, f: fn(u64) -> u64) -> Duration {
    let start = Barrier::new(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    black_box(f(0));
                    start.wait();
                    calls(iters, f)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread"))
            .max()
            .unwrap_or_default()
    })
}

fn two_threads(c: &mut Criterion) {
    set_up();
    let mut g = c.benchmark_group("two_threads");
    for (name, f) in [
        ("bare", bare_sync as fn(u64) -> u64),
        ("profile_only", profiled_shared),
    ] {
        for threads in [1, 2] {
            g.throughput(Throughput::Elements(threads as u64));
            g.bench_function(BenchmarkId::new(name, format!("{threads}_thread")), |b| {
                b.iter_custom(|n| on_threads(threads, n, f))
            });
        }
    }
    g.finish();
}

/// `iters` calls of `f`, each timed; the median call's time, `iters` times (so that
/// criterion's per-iteration figure is the batch's median call).
fn median_calls(iters: u64, mut f: impl FnMut(u64) -> u64) -> Duration {
    let mut each: Vec<Duration> = Vec::with_capacity(iters as usize);
    for i in 0..iters {
        let start = Instant::now();
        black_box(f(black_box(i)));
        each.push(start.elapsed());
    }
    each.sort_unstable();
    each.get(each.len() / 2).copied().unwrap_or_default() * iters as u32
}

fn realistic_body(c: &mut Criterion) {
    set_up();
    let mut g = c.benchmark_group("realistic_body");
    g.throughput(Throughput::Elements(1));
    g.sample_size(20);
    g.bench_function("bare", |b| {
        b.iter_custom(|n| median_calls(n, bare_realistic))
    });
    g.bench_function("profile_only", |b| {
        b.iter_custom(|n| median_calls(n, profiled_realistic))
    });
    with_default_session(|| {
        g.bench_function("profile_session_default", |b| {
            b.iter_custom(|n| median_calls(n, profiled_realistic))
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    sync_call,
    publish_tick,
    async_call,
    streams,
    two_threads,
    realistic_body
);
criterion_main!(benches);
