//! One component's figures: `ComponentReport` and the types inside it.

use super::verdict::{LeakVerdict, Severity};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a component's latency sample means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Call start to completion.
    #[default]
    Latency,
    /// Call start to the first item of the returned stream (TTFT / TTFB).
    FirstItem,
    /// A latency per rendered frame; the report adds achieved FPS.
    Frame,
    /// One question-answer round: turn start to the first response item.
    Turn,
}

impl Kind {
    /// Its name, as in the JSON and the metrics' `kind` label (`latency`, `first_item`,
    /// `frame`, `turn`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Latency => "latency",
            Kind::FirstItem => "first_item",
            Kind::Frame => "frame",
            Kind::Turn => "turn",
        }
    }
}

/// Where a component's measurements come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `#[profile]` functions.
    #[default]
    Profile,
    /// `tracing` spans from other code carrying a `component` field.
    Span,
    /// `profiler::Turn`.
    Turn,
}

/// Where a component's target came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetSource {
    /// `target_ms` in `#[profile]`.
    Attribute,
    /// `PROFILER_TARGET_<NAME>_MS`.
    Env,
    /// The built-in default of a well-known component name.
    Default,
}

/// Latency figures in milliseconds, from an HDR histogram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct LatencyStats {
    /// Samples in the histogram.
    pub count: u64,
    /// Mean, ms.
    pub mean: f64,
    /// Median (P50), ms.
    pub median: f64,
    /// 95th percentile, ms.
    pub p95: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Standard deviation, ms.
    pub std: f64,
    /// Smallest sample, ms.
    pub min: f64,
    /// Largest sample, ms.
    pub max: f64,
}

/// Calls by how they ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Counts {
    /// Latency samples (completed, not warm-up).
    pub samples: u64,
    /// Calls that returned `Err` (or panicked).
    pub errors: u64,
    /// Futures and streams dropped before completion (no sample).
    pub cancelled: u64,
    /// Completed calls left out as warm-up.
    pub warmup_excluded: u64,
    /// Samples longer than the recording range (2^40 ns, about 18.3 minutes), counted
    /// at its top: their true latency is longer than the histogram says.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub clamped: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Each percentile judged against the component's P95 target (the severity table
/// applied to P50 and P99 too), for renderers that mark every bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PercentileSeverity {
    /// The median against the target.
    pub p50: Severity,
    /// The 95th percentile against the target (the component's severity).
    pub p95: Severity,
    /// The 99th percentile against the target.
    pub p99: Severity,
}

/// How spread out the latencies are: the coefficient of variation (std / mean),
/// marked over 0.3 (warning) and 0.6 (critical).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Variability {
    /// Standard deviation over mean.
    pub cv: f64,
    /// `Good`, `Warning` (cv > 0.3) or `Critical` (cv > 0.6).
    pub severity: Severity,
}

/// One component's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct ComponentReport {
    /// What the latency sample means.
    pub kind: Kind,
    /// Where the measurements come from.
    pub source: Source,
    /// Functions (or span names) that record into this component.
    pub functions: Vec<String>,
    /// Labels from the attribute (`provider`, `model`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Latency (first item for streams, E2E for turns), ms.
    pub latency: LatencyStats,
    /// The P95 budget, ms.
    pub target_ms: Option<f64>,
    /// Where the budget came from.
    pub target_source: Option<TargetSource>,
    /// P95 against the target.
    pub severity: Severity,
    /// P95 / target (1.1 = 10 % over).
    pub target_ratio: Option<f64>,
    /// P50, P95 and P99 each against the target (`None` without a target or samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile_severity: Option<PercentileSeverity>,
    /// The spread of the latencies (`None` without samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variability: Option<Variability>,
    /// Calls by how they ended.
    pub counts: Counts,
    /// Completed calls per second over the component's active window (scaled by the
    /// sampling rate).
    pub throughput_per_sec: f64,
    /// The throughput budget this component is held to (turns: the pipeline's
    /// requests per second over all sessions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_target_per_sec: Option<f64>,
    /// Throughput against its budget: `Good` at or above it, `Warning` below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput_severity: Option<Severity>,
    /// First sample start to last sample end, seconds.
    pub active_sec: f64,
    /// The component's memory growth after warm-up, MB, measured, never extrapolated:
    /// with the owner-tracking allocator, the live heap bytes its calls gained since
    /// the baseline; otherwise its share of the process's RSS change since the
    /// baseline (see `ComponentMemory`). The leak verdict judges this figure.
    /// `null` when neither was measured.
    pub memory_delta_mb: Option<f64>,
    /// What the component's memory figures are and how they were measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<ComponentMemory>,
    /// Whole-stream figures (`first_item` components).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamReport>,
    /// Frames per second one render loop sustains, 1000 / mean frame time (frame
    /// components). 25 FPS needs frames under 40 ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Frames per second at the P95 frame time, 1000 / P95 (frame components).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps_p95: Option<f64>,
    /// `fps_p95` against 25 FPS: `Good` at or above, `Warning` from 20, `Critical` below.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps_severity: Option<Severity>,
    /// Share of turn time spent in this component, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_share_pct: Option<f64>,
    /// Allocations made while the component ran (counting allocator installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocations: Option<AllocationReport>,
    /// GPU figures sampled while this component was running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<ComponentGpu>,
    /// Latency histogram (ns), HDR V2 + deflate, base64: merge and compare exactly.
    pub histogram: String,
}

