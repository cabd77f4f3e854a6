//! `profiler`: compare, merge, show and chart saved reports.
//!
//! ```text
//! profiler compare BASE CURRENT [--threshold 10] [--json]   exit 1 on a regression
//! profiler merge FILES... -o OUT                              one report, exact percentiles
//! profiler show FILE [--lang en|ko]                           the console report again
//! profiler charts FILE [-o DIR] [--font TTF]                  the PNG charts again
//! ```
//!
//! A FILE may be a directory: its newest `profile_*.json` is used. Bad input (a missing
//! file, not JSON, a report of another schema, histograms that cannot be merged) gets
//! one line on stderr and exit status 2, and nothing is written.

mod compare;
mod merge;

use clap::{Parser, Subcommand};
use profiler_core::config::Lang;
use profiler_core::report::{console, json, Report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "profiler",
    version,
    about = "Compare, merge, show and chart saved profiler reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        #[arg(long, default_value = "10", value_parser = compare::parse_threshold)]
        threshold: f64,
        /// Percentiles to compare and gate on, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "p50,p95,p99", value_parser = compare::parse_percentile)]
        percentiles: Vec<compare::Percentile>,
        /// Print the comparison as JSON (for CI) instead of a table.
        #[arg(long)]
        json: bool,
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
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language; use en or ko"))
}

/// Reads the report at `path` (a file, or a directory's newest report).
pub(crate) fn load(path: &Path) -> Result<(PathBuf, Report), String> {
    let file = json::resolve(path).map_err(|e| e.to_string())?;
    let report = json::read(&file).map_err(|e| e.to_string())?;
    Ok((file, report))
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Compare {
            base,
            current,
            threshold,
            percentiles,
            json,
        } => {
            let (base_path, base) = load(&base)?;
            let (current_path, current) = load(&current)?;
            let comparison = compare::Comparison::new(
                &base_path,
                &base,
                &current_path,
                &current,
                threshold,
                &percentiles,
            );
            if json {
                println!("{}", comparison.to_json());
            } else {
                print!("{}", comparison.table());
            }
            Ok(if comparison.regressions() > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Merge { files, output } => {
            let inputs = files
                .iter()
                .map(|f| load(f))
                .collect::<Result<Vec<_>, _>>()?;
            let merged = merge::merge(&inputs)?;
            let path = merge::write(&merged, &output)?;
            println!(
                "profiler: merged {} reports ({} processes) into {}",
                inputs.len(),
                merged.run.merged_from,
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { file, lang } => {
            let (_, report) = load(&file)?;
            print!(
                "{}",
                console::render_in(&report, lang.unwrap_or(report.lang))
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Charts { file, output, font } => {
            let (_, report) = load(&file)?;
            charts(&report, &output, font)
        }
    }
}

#[cfg(feature = "charts")]
fn charts(report: &Report, dir: &Path, font: Option<PathBuf>) -> Result<ExitCode, String> {
    let font = font.or_else(|| profiler_core::config::active().chart_font.clone());
    let written = profiler_core::report::charts::write_all(report, dir, font.as_deref())
        .map_err(|e| e.to_string())?;
    if written.is_empty() {
        return Err("the report has no latency, memory or GPU figures to chart".into());
    }
    for p in written {
        println!("{}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "charts"))]
fn charts(_: &Report, _: &Path, _: Option<PathBuf>) -> Result<ExitCode, String> {
    Err("this profiler was built without charts; rebuild with `--features charts`".into())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            // One line, whatever the cause said.
            eprintln!("profiler: {}", message.replace('\n', " "));
            ExitCode::from(2)
        }
    }
}
