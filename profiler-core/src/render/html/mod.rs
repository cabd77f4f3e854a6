//! `report_<ts>.html`: the whole report as one page to open, share and attach to a
//! pull request. One file with no network and no external assets: its style and its
//! one small script (table sorting) are inline, every picture is inline SVG, text uses
//! the browser's own fonts (Korean included), and a Content-Security-Policy forbids
//! every request.
//!
//! The page, top to bottom, one file per panel:
//!
//! - `summary`: every component in a sortable table (P50 / P95 / P99 against the target,
//!   severity, errors, cancelled, throughput);
//! - `findings`: the bottlenecks with their recommendations;
//! - `card`: a card per component with its figures, its findings and its latency
//!   distribution (`distribution`: the report's histogram, decoded into bars, with the
//!   percentiles and the target line);
//! - `waterfall`: the turns' E2E waterfall, interruptions and the kept turns;
//! - `sessions`: conversations and the per-session budgets;
//! - `memory`, `gpu`: the process memory and GPU timelines.
//!
//! `compare` writes the before/after page of a comparison.
//!
//! Like every renderer, it reads the report's figures and verdicts and computes none;
//! decoding a histogram into bar heights is reading it.
//!
//! # Size
//!
//! The page grows with the components (one table row each, about 0.35 KB) and with
//! little else: cards are written for at most [`MAX_CARDS`] components (all of them
//! up to that, else those furthest over their target, with a note), findings for at
//! most [`MAX_FINDINGS`], sessions for [`MAX_SESSION_ROWS`], GPUs for
//! [`MAX_GPU_DEVICES`], and a timeline is drawn at most [`MAX_PLOT_POINTS`] columns
//! wide however long the run. Measured: a 10,000-component report is a page of about
//! 3.6 MB; a 24-hour report with full memory and two full GPU timelines, 178 KB.

mod card;
pub mod compare;
mod distribution;
mod findings;
mod gpu;
mod markup;
mod memory;
mod sessions;
mod summary;
#[cfg(test)]
mod tests;
mod waterfall;
mod words;

pub use markup::MAX_PLOT_POINTS;

use super::files::{ensure_dir, free_path, stamp, write_atomic};
use super::{Output, ReportError, Reporter};
use crate::model::{ComponentReport, Finding, Lang, Report, Severity};
use markup::{esc, fixed};
use std::cmp::Ordering;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use words::{fill, words, Words};

/// Components that get a card, at most; past it, those furthest over their target.
pub const MAX_CARDS: usize = 100;
/// Findings listed, at most (most severe first, as the report orders them).
pub const MAX_FINDINGS: usize = 200;
/// Sessions listed one by one, at most.
pub const MAX_SESSION_ROWS: usize = 200;
/// GPUs drawn, at most.
pub const MAX_GPU_DEVICES: usize = 16;

/// Writes `report_<stamp>.html` into the output directory.
#[derive(Clone, Copy, Debug, Default)]
pub struct HtmlReporter;

impl Reporter for HtmlReporter {
    fn name(&self) -> &'static str {
        "html"
    }

    fn write(&self, report: &Report, out: Output<'_>) -> Result<Vec<PathBuf>, ReportError> {
        write(report, out.dir).map(|p| vec![p])
    }
}

/// Writes `report` as `report_<stamp>.html` in `dir` (atomically); returns the path.
pub fn write(report: &Report, dir: &Path) -> Result<PathBuf, ReportError> {
    ensure_dir(dir)?;
    let path = free_path(dir, "report", &stamp(report), "html");
    write_atomic(&path, render(report).as_bytes())?;
    Ok(path)
}

/// The page of `report`, in the report's language.
pub fn render(report: &Report) -> String {
    render_in(report, report.lang)
}

/// The page of `report` in `lang` (findings and notes stay in the report's language).
pub fn render_in(r: &Report, lang: Lang) -> String {
    let w = words(lang);
    let mut body = String::with_capacity(64 * 1024 + r.components.len() * 700);
    header(&mut body, w, r);
    let carded = carded(r);
    summary::summary(&mut body, w, r, &carded);
    findings::findings(&mut body, w, r);
    cards(&mut body, w, r, &carded);
    waterfall::turns(&mut body, w, r);
    sessions::sessions(&mut body, w, r);
    memory::memory(&mut body, w, r);
    gpu::gpu(&mut body, w, r);
    let _ = write!(body, "<footer>{}</footer>", w.footer);
    let title = format!("{} · {}", w.title, r.timestamp.replace('T', " "));
    page(w, &title, &body)
}

