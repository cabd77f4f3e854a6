//! Every judgement, and every figure derived from totals: statistics, targets,
//! severity, marks, GPU checks, bottlenecks and recommendations, and the tools that
//! work on reports (merge, compare and its regression rule), and the live budget
//! alert rule (`alerts`).
//!
//! `build` turns a snapshot into a `Report`; `assess` judges a report from its own
//! figures alone, so merged and re-read reports are judged exactly like fresh ones.

pub(crate) mod advice;
pub mod alerts;
pub mod compare;
mod figures;
pub(crate) mod gpu;
pub mod merge;
mod sessions;
pub mod stats;
pub mod targets;
pub mod validate;

use crate::aggregate::Snapshot;
use crate::config::Config;
use crate::model::*;
use crate::sample::Extras;
use advice::Family;
use figures::ComponentInput;

/// Memory growth after warm-up over which a leak is suspected (MB).
pub const LEAK_SUSPECTED_MB: f64 = 100.0;
/// Memory growth after warm-up over which a leak is certain (MB).
pub const LEAK_CERTAIN_MB: f64 = 200.0;
/// Error share of calls over which errors are a finding.
const ERROR_RATE_WARNING: f64 = 0.05;
/// The pipeline's throughput budget: turns (requests) per second over all sessions.
pub const TURNS_PER_SEC_TARGET: f64 = 5.0;
/// Memory budget of one session, MB (4 GB).
pub const SESSION_MEMORY_MB: f64 = 4096.0;
/// GPU memory budget of one session, MB (6 GB).
pub const SESSION_GPU_MEMORY_MB: f64 = 6144.0;
/// Frame rate a frame component must hold at its P95 frame time (25 FPS avatar).
pub const FPS_TARGET: f64 = 25.0;
/// Below this frame rate at P95 the frame rate is critical.
const FPS_CRITICAL: f64 = 20.0;
/// Coefficient of variation over which the spread is marked (warning, critical).
const CV_WARNING: f64 = 0.3;
const CV_CRITICAL: f64 = 0.6;

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

/// Builds the report of `snap` under `cfg` with what the samplers measured
/// (components that never recorded anything are left out).
pub fn build(snap: &Snapshot, cfg: &Config, extras: Extras) -> Report {
    let inputs: Vec<ComponentInput> = snap
        .components
        .iter()
        .map(|c| {
            let mut totals = c.totals.clone();
            totals.allocations = extras.allocations.get(&c.meta.name).copied();
            if let Some(m) = extras.component_memory.get(&c.meta.name) {
                totals.memory = m.clone();
            }
            totals.gpu = extras.component_gpu.get(&c.meta.name).cloned();
            ComponentInput {
                name: c.meta.name.clone(),
                kind: c.meta.kind,
                source: c.meta.source,
                functions: c.meta.functions.clone(),
                labels: c.meta.labels.clone(),
                target: targets::resolve(&c.meta, cfg),
                totals,
            }
        })
        .collect();
    let figures::Figures {
        components,
        turns,
        sessions,
    } = figures::components(&inputs, &snap.turns, cfg.sample_rate);
    let mut report = Report {
        schema: SCHEMA.to_string(),
        timestamp: chrono::Local::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
        duration_sec: extras.duration_sec,
        lang: cfg.lang,
        components,
        turns,
        sessions,
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
        trace: extras.trace,
    };
    assess(&mut report);
    report
}

