//! Process memory and GPU figures over the run.

use super::verdict::{LeakVerdict, Severity};
use serde::{Deserialize, Serialize};

/// Process memory over the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct MemoryReport {
    /// Milliseconds between two kept timeline points.
    pub interval_ms: u64,
    /// RSS after warm-up (the first sample once every component's warm-up is over).
    pub baseline_rss_mb: f64,
    /// When the baseline was taken, seconds since the start.
    pub baseline_at_sec: f64,
    /// RSS at the end, MB.
    pub final_rss_mb: f64,
    /// Highest RSS sampled, MB.
    pub peak_rss_mb: f64,
    /// Final minus baseline RSS, MB.
    pub growth_mb: f64,
    /// Growth per minute since the baseline, MB.
    pub growth_mb_per_min: f64,
    /// Leak verdict of the growth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak: Option<LeakVerdict>,
    /// The sampled timeline (thinned on long runs).
    pub timeline: Vec<MemoryPoint>,
    /// How the RSS changes were split among the components, and what the probes cost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<MemoryAttribution>,
}

/// The RSS changes split among the components (each component's part is its
/// `memory.rss_share`): over the probes' window, the components' shares plus the
/// unattributed part equal the process's change, to the byte.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct MemoryAttribution {
    /// Intervals closed by a probe.
    pub probes: u64,
    /// Process RSS at the first probe, MB.
    pub first_rss_mb: f64,
    /// Process RSS at the last probe, MB.
    pub last_rss_mb: f64,
    /// The change between them, MB: `attributed_mb` plus `unattributed_mb`.
    pub change_mb: f64,
    /// The components' shares, summed, MB.
    pub attributed_mb: f64,
    /// The part of the change in intervals in which no component ran, and the shares'
    /// rounding, MB.
    pub unattributed_mb: f64,
    /// Running time of all components' calls, summed (overlapping calls each), seconds.
    pub running_sec: f64,
    /// CPU time the probes took, measured as they ran (the sampler thread's, wake-ups
    /// included), ms.
    pub probe_cpu_ms: f64,
    /// Mean CPU time of one probe, microseconds.
    pub mean_probe_us: f64,
    /// The probes' CPU time beyond one read per timeline interval (the timeline's own),
    /// as a percentage of `running_sec`: what `PROFILER_MEMORY_OVERHEAD_PCT` bounds.
    pub cost_pct: f64,
    /// `PROFILER_MEMORY_OVERHEAD_PCT` in force.
    pub budget_pct: f64,
}

/// One memory sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryPoint {
    /// Seconds since the start.
    pub t_sec: f64,
    /// Resident set size, MB.
    pub rss_mb: f64,
    /// Virtual memory size, MB.
    pub vms_mb: f64,
}

/// The thresholds GPU figures are judged against (the spec's defaults).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GpuThresholds {
    /// VRAM use over this share of the total is a memory shortage, percent.
    pub vram_shortage_pct: f64,
    /// Mean utilisation under this is likely CPU-bound, percent.
    pub low_utilisation_pct: f64,
    /// Temperature over this means throttling, Celsius.
    pub hot_c: f64,
}

impl Default for GpuThresholds {
    fn default() -> Self {
        GpuThresholds {
            vram_shortage_pct: 90.0,
            low_utilisation_pct: 30.0,
            hot_c: 85.0,
        }
    }
}

/// GPU samples per device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuReport {
    /// Whether GPU figures could be sampled.
    pub available: bool,
    /// Why there are no GPU figures (no driver, no device, switched off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Sampling interval, ms.
    pub interval_ms: u64,
    /// The thresholds the devices were judged against.
    #[serde(default)]
    pub thresholds: GpuThresholds,
    /// Every sampled device.
    pub devices: Vec<GpuDevice>,
}

/// One GPU's figures against the thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GpuChecks {
    /// Peak VRAM share against the shortage threshold.
    pub vram: Severity,
    /// Mean utilisation against the CPU-bound threshold.
    pub utilisation: Severity,
    /// Peak temperature against the throttling threshold.
    pub temperature: Severity,
}

/// One GPU's samples and summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuDevice {
    /// NVML device index.
    pub index: u32,
    /// Device name.
    pub name: String,
    /// Total VRAM, MB.
    pub vram_total_mb: f64,
    /// Mean utilisation, percent.
    pub mean_util_pct: f64,
    /// Highest utilisation, percent.
    pub max_util_pct: f64,
    /// Highest VRAM used, MB.
    pub max_vram_used_mb: f64,
    /// Highest VRAM used, percent of the total.
    pub max_vram_pct: f64,
    /// Highest temperature, Celsius.
    pub max_temperature_c: f64,
    /// Highest power draw, W.
    pub max_power_w: f64,
    /// Throttle reasons seen during the run.
    pub throttle_reasons: Vec<String>,
    /// The figures above judged against `GpuReport::thresholds`.
    #[serde(default)]
    pub checks: GpuChecks,
    /// The sampled timeline (thinned on long runs).
    pub samples: Vec<GpuPoint>,
}

/// One GPU sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct GpuPoint {
    /// Seconds since the start.
    pub t_sec: f64,
    /// Utilisation, percent (NVML's average over its last period).
    pub util_pct: f64,
    /// VRAM used on the device, MB.
    pub vram_used_mb: f64,
    /// VRAM used, percent of the total.
    pub vram_pct: f64,
    /// Temperature, Celsius.
    pub temperature_c: f64,
    /// Power draw, W.
    pub power_w: f64,
    /// Active throttle reasons.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub throttle_reasons: Vec<String>,
    /// VRAM used by this process, MB (when the driver reports it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_vram_mb: Option<f64>,
}
