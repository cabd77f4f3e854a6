//! # profiler
//!
//! Per-stage latency percentiles, time to first token/byte, memory growth and GPU
//! health for real-time AI pipelines, against their budgets.
//!
//! ```no_run
//! use profiler::profile;
//!
//! #[profile(component = "avatar", target_ms = 50, frame)]
//! fn render_frame(audio: &[f32]) -> Vec<u8> {
//!     audio.iter().map(|s| (*s * 255.0) as u8).collect()
//! }
//!
//! let _profiler = profiler::init(); // dropping it writes the report
//! render_frame(&[0.5; 640]);
//! ```
//!
//! Toggles are environment variables (`PROFILER_ENABLED`, `PROFILER_COMPONENTS`,
//! `PROFILER_SAMPLE_RATE`, ...; see [`Config`]). Without the `enabled` cargo feature,
//! `#[profile]` leaves functions untouched and [`init`] does nothing.
//!
//! The modules follow the data flow: [`model`] (the `Report`), [`config`] (the
//! toggles), [`aggregate`] (totals merged from every thread), [`sample`] (process
//! memory and GPU samplers), [`analyse`] (figures, judgements, merge, compare, the
//! alert rule), [`render`] (the outputs: `render::json`, `render::console`,
//! `render::charts` with the `charts` feature, `render::html`, `render::trace` for
//! Chrome/Perfetto, `render::compare`, `render::files`, `render::mark`). While the
//! program runs, [`metrics`] publishes through the `metrics` facade and [`alerts`]
//! calls back when a budget is crossed (both are `profiler_core::live`).
//!
//! Timelines: `#[profile]` spans and [`Turn`] spans reach any `tracing` subscriber
//! (OpenTelemetry through `tracing-opentelemetry`: a turn is the parent of its stages'
//! spans); `trace` in `PROFILER_FORMATS` writes `trace_<ts>.json` for ui.perfetto.dev;
//! the `nvtx` feature makes each call an NVTX range for Nsight Systems.

#![deny(missing_docs)]

pub use profiler_core::config::{AlertConfig, Config, ConfigWarning, Formats, MetricsConfig};
pub use profiler_core::model::{Kind, Lang, Report};
pub use profiler_core::render::ReportError;
pub use profiler_core::session::{Session, SignalError, Written};
pub use profiler_core::{aggregate, analyse, config, model, render, sample};
pub use profiler_core::{Conversation, CountingAllocator, InTurn, Turn, TurnScope};
pub use profiler_macros::profile;

/// Starts profiling with the environment's configuration; dropping the returned guard
/// writes the report (JSON and charts to `PROFILER_OUTPUT_DIR`, console to stdout).
pub fn init() -> Session {
    #[cfg(feature = "enabled")]
    {
        profiler_core::session::init()
    }
    #[cfg(not(feature = "enabled"))]
    {
        profiler_core::session::init_with(Config {
            enabled: false,
            ..Config::default()
        })
    }
}

/// Starts profiling with `config` instead of the environment's (for every call in the
/// process from now on).
///
/// With `enabled: false` profiling is off process-wide: a profiled call costs one
/// atomic load and records nothing (the calls of a session started earlier too), no
/// sampler, periodic dump or signal handler starts, and the returned guard writes
/// nothing when dropped ([`Session::finish`] returns `None`); [`report`] still gives
/// what was recorded before.
pub fn init_with(config: Config) -> Session {
    profiler_core::session::init_with(config)
}

/// Puts `config` in force for every call from now on, without starting a session (no
/// samplers, no report at the end): for benchmarks and tests that want known settings
/// whatever the environment says.
pub fn configure(config: Config) {
    profiler_core::configure(config)
}

/// Installs `clock` (e.g. `quanta::Clock::mock()`) as the clock of every measurement,
/// so tests can drive durations deterministically. Only before the first measurement:
/// returns `false`, and changes nothing, once a measurement used the default clock.
pub fn install_clock(clock: quanta::Clock) -> bool {
    profiler_core::install_clock(clock)
}

