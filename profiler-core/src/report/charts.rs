//! PNG charts of a report, for a person who would rather look than read:
//!
//! - `latency_<ts>.png`: P50 / P95 / P99 per component, each component's P95 target as
//!   a dashed line, bars over their target in warning colours;
//! - `memory_<ts>.png`: process RSS (left axis) and VMS (right axis) over time, with the
//!   baseline taken after warm-up;
//! - `gpu_<ts>.png`: utilisation, VRAM and temperature over time per device (only when
//!   the report has GPU samples).
//!
//! Text is drawn from DejaVu Sans compiled into the binary, so no system font library
//! is needed at run time. DejaVu has no Hangul: a Korean report uses a Korean font from
//! the configured path (`PROFILER_CHART_FONT`) or a common system location, and falls
//! back to English chart labels, with one note on stderr per process, when none is found.
//!
//! Like every renderer, this module reads the report's figures and computes none.

use super::json::{self, ReportError};
use super::model::*;
use crate::config::Lang;
use crate::record::component::Kind;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle, RGBColor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

/// Family name the embedded DejaVu Sans is registered under.
const LATIN: &str = "sans-serif";
/// Family name a Korean font is registered under.
const HANGUL: &str = "profiler-hangul";

/// Where Korean fonts usually live (Debian/Ubuntu, Fedora/Arch, macOS, Windows).
const HANGUL_FONT_LOCATIONS: &[&str] = &[
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/nanum/NanumGothic.ttf",
    "/usr/share/fonts/naver-nanum/NanumGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansKR-Regular.otf",
    "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
    "/usr/share/fonts/truetype/baekmuk/gulim.ttf",
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "/Library/Fonts/NanumGothic.ttf",
    "C:\\Windows\\Fonts\\malgun.ttf",
];

const INK: RGBColor = RGBColor(33, 37, 41);
const MUTED: RGBColor = RGBColor(100, 106, 115);
const GRID: RGBColor = RGBColor(225, 228, 232);
/// P50 / P95 / P99 within target: light to dark blue.
const WITHIN: [RGBColor; 3] = [
    RGBColor(158, 202, 225),
    RGBColor(66, 146, 198),
    RGBColor(8, 81, 156),
];
/// P50 / P95 / P99 over target: light to dark orange-red.
const OVER: [RGBColor; 3] = [
    RGBColor(253, 174, 107),
    RGBColor(230, 85, 13),
    RGBColor(166, 54, 3),
];
/// Figures of over-target bars.
const OVER_INK: RGBColor = RGBColor(166, 54, 3);
const TARGET: RGBColor = RGBColor(200, 30, 45);
const RSS: RGBColor = RGBColor(31, 119, 180);
const VMS: RGBColor = RGBColor(148, 103, 189);
const BASELINE: RGBColor = RGBColor(44, 160, 44);
const DEVICES: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
];

