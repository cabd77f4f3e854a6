//! `Report`: a whole profiling report, and how the run was profiled.

use super::component::ComponentReport;
use super::lang::Lang;
use super::resources::{GpuReport, MemoryReport};
use super::sessions::SessionsReport;
use super::trace::TraceLog;
use super::turns::TurnReport;
use super::verdict::Finding;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Schema identifier written in every report; readers refuse other schemas.
pub const SCHEMA: &str = "profiler.report/1";

/// A whole profiling report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Local time the report was taken, `YYYY-MM-DDTHH:MM:SS`.
    pub timestamp: String,
    /// Seconds from the profiler's start to the report.
    pub duration_sec: f64,
    /// Language of messages and recommendations.
    pub lang: Lang,
    /// Per component, in the order they first ran.
    pub components: IndexMap<String, ComponentReport>,
    /// Turn shares and counts, when turns were marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns: Option<TurnReport>,
    /// Sessions (conversations), throughput over them and the per-session budgets,
    /// when turns were marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<SessionsReport>,
    /// One line per finding, in the report's language (seed format).
    pub bottlenecks: Vec<String>,
    /// One recommendation per finding, in the report's language.
    pub recommendations: Vec<String>,
    /// The findings behind `bottlenecks` and `recommendations`, structured.
    pub findings: Vec<Finding>,
    /// Process memory timeline, baseline and growth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<MemoryReport>,
    /// GPU samples; `available: false` with the reason when there is no NVML.
    #[serde(default)]
    pub gpu: GpuReport,
    /// How the run was profiled.
    pub run: RunInfo,
    /// The timeline of the latest calls, streams and turns, when the `trace` format
    /// was asked for in the live session that built this report. Not in the JSON: it
    /// is what `trace_<ts>.json` holds.
    #[serde(skip)]
    pub trace: Option<Arc<TraceLog>>,
}

/// How the run was profiled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct RunInfo {
    /// The program (its first argument).
    pub program: String,
    /// Its process id (0 for a report merged from several processes).
    pub pid: u32,
    /// Share of calls measured (`PROFILER_SAMPLE_RATE`).
    pub sample_rate: f64,
    /// Calls per component left out as warm-up (`PROFILER_WARMUP`).
    pub warmup: u64,
    /// Number of reports merged into this one (1 for a single process).
    #[serde(default = "one")]
    pub merged_from: u32,
}

fn one() -> u32 {
    1
}
