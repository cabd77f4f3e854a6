//! The page shows the report's figures and verdicts verbatim, requests nothing, stays
//! bounded for 10,000 components and for a day-long run, and says so where it leaves
//! something out.

use super::*;
use crate::analyse::compare::{Comparison, Percentile};
use crate::model::histogram::{encode_histogram, new_histogram};
use crate::model::*;
use crate::sample::timeline::MAX_POINTS;

/// A component whose histogram holds `values_ms` and whose figures are the ones given
/// (as a report can hold any figures: the page must show them as they are).
fn component(
    values_ms: &[f64],
    p95: f64,
    target: Option<f64>,
    severity: Severity,
) -> ComponentReport {
    let mut h = new_histogram();
    for v in values_ms {
        h.record((v * 1e6) as u64).unwrap();
    }
    ComponentReport {
        latency: LatencyStats {
            count: values_ms.len() as u64,
            mean: 11.5,
            median: 10.25,
            p95,
            p99: p95 + 1.0,
            std: 0.5,
            min: 1.0,
            max: 40.0,
        },
        target_ms: target,
        target_source: target.map(|_| TargetSource::Attribute),
        severity,
        target_ratio: target.map(|t| p95 / t),
        percentile_severity: Some(PercentileSeverity {
            p50: Severity::Good,
            p95: severity,
            p99: severity,
        }),
        counts: Counts {
            samples: values_ms.len() as u64,
            errors: 3,
            cancelled: 4,
            warmup_excluded: 0,
            clamped: 0,
        },
        throughput_per_sec: 12.5,
        histogram: encode_histogram(&h),
        ..ComponentReport::default()
    }
}

fn report(components: Vec<(&str, ComponentReport)>) -> Report {
    Report {
        schema: SCHEMA.into(),
        timestamp: "2026-11-23T10:20:30".into(),
        duration_sec: 12.0,
        lang: Lang::En,
        components: components
            .into_iter()
            .map(|(n, c)| (n.to_string(), c))
            .collect(),
        turns: None,
        sessions: None,
        bottlenecks: vec![],
        recommendations: vec![],
        findings: vec![],
        memory: None,
        gpu: GpuReport {
            available: false,
            reason: Some("no NVML here".into()),
            ..GpuReport::default()
        },
        run: RunInfo {
            program: "interview".into(),
            pid: 42,
            sample_rate: 1.0,
            warmup: 0,
            merged_from: 1,
        },
        trace: None,
    }
}

/// 20 calls: 19 at 10 ms and one at 30 ms.
fn calls() -> Vec<f64> {
    let mut v = vec![10.0; 19];
    v.push(30.0);
    v
}

fn pipeline() -> Report {
    let mut r = report(vec![
        (
            "stt",
            component(&calls(), 131.73, Some(100.0), Severity::Medium),
        ),
        (
            "llm",
            component(&calls(), 283.12, Some(200.0), Severity::Medium),
        ),
        (
            "<script>alert(1)</script>",
            component(&calls(), 5.5, None, Severity::Good),
        ),
    ]);
    r.findings = vec![Finding {
        component: "stt".into(),
        kind: FindingKind::Latency,
        // A medium P95 listed as critical: the page says what the report says.
        severity: Severity::Critical,
        measured: 131.73,
        target: 100.0,
        unit: "ms".into(),
        message: "stt: a sentence no analysis wrote".into(),
        recommendation: "tune the VAD & send <smaller> chunks".into(),
    }];
    r.bottlenecks = vec!["stt: a sentence no analysis wrote".into()];
    r
}

/// The bar counts of each distribution in the page, in card order.
fn bar_counts(page: &str) -> Vec<u64> {
    page.split("<figure class=\"dist\">")
        .skip(1)
        .map(|fig| {
            let fig = &fig[..fig.find("</figure>").unwrap()];
            fig.split("<rect class=\"bar")
                .skip(1)
                .map(|bar| {
                    let title = &bar[bar.find("<title>").unwrap()..bar.find("</title>").unwrap()];
                    title.rsplit(": ").next().unwrap().parse::<u64>().unwrap()
                })
                .sum()
        })
        .collect()
}

