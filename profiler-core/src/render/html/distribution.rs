//! A component's latency distribution as inline SVG: the report's own histogram,
//! decoded and read into bars (calls per latency bin), with the report's P50 / P95 /
//! P99 and its P95 target as vertical lines.
//!
//! The axis runs from 0 (or just under the fastest call, when every call is far from
//! 0) to just past the slowest call and the target; when the slowest calls sit far
//! beyond the P99, the axis stops past the P99 and those calls are one bar of their own
//! at the right, labelled with their count, so the body of the distribution stays
//! readable.

use super::markup::{esc, ms, px, Plot};
use super::words::Words;
use crate::model::histogram::decode_histogram;
use crate::model::ComponentReport;
use std::fmt::Write;

const BINS: usize = 48;
const WIDTH: f64 = 560.0;
const HEIGHT: f64 = 200.0;
/// Room for the overflow bar at the right.
const OVERFLOW_W: f64 = 54.0;

pub(super) fn distribution(o: &mut String, w: &Words, name: &str, c: &ComponentReport) {
    let l = &c.latency;
    if l.count == 0 {
        let _ = write!(o, "<p class=\"muted\">{}</p>", w.no_samples);
        return;
    }
    let h = match decode_histogram(&c.histogram) {
        Ok(h) if !h.is_empty() => h,
        Ok(_) => {
            let _ = write!(o, "<p class=\"muted\">{}.</p>", w.no_distribution);
            return;
        }
        Err(e) => {
            let _ = write!(
                o,
                "<p class=\"muted\">{}: {}</p>",
                w.no_distribution,
                esc(&e.to_string())
            );
            return;
        }
    };
    let target = c.target_ms.filter(|t| t.is_finite() && *t > 0.0);
    let reach = l.p99.max(target.unwrap_or(0.0));
    let tail = l.max > 3.0 * reach && reach > 0.0;
    let hi = if tail {
        (l.p99 * 1.5).max(target.map_or(0.0, |t| t * 1.15))
    } else {
        l.max.max(target.map_or(0.0, |t| t * 1.1)) * 1.04
    };
    let hi = if hi.is_finite() && hi > 0.0 { hi } else { 1.0 };
    let floor = l.min.min(target.unwrap_or(f64::INFINITY));
    let lo = if floor > hi * 0.35 {
        (floor - (hi - floor) * 0.15).max(0.0)
    } else {
        0.0
    };
    let width = (hi - lo) / BINS as f64;
    let mut bins = [0u64; BINS];
    let mut beyond = 0u64;
    for v in h.iter_recorded() {
        let at = h.median_equivalent(v.value_iterated_to()) as f64 / 1e6;
        let n = v.count_at_value();
        if at > hi {
            beyond += n;
        } else {
            let i = (((at - lo) / width).floor().max(0.0) as usize).min(BINS - 1);
            bins[i] += n;
        }
    }
    let top = bins.iter().copied().max().unwrap_or(0).max(beyond).max(1);
    let plot = Plot {
        x: (lo, hi),
        y: (0.0, top as f64),
        left: 46.0,
        top: 50.0,
        width: WIDTH - 46.0 - 14.0 - if beyond > 0 { OVERFLOW_W } else { 0.0 },
        height: HEIGHT - 50.0 - 28.0,
    };
    let _ = write!(
        o,
        "<figure class=\"dist\"><figcaption>{} ({} {})</figcaption>\
         <svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}: {}\">",
        w.distribution,
        l.count,
        w.samples,
        esc(name),
        w.distribution
    );
    // Whole calls only: as many ticks as calls, up to 3.
    plot.y_axis(o, top.min(3) as usize);
    plot.x_axis(o, 6, "ms");
    let bar_w = plot.width / BINS as f64;
    for (i, &n) in bins.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let x = plot.left + i as f64 * bar_w;
        let y = plot.px_y(n as f64);
        let _ = write!(
            o,
            "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}–{} ms: {n}</title></rect>",
            px(x + 0.5),
            px(y),
            px(bar_w - 1.0),
            px(plot.bottom() - y),
            ms(lo + i as f64 * width),
            ms(lo + (i + 1) as f64 * width),
        );
    }
    if beyond > 0 {
        let x = plot.right() + 14.0;
        let y = plot.px_y(beyond as f64);
        let _ = write!(
            o,
            "<rect class=\"bar beyond\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>&gt; {} ms: {beyond}</title></rect>\
             <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">&gt;{}</text>\
             <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{beyond} {}</text>",
            px(x),
            px(y),
            px(OVERFLOW_W - 18.0),
            px(plot.bottom() - y),
            ms(hi),
            px(x + (OVERFLOW_W - 18.0) / 2.0),
            px(plot.bottom() + 14.0),
            ms(hi),
            px(x + (OVERFLOW_W - 18.0) / 2.0),
            px(plot.bottom() + 26.0),
            w.beyond,
        );
    }
    // The percentiles and the target, labelled above the plot on as many rows as
    // their labels need not to overlap.
    let mut marks: Vec<(f64, String, &str)> = vec![
        (l.median, format!("P50 {}", ms(l.median)), "pct"),
        (l.p95, format!("P95 {}", ms(l.p95)), "pct"),
        (l.p99, format!("P99 {}", ms(l.p99)), "pct"),
    ];
    if let Some(t) = target {
        marks.push((t, format!("{} {}", w.target, ms(t)), "target"));
    }
    marks.retain(|(v, _, _)| *v >= lo && *v <= hi);
    marks.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut row_end = [f64::NEG_INFINITY; 4];
    for (v, label, class) in marks {
        let x = plot.px_x(v);
        let half = label.chars().count() as f64 * 3.1 + 3.0;
        let row = (0..row_end.len())
            .find(|&r| row_end[r] < x - half)
            .unwrap_or(row_end.len() - 1);
        row_end[row] = x + half;
        let y = plot.top - 6.0 - row as f64 * 11.0;
        let _ = write!(
            o,
            "<line class=\"{class}\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
             <text class=\"ref {class}\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            px(y + 2.0),
            px(plot.bottom()),
            px(y),
            esc(&label),
            x = px(x),
        );
    }
    let _ = write!(
        o,
        "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"start\">{}</text></svg></figure>",
        px(4.0),
        px(plot.top - 6.0 - 3.0 * 11.0),
        w.calls
    );
}
