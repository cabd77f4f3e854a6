//! Core of the `profiler` crate. Users depend on the `profiler` facade; this crate
//! holds the machinery, one module per step of the data flow:
//!
//! ```text
//! model <- config <- record <- aggregate <- sample <- analyse <- render <- session
//!                                                            <- live   <-
//! ```
//!
//! - [`model`]: the serde `Report` and its enums (imports nothing else), with the
//!   histogram encoding and the printable form of outside names (`model::text`);
//! - [`config`]: every environment toggle, parsed;
//! - `record`: the hot path (clock, per-thread shards, the call guard, streams, turns
//!   and conversations, the turn log and waterfall, the trace and NVTX hooks, the
//!   counting allocator), and [`layer`], the `tracing` layer feeding it;
//! - [`aggregate`]: per-component totals merged from every thread, the turn totals and
//!   the trace log;
//! - [`sample`]: background samplers (process memory and its split among components,
//!   GPUs) on one ticker loop;
//! - [`analyse`]: every figure derived from totals and every judgement (targets,
//!   advice, GPU and session checks, alert rules); merge, compare, and the checks of
//!   report files read back (`analyse::validate`);
//! - [`render`]: the outputs, each reading the `Report` and computing nothing:
//!   `render::json`, `render::console`, `render::charts` (PNG, `charts` feature),
//!   `render::html` (one self-contained page), `render::trace` (Chrome/Perfetto),
//!   `render::compare` (the comparison table), with `render::files` (atomic writes)
//!   and `render::mark` (✓ ⚠ ✗);
//! - [`live`]: while the program runs, metrics through the `metrics` facade (and
//!   Prometheus with the `prometheus` feature) and budget alerts;
//! - [`session`]: `init()`, the guard that writes the report, periodic dumps and the
//!   signal handler;
//! - `status`: the one way the profiler speaks (a line on stderr, never stdout).

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
