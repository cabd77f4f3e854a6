//! From mergeable totals to report figures: one `ComponentReport` per component and
//! the turn shares. The live report (`build`) and the merged one (`merge`) both come
//! through here, so a figure means the same in both.

use super::stats::latency_stats;
use crate::aggregate::ComponentTotals;
use crate::model::histogram::encode_histogram;
use crate::model::*;
use indexmap::IndexMap;
use std::collections::BTreeMap;

const MB: f64 = 1024.0 * 1024.0;

/// What a component's report is built from.
#[derive(Clone, Debug)]
pub(crate) struct ComponentInput {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) source: Source,
    pub(crate) functions: Vec<String>,
    pub(crate) labels: BTreeMap<String, String>,
    /// The resolved P95 target and where it came from.
    pub(crate) target: Option<(f64, TargetSource)>,
    pub(crate) totals: ComponentTotals,
}

/// The figures of one component (severities and findings are `assess`'s).
pub(crate) fn component_report(c: &ComponentInput, sample_rate: f64) -> ComponentReport {
    let t = &c.totals;
    let latency = latency_stats(&t.latency);
    let rate = if sample_rate > 0.0 { sample_rate } else { 1.0 };
    let throughput = if t.active_sec > 0.0 {
        latency.count as f64 / t.active_sec / rate
    } else {
        0.0
    };
    let m = &t.memory;
    let (memory, memory_delta_mb) = if m.sampled_calls > 0 {
        let measured = m.rss_growth as f64 / MB;
        // Scale the sampled calls' deltas to every completed call...
        let scale = (latency.count.max(m.sampled_calls)) as f64 / m.sampled_calls as f64;
        // ...but never past what RSS was seen to do around them: a page fault or two in
        // 62 sampled calls out of 5 million would extrapolate to a gigabyte "leak"
        // (a false verdict a soak test found). The evidence bound is the rise from the
        // lowest RSS read before a sampled call to the highest read after one (or the
        // measured sum itself, when RSS went up and down in between).
        let observed = (m.rss_after as f64 - m.rss_before as f64) / MB;
        let estimated = if measured > 0.0 {
            (measured * scale).min(observed.max(measured))
        } else {
            measured * scale
        };
        (
            Some(ComponentMemory {
                sampled_calls: m.sampled_calls,
                rss_before_mb: m.rss_before as f64 / MB,
                rss_after_mb: m.rss_after as f64 / MB,
                vms_before_mb: m.vms_before as f64 / MB,
                vms_after_mb: m.vms_after as f64 / MB,
                measured_delta_mb: measured,
                worst_delta_mb: m.rss_worst as f64 / MB,
                leak: None,
            }),
            Some(estimated),
        )
    } else {
        (None, None)
    };
    let stream = (c.kind == Kind::FirstItem).then(|| {
        let total = latency_stats(&t.stream_total);
        let stream_secs = total.mean * total.count as f64 / 1e3;
        let streams = t.streams_completed.saturating_add(t.streams_cancelled);
        StreamReport {
            items_per_stream: if total.count > 0 && streams > 0 {
                t.items as f64 / streams as f64
            } else {
                0.0
            },
            items_per_sec: if stream_secs > 0.0 {
                t.items as f64 / stream_secs
            } else {
                0.0
            },
            total,
            completed: t.streams_completed,
            cancelled: t.streams_cancelled,
            items: t.items,
            histogram: encode_histogram(&t.stream_total),
        }
    });
    let frame = c.kind == Kind::Frame;
    let fps = (frame && latency.mean > 0.0).then(|| 1000.0 / latency.mean);
    let fps_p95 = (frame && latency.p95 > 0.0).then(|| 1000.0 / latency.p95);
    let allocations = t.allocations.map(|(bytes, count)| {
        let calls = latency
            .count
            .saturating_add(t.errors)
            .saturating_add(t.warmup_excluded);
        let calls = calls.max(1) as f64;
        AllocationReport {
            bytes,
            count,
            bytes_per_call: bytes as f64 / calls,
            count_per_call: count as f64 / calls,
        }
    });
    ComponentReport {
        kind: c.kind,
        source: c.source,
        functions: c.functions.clone(),
        labels: c.labels.clone(),
        target_ms: c.target.map(|t| t.0),
        target_source: c.target.map(|t| t.1),
        severity: Severity::Good,
        target_ratio: None,
        percentile_severity: None,
        variability: None,
        counts: Counts {
            samples: latency.count,
            errors: t.errors,
            cancelled: t.cancelled,
            warmup_excluded: t.warmup_excluded,
            clamped: t.clamped,
        },
        latency,
        throughput_per_sec: throughput,
        throughput_target_per_sec: None,
        throughput_severity: None,
        active_sec: t.active_sec,
        memory_delta_mb,
        memory,
        stream,
        fps,
        fps_p95,
        fps_severity: None,
        turn_share_pct: None,
        allocations,
        gpu: t.gpu.clone(),
        histogram: encode_histogram(&t.latency),
    }
}

