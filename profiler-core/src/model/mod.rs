//! The `Report` and everything in it: one serde type read by every renderer (console,
//! JSON, charts), by merge and by compare. This module imports nothing from the rest
//! of the crate; every other step of the flow builds on it.
//!
//! The seed tool's field paths are kept so existing scripts work:
//! `components.<NAME>.latency.{mean,median,p95,p99,std,min,max}` (ms),
//! `components.<NAME>.memory_delta_mb`, `components.<NAME>.throughput_per_sec`,
//! `timestamp`, `duration_sec`, `bottlenecks`, `recommendations`.
//!
//! Every judgement a renderer shows (severity, marks, leak verdicts, GPU checks) is a
//! field here, set by `analyse`; renderers read fields and compute nothing.

mod component;
mod family;
pub mod histogram;
mod lang;
mod report;
mod resources;
mod sessions;
pub mod text;
mod trace;
mod turns;
mod verdict;

pub use component::{
    AllocationReport, ComponentGpu, ComponentMemory, ComponentReport, Counts, HeapMemory, Kind,
    LatencyStats, MemoryBasis, PercentileSeverity, RssShare, Source, StreamReport, TargetSource,
    Variability,
};
pub use family::{family, Family};
pub use histogram::HistogramError;
pub use lang::Lang;
pub use report::{Report, RunInfo, SCHEMA};
pub use resources::{
    GpuChecks, GpuDevice, GpuPoint, GpuReport, GpuThresholds, MemoryAttribution, MemoryPoint,
    MemoryReport,
};
pub use sessions::{BudgetBasis, BudgetResource, SessionBudget, SessionReport, SessionsReport};
pub use trace::{TraceComponent, TraceLog, TraceOutcome, TraceSpan, TraceSpanKind};
pub use turns::{
    Interruptions, KeptAs, PartKind, RecordsKept, TurnOutcome, TurnRecord, TurnReport, Waterfall,
    WaterfallPart,
};
pub use verdict::{Finding, FindingKind, LeakVerdict, Severity};
