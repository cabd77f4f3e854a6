//! `waterfall_<ts>.png`: where each turn's end-to-end delay goes. Three stacked bars
//! of the critical-path parts: the mean turn (each part's mean per turn), the kept
//! turn nearest the E2E P50 and the one nearest the P95 (their own waterfalls), against
//! the E2E target; stages in colour, a stream's time after its first item in a light
//! shade of its stage, gaps (no profiled stage on the path) in grey. The legend gives
//! each part's share of delay; the shares add up to 100 %.

use super::legend::{header, legend, Mark};
use super::style::*;
use super::ChartError;
use crate::model::*;
use crate::render::style::part_colours;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Width of the legend column right of the bars.
const SIDE: u32 = 330;

/// Each part's colour, as the HTML page draws it too.
fn colours(parts: &[WaterfallPart]) -> Vec<RGBColor> {
    part_colours(parts)
        .into_iter()
        .map(|(r, g, b)| RGBColor(r, g, b))
        .collect()
}

pub(super) fn draw_waterfall(report: &Report, path: &Path, st: &Style) -> Result<(), ChartError> {
    let w = st.words;
    let Some(t) = report.turns.as_ref() else {
        return Ok(());
    };
    let Some(wf) = t.waterfall.as_ref() else {
        return Ok(());
    };
    let target = report
        .components
        .values()
        .find(|c| c.kind == Kind::Turn)
        .and_then(|c| c.target_ms);
    let colour = colours(&wf.parts);
    // Each bar: its label and its parts (name, ms) in path order.
    let mut bars: Vec<(String, Vec<(usize, f64)>)> = vec![(
        format!("{} · {} ms", w.mean_turn, ms(wf.mean_e2e_ms)),
        wf.parts
            .iter()
            .enumerate()
            .map(|(i, p)| (i, p.per_turn.mean))
            .collect(),
    )];
    for (label, mark) in [(w.p50_turn, KeptAs::P50), (w.p95_turn, KeptAs::P95)] {
        // The record carrying the mark: a merged report may keep two turns of one id.
        let Some(r) = t.marked_turn(mark) else {
            continue;
        };
        let parts = r
            .waterfall
            .iter()
            .filter_map(|(name, v)| Some((wf.parts.iter().position(|p| &p.name == name)?, *v)))
            .collect();
        bars.push((
            format!(
                "{label} #{} · {} ms",
                r.id,
                ms(r.e2e_ms.unwrap_or_default())
            ),
            parts,
        ));
    }
    let longest = bars
        .iter()
        .map(|(_, p)| p.iter().map(|(_, v)| v).sum::<f64>())
        .fold(target.unwrap_or(0.0), f64::max);
    let x_max = if longest > 0.0 { longest * 1.08 } else { 1.0 };

    let height = 300 + 110 * bars.len() as u32;
    let root = BitMapBackend::new(path, (1500, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let when = report.timestamp.replace('T', " ");
    let subtitle = format!(
        "{when} · {} {} · {} {:.1}%",
        wf.turns, w.turns, w.shares_total, wf.shares_sum_pct
    );
    let items = match target {
        Some(_) => vec![(Mark::Target, w.e2e_target.to_string())],
        None => Vec::new(),
    };
    let body = header(&root, st, w.waterfall_title, (&subtitle, MUTED), &items)?;
    let (plot, side) = body.split_horizontally(1500 - SIDE);
    let mut chart = ChartBuilder::on(&plot)
        .margin_left(16)
        .margin_right(24)
        .margin_bottom(12)
        .x_label_area_size(64)
        .y_label_area_size(250)
        .build_cartesian_2d(0f64..x_max, 0f64..bars.len() as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(10)
        .light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .x_desc(w.latency_axis)
        .axis_desc_style(st.font(19.0))
        .label_style(st.font(16.0))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    // Bar i from the top: y from n - i - 1 (+ margins).
    let n = bars.len() as f64;
    let row = |i: usize| (n - i as f64 - 0.78, n - i as f64 - 0.22);
    for (i, (_, parts)) in bars.iter().enumerate() {
        let (y0, y1) = row(i);
        let mut x = 0.0;
        for &(p, v) in parts {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x, y0), (x + v, y1)],
                colour[p].filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x, y0), (x + v, y1)],
                WHITE.stroke_width(1),
            )))?;
            x += v;
        }
    }
    if let Some(t) = target {
        for (stroke, color) in [(7, WHITE), (3, INK)] {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(t, 0.0), (t, n)],
                12,
                7,
                color.stroke_width(stroke),
            )))?;
        }
    }
    // The figure inside each segment wide enough to hold it, over the target line.
    for (i, (_, parts)) in bars.iter().enumerate() {
        let (y0, y1) = row(i);
        let mut x = 0.0;
        for &(p, v) in parts {
            let (left, _) = chart.backend_coord(&(x, y1));
            let (right, _) = chart.backend_coord(&(x + v, y1));
            if right - left > 46 {
                let (cx, cy) = chart.backend_coord(&(x + v / 2.0, (y0 + y1) / 2.0));
                let ink: &RGBColor = if wf.parts[p].kind == PartKind::Stage {
                    &WHITE
                } else {
                    &INK
                };
                root.draw(&Text::new(
                    ms(v),
                    (cx, cy),
                    st.bold(15.0)
                        .color(ink)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                ))?;
            }
            x += v;
        }
    }
    // Row labels, right-aligned left of the bars.
    for (i, (label, _)) in bars.iter().enumerate() {
        let (y0, y1) = row(i);
        let (x, y) = chart.backend_coord(&(0.0, (y0 + y1) / 2.0));
        root.draw(&Text::new(
            label.clone(),
            (x - 12, y),
            st.bold(16.0).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    // The legend: each part with its share of delay.
    let items: Vec<(Mark, String)> = wf
        .parts
        .iter()
        .zip(&colour)
        .map(|(p, c)| (Mark::Swatch(*c), format!("{} {:.1}%", p.name, p.share_pct)))
        .collect();
    side.draw(&Text::new(
        w.share_of_delay.to_string(),
        (10, 24),
        st.bold(17.0),
    ))?;
    legend(&side, st, &items, 64, Some(10))?;
    root.present().map_err(ChartError::from)
}
