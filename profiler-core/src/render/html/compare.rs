//! The before/after page of a comparison (`analyse::compare::Comparison`): the verdict,
//! each component's percentiles base against current as paired bars, every row in a
//! sortable table, and the turn waterfall part by part. Every change and verdict is
//! the comparison's own; nothing is judged here.

use super::markup::{esc, fixed, key, ms, px, Plot};
use super::page;
use super::words::{fill, words, Words};
use crate::analyse::compare::{Comparison, Pair, Row, Status, TurnComparison};
use crate::model::{Lang, PartKind, WaterfallPart};
use crate::render::files::{ensure_dir, free_path, stamp_of, write_atomic};
use crate::render::style::{part_colours, Rgb};
use crate::render::ReportError;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Components drawn in the chart, at most (changed ones first); the table holds all.
pub const MAX_CHART_COMPONENTS: usize = 30;

/// The page of `c`, in `lang`.
pub fn render(c: &Comparison, lang: Lang) -> String {
    let w = words(lang);
    let mut o = String::with_capacity(32 * 1024 + c.rows.len() * 300);
    header(&mut o, w, c);
    chart(&mut o, w, c);
    table(&mut o, w, c);
    if let Some(t) = &c.turns {
        turns(&mut o, w, t);
    }
    let _ = write!(o, "<footer>{}</footer>", w.footer);
    page(w, w.compare_title, &o)
}

/// Writes the page of `c` to `output`: a file, or an existing directory (then
/// `compare_<current stamp>.html` in it). Atomic: a reader never sees half a page.
pub fn write_to(c: &Comparison, lang: Lang, output: &Path) -> Result<PathBuf, ReportError> {
    let path = if output.is_dir() {
        free_path(output, "compare", &stamp_of(&c.current_timestamp), "html")
    } else {
        if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
            ensure_dir(parent)?;
        }
        output.to_path_buf()
    };
    write_atomic(&path, render(c, lang).as_bytes())?;
    Ok(path)
}

fn status_class(s: Status) -> &'static str {
    match s {
        Status::Regression => "regression",
        Status::Improved => "improved",
        Status::Unchanged => "ok",
        Status::New => "new",
        Status::Gone => "gone",
    }
}

fn text_class(s: Status) -> &'static str {
    match s {
        Status::Regression => "critical",
        Status::Improved => "good",
        _ => "",
    }
}

fn header(o: &mut String, w: &Words, c: &Comparison) {
    let threshold = fixed(
        c.threshold_pct,
        if c.threshold_pct.fract() == 0.0 { 0 } else { 1 },
    );
    let _ = write!(
        o,
        "<header class=\"top\"><h1>{}</h1><p class=\"meta\">{}: <code>{}</code> ({}) · {}: \
         <code>{}</code> ({}) · {} {} %</p></header>",
        w.compare_title,
        w.base,
        esc(&c.base.display().to_string()),
        esc(&c.base_timestamp.replace('T', " ")),
        w.current,
        esc(&c.current.display().to_string()),
        esc(&c.current_timestamp.replace('T', " ")),
        w.threshold,
        threshold
    );
    let found: Vec<&Row> = c.regressions().collect();
    if found.is_empty() {
        let _ = write!(
            o,
            "<p class=\"verdict good\" id=\"verdict\">✓ {}</p>",
            fill(w.no_regression, &[("t", threshold)])
        );
    } else {
        let list: Vec<String> = found
            .iter()
            .map(|r| {
                format!(
                    "{} {} {:+.1} %",
                    esc(&r.component),
                    r.percentile.name(),
                    r.delta_pct.unwrap_or(0.0)
                )
            })
            .collect();
        let _ = write!(
            o,
            "<p class=\"verdict critical\" id=\"verdict\">✗ {}: {}</p>",
            fill(
                w.regressions,
                &[("n", found.len().to_string()), ("t", threshold)]
            ),
            list.join(", ")
        );
    }
}

