//! `report_<ts>.html` in a real browser (headless Chromium over the DevTools protocol,
//! `tests/browser`): the page of a profiled pipeline loads with no console error and
//! no network request but its own file, a click on the P95 header sorts the rows by
//! P95, a full-page screenshot shows every component, the Korean page is Korean, a
//! 10,000-component page loads and sorts, and the before/after page of two runs loads
//! clean too.
//!
//! The pipeline runs in a child process with a mock clock (exact, deterministic
//! latencies; turns, conversations, streams, frames), its GPU replayed through
//! `RecordedSource`, and the report goes through the reporters the configuration asks
//! for, as at the end of a run. Screenshots are kept in `target/tmp/html-report/`.

mod browser;
mod common;

use browser::{file_url, launch_or_skip, Browser};
use common::{advance_ms, in_child, install_mock_clock, run_child, timed};
use futures::{Stream, StreamExt};
use profiler::analyse::compare::{Comparison, Percentile};
use profiler::model::{GpuPoint, Report};
use profiler::render::{html, json, Output};
use profiler::sample::gpu::{DeviceInfo, GpuSampler, RecordedSource};
use profiler::sample::Extras;
use profiler::{analyse, profile, Config, Conversation, Formats, Lang};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A spread of `0..n` that depends on the turn and the stage, in no order.
fn spread(k: u64, stage: u64, n: u64) -> u64 {
    (k * 7919 + stage * 104_729) % n
}

#[profile(component = "vad", target_ms = 30)]
fn detect(ms: u64) -> bool {
    advance_ms(ms);
    true
}

#[profile(component = "stt", target_ms = 100, provider = "deepgram")]
fn transcribe(ms: u64) -> Result<String, String> {
    advance_ms(ms);
    if ms > 150 {
        Err("vad timeout".into())
    } else {
        Ok("tell me about a project".into())
    }
}

#[profile(component = "retrieval")]
fn retrieve(ms: u64) {
    advance_ms(ms);
}

#[profile(component = "llm", target_ms = 200, first_item, model = "gpt-4o-mini")]
fn answer(ms: Vec<u64>) -> impl Stream<Item = u64> {
    timed(ms)
}

#[profile(component = "tts", target_ms = 200, first_item)]
fn speak(ms: Vec<u64>) -> impl Stream<Item = u64> {
    timed(ms)
}

#[profile(component = "avatar", target_ms = 50, frame)]
fn render_frame(ms: u64) {
    advance_ms(ms);
}

/// One recorded GPU sample per turn.
fn gpu_sample(k: u64) -> GpuPoint {
    GpuPoint {
        util_pct: 20.0 + spread(k, 9, 70) as f64,
        vram_used_mb: 9_000.0 + 150.0 * k as f64,
        temperature_c: 55.0 + spread(k, 10, 25) as f64,
        power_w: 180.0 + spread(k, 11, 90) as f64,
        ..GpuPoint::default()
    }
}

