//! `profiler`: compare, merge, show and chart saved reports.
//!
//! ```text
//! profiler compare BASE CURRENT [--threshold 10] [--json] [--html FILE]   exit 1 on a regression
//! profiler merge FILES... -o OUT                              one report, exact percentiles
//! profiler show FILE [--lang en|ko]                           the console report again
//! profiler charts FILE [-o DIR] [--font TTF]                  the PNG charts again
//! profiler html FILE [-o DIR] [--lang en|ko]                  the HTML page again
//! ```
//!
//! A FILE may be a directory: its newest `profile_*.json` (by name) is used. Every
//! report read is checked (`analyse::validate`) before anything is judged from it. Bad
//! input (a missing file, not JSON, a file over the input limit, a report of another
//! schema, a histogram that does not decode or disagrees with the figures, counts that
//! overflow when added) gets one line on stderr and exit status 2, and nothing is
//! written. Memory and time are bounded by the input limit (`--max-input-mb`,
//! `PROFILER_MAX_INPUT_MB`, default 256 MB).
//!
//! This file is argument parsing and printing: comparing and merging are the library's
//! (`analyse::compare`, `analyse::merge`), as is every figure printed.

use clap::{Parser, Subcommand};
use profiler_core::analyse::compare::{Comparison, Percentile};
use profiler_core::analyse::merge::{self, MergeError};
use profiler_core::analyse::validate::{self, InvalidReport};
use profiler_core::model::{Lang, Report};
use profiler_core::render::{self, json, ReportError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "profiler",
    version,
    about = "Compare, merge, show, chart and render saved profiler reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Largest report file read, in MB (default: PROFILER_MAX_INPUT_MB, then 256).
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    max_input_mb: Option<u64>,
}

#[derive(Subcommand)]
enum Command {
    /// Compare CURRENT against BASE per component and percentile; exit 1 when a
    /// percentile got slower by more than the threshold, 0 otherwise.
    Compare {
        /// The baseline: a report file, or a directory (its newest profile_*.json).
        base: PathBuf,
        /// The report to judge: a file or a directory.
        current: PathBuf,
        /// Slow-down in percent over which a percentile is a regression ("10" or "10%").
        #[arg(long, default_value = "10", value_parser = parse_threshold)]
        threshold: f64,
        /// Percentiles to compare and gate on, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "p50,p95,p99", value_parser = parse_percentile)]
        percentiles: Vec<Percentile>,
        /// Print the comparison as JSON (for CI) instead of a table.
        #[arg(long)]
        json: bool,
        /// Also write the before/after page: a file, or an existing directory (then
        /// compare_<timestamp>.html in it).
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
    },
    /// Merge reports from several processes or machines into one. Percentiles come
    /// from the merged histograms, never from averages.
    Merge {
        /// Report files (a directory stands for its newest report).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output file, or an existing directory (then profile_<timestamp>.json in it).
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print the console report of a saved JSON report.
    Show {
        /// A report file or a directory (its newest report).
        file: PathBuf,
        /// Language of the report; default: the report's own.
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
    },
    /// Draw the PNG charts of a saved JSON report.
    Charts {
        /// A report file or a directory (its newest report).
        file: PathBuf,
        /// Directory the charts are written to.
        #[arg(short, long, default_value = ".")]
        output: PathBuf,
        /// A font with Hangul for Korean reports (default: PROFILER_CHART_FONT, then
        /// common system locations).
        #[arg(long)]
        font: Option<PathBuf>,
    },
    /// Write the self-contained HTML page (report_<timestamp>.html) of a saved JSON
    /// report.
    Html {
        /// A report file or a directory (its newest report).
        file: PathBuf,
        /// Directory the page is written to.
        #[arg(short, long, default_value = ".")]
        output: PathBuf,
        /// Language of the page; default: the report's own.
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
    },
}

/// Why a command could not do its job: one line on stderr, exit 2.
#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Merge(#[from] MergeError),
    #[error("{path}: {source}")]
    Invalid {
        path: PathBuf,
        source: InvalidReport,
    },
    #[error("the report has no latency, memory or GPU figures to chart")]
    NothingToChart,
    #[cfg(not(feature = "charts"))]
    #[error("this profiler was built without charts; rebuild with `--features charts`")]
    NoCharts,
}

/// An argument clap could not take (clap prints it and exits 2).
#[derive(Debug, thiserror::Error)]
enum ArgError {
    #[error("{0:?} is not a language; use en or ko")]
    Lang(String),
    #[error("{0:?} is not a percentile; use p50, p95 or p99")]
    Percentile(String),
    #[error("{0:?} is not a percentage; use e.g. 10 or 10%")]
    NotANumber(String),
    #[error("{0:?} is not a percentage of 0 or more")]
    Negative(String),
}

