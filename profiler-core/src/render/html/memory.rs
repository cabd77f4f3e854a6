//! Process memory over the run: the report's baseline, final, peak, growth and leak
//! verdict, then RSS (with the baseline and the warm-up before it) and VMS over time.

use super::markup::{esc, fixed, leak_badge, px, Plot};
use super::words::Words;
use crate::model::{MemoryPoint, Report};
use std::fmt::Write;

/// A value range around `lo..hi` with room for the line, never of zero height.
pub(super) fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.02).max(1.0);
    ((lo - pad).max(0.0), hi + pad)
}

/// The time range of a timeline (at least 1 ms wide).
pub(super) fn span(times: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let start = times.clone().fold(f64::INFINITY, f64::min);
    let start = if start.is_finite() {
        start.max(0.0)
    } else {
        0.0
    };
    let end = times.fold(start, f64::max);
    (start, end.max(start + 1e-3))
}

pub(super) fn memory(o: &mut String, w: &Words, r: &Report) {
    let Some(m) = &r.memory else {
        return;
    };
    let _ = write!(
        o,
        "<section id=\"memory\"><h2>{}</h2><p>{} {} MB <small>({} {} s)</small> · {} {} MB · \
         {} {} MB · {} {:+.1} MB ({:+.2} MB/min) {}</p>",
        w.memory,
        w.baseline,
        fixed(m.baseline_rss_mb, 1),
        w.started_at,
        fixed(m.baseline_at_sec, 1),
        w.final_rss,
        fixed(m.final_rss_mb, 1),
        w.peak,
        fixed(m.peak_rss_mb, 1),
        w.growth,
        m.growth_mb,
        m.growth_mb_per_min,
        leak_badge(w, m.leak)
    );
    if m.timeline.is_empty() {
        o.push_str("</section>");
        return;
    }
    let t = span(
        m.timeline
            .iter()
            .map(|p| p.t_sec)
            .chain([m.baseline_at_sec]),
    );
    let _ = write!(
        o,
        "<figure class=\"timeline\"><svg viewBox=\"0 0 1000 330\" role=\"img\" aria-label=\"{}\">",
        esc(w.memory)
    );
    let series = |f: fn(&MemoryPoint) -> f64| -> Vec<(f64, f64)> {
        m.timeline.iter().map(|p| (p.t_sec, f(p))).collect()
    };
    let rss = series(|p| p.rss_mb);
    let (lo, hi) = rss
        .iter()
        .map(|p| p.1)
        .chain([m.baseline_rss_mb, m.peak_rss_mb])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let rss_plot = Plot {
        x: t,
        y: padded(lo, hi),
        left: 64.0,
        top: 20.0,
        width: 900.0,
        height: 170.0,
    };
    if m.baseline_at_sec > t.0 {
        let x1 = rss_plot.px_x(m.baseline_at_sec);
        let _ = write!(
            o,
            "<rect class=\"warmup\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            px(rss_plot.left),
            px(rss_plot.top),
            px(x1 - rss_plot.left),
            px(rss_plot.height)
        );
    }
    rss_plot.y_axis(o, 4);
    rss_plot.x_axis(o, 8, "");
    rss_plot.h_line(
        o,
        "baseline",
        m.baseline_rss_mb,
        &format!("{} {} MB", w.baseline, fixed(m.baseline_rss_mb, 1)),
    );
    rss_plot.polyline(o, "line rss", &rss);
    let _ = write!(
        o,
        "<text class=\"label\" x=\"{}\" y=\"{}\">RSS MB</text>",
        px(rss_plot.left),
        px(rss_plot.top - 6.0)
    );
    let vms = series(|p| p.vms_mb);
    let (lo, hi) = vms
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.1), b.max(p.1))
        });
    let vms_plot = Plot {
        x: t,
        y: padded(lo, hi),
        left: 64.0,
        top: 236.0,
        width: 900.0,
        height: 64.0,
    };
    vms_plot.y_axis(o, 2);
    vms_plot.x_axis(o, 8, w.time_axis);
    vms_plot.polyline(o, "line vms", &vms);
    let _ = write!(
        o,
        "<text class=\"label\" x=\"{}\" y=\"{}\">VMS MB</text></svg></figure></section>",
        px(vms_plot.left),
        px(vms_plot.top - 6.0)
    );
}