#[test]
fn the_page_shows_the_reports_figures_and_verdicts_verbatim() {
    let page = render(&pipeline());
    for figure in ["132", "283", "×1.32", "×1.42", "12.5"] {
        assert!(page.contains(figure), "{figure}");
    }
    // The finding's own verdict, sentence and recommendation (escaped).
    assert!(page.contains(
        "<span class=\"badge critical\">✗ critical</span> <span>stt: a sentence no analysis wrote"
    ));
    assert!(page.contains("tune the VAD &amp; send &lt;smaller&gt; chunks"));
    // The component's severity is the report's (medium), not the finding's.
    assert!(page.contains("<article class=\"card sev-medium\" id=\"c0\" data-name=\"stt\">"));
    // A name from user code is text, never markup.
    assert!(!page.contains("<script>alert(1)"));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("no NVML here"));
}

#[test]
fn every_component_is_a_row_and_a_card_whose_bars_hold_every_sample() {
    let r = pipeline();
    let page = render(&r);
    assert_eq!(page.matches("<tr data-name=").count(), 3);
    assert_eq!(page.matches("<article class=\"card").count(), 3);
    // Decoded from each histogram: the bars add up to the samples it holds.
    assert_eq!(bar_counts(&page), vec![20, 20, 20]);
    // The slow call is its own bar, apart from the 19 others.
    assert!(page.contains(": 19</title>") && page.contains(": 1</title>"));
}

#[test]
fn a_far_tail_is_one_bar_of_its_own_and_still_counted() {
    let mut v = vec![10.0; 98];
    v.extend([11.0, 2_000.0]);
    let mut c = component(&v, 10.0, Some(50.0), Severity::Good);
    c.latency.p99 = 11.0;
    c.latency.max = 2_000.0;
    let page = render(&report(vec![("tts", c)]));
    assert_eq!(bar_counts(&page), vec![100]);
    assert!(
        page.contains("<rect class=\"bar beyond\""),
        "the 2 s call is one bar"
    );
    assert!(page.contains("1 beyond"));
}

#[test]
fn a_histogram_that_does_not_decode_is_a_line_not_a_panic() {
    let mut c = component(&calls(), 10.0, None, Severity::Good);
    c.histogram = "not a histogram!".into();
    let page = render(&report(vec![("stt", c)]));
    assert!(page.contains("The distribution cannot be drawn: the histogram is not valid base64"));
}

#[test]
fn the_page_requests_nothing() {
    let mut r = pipeline();
    r.memory = Some(day_memory());
    r.gpu = day_gpu(1);
    let page = render(&r);
    assert!(
        page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';")
    );
    for external in [
        "http://", "https://", "src=", "url(", "@import", "<link", "<img", "//cdn",
    ] {
        assert!(!page.contains(external), "{external}");
    }
    // Links only within the page.
    for href in page.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "{}", &href[..20.min(href.len())]);
    }
}

#[test]
fn a_korean_report_is_a_korean_page() {
    let mut r = pipeline();
    r.lang = Lang::Ko;
    let page = render(&r);
    assert!(page.contains("<html lang=\"ko\">"));
    assert!(
        page.contains("프로파일링 보고서") && page.contains("심각도") && page.contains("⚠ 보통")
    );
    // Forced to English, it is English.
    assert!(render_in(&r, Lang::En).contains("<html lang=\"en\">"));
}

fn day_memory() -> MemoryReport {
    let step = 86_400.0 / MAX_POINTS as f64;
    MemoryReport {
        interval_ms: 500,
        baseline_rss_mb: 800.0,
        baseline_at_sec: 60.0,
        final_rss_mb: 950.0,
        peak_rss_mb: 1001.0,
        growth_mb: 150.0,
        growth_mb_per_min: 0.1,
        leak: Some(LeakVerdict::Suspected),
        timeline: (0..MAX_POINTS)
            .map(|i| MemoryPoint {
                t_sec: i as f64 * step,
                rss_mb: 800.0 + (i % 97) as f64 + i as f64 * 0.03,
                vms_mb: 4000.0 + (i % 13) as f64,
            })
            .collect(),
        ..MemoryReport::default()
    }
}

