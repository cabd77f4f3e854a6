//! The `profiler` command as a user runs it: reports are built from histograms filled
//! with known samples, written as files, and the binary is run on them.

use profiler_core::analyse::{self, stats};
use profiler_core::model::histogram::{decode_histogram, encode_histogram, new_histogram};
use profiler_core::model::*;
use profiler_core::render::{console, html, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

const MS: u64 = 1_000_000;

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "profiler-cli-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `program` with no `PROFILER_*` variable of this process: the binary reads every one
/// of them, and a developer's shell must not change what a test sees.
fn clean_env(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PROFILER_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

fn profiler(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    clean_env(env!("CARGO_BIN_EXE_profiler"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .expect("the profiler binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `n` latencies spread evenly from `lo_ms` to `hi_ms`, in ns.
fn spread(n: u64, lo_ms: f64, hi_ms: f64) -> Vec<u64> {
    (0..n)
        .map(|i| ((lo_ms + (hi_ms - lo_ms) * i as f64 / (n - 1).max(1) as f64) * MS as f64) as u64)
        .collect()
}

/// A component whose figures all come from `samples` (and `stream` totals, if any).
fn component(
    kind: Kind,
    target_ms: Option<f64>,
    samples: &[u64],
    stream: Option<(&[u64], u64)>,
) -> ComponentReport {
    let mut h = new_histogram();
    for &v in samples {
        h.record(v).unwrap();
    }
    let stream = stream.map(|(totals, items)| {
        let mut s = new_histogram();
        for &v in totals {
            s.record(v).unwrap();
        }
        let total = stats::latency_stats(&s);
        let secs = total.mean * total.count as f64 / 1e3;
        StreamReport {
            items_per_stream: items as f64 / totals.len() as f64,
            items_per_sec: items as f64 / secs,
            total,
            completed: totals.len() as u64,
            cancelled: 0,
            items,
            histogram: encode_histogram(&s),
        }
    });
    ComponentReport {
        kind,
        source: Source::Profile,
        functions: vec!["pipeline::stage".into()],
        labels: Default::default(),
        latency: stats::latency_stats(&h),
        target_ms,
        target_source: target_ms.map(|_| TargetSource::Attribute),
        severity: Severity::Good,
        target_ratio: None,
        counts: Counts {
            samples: samples.len() as u64,
            errors: 1,
            cancelled: 2,
            warmup_excluded: 3,
            ..Counts::default()
        },
        throughput_per_sec: 4.0,
        active_sec: 30.0,
        memory_delta_mb: Some(1.5),
        memory: None,
        stream,
        fps: (kind == Kind::Frame).then_some(4.0),
        turn_share_pct: None,
        allocations: None,
        gpu: None,
        histogram: encode_histogram(&h),
        ..ComponentReport::default()
    }
}

fn report(timestamp: &str, components: Vec<(&str, ComponentReport)>) -> Report {
    let mut r = Report {
        schema: SCHEMA.into(),
        timestamp: timestamp.into(),
        duration_sec: 30.0,
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
            reason: Some("no NVML".into()),
            ..GpuReport::default()
        },
        run: RunInfo {
            program: "pipeline".into(),
            pid: 7,
            sample_rate: 1.0,
            warmup: 3,
            merged_from: 1,
        },
        trace: None,
    };
    analyse::assess(&mut r);
    r
}

fn save(dir: &Path, r: &Report) -> PathBuf {
    json::write(r, dir).unwrap()
}

/// Base: tts P95 about 100 ms; current: every tts sample `factor` times slower.
fn tts_pair(dir: &Path, factor: f64) -> (PathBuf, PathBuf) {
    let base: Vec<u64> = spread(1000, 20.0, 105.0);
    let current: Vec<u64> = base.iter().map(|v| (*v as f64 * factor) as u64).collect();
    let stt = spread(500, 30.0, 60.0);
    let b = report(
        "2026-11-21T10:00:00",
        vec![
            ("stt", component(Kind::Latency, Some(100.0), &stt, None)),
            ("tts", component(Kind::FirstItem, Some(200.0), &base, None)),
        ],
    );
    let c = report(
        "2026-11-21T11:00:00",
        vec![
            ("stt", component(Kind::Latency, Some(100.0), &stt, None)),
            (
                "tts",
                component(Kind::FirstItem, Some(200.0), &current, None),
            ),
        ],
    );
    let (bd, cd) = (dir.join("before"), dir.join("after"));
    (save(&bd, &b), save(&cd, &c))
}

fn json_rows(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("--json prints JSON ({e}): {}", stdout(o)))
}

#[test]
fn compare_flags_a_15_percent_p95_regression_and_exits_1() {
    let dir = scratch("regress");
    let (base, current) = tts_pair(&dir, 1.15);
    let out = profiler(&[&"compare", &base, &current]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let table = stdout(&out);
    let p95 = table
        .lines()
        .find(|l| l.starts_with("tts") && l.contains("P95"))
        .unwrap();
    assert!(p95.contains("REGRESSION") && p95.contains("+15."), "{p95}");
    let stt = table
        .lines()
        .find(|l| l.starts_with("stt") && l.contains("P95"))
        .unwrap();
    assert!(stt.ends_with("ok"), "{stt}");

    let out = profiler(&[&"compare", &base, &current, &"--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json_rows(&out);
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["component"] == "tts" && r["percentile"] == "p95")
        .unwrap();
    assert_eq!(row["status"], "regression");
    let pct = row["delta_pct"].as_f64().unwrap();
    assert!((pct - 15.0).abs() < 0.5, "{pct}");
    let delta_ms = row["delta_ms"].as_f64().unwrap();
    let base_ms = row["base_ms"].as_f64().unwrap();
    assert!(
        (delta_ms - base_ms * 0.15).abs() < 0.5,
        "{delta_ms} vs {base_ms}"
    );
    assert_eq!(v["threshold_pct"], 10.0);
    assert!(v["regressions"].as_u64().unwrap() >= 1);
}

#[test]
fn compare_passes_a_5_percent_change_and_exits_0() {
    let dir = scratch("pass");
    let (base, current) = tts_pair(&dir, 1.05);
    let out = profiler(&[&"compare", &base, &current]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(!stdout(&out).contains("REGRESSION"));
    assert!(stdout(&out).contains("No regression over 10 %"));
    let v = json_rows(&profiler(&[&"compare", &base, &current, &"--json"]));
    assert_eq!(v["regressions"], 0);
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["component"] == "tts" && r["percentile"] == "p95")
        .unwrap();
    assert_eq!(row["status"], "ok");
    assert!((row["delta_pct"].as_f64().unwrap() - 5.0).abs() < 0.5);
}

#[test]
fn compare_threshold_and_directories_are_honoured() {
    let dir = scratch("threshold");
    let (base, current) = tts_pair(&dir, 1.15);
    // Directories stand for their newest report.
    let (bd, cd) = (base.parent().unwrap(), current.parent().unwrap());
    let out = profiler(&[&"compare", &bd, &cd, &"--threshold", &"20%"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains(&*current.display().to_string()));
    let out = profiler(&[&"compare", &bd, &cd, &"--threshold", &"12"]);
    assert_eq!(out.status.code(), Some(1));
    // Swapped, the same change is an improvement.
    let out = profiler(&[&"compare", &cd, &bd]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out)
        .lines()
        .any(|l| l.starts_with("tts") && l.contains("P95") && l.ends_with("improved")));
}

#[test]
fn merge_of_two_reports_equals_the_report_of_the_combined_samples() {
    let dir = scratch("merge");
    let (a_tts, b_tts) = (spread(700, 40.0, 260.0), spread(300, 90.0, 900.0));
    let (a_llm, b_llm) = (spread(200, 150.0, 300.0), spread(50, 120.0, 500.0));
    let (a_totals, b_totals) = (spread(200, 900.0, 3000.0), spread(50, 700.0, 5000.0));
    let stt = spread(123, 10.0, 80.0);
    let a = report(
        "2026-11-21T10:00:00",
        vec![
            ("tts", component(Kind::Latency, Some(200.0), &a_tts, None)),
            (
                "llm",
                component(
                    Kind::FirstItem,
                    Some(200.0),
                    &a_llm,
                    Some((&a_totals, 4000)),
                ),
            ),
            // Only in the first report: kept as it is.
            ("stt", component(Kind::Latency, Some(100.0), &stt, None)),
        ],
    );
    let b = report(
        "2026-11-21T10:05:00",
        vec![
            (
                "llm",
                component(
                    Kind::FirstItem,
                    Some(200.0),
                    &b_llm,
                    Some((&b_totals, 1000)),
                ),
            ),
            ("tts", component(Kind::Latency, Some(200.0), &b_tts, None)),
        ],
    );
    let (pa, pb) = (save(&dir.join("a"), &a), save(&dir.join("b"), &b));
    let out_path = dir.join("merged").join("all.json");
    let out = profiler(&[&"merge", &pa, &pb, &"-o", &out_path]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let merged = json::read(&out_path).unwrap();

    let both = |x: &[u64], y: &[u64]| [x, y].concat();
    let combined = report(
        "2026-11-21T10:05:00",
        vec![
            (
                "tts",
                component(Kind::Latency, Some(200.0), &both(&a_tts, &b_tts), None),
            ),
            (
                "llm",
                component(
                    Kind::FirstItem,
                    Some(200.0),
                    &both(&a_llm, &b_llm),
                    Some((&both(&a_totals, &b_totals), 5000)),
                ),
            ),
            ("stt", component(Kind::Latency, Some(100.0), &stt, None)),
        ],
    );
    // Through a file like the merged one (serde_json may move a float by one ulp).
    let combined = json::read(&save(&dir.join("combined"), &combined)).unwrap();
    assert_eq!(
        merged.components.keys().collect::<Vec<_>>(),
        ["tts", "llm", "stt"]
    );
    let recorded = |encoded: &str| {
        let h = decode_histogram(encoded).unwrap();
        h.iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect::<Vec<_>>()
    };
    for (name, want) in &combined.components {
        let got = &merged.components[name];
        // Every latency figure, exactly: percentiles, mean, std, min, max, count.
        assert_eq!(got.latency, want.latency, "{name}");
        assert_eq!(
            recorded(&got.histogram),
            recorded(&want.histogram),
            "{name}"
        );
        assert_eq!(got.counts.samples, want.counts.samples, "{name}");
        assert_eq!(got.severity, want.severity, "{name}");
        assert_eq!(got.target_ratio, want.target_ratio, "{name}");
        if let Some(ws) = &want.stream {
            let gs = got.stream.as_ref().unwrap();
            assert_eq!(gs.total, ws.total, "{name} stream");
            assert_eq!(
                recorded(&gs.histogram),
                recorded(&ws.histogram),
                "{name} stream"
            );
            assert_eq!((gs.completed, gs.items), (ws.completed, ws.items));
            assert_eq!(gs.items_per_stream, ws.items_per_stream);
        }
    }
    // Counts add up; errors etc. came from both inputs.
    assert_eq!(
        merged.components["tts"].counts,
        Counts {
            samples: 1000,
            errors: 2,
            cancelled: 4,
            warmup_excluded: 6,
            ..Counts::default()
        }
    );
    assert_eq!(merged.components["stt"].counts, a.components["stt"].counts);
    assert_eq!(merged.components["tts"].memory_delta_mb, Some(3.0));
    assert_eq!(merged.run.merged_from, 2);
    assert_eq!(merged.timestamp, "2026-11-21T10:05:00");
    assert_eq!(merged.bottlenecks, combined.bottlenecks);
}

#[test]
fn merge_into_a_directory_names_the_report_by_its_timestamp() {
    let dir = scratch("merge-dir");
    let (base, current) = tts_pair(&dir, 1.0);
    let out_dir = dir.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let out = profiler(&[&"merge", &base, &current, &"--output", &out_dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(written, ["profile_20261121_110000.json"]);
    let merged = json::read(&out_dir.join("profile_20261121_110000.json")).unwrap();
    assert_eq!(merged.components["tts"].latency.count, 2000);
}

/// Runs `args`, expecting exit 2, one line on stderr naming `needle`, nothing on stdout.
fn refused(args: &[&dyn AsRef<std::ffi::OsStr>], needle: &str) {
    let out = profiler(args);
    let err = stderr(&out);
    let shown: Vec<_> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    assert_eq!(out.status.code(), Some(2), "{shown:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(
        err.starts_with("profiler: ") && err.contains(needle),
        "{needle:?} in {err}"
    );
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
}

#[test]
fn every_bad_input_gets_exit_2_one_line_and_nothing_written() {
    let dir = scratch("bad");
    let (good, _) = tts_pair(&dir, 1.0);
    let missing = dir.join("missing.json");
    let not_json = dir.join("notes.json");
    std::fs::write(&not_json, "this is not a report").unwrap();
    let other_schema = dir.join("old.json");
    std::fs::write(
        &other_schema,
        r#"{"schema": "profiler.report/0", "components": {}}"#,
    )
    .unwrap();
    let seed_format = dir.join("seed.json");
    std::fs::write(
        &seed_format,
        r#"{"timestamp": "x", "components": {"stt": {"latency": {"p95": 1}}}}"#,
    )
    .unwrap();
    let empty_dir = dir.join("empty");
    std::fs::create_dir_all(&empty_dir).unwrap();

    let good_report = json::read(&good).unwrap();
    let mut garbled = good_report.clone();
    garbled.components["tts"].histogram = "not base64 at all!".into();
    let garbled = write_as(&dir, "garbled.json", &garbled);
    let mut cut = good_report.clone();
    cut.components["tts"].latency.count += 5;
    let cut = write_as(&dir, "cut.json", &cut);
    let mut other_kind = good_report.clone();
    other_kind.components["tts"].kind = Kind::Frame;
    let other_kind = write_as(&dir, "frame.json", &other_kind);

    let out = dir.join("out").join("merged.json");
    let cases: [(&Path, &str); 8] = [
        (&missing, "missing.json"),
        (&not_json, "not a JSON profile report"),
        (&other_schema, "profiler.report/0"),
        (&seed_format, "(none)"),
        (&empty_dir, "no profile_*.json"),
        (&garbled, "not valid base64"),
        (&cut, "cut short"),
        (&other_kind, "cannot be merged"),
    ];
    for (bad, needle) in cases {
        refused(&[&"merge", &good, &bad, &"-o", &out], needle);
        assert!(
            !dir.join("out").exists(),
            "merge wrote something for {}",
            bad.display()
        );
    }
    for (bad, needle) in &cases[..5] {
        refused(&[&"compare", &good, bad], needle);
        refused(&[&"compare", bad, &good], needle);
        refused(&[&"show", bad], needle);
        refused(&[&"charts", bad, &"-o", &dir.join("charts")], needle);
        assert!(!dir.join("charts").exists());
        refused(&[&"html", bad, &"-o", &dir.join("pages")], needle);
        let page = dir.join("pages").join("compare.html");
        refused(&[&"compare", &good, bad, &"--html", &page], needle);
        assert!(!dir.join("pages").exists());
    }
    // Usage errors are exit 2 too (clap).
    assert_eq!(profiler(&[&"compare", &good]).status.code(), Some(2));
    assert_eq!(
        profiler(&[&"compare", &good, &good, &"--threshold", &"-3"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(profiler(&[&"merge", &"-o", &out]).status.code(), Some(2));
}

fn write_as(dir: &Path, name: &str, r: &Report) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(r).unwrap()).unwrap();
    p
}

#[test]
fn show_prints_the_console_report_of_a_saved_json() {
    let dir = scratch("show");
    let (_, current) = tts_pair(&dir, 1.0);
    let out = profiler(&[&"show", &current]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let saved = json::read(&current).unwrap();
    assert_eq!(text.trim_end(), console::render(&saved).trim_end());
    assert!(text.contains("tts") && text.contains("stt"));
    let ko = stdout(&profiler(&[&"show", &current, &"--lang", &"ko"]));
    assert_eq!(
        ko.trim_end(),
        console::render_in(&saved, Lang::Ko).trim_end()
    );
    assert_ne!(ko, text);
}

#[cfg(feature = "charts")]
#[test]
fn charts_are_valid_pngs_of_sensible_size() {
    let dir = scratch("charts");
    let (_, current) = tts_pair(&dir, 1.0);
    let out_dir = dir.join("charts");
    let out = profiler(&[&"charts", &current, &"-o", &out_dir]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written: Vec<PathBuf> = stdout(&out).lines().map(PathBuf::from).collect();
    assert_eq!(
        written,
        [out_dir.join("latency_20261121_110000.png")],
        "no memory or GPU data, no such chart"
    );
    let bytes = std::fs::read(&written[0]).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width and height, big-endian, right after the chunk header.
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert!(
        (1000..=2600).contains(&width) && (600..=1200).contains(&height),
        "{width}x{height}"
    );
    assert!(bytes.len() > 15_000, "{} bytes", bytes.len());
}

// ---- Hostile input: each of these crashed, hung, wrote outside its place or gave a
// false verdict before (issue 13).

/// Runs `args` with the address space limited to 1 GiB, so an allocation the input
/// asks for shows as an abort instead of slowing the machine down.
fn profiler_in_1_gib(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    clean_env("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_profiler"))
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .expect("sh runs the profiler")
}

/// A good report whose tts latency histogram is replaced by `bytes` (base64 added).
fn with_histogram_bytes(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    use base64::Engine;
    let (good, _) = tts_pair(dir, 1.0);
    let mut r = json::read(&good).unwrap();
    r.components["tts"].histogram = base64::engine::general_purpose::STANDARD.encode(bytes);
    write_as(dir, name, &r)
}

#[test]
fn a_histogram_header_claiming_4_gb_is_refused_within_a_1_gib_limit() {
    let dir = scratch("4gb");
    // HDR V2 cookie, payload length 2^32 - 1, then a valid header and no payload:
    // 56 characters of base64.
    let mut header = 0x1c84_9313u32.to_be_bytes().to_vec();
    header.extend(u32::MAX.to_be_bytes());
    header.extend(0u32.to_be_bytes());
    header.extend(3u32.to_be_bytes());
    header.extend(1u64.to_be_bytes());
    header.extend(2u64.to_be_bytes());
    header.extend(1f64.to_be_bytes());
    let bad = with_histogram_bytes(&dir, "claims-4gb.json", &header);
    let good = json::resolve(&dir.join("before")).unwrap();
    let out_file = dir.join("out").join("merged.json");
    for args in [
        vec![
            &"merge" as &dyn AsRef<std::ffi::OsStr>,
            &good,
            &bad,
            &"-o",
            &out_file,
        ],
        vec![&"compare", &good, &bad],
        vec![&"show", &bad],
    ] {
        let out = profiler_in_1_gib(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains("claims more counts than the data holds"),
            "{err}"
        );
    }
    assert!(!dir.join("out").exists());
}

#[test]
fn dev_zero_and_oversized_files_are_refused_in_bounded_memory() {
    let dir = scratch("zero");
    let zero = Path::new("/dev/zero");
    for args in [
        vec![&"show" as &dyn AsRef<std::ffi::OsStr>, &zero],
        vec![&"merge", &zero, &"-o", &dir.join("m.json")],
        vec![&"compare", &zero, &zero],
    ] {
        let out = profiler_in_1_gib(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("does not start with a JSON object"), "{err}");
    }
    // A JSON file over the limit: refused by its size, by flag or by environment.
    let (good, _) = tts_pair(&dir, 1.0);
    let mut big = json::read(&good).unwrap();
    big.components["tts"].functions = (0..40_000).map(|i| format!("pipeline::f{i}")).collect();
    let big = write_as(&dir, "big.json", &big);
    assert!(std::fs::metadata(&big).unwrap().len() > 1 << 20);
    refused(
        &[&"show", &big, &"--max-input-mb", &"1"],
        "larger than 1 MB",
    );
    let out = clean_env(env!("CARGO_BIN_EXE_profiler"))
        .arg("show")
        .arg(&big)
        .env("PROFILER_MAX_INPUT_MB", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--max-input-mb"), "{}", stderr(&out));
    // Under the default limit it is a report like any other.
    assert_eq!(profiler(&[&"show", &big]).status.code(), Some(0));
}

#[test]
fn output_to_a_closed_pipe_is_not_a_crash() {
    let dir = scratch("pipe");
    let (_, current) = tts_pair(&dir, 1.0);
    for args in [
        vec![&"show" as &dyn AsRef<std::ffi::OsStr>, &current],
        vec![&"compare", &current, &current],
    ] {
        // The reader is gone before the command writes: `profiler show r.json | true`.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = clean_env(env!("CARGO_BIN_EXE_profiler"))
            .args(args.iter().map(|a| a.as_ref()))
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn merge_names_files_from_a_hostile_timestamp_inside_the_directory() {
    let dir = scratch("stamp");
    let (good, _) = tts_pair(&dir, 1.0);
    let out_dir = dir.join("nested").join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    for (i, stamp) in [
        "../../escaped",
        "2026-11-21T10:00:00\nprofile_forged",
        "/etc/passwd",
        "..",
    ]
    .iter()
    .enumerate()
    {
        let mut r = json::read(&good).unwrap();
        r.timestamp = stamp.to_string();
        let input = write_as(&dir, &format!("hostile{i}.json"), &r);
        let out = profiler(&[&"merge", &input, &"-o", &out_dir]);
        assert_eq!(out.status.code(), Some(0), "{stamp:?}: {}", stderr(&out));
        #[cfg(feature = "charts")]
        {
            let out = profiler(&[&"charts", &input, &"-o", &out_dir]);
            assert_eq!(out.status.code(), Some(0), "{stamp:?}: {}", stderr(&out));
        }
    }
    // Everything landed in the directory, one line per name, nothing above it.
    let names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(names.len() >= 4, "{names:?}");
    for n in &names {
        assert!(
            !n.contains(['\n', '/']) && !n.contains("..") && !n.starts_with('.'),
            "{n:?}"
        );
    }
    assert!(
        names.iter().any(|n| n == "profile_escaped.json"),
        "{names:?}"
    );
    let above: Vec<_> = std::fs::read_dir(dir.join("nested"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(above, ["out"]);
    assert!(!dir.join("escaped").exists() && !dir.join("profile_escaped.json").exists());
}

#[test]
fn counts_that_disagree_with_the_histogram_are_refused_by_every_command() {
    let dir = scratch("disagree");
    let (good, _) = tts_pair(&dir, 1.0);
    let mut samples = json::read(&good).unwrap();
    samples.components["tts"].counts.samples += 7;
    let samples = write_as(&dir, "samples.json", &samples);
    let mut negative = json::read(&good).unwrap();
    negative.components["tts"].latency.p95 = -5.0;
    let negative = write_as(&dir, "negative.json", &negative);
    let mut garbled = json::read(&good).unwrap();
    garbled.components["tts"].histogram =
        "HISTfAAAAB54nO3BMQEAAADCoPVPbQlPoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into();
    let garbled = write_as(&dir, "garbled.json", &garbled);
    let out = dir.join("out").join("m.json");
    for (bad, needle) in [
        (&samples, "counts.samples says"),
        (&negative, "latency.p95 says -5 ms"),
        (&garbled, "cannot be read"),
    ] {
        refused(&[&"merge", &good, bad, &"-o", &out], needle);
        refused(&[&"compare", &good, bad], needle);
        refused(&[&"compare", bad, &good], needle);
        refused(&[&"show", bad], needle);
    }
    assert!(!dir.join("out").exists());
}

#[test]
fn compare_flags_a_slow_down_from_a_zero_baseline() {
    let dir = scratch("zero-base");
    let zero = report(
        "2026-11-21T10:00:00",
        vec![("tts", component(Kind::Latency, None, &[0; 100], None))],
    );
    let slow = report(
        "2026-11-21T11:00:00",
        vec![("tts", component(Kind::Latency, None, &[50 * MS; 100], None))],
    );
    let (b, c) = (save(&dir.join("b"), &zero), save(&dir.join("c"), &slow));
    let out = profiler(&[&"compare", &b, &c, &"--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let rows = json_rows(&out);
    assert_eq!(rows["regressions"], 3);
    assert_eq!(rows["rows"][1]["status"], "regression");
    assert_eq!(rows["rows"][1]["delta_pct"], serde_json::Value::Null);
    let table = stdout(&profiler(&[&"compare", &b, &c]));
    assert!(table.contains("tts P95 +50.00 ms from 0"), "{table}");
}

#[test]
fn counts_that_overflow_when_merged_are_refused() {
    let dir = scratch("overflow");
    let (good, _) = tts_pair(&dir, 1.0);
    // Two inputs whose process counts pass u32::MAX when added.
    let mut many = json::read(&good).unwrap();
    many.run.merged_from = u32::MAX - 1;
    let many = write_as(&dir, "many.json", &many);
    let out = dir.join("out").join("m.json");
    refused(
        &[&"merge", &many, &many, &"-o", &out],
        "merged process count overflows",
    );
    // Three histograms of 2^63 - 1 samples each: HDR would saturate the sum silently.
    let mut h = new_histogram();
    h.record_n(MS, i64::MAX as u64).unwrap();
    let huge = report(
        "2026-11-21T10:00:00",
        vec![(
            "tts",
            ComponentReport {
                counts: Counts {
                    samples: i64::MAX as u64,
                    ..Counts::default()
                },
                latency: stats::latency_stats(&h),
                histogram: encode_histogram(&h),
                ..ComponentReport::default()
            },
        )],
    );
    let huge = save(&dir.join("huge"), &huge);
    refused(
        &[&"merge", &huge, &huge, &huge, &"-o", &out],
        "latency sample count overflows",
    );
    // The GPU sample counts of one component, too.
    let mut gpu = json::read(&huge).unwrap();
    gpu.components["tts"].gpu = Some(ComponentGpu {
        samples: u64::MAX,
        ..ComponentGpu::default()
    });
    let mut small = new_histogram();
    small.record(MS).unwrap();
    let tts = &mut gpu.components["tts"];
    tts.counts.samples = 1;
    tts.latency = stats::latency_stats(&small);
    tts.histogram = encode_histogram(&small);
    let gpu = write_as(&dir, "gpu.json", &gpu);
    refused(
        &[&"merge", &gpu, &gpu, &"-o", &out],
        "GPU sample count overflows",
    );
    assert!(!dir.join("out").exists());
}

#[test]
fn a_directory_input_is_its_newest_report_by_name_not_by_modification_time() {
    let dir = scratch("newest");
    let (base, current) = tts_pair(&dir, 1.0);
    let both = dir.join("both");
    std::fs::create_dir_all(&both).unwrap();
    let older = both.join("profile_20261121_100000.json");
    let newer = both.join("profile_20261121_110000.json");
    let tenth = both.join("profile_20261121_110000_10.json");
    let second = both.join("profile_20261121_110000_2.json");
    std::fs::copy(&base, &older).unwrap();
    std::fs::copy(&current, &newer).unwrap();
    // The older report is touched last (a copy, a checkout): its mtime is the newest.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&older)
        .unwrap()
        .set_modified(later)
        .unwrap();
    assert_eq!(json::resolve(&both).unwrap(), newer);
    let shown = stdout(&profiler(&[&"show", &both]));
    assert!(shown.contains("2026-11-21T11:00:00"), "{shown}");
    // Same second: `_10` comes after `_2`.
    std::fs::copy(&current, &second).unwrap();
    std::fs::copy(&current, &tenth).unwrap();
    assert_eq!(json::resolve(&both).unwrap(), tenth);
}

#[test]
fn names_with_terminal_escapes_or_ten_thousand_characters_are_shown_escaped_and_cut() {
    let dir = scratch("escapes");
    let long = "x".repeat(10_000);
    let samples = spread(100, 10.0, 20.0);
    let mut r = report(
        "2026-11-21T10:00:00\u{1b}[2J",
        vec![
            (
                "\u{1b}[2J\u{1b}[31mtts\nFAKE LINE",
                component(Kind::Latency, Some(1.0), &samples, None),
            ),
            (&long, component(Kind::Latency, Some(1.0), &samples, None)),
        ],
    );
    r.gpu.reason = Some("driver \u{1b}]0;owned\u{7}".into());
    let file = save(&dir, &r);
    let base = save(&dir.join("b"), &r);
    for args in [
        vec![&"show" as &dyn AsRef<std::ffi::OsStr>, &file],
        vec![&"compare", &base, &file],
    ] {
        let out = profiler(&args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = stdout(&out);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(!text.lines().any(|l| l.starts_with("FAKE LINE")), "{text}");
        assert!(text.contains("\\u{1b}[2J"), "{text}");
        let widest = text.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest < 400, "a line of {widest} characters");
    }
}

#[test]
fn html_writes_the_page_of_a_saved_report() {
    let dir = scratch("html");
    let (_, current) = tts_pair(&dir, 1.0);
    let saved = json::read(&current).unwrap();
    let pages = dir.join("pages");
    // A directory stands for its newest report.
    let out = profiler(&[&"html", &current.parent().unwrap(), &"-o", &pages]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written: Vec<PathBuf> = stdout(&out).lines().map(PathBuf::from).collect();
    assert_eq!(written, [pages.join("report_20261121_110000.html")]);
    let page = std::fs::read_to_string(&written[0]).unwrap();
    assert_eq!(page, html::render(&saved), "the library's page, as it is");
    assert!(page.contains("<tr data-name=\"tts\">") && page.contains("<html lang=\"en\">"));
    // In Korean, beside the first (never over it).
    let out = profiler(&[&"html", &current, &"-o", &pages, &"--lang", &"ko"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second = pages.join("report_20261121_110000_2.html");
    assert_eq!(stdout(&out).trim_end(), second.display().to_string());
    assert_eq!(
        std::fs::read_to_string(&second).unwrap(),
        html::render_in(&saved, Lang::Ko)
    );
    assert_eq!(std::fs::read_to_string(&written[0]).unwrap(), page);
}

#[test]
fn compare_writes_a_before_after_page_and_keeps_its_exit_status() {
    let dir = scratch("compare-html");
    let (base, current) = tts_pair(&dir, 1.15);
    let page = dir.join("pages").join("before-after.html");
    let out = profiler(&[&"compare", &base, &current, &"--html", &page]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("REGRESSION"),
        "the table is still printed"
    );
    assert!(
        stderr(&out).contains("comparison page written to"),
        "{}",
        stderr(&out)
    );
    let text = std::fs::read_to_string(&page).unwrap();
    assert!(text.contains("regressions over 10 %: tts P50"), "verdict");
    assert!(text.contains("<td class=\"critical\">regression</td>"));
    // Into a directory, beside a JSON answer.
    let pages = dir.join("pages");
    let out = profiler(&[&"compare", &base, &current, &"--json", &"--html", &pages]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_rows(&out)["regressions"], 3);
    assert!(pages.join("compare_20261121_110000.html").is_file());
}
