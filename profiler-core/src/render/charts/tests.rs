//! Chart tests: PNGs drawn from a hand-built interview report.

use super::font::{hangul_family, HANGUL, HANGUL_FONT_LOCATIONS};
use super::*;
use crate::analyse::stats::latency_stats;
use crate::model::histogram::{encode_histogram, new_histogram};
use crate::model::*;
use indexmap::IndexMap;

/// A deterministic spread of latencies around `median_ms`, with a tail.
fn samples(n: usize, median_ms: f64, seed: u64) -> Vec<u64> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            // Log-logistic: a realistic right-skewed service time.
            let v = median_ms * (u / (1.0 - u)).powf(0.12);
            (v * 1e6) as u64
        })
        .collect()
}

fn component(kind: Kind, target: Option<f64>, median: f64, n: usize, seed: u64) -> ComponentReport {
    let mut h = new_histogram();
    for v in samples(n, median, seed) {
        h.record(v).unwrap();
    }
    let latency = latency_stats(&h);
    ComponentReport {
        kind,
        source: Source::Profile,
        functions: vec![],
        labels: Default::default(),
        severity: Severity::Good,
        target_ratio: target.map(|t| latency.p95 / t),
        latency,
        target_ms: target,
        target_source: target.map(|_| TargetSource::Default),
        counts: Counts {
            samples: n as u64,
            ..Counts::default()
        },
        throughput_per_sec: 5.0,
        active_sec: 60.0,
        memory_delta_mb: Some(3.0),
        memory: None,
        stream: None,
        fps: None,
        turn_share_pct: None,
        allocations: None,
        gpu: None,
        histogram: encode_histogram(&h),
        ..ComponentReport::default()
    }
}

/// An interview pipeline: STT within budget, LLM and TTS first items over it, the
/// avatar just over, a slow end-to-end turn; memory growing; one GPU.
pub(crate) fn interview_report(lang: Lang) -> Report {
    let mut components = IndexMap::new();
    components.insert(
        "stt".into(),
        component(Kind::Latency, Some(100.0), 62.0, 400, 1),
    );
    components.insert(
        "llm".into(),
        component(Kind::FirstItem, Some(200.0), 172.0, 400, 2),
    );
    components.insert(
        "tts".into(),
        component(Kind::FirstItem, Some(200.0), 120.0, 400, 3),
    );
    components.insert(
        "avatar".into(),
        component(Kind::Frame, Some(50.0), 41.0, 3000, 4),
    );
    components.insert(
        "turn".into(),
        component(Kind::Turn, Some(500.0), 385.0, 400, 5),
    );
    let timeline: Vec<MemoryPoint> = (0..240)
        .map(|i| {
            let t = i as f64 * 0.5;
            let warm = if t < 8.0 { 380.0 * t / 8.0 } else { 380.0 };
            let wobble = ((i as f64) * 0.7).sin() * 2.5;
            MemoryPoint {
                t_sec: t,
                rss_mb: 120.0 + warm + t * 0.35 + wobble,
                vms_mb: 2100.0 + warm * 1.5 + if t > 60.0 { 64.0 } else { 0.0 },
            }
        })
        .collect();
    let samples: Vec<GpuPoint> = (0..120)
        .map(|i| {
            let t = i as f64;
            let busy = if i % 10 < 7 { 78.0 } else { 22.0 } + ((i * 13) % 9) as f64;
            GpuPoint {
                t_sec: t,
                util_pct: busy,
                vram_used_mb: 9800.0 + t * 6.0,
                vram_pct: (9800.0 + t * 6.0) / 24576.0 * 100.0,
                temperature_c: 52.0 + 30.0 * (1.0 - (-t / 40.0).exp()),
                power_w: 210.0,
                throttle_reasons: vec![],
                process_vram_mb: Some(9000.0),
            }
        })
        .collect();
    let mut report = Report {
        schema: SCHEMA.into(),
        timestamp: "2026-11-21T14:03:07".into(),
        duration_sec: 120.0,
        lang,
        components,
        turns: Some(turns()),
        sessions: None,
        bottlenecks: vec![],
        recommendations: vec![],
        findings: vec![],
        memory: Some(MemoryReport {
            interval_ms: 500,
            baseline_rss_mb: 502.0,
            baseline_at_sec: 8.0,
            final_rss_mb: 541.0,
            peak_rss_mb: 546.0,
            growth_mb: 39.0,
            growth_mb_per_min: 20.9,
            leak: None,
            timeline,
            attribution: None,
        }),
        gpu: GpuReport {
            available: true,
            reason: None,
            interval_ms: 1000,
            thresholds: GpuThresholds::default(),
            devices: vec![GpuDevice {
                index: 0,
                name: "NVIDIA RTX 4090".into(),
                vram_total_mb: 24576.0,
                mean_util_pct: 60.0,
                max_util_pct: 86.0,
                max_vram_used_mb: 10514.0,
                max_vram_pct: 42.8,
                max_temperature_c: 81.0,
                max_power_w: 210.0,
                throttle_reasons: vec![],
                checks: GpuChecks::default(),
                samples,
            }],
        },
        run: RunInfo {
            program: "interview".into(),
            pid: 1,
            sample_rate: 1.0,
            warmup: 0,
            merged_from: 1,
        },
        trace: None,
    };
    crate::analyse::assess(&mut report);
    report
}

