//! What the pictures share, whatever draws them (the PNG charts, the HTML page): the
//! series colours, the colour of each waterfall part, and how a latency is written, so
//! a part has the same colour in `waterfall_<ts>.png` and in `report_<ts>.html`.

use crate::model::{PartKind, WaterfallPart};

/// An sRGB colour.
pub(crate) type Rgb = (u8, u8, u8);

/// One colour per series (device, stage), cycled.
pub(crate) const SERIES: [Rgb; 6] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
];

/// Gaps (no profiled stage on the path) in greys, cycled.
const GAPS: [Rgb; 3] = [(189, 189, 189), (150, 150, 150), (215, 215, 215)];

/// Parts past the bound on distinct parts, together.
pub(crate) const OTHER: Rgb = (90, 90, 90);

/// A lighter shade of `c` (`t` of the way to white).
pub(crate) fn tint(c: Rgb, t: f64) -> Rgb {
    let m = |v: u8| (v as f64 + (255.0 - v as f64) * t).round() as u8;
    (m(c.0), m(c.1), m(c.2))
}

/// Each part's colour, by the report's part order: each stage its series colour, its
/// streaming part a light shade of it, gaps in greys, the rest dark grey.
pub(crate) fn part_colours(parts: &[WaterfallPart]) -> Vec<Rgb> {
    let mut stages: Vec<&str> = Vec::new();
    let mut gaps = 0;
    parts
        .iter()
        .map(|p| match (p.kind, p.component.as_deref()) {
            (PartKind::Stage | PartKind::Streaming, Some(c)) => {
                let i = stages.iter().position(|s| *s == c).unwrap_or_else(|| {
                    stages.push(c);
                    stages.len() - 1
                });
                let base = SERIES[i % SERIES.len()];
                if p.kind == PartKind::Streaming {
                    tint(base, 0.55)
                } else {
                    base
                }
            }
            (PartKind::Gap, _) => {
                gaps += 1;
                GAPS[(gaps - 1) % GAPS.len()]
            }
            _ => OTHER,
        })
        .collect()
}

/// A latency in ms with as many decimals as its size deserves (`-` when not a number).
pub(crate) fn ms(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v >= 100.0 || v == v.round() {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