/// Each component's percentiles as a pair of bars (base grey, current coloured by the
/// row's status), components with a regression first, then improvements.
fn chart(o: &mut String, w: &Words, c: &Comparison) {
    // Each component's rows, components in the order they first appear: one pass.
    let mut groups: Vec<Vec<&Row>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for r in &c.rows {
        let i = *index.entry(r.component.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(r);
    }
    let weight = |rows: &[&Row]| match rows.iter().map(|r| r.status).min_by_key(|s| *s as u8) {
        Some(Status::Regression) => 0,
        Some(Status::Improved) => 1,
        Some(Status::New | Status::Gone) => 2,
        _ => 3,
    };
    let total = groups.len();
    // Each weight once; the sort is stable, so ties keep the order of first appearance.
    let mut order: Vec<(u8, Vec<&Row>)> = groups.into_iter().map(|g| (weight(&g), g)).collect();
    order.sort_by_key(|(weight, _)| *weight);
    order.truncate(MAX_CHART_COMPONENTS);
    let rows: Vec<&Row> = order.into_iter().flat_map(|(_, g)| g).collect();
    let _ = write!(o, "<section id=\"chart\"><h2>{}</h2>", w.changes);
    if total > MAX_CHART_COMPONENTS {
        let _ = write!(
            o,
            "<p class=\"note\">{}</p>",
            fill(
                w.changes_bound,
                &[
                    ("n", MAX_CHART_COMPONENTS.to_string()),
                    ("total", total.to_string())
                ]
            )
        );
    }
    if rows.is_empty() {
        o.push_str("</section>");
        return;
    }
    let top = rows
        .iter()
        .flat_map(|r| [r.base_ms, r.current_ms])
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let row_h = 30.0;
    let plot = Plot {
        x: (0.0, if top > 0.0 { top * 1.08 } else { 1.0 }),
        y: (0.0, 1.0),
        left: 200.0,
        top: 34.0,
        width: 560.0,
        height: row_h * rows.len() as f64,
    };
    let _ = write!(
        o,
        "<figure><svg viewBox=\"0 0 1000 {}\" role=\"img\" aria-label=\"{}\">\
         <rect class=\"base\" x=\"200\" y=\"6\" width=\"12\" height=\"10\"/>\
         <text class=\"tick\" x=\"216\" y=\"15\">{}</text>\
         <rect class=\"cur\" x=\"290\" y=\"6\" width=\"12\" height=\"10\"/>\
         <text class=\"tick\" x=\"306\" y=\"15\">{}</text>",
        px(plot.bottom() + 30.0),
        w.changes,
        w.base,
        w.current
    );
    plot.x_axis(o, 8, "ms");
    for (i, r) in rows.iter().enumerate() {
        let y = plot.top + i as f64 * row_h + 4.0;
        let _ = write!(
            o,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} {}</text>",
            px(plot.left - 8.0),
            px(y + 15.0),
            esc(&r.component),
            r.percentile.name()
        );
        for (v, class, dy) in [
            (r.base_ms, "base".to_string(), 0.0),
            (
                r.current_ms,
                format!("cur {}", status_class(r.status)),
                11.0,
            ),
        ] {
            if let Some(v) = v {
                let _ = write!(
                    o,
                    "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"10\"><title>{} ms</title></rect>",
                    px(plot.left),
                    px(y + dy),
                    px(plot.px_x(v) - plot.left),
                    ms(v)
                );
            }
        }
        let change = match (r.base_ms, r.current_ms) {
            (Some(b), Some(cu)) => format!(
                "{} → {} ms{}",
                ms(b),
                ms(cu),
                r.delta_pct
                    .map_or(String::new(), |d| format!(" ({d:+.1} %)"))
            ),
            (None, Some(cu)) => format!("{} ms", ms(cu)),
            (Some(b), None) => format!("{} ms", ms(b)),
            (None, None) => String::new(),
        };
        let _ = write!(
            o,
            "<text class=\"tick {}\" x=\"{}\" y=\"{}\">{change} · {}</text>",
            text_class(r.status),
            px(plot.right() + 10.0),
            px(y + 15.0),
            w.status(r.status)
        );
    }
    o.push_str("</svg></figure></section>");
}

