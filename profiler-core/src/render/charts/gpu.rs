//! `gpu_<ts>.png`: utilisation, VRAM and temperature over time per device, with the
//! report's thresholds (only when the report has GPU samples).

use super::legend::{header, legend, Mark};
use super::memory::SIDE;
use super::style::*;
use super::ChartError;
use crate::model::text::printable;
use crate::model::*;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

pub(super) fn gpu_devices(report: &Report) -> impl Iterator<Item = &GpuDevice> {
    report
        .gpu
        .devices
        .iter()
        .filter(move |d| report.gpu.available && !d.samples.is_empty())
}

pub(super) fn draw_gpu(report: &Report, path: &Path, st: &Style) -> Result<(), ChartError> {
    let w = st.words;
    let devices: Vec<&GpuDevice> = gpu_devices(report).collect();
    let root = BitMapBackend::new(path, (1200, 1040)).into_drawing_area();
    root.fill(&WHITE)?;
    let subtitle = devices
        .iter()
        .map(|d| {
            format!(
                "GPU {} {}: {} {:.0} % · {:.0} MB · {:.0} °C",
                d.index,
                printable(&d.name, 40),
                w.peak,
                d.max_util_pct,
                d.max_vram_used_mb,
                d.max_temperature_c
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
    let t = report.gpu.thresholds;
    let temp_hi = points().map(|p| p.temperature_c).fold(t.hot_c, f64::max) + 6.0;
    let temp_lo = (points()
        .map(|p| p.temperature_c)
        .fold(f64::INFINITY, f64::min)
        - 10.0)
        .clamp(0.0, 75.0);
    let name = |d: &GpuDevice| {
        let mut s = format!("GPU {} {}", d.index, printable(&d.name, 40));
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
            .build_cartesian_2d(t_start..t_end, lo..hi)?;
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
        mesh.draw()?;
        let mut items: Vec<(Mark, String)> = Vec::new();
        // The finding's threshold, so a line crossing it reads as a problem at a glance.
        let rule = TARGET.stroke_width(2);
        let thresholds: Vec<f64> = match k {
            0 => vec![t.low_utilisation_pct],
            1 => devices
                .iter()
                .filter(|d| d.vram_total_mb > 0.0)
                .map(|d| d.vram_total_mb * t.vram_shortage_pct / 100.0)
                .collect(),
            _ => vec![t.hot_c],
        };
        if !thresholds.is_empty() {
            chart.draw_series(
                thresholds
                    .iter()
                    .map(|&y| DashedPathElement::new(vec![(t_start, y), (t_end, y)], 10, 6, rule)),
            )?;
            let label = match k {
                0 => format!("{} %: {}", t.low_utilisation_pct, w.cpu_bound),
                1 => format!("{} % {}", t.vram_shortage_pct, w.vram_shortage),
                _ => format!("{} °C: {}", t.hot_c, w.throttling),
            };
            items.push((Mark::Dash(TARGET), label));
        }
        for (i, d) in devices.iter().enumerate() {
            let color = DEVICES[i % DEVICES.len()];
            if k == 1 && d.vram_total_mb > 0.0 {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(t_start, d.vram_total_mb), (t_end, d.vram_total_mb)],
                    4,
                    4,
                    color.stroke_width(2),
                )))?;
            }
            chart.draw_series(LineSeries::new(
                d.samples.iter().map(|p| (p.t_sec, value(p))),
                color.stroke_width(3),
            ))?;
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
    root.present().map_err(ChartError::from)
}
