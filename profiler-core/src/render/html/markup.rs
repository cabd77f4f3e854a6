//! What every panel writes with: escaping, figures, severity badges, axis ticks and
//! the coordinates of an SVG plot.
//!
//! Every text that comes from a report (component names, session ids, findings) goes
//! through [`esc`]; every SVG coordinate through [`px`], so a figure that is not a
//! number (or a negative width) never reaches the page as an attribute the browser
//! rejects with a console error.

use super::words::Words;
use crate::model::{LeakVerdict, Severity};
use crate::render::Mark;
use std::borrow::Cow;
use std::fmt::Write;

/// `s` with `& < > " '` escaped, for text and attribute values.
pub(super) fn esc(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

pub(super) use crate::render::style::ms;

/// A figure with `d` decimals, `-` when it is not a number.
pub(super) fn fixed(v: f64, d: usize) -> String {
    if v.is_finite() {
        format!("{v:.d$}")
    } else {
        "-".into()
    }
}

/// An SVG coordinate or length: one decimal, never `NaN`, never negative.
pub(super) fn px(v: f64) -> String {
    if v.is_finite() && v > 0.0 {
        let r = (v * 10.0).round() / 10.0;
        if r == r.round() {
            format!("{r:.0}")
        } else {
            format!("{r:.1}")
        }
    } else {
        "0".into()
    }
}

/// The value a sortable cell sorts by (full precision; empty sorts last).
pub(super) fn key(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// The CSS class of a severity.
pub(super) fn sev_class(s: Severity) -> &'static str {
    match s {
        Severity::Good => "good",
        Severity::Warning => "warning",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// ✓ good, ⚠ warning or medium, ✗ high or critical (`render::Mark`, as the console
/// marks them).
pub(super) fn symbol(s: Severity) -> &'static str {
    Mark::of(s).symbol()
}

/// The severity's rank, for sorting (good 0 to critical 4).
pub(super) fn rank(s: Severity) -> u8 {
    s as u8
}

/// A badge: the mark and the severity's word, in its colour.
pub(super) fn badge(w: &Words, s: Severity) -> String {
    format!(
        "<span class=\"badge {}\">{} {}</span>",
        sev_class(s),
        symbol(s),
        w.severity(s)
    )
}

/// A leak verdict as a badge (none: good).
pub(super) fn leak_badge(w: &Words, v: Option<LeakVerdict>) -> String {
    let (class, word) = match v {
        None => ("good", w.no_leak),
        Some(LeakVerdict::Suspected) => ("medium", w.leak_suspected),
        Some(LeakVerdict::Certain) => ("critical", w.leak_certain),
    };
    format!(
        "<span class=\"badge {class}\">{} {word}</span>",
        Mark::of_leak(v).symbol()
    )
}

/// About `n` round tick values covering `lo..=hi` (steps of 1, 2 or 5 times a power of
/// ten), never more than 12.
pub(super) fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || n == 0 {
        return vec![];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() * step;
    (0..=12)
        .map(|i| first + i as f64 * step)
        .take_while(|v| *v <= hi + step * 1e-9)
        .collect()
}

/// A tick label: as many decimals as the step needs.
pub(super) fn tick_label(v: f64) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    if r == r.round() {
        format!("{r:.0}")
    } else if (r * 10.0) == (r * 10.0).round() {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

/// A plot area inside an SVG: data ranges mapped to pixels (y grows upwards).
#[derive(Clone, Copy, Debug)]
pub(super) struct Plot {
    pub(super) x: (f64, f64),
    pub(super) y: (f64, f64),
    pub(super) left: f64,
    pub(super) top: f64,
    pub(super) width: f64,
    pub(super) height: f64,
}

impl Plot {
    pub(super) fn px_x(&self, v: f64) -> f64 {
        let span = (self.x.1 - self.x.0).max(f64::MIN_POSITIVE);
        self.left + ((v - self.x.0) / span).clamp(0.0, 1.0) * self.width
    }

    pub(super) fn px_y(&self, v: f64) -> f64 {
        let span = (self.y.1 - self.y.0).max(f64::MIN_POSITIVE);
        self.top + self.height - ((v - self.y.0) / span).clamp(0.0, 1.0) * self.height
    }

    pub(super) fn bottom(&self) -> f64 {
        self.top + self.height
    }

    pub(super) fn right(&self) -> f64 {
        self.left + self.width
    }

    /// Grid lines and labels of the x axis, with `unit` after the last label.
    pub(super) fn x_axis(&self, o: &mut String, n: usize, unit: &str) {
        let _ = write!(
            o,
            "<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
            px(self.left),
            px(self.bottom()),
            px(self.right()),
            px(self.bottom())
        );
        let t = ticks(self.x.0, self.x.1, n);
        let last = t.len().saturating_sub(1);
        for (i, v) in t.into_iter().enumerate() {
            let x = self.px_x(v);
            let label = if i == last && !unit.is_empty() {
                format!("{} {}", tick_label(v), esc(unit))
            } else {
                tick_label(v)
            };
            let _ = write!(
                o,
                "<line class=\"grid\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
                 <text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{label}</text>",
                px(self.top),
                px(self.bottom()),
                px(self.bottom() + 14.0),
                x = px(x),
            );
        }
    }

    /// Grid lines and labels of the y axis.
    pub(super) fn y_axis(&self, o: &mut String, n: usize) {
        for v in ticks(self.y.0, self.y.1, n) {
            let y = px(self.px_y(v));
            let _ = write!(
                o,
                "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
                 <text class=\"tick\" x=\"{}\" y=\"{y}\" dy=\"4\" text-anchor=\"end\">{}</text>",
                px(self.left),
                px(self.right()),
                px(self.left - 5.0),
                tick_label(v)
            );
        }
    }

    /// A polyline through `points`, drawn at most `MAX_PLOT_POINTS` columns wide: where
    /// more points share a column, the column keeps its lowest and highest, so spikes
    /// stay visible and the page stays small however long the run.
    pub(super) fn polyline(&self, o: &mut String, class: &str, points: &[(f64, f64)]) {
        let mut out: Vec<(f64, f64)> = Vec::with_capacity(points.len().min(2 * MAX_PLOT_POINTS));
        if points.len() <= MAX_PLOT_POINTS {
            out.extend(points.iter().map(|&(x, y)| (self.px_x(x), self.px_y(y))));
        } else {
            let per = points.len().div_ceil(MAX_PLOT_POINTS);
            for chunk in points.chunks(per) {
                let lo = chunk
                    .iter()
                    .copied()
                    .fold(chunk[0], |a, b| if b.1 < a.1 { b } else { a });
                let hi = chunk
                    .iter()
                    .copied()
                    .fold(chunk[0], |a, b| if b.1 > a.1 { b } else { a });
                let (a, b) = if lo.0 <= hi.0 { (lo, hi) } else { (hi, lo) };
                out.push((self.px_x(a.0), self.px_y(a.1)));
                if b != a {
                    out.push((self.px_x(b.0), self.px_y(b.1)));
                }
            }
        }
        if out.is_empty() {
            return;
        }
        let _ = write!(o, "<polyline class=\"{class}\" points=\"");
        for (i, (x, y)) in out.iter().enumerate() {
            if i > 0 {
                o.push(' ');
            }
            let _ = write!(o, "{},{}", px(*x), px(*y));
        }
        o.push_str("\"/>");
    }

    /// A horizontal reference line at `v` with a label at its right end.
    pub(super) fn h_line(&self, o: &mut String, class: &str, v: f64, label: &str) {
        let y = px(self.px_y(v));
        let _ = write!(
            o,
            "<line class=\"{class}\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
             <text class=\"ref {class}\" x=\"{}\" y=\"{y}\" dy=\"-3\" text-anchor=\"end\">{}</text>",
            px(self.left),
            px(self.right()),
            px(self.right() - 2.0),
            esc(label)
        );
    }
}

/// Columns a timeline is drawn at, at most: points past it are thinned to each
/// column's lowest and highest.
pub const MAX_PLOT_POINTS: usize = 800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_a_report_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert!(matches!(esc("stt"), Cow::Borrowed(_)));
    }

    #[test]
    fn coordinates_are_never_nan_or_negative() {
        assert_eq!(px(f64::NAN), "0");
        assert_eq!(px(-3.0), "0");
        assert_eq!(px(f64::INFINITY), "0");
        assert_eq!(px(12.04), "12");
        assert_eq!(px(12.06), "12.1");
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            ticks(0.0, 100.0, 5),
            vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        let labels: Vec<String> = ticks(0.0, 0.9, 5).into_iter().map(tick_label).collect();
        assert_eq!(labels, ["0", "0.2", "0.4", "0.6", "0.8"]);
        assert!(ticks(5.0, 5.0, 4).is_empty());
        assert!(ticks(0.0, 1e9, 1000).len() <= 13);
    }

    #[test]
    fn a_long_timeline_is_drawn_at_most_twice_per_column_with_its_spike() {
        let plot = Plot {
            x: (0.0, 100_000.0),
            y: (0.0, 1000.0),
            left: 0.0,
            top: 0.0,
            width: 800.0,
            height: 100.0,
        };
        let mut points: Vec<(f64, f64)> = (0..100_000).map(|i| (i as f64, 10.0)).collect();
        points[54_321].1 = 1000.0;
        let mut o = String::new();
        plot.polyline(&mut o, "rss", &points);
        let drawn = o.matches(',').count();
        assert!(drawn <= 2 * MAX_PLOT_POINTS, "{drawn}");
        // The spike (y = 1000 is the plot's top, pixel 0) is kept.
        assert!(o.contains(",0 ") || o.contains(",0\""), "{}", &o[..200]);
    }
}