#[test]
#[ignore = "run in a child process by the tests below"]
fn child_pipeline_report() {
    if !in_child() {
        return;
    }
    install_mock_clock();
    let dir = PathBuf::from(std::env::var("HTML_TEST_DIR").unwrap());
    let lang = Lang::parse(&std::env::var("HTML_TEST_LANG").unwrap()).unwrap();
    // Percent of the base TTS time: 130 for the "after" run of a comparison.
    let tts_pct: u64 = std::env::var("HTML_TEST_TTS_PCT").unwrap().parse().unwrap();
    let session = profiler::init_with(Config {
        gpu: false,
        formats: Formats::none(),
        memory_interval_ms: 10,
        lang,
        ..Config::default()
    });
    let turns = 24u64;
    let gpu = GpuSampler::manual(RecordedSource::new(vec![(
        DeviceInfo {
            index: 0,
            name: "Recorded GPU".into(),
            vram_total_mb: 24_576.0,
        },
        (0..turns).map(gpu_sample).collect(),
    )]));
    let conversations: Vec<Conversation> = (1..=3)
        .map(|i| Conversation::new(format!("interview-{i}")))
        .collect();
    for k in 0..turns {
        let turn = conversations[k as usize % 3].turn();
        {
            let _in = turn.enter();
            advance_ms(20 + spread(k, 1, 60));
            detect(8 + spread(k, 2, 30));
            let _ = transcribe(60 + spread(k, 3, 100));
            retrieve(10 + spread(k, 4, 20));
            let tokens = vec![120 + spread(k, 5, 140), 60, 60];
            assert_eq!(futures::executor::block_on(answer(tokens).count()), 3);
            advance_ms(3);
            let first = (100 + spread(k, 6, 140)) * tts_pct / 100;
            let mut audio = speak(vec![first, 40, 40]);
            assert!(futures::executor::block_on(audio.next()).is_some());
            for f in 0..5 {
                render_frame(25 + spread(k + f, 7, 35));
            }
            assert_eq!(futures::executor::block_on(audio.count()), 2);
        }
        turn.end();
        gpu.tick();
        // Real time passes for the memory sampler's timeline.
        std::thread::sleep(std::time::Duration::from_millis(15));
    }
    let live = profiler::report();
    let extras = Extras {
        duration_sec: live.duration_sec,
        memory: live.memory.clone(),
        gpu: gpu.report(),
        component_gpu: gpu.component_gpu(),
        ..Extras::default()
    };
    let cfg = Config {
        formats: Formats {
            json: true,
            html: true,
            ..Formats::none()
        },
        lang,
        ..Config::default()
    };
    let report = analyse::build(&profiler::aggregate::snapshot(), &cfg, extras);
    // As at the end of a run: every reporter the configuration asks for.
    for reporter in profiler::render::reporters(&cfg) {
        let files = reporter.write(&report, Output { dir: &dir }).unwrap();
        assert_eq!(files.len(), 1, "{}", reporter.name());
    }
    drop(session);
}

/// A run's report: the parsed JSON and the page beside it.
struct Run {
    report: Report,
    page: PathBuf,
}

fn run(name: &str, lang: &str, tts_pct: u32) -> Run {
    let dir = std::env::temp_dir().join(format!("profiler-html-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = run_child(
        "child_pipeline_report",
        &[
            ("HTML_TEST_DIR", dir.to_str().unwrap()),
            ("HTML_TEST_LANG", lang),
            ("HTML_TEST_TTS_PCT", &tts_pct.to_string()),
        ],
    );
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let named = |prefix: &str, ext: &str| {
        files
            .iter()
            .find(|p| {
                let n = p.file_name().unwrap().to_str().unwrap();
                n.starts_with(prefix) && n.ends_with(ext)
            })
            .unwrap_or_else(|| panic!("no {prefix}*{ext} in {files:?}"))
            .clone()
    };
    let report = json::read(&named("profile_", ".json")).unwrap();
    Run {
        report,
        page: named("report_", ".html"),
    }
}

fn english() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run("en", "en", 100))
}

/// Where screenshots are kept.
fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report")
}

/// Opens `page` and checks that it loaded with no problem and requested nothing but
/// itself.
fn open_clean(b: &mut Browser, page: &Path) {
    let url = file_url(page);
    b.open(&url, 1280).unwrap();
    let problems = b.problems();
    assert!(
        problems.is_empty(),
        "the page reported problems:\n{}",
        problems.join("\n")
    );
    let requests = b.requests();
    assert_eq!(
        requests,
        [url],
        "the page requested something besides itself"
    );
}

/// The components' names in the summary table's row order.
fn row_order(b: &mut Browser) -> Vec<String> {
    let v = b
        .eval("[...document.querySelectorAll('#summary-table tbody tr')].map(r => r.dataset.name)")
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// Clicks the summary table's P95 header with the mouse, where it is on screen.
fn click_p95(b: &mut Browser) {
    let at = b
        .eval(
            "(() => { const th = document.querySelector('#summary-table th[data-key=p95]');
                th.scrollIntoView({block: 'center'});
                const r = th.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                return [x, y, document.elementFromPoint(x, y) === th]; })()",
        )
        .unwrap();
    assert_eq!(
        at[2], true,
        "the P95 header is the element under the pointer"
    );
    b.click(at[0].as_f64().unwrap(), at[1].as_f64().unwrap())
        .unwrap();
}

/// `names` ordered by their P95 in `r`, largest first (ties in report order).
fn by_p95(r: &Report, names: &[String], descending: bool) -> Vec<String> {
    let mut v = names.to_vec();
    v.sort_by(|a, b| {
        let (x, y) = (r.components[a].latency.p95, r.components[b].latency.p95);
        if descending {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        }
    });
    v
}

