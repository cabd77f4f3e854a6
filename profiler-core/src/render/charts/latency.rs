//! `latency_<ts>.png`: P50 / P95 / P99 per component, each component's P95 target as
//! a dashed line, bars whose percentile is over target (as `analyse` judged it) in
//! warning colours.

use super::legend::{header, Mark};
use super::style::*;
use super::ChartError;
use crate::model::text::printable;
use crate::model::*;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

pub(super) fn draw_latency(report: &Report, path: &Path, st: &Style) -> Result<(), ChartError> {
    let w = st.words;
    let comps: Vec<(&String, &ComponentReport)> = report
        .components
        .iter()
        .filter(|(_, c)| c.latency.count > 0)
        .collect();
    let n = comps.len();
    let width = (260 + 190 * n as u32).clamp(1100, 2600);
    let root = BitMapBackend::new(path, (width, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let over = comps
        .iter()
        .filter(|(_, c)| c.severity > Severity::Good)
        .count();
    let when = printable(&report.timestamp, 32).replace('T', " ");
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
        .build_cartesian_2d(0f64..n as f64, 0f64..y_max)?;
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
        .draw()?;

    // Three bars per component in a group 0.78 wide, centred in the component's slot.
    let bar = 0.26;
    let left = |i: usize, j: usize| i as f64 + 0.11 + j as f64 * bar;
    let figures = |c: &ComponentReport| [c.latency.median, c.latency.p95, c.latency.p99];
    // Whether percentile `j` (P50, P95, P99) is over target, as `analyse` judged it.
    let is_over = |c: &ComponentReport, j: usize| {
        c.percentile_severity
            .is_some_and(|p| [p.p50, p.p95, p.p99][j] > Severity::Good)
    };
    chart.draw_series(comps.iter().enumerate().flat_map(|(i, (_, c))| {
        figures(c).into_iter().enumerate().map(move |(j, v)| {
            let color = if is_over(c, j) { OVER[j] } else { WITHIN[j] };
            Rectangle::new(
                [(left(i, j) + 0.012, 0.0), (left(i, j) + bar - 0.012, v)],
                color.filled(),
            )
        })
    }))?;
    // Targets: a dashed line across the component's group, over the bars.
    for (stroke, color) in [(7, WHITE), (3, INK)] {
        chart.draw_series(comps.iter().enumerate().filter_map(|(i, (_, c))| {
            c.target_ms.map(|t| {
                DashedPathElement::new(
                    vec![(i as f64 + 0.04, t), (i as f64 + 0.96, t)],
                    12,
                    7,
                    color.stroke_width(stroke),
                )
            })
        }))?;
    }

    // Figures above the bars, over-target ones in the warning colour; a figure that
    // would sit on its target line goes just inside the top of its bar instead.
    let above = st.font(14.0).pos(Pos::new(HPos::Center, VPos::Bottom));
    let inside = st.font(14.0).pos(Pos::new(HPos::Center, VPos::Top));
    chart.draw_series(comps.iter().enumerate().flat_map(|(i, (_, c))| {
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
                let color: &'static RGBColor = if is_over(c, j) { &OVER_INK } else { &INK };
                at + Text::new(ms(v), (0, -4), above.clone().color(color))
            }
        })
    }))?;
    // Under each group: the name, its target, what the figure measures and the samples.
    let top_center = Pos::new(HPos::Center, VPos::Top);
    for (i, (name, c)) in comps.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        // Bounded: a group is 190 px wide; escapes drawn as text, not obeyed.
        root.draw(&Text::new(
            printable(name, 24).into_owned(),
            (x, y + 10),
            st.bold(18.0).pos(top_center),
        ))?;
        let (target, color) = match c.target_ms {
            Some(t) if c.severity > Severity::Good => {
                (format!("{} {} ms", w.target, ms(t)), TARGET)
            }
            Some(t) => (format!("{} {} ms", w.target, ms(t)), INK),
            None => (w.no_target.to_string(), MUTED),
        };
        root.draw(&Text::new(
            target,
            (x, y + 34),
            st.font(15.0).color(&color).pos(top_center),
        ))?;
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
        ))?;
    }
    root.present().map_err(ChartError::from)
}
