//! Renderers read the `Report`; they compute and judge nothing. A report built by hand
//! with figures no pipeline could produce (a median above the P95, a P95 under its
//! target marked critical, a frame rate marked good at 12.5 FPS...) must come out
//! exactly as written: every figure verbatim, every mark the report's own verdict.

mod common;

use profiler::model::*;
use profiler::render::{console, json};

fn impossible_report() -> Report {
    let mut components = indexmap_of(vec![
        (
            "stt",
            ComponentReport {
                kind: Kind::Latency,
                latency: LatencyStats {
                    count: 7,
                    mean: 11.111,
                    median: 22.222,
                    p95: 333.333,
                    p99: 44.444,
                    std: 0.001,
                    min: 55.5,
                    max: 6.75,
                },
                // Far under its target, yet judged critical: the console must say so.
                target_ms: Some(9999.0),
                target_source: Some(TargetSource::Attribute),
                severity: Severity::Critical,
                target_ratio: Some(0.5),
                percentile_severity: Some(PercentileSeverity {
                    p50: Severity::Critical,
                    p95: Severity::Critical,
                    p99: Severity::Critical,
                }),
                // No spread at all, yet marked as high variability.
                variability: Some(Variability {
                    cv: 0.0,
                    severity: Severity::Critical,
                }),
                throughput_per_sec: 123.4,
                // 999 MB of live heap gained, judged no leak; a share of RSS growth
                // with nothing to do with it.
                memory_delta_mb: Some(999.0),
                memory: Some(ComponentMemory {
                    basis: MemoryBasis::LiveHeap,
                    heap: Some(HeapMemory {
                        allocated_mb: 1.5,
                        freed_mb: 2.5,
                        live_mb: 12.5,
                        since_baseline_mb: 999.0,
                        growth_mb_per_min: -4.5,
                    }),
                    rss_share: Some(RssShare {
                        probes: 3,
                        running_sec: 0.5,
                        share_mb: -3.25,
                        since_baseline_mb: 7.75,
                        growth_mb_per_min: 8.5,
                        process_rss_first_mb: 90.0,
                        process_rss_last_mb: 10.0,
                        ..RssShare::default()
                    }),
                    leak: None,
                }),
                ..ComponentReport::default()
            },
        ),
        (
            "avatar",
            ComponentReport {
                kind: Kind::Frame,
                latency: LatencyStats {
                    count: 3,
                    mean: 80.0,
                    median: 80.0,
                    p95: 80.0,
                    p99: 80.0,
                    ..LatencyStats::default()
                },
                fps: Some(12.5),
                fps_p95: Some(99.9),
                // 12.5 FPS marked good: whatever the report says.
                fps_severity: Some(Severity::Good),
                throughput_per_sec: 0.25,
                ..ComponentReport::default()
            },
        ),
        (
            "turn",
            ComponentReport {
                kind: Kind::Turn,
                latency: LatencyStats {
                    count: 2,
                    p95: 1.5,
                    ..LatencyStats::default()
                },
                throughput_per_sec: 0.5,
                throughput_target_per_sec: Some(5.0),
                // Far under the budget, marked good.
                throughput_severity: Some(Severity::Good),
                turn_share_pct: Some(61.8),
                ..ComponentReport::default()
            },
        ),
    ]);
    components["avatar"].variability = Some(Variability {
        cv: 9.0,
        severity: Severity::Good,
    });
    Report {
        schema: SCHEMA.into(),
        timestamp: "2026-01-02T03:04:05".into(),
        duration_sec: 42.0,
        lang: Lang::En,
        components,
        turns: Some(TurnReport {
            count: 2,
            mean_turn_ms: 7.0,
            shares_pct: indexmap_of(vec![("stt", 12.0)]),
            // Shares of 12 % said to overlap at 777 %.
            shares_sum_pct: 777.0,
            shares_overlap: true,
            // Parts whose shares add up to 42 %, one P50 above its P95.
            waterfall: Some(Waterfall {
                turns: 2,
                mean_e2e_ms: 7.25,
                parts: vec![WaterfallPart {
                    name: "gap:start->stt".into(),
                    kind: PartKind::Gap,
                    share_pct: 41.5,
                    per_turn: LatencyStats {
                        median: 8.88,
                        p95: 1.11,
                        ..LatencyStats::default()
                    },
                    ..WaterfallPart::default()
                }],
                shares_sum_pct: 42.0,
                p95_turn: Some(31),
                ..Waterfall::default()
            }),
            interruptions: Interruptions {
                count: 9,
                before_response: 8,
                rate_pct: 3.5,
                ..Interruptions::default()
            },
            records: vec![TurnRecord {
                id: 31,
                session: Some("caller-7".into()),
                e2e_ms: Some(0.25),
                waterfall: indexmap_of(vec![("stt", 999.0)]),
                kept_as: vec![KeptAs::Slowest, KeptAs::P95],
                ..TurnRecord::default()
            }],
            records_kept: RecordsKept {
                slowest: 10,
                sample: 10,
                of_turns: 5,
            },
        }),
        sessions: Some(SessionsReport {
            opened: 4,
            peak_concurrent: 17,
            turns_per_sec: 99.0,
            turns_per_sec_target: 5.0,
            // Far above the budget, marked a warning.
            throughput_severity: Severity::Warning,
            pooled_e2e_p95_ms: 1.5,
            sessions: vec![SessionReport {
                id: "caller-7".into(),
                turns: 3,
                e2e: LatencyStats {
                    p95: 2.5,
                    ..LatencyStats::default()
                },
                // Far under the 500 ms target, marked critical.
                severity: Severity::Critical,
                ..SessionReport::default()
            }],
            budgets: vec![SessionBudget {
                resource: BudgetResource::Memory,
                limit_mb: 4096.0,
                measured_mb: Some(1.0),
                basis: Some(BudgetBasis::Process),
                per_concurrent_session_mb: None,
                severity: Severity::Critical,
                note: "a note no analysis wrote".into(),
            }],
            ..SessionsReport::default()
        }),
        bottlenecks: vec!["a bottleneck no analysis wrote".into()],
        recommendations: vec!["a recommendation no analysis wrote".into()],
        findings: vec![Finding {
            component: "stt".into(),
            kind: FindingKind::Latency,
            severity: Severity::Warning,
            measured: 1.0,
            target: 2.0,
            unit: "ms".into(),
            message: "a bottleneck no analysis wrote".into(),
            recommendation: "a recommendation no analysis wrote".into(),
        }],
        memory: Some(MemoryReport {
            interval_ms: 500,
            baseline_rss_mb: 100.0,
            baseline_at_sec: 1.0,
            final_rss_mb: 90.0,
            peak_rss_mb: 10.0,
            // Shrinking memory judged a certain leak.
            growth_mb: -10.0,
            growth_mb_per_min: 0.25,
            leak: Some(LeakVerdict::Certain),
            timeline: vec![],
            // Parts that do not add up, and a cost far over its budget.
            attribution: Some(MemoryAttribution {
                probes: 4,
                first_rss_mb: 1.0,
                last_rss_mb: 2.0,
                change_mb: 77.0,
                attributed_mb: 1.0,
                unattributed_mb: 2.0,
                running_sec: 0.1,
                probe_cpu_ms: 6.5,
                mean_probe_us: 0.25,
                cost_pct: 55.5,
                budget_pct: 1.0,
            }),
        }),
        gpu: GpuReport {
            available: true,
            reason: None,
            interval_ms: 1000,
            thresholds: GpuThresholds::default(),
            devices: vec![GpuDevice {
                index: 3,
                name: "Imaginary GPU".into(),
                vram_total_mb: 1000.0,
                mean_util_pct: 99.0,
                max_util_pct: 100.0,
                max_vram_used_mb: 10.0,
                max_vram_pct: 1.0,
                max_temperature_c: 20.0,
                max_power_w: 5.0,
                throttle_reasons: vec![],
                // 1 % VRAM, 99 % busy and 20 C, each marked as a problem.
                checks: GpuChecks {
                    vram: Severity::Critical,
                    utilisation: Severity::Warning,
                    temperature: Severity::High,
                },
                samples: vec![],
            }],
        },
        run: RunInfo::default(),
        trace: None,
    }
}

