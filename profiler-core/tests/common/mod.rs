//! Profiled calls for the core's integration tests, made the way `#[profile]` makes
//! them (a static `Site`, `Call::prepare`, `measure_sync`, the `FirstItem` stream
//! wrapper), with durations driven by a mock clock so every figure is known.
#![allow(dead_code)]

use futures_core::Stream;
use profiler_core::__private::{measure_sync, Call, FirstItem, Outcome};
use profiler_core::config::{Config, MetricsConfig};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Waker};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{self, Layer};

/// A `#[profile]` site: `site!("stt", Latency, Some(100.0), &[("provider", "x")])`.
#[macro_export]
macro_rules! site {
    ($name:expr, $kind:ident, $target:expr, $labels:expr) => {{
        static SITE: profiler_core::__private::Site = profiler_core::__private::Site::new(
            $name,
            $name,
            $target,
            profiler_core::__private::Kind::$kind,
            None,
            $labels,
        );
        &SITE
    }};
}

/// The mock clock every measurement of this test binary reads (installed once).
pub fn mock() -> &'static Arc<quanta::Mock> {
    static MOCK: OnceLock<Arc<quanta::Mock>> = OnceLock::new();
    MOCK.get_or_init(|| {
        let (clock, mock) = quanta::Clock::mock();
        assert!(
            profiler_core::install_clock(clock),
            "the mock clock is installed before any measurement"
        );
        mock
    })
}

/// Tests of one binary share the mock clock: they run one at a time, and the mock is
/// installed before any of them reads a clock.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    mock();
    guard
}

/// One sync call of `site` lasting `ns`, ending in `outcome`.
pub fn call(site: &'static profiler_core::__private::Site, ns: u64, outcome: Outcome) {
    let c = Call::prepare(site);
    measure_sync(
        c,
        |_| tracing::Span::none(),
        || mock().increment(ns),
        |_| (outcome, ""),
    );
}

/// A stream of `items` items, the first `first_ns` after its call, the others `gap_ns`
/// apart.
struct Items {
    left: u64,
    first: bool,
    first_ns: u64,
    gap_ns: u64,
}

impl Stream for Items {
    type Item = u64;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u64>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let ns = if self.first {
            self.first_ns
        } else {
            self.gap_ns
        };
        mock().increment(ns);
        self.first = false;
        self.left -= 1;
        Poll::Ready(Some(self.left))
    }
}

/// One `first_item` call of `site`: a stream of `items` items, the first after
/// `first_ns`, drained to its end.
pub fn stream_call(
    site: &'static profiler_core::__private::Site,
    first_ns: u64,
    gap_ns: u64,
    items: u64,
) {
    let mut c = Call::prepare(site);
    c.begin();
    let mut s = FirstItem::new(
        Items {
            left: items,
            first: true,
            first_ns,
            gap_ns,
        },
        c,
        tracing::Span::none(),
    );
    let mut cx = Context::from_waker(Waker::noop());
    let mut s = Pin::new(&mut s);
    while let Poll::Ready(Some(_)) = s.as_mut().poll_next(&mut cx) {}
}

/// One turn whose first response comes `e2e_ns` after its start and which ends
/// `rest_ns` later.
pub fn turn(e2e_ns: u64, rest_ns: u64) {
    let t = profiler_core::Turn::start();
    mock().increment(e2e_ns);
    t.respond();
    mock().increment(rest_ns);
    drop(t);
}

/// A deterministic spread of `n` latencies (ns) between `lo_ms` and `hi_ms`.
pub fn spread(n: usize, lo_ms: f64, hi_ms: f64, seed: u64) -> Vec<u64> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            // Skewed towards the low end, with a tail: u^3.
            ((lo_ms + (hi_ms - lo_ms) * u * u * u) * 1e6) as u64
        })
        .collect()
}

/// A configuration whose live tick is driven by `profiler_core::live::flush` alone (its
/// own interval never elapses), without a GPU sampler.
pub fn ticks_by_flush() -> Config {
    Config {
        metrics: MetricsConfig {
            interval_ms: 24 * 3600 * 1000,
            ..MetricsConfig::default()
        },
        gpu: false,
        ..Config::default()
    }
}

/// One `tracing` event as [`Events`] saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub level: Level,
    pub target: String,
    pub message: String,
    /// Its `component` field, if any.
    pub component: Option<String>,
}

/// A layer keeping every event it sees.
#[derive(Clone, Default)]
pub struct Events(pub Arc<Mutex<Vec<Seen>>>);

impl Events {
    /// The events of `target` seen so far.
    pub fn of(&self, target: &str) -> Vec<Seen> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().filter(|e| e.target == target).cloned().collect()
    }
}

struct Fields {
    message: String,
    component: Option<String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = format!("{value:?}"),
            "component" => self.component = Some(format!("{value:?}")),
            _ => {}
        }
    }
}

impl<S: Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &Event<'_>, _: layer::Context<'_, S>) {
        let mut f = Fields {
            message: String::new(),
            component: None,
        };
        event.record(&mut f);
        let m = event.metadata();
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Seen {
            level: *m.level(),
            target: m.target().to_string(),
            message: f.message,
            component: f.component,
        });
    }
}