/// The profiler's `tracing` layer, with its filter: aggregates spans from other code
/// that carry a `component` field. Compose it with any subscriber:
///
/// ```
/// use tracing_subscriber::prelude::*;
/// let subscriber = tracing_subscriber::registry().with(profiler::layer());
/// ```
pub fn layer<S>() -> tracing_subscriber::filter::Filtered<
    profiler_core::layer::ProfilerLayer,
    profiler_core::layer::ProfilerFilter,
    S,
>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    profiler_core::layer::layer()
}

/// The report of everything recorded so far, without writing it.
pub fn report() -> Report {
    profiler_core::session::report()
}

/// Writes the report when the process gets SIGTERM or SIGINT, then lets the signal end
/// the process as it would have (what `PROFILER_SIGNALS=on` turns on at [`init`]).
/// A signal the program ignores stays ignored; one it handles reaches its handler.
/// Unix only; calling it again does nothing.
///
/// ```no_run
/// let _profiler = profiler::init();
/// profiler::report_on_signals().expect("a Unix system");
/// ```
pub fn report_on_signals() -> Result<(), SignalError> {
    profiler_core::session::report_on_signals()
}

/// Starts a turn (one question-answer round); see [`Turn`].
pub fn turn() -> Turn {
    Turn::start()
}

/// Opens a session (one conversation) named `id`: its turns (`conversation.turn()`)
/// are grouped in the report's `sessions`; see [`Conversation`]. (The guard `init()`
/// returns is [`Session`]: a profiling session, not a conversation.)
pub fn conversation(id: impl Into<String>) -> Conversation {
    Conversation::new(id)
}

/// Metrics while the program runs, through the [`metrics`](https://docs.rs/metrics)
/// facade: every component's latency histograms (seconds), call counters, targets, and
/// process and GPU gauges, published every `PROFILER_METRICS_INTERVAL_MS` into the
/// recorder the program installed. Names are in [`names`](metrics::names) (OpenTelemetry's
/// semantic conventions where one exists, a `profiler_` prefix elsewhere); labels are
/// `component`, `kind` and the component's own, bounded (past
/// `PROFILER_METRICS_MAX_COMPONENTS` components, `component="other"`).
///
/// Switch it on with `PROFILER_METRICS=on` and [`init`], or from code:
///
/// ```no_run
/// // Any `metrics` recorder, installed first (here: nothing installed, so a no-op).
/// let _metrics = profiler::metrics::install(); // publishes until dropped
/// ```
///
/// With the `prometheus` feature, `profiler::metrics::prometheus::serve(addr)` installs
/// a Prometheus exporter on `addr` and publishes into it.
pub mod metrics {
    pub use profiler_core::live::{
        flush, names, set_upkeep, Live, LiveGuard, MAX_LABELS, OTHER, UPKEEP_EVERY,
    };

    #[cfg(feature = "prometheus")]
    pub use profiler_core::live::prometheus;

    /// Publishes through the `metrics` facade until the guard drops (see the module
    /// docs); install your recorder first.
    pub fn install() -> LiveGuard {
        profiler_core::live::install_metrics()
    }
}

/// Live budget alerts: when a component's rolling P95 (over
/// `PROFILER_ALERT_WINDOW_SEC`, once `PROFILER_ALERT_MIN_SAMPLES` samples are in the
/// window) crosses its target, a `tracing` warning (target `profiler::alerts`) and your
/// callbacks fire once; again only after it recovered (to 90 % of the target), and at
/// most once per `PROFILER_ALERT_COOLDOWN_SEC`. Turn E2E latency is a component too.
///
/// ```no_run
/// use std::sync::atomic::{AtomicBool, Ordering};
/// static SHED_LOAD: AtomicBool = AtomicBool::new(false);
///
/// let _alerts = profiler::alerts::on_alert(|a| {
///     if a.component == "llm" {
///         SHED_LOAD.store(a.kind == profiler::alerts::AlertKind::Crossed, Ordering::Relaxed);
///     }
/// });
/// ```
///
/// `PROFILER_ALERTS=on` with [`init`] gives the `tracing` warnings alone.
pub mod alerts {
    pub use profiler_core::analyse::alerts::{Alert, AlertKind, AlertRule, RECOVER_RATIO};
    pub use profiler_core::live::{on_alert, Subscription};
}

#[doc(hidden)]
pub mod __private {
    pub use profiler_core::__private::*;
    pub use tracing;
}
