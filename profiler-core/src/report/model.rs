//! The `Report`: one serde type read by every renderer (console, JSON, charts) and by
//! the `profiler` command (compare, merge, show). Renderers never recompute a
//! statistic; they read these fields.
//!
//! The seed tool's field paths are kept so existing scripts work:
//! `components.<NAME>.latency.{mean,median,p95,p99,std,min,max}` (ms),
//! `components.<NAME>.memory_delta_mb`, `components.<NAME>.throughput_per_sec`,
//! `timestamp`, `duration_sec`, `bottlenecks`, `recommendations`.

use crate::config::Lang;
use crate::record::component::{Kind, Source};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Schema identifier written in every report; readers refuse other schemas.
pub const SCHEMA: &str = "profiler.report/1";

/// A whole profiling report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    /// Local time the report was taken, `YYYY-MM-DDTHH:MM:SS`.
    pub timestamp: String,
    /// Seconds from the profiler's start to the report.
    pub duration_sec: f64,
    pub lang: Lang,
    /// Per component, in the order they first ran.
    pub components: IndexMap<String, ComponentReport>,
    /// Turn shares and counts, when turns were marked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turns: Option<TurnReport>,
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
    pub run: RunInfo,
}

/// How the run was profiled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct RunInfo {
    pub program: String,
    pub pid: u32,
    pub sample_rate: f64,
    pub warmup: u64,
    /// Number of reports merged into this one (1 for a single process).
    #[serde(default = "one")]
    pub merged_from: u32,
}

fn one() -> u32 {
    1
}

/// Latency figures in milliseconds, from an HDR histogram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct LatencyStats {
    pub count: u64,
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    pub std: f64,
    pub min: f64,
    pub max: f64,
}

/// Severity of a P95 against its target: Critical > 2x, High > 1.5x, Medium > 1.2x,
/// Warning above 1x.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Good,
    Warning,
    Medium,
    High,
    Critical,
}

/// Where a component's target came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    Attribute,
    Env,
    Default,
}

/// Calls by how they ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Counts {
    /// Latency samples (completed, not warm-up).
    pub samples: u64,
    /// Calls that returned `Err` (or panicked).
    pub errors: u64,
    /// Futures and streams dropped before completion (no sample).
    pub cancelled: u64,
    /// Completed calls left out as warm-up.
    pub warmup_excluded: u64,
}

/// One component's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComponentReport {
    pub kind: Kind,
    pub source: Source,
    pub functions: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Latency (first item for streams, E2E for turns), ms.
    pub latency: LatencyStats,
    pub target_ms: Option<f64>,
    pub target_source: Option<TargetSource>,
    pub severity: Severity,
    /// P95 / target (1.1 = 10 % over).
    pub target_ratio: Option<f64>,
    pub counts: Counts,
    /// Completed calls per second over the component's active window (scaled by the
    /// sampling rate).
    pub throughput_per_sec: f64,
    /// First sample start to last sample end, seconds.
    pub active_sec: f64,
    /// Estimated RSS growth over all calls, MB (summed per-call deltas of the sampled
    /// calls, scaled to all calls); `null` when no call was sampled.
    pub memory_delta_mb: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ComponentMemory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamReport>,
    /// Frames per second one render loop sustains, 1000 / mean frame time (frame
    /// components). 25 FPS needs frames under 40 ms; the console also marks 1000 / P95.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Share of turn time spent in this component, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_share_pct: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<AllocationReport>,
    /// GPU figures sampled while this component was running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<ComponentGpu>,
    /// Latency histogram (ns), HDR V2 + deflate, base64: merge and compare exactly.
    pub histogram: String,
}

/// Memory read around this component's calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct ComponentMemory {
    pub sampled_calls: u64,
    pub rss_before_mb: f64,
    pub rss_after_mb: f64,
    pub vms_before_mb: f64,
    pub vms_after_mb: f64,
    /// Summed RSS delta of the sampled calls, MB.
    pub measured_delta_mb: f64,
    /// Largest RSS delta of one call, MB.
    pub worst_delta_mb: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakVerdict>,
}

