//! Writing and reading report files: `profile_<YYYYMMDD_HHMMSS>.json`, written to a
//! temporary file and renamed, so a reader never sees half a report.

use super::model::{Report, SCHEMA};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why a report could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create the report directory {path}: {source} (set PROFILER_OUTPUT_DIR to a writable directory)")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source} (set PROFILER_OUTPUT_DIR to a writable directory)")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a JSON profile report: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("{path} has schema {found:?}; this profiler reads {expected:?}")]
    Schema {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error("no profile_*.json report in {0}")]
    NoReport(PathBuf),
    #[error("cannot render chart {path}: {message}")]
    Chart { path: PathBuf, message: String },
}

/// `YYYYMMDD_HHMMSS` of a report's timestamp (for file names).
pub fn stamp(report: &Report) -> String {
    report.timestamp.replace(['-', ':'], "").replace('T', "_")
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("report"),
        std::process::id()
    ));
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs::File::create(&tmp).map_err(err)?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })
}

/// Creates `dir` (and parents) when missing.
pub fn ensure_dir(dir: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(dir).map_err(|source| ReportError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// A free `<prefix>_<stamp>[_N].<ext>` path in `dir` (reports in the same second get `_2`, `_3`...).
pub fn free_path(dir: &Path, prefix: &str, stamp: &str, ext: &str) -> PathBuf {
    let first = dir.join(format!("{prefix}_{stamp}.{ext}"));
    if !first.exists() {
        return first;
    }
    (2..)
        .map(|n| dir.join(format!("{prefix}_{stamp}_{n}.{ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Writes `report` as `profile_<stamp>.json` in `dir`; returns the path.
pub fn write(report: &Report, dir: &Path) -> Result<PathBuf, ReportError> {
    ensure_dir(dir)?;
    let path = free_path(dir, "profile", &stamp(report), "json");
    let json = serde_json::to_vec_pretty(report).map_err(|e| ReportError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    write_atomic(&path, &json)?;
    Ok(path)
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
