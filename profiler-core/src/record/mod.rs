//! The hot path: clock, thread-local shards, the call guard, the stream and future
//! wrappers, turns, the counting allocator. A call reads one atomic when profiling is
//! off; when on, two clock reads, a thread-local lookup and a histogram bucket bump,
//! with no lock and no allocation. While a session's samplers run it also counts
//! itself running (a few thread-local stores); inside a turn it takes that turn's lock
//! to leave its interval, before its clock starts and after it stops. No call reads
//! memory: `probe` is read by the samplers, off every call's path.
//!
//! Files, leaves first: `clock`, `context` (what this thread is inside of), `slots`
//! (lazily filled arrays), `histogram` (single-writer HDR buckets), `mode` (the global
//! switch), `probe` (memory reads), `component` (the registry), `settings` (the
//! configuration in force), `shard` (per-thread cells), `alloc`, `site`, `waterfall`
//! (a turn's critical path), `turn_log` (what ended turns leave), `trace` (the
//! bounded ring of timeline events), `nvtx` (ranges for Nsight Systems), `span` (what
//! spans say beyond their fields), `hooks` (trace events and NVTX ranges of a call),
//! `turn`, `conversation`, `call`, `future`, `stream`.

pub(crate) mod alloc;
pub(crate) mod call;
pub(crate) mod clock;
pub(crate) mod component;
pub(crate) mod context;
pub(crate) mod conversation;
pub(crate) mod future;
pub(crate) mod histogram;
pub(crate) mod hooks;
pub(crate) mod mode;
#[cfg(feature = "nvtx")]
pub(crate) mod nvtx;
pub(crate) mod probe;
pub(crate) mod settings;
pub(crate) mod shard;
pub(crate) mod site;
pub(crate) mod slots;
pub(crate) mod span;
pub(crate) mod stream;
pub(crate) mod trace;
pub(crate) mod turn;
pub(crate) mod turn_log;
pub(crate) mod waterfall;

pub use alloc::CountingAllocator;
pub use clock::install as install_clock;
pub use component::ComponentMeta;
pub use conversation::Conversation;
pub use settings::{active as active_config, set_active as configure};
pub use turn::{InTurn, Turn, TurnScope};

#[doc(hidden)]
pub use call::{measure_sync, AnyOutcome, Call, Outcome, OutcomeOf, ResultOutcome};
#[doc(hidden)]
pub use future::InCall;
#[doc(hidden)]
pub use site::Site;
#[doc(hidden)]
pub use span::SpanEnd;
#[doc(hidden)]
pub use stream::FirstItem;
