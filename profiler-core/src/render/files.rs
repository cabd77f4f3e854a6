//! Report files on disk: stamped names, atomic writes, the output directory.

use super::ReportError;
use crate::model::Report;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{SystemTime, UNIX_EPOCH};

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
/// so a reader never sees half a file. The temp file is new to each write (process id,
/// a count within the process and the time in its name, created only if it did not
/// exist): two writers in one directory, threads or processes, never share one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let err = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let (tmp, mut f) = create_temp(dir, path, "").map_err(err)?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })
}

/// A new temp file in `dir` for `path`: `.<name>.<pid>.<count>.<ns>.tmp<suffix>`, created
/// only if it did not exist, so no other writer (thread or process) has it. `suffix` is
/// for a writer that picks the format from the extension (charts pass `.png`).
pub(crate) fn create_temp(
    dir: &Path,
    path: &Path,
    suffix: &str,
) -> std::io::Result<(PathBuf, fs::File)> {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    let mut tries = 0;
    loop {
        let ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let tmp = dir.join(format!(
            ".{name}.{}.{}.{ns}.tmp{suffix}",
            std::process::id(),
            COUNT.fetch_add(1, Relaxed)
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            // Left by a process of the same id that died mid-write: take another name.
            Err(e) if e.kind() == ErrorKind::AlreadyExists && tries < 16 => tries += 1,
            Err(e) => return Err(e),
        }
    }
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

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("profiler-files-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn writers_in_one_directory_never_share_a_temp_file() {
        let dir = scratch("writers");
        const THREADS: usize = 8;
        const ROUNDS: usize = 50;
        // Each writes its own file, and all of them the same one, each round.
        let content = |t: usize, r: usize| format!("writer {t} round {r} ").repeat(1000 + t);
        std::thread::scope(|s| {
            for t in 0..THREADS {
                let dir = &dir;
                s.spawn(move || {
                    for r in 0..ROUNDS {
                        let own = dir.join(format!("own_{t}.json"));
                        write_atomic(&own, content(t, r).as_bytes()).unwrap();
                        write_atomic(&dir.join("shared.json"), content(t, r).as_bytes()).unwrap();
                    }
                });
            }
        });
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut want: Vec<String> = (0..THREADS).map(|t| format!("own_{t}.json")).collect();
        want.push("shared.json".into());
        want.sort();
        assert_eq!(names, want, "temp files left behind");
        for t in 0..THREADS {
            let got = fs::read_to_string(dir.join(format!("own_{t}.json"))).unwrap();
            assert_eq!(got, content(t, ROUNDS - 1));
        }
        // Whole: one writer's last round, not a mix.
        let shared = fs::read_to_string(dir.join("shared.json")).unwrap();
        assert!(
            (0..THREADS).any(|t| shared == content(t, ROUNDS - 1)),
            "{} bytes of a mix",
            shared.len()
        );
        let _ = fs::remove_dir_all(&dir);
    }
}
