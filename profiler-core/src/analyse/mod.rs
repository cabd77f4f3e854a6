//! From merged totals to a `Report`: statistics, targets, severity, bottlenecks and
//! recommendations. `assess` works on a report alone, so merged and re-read reports
//! are judged exactly like fresh ones.

pub mod advice;
pub mod stats;
pub mod targets;

use crate::aggregate::{ComponentSnapshot, Snapshot};
use crate::config::{Config, Lang};
use crate::record::component::Kind;
use crate::report::model::*;
use advice::Family;
use indexmap::IndexMap;
use std::collections::BTreeMap;

const MB: f64 = 1024.0 * 1024.0;
/// Memory growth over which a leak is suspected / certain (MB).
pub const LEAK_SUSPECTED_MB: f64 = 100.0;
pub const LEAK_CERTAIN_MB: f64 = 200.0;
/// Error share of calls over which errors are a finding.
const ERROR_RATE_WARNING: f64 = 0.05;

/// What the samplers add to a report.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    pub duration_sec: f64,
    pub memory: Option<MemoryReport>,
    pub gpu: GpuReport,
    /// Allocation totals by component name (counting allocator).
    pub allocations: BTreeMap<String, (u64, u64)>,
    /// GPU figures while each component ran, by component name.
    pub component_gpu: BTreeMap<String, ComponentGpu>,
}

