//! PNG charts of a report, for a person who would rather look than read, one chart per
//! file:
//!
//! - `latency_<ts>.png` (`latency`): P50 / P95 / P99 per component against the P95
//!   target;
//! - `memory_<ts>.png` (`memory`): process RSS and VMS over time, with the baseline
//!   taken after warm-up;
//! - `gpu_<ts>.png` (`gpu`): utilisation, VRAM and temperature over time per device
//!   (only when the report has GPU samples);
//! - `waterfall_<ts>.png` (`waterfall`): the turns' E2E as stacked critical-path parts
//!   (mean, P50 and P95 turn) against the E2E target, beside the latency chart (only
//!   when turns were marked).
//!
//! They share their colours, words and font (`style`, `font`) and their legends and
//! title (`legend`). Text is drawn from DejaVu Sans compiled into the binary, so no
//! system font library is needed at run time. DejaVu has no Hangul: a Korean report
//! uses a Korean font from the configured path (`PROFILER_CHART_FONT`) or a common
//! system location, and falls back to English chart labels, with one note on stderr
//! per process, when none is found.
//!
//! Like every renderer, this module reads the report's figures and verdicts and
//! computes none.

mod font;
mod gpu;
mod latency;
mod legend;
mod memory;
mod style;
#[cfg(test)]
mod tests;
mod waterfall;

pub use font::{FontError, NoHangulFont};

use super::files::{create_temp, ensure_dir, free_path, stamp};
use super::{Output, ReportError, Reporter};
use crate::model::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use style::Style;

/// The error type of drawing on a bitmap.
type BitmapError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Plotters could not draw or encode the bitmap.
    #[error("{0}")]
    Draw(#[from] DrawingAreaErrorKind<BitmapError>),
}

type Draw = fn(&Report, &Path, &Style) -> Result<(), ChartError>;
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// Writes the PNG charts into the output directory.
#[derive(Clone, Debug, Default)]
pub struct ChartsReporter {
    /// A font with Hangul for Korean reports (`PROFILER_CHART_FONT`); `None` searches
    /// common system locations.
    pub font: Option<PathBuf>,
}

impl Reporter for ChartsReporter {
    fn name(&self) -> &'static str {
        "charts"
    }

    fn write(&self, report: &Report, out: Output<'_>) -> Result<Vec<PathBuf>, ReportError> {
        write_all(report, out.dir, self.font.as_deref())
    }
}

/// Writes the charts that `report` has data for into `dir` and returns their paths.
/// Each chart is drawn to a temporary file; the files are renamed into place only when
/// all of them were drawn, so a failure leaves nothing behind.
///
/// `korean_font` is a font with Hangul for Korean reports (`PROFILER_CHART_FONT`); when
/// it is `None` common system locations are searched.
pub fn write_all(
    report: &Report,
    dir: &Path,
    korean_font: Option<&Path>,
) -> Result<Vec<PathBuf>, ReportError> {
    let style = Style::for_report(report, korean_font);
    let mut charts: Vec<(&str, Draw)> = Vec::new();
    if report.components.values().any(|c| c.latency.count > 0) {
        charts.push(("latency", latency::draw_latency));
    }
    if report
        .memory
        .as_ref()
        .is_some_and(|m| !m.timeline.is_empty())
    {
        charts.push(("memory", memory::draw_memory));
    }
    if gpu::gpu_devices(report).next().is_some() {
        charts.push(("gpu", gpu::draw_gpu));
    }
    if report.turns.as_ref().is_some_and(|t| t.waterfall.is_some()) {
        charts.push(("waterfall", waterfall::draw_waterfall));
    }
    if charts.is_empty() {
        return Ok(Vec::new());
    }
    ensure_dir(dir)?;
    let stamp = stamp(report);
    let mut drawn: Vec<(PathBuf, PathBuf)> = Vec::new();
    let discard = |drawn: &[(PathBuf, PathBuf)]| {
        for (tmp, _) in drawn {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (prefix, draw) in charts {
        let path = free_path(dir, prefix, &stamp, "png");
        // A temp file new to this write (two reports in one process may draw at once);
        // it ends in `.png`: the bitmap encoder picks the format from the extension.
        let tmp = match create_temp(dir, &path, ".png") {
            Ok((tmp, _file)) => tmp,
            Err(source) => {
                discard(&drawn);
                return Err(ReportError::Write { path, source });
            }
        };
        if let Err(source) = draw(report, &tmp, &style) {
            let _ = std::fs::remove_file(&tmp);
            discard(&drawn);
            return Err(ReportError::Chart { path, source });
        }
        drawn.push((tmp, path));
    }
    let mut written = Vec::new();
    for (i, (tmp, path)) in drawn.iter().enumerate() {
        if let Err(source) = std::fs::rename(tmp, path) {
            discard(&drawn[i..]);
            for p in &written {
                let _ = std::fs::remove_file(p);
            }
            return Err(ReportError::Write {
                path: path.clone(),
                source,
            });
        }
        written.push(path.clone());
    }
    Ok(written)
}