#[test]
fn the_page_loads_with_no_console_error_and_requests_nothing_but_itself() {
    let Some(mut b) = launch_or_skip("the_page_loads_with_no_console_error") else {
        return;
    };
    let run = english();
    open_clean(&mut b, &run.page);
    // Every part of the report is on the page.
    let sections = b
        .eval("[...document.querySelectorAll('main section')].map(s => s.id)")
        .unwrap();
    assert_eq!(
        sections,
        serde_json::json!([
            "summary",
            "findings",
            "components",
            "turns",
            "sessions",
            "memory",
            "gpu"
        ])
    );
    let drawn = b
        .eval(
            "({ bars: document.querySelectorAll('#components rect.bar').length,
                segments: document.querySelectorAll('#turns figure.waterfall rect.seg').length,
                lines: document.querySelectorAll('#memory polyline, #gpu polyline').length })",
        )
        .unwrap();
    assert!(drawn["bars"].as_u64().unwrap() > 7 * 3, "{drawn}");
    assert!(drawn["segments"].as_u64().unwrap() >= 3 * 4, "{drawn}");
    assert_eq!(
        drawn["lines"],
        2 + 3,
        "RSS, VMS and three GPU lines: {drawn}"
    );
}

#[test]
fn clicking_the_p95_header_sorts_the_rows_by_p95() {
    let Some(mut b) = launch_or_skip("clicking_the_p95_header_sorts_the_rows_by_p95") else {
        return;
    };
    let run = english();
    open_clean(&mut b, &run.page);
    let before = row_order(&mut b);
    let names: Vec<String> = run.report.components.keys().cloned().collect();
    assert_eq!(before, names, "rows start in the report's order");
    let slowest_first = by_p95(&run.report, &names, true);
    assert_ne!(before, slowest_first, "a test that sorting could not fail");
    click_p95(&mut b);
    assert_eq!(row_order(&mut b), slowest_first);
    assert_eq!(
        b.eval(
            "document.querySelector('#summary-table th[data-key=p95]').getAttribute('aria-sort')"
        )
        .unwrap(),
        "descending"
    );
    click_p95(&mut b);
    assert_eq!(row_order(&mut b), by_p95(&run.report, &names, false));
    assert!(b.problems().is_empty(), "{:?}", b.problems());
}

#[test]
fn a_full_page_screenshot_shows_every_component() {
    let Some(mut b) = launch_or_skip("a_full_page_screenshot_shows_every_component") else {
        return;
    };
    let run = english();
    open_clean(&mut b, &run.page);
    let path = shots().join("report_en.png");
    let shot = b.screenshot(1280, &path).unwrap();
    eprintln!(
        "screenshot: {} ({}x{})",
        path.display(),
        shot.width,
        shot.height
    );
    // Where each component's row, card title and distribution are on the page.
    let boxes = b
        .eval(
            "[...document.querySelectorAll('article.card')].map(card => {
                const box = e => { const r = e.getBoundingClientRect();
                    return [r.left, r.top + window.scrollY, r.width, r.height]; };
                const row = document.querySelector(
                    `#summary-table tr[data-name=\"${CSS.escape(card.dataset.name)}\"]`);
                return { name: card.dataset.name, title: box(card.querySelector('h3')),
                         bars: box(card.querySelector('figure.dist svg')), row: box(row) }; })",
        )
        .unwrap();
    let boxes = boxes.as_array().unwrap();
    let names: Vec<&str> = boxes.iter().map(|b| b["name"].as_str().unwrap()).collect();
    let expected: Vec<&str> = run.report.components.keys().map(String::as_str).collect();
    assert_eq!(names, expected, "a card per component");
    let rect = |v: &Value| -> (u32, u32, u32, u32) {
        let f = |i: usize| v[i].as_f64().unwrap().max(0.0) as u32;
        (f(0), f(1), f(2), f(3))
    };
    for b in boxes {
        let name = b["name"].as_str().unwrap();
        for part in ["title", "bars", "row"] {
            let (x, y, w, h) = rect(&b[part]);
            assert!(
                w > 0 && h > 0 && x + w <= shot.width && y + h <= shot.height,
                "{name}'s {part} {:?} is not inside the {}x{} screenshot",
                (x, y, w, h),
                shot.width,
                shot.height
            );
        }
        // The name is drawn (dark text), and so are the distribution's bars (#4292c6).
        let ink = shot.count(rect(&b["title"]), [33, 37, 41], 60);
        assert!(ink > 20, "{name}: {ink} dark pixels in its title");
        let bars = shot.count(rect(&b["bars"]), [66, 146, 198], 12);
        assert!(bars > 200, "{name}: {bars} bar pixels in its distribution");
        let row = shot.count(rect(&b["row"]), [33, 37, 41], 60);
        assert!(row > 20, "{name}: {row} dark pixels in its table row");
    }
}