/// Sets every judgement of `report` from its own figures, in its language: severities
/// and marks of each component, leak verdicts, GPU checks, then the findings,
/// bottlenecks and recommendations.
pub fn assess(report: &mut Report) {
    let lang = report.lang;
    let mut findings = Vec::new();
    if let Some(t) = report.turns.as_mut() {
        t.shares_sum_pct = t.shares_pct.values().sum();
        // Past 100 % (with room for rounding): some stage ran inside another.
        t.shares_overlap = t.shares_sum_pct > 100.5;
    }
    // The stages to start with: the largest shares of delay (the waterfall's, which add
    // up to 100 %), else of turn time; a stream's tail or a gap among them gets a hint.
    let (top_stages, turn_hints) = report
        .turns
        .as_ref()
        .map(|t| {
            let mut v: Vec<(&String, f64, PartKind)> = match &t.waterfall {
                Some(w) => w
                    .parts
                    .iter()
                    .map(|p| (&p.name, p.share_pct, p.kind))
                    .collect(),
                None => t
                    .shares_pct
                    .iter()
                    .map(|(n, p)| (n, *p, PartKind::Stage))
                    .collect(),
            };
            v.sort_by(|a, b| b.1.total_cmp(&a.1));
            v.truncate(3);
            let top = v
                .iter()
                .map(|(n, p, _)| format!("{n} {p:.0}%"))
                .collect::<Vec<_>>()
                .join(", ");
            let hints: String = v
                .iter()
                .filter_map(|(n, p, k)| advice::waterfall_hint(n, *k, *p, lang))
                .map(|h| format!("; {h}"))
                .collect();
            (top, hints)
        })
        .unwrap_or_default();
    let process_growth = report.memory.as_ref().map(|m| m.growth_mb);
    for (key, c) in report.components.iter_mut() {
        mark(c);
        // Messages are read by people: the name in them is printable and bounded (the
        // finding's `component` keeps it whole).
        let shown = text::printable(key, text::MAX_SHOWN_NAME_CHARS);
        let name: &str = &shown;
        let fam = if c.kind == Kind::Turn {
            Family::Turn
        } else {
            advice::family(name)
        };
        if let (Some(target), true) = (c.target_ms, c.severity > Severity::Good) {
            let label = advice::latency_label(fam, c.kind == Kind::FirstItem);
            findings.push(Finding {
                component: key.clone(),
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
                recommendation: if fam == Family::Turn {
                    advice::latency_recommendation(name, fam, lang, &top_stages) + &turn_hints
                } else {
                    advice::latency_recommendation(name, fam, lang, &top_stages)
                },
            });
        }
        let calls = c.counts.samples.saturating_add(c.counts.errors);
        if calls > 0 && c.counts.errors as f64 / calls as f64 > ERROR_RATE_WARNING {
            let rate = c.counts.errors as f64 / calls as f64;
            let (message, recommendation) =
                advice::errors_finding(name, c.counts.errors, calls, lang);
            findings.push(Finding {
                component: key.clone(),
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
        if let Some((verdict, growth)) = component_leak(c, process_growth) {
            if let Some(m) = c.memory.as_mut() {
                m.leak = Some(verdict);
            }
            findings.push(leak_finding(key, name, growth, verdict, lang));
        }
    }
    if let Some(m) = report.memory.as_mut() {
        m.leak = leak_verdict(m.growth_mb);
        if let Some(v) = m.leak {
            let name = match lang {
                Lang::En => "process",
                Lang::Ko => "프로세스",
            };
            let growth = LeakGrowth {
                basis: None,
                delta_mb: m.growth_mb,
                per_min: m.growth_mb_per_min,
            };
            findings.push(leak_finding("process", name, growth, v, lang));
        }
    }
    gpu::check(&mut report.gpu);
    findings.extend(gpu::findings(&report.gpu, lang));
    findings.extend(sessions::assess(report));
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    report.bottlenecks = findings.iter().map(|f| f.message.clone()).collect();
    // Deduplicated through a set: one finding per component makes a list check
    // quadratic (40 000 components, 800 million string comparisons).
    let mut seen = std::collections::HashSet::new();
    report.recommendations = findings
        .iter()
        .filter(|f| seen.insert(f.recommendation.as_str()))
        .map(|f| f.recommendation.clone())
        .collect();
    report.findings = findings;
}

/// A component's severity against its target, each percentile's, its spread, its
/// frame rate and its throughput.
fn mark(c: &mut ComponentReport) {
    let l = &c.latency;
    c.severity = Severity::Good;
    c.target_ratio = None;
    c.percentile_severity = None;
    if let (Some(target), true) = (c.target_ms, l.count > 0) {
        let ratio = l.p95 / target;
        c.severity = targets::severity(ratio);
        c.target_ratio = Some(ratio);
        c.percentile_severity = Some(PercentileSeverity {
            p50: targets::severity(l.median / target),
            p95: c.severity,
            p99: targets::severity(l.p99 / target),
        });
    }
    c.variability = (l.count > 0).then(|| {
        let cv = if l.mean > 0.0 { l.std / l.mean } else { 0.0 };
        Variability {
            cv,
            severity: if cv > CV_CRITICAL {
                Severity::Critical
            } else if cv > CV_WARNING {
                Severity::Warning
            } else {
                Severity::Good
            },
        }
    });
    c.fps_severity = c.fps_p95.map(|fps| {
        if fps >= FPS_TARGET {
            Severity::Good
        } else if fps >= FPS_CRITICAL {
            Severity::Warning
        } else {
            Severity::Critical
        }
    });
    let turn = c.kind == Kind::Turn;
    c.throughput_target_per_sec = turn.then_some(TURNS_PER_SEC_TARGET);
    let throughput = if c.throughput_per_sec >= TURNS_PER_SEC_TARGET {
        Severity::Good
    } else {
        Severity::Warning
    };
    c.throughput_severity = turn.then_some(throughput);
}

/// A memory growth a leak verdict is given on, and what it is.
pub(crate) struct LeakGrowth {
    /// What the figure is (`None`: the process's RSS).
    pub(crate) basis: Option<MemoryBasis>,
    /// Growth after warm-up, MB.
    pub(crate) delta_mb: f64,
    /// The same per minute.
    pub(crate) per_min: f64,
}

/// A component's leak verdict and the growth it is given on, judged on measured
/// figures only: live heap bytes gained after warm-up (owner-tracking allocator, exact)
/// or its share of the RSS change after warm-up. A share counts only as far as the
/// process itself grew (`process_growth`): RSS that another component gave back
/// while this one did not run is no evidence of this one's leak. A growth stated by
/// an older report without figures is judged as stated.
fn component_leak(
    c: &ComponentReport,
    process_growth: Option<f64>,
) -> Option<(LeakVerdict, LeakGrowth)> {
    let delta = c.memory_delta_mb?;
    let growth = match &c.memory {
        Some(m) if m.basis == MemoryBasis::LiveHeap => LeakGrowth {
            basis: Some(MemoryBasis::LiveHeap),
            delta_mb: delta,
            per_min: m.heap.as_ref().map_or(0.0, |h| h.growth_mb_per_min),
        },
        Some(m) => LeakGrowth {
            basis: Some(MemoryBasis::RssShare),
            delta_mb: process_growth.map_or(delta, |p| delta.min(p)),
            per_min: m.rss_share.as_ref().map_or(0.0, |r| r.growth_mb_per_min),
        },
        None => LeakGrowth {
            basis: None,
            delta_mb: delta,
            per_min: 0.0,
        },
    };
    Some((leak_verdict(growth.delta_mb)?, growth))
}

fn leak_finding(
    component: &str,
    name: &str,
    growth: LeakGrowth,
    v: LeakVerdict,
    lang: Lang,
) -> Finding {
    let certain = v == LeakVerdict::Certain;
    let delta = growth.delta_mb;
    let (message, recommendation) = advice::leak_finding(name, &growth, certain, lang);
    Finding {
        component: component.into(),
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
    }
}
