//! Renderers: the report's outputs. Each reads the `Report` and computes nothing: every
//! figure and every mark they show is a field `analyse` set.
//!
//! Every output is a [`Reporter`]; the session walks the ones the configuration asks
//! for ([`reporters`]), so a new output (a trace file, say) is one more reporter here,
//! and the session does not change: `html` is one (`report_<ts>.html`), `trace` another
//! (`trace_<ts>.json`, a Chrome/Perfetto timeline).

#[cfg(feature = "charts")]
#[cfg_attr(docsrs, doc(cfg(feature = "charts")))]
pub mod charts;
pub mod compare;
pub mod console;
pub mod files;
pub mod html;
pub mod json;
pub mod mark;
pub(crate) mod style;
pub mod trace;

use crate::config::Config;
use crate::model::Report;
pub use mark::Mark;
use std::path::{Path, PathBuf};

/// Why a report could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The output directory could not be made.
    #[error("cannot create the report directory {path}: {source} (set PROFILER_OUTPUT_DIR to a writable directory)")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source} (set PROFILER_OUTPUT_DIR to a writable directory)")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A file that is not a JSON report.
    #[error("{path} is not a JSON profile report: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// A report of another schema.
    #[error("{path} has schema {found:?}; this profiler reads {expected:?}")]
    Schema {
        /// The file.
        path: PathBuf,
        /// Its schema.
        found: String,
        /// The schema read here.
        expected: &'static str,
    },
    /// A file larger than the input limit.
    #[error("{path} is larger than {} MB, the input limit; if it is a real report, raise the limit with --max-input-mb or PROFILER_MAX_INPUT_MB", limit_bytes / (1024 * 1024))]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit, bytes.
        limit_bytes: u64,
    },
    /// A directory holding no report.
    #[error("no profile_*.json report in {0}")]
    NoReport(PathBuf),
    /// A chart that could not be drawn.
    #[cfg(feature = "charts")]
    #[error("cannot render chart {path}: {source}")]
    Chart {
        /// The chart's file.
        path: PathBuf,
        /// What went wrong.
        source: charts::ChartError,
    },
}

impl ReportError {
    /// The same error about the file `path` (errors of `json::parse` name none).
    pub fn at(self, path: &Path) -> ReportError {
        let path = path.to_path_buf();
        match self {
            ReportError::Parse { source, .. } => ReportError::Parse { path, source },
            ReportError::Schema {
                found, expected, ..
            } => ReportError::Schema {
                path,
                found,
                expected,
            },
            other => other,
        }
    }
}

/// Where a reporter writes.
#[derive(Clone, Copy, Debug)]
pub struct Output<'a> {
    /// The output directory (made before any file reporter runs).
    pub dir: &'a Path,
}

/// One output of a report.
pub trait Reporter: Send + Sync {
    /// Its name, as in `PROFILER_FORMATS` (`json`, `console`, `charts`, `html`, `trace`).
    fn name(&self) -> &'static str;

    /// Whether it writes files into the output directory (the console does not).
    fn writes_files(&self) -> bool {
        true
    }

    /// Writes `report`; returns the files it wrote.
    fn write(&self, report: &Report, out: Output<'_>) -> Result<Vec<PathBuf>, ReportError>;
}

/// The reporters `cfg` asks for, in the order they run: files first, the console last.
pub fn reporters(cfg: &Config) -> Vec<Box<dyn Reporter>> {
    let mut out: Vec<Box<dyn Reporter>> = Vec::new();
    if cfg.formats.json {
        out.push(Box::new(json::JsonReporter));
    }
    #[cfg(feature = "charts")]
    if cfg.formats.charts {
        out.push(Box::new(charts::ChartsReporter {
            font: cfg.chart_font.clone(),
        }));
    }
    if cfg.formats.html {
        out.push(Box::new(html::HtmlReporter));
    }
    if cfg.formats.trace {
        out.push(Box::new(trace::TraceReporter));
    }
    if cfg.formats.console {
        out.push(Box::new(console::ConsoleReporter));
    }
    out
}
