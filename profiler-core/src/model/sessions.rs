//! `SessionsReport`: conversations (sessions), their turns, E2E per session beside the
//! pooled figure, throughput over all sessions, and the per-session budgets.

use super::component::LatencyStats;
use super::verdict::Severity;
use serde::{Deserialize, Serialize};

/// Sessions (conversations) and the pipeline budgets that hold per session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct SessionsReport {
    /// Sessions opened (`profiler::Conversation`s).
    pub opened: u64,
    /// Most sessions open at the same time (summed over processes in a merged report:
    /// they are taken to have run side by side).
    pub peak_concurrent: u64,
    /// Sessions with a row in `sessions` (at most `max_tracked` per process).
    pub tracked: u64,
    /// The bound on sessions tracked one by one (per process; summed over the
    /// processes of a merged report).
    pub max_tracked: u64,
    /// Sessions opened past that bound: their turns are in the pooled figures only.
    pub untracked: u64,
    /// Turns that belonged to no session.
    pub turns_without_session: u64,
    /// Turns (E2E samples) per second over all sessions.
    pub turns_per_sec: f64,
    /// The pipeline's throughput budget, requests (turns) per second.
    pub turns_per_sec_target: f64,
    /// Throughput against it: `Good` at or above, `Warning` below.
    pub throughput_severity: Severity,
    /// Pooled E2E P95 of every turn, ms, from the merged histogram (never a mean of
    /// the per-session P95s).
    pub pooled_e2e_p95_ms: f64,
    /// The E2E target each session's P95 is judged against, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e2e_target_ms: Option<f64>,
    /// One row per tracked session, in the order they opened.
    pub sessions: Vec<SessionReport>,
    /// The per-session budgets: memory and GPU memory.
    pub budgets: Vec<SessionBudget>,
}

/// One session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct SessionReport {
    /// The session's id.
    pub id: String,
    /// Turns ended in it (E2E samples and interrupted ones).
    pub turns: u64,
    /// Of those, interrupted.
    pub interrupted: u64,
    /// E2E of its turns, ms.
    pub e2e: LatencyStats,
    /// Its E2E P95 against `SessionsReport::e2e_target_ms`.
    pub severity: Severity,
    /// Open to close (or to the report), seconds.
    pub active_sec: f64,
    /// E2E samples per second over `active_sec`.
    pub turns_per_sec: f64,
    /// Whether it was still open when the report was taken.
    pub open: bool,
    /// E2E histogram (ns), encoded like `ComponentReport::histogram`.
    pub histogram: String,
}

/// What a per-session budget limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetResource {
    /// Resident memory, against 4 GB per session.
    Memory,
    /// GPU memory, against 6 GB per session.
    GpuMemory,
}

/// Which figure a per-session budget was judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetBasis {
    /// The process's peak RSS: sessions cannot be told apart, so it bounds each one.
    Process,
    /// The process's peak GPU memory (NVML per-process figures), likewise a bound.
    ProcessGpu,
    /// The devices' peak VRAM used (no per-process figure): other processes included.
    Device,
}

/// One per-session budget judged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionBudget {
    /// What it limits.
    pub resource: BudgetResource,
    /// The limit per session, MB.
    pub limit_mb: f64,
    /// The figure judged, MB (`None`: nothing measured, e.g. no GPU).
    pub measured_mb: Option<f64>,
    /// What the figure is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<BudgetBasis>,
    /// The figure divided by the peak concurrent sessions, MB (for scale only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_concurrent_session_mb: Option<f64>,
    /// The figure against the limit (the latency severity table on its ratio).
    pub severity: Severity,
    /// One line saying what was judged, in the report's language.
    pub note: String,
}
