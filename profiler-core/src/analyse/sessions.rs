//! Sessions judged: each session's E2E P95 against the turn target, the turns per
//! second over all sessions against the pipeline's 5/s, and the per-session budgets
//! (memory < 4 GB, GPU memory < 6 GB). Sessions share one process, so a per-session
//! figure is the process's own (a bound on each session), and the budget says so.

use super::{advice, targets, SESSION_GPU_MEMORY_MB, SESSION_MEMORY_MB};
use crate::model::*;

/// Sets the sessions' verdicts and budgets of `report` from its own figures; returns
/// the findings of budgets exceeded.
pub(crate) fn assess(report: &mut Report) -> Vec<Finding> {
    let lang = report.lang;
    let merged_from = report.run.merged_from;
    let memory = report.memory.as_ref().map(|m| m.peak_rss_mb);
    let gpu = gpu_memory(&report.gpu);
    let Some(s) = report.sessions.as_mut() else {
        return Vec::new();
    };
    s.throughput_severity = if s.turns_per_sec >= s.turns_per_sec_target {
        Severity::Good
    } else {
        Severity::Warning
    };
    for x in &mut s.sessions {
        x.severity = match s.e2e_target_ms {
            Some(t) if x.e2e.count > 0 && t > 0.0 => targets::severity(x.e2e.p95 / t),
            _ => Severity::Good,
        };
    }
    // Per concurrent session, for scale: one process's figure over its own sessions
    // (not over a merged report's, whose peak adds up several processes).
    let peak = if merged_from > 1 {
        0
    } else {
        s.peak_concurrent
    };
    s.budgets = vec![
        budget(
            BudgetResource::Memory,
            SESSION_MEMORY_MB,
            memory.map(|m| (m, BudgetBasis::Process)),
            peak,
            lang,
        ),
        budget(
            BudgetResource::GpuMemory,
            SESSION_GPU_MEMORY_MB,
            gpu,
            peak,
            lang,
        ),
    ];
    s.budgets
        .iter()
        .filter(|b| b.severity > Severity::Good)
        .map(|b| {
            let (message, recommendation) =
                advice::session_budget_finding(b.resource, &b.note, b.severity, lang);
            Finding {
                component: "session".into(),
                kind: match b.resource {
                    BudgetResource::Memory => FindingKind::SessionMemory,
                    BudgetResource::GpuMemory => FindingKind::SessionGpuMemory,
                },
                severity: b.severity,
                measured: b.measured_mb.unwrap_or(0.0),
                target: b.limit_mb,
                unit: "MB".into(),
                message,
                recommendation,
            }
        })
        .collect()
}

fn budget(
    resource: BudgetResource,
    limit: f64,
    measured: Option<(f64, BudgetBasis)>,
    peak: u64,
    lang: Lang,
) -> SessionBudget {
    let per_session = measured.filter(|_| peak > 1).map(|(m, _)| m / peak as f64);
    let note = advice::session_budget_note(
        resource,
        measured.map(|m| m.0),
        measured.map(|m| m.1),
        limit,
        per_session,
        lang,
    );
    SessionBudget {
        resource,
        limit_mb: limit,
        measured_mb: measured.map(|m| m.0),
        basis: measured.map(|m| m.1),
        per_concurrent_session_mb: per_session,
        severity: budget_severity(measured, per_session, limit),
        note,
    }
}

/// A budget's verdict, on evidence only. Under the limit, the process (or device)
/// figure bounds every session: good. Over it, one session's share is what is judged:
/// the figure itself when one session ran at a time, else the figure over the peak of
/// concurrent sessions (if that is over the limit, at least one session was). A
/// device-wide VRAM figure counts other processes too, so it never gives more than a
/// warning.
fn budget_severity(
    measured: Option<(f64, BudgetBasis)>,
    per_session: Option<f64>,
    limit: f64,
) -> Severity {
    let Some((m, basis)) = measured else {
        return Severity::Good;
    };
    let judged = per_session.unwrap_or(m);
    let severity = targets::severity(judged / limit);
    if basis == BudgetBasis::Device {
        severity.min(Severity::Warning)
    } else {
        severity
    }
}