/// A whole page around `body`: the head with the policy, the style and the script.
fn page(w: &Words, title: &str, body: &str) -> String {
    let mut o = String::with_capacity(body.len() + 16 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; base-uri 'none'; \
         form-action 'none'\">\n\
         <meta name=\"generator\" content=\"profiler {version}\">\n\
         <title>{title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n\
         <script>\n{js}</script>\n</body>\n</html>\n",
        lang = w.code(),
        version = env!("CARGO_PKG_VERSION"),
        title = esc(title),
        css = include_str!("page.css"),
        js = include_str!("sort.js"),
    );
    o
}

fn header(o: &mut String, w: &Words, r: &Report) {
    let _ = write!(
        o,
        "<header class=\"top\"><h1>{}</h1><p class=\"meta\">{} · {} {}s",
        w.title,
        esc(&r.timestamp.replace('T', " ")),
        w.duration,
        fixed(r.duration_sec, 1)
    );
    if !r.run.program.is_empty() {
        let _ = write!(o, " · {} <code>{}</code>", w.program, esc(&r.run.program));
        if r.run.pid != 0 {
            let _ = write!(o, " (pid {})", r.run.pid);
        }
    }
    if r.run.merged_from > 1 {
        let _ = write!(
            o,
            " · {} {} {}",
            w.merged_from, r.run.merged_from, w.processes
        );
    }
    if r.run.sample_rate < 1.0 {
        let _ = write!(o, " · {} {}", w.sample_rate, r.run.sample_rate);
    }
    if r.run.warmup > 0 {
        let _ = write!(o, " · {} {}", w.warmup, r.run.warmup);
    }
    let over = r
        .components
        .values()
        .filter(|c| c.latency.count > 0 && c.target_ms.is_some() && c.severity > Severity::Good)
        .count();
    let worst = r.findings.iter().map(|f| f.severity).max();
    let _ = write!(
        o,
        "</p><p class=\"chips\"><span class=\"chip\">{} {}</span>\
         <span class=\"chip {}\">{over} {}</span>\
         <span class=\"chip {}\">{} {}</span></p>",
        r.components.len(),
        w.components,
        if over > 0 { "warning" } else { "good" },
        w.over_target,
        worst.map_or("good", markup::sev_class),
        r.findings.len().max(r.bottlenecks.len()),
        w.findings_chip,
    );
    o.push_str("<nav>");
    let mut link = |id: &str, label: &str| {
        let _ = write!(o, "<a href=\"#{id}\">{label}</a>");
    };
    link("summary", w.summary);
    link("findings", w.findings);
    if r.turns.is_some() {
        link("turns", w.turns);
    }
    if r.sessions.is_some() {
        link("sessions", w.sessions);
    }
    if r.memory.is_some() {
        link("memory", w.memory);
    }
    link("gpu", w.gpu);
    o.push_str("</nav></header>");
}

/// The components that get a card, as indices into `r.components`: all of them up to
/// [`MAX_CARDS`]; past it, the report's worst verdicts first (severity, then P95 over
/// target, then P95), in report order among those chosen.
fn carded(r: &Report) -> Vec<usize> {
    let mut all: Vec<usize> = (0..r.components.len()).collect();
    if all.len() <= MAX_CARDS {
        return all;
    }
    let comps: Vec<&ComponentReport> = r.components.values().collect();
    let desc = |a: f64, b: f64| b.partial_cmp(&a).unwrap_or(Ordering::Equal);
    all.sort_by(|&a, &b| {
        let (x, y) = (comps[a], comps[b]);
        y.severity
            .cmp(&x.severity)
            .then_with(|| {
                desc(
                    x.target_ratio.unwrap_or(f64::MIN),
                    y.target_ratio.unwrap_or(f64::MIN),
                )
            })
            .then_with(|| desc(x.latency.p95, y.latency.p95))
            .then(a.cmp(&b))
    });
    all.truncate(MAX_CARDS);
    all.sort_unstable();
    all
}

fn cards(o: &mut String, w: &Words, r: &Report, carded: &[usize]) {
    let _ = write!(
        o,
        "<section id=\"components\"><h2>{} <small>{}</small></h2>",
        w.per_component,
        carded.len()
    );
    if carded.len() < r.components.len() {
        let _ = write!(
            o,
            "<p class=\"note\" id=\"cards-bound\">{}</p>",
            fill(
                w.cards_bound,
                &[
                    ("n", carded.len().to_string()),
                    ("total", r.components.len().to_string())
                ]
            )
        );
    }
    o.push_str("<div class=\"cards\">");
    let mut of_component: std::collections::HashMap<&str, Vec<&Finding>> = Default::default();
    for f in &r.findings {
        of_component
            .entry(f.component.as_str())
            .or_default()
            .push(f);
    }
    let comps: Vec<(&String, &ComponentReport)> = r.components.iter().collect();
    for &i in carded {
        let (name, c) = comps[i];
        let found = of_component
            .get(name.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        card::card(o, w, i, name, c, found);
    }
    o.push_str("</div></section>");
}
