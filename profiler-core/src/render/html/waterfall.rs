//! Turns: the E2E waterfall (the mean turn, the P50 and P95 turns as stacked bars of
//! their critical-path parts against the E2E target, the same colours as the PNG), the
//! parts table, interruptions, and the kept turns each with its own small waterfall.

use super::markup::{badge, esc, fixed, key, ms, px, Plot};
use super::words::Words;
use crate::model::{KeptAs, Kind, Report, TurnReport, Waterfall};
use crate::render::style::{part_colours, Rgb, OTHER};
use std::fmt::Write;

fn rgb(c: Rgb) -> String {
    format!("rgb({},{},{})", c.0, c.1, c.2)
}

pub(super) fn turns(o: &mut String, w: &Words, r: &Report) {
    let Some(t) = &r.turns else {
        return;
    };
    let turn = r.components.values().find(|c| c.kind == Kind::Turn);
    let target = turn.and_then(|c| c.target_ms);
    let _ = write!(
        o,
        "<section id=\"turns\"><h2>{} <small>{}</small></h2><p>{} {} ms",
        w.turns,
        t.count,
        w.mean_turn,
        ms(t.mean_turn_ms)
    );
    if let Some(c) = turn.filter(|c| c.latency.count > 0) {
        let _ = write!(o, " · E2E P95 {} ms", ms(c.latency.p95));
        if let Some(tg) = c.target_ms {
            let _ = write!(o, " ({} {} ms) {}", w.target, ms(tg), badge(w, c.severity));
        }
    }
    o.push_str("</p>");
    if !t.shares_pct.is_empty() {
        let shares: Vec<String> = t
            .shares_pct
            .iter()
            .map(|(n, p)| format!("{} {} %", esc(n), fixed(*p, 0)))
            .collect();
        let _ = write!(o, "<p>{}: {}", w.shares, shares.join(", "));
        if t.shares_overlap {
            let _ = write!(
                o,
                " <small>({}: {} %)</small>",
                w.overlap,
                fixed(t.shares_sum_pct, 0)
            );
        }
        o.push_str("</p>");
    }
    if let Some(wf) = &t.waterfall {
        waterfall(o, w, t, wf, target);
    }
    interruptions(o, w, t);
    kept(o, w, t);
    o.push_str("</section>");
}