/// Writes the charts that `report` has data for into `dir` and returns their paths.
/// Each chart is drawn to a temporary file; the files are renamed into place only when
/// all of them were drawn, so a failure leaves nothing behind.
///
/// `korean_font` is a font with Hangul for Korean reports (`PROFILER_CHART_FONT`); when
/// it is `None` common system locations are searched.
pub fn write_all(
    report: &Report,
    dir: &Path,
    korean_font: Option<&Path>,
) -> Result<Vec<PathBuf>, ReportError> {
    let style = Style::for_report(report, korean_font);
    let mut charts: Vec<(&str, Draw)> = Vec::new();
    if report.components.values().any(|c| c.latency.count > 0) {
        charts.push(("latency", draw_latency));
    }
    if report
        .memory
        .as_ref()
        .is_some_and(|m| !m.timeline.is_empty())
    {
        charts.push(("memory", draw_memory));
    }
    if gpu_devices(report).next().is_some() {
        charts.push(("gpu", draw_gpu));
    }
    if charts.is_empty() {
        return Ok(Vec::new());
    }
    json::ensure_dir(dir)?;
    let stamp = json::stamp(report);
    let mut drawn: Vec<(PathBuf, PathBuf)> = Vec::new();
    let discard = |drawn: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in drawn {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (prefix, draw) in charts {
        let path = json::free_path(dir, prefix, &stamp, "png");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(prefix)
            .to_string();
        // The extension stays `.png`: the bitmap encoder picks the format from it.
        let tmp = dir.join(format!(".{name}.tmp{}.png", std::process::id()));
        if let Err(message) = draw(report, &tmp, &style) {
            let _ = std::fs::remove_file(&tmp);
            discard(&drawn);
            return Err(ReportError::Chart { path, message });
        }
        drawn.push((tmp, path));
    }
    let mut written = Vec::new();
    for (i, (tmp, path)) in drawn.iter().enumerate() {
        if let Err(source) = std::fs::rename(tmp, path) {
            discard(&drawn[i..]);
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(ReportError::Write {
                path: path.clone(),
                source,
            });
        }
        written.push(path.clone());
    }
    Ok(written)
}

type Draw = fn(&Report, &Path, &Style) -> Result<(), String>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

fn fail<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The font family and words a chart is drawn with.
struct Style {
    family: &'static str,
    /// The labels' language: English when a Korean report has no Hangul font.
    lang: Lang,
    words: &'static Words,
}

impl Style {
    fn for_report(report: &Report, korean_font: Option<&Path>) -> Style {
        register_embedded();
        if report.lang == Lang::Ko {
            match hangul_family(korean_font) {
                Ok(family) => {
                    return Style {
                        family,
                        lang: Lang::Ko,
                        words: &KO,
                    }
                }
                Err(why) => note_once(&why),
            }
        }
        Style {
            family: LATIN,
            lang: Lang::En,
            words: &EN,
        }
    }

    fn font(&self, size: f64) -> TextStyle<'static> {
        TextStyle::from((self.family, size).into_font()).color(&INK)
    }

    fn bold(&self, size: f64) -> TextStyle<'static> {
        TextStyle::from((self.family, size, FontStyle::Bold).into_font()).color(&INK)
    }
}

fn register_embedded() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu's own files: parsing them cannot fail.
        let _ = register_font(LATIN, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(LATIN, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// Registers a font with Hangul (the configured one, else the first found in a common
/// location) and returns its family name, or says why there is none.
fn hangul_family(configured: Option<&Path>) -> Result<&'static str, String> {
    // Font files are leaked to give plotters the `'static` bytes it needs, so each path
    // is loaded once per process, however many reports are drawn.
    static LOADED: Mutex<Option<HashMap<PathBuf, Result<(), String>>>> = Mutex::new(None);
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = loaded.get_or_insert_with(HashMap::new);
    let mut try_path = |path: &Path| -> Result<&'static str, String> {
        let outcome = loaded
            .entry(path.to_path_buf())
            .or_insert_with(|| register_hangul(path))
            .clone();
        outcome.map(|_| HANGUL)
    };
    match configured {
        Some(path) => try_path(path).map_err(|why| {
            format!(
                "chart font {}: {why}; charts use English labels (set PROFILER_CHART_FONT to a .ttf/.otf/.ttc with Hangul, e.g. NanumGothic)",
                path.display()
            )
        }),
        None => HANGUL_FONT_LOCATIONS
            .iter()
            .map(Path::new)
            .filter(|p| p.is_file())
            .find_map(|p| try_path(p).ok())
            .ok_or_else(|| {
                "no font with Hangul found; charts use English labels (install fonts-nanum or set PROFILER_CHART_FONT to a .ttf/.otf/.ttc with Hangul)".to_string()
            }),
    }
}

fn register_hangul(path: &Path) -> Result<(), String> {
    use ab_glyph::Font;
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it ({e})"))?;
    let font = ab_glyph::FontRef::try_from_slice(&bytes)
        .map_err(|_| "not a TrueType/OpenType font".to_string())?;
    if ['한', '글'].iter().any(|c| font.glyph_id(*c).0 == 0) {
        return Err("it has no Hangul glyphs".into());
    }
    drop(font);
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    register_font(HANGUL, FontStyle::Normal, bytes)
        .map_err(|_| "not a TrueType/OpenType font".to_string())?;
    // Titles read better in bold: use the family's bold file when it sits beside the
    // regular one (NanumGothic.ttf / NanumGothicBold.ttf, *-Regular / *-Bold).
    if let (Some(stem), Some(ext)) = (
        path.file_stem().and_then(|s| s.to_str()),
        path.extension().and_then(|s| s.to_str()),
    ) {
        let bold = if stem.contains("Regular") {
            stem.replace("Regular", "Bold")
        } else {
            format!("{stem}Bold")
        };
        let bold = path.with_file_name(format!("{bold}.{ext}"));
        if let Ok(bytes) = std::fs::read(&bold) {
            if ab_glyph::FontRef::try_from_slice(&bytes).is_ok_and(|f| f.glyph_id('한').0 != 0) {
                let _ = register_font(HANGUL, FontStyle::Bold, Box::leak(bytes.into_boxed_slice()));
            }
        }
    }
    Ok(())
}