fn table(o: &mut String, w: &Words, c: &Comparison) {
    let _ = write!(
        o,
        "<section id=\"rows\"><p class=\"hint\">{}</p><div class=\"scroll{}\">\
         <table class=\"sortable text2\" id=\"compare-table\"><thead><tr>\
         <th data-type=\"text\" tabindex=\"0\">{}</th><th data-type=\"text\" tabindex=\"0\">{}</th>\
         <th data-type=\"num\" tabindex=\"0\">{} ms</th><th data-type=\"num\" tabindex=\"0\">{} ms</th>\
         <th data-type=\"num\" tabindex=\"0\">{} ms</th><th data-type=\"num\" tabindex=\"0\">{} %</th>\
         <th data-type=\"num\" tabindex=\"0\">{} ({})</th><th data-type=\"text\" tabindex=\"0\">{}</th>\
         </tr></thead><tbody>",
        w.sort_hint,
        if c.rows.len() > 60 { " tall" } else { "" },
        w.component,
        w.percentile,
        w.base,
        w.current,
        w.delta,
        w.delta,
        w.samples,
        w.current,
        w.status
    );
    let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    for r in &c.rows {
        let _ = write!(
            o,
            "<tr data-name=\"{}\"><td>{}</td><td>{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>\
             <td data-v=\"{}\">{}</td><td data-v=\"{}\" class=\"{}\">{}</td><td>{}</td>\
             <td class=\"{}\">{}</td></tr>",
            esc(&r.component),
            esc(&r.component),
            r.percentile.name(),
            key(r.base_ms),
            num(r.base_ms),
            key(r.current_ms),
            num(r.current_ms),
            key(r.delta_ms),
            r.delta_ms.map_or("-".into(), |d| format!("{d:+.2}")),
            key(r.delta_pct),
            text_class(r.status),
            r.delta_pct.map_or("-".into(), |d| format!("{d:+.1}")),
            r.current_samples,
            text_class(r.status),
            w.status(r.status)
        );
    }
    o.push_str("</tbody></table></div></section>");
}

/// Each part's colour, as the report page gives it: a comparison keeps only the parts'
/// names, so what each part is comes from how parts are named (`gap:a->b`,
/// `stage:streaming`, `other`, `stage`).
fn part_colours_by_name(names: &[&str]) -> Vec<Rgb> {
    let parts: Vec<WaterfallPart> = names
        .iter()
        .map(|n| {
            let (kind, component) = if n.starts_with("gap:") {
                (PartKind::Gap, None)
            } else if let Some(stage) = n.strip_suffix(":streaming") {
                (PartKind::Streaming, Some(stage))
            } else if *n == "other" {
                (PartKind::Other, None)
            } else {
                (PartKind::Stage, Some(*n))
            };
            WaterfallPart {
                name: n.to_string(),
                kind,
                component: component.map(Into::into),
                ..WaterfallPart::default()
            }
        })
        .collect();
    part_colours(&parts)
}

