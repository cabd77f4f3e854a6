//! Verdicts: `Severity`, `LeakVerdict` and the `Finding`s built from them.

use serde::{Deserialize, Serialize};

/// Severity of a figure against its target. For a P95 against its budget: Critical >
/// 2x, High > 1.5x, Medium > 1.2x, Warning above 1x.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Within the target.
    #[default]
    Good,
    /// Above the target (P95 up to 1.2x).
    Warning,
    /// P95 over 1.2x the target.
    Medium,
    /// P95 over 1.5x the target.
    High,
    /// P95 over 2x the target.
    Critical,
}

/// Leak verdict: delta > 100 MB suspected, > 200 MB certain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakVerdict {
    /// Growth over 100 MB.
    Suspected,
    /// Growth over 200 MB.
    Certain,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A component's P95 over its target.
    Latency,
    /// The turn's end-to-end P95 over its target.
    Turn,
    /// A share of failed calls over 5 %.
    Errors,
    /// Memory growth (leak suspected or certain).
    Memory,
    /// VRAM use over the shortage threshold.
    GpuMemory,
    /// GPU utilisation under the CPU-bound threshold.
    GpuUtilisation,
    /// GPU temperature over the throttling threshold.
    GpuTemperature,
    /// Memory over the per-session budget (4 GB).
    SessionMemory,
    /// GPU memory over the per-session budget (6 GB).
    SessionGpuMemory,
}

/// One bottleneck with its recommendation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The component (or `process`, `gpu0`, ...) the finding is about.
    pub component: String,
    /// What kind of problem it is.
    pub kind: FindingKind,
    /// How bad it is.
    pub severity: Severity,
    /// The measured figure, in `unit`.
    pub measured: f64,
    /// The target or threshold it was judged against, in `unit`.
    pub target: f64,
    /// Unit of `measured` and `target` (`ms`, `%`, `MB`, `C`).
    pub unit: String,
    /// One line in the report's language (the seed's `bottlenecks` entry).
    pub message: String,
    /// What to do about it, for this kind of component.
    pub recommendation: String,
}