fn note_once(why: &str) {
    static NOTED: AtomicBool = AtomicBool::new(false);
    if !NOTED.swap(true, Ordering::Relaxed) {
        eprintln!("profiler: {why}");
    }
}

/// Chart words in one language.
struct Words {
    latency_title: &'static str,
    latency_axis: &'static str,
    components_axis: &'static str,
    over_target: &'static str,
    target: &'static str,
    no_target: &'static str,
    first_item: &'static str,
    per_frame: &'static str,
    turn: &'static str,
    samples: &'static str,
    memory_title: &'static str,
    time_axis: &'static str,
    rss_axis: &'static str,
    vms_axis: &'static str,
    baseline: &'static str,
    warmup: &'static str,
    growth: &'static str,
    peak: &'static str,
    leak_suspected: &'static str,
    leak_certain: &'static str,
    gpu_title: &'static str,
    util_axis: &'static str,
    vram_axis: &'static str,
    temp_axis: &'static str,
    total: &'static str,
    cpu_bound: &'static str,
    throttling: &'static str,
    vram_shortage: &'static str,
}

const EN: Words = Words {
    latency_title: "Latency per component: P50 / P95 / P99 against the P95 target",
    latency_axis: "Latency (ms)",
    components_axis: "Component",
    over_target: "over target",
    target: "P95 target",
    no_target: "no target",
    first_item: "first item",
    per_frame: "per frame",
    turn: "end-to-end turn",
    samples: "samples",
    memory_title: "Process memory over time",
    time_axis: "Time since start (s)",
    rss_axis: "RSS (MB)",
    vms_axis: "VMS (MB)",
    baseline: "RSS baseline",
    warmup: "warm-up",
    growth: "growth",
    peak: "peak",
    leak_suspected: "leak suspected",
    leak_certain: "leak",
    gpu_title: "GPU over time",
    util_axis: "Utilisation (%)",
    vram_axis: "VRAM used (MB)",
    temp_axis: "Temperature (°C)",
    total: "total",
    cpu_bound: "30 %: below it, likely CPU-bound",
    throttling: "85 °C: throttling",
    vram_shortage: "90 % of total: shortage",
};

const KO: Words = Words {
    latency_title: "컴포넌트별 지연 시간: P50 / P95 / P99 와 P95 목표",
    latency_axis: "지연 시간 (ms)",
    components_axis: "컴포넌트",
    over_target: "목표 초과",
    target: "P95 목표",
    no_target: "목표 없음",
    first_item: "첫 항목",
    per_frame: "프레임당",
    turn: "턴 전체 (E2E)",
    samples: "샘플",
    memory_title: "프로세스 메모리 추이",
    time_axis: "시작 후 시간 (s)",
    rss_axis: "RSS (MB)",
    vms_axis: "VMS (MB)",
    baseline: "RSS 기준선",
    warmup: "워밍업",
    growth: "증가",
    peak: "최대",
    leak_suspected: "누수 의심",
    leak_certain: "누수",
    gpu_title: "GPU 추이",
    util_axis: "사용률 (%)",
    vram_axis: "VRAM 사용량 (MB)",
    temp_axis: "온도 (°C)",
    total: "전체",
    cpu_bound: "30 %: 미만이면 CPU 병목 가능",
    throttling: "85 °C: 스로틀링",
    vram_shortage: "전체의 90 %: 메모리 부족",
};

