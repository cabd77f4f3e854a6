//! `TraceLog`: the timeline of the latest calls, streams and turns that the `trace`
//! format writes as a Chrome/Perfetto trace. It travels with the `Report` a live
//! session builds (never in the JSON file: it is the trace file's own content).

use super::component::Kind;
use super::turns::TurnOutcome;
use std::collections::BTreeMap;

/// The recorded timeline, as the trace renderer reads it. Times are nanoseconds on
/// the profiler's clock since its epoch (its first clock read).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TraceLog {
    /// Events the recorder keeps at most (`PROFILER_TRACE_MAX_EVENTS`): past it, the
    /// oldest are overwritten (a ring of the latest events).
    pub capacity: u64,
    /// Events recorded since tracing started, kept or not.
    pub recorded: u64,
    /// Kept spans, in the order they ended.
    pub spans: Vec<TraceSpan>,
    /// Components the spans name (`TraceSpan::component` indexes this).
    pub components: Vec<TraceComponent>,
    /// Thread numbers and names (`TraceSpan::thread`).
    pub threads: BTreeMap<u32, String>,
    /// Where the report's memory and GPU timelines begin (their `t_sec` 0), on the
    /// trace's clock; `None` when the report has no samplers.
    pub samplers_at_ns: Option<u64>,
}

impl TraceLog {
    /// Events recorded but not kept (overwritten by later ones, or lost to a writer
    /// lapped on its slot).
    pub fn dropped(&self) -> u64 {
        self.recorded.saturating_sub(self.spans.len() as u64)
    }
}

/// A component as the trace shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceComponent {
    /// Its name.
    pub name: String,
    /// What its latency sample means.
    pub kind: Kind,
    /// Its labels (`provider`, `model`, ...).
    pub labels: BTreeMap<String, String>,
}

/// What a span stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceSpanKind {
    /// A call of a sync or async function (or a span from other code).
    Call,
    /// A `first_item` stream, from its call to its end or drop.
    Stream,
    /// A turn, from its start to its end.
    Turn,
}

impl TraceSpanKind {
    /// `call`, `stream` or `turn`.
    pub fn name(self) -> &'static str {
        match self {
            TraceSpanKind::Call => "call",
            TraceSpanKind::Stream => "stream",
            TraceSpanKind::Turn => "turn",
        }
    }
}

/// How a span ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceOutcome {
    /// Completed.
    Ok,
    /// Returned `Err` or panicked.
    Error,
    /// Dropped before it completed (or ended after its turn was interrupted).
    Cancelled,
    /// How a turn ended.
    Turn(TurnOutcome),
}

impl TraceOutcome {
    /// `ok`, `error`, `cancelled`, or the turn outcome's name.
    pub fn name(self) -> &'static str {
        match self {
            TraceOutcome::Ok => "ok",
            TraceOutcome::Error => "error",
            TraceOutcome::Cancelled => "cancelled",
            TraceOutcome::Turn(t) => t.name(),
        }
    }
}

/// One call, stream or turn on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSpan {
    /// What it stands for.
    pub kind: TraceSpanKind,
    /// Index of its component in `TraceLog::components`.
    pub component: u32,
    /// Start, ns.
    pub start_ns: u64,
    /// End (or drop), ns.
    pub end_ns: u64,
    /// First item of a stream, first response of a turn, ns.
    pub first_ns: Option<u64>,
    /// When a turn was interrupted, ns.
    pub interrupted_ns: Option<u64>,
    /// Items a stream yielded.
    pub items: u64,
    /// How it ended.
    pub outcome: TraceOutcome,
    /// The thread it began on (`TraceLog::threads`; 0: unknown).
    pub thread: u32,
    /// The turn it belongs to (a turn's own id for turns).
    pub turn: Option<u64>,
    /// The session (conversation) of its turn.
    pub session: Option<String>,
}