/// What the turn report needs of a component: its time inside turns, and for the turn
/// component its number of turns. Kept apart from the totals so a merge can drop each
/// component's histograms as soon as its report is built.
#[derive(Clone, Debug)]
pub(crate) struct TurnTime {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// Nanoseconds inside turns (the turn component's whole time).
    pub(crate) turn_ns: u64,
    /// Latency samples (for the turn component: the turns counted).
    pub(crate) samples: u64,
}

impl TurnTime {
    pub(crate) fn of(c: &ComponentInput) -> TurnTime {
        TurnTime {
            name: c.name.clone(),
            kind: c.kind,
            turn_ns: c.totals.turn_ns,
            samples: c.totals.latency.len(),
        }
    }
}

/// Turn count and each stage's share of turn time, from the turn component's whole
/// time and each stage's time inside turns; sets each stage's `turn_share_pct`.
pub(crate) fn turn_report(
    times: &[TurnTime],
    components: &mut IndexMap<String, ComponentReport>,
) -> Option<TurnReport> {
    let turn = times.iter().find(|c| c.kind == Kind::Turn)?;
    let total_ns = turn.turn_ns;
    if total_ns == 0 {
        return None;
    }
    let mut shares = IndexMap::new();
    for c in times
        .iter()
        .filter(|c| c.kind != Kind::Turn && c.turn_ns > 0)
    {
        let pct = c.turn_ns as f64 * 100.0 / total_ns as f64;
        shares.insert(c.name.clone(), pct);
        if let Some(r) = components.get_mut(&c.name) {
            r.turn_share_pct = Some(pct);
        }
    }
    // Every counted turn is one E2E sample and adds its whole time to `turn_ns`.
    let count = turn.samples;
    Some(TurnReport {
        count,
        mean_turn_ms: total_ns as f64 / count.max(1) as f64 / 1e6,
        shares_pct: shares,
        // Set by `assess`, which works on re-read reports too.
        shares_sum_pct: 0.0,
        shares_overlap: false,
    })
}

/// Every component's report, in input order, and the turns (components that never
/// recorded anything are left out).
pub(crate) fn components(
    inputs: &[ComponentInput],
    sample_rate: f64,
) -> (IndexMap<String, ComponentReport>, Option<TurnReport>) {
    let mut components: IndexMap<String, ComponentReport> = inputs
        .iter()
        .filter(|c| !c.totals.is_empty())
        .map(|c| (c.name.clone(), component_report(c, sample_rate)))
        .collect();
    let times: Vec<TurnTime> = inputs.iter().map(TurnTime::of).collect();
    let turns = turn_report(&times, &mut components);
    (components, turns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::MemoryTotals;

    fn with_memory(samples: u64, memory: MemoryTotals) -> ComponentInput {
        let mut totals = ComponentTotals::default();
        totals.latency.record_n(1_000, samples).unwrap();
        totals.memory = memory;
        ComponentInput {
            name: "soak".into(),
            kind: Kind::Latency,
            source: Source::Profile,
            functions: vec![],
            labels: BTreeMap::new(),
            target: None,
            totals,
        }
    }

    #[test]
    fn a_few_page_faults_are_not_extrapolated_into_a_leak() {
        // 62 of 5 million calls read memory; four 4 KiB pages faulted in among them,
        // while RSS rose 1.2 MB in all. Scaled, that would be a 1.2 GB "leak".
        let mb = |x: f64| (x * MB) as u64;
        let c = with_memory(
            5_000_000,
            MemoryTotals {
                sampled_calls: 62,
                rss_before: mb(4.17),
                rss_after: mb(5.37),
                rss_growth: 4 * 4096,
                ..MemoryTotals::default()
            },
        );
        let r = component_report(&c, 1.0);
        let delta = r.memory_delta_mb.unwrap();
        assert!((delta - 1.2).abs() < 0.01, "{delta}");
        // Growth seen in every sampled call still scales: a real leak stays a leak.
        let leaking = with_memory(
            1_000,
            MemoryTotals {
                sampled_calls: 10,
                rss_before: mb(100.0),
                rss_after: mb(400.0),
                rss_growth: mb(3.0) as i64,
                ..MemoryTotals::default()
            },
        );
        let delta = component_report(&leaking, 1.0).memory_delta_mb.unwrap();
        assert!((delta - 300.0).abs() < 0.01, "{delta}");
    }
}