/// A latency in ms with as many decimals as its size deserves.
fn ms(v: f64) -> String {
    if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// What a legend entry shows beside its words.
#[derive(Clone, Copy)]
enum Mark {
    Swatch(RGBColor),
    Line(RGBColor),
    Dash(RGBColor),
    /// The latency target: dark dashes with a white halo, readable over any bar.
    Target,
    Shade(RGBColor),
}

const MARK_W: i32 = 26;

fn draw_mark(area: &Area, mark: Mark, (x, y): (i32, i32)) -> Result<(), String> {
    let path = vec![(x, y), (x + MARK_W, y)];
    match mark {
        Mark::Swatch(c) => area.draw(&Rectangle::new(
            [(x + 4, y - 8), (x + MARK_W - 4, y + 8)],
            c.filled(),
        )),
        Mark::Shade(c) => area.draw(&Rectangle::new(
            [(x, y - 9), (x + MARK_W, y + 9)],
            c.filled(),
        )),
        Mark::Line(c) => area.draw(&PathElement::new(path, c.stroke_width(4))),
        Mark::Dash(c) => area.draw(&DashedPathElement::new(path, 7, 4, c.stroke_width(3))),
        Mark::Target => {
            area.draw(&DashedPathElement::new(
                path.clone(),
                7,
                4,
                WHITE.stroke_width(7),
            ))
            .map_err(fail)?;
            area.draw(&DashedPathElement::new(path, 7, 4, INK.stroke_width(3)))
        }
    }
    .map_err(fail)
}

/// A legend as one centred row (`column: None`) or a column starting at `column`.
fn legend(
    area: &Area,
    st: &Style,
    items: &[(Mark, String)],
    y: i32,
    column: Option<i32>,
) -> Result<(), String> {
    let font = st.font(16.0);
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, label)| {
            area.estimate_text_size(label, &font)
                .map(|(w, _)| w as i32)
                .unwrap_or(0)
        })
        .collect();
    let gap = 28;
    let row_width: i32 = widths.iter().map(|w| MARK_W + 8 + w + gap).sum::<i32>() - gap;
    let (mut x, mut y) = match column {
        Some(x) => (x, y),
        None => ((area.dim_in_pixel().0 as i32 - row_width) / 2, y),
    };
    let anchor = Pos::new(HPos::Left, VPos::Center);
    for ((mark, label), w) in items.iter().zip(widths) {
        draw_mark(area, *mark, (x, y))?;
        area.draw(&Text::new(
            label.clone(),
            (x + MARK_W + 8, y),
            font.clone().pos(anchor),
        ))
        .map_err(fail)?;
        if column.is_some() {
            y += 26;
        } else {
            x += MARK_W + 8 + w + gap;
        }
    }
    Ok(())
}

/// Title, subtitle and (when given) a legend row across the top of a chart; returns
/// the area below them.
fn header<'a>(
    root: &Area<'a>,
    st: &Style,
    title: &str,
    subtitle: (&str, RGBColor),
    items: &[(Mark, String)],
) -> Result<Area<'a>, String> {
    let (w, _) = root.dim_in_pixel();
    let (top, body) = root.split_vertically(if items.is_empty() { 86 } else { 120 });
    let center = Pos::new(HPos::Center, VPos::Top);
    top.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 16),
        st.bold(26.0).pos(center),
    ))
    .map_err(fail)?;
    top.draw(&Text::new(
        subtitle.0.to_string(),
        (w as i32 / 2, 52),
        st.font(17.0).color(&subtitle.1).pos(center),
    ))
    .map_err(fail)?;
    legend(&top, st, items, 100, None)?;
    Ok(body)
}

