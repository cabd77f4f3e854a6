//! What charts share around their plots: legend marks, legends and the title header.

use super::style::{Style, INK};
use super::{Area, ChartError};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::RGBColor;

/// What a legend entry shows beside its words.
#[derive(Clone, Copy)]
pub(super) enum Mark {
    Swatch(RGBColor),
    Line(RGBColor),
    Dash(RGBColor),
    /// The latency target: dark dashes with a white halo, readable over any bar.
    Target,
    Shade(RGBColor),
}

const MARK_W: i32 = 26;

fn draw_mark(area: &Area, mark: Mark, (x, y): (i32, i32)) -> Result<(), ChartError> {
    let path = vec![(x, y), (x + MARK_W, y)];
    match mark {
        Mark::Swatch(c) => area.draw(&Rectangle::new(
            [(x + 4, y - 8), (x + MARK_W - 4, y + 8)],
            c.filled(),
        )),
        Mark::Shade(c) => area.draw(&Rectangle::new(
            [(x, y - 9), (x + MARK_W, y + 9)],
            c.filled(),
        )),
        Mark::Line(c) => area.draw(&PathElement::new(path, c.stroke_width(4))),
        Mark::Dash(c) => area.draw(&DashedPathElement::new(path, 7, 4, c.stroke_width(3))),
        Mark::Target => {
            area.draw(&DashedPathElement::new(
                path.clone(),
                7,
                4,
                WHITE.stroke_width(7),
            ))?;
            area.draw(&DashedPathElement::new(path, 7, 4, INK.stroke_width(3)))
        }
    }
    .map_err(ChartError::from)
}

/// A legend as one centred row (`column: None`) or a column starting at `column`.
pub(super) fn legend(
    area: &Area,
    st: &Style,
    items: &[(Mark, String)],
    y: i32,
    column: Option<i32>,
) -> Result<(), ChartError> {
    let font = st.font(16.0);
    let widths: Vec<i32> = items
        .iter()
        .map(|(_, label)| {
            area.estimate_text_size(label, &font)
                .map(|(w, _)| w as i32)
                .unwrap_or(0)
        })
        .collect();
    let gap = 28;
    let row_width: i32 = widths.iter().map(|w| MARK_W + 8 + w + gap).sum::<i32>() - gap;
    let (mut x, mut y) = match column {
        Some(x) => (x, y),
        None => ((area.dim_in_pixel().0 as i32 - row_width) / 2, y),
    };
    let anchor = Pos::new(HPos::Left, VPos::Center);
    for ((mark, label), w) in items.iter().zip(widths) {
        draw_mark(area, *mark, (x, y))?;
        area.draw(&Text::new(
            label.clone(),
            (x + MARK_W + 8, y),
            font.clone().pos(anchor),
        ))?;
        if column.is_some() {
            y += 26;
        } else {
            x += MARK_W + 8 + w + gap;
        }
    }
    Ok(())
}

/// Title, subtitle and (when given) a legend row across the top of a chart; returns
/// the area below them.
pub(super) fn header<'a>(
    root: &Area<'a>,
    st: &Style,
    title: &str,
    subtitle: (&str, RGBColor),
    items: &[(Mark, String)],
) -> Result<Area<'a>, ChartError> {
    let (w, _) = root.dim_in_pixel();
    let (top, body) = root.split_vertically(if items.is_empty() { 86 } else { 120 });
    let center = Pos::new(HPos::Center, VPos::Top);
    top.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, 16),
        st.bold(26.0).pos(center),
    ))?;
    top.draw(&Text::new(
        subtitle.0.to_string(),
        (w as i32 / 2, 52),
        st.font(17.0).color(&subtitle.1).pos(center),
    ))?;
    legend(&top, st, items, 100, None)?;
    Ok(body)
}
