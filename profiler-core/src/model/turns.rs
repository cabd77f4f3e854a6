//! `TurnReport`: turns (question-answer rounds) and each stage's share of them.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// Turns: count and each stage's share of turn time.
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
}