/// Turns of the interview: a waterfall of four parts and the kept P50 and P95 turns.
fn turns() -> TurnReport {
    let part = |name: &str, kind: PartKind, component: Option<&str>, mean: f64, share: f64| {
        WaterfallPart {
            name: name.into(),
            kind,
            component: component.map(str::to_string),
            share_pct: share,
            per_turn: LatencyStats {
                count: 400,
                mean,
                ..LatencyStats::default()
            },
            turns_with: 400,
            ..WaterfallPart::default()
        }
    };
    let record = |id: u64, parts: [f64; 4]| TurnRecord {
        id,
        e2e_ms: Some(parts.iter().sum()),
        waterfall: ["gap:start->stt", "stt", "llm", "tts"]
            .into_iter()
            .map(str::to_string)
            .zip(parts)
            .collect(),
        ..TurnRecord::default()
    };
    TurnReport {
        count: 400,
        waterfall: Some(Waterfall {
            turns: 400,
            mean_e2e_ms: 400.0,
            parts: vec![
                part("gap:start->stt", PartKind::Gap, None, 40.0, 10.0),
                part("stt", PartKind::Stage, Some("stt"), 60.0, 15.0),
                part("llm", PartKind::Stage, Some("llm"), 180.0, 45.0),
                part("tts", PartKind::Stage, Some("tts"), 120.0, 30.0),
            ],
            shares_sum_pct: 100.0,
            p50_turn: Some(7),
            p95_turn: Some(9),
            ..Waterfall::default()
        }),
        records: vec![
            record(9, [50.0, 70.0, 400.0, 140.0]),
            record(7, [40.0, 60.0, 170.0, 115.0]),
        ],
        ..TurnReport::default()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("profiler-charts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Width, height and byte size of a PNG file, checking the signature.
fn png_info(path: &Path) -> (u32, u32, usize) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        path.display()
    );
    let decoder = png::Decoder::new(bytes.as_slice());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    (frame.width, frame.height, bytes.len())
}

#[test]
fn every_chart_is_a_valid_png_of_sensible_size() {
    let dir = scratch("all");
    let paths = write_all(&interview_report(Lang::En), &dir, None).unwrap();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "latency_20261121_140307.png",
            "memory_20261121_140307.png",
            "gpu_20261121_140307.png",
            "waterfall_20261121_140307.png"
        ]
    );
    for p in &paths {
        let (w, h, size) = png_info(p);
        assert!(
            (1000..=2600).contains(&w) && (600..=1200).contains(&h),
            "{}: {w}x{h}",
            p.display()
        );
        assert!(size > 20_000, "{}: only {size} bytes", p.display());
    }
    // Nothing but the charts: the temporary files were renamed.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 4);
    if std::env::var_os("PROFILER_KEEP_CHARTS").is_none() {
        std::fs::remove_dir_all(&dir).unwrap();
    } else {
        eprintln!("charts kept in {}", dir.display());
    }
}