#[test]
fn the_korean_page_is_korean_and_loads_clean() {
    let Some(mut b) = launch_or_skip("the_korean_page_is_korean_and_loads_clean") else {
        return;
    };
    let run = run("ko", "ko", 100);
    assert_eq!(run.report.lang, Lang::Ko);
    open_clean(&mut b, &run.page);
    let page = b
        .eval("({ lang: document.documentElement.lang, title: document.querySelector('h1').textContent,
                  p95: document.querySelector('#summary-table th[data-key=severity]').textContent })")
        .unwrap();
    assert_eq!(page["lang"], "ko");
    assert_eq!(page["title"], "프로파일링 보고서");
    assert_eq!(page["p95"], "심각도");
    let path = shots().join("report_ko.png");
    b.screenshot(1280, &path).unwrap();
    eprintln!("screenshot: {}", path.display());
}

#[test]
fn a_ten_thousand_component_page_loads_and_sorts() {
    let Some(mut b) = launch_or_skip("a_ten_thousand_component_page_loads_and_sorts") else {
        return;
    };
    // A fleet's report: the run's components under the names of enough hosts to make
    // 10,000.
    let mut fleet = english().report.clone();
    let parts: Vec<_> = fleet.components.drain(..).collect();
    for host in 0..10_000usize.div_ceil(parts.len()) {
        for (name, c) in &parts {
            fleet
                .components
                .insert(format!("host{host:04}/{name}"), c.clone());
        }
    }
    let n = fleet.components.len();
    assert!(n >= 10_000, "{n}");
    let page = shots().join("fleet_10k.html");
    std::fs::create_dir_all(shots()).unwrap();
    std::fs::write(&page, html::render(&fleet)).unwrap();
    let bytes = std::fs::metadata(&page).unwrap().len();
    let started = std::time::Instant::now();
    open_clean(&mut b, &page);
    eprintln!(
        "{n}-component page: {bytes} bytes, loaded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let cards = b
        .eval("document.querySelectorAll('article.card').length")
        .unwrap();
    assert_eq!(cards, html::MAX_CARDS as u64);
    assert!(b.eval("!!document.getElementById('cards-bound')").unwrap() == true);
    let names: Vec<String> = fleet.components.keys().cloned().collect();
    click_p95(&mut b);
    assert_eq!(row_order(&mut b), by_p95(&fleet, &names, true));
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    let shot = shots().join("fleet_10k_top.png");
    b.screenshot_top(1280, 1400, &shot).unwrap();
    eprintln!("screenshot: {}", shot.display());
}

#[test]
fn the_before_after_page_loads_clean_and_carries_the_verdict() {
    let Some(mut b) = launch_or_skip("the_before_after_page_loads_clean") else {
        return;
    };
    let base = english();
    let after = run("after", "en", 130);
    let c = Comparison::new(
        Path::new("before/profile.json"),
        &base.report,
        Path::new("after/profile.json"),
        &after.report,
        10.0,
        &[Percentile::P50, Percentile::P95, Percentile::P99],
    );
    assert!(c.regressions().any(|r| r.component == "tts"));
    let path = shots().join("compare.html");
    html::compare::write_to(&c, Lang::En, &path).unwrap();
    open_clean(&mut b, &path);
    let verdict = b
        .eval("document.getElementById('verdict').textContent")
        .unwrap();
    assert!(verdict.as_str().unwrap().contains("tts P95"), "{verdict}");
    let shot = shots().join("compare_en.png");
    b.screenshot(1280, &shot).unwrap();
    eprintln!("screenshot: {}", shot.display());
}