fn waterfall(o: &mut String, w: &Words, t: &TurnReport, wf: &Waterfall, target: Option<f64>) {
    let colours = part_colours(&wf.parts);
    let colour_of = |name: &str| {
        wf.parts
            .iter()
            .position(|p| p.name == name)
            .map_or(OTHER, |i| colours[i])
    };
    let mut bars: Vec<(String, Vec<(&str, f64)>)> = vec![(
        format!("{} · {} ms", w.mean_turn, ms(wf.mean_e2e_ms)),
        wf.parts
            .iter()
            .map(|p| (p.name.as_str(), p.per_turn.mean))
            .collect(),
    )];
    for (label, mark) in [(w.p50_turn, KeptAs::P50), (w.p95_turn, KeptAs::P95)] {
        if let Some(rec) = t.marked_turn(mark) {
            bars.push((
                format!(
                    "{label} #{} · {} ms",
                    rec.id,
                    ms(rec.e2e_ms.unwrap_or_default())
                ),
                rec.waterfall
                    .iter()
                    .map(|(n, v)| (n.as_str(), *v))
                    .collect(),
            ));
        }
    }
    let longest = bars
        .iter()
        .map(|(_, p)| p.iter().map(|(_, v)| v).sum::<f64>())
        .fold(target.unwrap_or(0.0), f64::max);
    let row_h = 46.0;
    let height = 40.0 + row_h * bars.len() as f64 + 26.0;
    let legend_h = 30.0 + 18.0 * wf.parts.len() as f64;
    let height = height.max(legend_h);
    let plot = Plot {
        x: (0.0, if longest > 0.0 { longest * 1.06 } else { 1.0 }),
        y: (0.0, 1.0),
        left: 200.0,
        top: 30.0,
        width: 560.0,
        height: row_h * bars.len() as f64,
    };
    let _ = write!(
        o,
        "<h3>{}</h3><p class=\"hint\">{} ({} {} %).</p>\
         <figure class=\"waterfall\"><svg viewBox=\"0 0 1000 {}\" role=\"img\" aria-label=\"{}\">",
        w.waterfall,
        w.waterfall_note,
        w.shares_total,
        fixed(wf.shares_sum_pct, 1),
        px(height),
        w.waterfall
    );
    plot.x_axis(o, 8, "ms");
    for (i, (label, parts)) in bars.iter().enumerate() {
        let y0 = plot.top + i as f64 * row_h + 8.0;
        let bh = row_h - 16.0;
        let _ = write!(
            o,
            "<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            px(plot.left - 10.0),
            px(y0 + bh / 2.0 + 4.0),
            esc(label)
        );
        let mut at = 0.0;
        for (name, v) in parts {
            let (x0, x1) = (plot.px_x(at), plot.px_x(at + v));
            let _ = write!(
                o,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" class=\"seg\">\
                 <title>{}: {} ms</title></rect>",
                px(x0),
                px(y0),
                px(x1 - x0),
                px(bh),
                rgb(colour_of(name)),
                esc(name),
                ms(*v)
            );
            if x1 - x0 > 34.0 {
                let _ = write!(
                    o,
                    "<text class=\"seg-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    px((x0 + x1) / 2.0),
                    px(y0 + bh / 2.0 + 4.0),
                    ms(*v)
                );
            }
            at += v;
        }
    }
    if let Some(tg) = target {
        let x = px(plot.px_x(tg));
        let _ = write!(
            o,
            "<line class=\"target\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
             <text class=\"ref target\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{} {} ms</text>",
            px(plot.top - 4.0),
            px(plot.bottom()),
            px(plot.top - 8.0),
            w.e2e_target,
            ms(tg)
        );
    }
    let lx = plot.right() + 30.0;
    let _ = write!(
        o,
        "<text class=\"label\" x=\"{}\" y=\"18\">{}</text>",
        px(lx),
        w.share_of_delay
    );
    for (i, (p, c)) in wf.parts.iter().zip(&colours).enumerate() {
        let y = 30.0 + 18.0 * i as f64;
        let _ = write!(
            o,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{}\">{} {} %</text>",
            px(lx),
            px(y),
            rgb(*c),
            px(lx + 18.0),
            px(y + 10.0),
            esc(&p.name),
            fixed(p.share_pct, 1)
        );
    }
    o.push_str("</svg></figure>");
    let _ = write!(
        o,
        "<div class=\"scroll\"><table class=\"sortable text2\" id=\"parts-table\"><thead><tr>\
         <th data-type=\"text\" tabindex=\"0\">{}</th><th data-type=\"text\" tabindex=\"0\">{}</th>\
         <th data-type=\"num\" tabindex=\"0\">{}</th><th data-type=\"num\" tabindex=\"0\">{} ms</th>\
         <th data-type=\"num\" tabindex=\"0\">P50 ms</th><th data-type=\"num\" tabindex=\"0\">P95 ms</th>\
         <th data-type=\"num\" tabindex=\"0\">{}</th></tr></thead><tbody>",
        w.part, w.kind, w.share_of_delay, w.mean, w.turns_with
    );
    for (p, c) in wf.parts.iter().zip(&colours) {
        let _ = write!(
            o,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td>{}</td>\
             <td data-v=\"{}\">{} %</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td>\
             <td data-v=\"{}\">{}</td><td>{}</td></tr>",
            rgb(*c),
            esc(&p.name),
            w.part_kind(p.kind),
            key(Some(p.share_pct)),
            fixed(p.share_pct, 1),
            key(Some(p.per_turn.mean)),
            ms(p.per_turn.mean),
            key(Some(p.per_turn.median)),
            ms(p.per_turn.median),
            key(Some(p.per_turn.p95)),
            ms(p.per_turn.p95),
            p.turns_with
        );
    }
    o.push_str("</tbody></table></div>");
}