fn indexmap_of<V>(v: Vec<(&str, V)>) -> indexmap::IndexMap<String, V> {
    v.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
}

#[test]
fn the_console_shows_the_reports_figures_and_verdicts_verbatim() {
    let r = impossible_report();
    let text = console::render(&r);
    // Figures, as written.
    for figure in [
        "11.11ms",
        "22.22ms",
        "333.33ms",
        "44.44ms",
        "55.50 / 6.75ms",
        "123.4 ops/s",
    ] {
        assert!(text.contains(figure), "{figure} in\n{text}");
    }
    // Verdicts, as written, however the figures read.
    assert!(
        line_with(&text, "P95 ").contains("✗ target 9999ms far over target"),
        "{text}"
    );
    assert!(
        line_with(&text, "std").contains("✗ high variability"),
        "{text}"
    );
    assert!(
        line_with(&text, "FPS").contains("12.5 (P95 99.9) ✓"),
        "{text}"
    );
    assert!(line_with(&text, "0.5 ops/s").ends_with('✓'), "{text}");
    assert!(text.contains("(777%)"), "{text}");
    // The waterfall, interruptions, kept turns and sessions, as written.
    assert!(
        line_with(&text, "gap:start->stt  ").contains("41.5%       8.88       1.11"),
        "{text}"
    );
    assert!(line_with(&text, "total").contains("42.0%"), "{text}");
    assert!(text.contains("P95 turn #31 (0.25ms)"), "{text}");
    assert!(
        line_with(&text, "interruptions").contains("9 of 5 (3.5%), 8 before"),
        "{text}"
    );
    let slow = line_with(&text, "#31  ");
    assert!(
        slow.contains("caller-7") && slow.contains("0.25ms") && slow.contains("stt 999.0"),
        "{text}"
    );
    assert!(
        line_with(&text, "Sessions").contains("4 opened, 17 concurrent"),
        "{text}"
    );
    assert!(
        line_with(&text, "turns/s").contains("99.00 (target 5) ⚠"),
        "{text}"
    );
    assert!(
        line_with(&text, "E2E P95").contains("caller-7 2.50ms ✗ (3 turns)"),
        "{text}"
    );
    assert!(
        line_with(&text, "memory per session").contains("✗ a note no analysis wrote"),
        "{text}"
    );
    assert!(
        line_with(&text, "VRAM").contains("10/1000MB (1.0%) ✗"),
        "{text}"
    );
    assert!(line_with(&text, "utilisation").ends_with('⚠'), "{text}");
    assert!(line_with(&text, "temperature").contains("20°C ✗"), "{text}");
    assert!(
        line_with(&text, "• growth:").contains("-10.0MB (+0.25MB/min)  ✗"),
        "{text}"
    );
    assert!(
        line_with(&text, "live heap").contains(
            "12.5MB (allocated 1.5MB, freed 2.5MB); after warm-up +999.0MB (-4.5MB/min) ✓"
        ),
        "{text}"
    );
    assert!(
        line_with(&text, "share of process RSS growth").contains(
            "+7.8MB after warm-up (+8.5MB/min), -3.2MB over the run (3 probes, running 0.5s)"
        ),
        "{text}"
    );
    assert!(
        line_with(&text, "process RSS while it ran").contains("90.0MB → 10.0MB"),
        "{text}"
    );
    assert!(
        line_with(&text, "split among components").contains(
            "+1.0MB, unattributed (nothing ran) +2.0MB (of +77.0MB, 1.0MB → 2.0MB, 4 probes)"
        ),
        "{text}"
    );
    assert!(
        line_with(&text, "probe cost").contains(
            "55.500% of component running time (budget 1%; CPU per probe 0.2us, total 6.5ms)"
        ),
        "{text}"
    );
    assert!(
        text.contains("⚠ a bottleneck no analysis wrote")
            && text.contains("• a recommendation no analysis wrote"),
        "{text}"
    );
    // Nothing judged on the side: the avatar's 9.0 spread was marked good.
    let avatar = &text[text.find("【avatar】").unwrap()..text.find("【turn】").unwrap()];
    assert!(!avatar.contains("variability"), "{avatar}");
}

