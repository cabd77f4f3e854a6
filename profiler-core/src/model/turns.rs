//! `TurnReport`: turns (question-answer rounds), the waterfall of their end-to-end
//! latency, interruptions, and the slow turns one by one.
//!
//! The waterfall splits each turn's E2E latency (turn start to the first response
//! item) into parts that add up to it exactly: the time each stage was on the critical
//! path, and named gaps where no profiled stage was. Its shares are shares of *delay*
//! and add up to 100 %, unlike `shares_pct` (share of turn time, where stages that run
//! inside one another overlap).

use super::component::LatencyStats;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Turns: count, each stage's share of turn time, the E2E waterfall, interruptions
/// and kept per-turn records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct TurnReport {
    /// Turns completed.
    pub count: u64,
    /// Mean whole-turn time, ms.
    pub mean_turn_ms: f64,
    /// Component -> percent of turn time (stages may overlap when they stream
    /// concurrently, so shares can sum past 100).
    pub shares_pct: IndexMap<String, f64>,
    /// The shares summed, percent.
    #[serde(default)]
    pub shares_sum_pct: f64,
    /// Whether the shares overlap (sum past 100 %).
    #[serde(default)]
    pub shares_overlap: bool,
    /// The E2E latency split into critical-path parts that sum to it (turns with an
    /// E2E sample only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waterfall: Option<Waterfall>,
    /// Turns the user barged into, and how long the response went on after the mark.
    #[serde(default)]
    pub interruptions: Interruptions,
    /// Per-turn records, slowest first: see `records_kept` for which turns are here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<TurnRecord>,
    /// Which turns `records` holds.
    #[serde(default)]
    pub records_kept: RecordsKept,
}

impl TurnReport {
    /// The kept turn the waterfall names as its P50 (`KeptAs::P50`) or P95
    /// (`KeptAs::P95`) turn: the record of that id carrying that mark (a merged report
    /// may keep two turns of one id, from two processes), else the first of that id.
    pub fn marked_turn(&self, mark: KeptAs) -> Option<&TurnRecord> {
        let w = self.waterfall.as_ref()?;
        let id = match mark {
            KeptAs::P50 => w.p50_turn,
            KeptAs::P95 => w.p95_turn,
            KeptAs::Slowest | KeptAs::Sample => None,
        }?;
        let of_id = || self.records.iter().filter(move |r| r.id == id);
        of_id()
            .find(|r| r.kept_as.contains(&mark))
            .or_else(|| of_id().next())
    }
}

/// The E2E latency of turns as the sum of its critical-path parts.
///
/// Each turn is walked back from its response (the first item of its response
/// stream): the stage whose result came last before the current point is on the path
/// until that point (a call: from its start to its end; a stream: from its start to its
/// first item, then `<stage>:streaming` while the next stage waited on more of it), the
/// time between that result and the point is a gap, and the walk goes on from the
/// stage's start. Stages running beside the path are not counted; nothing is counted
/// twice, and the parts of a turn add up to its E2E latency exactly (in ns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Waterfall {
    /// Turns behind the waterfall (every turn with an E2E sample).
    pub turns: u64,
    /// Mean E2E of those turns, ms (the sum of the parts' means).
    pub mean_e2e_ms: f64,
    /// Summed E2E of those turns, ns (exact: the parts' `total_ns` add up to it).
    pub total_e2e_ns: u64,
    /// The parts, in the order they sit on the path (by mean offset in the turn).
    pub parts: Vec<WaterfallPart>,
    /// The parts' shares summed, percent (100 up to rounding).
    pub shares_sum_pct: f64,
    /// Id of the kept turn (in `TurnReport::records`) whose E2E is nearest the P50.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_turn: Option<u64>,
    /// Id of the kept turn whose E2E is nearest the P95.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_turn: Option<u64>,
}

/// What a waterfall part is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// A stage on the path until its result (a call's end, a stream's first item).
    #[default]
    Stage,
    /// A stream on the path after its first item: the next stage waited for more of it.
    Streaming,
    /// No profiled stage on the path: queueing, endpointing waits, glue code.
    Gap,
    /// Parts past the bound on distinct parts, together.
    Other,
}