/// The GPU memory a session could be using: the process's own peak (NVML per-process
/// figures, summed over devices) where the driver reports it, else the devices' peak
/// VRAM used; `None` without GPU samples.
fn gpu_memory(g: &GpuReport) -> Option<(f64, BudgetBasis)> {
    if !g.available || g.devices.is_empty() {
        return None;
    }
    let process: Vec<f64> = g
        .devices
        .iter()
        .filter_map(|d| {
            d.samples
                .iter()
                .filter_map(|p| p.process_vram_mb)
                .reduce(f64::max)
        })
        .collect();
    if !process.is_empty() {
        return Some((process.iter().sum(), BudgetBasis::ProcessGpu));
    }
    Some((
        g.devices.iter().map(|d| d.max_vram_used_mb).sum(),
        BudgetBasis::Device,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report_with(peak_rss_mb: f64, gpu: GpuReport, concurrent: u64) -> Report {
        Report {
            schema: SCHEMA.into(),
            timestamp: "2026-01-01T00:00:00".into(),
            duration_sec: 1.0,
            lang: Lang::En,
            components: Default::default(),
            turns: None,
            sessions: Some(SessionsReport {
                peak_concurrent: concurrent,
                turns_per_sec: 6.0,
                turns_per_sec_target: 5.0,
                e2e_target_ms: Some(500.0),
                sessions: vec![SessionReport {
                    id: "a".into(),
                    e2e: LatencyStats {
                        count: 3,
                        p95: 800.0,
                        ..LatencyStats::default()
                    },
                    ..SessionReport::default()
                }],
                ..SessionsReport::default()
            }),
            bottlenecks: vec![],
            recommendations: vec![],
            findings: vec![],
            memory: Some(MemoryReport {
                peak_rss_mb,
                ..MemoryReport::default()
            }),
            gpu,
            run: RunInfo::default(),
            trace: None,
        }
    }

    #[test]
    fn four_sessions_sharing_5_gb_are_within_a_4_gb_budget_each() {
        let mut r = report_with(5000.0, GpuReport::default(), 4);
        assert!(assess(&mut r).is_empty());
        let mem = &r.sessions.as_ref().unwrap().budgets[0];
        assert_eq!(mem.per_concurrent_session_mb, Some(1250.0));
        assert_eq!(mem.severity, Severity::Good, "1250 MB a session");
        // Four sessions sharing 18 GB: at least one is over 4 GB.
        let mut r = report_with(18_000.0, GpuReport::default(), 4);
        assert_eq!(assess(&mut r).len(), 1);
        let mem = &r.sessions.as_ref().unwrap().budgets[0];
        assert_eq!(mem.severity, Severity::Warning, "4500 / 4096 = 1.10x");
    }

    #[test]
    fn the_process_figure_stands_for_each_session_and_says_so() {
        let mut r = report_with(5000.0, GpuReport::default(), 1);
        let findings = assess(&mut r);
        let s = r.sessions.as_ref().unwrap();
        let mem = &s.budgets[0];
        assert_eq!(mem.resource, BudgetResource::Memory);
        assert_eq!(mem.basis, Some(BudgetBasis::Process));
        assert_eq!(mem.measured_mb, Some(5000.0));
        assert_eq!(mem.per_concurrent_session_mb, None);
        assert_eq!(mem.severity, Severity::Medium, "5000 / 4096 = 1.22x");
        assert!(
            mem.note.contains("sessions cannot be told apart"),
            "{}",
            mem.note
        );
        // No GPU: nothing judged, no finding.
        assert_eq!(s.budgets[1].measured_mb, None);
        assert_eq!(s.budgets[1].severity, Severity::Good);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].kind, FindingKind::SessionMemory);
        assert!(
            findings[0].message.contains("process"),
            "{}",
            findings[0].message
        );
        // The session's own P95 against the E2E target; throughput against 5/s.
        assert_eq!(s.sessions[0].severity, Severity::High);
        assert_eq!(s.throughput_severity, Severity::Good);
    }

    #[test]
    fn gpu_memory_uses_the_process_figure_where_the_driver_gives_one() {
        let device = |process: Option<f64>| GpuDevice {
            max_vram_used_mb: 9000.0,
            samples: vec![
                GpuPoint {
                    process_vram_mb: process,
                    ..GpuPoint::default()
                },
                GpuPoint {
                    process_vram_mb: process.map(|p| p / 2.0),
                    ..GpuPoint::default()
                },
            ],
            ..GpuDevice::default()
        };
        let gpu = |d: GpuDevice| GpuReport {
            available: true,
            devices: vec![d],
            ..GpuReport::default()
        };
        let mut r = report_with(100.0, gpu(device(Some(3000.0))), 1);
        assert!(assess(&mut r).is_empty());
        let b = &r.sessions.as_ref().unwrap().budgets[1];
        assert_eq!(
            (b.measured_mb, b.basis, b.severity),
            (Some(3000.0), Some(BudgetBasis::ProcessGpu), Severity::Good)
        );
        let mut r = report_with(100.0, gpu(device(None)), 1);
        let findings = assess(&mut r);
        let b = &r.sessions.as_ref().unwrap().budgets[1];
        assert_eq!(
            (b.measured_mb, b.basis),
            (Some(9000.0), Some(BudgetBasis::Device))
        );
        assert_eq!(findings[0].kind, FindingKind::SessionGpuMemory);
        // 9000 MB against 6144 is 1.46x, but other processes' VRAM is in it.
        assert_eq!(b.severity, Severity::Warning);
        assert!(b.note.contains("other processes"), "{}", b.note);
    }
}