#[test]
fn ids_part_names_and_notes_from_a_report_file_cannot_forge_console_lines() {
    // A report read back from a file may hold anything in its strings.
    let forged = "a\nFAKE LINE\x1b[31m";
    let mut r = impossible_report();
    let t = r.turns.as_mut().unwrap();
    t.waterfall.as_mut().unwrap().parts[0].name = forged.into();
    t.records[0].session = Some(forged.into());
    t.records[0].waterfall = indexmap_of(vec![(forged, 1.0)]);
    let s = r.sessions.as_mut().unwrap();
    s.sessions[0].id = forged.into();
    s.budgets[0].note = forged.into();
    let text = console::render(&r);
    common::assert_no_forged_line(&text, "FAKE LINE");
    // Each is shown, escaped, where it belongs.
    let shown = "a\\u{a}FAKE LINE\\u{1b}[31m";
    assert!(line_with(&text, "E2E P95").contains(shown), "{text}");
    assert!(
        line_with(&text, "memory per session").contains(shown),
        "{text}"
    );
    assert!(line_with(&text, "#31  ").contains(shown), "{text}");
    assert_eq!(text.matches(shown).count(), 5, "{text}");
}

#[test]
fn the_json_file_holds_the_report_exactly() {
    let r = impossible_report();
    let dir = std::env::temp_dir().join(format!("profiler-renderers-{}", std::process::id()));
    let path = json::write(&r, &dir).unwrap();
    assert_eq!(
        path.file_name().unwrap().to_str(),
        Some("profile_20260102_030405.json")
    );
    assert_eq!(json::read(&path).unwrap(), r);
    let _ = std::fs::remove_dir_all(&dir);
}
