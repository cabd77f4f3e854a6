//! Writing and reading report files: `profile_<YYYYMMDD_HHMMSS>.json`, written to a
//! temporary file and renamed, so a reader never sees half a report.

use super::files::{ensure_dir, free_path, stamp, write_atomic};
use super::{Output, ReportError, Reporter};
use crate::model::{Report, SCHEMA};
use std::fs;
use std::io::Read;
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

/// Largest report file read by default: 256 MiB (about 200 000 components). The CLI's
/// `--max-input-mb` and `PROFILER_MAX_INPUT_MB` change it.
pub const DEFAULT_MAX_INPUT_BYTES: u64 = 256 << 20;

/// Reads a report file of at most [`DEFAULT_MAX_INPUT_BYTES`], refusing other schemas.
pub fn read(path: &Path) -> Result<Report, ReportError> {
    read_limited(path, DEFAULT_MAX_INPUT_BYTES)
}

/// Reads a report file of at most `max_bytes`, refusing other schemas. Memory and time
/// are bounded by `max_bytes` whatever the file is: a larger file is refused from its
/// size (or once that much was read, for a pipe or a device), and one that does not
/// start like a JSON object (`/dev/zero`, a binary) at its first bytes.
pub fn read_limited(path: &Path, max_bytes: u64) -> Result<Report, ReportError> {
    let bytes = read_bounded(path, max_bytes)?;
    parse(&bytes).map_err(|e| e.at(path))
}

fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReportError> {
    let read_err = |source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    };
    let too_large = || ReportError::TooLarge {
        path: path.to_path_buf(),
        limit_bytes: max_bytes,
    };
    let mut file = fs::File::open(path).map_err(read_err)?;
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() > max_bytes {
            return Err(too_large());
        }
    }
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let mut looked = 0usize;
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_err(e)),
        };
        if (bytes.len() + n) as u64 > max_bytes {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk[..n]);
        // The first byte that is not white space must open an object.
        if looked < bytes.len() {
            match bytes[looked..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
            {
                Some(at) if bytes[looked + at] != b'{' => {
                    return Err(ReportError::Parse {
                        path: path.to_path_buf(),
                        source: serde::de::Error::custom(
                            "it does not start with a JSON object (`{`)",
                        ),
                    });
                }
                Some(_) => looked = usize::MAX,
                None => looked = bytes.len(),
            }
        }
    }
    Ok(bytes)
}

/// A report from the bytes of a report file, refusing other schemas. Errors name no
/// file (`ReportError::at` adds one).
pub fn parse(bytes: &[u8]) -> Result<Report, ReportError> {
    let path = Path::new("");
    // The schema is checked first: going through `serde_json::Value` would sort the
    // components by name and lose the order they ran in.
    #[derive(serde::Deserialize)]
    struct Schema {
        schema: Option<serde_json::Value>,
    }
    let probe: Schema = serde_json::from_slice(bytes).map_err(|source| ReportError::Parse {
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
            found: crate::model::text::printable(found, 64).into_owned(),
            expected: SCHEMA,
        });
    }
    serde_json::from_slice(bytes).map_err(|source| ReportError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// The newest `profile_*.json` in `dir`, or `path` itself when it is a file. Newest by
/// name: `profile_<YYYYMMDD_HHMMSS>[_N].json` sorts by time, then by `N` (`_10` after
/// `_9`); modification times are not looked at (a copy or a checkout changes them).
pub fn resolve(path: &Path) -> Result<PathBuf, ReportError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let entries = fs::read_dir(path).map_err(|source| ReportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let key = p.file_name().and_then(|n| n.to_str()).and_then(name_key)?;
            Some((key, p))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, p)| p)
        .ok_or_else(|| ReportError::NoReport(path.to_path_buf()))
}

/// The order of `profile_<stamp>[_N].json` names: by stamp, then by `N` (1 when absent).
fn name_key(name: &str) -> Option<(String, u64)> {
    let rest = name.strip_prefix("profile_")?.strip_suffix(".json")?;
    Some(match rest.rsplit_once('_') {
        Some((stamp, n))
            if stamp.contains('_') && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (stamp.to_string(), n.parse().unwrap_or(u64::MAX))
        }
        _ => (rest.to_string(), 1),
    })
}