fn draw_latency(report: &Report, path: &Path, st: &Style) -> Result<(), String> {
    let w = st.words;
    let comps: Vec<(&String, &ComponentReport)> = report
        .components
        .iter()
        .filter(|(_, c)| c.latency.count > 0)
        .collect();
    let n = comps.len();
    let width = (260 + 190 * n as u32).clamp(1100, 2600);
    let root = BitMapBackend::new(path, (width, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let over = comps
        .iter()
        .filter(|(_, c)| c.target_ms.is_some_and(|t| c.latency.p95 > t))
        .count();
    let when = report.timestamp.replace('T', " ");
    let subtitle = match (st.lang, over) {
        (Lang::Ko, 0) => format!("{when} · 컴포넌트 {n}개 모두 P95 목표 이내"),
        (Lang::Ko, _) => format!("{when} · 컴포넌트 {n}개 중 {over}개가 P95 목표 초과"),
        (Lang::En, 0) => format!("{when} · all {n} components within their P95 target"),
        (Lang::En, _) => format!("{when} · {over} of {n} components over their P95 target"),
    };
    let mut items: Vec<(Mark, String)> = ["P50", "P95", "P99"]
        .iter()
        .enumerate()
        .map(|(j, p)| (Mark::Swatch(WITHIN[j]), p.to_string()))
        .collect();
    items.push((Mark::Swatch(OVER[1]), w.over_target.to_string()));
    items.push((Mark::Target, w.target.to_string()));
    let body = header(
        &root,
        st,
        w.latency_title,
        (&subtitle, if over > 0 { TARGET } else { MUTED }),
        &items,
    )?;
    let top = comps
        .iter()
        .map(|(_, c)| c.latency.p99.max(c.target_ms.unwrap_or(0.0)))
        .fold(0.0, f64::max);
    let y_max = if top > 0.0 { top * 1.12 } else { 1.0 };
    let mut chart = ChartBuilder::on(&body)
        .margin_left(24)
        .margin_right(36)
        .margin_bottom(12)
        .x_label_area_size(118)
        .y_label_area_size(88)
        .build_cartesian_2d(0f64..n as f64, 0f64..y_max)
        .map_err(fail)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(10)
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .y_desc(w.latency_axis)
        .x_desc(w.components_axis)
        .axis_desc_style(st.font(19.0))
        .label_style(st.font(16.0))
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(fail)?;

    // Three bars per component in a group 0.78 wide, centred in the component's slot.
    let bar = 0.26;
    let left = |i: usize, j: usize| i as f64 + 0.11 + j as f64 * bar;
    let figures = |c: &ComponentReport| [c.latency.median, c.latency.p95, c.latency.p99];
    let is_over = |c: &ComponentReport, v: f64| c.target_ms.is_some_and(|t| v > t);
    chart
        .draw_series(comps.iter().enumerate().flat_map(|(i, (_, c))| {
            figures(c).into_iter().enumerate().map(move |(j, v)| {
                let color = if is_over(c, v) { OVER[j] } else { WITHIN[j] };
                Rectangle::new(
                    [(left(i, j) + 0.012, 0.0), (left(i, j) + bar - 0.012, v)],
                    color.filled(),
                )
            })
        }))
        .map_err(fail)?;
    // Targets: a dashed line across the component's group, over the bars.
    for (stroke, color) in [(7, WHITE), (3, INK)] {
        chart
            .draw_series(comps.iter().enumerate().filter_map(|(i, (_, c))| {
                c.target_ms.map(|t| {
                    DashedPathElement::new(
                        vec![(i as f64 + 0.04, t), (i as f64 + 0.96, t)],
                        12,
                        7,
                        color.stroke_width(stroke),
                    )
                })
            }))
            .map_err(fail)?;
    }

    // Figures above the bars, over-target ones in the warning colour; a figure that
    // would sit on its target line goes just inside the top of its bar instead.
    let above = st.font(14.0).pos(Pos::new(HPos::Center, VPos::Bottom));
    let inside = st.font(14.0).pos(Pos::new(HPos::Center, VPos::Top));
    chart
        .draw_series(comps.iter().enumerate().flat_map(|(i, (_, c))| {
            let (above, inside) = (above.clone(), inside.clone());
            figures(c).into_iter().enumerate().map(move |(j, v)| {
                let x = left(i, j) + bar / 2.0;
                let near_target = c.target_ms.filter(|&t| v <= t && t - v < y_max * 0.045);
                if near_target.is_some() && v > y_max * 0.06 {
                    let color: &'static RGBColor = if j == 0 { &INK } else { &WHITE };
                    EmptyElement::at((x, v)) + Text::new(ms(v), (0, 5), inside.clone().color(color))
                } else if let Some(t) = near_target {
                    // A short bar just under its target: the figure goes above the line.
                    EmptyElement::at((x, t)) + Text::new(ms(v), (0, -6), above.clone().color(&INK))
                } else {
                    let at = EmptyElement::at((x, v));
                    let color: &'static RGBColor = if is_over(c, v) { &OVER_INK } else { &INK };
                    at + Text::new(ms(v), (0, -4), above.clone().color(color))
                }
            })
        }))
        .map_err(fail)?;
    // Under each group: the name, its target, what the figure measures and the samples.
    let top_center = Pos::new(HPos::Center, VPos::Top);
    for (i, (name, c)) in comps.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            name.to_string(),
            (x, y + 10),
            st.bold(18.0).pos(top_center),
        ))
        .map_err(fail)?;
        let (target, color) = match c.target_ms {
            Some(t) if c.latency.p95 > t => (format!("{} {} ms", w.target, ms(t)), TARGET),
            Some(t) => (format!("{} {} ms", w.target, ms(t)), INK),
            None => (w.no_target.to_string(), MUTED),
        };
        root.draw(&Text::new(
            target,
            (x, y + 34),
            st.font(15.0).color(&color).pos(top_center),
        ))
        .map_err(fail)?;
        let kind = match c.kind {
            Kind::FirstItem => Some(w.first_item),
            Kind::Frame => Some(w.per_frame),
            Kind::Turn => Some(w.turn),
            Kind::Latency => None,
        };
        let detail = match kind {
            Some(k) => format!("{k} · {} {}", c.latency.count, w.samples),
            None => format!("{} {}", c.latency.count, w.samples),
        };
        root.draw(&Text::new(
            detail,
            (x, y + 56),
            st.font(14.0).color(&MUTED).pos(top_center),
        ))
        .map_err(fail)?;
    }
    root.present().map_err(fail)
}

