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
//! The modules follow the data flow: [`model`] (the `Report`), [`config`],
//! [`aggregate`], [`sample`], [`analyse`] (judgements, merge, compare), [`render`]
//! (JSON, console, charts).

#![deny(missing_docs)]

pub use profiler_core::config::{Config, ConfigWarning, Formats};
pub use profiler_core::model::{Kind, Lang, Report};
pub use profiler_core::render::ReportError;
pub use profiler_core::session::{Session, SignalError, Written};
pub use profiler_core::{aggregate, analyse, config, model, render, sample};
pub use profiler_core::{CountingAllocator, InTurn, Turn, TurnScope};
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

/// Starts profiling with `config` instead of the environment's.
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

#[doc(hidden)]
pub mod __private {
    pub use profiler_core::__private::*;
    pub use tracing;
}