/// What a component's `memory_delta_mb` and leak verdict are based on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MemoryBasis {
    /// Its share of the process's RSS changes (no owner-tracking allocator).
    #[default]
    RssShare,
    /// Heap bytes its calls allocated and still hold (owner-tracking allocator).
    LiveHeap,
}

/// A component's memory: its share of the process's RSS changes and, with the
/// owner-tracking allocator, the heap bytes its calls allocated and still hold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct ComponentMemory {
    /// What `memory_delta_mb` and `leak` are based on.
    #[serde(default)]
    pub basis: MemoryBasis,
    /// Its share of the process's RSS changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_share: Option<RssShare>,
    /// Heap bytes of its calls (owner-tracking allocator installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heap: Option<HeapMemory>,
    /// Leak verdict of the growth after warm-up (`memory_delta_mb`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakVerdict>,
}

/// A component's share of the process's RSS changes: each change between two probes
/// is split among the components that ran in that interval, by their running time
/// (the change of an interval in which none ran is left unattributed), so the shares
/// of all components and the unattributed part add up to the process's change
/// (`MemoryReport::attribution`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct RssShare {
    /// Probe intervals in which it ran.
    #[serde(default)]
    pub probes: u64,
    /// Its running time in them, seconds.
    #[serde(default)]
    pub running_sec: f64,
    /// Its share of the RSS change over the run, MB.
    #[serde(default)]
    pub share_mb: f64,
    /// Its share since the baseline taken after warm-up, MB.
    #[serde(default)]
    pub since_baseline_mb: f64,
    /// `since_baseline_mb` per minute since the baseline.
    #[serde(default)]
    pub growth_mb_per_min: f64,
    /// The process's RSS at the start of the first interval it ran in, MB (all
    /// components' memory, not its own).
    #[serde(default)]
    pub process_rss_first_mb: f64,
    /// The process's RSS at the end of the last interval it ran in, MB.
    #[serde(default)]
    pub process_rss_last_mb: f64,
    /// The process's VMS at the start of the first interval it ran in, MB.
    #[serde(default)]
    pub process_vms_first_mb: f64,
    /// The process's VMS at the end of the last interval it ran in, MB.
    #[serde(default)]
    pub process_vms_last_mb: f64,
}

/// Heap bytes a component's calls allocated (owner-tracking allocator: a block freed
/// by another component or thread is still credited to the component that allocated it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct HeapMemory {
    /// Bytes allocated, MB.
    #[serde(default)]
    pub allocated_mb: f64,
    /// Bytes of its blocks freed, MB.
    #[serde(default)]
    pub freed_mb: f64,
    /// Bytes still live (allocated minus freed), MB.
    #[serde(default)]
    pub live_mb: f64,
    /// Live bytes gained since the baseline taken after warm-up, MB.
    #[serde(default)]
    pub since_baseline_mb: f64,
    /// `since_baseline_mb` per minute since the baseline.
    #[serde(default)]
    pub growth_mb_per_min: f64,
}

/// Whole-stream figures of a `first_item` component.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct StreamReport {
    /// Call start to stream end, ms (completed streams).
    pub total: LatencyStats,
    /// Streams that ran to their end.
    pub completed: u64,
    /// Streams dropped after their first item.
    pub cancelled: u64,
    /// Items of completed and cancelled streams.
    pub items: u64,
    /// Items per stream.
    pub items_per_stream: f64,
    /// Items per second of stream time.
    pub items_per_sec: f64,
    /// Whole-stream histogram (ns), encoded like `ComponentReport::histogram`.
    pub histogram: String,
}

/// Allocations made while the component ran (counting allocator installed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct AllocationReport {
    /// Bytes allocated.
    pub bytes: u64,
    /// Allocations made.
    pub count: u64,
    /// Bytes per call (completed, failed and warm-up calls).
    pub bytes_per_call: f64,
    /// Allocations per call.
    pub count_per_call: f64,
}

/// GPU figures from samples taken while the component was running.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct ComponentGpu {
    /// GPU samples taken while a call of this component ran.
    pub samples: u64,
    /// Mean utilisation over those samples, percent.
    pub mean_util_pct: f64,
    /// Highest utilisation, percent.
    pub max_util_pct: f64,
    /// Mean VRAM used (all devices), MB.
    pub mean_vram_used_mb: f64,
    /// Highest VRAM used (all devices), MB.
    pub max_vram_used_mb: f64,
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn a_kind_is_named_as_in_the_json() {
        for k in [Kind::Latency, Kind::FirstItem, Kind::Frame, Kind::Turn] {
            assert_eq!(serde_json::to_value(k).unwrap(), k.name());
        }
    }
}