fn component_report(c: &ComponentSnapshot, cfg: &Config) -> ComponentReport {
    let t = &c.totals;
    let latency = stats::latency_stats(&t.latency);
    let target = targets::resolve(&c.meta, cfg);
    let active_sec = match (t.first_start, t.last_end) {
        (Some(a), Some(b)) => crate::record::clock::nanos_between(a, b) as f64 / 1e9,
        _ => 0.0,
    };
    let rate = if cfg.sample_rate > 0.0 {
        cfg.sample_rate
    } else {
        1.0
    };
    let throughput = if active_sec > 0.0 {
        latency.count as f64 / active_sec / rate
    } else {
        0.0
    };
    let m = &t.memory;
    let (memory, memory_delta_mb) = if m.sampled_calls > 0 {
        let measured = m.rss_growth as f64 / MB;
        // Scale the sampled calls' deltas to every completed call.
        let scale = (latency.count.max(m.sampled_calls)) as f64 / m.sampled_calls as f64;
        let estimate = measured * scale;
        (
            Some(ComponentMemory {
                sampled_calls: m.sampled_calls,
                rss_before_mb: m.rss_before as f64 / MB,
                rss_after_mb: m.rss_after as f64 / MB,
                vms_before_mb: m.vms_before as f64 / MB,
                vms_after_mb: m.vms_after as f64 / MB,
                measured_delta_mb: measured,
                worst_delta_mb: m.rss_worst as f64 / MB,
                leak: leak_verdict(estimate),
            }),
            Some(estimate),
        )
    } else {
        (None, None)
    };
    let is_stream = c.meta.kind == Kind::FirstItem;
    let stream = is_stream.then(|| {
        let total = stats::latency_stats(&t.stream_total);
        let stream_secs = total.mean * total.count as f64 / 1e3;
        StreamReport {
            items_per_stream: if total.count > 0 {
                t.items as f64 / (t.streams_completed + t.streams_cancelled) as f64
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
            histogram: stats::encode_histogram(&t.stream_total),
        }
    });
    let fps = (c.meta.kind == Kind::Frame && latency.mean > 0.0).then(|| 1000.0 / latency.mean);
    ComponentReport {
        kind: c.meta.kind,
        source: c.meta.source,
        functions: c.meta.functions.clone(),
        labels: c.meta.labels.clone(),
        latency,
        target_ms: target.map(|t| t.0),
        target_source: target.map(|t| t.1),
        severity: Severity::Good,
        target_ratio: None,
        counts: Counts {
            samples: t.latency.len(),
            errors: t.errors,
            cancelled: t.cancelled,
            warmup_excluded: t.warmup_excluded,
        },
        throughput_per_sec: throughput,
        active_sec,
        memory_delta_mb,
        memory,
        stream,
        fps,
        turn_share_pct: None,
        allocations: None,
        gpu: None,
        histogram: stats::encode_histogram(&t.latency),
    }
}

/// The leak verdict of a memory growth in MB.
pub fn leak_verdict(delta_mb: f64) -> Option<LeakVerdict> {
    if delta_mb > LEAK_CERTAIN_MB {
        Some(LeakVerdict::Certain)
    } else if delta_mb > LEAK_SUSPECTED_MB {
        Some(LeakVerdict::Suspected)
    } else {
        None
    }
}

/// Builds the report of `snap` (components that never recorded anything are left out).
pub fn build(snap: &Snapshot, cfg: &Config, extras: Extras) -> Report {
    let mut components = IndexMap::new();
    for c in &snap.components {
        let t = &c.totals;
        if t.latency.is_empty() && t.errors == 0 && t.cancelled == 0 && t.warmup_excluded == 0 {
            continue;
        }
        let mut r = component_report(c, cfg);
        if let Some((bytes, count)) = extras.allocations.get(&c.meta.name) {
            let calls =
                (r.counts.samples + r.counts.errors + r.counts.warmup_excluded).max(1) as f64;
            r.allocations = Some(AllocationReport {
                bytes: *bytes,
                count: *count,
                bytes_per_call: *bytes as f64 / calls,
                count_per_call: *count as f64 / calls,
            });
        }
        r.gpu = extras.component_gpu.get(&c.meta.name).cloned();
        components.insert(c.meta.name.clone(), r);
    }
    // Turn shares: each stage's time inside turns over the turns' whole time.
    let turn_total = snap
        .components
        .iter()
        .find(|c| c.meta.kind == Kind::Turn)
        .map(|c| {
            (
                c.totals.turn_ns,
                c.totals.stream_total.len(),
                c.totals.stream_total.mean(),
            )
        });
    let mut turns = None;
    if let Some((total_ns, count, mean_ns)) = turn_total.filter(|t| t.0 > 0) {
        let mut shares = IndexMap::new();
        for c in snap
            .components
            .iter()
            .filter(|c| c.meta.kind != Kind::Turn && c.totals.turn_ns > 0)
        {
            let pct = c.totals.turn_ns as f64 * 100.0 / total_ns as f64;
            shares.insert(c.meta.name.clone(), pct);
            if let Some(r) = components.get_mut(&c.meta.name) {
                r.turn_share_pct = Some(pct);
            }
        }
        turns = Some(TurnReport {
            count,
            mean_turn_ms: mean_ns / 1e6,
            shares_pct: shares,
        });
    }
    let mut report = Report {
        schema: SCHEMA.to_string(),
        timestamp: chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        duration_sec: extras.duration_sec,
        lang: cfg.lang,
        components,
        turns,
        bottlenecks: Vec::new(),
        recommendations: Vec::new(),
        findings: Vec::new(),
        memory: extras.memory,
        gpu: extras.gpu,
        run: RunInfo {
            program: std::env::args().next().unwrap_or_default(),
            pid: std::process::id(),
            sample_rate: cfg.sample_rate,
            warmup: cfg.warmup,
            merged_from: 1,
        },
    };
    assess(&mut report);
    report
}

/// Sets severities and rebuilds findings, bottlenecks and recommendations from the
/// report's own figures, in the report's language.
pub fn assess(report: &mut Report) {
    let lang = report.lang;
    let mut findings = Vec::new();
    let top_stages = report
        .turns
        .as_ref()
        .map(|t| {
            let mut v: Vec<_> = t.shares_pct.iter().collect();
            v.sort_by(|a, b| b.1.total_cmp(a.1));
            v.iter()
                .take(3)
                .map(|(n, p)| format!("{n} {p:.0}%"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    for (name, c) in report.components.iter_mut() {
        let fam = if c.kind == Kind::Turn {
            Family::Turn
        } else {
            advice::family(name)
        };
        c.severity = Severity::Good;
        c.target_ratio = None;
        if let (Some(target), true) = (c.target_ms, c.latency.count > 0) {
            let ratio = c.latency.p95 / target;
            c.severity = targets::severity(ratio);
            c.target_ratio = Some(ratio);
            if c.severity > Severity::Good {
                let label = advice::latency_label(fam, c.kind == Kind::FirstItem);
                findings.push(Finding {
                    component: name.clone(),
                    kind: if c.kind == Kind::Turn {
                        FindingKind::Turn
                    } else {
                        FindingKind::Latency
                    },
                    severity: c.severity,
                    measured: c.latency.p95,
                    target,
                    unit: "ms".into(),
                    message: advice::latency_message(
                        name,
                        label,
                        c.latency.p95,
                        target,
                        c.severity,
                        lang,
                    ),
                    recommendation: advice::latency_recommendation(name, fam, lang, &top_stages),
                });
            }
        }
        let calls = c.counts.samples + c.counts.errors;
        if calls > 0 && c.counts.errors as f64 / calls as f64 > ERROR_RATE_WARNING {
            let rate = c.counts.errors as f64 / calls as f64;
            let (message, recommendation) =
                advice::errors_finding(name, c.counts.errors, calls, lang);
            findings.push(Finding {
                component: name.clone(),
                kind: FindingKind::Errors,
                severity: if rate > 0.2 {
                    Severity::High
                } else {
                    Severity::Warning
                },
                measured: rate * 100.0,
                target: ERROR_RATE_WARNING * 100.0,
                unit: "%".into(),
                message,
                recommendation,
            });
        }
        if let Some(delta) = c.memory_delta_mb {
            let verdict = leak_verdict(delta);
            if let Some(m) = c.memory.as_mut() {
                m.leak = verdict;
            }
            if let Some(v) = verdict {
                let certain = v == LeakVerdict::Certain;
                let (message, recommendation) = advice::leak_finding(name, delta, certain, lang);
                findings.push(Finding {
                    component: name.clone(),
                    kind: FindingKind::Memory,
                    severity: if certain {
                        Severity::Critical
                    } else {
                        Severity::High
                    },
                    measured: delta,
                    target: LEAK_SUSPECTED_MB,
                    unit: "MB".into(),
                    message,
                    recommendation,
                });
            }
        }
    }
    if let Some(m) = report.memory.as_mut() {
        m.leak = leak_verdict(m.growth_mb);
        if let Some(v) = m.leak {
            let certain = v == LeakVerdict::Certain;
            let name = match lang {
                Lang::En => "process",
                Lang::Ko => "프로세스",
            };
            let (message, recommendation) = advice::leak_finding(name, m.growth_mb, certain, lang);
            findings.push(Finding {
                component: "process".into(),
                kind: FindingKind::Memory,
                severity: if certain {
                    Severity::Critical
                } else {
                    Severity::High
                },
                measured: m.growth_mb,
                target: LEAK_SUSPECTED_MB,
                unit: "MB".into(),
                message,
                recommendation,
            });
        }
    }
    findings.extend(crate::sample::gpu::findings(&report.gpu, lang));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    report.bottlenecks = findings.iter().map(|f| f.message.clone()).collect();
    report.recommendations = Vec::new();
    for f in &findings {
        if !report.recommendations.contains(&f.recommendation) {
            report.recommendations.push(f.recommendation.clone());
        }
    }
    report.findings = findings;
}
