//! Core of the `profiler` crate. Users depend on the `profiler` facade; this crate
//! holds the machinery, one module per step of the data flow:
//!
//! ```text
//! model <- config <- record <- aggregate <- sample <- analyse <- render <- session
//!                                                            <- live   <-
//! ```
//!
//! - [`model`]: the serde `Report` and its enums (imports nothing else);
//! - [`config`]: every environment toggle, parsed;
//! - `record`: the hot path (clock, per-thread shards, the call guard, streams, turns,
//!   the counting allocator), and [`layer`], the `tracing` layer feeding it;
//! - [`aggregate`]: per-component totals merged from every thread;
//! - [`sample`]: background samplers (process memory, GPUs);
//! - [`analyse`]: every figure derived from totals and every judgement; merge, compare;
//! - [`render`]: JSON, console, charts, HTML, the Chrome/Perfetto trace: read the
//!   `Report`, compute nothing;
//! - [`live`]: while the program runs, metrics through the `metrics` facade and
//!   budget alerts;
//! - [`session`]: `init()`, the guard that writes the report.

#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod aggregate;
pub mod analyse;
pub mod config;
pub mod layer;
pub mod live;
pub mod model;
mod record;
pub mod render;
pub mod sample;
pub mod session;
mod status;

pub use record::{
    active_config, configure, install_clock, ComponentMeta, Conversation, CountingAllocator,
    InTurn, Turn, TurnScope,
};

/// The fuzz targets' entry points (`fuzz/`): not a public API, not covered by semver.
#[doc(hidden)]
pub mod fuzzing;

/// What `#[profile]` expands to: not a public API, and not covered by semver.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::Kind;
    pub use crate::record::{
        measure_sync, AnyOutcome, Call, FirstItem, InCall, Outcome, OutcomeOf, ResultOutcome, Site,
        SpanEnd,
    };
}