/// A value range around `lo..hi` with room for the data, never of zero height.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.02).max(1.0);
    ((lo - pad).max(0.0), hi + pad)
}

/// Width of the legend column right of a panel.
const SIDE: u32 = 300;

fn draw_memory(report: &Report, path: &Path, st: &Style) -> Result<(), String> {
    let w = st.words;
    let Some(m) = report.memory.as_ref() else {
        return Ok(());
    };
    let root = BitMapBackend::new(path, (1200, 760)).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let sign = if m.growth_mb >= 0.0 { "+" } else { "" };
    let mut subtitle = format!(
        "{} {:.1} MB · {} {:.1} MB · {} {sign}{:.1} MB ({sign}{:.2} MB/min)",
        w.baseline,
        m.baseline_rss_mb,
        w.peak,
        m.peak_rss_mb,
        w.growth,
        m.growth_mb,
        m.growth_mb_per_min
    );
    let leak = m.leak.map(|l| match l {
        LeakVerdict::Suspected => w.leak_suspected,
        LeakVerdict::Certain => w.leak_certain,
    });
    if let Some(l) = leak {
        subtitle = format!("{subtitle} · {l}");
    }
    let body = header(
        &root,
        st,
        w.memory_title,
        (&subtitle, if leak.is_some() { TARGET } else { MUTED }),
        &[],
    )?;
    let (plots, side) = body.split_horizontally(1200 - SIDE);
    let (rss_area, vms_area) = plots.split_vertically(plots.dim_in_pixel().1 * 62 / 100);
    let times = || m.timeline.iter().map(|p| p.t_sec);
    let t_start = times().fold(m.baseline_at_sec, f64::min).max(0.0);
    let t_end = times()
        .fold(m.baseline_at_sec, f64::max)
        .max(t_start + 1e-3);
    let (rss_lo, rss_hi) = padded(
        m.timeline
            .iter()
            .map(|p| p.rss_mb)
            .fold(m.baseline_rss_mb, f64::min),
        m.timeline
            .iter()
            .map(|p| p.rss_mb)
            .fold(m.baseline_rss_mb, f64::max),
    );
    let (vms_lo, vms_hi) = padded(
        m.timeline
            .iter()
            .map(|p| p.vms_mb)
            .fold(f64::INFINITY, f64::min),
        m.timeline.iter().map(|p| p.vms_mb).fold(0.0, f64::max),
    );
    let warm_shade = RGBColor(236, 238, 241);
    for (k, area) in [&rss_area, &vms_area].into_iter().enumerate() {
        let rss = k == 0;
        let (lo, hi) = if rss {
            (rss_lo, rss_hi)
        } else {
            (vms_lo, vms_hi)
        };
        let mut chart = ChartBuilder::on(area)
            .margin_left(24)
            .margin_right(12)
            .margin_top(8)
            .margin_bottom(8)
            .x_label_area_size(if rss { 30 } else { 62 })
            .y_label_area_size(92)
            .build_cartesian_2d(t_start..t_end, lo..hi)
            .map_err(fail)?;
        // Warm-up, before the baseline, shaded behind everything.
        if m.baseline_at_sec > t_start {
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(t_start, lo), (m.baseline_at_sec, hi)],
                    warm_shade.filled(),
                )))
                .map_err(fail)?;
        }
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .y_desc(if rss { w.rss_axis } else { w.vms_axis })
            .axis_desc_style(st.font(18.0))
            .label_style(st.font(15.0))
            .y_labels(if rss { 8 } else { 4 })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v| format!("{v:.0}"));
        if !rss {
            mesh.x_desc(w.time_axis);
        }
        mesh.draw().map_err(fail)?;
        if rss {
            chart
                .draw_series(std::iter::once(DashedPathElement::new(
                    vec![(t_start, m.baseline_rss_mb), (t_end, m.baseline_rss_mb)],
                    12,
                    7,
                    BASELINE.stroke_width(3),
                )))
                .map_err(fail)?;
            chart
                .draw_series(LineSeries::new(
                    m.timeline.iter().map(|p| (p.t_sec, p.rss_mb)),
                    RSS.stroke_width(3),
                ))
                .map_err(fail)?;
        } else {
            chart
                .draw_series(LineSeries::new(
                    m.timeline.iter().map(|p| (p.t_sec, p.vms_mb)),
                    VMS.stroke_width(3),
                ))
                .map_err(fail)?;
        }
    }
    let mut items = vec![
        (Mark::Line(RSS), "RSS".to_string()),
        (
            Mark::Dash(BASELINE),
            format!("{} {:.1} MB", w.baseline, m.baseline_rss_mb),
        ),
    ];
    if m.baseline_at_sec > t_start {
        items.push((Mark::Shade(warm_shade), w.warmup.to_string()));
    }
    items.push((Mark::Line(VMS), "VMS".to_string()));
    legend(&side, st, &items, 30, Some(12))?;
    root.present().map_err(fail)
}