fn turns(o: &mut String, w: &Words, t: &TurnComparison) {
    let _ = write!(
        o,
        "<section id=\"turns\"><h2>{}</h2><p class=\"hint\">{}</p>",
        w.turn_changes, w.turn_changes_note
    );
    if !t.parts.is_empty() {
        let _ = write!(
            o,
            "<figure><svg viewBox=\"0 0 1000 96\" role=\"img\" aria-label=\"{}\">",
            w.share_of_delay
        );
        let plot = Plot {
            x: (0.0, 100.0),
            y: (0.0, 1.0),
            left: 200.0,
            top: 8.0,
            width: 760.0,
            height: 64.0,
        };
        let names: Vec<&str> = t.parts.iter().map(|p| p.part.as_str()).collect();
        let colours = part_colours_by_name(&names);
        for (row, (label, side)) in [(w.base, 0), (w.current, 1)].into_iter().enumerate() {
            let y = plot.top + row as f64 * 34.0;
            let _ = write!(
                o,
                "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                px(plot.left - 8.0),
                px(y + 17.0),
                label
            );
            let mut at = 0.0;
            for (p, c) in t.parts.iter().zip(&colours) {
                let share = if side == 0 {
                    p.share_pct.base
                } else {
                    p.share_pct.current
                };
                let Some(v) = share else { continue };
                let (x0, x1) = (plot.px_x(at), plot.px_x(at + v));
                let _ = write!(
                    o,
                    "<rect class=\"seg\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"24\" fill=\"rgb({},{},{})\"><title>{}: {} %</title></rect>",
                    px(x0),
                    px(y),
                    px(x1 - x0),
                    c.0,
                    c.1,
                    c.2,
                    esc(&p.part),
                    fixed(v, 1)
                );
                if x1 - x0 > 60.0 {
                    let _ = write!(
                        o,
                        "<text class=\"seg-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} {} %</text>",
                        px((x0 + x1) / 2.0),
                        px(y + 16.0),
                        esc(&p.part),
                        fixed(v, 0)
                    );
                }
                at += v;
            }
        }
        o.push_str("</svg></figure>");
    }
    let _ = write!(
        o,
        "<div class=\"scroll\"><table class=\"sortable\" id=\"part-changes\"><thead><tr>\
         <th data-type=\"text\" tabindex=\"0\">{}</th>\
         <th data-type=\"num\" tabindex=\"0\">{} {}</th><th data-type=\"num\" tabindex=\"0\">{} {}</th>\
         <th data-type=\"num\" tabindex=\"0\">Δ pp</th>\
         <th data-type=\"num\" tabindex=\"0\">{} P95 ms</th><th data-type=\"num\" tabindex=\"0\">{} P95 ms</th>\
         <th data-type=\"num\" tabindex=\"0\">Δ ms</th><th data-type=\"text\" tabindex=\"0\">{}</th>\
         </tr></thead><tbody>",
        w.part,
        w.base,
        w.share_of_delay,
        w.current,
        w.share_of_delay,
        w.base,
        w.current,
        w.status
    );
    let one = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| fixed(v, d));
    let signed = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:+.d$}"));
    for p in &t.parts {
        let _ = write!(
            o,
            "<tr><td>{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>\
             <td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>\
             <td class=\"{}\">{}</td></tr>",
            esc(&p.part),
            key(p.share_pct.base),
            one(p.share_pct.base, 1),
            key(p.share_pct.current),
            one(p.share_pct.current, 1),
            key(p.share_pct.delta()),
            signed(p.share_pct.delta(), 1),
            key(p.p95_ms.base),
            one(p.p95_ms.base, 2),
            key(p.p95_ms.current),
            one(p.p95_ms.current, 2),
            key(p.p95_ms.delta()),
            signed(p.p95_ms.delta(), 2),
            text_class(p.status),
            w.change(p.status)
        );
    }
    o.push_str("</tbody></table></div>");
    let both = |p: &Pair, unit: &str, d: usize| {
        let one = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{}{unit}", fixed(v, d)));
        format!("{} → {}", one(p.base), one(p.current))
    };
    let _ = write!(
        o,
        "<p>{}: {} · {} P95: {}</p><p>{}: {} · {}: {}</p></section>",
        w.interruptions,
        both(&t.interruption_rate_pct, " %", 1),
        w.stopped_after,
        both(&t.interruption_p95_ms, " ms", 2),
        w.peak_concurrent,
        both(&t.peak_concurrent_sessions, "", 0),
        w.turns_per_sec,
        both(&t.turns_per_sec, "", 2)
    );
}