fn parse_lang(s: &str) -> Result<Lang, ArgError> {
    Lang::parse(s).ok_or_else(|| ArgError::Lang(s.into()))
}

fn parse_percentile(s: &str) -> Result<Percentile, ArgError> {
    Percentile::parse(s).ok_or_else(|| ArgError::Percentile(s.into()))
}

/// Parses a threshold in percent: `10`, `10%`, `7.5`.
fn parse_threshold(s: &str) -> Result<f64, ArgError> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| ArgError::NotANumber(s.into()))?;
    if !v.is_finite() || v < 0.0 {
        return Err(ArgError::Negative(s.into()));
    }
    Ok(v)
}

/// Reads the report at `path` (a file, or a directory's newest report), at most
/// `max_bytes` long, and checks its figures against its histograms.
fn load(path: &Path, max_bytes: u64) -> Result<(PathBuf, Report), CliError> {
    let file = json::resolve(path)?;
    let report = json::read_limited(&file, max_bytes)?;
    validate::check(&report).map_err(|source| CliError::Invalid {
        path: file.clone(),
        source,
    })?;
    Ok((file, report))
}

/// Prints `text` on stdout; a reader that went away (`profiler show r.json | head`) is
/// not an error.
fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}

fn run(command: Command, max_bytes: u64) -> Result<ExitCode, CliError> {
    let load = |path: &Path| load(path, max_bytes);
    match command {
        Command::Compare {
            base,
            current,
            threshold,
            percentiles,
            json,
            html,
        } => {
            let (base_path, base) = load(&base)?;
            let (current_path, current) = load(&current)?;
            let comparison = Comparison::new(
                &base_path,
                &base,
                &current_path,
                &current,
                threshold,
                &percentiles,
            );
            if let Some(output) = html {
                // Written before anything is printed: a page that cannot be written is
                // bad input (exit 2), not half an answer.
                let path = render::html::compare::write_to(&comparison, current.lang, &output)?;
                eprintln_line(&format!(
                    "profiler: comparison page written to {}",
                    path.display()
                ));
            }
            if json {
                print(&format!("{}\n", render::compare::to_json(&comparison)));
            } else {
                print(&render::compare::table(&comparison));
            }
            Ok(if comparison.regressions().next().is_some() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Merge { files, output } => {
            let inputs = files
                .iter()
                .map(|f| {
                    json::resolve(f)
                        .and_then(|p| Ok((p.clone(), json::read_limited(&p, max_bytes)?)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let merged = merge::merge(&inputs)?;
            let path = json::write_to(&merged, &output)?;
            print(&format!(
                "profiler: merged {} reports ({} processes) into {}\n",
                inputs.len(),
                merged.run.merged_from,
                path.display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { file, lang } => {
            let (_, report) = load(&file)?;
            print(&render::console::render_in(
                &report,
                lang.unwrap_or(report.lang),
            ));
            Ok(ExitCode::SUCCESS)
        }
        Command::Charts { file, output, font } => {
            let (_, report) = load(&file)?;
            charts(&report, &output, font)
        }
        Command::Html { file, output, lang } => {
            let (_, mut report) = load(&file)?;
            if let Some(lang) = lang {
                report.lang = lang;
            }
            let path = render::html::write(&report, &output)?;
            print(&format!("{}\n", path.display()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One status line on stderr (ignored when stderr is gone).
fn eprintln_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

#[cfg(feature = "charts")]
fn charts(report: &Report, dir: &Path, font: Option<PathBuf>) -> Result<ExitCode, CliError> {
    let font = font.or_else(|| profiler_core::active_config().chart_font.clone());
    let written = render::charts::write_all(report, dir, font.as_deref())?;
    if written.is_empty() {
        return Err(CliError::NothingToChart);
    }
    let list: String = written
        .iter()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    print(&list);
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "charts"))]
fn charts(_: &Report, _: &Path, _: Option<PathBuf>) -> Result<ExitCode, CliError> {
    Err(CliError::NoCharts)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let max_bytes = cli
        .max_input_mb
        .map(|mb| mb * 1024 * 1024)
        .unwrap_or_else(|| profiler_core::active_config().max_input_bytes());
    match run(cli.command, max_bytes) {
        Ok(code) => code,
        Err(e) => {
            // One line, whatever the cause said.
            eprintln_line(&format!("profiler: {}", e.to_string().replace('\n', " ")));
            ExitCode::from(2)
        }
    }
}