#[test]
fn no_gpu_samples_means_no_gpu_chart() {
    let dir = scratch("nogpu");
    let mut report = interview_report(Lang::En);
    report.gpu = GpuReport {
        available: false,
        reason: Some("no NVML".into()),
        ..GpuReport::default()
    };
    report.memory = None;
    report.turns = None;
    let paths = write_all(&report, &dir, None).unwrap();
    assert_eq!(paths.len(), 1);
    assert!(paths[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("latency_"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_writers_in_one_process_never_share_a_temp_file() {
    let dir = scratch("writers");
    let mut report = interview_report(Lang::En);
    report.gpu = GpuReport::default();
    report.memory = None;
    report.turns = None;
    // Same report, same directory, same process: the same chart name for both.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                for _ in 0..2 {
                    write_all(&report, &dir, None).unwrap();
                }
            });
        }
    });
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "temp files left behind: {names:?}"
    );
    for n in &names {
        png_info(&dir.join(n));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Pixels of exactly colour `c` in a PNG.
fn pixels_of(path: &Path, c: (u8, u8, u8)) -> usize {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = png::Decoder::new(bytes.as_slice()).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let step = frame.color_type.samples();
    buf[..frame.buffer_size()]
        .chunks(step)
        .filter(|p| (p[0], p[1], p[2]) == c)
        .count()
}

#[test]
fn the_waterfall_chart_stacks_each_kept_turns_parts_from_the_report() {
    let dir = scratch("waterfall");
    let mut report = interview_report(Lang::En);
    let paths = write_all(&report, &dir, None).unwrap();
    let chart = paths
        .iter()
        .find(|p| p.to_string_lossy().contains("waterfall_"))
        .unwrap();
    let (_, three_bars, _) = png_info(chart);
    // The first stage (stt) in blue, the second (llm) in orange, the gap in grey.
    let stt = pixels_of(chart, (31, 119, 180));
    let llm = pixels_of(chart, (255, 127, 14));
    assert!(stt > 1000 && llm > 1000, "stt {stt}, llm {llm}");
    // The LLM takes about three times STT's length in each bar.
    assert!(llm > 2 * stt, "stt {stt}, llm {llm}");
    assert!(pixels_of(chart, (189, 189, 189)) > 500);
    // Without the P95 turn among the records: two bars, a shorter chart.
    std::fs::remove_dir_all(&dir).unwrap();
    report.turns.as_mut().unwrap().records.retain(|r| r.id != 9);
    let paths = write_all(&report, &dir, None).unwrap();
    let chart = paths
        .iter()
        .find(|p| p.to_string_lossy().contains("waterfall_"))
        .unwrap();
    let (_, two_bars, _) = png_info(chart);
    assert!(two_bars < three_bars, "{two_bars} vs {three_bars}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_waterfall_chart_draws_the_record_carrying_the_mark() {
    let dir = scratch("marked");
    let llm_pixels = |report: &Report| {
        let _ = std::fs::remove_dir_all(&dir);
        let paths = write_all(report, &dir, None).unwrap();
        let chart = paths
            .iter()
            .find(|p| p.to_string_lossy().contains("waterfall_"))
            .unwrap();
        pixels_of(chart, (255, 127, 14))
    };
    let mut report = interview_report(Lang::En);
    for r in &mut report.turns.as_mut().unwrap().records {
        r.kept_as = vec![if r.id == 9 { KeptAs::P95 } else { KeptAs::P50 }];
    }
    let marked = llm_pixels(&report);
    // A merged report: another process's turn 9, unmarked and almost without LLM, first.
    let decoy = TurnRecord {
        id: 9,
        e2e_ms: Some(4.0),
        waterfall: [("llm".to_string(), 1.0)].into_iter().collect(),
        ..TurnRecord::default()
    };
    report.turns.as_mut().unwrap().records.insert(0, decoy);
    assert_eq!(llm_pixels(&report), marked);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_report_with_nothing_to_draw_writes_nothing() {
    let dir = scratch("empty");
    let mut report = interview_report(Lang::En);
    report.components.clear();
    report.memory = None;
    report.turns = None;
    report.gpu = GpuReport::default();
    assert!(write_all(&report, &dir, None).unwrap().is_empty());
    assert!(!dir.exists());
}

#[test]
fn a_font_without_hangul_is_refused_with_the_reason() {
    let dir = scratch("font");
    std::fs::create_dir_all(&dir).unwrap();
    let latin = dir.join("DejaVuSans.ttf");
    std::fs::write(&latin, dejavu::sans::regular()).unwrap();
    let why = hangul_family(Some(&latin)).unwrap_err().to_string();
    assert!(
        why.contains("no Hangul") && why.contains("English labels"),
        "{why}"
    );
    let why = hangul_family(Some(&dir.join("missing.ttf")))
        .unwrap_err()
        .to_string();
    assert!(why.contains("cannot read"), "{why}");
    // A Korean report still gets its charts, with English labels.
    let paths = write_all(&interview_report(Lang::Ko), &dir.join("out"), Some(&latin)).unwrap();
    assert_eq!(paths.len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_korean_font_found_on_the_system_is_used() {
    // Only where a Korean font is installed (fonts-nanum, fonts-noto-cjk, ...).
    let Some(found) = HANGUL_FONT_LOCATIONS
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
    else {
        return;
    };
    assert_eq!(hangul_family(Some(found)), Ok(HANGUL));
    let dir = scratch("ko");
    let paths = write_all(&interview_report(Lang::Ko), &dir, Some(found)).unwrap();
    assert_eq!(paths.len(), 4);
    if std::env::var_os("PROFILER_KEEP_CHARTS").is_none() {
        std::fs::remove_dir_all(&dir).unwrap();
    } else {
        eprintln!("charts kept in {}", dir.display());
    }
}

#[test]
fn a_directory_that_cannot_be_made_is_an_error_and_writes_nothing() {
    let dir = scratch("blocked");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    assert!(write_all(&interview_report(Lang::En), &file.join("charts"), None).is_err());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
