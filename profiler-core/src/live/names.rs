//! The name, unit and meaning of every metric the profiler publishes: OpenTelemetry's
//! semantic conventions where one exists (GenAI client metrics for LLM components,
//! process memory, GPU hardware), a `profiler_` prefix elsewhere. The README's metrics
//! table is this file's.
//!
//! Histograms are in seconds, memory in bytes. A Prometheus exporter turns the dots
//! of the OpenTelemetry names into underscores (and, with its recommended naming, adds
//! the unit: `gen_ai_client_operation_duration_seconds`).

use metrics::{Recorder, Unit};

/// Call start to completion of latency and frame components (s).
pub const LATENCY: &str = "profiler_latency_seconds";
/// Call start to the first item of a stream, TTFT/TTFB (s).
pub const FIRST_ITEM: &str = "profiler_first_item_seconds";
/// Call start to the end of a completed stream (s).
pub const STREAM_DURATION: &str = "profiler_stream_duration_seconds";
/// Turn start to the first response item, end-to-end (s).
pub const TURN_E2E: &str = "profiler_turn_e2e_seconds";
/// Turn start to turn end (s).
pub const TURN_DURATION: &str = "profiler_turn_duration_seconds";
/// Calls by outcome (`outcome` = `ok`, `error`, `cancelled`, `warmup`).
pub const CALLS: &str = "profiler_calls_total";
/// Items yielded by streams.
pub const STREAM_ITEMS: &str = "profiler_stream_items_total";
/// Each component's P95 target (s), for budget lines on dashboards.
pub const TARGET: &str = "profiler_target_seconds";
/// 1 while a component's live budget alert is raised, 0 otherwise (with alerts on).
pub const ALERT_RAISED: &str = "profiler_alert_raised";
/// Live budget alerts fired (crossings), by component.
pub const ALERTS: &str = "profiler_alerts_total";
/// LLM components (OpenTelemetry GenAI): the whole operation (s); for streams, call
/// start to the end of the stream.
pub const GENAI_OPERATION_DURATION: &str = "gen_ai.client.operation.duration";
/// LLM streams (OpenTelemetry GenAI): call start to the first chunk (s).
pub const GENAI_TIME_TO_FIRST_CHUNK: &str = "gen_ai.client.operation.time_to_first_chunk";
/// Process resident set size (bytes), OpenTelemetry's `process.memory.usage`.
pub const PROCESS_MEMORY_USAGE: &str = "process.memory.usage";
/// Process virtual memory size (bytes), OpenTelemetry's `process.memory.virtual`.
pub const PROCESS_MEMORY_VIRTUAL: &str = "process.memory.virtual";
/// VRAM used on each GPU (bytes).
pub const GPU_MEMORY_USAGE: &str = "hw.gpu.memory.usage";
/// VRAM of each GPU (bytes).
pub const GPU_MEMORY_LIMIT: &str = "hw.gpu.memory.limit";
/// Each GPU's utilisation, 0 to 1 (NVML's average over its last period).
pub const GPU_UTILIZATION: &str = "hw.gpu.utilization";
/// Each GPU's power draw (W), OpenTelemetry's `hw.power` with `hw.type="gpu"`.
pub const GPU_POWER: &str = "hw.power";
/// Each GPU's temperature (°C); OpenTelemetry has no GPU temperature metric.
pub const GPU_TEMPERATURE: &str = "profiler_gpu_temperature_celsius";

/// Every latency histogram the profiler publishes.
pub const HISTOGRAMS: [&str; 7] = [
    LATENCY,
    FIRST_ITEM,
    STREAM_DURATION,
    TURN_E2E,
    TURN_DURATION,
    GENAI_OPERATION_DURATION,
    GENAI_TIME_TO_FIRST_CHUNK,
];

/// Bucket bounds (s) for exporters that need them (Prometheus): the GenAI conventions'
/// advised bounds (0.01 to 81.92 s, doubling), and the spec's budgets (50, 100, 200,
/// 500 ms) with their severity steps (1.2x, 1.5x, 2x), so a bucket edge falls on every
/// default target and on each step of its severity scale.
pub const LATENCY_BUCKETS: [f64; 35] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.025, 0.04, 0.05, 0.06, 0.075, 0.08, 0.1, 0.12, 0.15, 0.16,
    0.2, 0.24, 0.3, 0.32, 0.4, 0.5, 0.6, 0.64, 0.75, 1.0, 1.28, 1.5, 2.0, 2.56, 5.12, 10.24, 20.48,
    40.96, 81.92, 163.84,
];

/// Describes every metric (unit and meaning) to `r`.
pub(crate) fn describe(r: &dyn Recorder) {
    let histograms = [
        (LATENCY, "Call start to completion of a profiled component"),
        (
            FIRST_ITEM,
            "Call start to the first item of a stream (TTFT/TTFB)",
        ),
        (
            STREAM_DURATION,
            "Call start to the end of a completed stream",
        ),
        (
            TURN_E2E,
            "Turn start to the first response item (end-to-end)",
        ),
        (TURN_DURATION, "Turn start to turn end"),
        (GENAI_OPERATION_DURATION, "GenAI operation duration"),
        (
            GENAI_TIME_TO_FIRST_CHUNK,
            "Time to receive the first chunk of a GenAI response stream",
        ),
    ];
    for (name, help) in histograms {
        r.describe_histogram(name.into(), Some(Unit::Seconds), help.into());
    }
    r.describe_counter(
        CALLS.into(),
        Some(Unit::Count),
        "Profiled calls by outcome (ok, error, cancelled, warmup)".into(),
    );
    r.describe_counter(
        STREAM_ITEMS.into(),
        Some(Unit::Count),
        "Items yielded by profiled streams".into(),
    );
    r.describe_counter(
        ALERTS.into(),
        Some(Unit::Count),
        "Live budget alerts fired (rolling P95 over target)".into(),
    );
    let gauges = [
        (TARGET, Some(Unit::Seconds), "P95 target of a component"),
        (
            ALERT_RAISED,
            None,
            "1 while a component's budget alert is raised",
        ),
        (
            PROCESS_MEMORY_USAGE,
            Some(Unit::Bytes),
            "Resident set size of the process",
        ),
        (
            PROCESS_MEMORY_VIRTUAL,
            Some(Unit::Bytes),
            "Virtual memory size of the process",
        ),
        (GPU_MEMORY_USAGE, Some(Unit::Bytes), "VRAM used on the GPU"),
        (GPU_MEMORY_LIMIT, Some(Unit::Bytes), "VRAM of the GPU"),
        (GPU_UTILIZATION, None, "GPU utilisation, 0 to 1"),
        (GPU_POWER, None, "Power draw of the GPU in watts"),
        (
            GPU_TEMPERATURE,
            None,
            "Temperature of the GPU in degrees Celsius",
        ),
    ];
    for (name, unit, help) in gauges {
        r.describe_gauge(name.into(), unit, help.into());
    }
}
