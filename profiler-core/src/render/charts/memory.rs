//! `memory_<ts>.png`: process RSS and VMS over time, with the baseline taken after
//! warm-up and the leak verdict.

use super::legend::{header, legend, Mark};
use super::style::*;
use super::ChartError;
use crate::model::*;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

/// A value range around `lo..hi` with room for the data, never of zero height.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.15).max(hi.abs() * 0.02).max(1.0);
    ((lo - pad).max(0.0), hi + pad)
}

/// Width of the legend column right of a panel.
pub(super) const SIDE: u32 = 300;

pub(super) fn draw_memory(report: &Report, path: &Path, st: &Style) -> Result<(), ChartError> {
    let w = st.words;
    let Some(m) = report.memory.as_ref() else {
        return Ok(());
    };
    let root = BitMapBackend::new(path, (1200, 760)).into_drawing_area();
    root.fill(&WHITE)?;
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
            .build_cartesian_2d(t_start..t_end, lo..hi)?;
        // Warm-up, before the baseline, shaded behind everything.
        if m.baseline_at_sec > t_start {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(t_start, lo), (m.baseline_at_sec, hi)],
                warm_shade.filled(),
            )))?;
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
        mesh.draw()?;
        if rss {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(t_start, m.baseline_rss_mb), (t_end, m.baseline_rss_mb)],
                12,
                7,
                BASELINE.stroke_width(3),
            )))?;
            chart.draw_series(LineSeries::new(
                m.timeline.iter().map(|p| (p.t_sec, p.rss_mb)),
                RSS.stroke_width(3),
            ))?;
        } else {
            chart.draw_series(LineSeries::new(
                m.timeline.iter().map(|p| (p.t_sec, p.vms_mb)),
                VMS.stroke_width(3),
            ))?;
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
    root.present().map_err(ChartError::from)
}
