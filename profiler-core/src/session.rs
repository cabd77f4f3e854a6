//! A profiling session: `init()` starts the samplers (and the live metrics and alerts
//! when `PROFILER_METRICS` / `PROFILER_ALERTS` ask for them); dropping the guard writes
//! the end-of-run report through every reporter the configuration asks for
//! (`render::reporters`). `report()` builds one on demand.
//!
//! What the session says about itself (a file written, a file that could not be) goes
//! to stderr; stdout carries only the console report, and only when asked for.

use crate::analyse;
use crate::config::Config;
use crate::model::Report;
use crate::record::{clock, settings};
use crate::render::{self, Output, ReportError, Reporter};
use crate::sample::ticker::{Flow, Ticker};
use crate::sample::{Extras, Samplers};
use crate::status;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Active {
    cfg: Arc<Config>,
    started: Instant,
    samplers: Samplers,
}

static ACTIVE: Mutex<Option<Arc<Active>>> = Mutex::new(None);

fn active() -> Option<Arc<Active>> {
    ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The guard `init()` returns: dropping it writes the end-of-run report.
#[must_use = "the report is written when this guard is dropped; bind it: `let _profiler = profiler::init();`"]
pub struct Session {
    active: Option<Arc<Active>>,
    periodic: Option<Ticker>,
    /// Live metrics and alerts (`PROFILER_METRICS`, `PROFILER_ALERTS`).
    live: Option<crate::live::LiveGuard>,
}

/// Starts profiling with the environment's configuration.
pub fn init() -> Session {
    start((*settings::active()).clone())
}

/// Starts profiling with `cfg` (replacing the environment's configuration).
pub fn init_with(cfg: Config) -> Session {
    settings::set_active(cfg.clone());
    start(cfg)
}

fn start(cfg: Config) -> Session {
    clock::epoch();
    if !cfg.enabled {
        return Session {
            active: None,
            periodic: None,
            live: None,
        };
    }
    let cfg = Arc::new(cfg);
    let active = Arc::new(Active {
        samplers: Samplers::start(&cfg),
        cfg: cfg.clone(),
        started: Instant::now(),
    });
    *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(active.clone());
    let periodic = (cfg.report_interval_sec > 0)
        .then(|| {
            let every = Duration::from_secs(cfg.report_interval_sec);
            Ticker::start(
                "profiler-report",
                false,
                move || every,
                move || {
                    // Periodic dumps are files only: the console report is the run's end.
                    let mut files = (*settings::active()).clone();
                    files.formats.console = false;
                    emit(&report(), &files.output_dir, &render::reporters(&files));
                    Flow::Continue
                },
            )
            .ok()
        })
        .flatten();
    let live = (cfg.metrics.enabled || cfg.alerts.enabled)
        .then(|| crate::live::start(cfg.metrics.enabled, cfg.alerts.enabled));
    Session {
        active: Some(active),
        periodic,
        live,
    }
}

/// The report of everything recorded so far (with the session's samplers when one runs).
pub fn report() -> Report {
    let snap = crate::aggregate::snapshot();
    let cfg = settings::active();
    let extras = match active() {
        Some(a) => a.samplers.extras(&snap, a.started.elapsed().as_secs_f64()),
        None => Extras {
            duration_sec: snap.taken_at_sec,
            ..Extras::default()
        },
    };
    analyse::build(&snap, &cfg, extras)
}

/// What writing a report produced.
#[derive(Debug, Default)]
pub struct Written {
    /// Every file written, with the name of the reporter that wrote it.
    pub files: Vec<(&'static str, PathBuf)>,
    /// What could not be written (each also said in one line on stderr).
    pub errors: Vec<ReportError>,
}

impl Written {
    /// The files `reporter` (`json`, `charts`, ...) wrote.
    pub fn of<'a>(&'a self, reporter: &'a str) -> impl Iterator<Item = &'a Path> + 'a {
        self.files
            .iter()
            .filter(move |(r, _)| *r == reporter)
            .map(|(_, p)| p.as_path())
    }
}

/// Writes `report` through `reporters` into `dir`. Errors go to stderr in one line
/// each and the program goes on; when the JSON was asked for but could not be
/// written, and no console report was asked for, the JSON goes to stderr so nothing
/// is lost.
pub fn emit(report: &Report, dir: &Path, reporters: &[Box<dyn Reporter>]) -> Written {
    let mut w = Written::default();
    // One directory problem is one error line, not one per file.
    let dir_ok = !reporters.iter().any(|r| r.writes_files())
        || render::files::ensure_dir(dir)
            .map_err(|e| w.errors.push(e))
            .is_ok();
    let mut json_failed = false;
    for r in reporters {
        if r.writes_files() && !dir_ok {
            json_failed |= r.name() == "json";
            continue;
        }
        match r.write(report, Output { dir }) {
            Ok(paths) => w.files.extend(paths.into_iter().map(|p| (r.name(), p))),
            Err(e) => {
                json_failed |= r.name() == "json";
                w.errors.push(e);
            }
        }
    }
    for e in &w.errors {
        status::line(format_args!("profiler: {e}"));
    }
    if json_failed && !reporters.iter().any(|r| r.name() == "console") {
        if let Ok(text) = serde_json::to_string_pretty(report) {
            status::line(format_args!("{text}"));
        }
    }
    if let Some(((_, first), rest)) = w.files.split_first() {
        let mut line = format!("profiler: report written to {}", first.display());
        let mut names: Vec<&str> = rest.iter().map(|(n, _)| *n).collect();
        names.dedup();
        let parts: Vec<String> = names
            .iter()
            .map(|name| {
                let paths: Vec<String> = w.of(name).map(|p| p.display().to_string()).collect();
                format!("{name}: {}", paths.join(", "))
            })
            .collect();
        if !parts.is_empty() {
            line.push_str(&format!(" ({})", parts.join("; ")));
        }
        status::line(format_args!("{line}"));
    }
    w
}

impl Session {
    /// Builds and writes the report now, ending the session.
    pub fn finish(mut self) -> Option<Written> {
        self.finish_inner()
    }

    fn finish_inner(&mut self) -> Option<Written> {
        if let Some(mut p) = self.periodic.take() {
            p.stop();
        }
        // Publishes what the last interval recorded, then stops.
        drop(self.live.take());
        let a = self.active.take()?;
        let r = report();
        let written = emit(&r, &a.cfg.output_dir, &render::reporters(&a.cfg));
        let mut slot = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|x| Arc::ptr_eq(x, &a)) {
            *slot = None;
        }
        Some(written)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.finish_inner();
    }
}