/// One part of the waterfall, across turns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct WaterfallPart {
    /// `stt`, `llm:streaming`, `gap:stt->llm`, `gap:start->stt`, `gap:llm->response`.
    pub name: String,
    /// What the part is.
    pub kind: PartKind,
    /// The stage (stage and streaming parts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// Gaps: the stage whose result opens the gap (`start`: the turn's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    /// Gaps: the stage the gap leads to (`response`: the response mark).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// Turns in which the part was on the path.
    pub turns_with: u64,
    /// Share of the summed E2E, percent (the shares add up to 100).
    pub share_pct: f64,
    /// Per-turn time on the path, ms, across every waterfall turn (0 where absent).
    pub per_turn: LatencyStats,
    /// Summed time on the path, ns (exact).
    pub total_ns: u64,
    /// Summed offset from turn start to where the part begins, ns (orders the parts).
    pub offset_ns: u64,
    /// Per-turn time histogram (ns), encoded like `ComponentReport::histogram`.
    pub histogram: String,
}

/// Turns the user interrupted (barge-in).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Interruptions {
    /// Turns marked interrupted.
    pub count: u64,
    /// Of those, marked before the response began (no E2E sample, counted cancelled).
    pub before_response: u64,
    /// Interrupted turns in percent of all turns (E2E samples and interrupted before
    /// the response).
    pub rate_pct: f64,
    /// Interruption latency, ms: the mark to the response stream being dropped (how
    /// long the bot kept talking). Only turns with a response stream open at the mark.
    pub latency: LatencyStats,
    /// Interruption latency histogram (ns), encoded like `ComponentReport::histogram`.
    pub histogram: String,
}

/// How a turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TurnOutcome {
    /// The response began (its first item, or `respond()`).
    #[default]
    Responded,
    /// Ended with no response mark: the E2E is the whole turn.
    NoResponse,
    /// Interrupted after the response began.
    Interrupted,
    /// Interrupted before the response began: no E2E sample.
    InterruptedBeforeResponse,
}

impl TurnOutcome {
    /// Every outcome.
    pub const ALL: [TurnOutcome; 4] = [
        TurnOutcome::Responded,
        TurnOutcome::NoResponse,
        TurnOutcome::Interrupted,
        TurnOutcome::InterruptedBeforeResponse,
    ];

    /// Its name, as in the JSON (`responded`, `no_response`, ...).
    pub fn name(self) -> &'static str {
        match self {
            TurnOutcome::Responded => "responded",
            TurnOutcome::NoResponse => "no_response",
            TurnOutcome::Interrupted => "interrupted",
            TurnOutcome::InterruptedBeforeResponse => "interrupted_before_response",
        }
    }
}

/// Why a turn is among the kept records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeptAs {
    /// Among the slowest turns.
    Slowest,
    /// In the uniform sample of all turns.
    Sample,
    /// The kept turn nearest the E2E P50.
    P50,
    /// The kept turn nearest the E2E P95.
    P95,
}

/// One turn, with its waterfall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct TurnRecord {
    /// The turn's number in its process (from 1, in start order).
    pub id: u64,
    /// Its session (conversation), if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// E2E latency, ms (`None` when interrupted before the response).
    pub e2e_ms: Option<f64>,
    /// How it ended.
    pub outcome: TurnOutcome,
    /// Part -> ms on the path, in path order; sums to `e2e_ms` (or, interrupted before
    /// the response, to the time until the interruption).
    pub waterfall: IndexMap<String, f64>,
    /// Seconds from the profiler's start to the turn's start.
    pub started_at_sec: f64,
    /// Interruption mark to the response stream being dropped, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruption_ms: Option<f64>,
    /// Why this turn was kept.
    #[serde(default)]
    pub kept_as: Vec<KeptAs>,
}

/// Which turns `TurnReport::records` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct RecordsKept {
    /// The slowest turns by E2E, at most this many.
    pub slowest: u64,
    /// A uniform sample of all turns (reservoir), at most this many.
    pub sample: u64,
    /// Turns the records were chosen from.
    pub of_turns: u64,
}

#[cfg(test)]
mod tests {
    use super::TurnOutcome;

    #[test]
    fn an_outcome_is_named_as_in_the_json() {
        for o in TurnOutcome::ALL {
            assert_eq!(serde_json::to_value(o).unwrap(), o.name());
        }
    }
}