fn gpu_devices(report: &Report) -> impl Iterator<Item = &GpuDevice> {
    report
        .gpu
        .devices
        .iter()
        .filter(move |d| report.gpu.available && !d.samples.is_empty())
}

fn draw_gpu(report: &Report, path: &Path, st: &Style) -> Result<(), String> {
    let w = st.words;
    let devices: Vec<&GpuDevice> = gpu_devices(report).collect();
    let root = BitMapBackend::new(path, (1200, 1040)).into_drawing_area();
    root.fill(&WHITE).map_err(fail)?;
    let subtitle = devices
        .iter()
        .map(|d| {
            format!(
                "GPU {} {}: {} {:.0} % · {:.0} MB · {:.0} °C",
                d.index, d.name, w.peak, d.max_util_pct, d.max_vram_used_mb, d.max_temperature_c
            )
        })
        .collect::<Vec<_>>()
        .join("  |  ");
    let body = header(&root, st, w.gpu_title, (&subtitle, MUTED), &[])?;
    let (plots, side) = body.split_horizontally(1200 - SIDE);
    let panels = plots.split_evenly((3, 1));
    let sides = side.split_evenly((3, 1));
    let points = || devices.iter().flat_map(|d| d.samples.iter());
    let t_start = points()
        .map(|p| p.t_sec)
        .fold(f64::INFINITY, f64::min)
        .max(0.0);
    let t_end = points()
        .map(|p| p.t_sec)
        .fold(0.0, f64::max)
        .max(t_start + 1e-3);
    let vram_top = devices
        .iter()
        .map(|d| d.vram_total_mb.max(d.max_vram_used_mb))
        .fold(0.0, f64::max)
        .max(points().map(|p| p.vram_used_mb).fold(0.0, f64::max))
        * 1.06;
    let temp_hi = points().map(|p| p.temperature_c).fold(85.0, f64::max) + 6.0;
    let temp_lo = (points()
        .map(|p| p.temperature_c)
        .fold(f64::INFINITY, f64::min)
        - 10.0)
        .clamp(0.0, 75.0);
    let name = |d: &GpuDevice| {
        let mut s = format!("GPU {} {}", d.index, d.name);
        if s.chars().count() > 26 {
            s = s.chars().take(25).collect::<String>() + "…";
        }
        s
    };

    type Value = fn(&GpuPoint) -> f64;
    let specs: [(&str, f64, f64, Value); 3] = [
        (w.util_axis, 0.0, 105.0, |p| p.util_pct),
        (w.vram_axis, 0.0, vram_top.max(1.0), |p| p.vram_used_mb),
        (w.temp_axis, temp_lo, temp_hi, |p| p.temperature_c),
    ];
    for (k, ((panel, side), (axis, lo, hi, value))) in
        panels.iter().zip(&sides).zip(specs).enumerate()
    {
        let last = k == 2;
        let mut chart = ChartBuilder::on(panel)
            .margin_left(24)
            .margin_right(12)
            .margin_top(10)
            .margin_bottom(6)
            .x_label_area_size(if last { 62 } else { 30 })
            .y_label_area_size(92)
            .build_cartesian_2d(t_start..t_end, lo..hi)
            .map_err(fail)?;
        let mut mesh = chart.configure_mesh();
        mesh.light_line_style(TRANSPARENT)
            .bold_line_style(GRID)
            .y_desc(axis)
            .axis_desc_style(st.font(18.0))
            .label_style(st.font(15.0))
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v| format!("{v:.0}"));
        if last {
            mesh.x_desc(w.time_axis);
        }
        mesh.draw().map_err(fail)?;
        let mut items: Vec<(Mark, String)> = Vec::new();
        // The finding's threshold, so a line crossing it reads as a problem at a glance.
        let rule = TARGET.stroke_width(2);
        let thresholds: Vec<f64> = match k {
            0 => vec![30.0],
            1 => devices
                .iter()
                .filter(|d| d.vram_total_mb > 0.0)
                .map(|d| d.vram_total_mb * 0.9)
                .collect(),
            _ => vec![85.0],
        };
        if !thresholds.is_empty() {
            chart
                .draw_series(
                    thresholds.iter().map(|&y| {
                        DashedPathElement::new(vec![(t_start, y), (t_end, y)], 10, 6, rule)
                    }),
                )
                .map_err(fail)?;
            items.push((
                Mark::Dash(TARGET),
                [w.cpu_bound, w.vram_shortage, w.throttling][k].to_string(),
            ));
        }
        for (i, d) in devices.iter().enumerate() {
            let color = DEVICES[i % DEVICES.len()];
            if k == 1 && d.vram_total_mb > 0.0 {
                chart
                    .draw_series(std::iter::once(DashedPathElement::new(
                        vec![(t_start, d.vram_total_mb), (t_end, d.vram_total_mb)],
                        4,
                        4,
                        color.stroke_width(2),
                    )))
                    .map_err(fail)?;
            }
            chart
                .draw_series(LineSeries::new(
                    d.samples.iter().map(|p| (p.t_sec, value(p))),
                    color.stroke_width(3),
                ))
                .map_err(fail)?;
            items.insert(i, (Mark::Line(color), name(d)));
            if k == 1 && d.vram_total_mb > 0.0 {
                items.push((
                    Mark::Dash(color),
                    format!("GPU {} {} {:.0} MB", d.index, w.total, d.vram_total_mb),
                ));
            }
        }
        legend(side, st, &items, 28, Some(12))?;
    }
    root.present().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyse::stats::{encode_histogram, latency_stats};
    use crate::record::component::Source;
    use crate::record::new_histogram;
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

    fn component(
        kind: Kind,
        target: Option<f64>,
        median: f64,
        n: usize,
        seed: u64,
    ) -> ComponentReport {
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
            turns: None,
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
            }),
            gpu: GpuReport {
                available: true,
                reason: None,
                interval_ms: 1000,
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
        };
        crate::analyse::assess(&mut report);
        report
    }

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("profiler-charts-{name}-{}", std::process::id()));
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
                "gpu_20261121_140307.png"
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
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
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
    fn a_report_with_nothing_to_draw_writes_nothing() {
        let dir = scratch("empty");
        let mut report = interview_report(Lang::En);
        report.components.clear();
        report.memory = None;
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
        let why = hangul_family(Some(&latin)).unwrap_err();
        assert!(
            why.contains("no Hangul") && why.contains("English labels"),
            "{why}"
        );
        let why = hangul_family(Some(&dir.join("missing.ttf"))).unwrap_err();
        assert!(why.contains("cannot read"), "{why}");
        // A Korean report still gets its charts, with English labels.
        let paths = write_all(&interview_report(Lang::Ko), &dir.join("out"), Some(&latin)).unwrap();
        assert_eq!(paths.len(), 3);
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
        assert_eq!(paths.len(), 3);
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
}