fn interruptions(o: &mut String, w: &Words, t: &TurnReport) {
    let i = &t.interruptions;
    if i.count == 0 {
        return;
    }
    let _ = write!(
        o,
        "<p>{}: {} {} {} ({} %), {} {}",
        w.interruptions,
        i.count,
        w.kept_of,
        t.records_kept.of_turns,
        fixed(i.rate_pct, 1),
        i.before_response,
        w.before_response
    );
    if i.latency.count > 0 {
        let _ = write!(
            o,
            "; {} P50 {} ms / P95 {} ms",
            w.stopped_after,
            ms(i.latency.median),
            ms(i.latency.p95)
        );
    }
    o.push_str("</p>");
}

/// The kept turns, slowest first, each with its parts as a small bar on one scale.
fn kept(o: &mut String, w: &Words, t: &TurnReport) {
    if t.records.is_empty() {
        return;
    }
    let colours = t
        .waterfall
        .as_ref()
        .map(|wf| (part_colours(&wf.parts), &wf.parts));
    let colour_of = |name: &str| {
        colours
            .as_ref()
            .and_then(|(c, parts)| parts.iter().position(|p| p.name == name).map(|i| c[i]))
            .unwrap_or(OTHER)
    };
    let scale = t
        .records
        .iter()
        .map(|r| r.waterfall.values().sum::<f64>())
        .fold(0.0, f64::max);
    let _ = write!(
        o,
        "<h3>{} <small>{} {} {}</small></h3><div class=\"scroll\"><table class=\"sortable text2\" id=\"turns-table\"><thead><tr>\
         <th data-type=\"num\" tabindex=\"0\">{}</th><th data-type=\"text\" tabindex=\"0\">{}</th>\
         <th data-type=\"num\" tabindex=\"0\">{} s</th><th data-type=\"num\" tabindex=\"0\">E2E ms</th>\
         <th data-type=\"text\" tabindex=\"0\">{}</th><th data-type=\"text\" tabindex=\"0\">{}</th><th>{}</th></tr></thead><tbody>",
        w.kept_turns,
        t.records.len(),
        w.kept_of,
        t.records_kept.of_turns,
        w.turn,
        w.session,
        w.started_at,
        w.outcome,
        w.kept_as,
        w.waterfall
    );
    for rec in &t.records {
        let kept: Vec<&str> = rec.kept_as.iter().map(|k: &KeptAs| w.kept(*k)).collect();
        let _ = write!(
            o,
            "<tr><td>#{}</td><td>{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td>{}</td><td>{}</td><td>",
            rec.id,
            esc(rec.session.as_deref().unwrap_or("-")),
            key(Some(rec.started_at_sec)),
            fixed(rec.started_at_sec, 2),
            key(rec.e2e_ms),
            rec.e2e_ms.map_or("-".into(), ms),
            w.outcome(rec.outcome),
            kept.join(", ")
        );
        let _ = write!(
            o,
            "<svg class=\"mini\" viewBox=\"0 0 240 12\" role=\"img\">"
        );
        let mut at = 0.0;
        for (name, v) in &rec.waterfall {
            let x0 = if scale > 0.0 { at / scale * 240.0 } else { 0.0 };
            let x1 = if scale > 0.0 {
                (at + v) / scale * 240.0
            } else {
                0.0
            };
            let _ = write!(
                o,
                "<rect x=\"{}\" y=\"0\" width=\"{}\" height=\"12\" fill=\"{}\"><title>{}: {} ms</title></rect>",
                px(x0),
                px(x1 - x0),
                rgb(colour_of(name)),
                esc(name),
                ms(*v)
            );
            at += v;
        }
        o.push_str("</svg></td></tr>");
    }
    o.push_str("</tbody></table></div>");
}