impl ComponentMemory {
    /// Merges another process's or thread's readings, as the recording side merges
    /// threads (`aggregate::MemoryTotals::merge`): before is the lowest, after the
    /// highest, deltas are summed, the worst delta is the largest. The leak verdict is
    /// left for `analyse::assess` to judge again.
    pub fn merge(&mut self, o: &ComponentMemory) {
        self.sampled_calls += o.sampled_calls;
        self.rss_before_mb = self.rss_before_mb.min(o.rss_before_mb);
        self.vms_before_mb = self.vms_before_mb.min(o.vms_before_mb);
        self.rss_after_mb = self.rss_after_mb.max(o.rss_after_mb);
        self.vms_after_mb = self.vms_after_mb.max(o.vms_after_mb);
        self.measured_delta_mb += o.measured_delta_mb;
        self.worst_delta_mb = self.worst_delta_mb.max(o.worst_delta_mb);
        self.leak = None;
    }
}

/// Leak verdict: delta > 100 MB suspected, > 200 MB certain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakVerdict {
    Suspected,
    Certain,
}

/// Whole-stream figures of a `first_item` component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct StreamReport {
    /// Call start to stream end, ms (completed streams).
    pub total: LatencyStats,
    pub completed: u64,
    /// Streams dropped after their first item.
    pub cancelled: u64,
    pub items: u64,
    pub items_per_stream: f64,
    /// Items per second of stream time.
    pub items_per_sec: f64,
    pub histogram: String,
}

/// Allocations made while the component ran (counting allocator installed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct AllocationReport {
    pub bytes: u64,
    pub count: u64,
    pub bytes_per_call: f64,
    pub count_per_call: f64,
}

/// GPU figures from samples taken while the component was running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct ComponentGpu {
    pub samples: u64,
    pub mean_util_pct: f64,
    pub max_util_pct: f64,
    pub mean_vram_used_mb: f64,
    pub max_vram_used_mb: f64,
}

/// Turns: count and each stage's share of turn time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct TurnReport {
    pub count: u64,
    /// Mean whole-turn time, ms.
    pub mean_turn_ms: f64,
    /// Component -> percent of turn time (stages may overlap when they stream
    /// concurrently, so shares can sum past 100).
    pub shares_pct: IndexMap<String, f64>,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Latency,
    Turn,
    Errors,
    Memory,
    GpuMemory,
    GpuUtilisation,
    GpuTemperature,
}

/// One bottleneck with its recommendation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub component: String,
    pub kind: FindingKind,
    pub severity: Severity,
    pub measured: f64,
    pub target: f64,
    pub unit: String,
    pub message: String,
    pub recommendation: String,
}

/// Process memory over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct MemoryReport {
    pub interval_ms: u64,
    /// RSS after warm-up (the first sample once every component's warm-up is over).
    pub baseline_rss_mb: f64,
    pub baseline_at_sec: f64,
    pub final_rss_mb: f64,
    pub peak_rss_mb: f64,
    /// Final minus baseline RSS, MB.
    pub growth_mb: f64,
    pub growth_mb_per_min: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakVerdict>,
    pub timeline: Vec<MemoryPoint>,
}

/// One memory sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryPoint {
    pub t_sec: f64,
    pub rss_mb: f64,
    pub vms_mb: f64,
}

/// GPU samples per device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuReport {
    pub available: bool,
    /// Why there are no GPU figures (no driver, no device, switched off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub interval_ms: u64,
    pub devices: Vec<GpuDevice>,
}

/// One GPU's samples and summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuDevice {
    pub index: u32,
    pub name: String,
    pub vram_total_mb: f64,
    pub mean_util_pct: f64,
    pub max_util_pct: f64,
    pub max_vram_used_mb: f64,
    pub max_vram_pct: f64,
    pub max_temperature_c: f64,
    pub max_power_w: f64,
    /// Throttle reasons seen during the run.
    pub throttle_reasons: Vec<String>,
    pub samples: Vec<GpuPoint>,
}

/// One GPU sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuPoint {
    pub t_sec: f64,
    pub util_pct: f64,
    pub vram_used_mb: f64,
    pub vram_pct: f64,
    pub temperature_c: f64,
    pub power_w: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle_reasons: Vec<String>,
    /// VRAM used by this process, MB (when the driver reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_vram_mb: Option<f64>,
}
