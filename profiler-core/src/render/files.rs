//! Report files on disk: stamped names, atomic writes, the output directory.

use super::ReportError;
use crate::model::Report;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Longest stamp a file name carries.
const MAX_STAMP_CHARS: usize = 32;

/// `YYYYMMDD_HHMMSS` of a report's timestamp (for file names; see [`stamp_of`]).
pub fn stamp(report: &Report) -> String {
    stamp_of(&report.timestamp)
}

/// `YYYYMMDD_HHMMSS` of a timestamp `YYYY-MM-DDTHH:MM:SS`. A report file may say
/// anything in its timestamp: only ASCII letters, digits, `-` and `_` are kept (at most
/// 32), so a name built from it stays inside its directory (no `/`, no `..`) and on one
/// line; a timestamp with none of them gives `undated`.
pub fn stamp_of(timestamp: &str) -> String {
    let s: String = timestamp
        .replace(['-', ':'], "")
        .replace('T', "_")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(MAX_STAMP_CHARS)
        .collect();
    if s.is_empty() {
        "undated".into()
    } else {
        s
    }
}

/// Writes `bytes` to `path` atomically (temp file in the same directory, then rename),
/// so a reader never sees half a file.
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

/// A free `<prefix>_<stamp>[_N].<ext>` path in `dir` (reports in the same second get
/// `_2`, `_3`...).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_is_the_timestamp_without_separators_and_never_a_path() {
        assert_eq!(stamp_of("2026-11-23T07:38:03"), "20261123_073803");
        assert_eq!(stamp_of("../../etc/passwd"), "etcpasswd");
        assert_eq!(stamp_of("/"), "undated");
    }
}
