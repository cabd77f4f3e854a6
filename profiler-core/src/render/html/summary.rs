//! The summary table: one row per component, every component, sortable by any column
//! (the inline script sorts by each cell's `data-v`, the figure at full precision).
//! Percentile cells are coloured by the report's `percentile_severity`, the severity
//! column is the report's `severity` of the P95 against the target.

use super::markup::{esc, fixed, key, ms, rank, sev_class, symbol};
use super::words::Words;
use crate::model::{ComponentReport, Report, Severity};
use std::fmt::Write;

/// Rows past which the table scrolls in a box of its own (its header stays in view).
const TALL: usize = 40;

pub(super) fn summary(o: &mut String, w: &Words, r: &Report, carded: &[usize]) {
    let _ = write!(
        o,
        "<section id=\"summary\"><h2>{} <small>{}</small></h2><p class=\"hint\">{}</p>\
         <div class=\"scroll{}\"><table class=\"sortable summary text2\" id=\"summary-table\"><thead><tr>",
        w.summary,
        r.components.len(),
        w.sort_hint,
        if r.components.len() > TALL { " tall" } else { "" }
    );
    let heads: [(&str, &str, String); 12] = [
        ("name", "text", w.component.to_string()),
        ("kind", "text", w.kind.to_string()),
        ("samples", "num", w.samples.to_string()),
        ("p50", "num", "P50 ms".into()),
        ("p95", "num", "P95 ms".into()),
        ("p99", "num", "P99 ms".into()),
        ("target", "num", format!("{} ms", w.target)),
        ("ratio", "num", w.ratio.to_string()),
        ("severity", "num", w.severity_word.to_string()),
        ("errors", "num", w.errors.to_string()),
        ("cancelled", "num", w.cancelled.to_string()),
        (
            "throughput",
            "num",
            format!("{}{}", w.throughput, w.per_sec),
        ),
    ];
    for (k, ty, label) in heads {
        let _ = write!(
            o,
            "<th data-key=\"{k}\" data-type=\"{ty}\" tabindex=\"0\">{label}</th>"
        );
    }
    o.push_str("</tr></thead><tbody>");
    let mut next_card = carded.iter().peekable();
    for (i, (name, c)) in r.components.iter().enumerate() {
        let has_card = next_card.next_if(|&&j| j == i).is_some();
        row(o, w, i, name, c, has_card);
    }
    o.push_str("</tbody></table></div></section>");
}

fn row(o: &mut String, w: &Words, i: usize, name: &str, c: &ComponentReport, has_card: bool) {
    let name = esc(name);
    let _ = write!(o, "<tr data-name=\"{name}\"><td>");
    if has_card {
        let _ = write!(o, "<a href=\"#c{i}\">{name}</a>");
    } else {
        o.push_str(&name);
    }
    let l = &c.latency;
    let sampled = l.count > 0;
    let _ = write!(o, "</td><td>{}</td><td>{}</td>", w.kind(c.kind), l.count);
    let marks = c.percentile_severity.map(|p| [p.p50, p.p95, p.p99]);
    for (j, v) in [l.median, l.p95, l.p99].into_iter().enumerate() {
        let sev = marks.map_or(Severity::Good, |m| m[j]);
        if !sampled {
            o.push_str("<td data-v=\"\">-</td>");
        } else if sev > Severity::Good {
            let _ = write!(
                o,
                "<td class=\"{}\" data-v=\"{}\">{} {}</td>",
                sev_class(sev),
                key(Some(v)),
                ms(v),
                symbol(sev)
            );
        } else {
            let _ = write!(o, "<td data-v=\"{}\">{}</td>", key(Some(v)), ms(v));
        }
    }
    match c.target_ms {
        Some(t) => {
            let _ = write!(o, "<td data-v=\"{}\">{}</td>", key(Some(t)), ms(t));
        }
        None => {
            let _ = write!(o, "<td data-v=\"\" class=\"muted\">{}</td>", w.no_target);
        }
    }
    match c.target_ratio.filter(|_| sampled) {
        Some(x) => {
            let _ = write!(o, "<td data-v=\"{}\">×{}</td>", key(Some(x)), fixed(x, 2));
        }
        None => o.push_str("<td data-v=\"\">-</td>"),
    }
    if sampled && c.target_ms.is_some() {
        let _ = write!(
            o,
            "<td data-v=\"{}\"><span class=\"badge {}\">{} {}</span></td>",
            rank(c.severity),
            sev_class(c.severity),
            symbol(c.severity),
            w.severity(c.severity)
        );
    } else {
        o.push_str("<td data-v=\"\">-</td>");
    }
    let n = &c.counts;
    let _ = write!(o, "<td>{}</td><td>{}</td>", n.errors, n.cancelled);
    match c.throughput_severity {
        Some(s) => {
            let _ = write!(
                o,
                "<td class=\"{}\" data-v=\"{}\">{} {}</td>",
                sev_class(s),
                key(Some(c.throughput_per_sec)),
                fixed(c.throughput_per_sec, 1),
                symbol(s)
            );
        }
        None => {
            let _ = write!(
                o,
                "<td data-v=\"{}\">{}</td>",
                key(Some(c.throughput_per_sec)),
                fixed(c.throughput_per_sec, 1)
            );
        }
    }
    o.push_str("</tr>");
}