fn day_gpu(devices: u32) -> GpuReport {
    let step = 86_400.0 / MAX_POINTS as f64;
    GpuReport {
        available: true,
        reason: None,
        interval_ms: 1000,
        thresholds: GpuThresholds::default(),
        devices: (0..devices)
            .map(|index| GpuDevice {
                index,
                name: "NVIDIA H100 80GB HBM3".into(),
                vram_total_mb: 81_559.0,
                mean_util_pct: 61.0,
                max_util_pct: 100.0,
                max_vram_used_mb: 70_000.0,
                max_vram_pct: 85.8,
                max_temperature_c: 71.0,
                max_power_w: 690.0,
                throttle_reasons: vec!["sw_power_cap".into()],
                checks: GpuChecks::default(),
                samples: (0..MAX_POINTS)
                    .map(|i| GpuPoint {
                        t_sec: i as f64 * step,
                        util_pct: (i % 100) as f64,
                        vram_used_mb: 60_000.0,
                        vram_pct: 73.6,
                        temperature_c: 60.0 + (i % 11) as f64,
                        power_w: 500.0,
                        throttle_reasons: vec![],
                        process_vram_mb: None,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// A 24-hour run: full memory and GPU timelines, the kept turns, 100 sessions.
fn day_report() -> Report {
    let mut r = pipeline();
    r.duration_sec = 86_400.0;
    r.memory = Some(day_memory());
    r.gpu = day_gpu(2);
    let part = |name: &str, kind: PartKind, component: Option<&str>| WaterfallPart {
        name: name.into(),
        kind,
        component: component.map(Into::into),
        share_pct: 25.0,
        per_turn: LatencyStats {
            mean: 100.0,
            median: 95.0,
            p95: 180.0,
            ..LatencyStats::default()
        },
        ..WaterfallPart::default()
    };
    let parts = vec![
        part("gap:start->stt", PartKind::Gap, None),
        part("stt", PartKind::Stage, Some("stt")),
        part("llm", PartKind::Stage, Some("llm")),
        part("tts", PartKind::Stage, Some("tts")),
    ];
    let records: Vec<TurnRecord> = (0..22)
        .map(|id| TurnRecord {
            id,
            session: Some(format!("caller-{}", id % 7)),
            e2e_ms: Some(400.0),
            waterfall: parts.iter().map(|p| (p.name.clone(), 100.0)).collect(),
            kept_as: vec![KeptAs::Slowest],
            ..TurnRecord::default()
        })
        .collect();
    r.turns = Some(TurnReport {
        count: 300_000,
        waterfall: Some(Waterfall {
            turns: 300_000,
            mean_e2e_ms: 400.0,
            parts,
            shares_sum_pct: 100.0,
            p50_turn: Some(3),
            p95_turn: Some(0),
            ..Waterfall::default()
        }),
        records,
        ..TurnReport::default()
    });
    r.sessions = Some(SessionsReport {
        opened: 5_000,
        tracked: 100,
        max_tracked: 100,
        untracked: 4_900,
        sessions: (0..100)
            .map(|i| SessionReport {
                id: format!("caller-{i}"),
                turns: 60,
                ..SessionReport::default()
            })
            .collect(),
        ..SessionsReport::default()
    });
    r
}

#[test]
fn a_day_long_report_is_a_small_page() {
    let page = render(&day_report());
    // Each timeline is drawn at most twice per column, whatever its length.
    for line in page.split("<polyline").skip(1) {
        let points = line[..line.find("/>").unwrap()].matches(',').count();
        assert!(points <= 2 * MAX_PLOT_POINTS, "{points}");
    }
    assert_eq!(page.matches("<polyline").count(), 2 + 2 * 3);
    assert_eq!(page.matches("<tr><td>caller-").count(), 100);
    eprintln!("24-hour report page: {} bytes", page.len());
    assert!(page.len() < 200_000, "{} bytes", page.len());
}

fn fleet(n: usize) -> Report {
    let base = component(&calls(), 0.0, Some(100.0), Severity::Good);
    let mut r = report(vec![]);
    for i in 0..n {
        let mut c = base.clone();
        // P95s in no order; one in a thousand over its target.
        c.latency.p95 = ((i * 7919) % 10_007) as f64 / 100.0;
        if i % 1000 == 7 {
            c.severity = Severity::Critical;
            c.target_ratio = Some(2.5 + i as f64 / 1e4);
        }
        r.components
            .insert(format!("host{:02}/stage_{i:05}", i % 16), c);
    }
    r
}

#[test]
fn ten_thousand_components_are_all_in_the_table_and_the_worst_have_cards() {
    let r = fleet(10_000);
    let page = render(&r);
    assert_eq!(page.matches("<tr data-name=").count(), 10_000);
    assert_eq!(page.matches("<article class=\"card").count(), MAX_CARDS);
    assert!(page.contains(&format!(
        "Cards for the {MAX_CARDS} components furthest over their target, of 10000"
    )));
    // The ten critical ones have cards (and links from their rows).
    for i in (0..10_000).filter(|i| i % 1000 == 7) {
        let name = format!("host{:02}/stage_{i:05}", i % 16);
        assert!(
            page.contains(&format!("data-name=\"{name}\"><header>")),
            "{name}"
        );
    }
    assert_eq!(page.matches("<td><a href=\"#c").count(), MAX_CARDS);
    eprintln!(
        "10,000-component report page: {} bytes ({} per component)",
        page.len(),
        page.len() / 10_000
    );
    assert!(page.len() < 8_000_000, "{} bytes", page.len());
}

#[test]
fn the_compare_page_carries_the_comparisons_verdicts() {
    let base = pipeline();
    let mut current = pipeline();
    current.components["stt"].latency.p95 = 160.0;
    let c = Comparison::new(
        Path::new("before/profile_1.json"),
        &base,
        Path::new("after/profile_2.json"),
        &current,
        10.0,
        &[Percentile::P95],
    );
    let page = compare::render(&c, Lang::En);
    assert!(
        page.contains("✗ 1 regressions over 10 %: stt P95 +21.5 %"),
        "verdict"
    );
    assert!(page.contains("<td class=\"critical\">regression</td>"));
    assert_eq!(page.matches("<tr data-name=").count(), 3);
    assert!(page.contains("before/profile_1.json") && page.contains("after/profile_2.json"));
    let ko = compare::render(&c, Lang::Ko);
    assert!(ko.contains("<html lang=\"ko\">") && ko.contains("회귀"));
}

#[test]
fn the_compare_chart_puts_regressions_first_then_improvements() {
    let base = pipeline();
    let mut current = pipeline();
    current.components["stt"].latency.median *= 0.5;
    current.components["llm"].latency.p95 *= 1.5;
    let c = Comparison::new(
        Path::new("before/profile_1.json"),
        &base,
        Path::new("after/profile_2.json"),
        &current,
        10.0,
        &[Percentile::P50, Percentile::P95],
    );
    let page = compare::render(&c, Lang::En);
    let chart = &page[page.find("<section id=\"chart\">").unwrap()..];
    let chart = &chart[..chart.find("</section>").unwrap()];
    let labels: Vec<&str> = chart
        .split("text-anchor=\"end\">")
        .skip(1)
        .map(|t| &t[..t.find("</text>").unwrap()])
        .filter(|t| t.ends_with(" P50") || t.ends_with(" P95"))
        .collect();
    assert_eq!(
        labels,
        [
            "llm P50",
            "llm P95",
            "stt P50",
            "stt P95",
            "&lt;script&gt;alert(1)&lt;/script&gt; P50",
            "&lt;script&gt;alert(1)&lt;/script&gt; P95"
        ]
    );
}

#[test]
fn the_reporter_writes_a_stamped_page_beside_the_json() {
    let dir = std::env::temp_dir().join(format!("profiler-html-unit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let r = pipeline();
    let first = HtmlReporter.write(&r, Output { dir: &dir }).unwrap();
    let second = HtmlReporter.write(&r, Output { dir: &dir }).unwrap();
    assert_eq!(first[0], dir.join("report_20261123_102030.html"));
    assert_eq!(second[0], dir.join("report_20261123_102030_2.html"));
    assert_eq!(std::fs::read_to_string(&first[0]).unwrap(), render(&r));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn figures_that_are_not_numbers_never_reach_an_attribute() {
    let mut c = component(&calls(), f64::NAN, Some(100.0), Severity::Good);
    c.latency.max = f64::INFINITY;
    c.latency.p99 = f64::NAN;
    c.target_ratio = Some(f64::NAN);
    let mut r = report(vec![("stt", c)]);
    let mut memory = day_memory();
    memory.timeline[7].rss_mb = f64::NAN;
    memory.baseline_rss_mb = f64::NEG_INFINITY;
    r.memory = Some(memory);
    let page = render(&r);
    for bad in [
        "=\"NaN", "=\"inf", "=\"-inf", ",NaN", "NaN,", ",inf", ",-inf",
    ] {
        assert!(
            !page.contains(bad),
            "{bad}: {}",
            page.find(bad)
                .map_or("", |i| &page[i.saturating_sub(80)..i + 40])
        );
    }
    assert_eq!(bar_counts(&page), vec![20]);
}
