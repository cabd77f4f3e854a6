//! Writing and reading report files: `profile_<YYYYMMDD_HHMMSS>.json`, written to a
//! temporary file and renamed, so a reader never sees half a report.

use super::files::{ensure_dir, free_path, stamp, write_atomic};
use super::{Output, ReportError, Reporter};
use crate::model::{Report, SCHEMA};
use std::fs;
use std::path::{Path, PathBuf};

/// Writes `profile_<stamp>.json` into the output directory.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn name(&self) -> &'static str {
        "json"
    }

    fn write(&self, report: &Report, out: Output<'_>) -> Result<Vec<PathBuf>, ReportError> {
        write(report, out.dir).map(|p| vec![p])
    }
}

/// Writes `report` as `profile_<stamp>.json` in `dir`; returns the path.
pub fn write(report: &Report, dir: &Path) -> Result<PathBuf, ReportError> {
    ensure_dir(dir)?;
    let path = free_path(dir, "profile", &stamp(report), "json");
    write_atomic(&path, &encode(report, &path)?)?;
    Ok(path)
}

/// Writes `report` to `output`: a file path, or an existing directory (then
/// `profile_<stamp>.json` in it). Atomic: a reader never sees half a report.
pub fn write_to(report: &Report, output: &Path) -> Result<PathBuf, ReportError> {
    if output.is_dir() {
        return write(report, output);
    }
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(parent)?;
    }
    write_atomic(output, &encode(report, output)?)?;
    Ok(output.to_path_buf())
}

fn encode(report: &Report, path: &Path) -> Result<Vec<u8>, ReportError> {
    serde_json::to_vec_pretty(report).map_err(|e| ReportError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    })
}

/// Reads a report file, refusing other schemas.
pub fn read(path: &Path) -> Result<Report, ReportError> {
    let text = fs::read_to_string(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    // The schema is checked first, from the text: going through `serde_json::Value`
    // would sort the components by name and lose the order they ran in.
    #[derive(serde::Deserialize)]
    struct Schema {
        schema: Option<serde_json::Value>,
    }
    let probe: Schema = serde_json::from_str(&text).map_err(|source| ReportError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    let found = probe
        .schema
        .as_ref()
        .and_then(|s| s.as_str())
        .unwrap_or("(none)");
    if found != SCHEMA {
        return Err(ReportError::Schema {
            path: path.to_path_buf(),
            found: found.to_string(),
            expected: SCHEMA,
        });
    }
    serde_json::from_str(&text).map_err(|source| ReportError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// The newest `profile_*.json` in `dir` (by name, which sorts by time), or `path` itself
/// when it is a file.
pub fn resolve(path: &Path) -> Result<PathBuf, ReportError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let entries = fs::read_dir(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reports: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("profile_") && n.ends_with(".json"))
        })
        .collect();
    reports.sort_by_key(|p| {
        let modified = fs::metadata(p).and_then(|m| m.modified()).ok();
        (modified, p.clone())
    });
    reports
        .pop()
        .ok_or_else(|| ReportError::NoReport(path.to_path_buf()))
}
