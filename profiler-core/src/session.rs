//! A profiling session: `init()` starts the samplers (and the live metrics and alerts
//! when `PROFILER_METRICS` / `PROFILER_ALERTS` ask for them); dropping the guard writes
//! the end-of-run report through every reporter the configuration asks for
//! (`render::reporters`). `report()` builds one on demand.
//!
//! What the session says about itself (a file written, a file that could not be) goes
//! to stderr; stdout carries only the console report, and only when asked for. Writing
//! never takes the host down: write errors (a closed pipe) are ignored or said in one
//! line, and a panic while writing is caught (see `Session`'s `Drop`).
//!
//! Each guard is its own session (its own start, samplers and periodic dumps); the
//! opt-in SIGTERM/SIGINT handler (`signals`) writes every live session's report once.

mod signals;

pub use signals::SignalError;

use crate::analyse;
use crate::config::Config;
use crate::model::text::{printable, MAX_SHOWN_NAME_CHARS};
use crate::model::Report;
use crate::record::{clock, component, settings};
use crate::render::{self, Output, ReportError, Reporter};
use crate::sample::ticker::{Flow, Ticker};
use crate::sample::{Extras, Samplers};
use crate::status;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One session's own state: its configuration, start, samplers and periodic dumps.
struct Active {
    cfg: Arc<Config>,
    started: Instant,
    samplers: Samplers,
    /// Set by whoever writes the end-of-run report (the guard, `finish`, or the signal
    /// handler), so it is written once.
    finished: AtomicBool,
    /// Held while the end-of-run report is written: a second writer (the guard dropped
    /// while the signal handler writes) waits for it, so the program does not end with
    /// the report half written.
    writing: Mutex<()>,
    /// Periodic dumps; taken and stopped before the end-of-run report. Its tick holds
    /// only a `Weak` to this state, so no cycle keeps a session alive.
    periodic: Mutex<Option<Ticker>>,
    /// Live metrics and alerts (`PROFILER_METRICS`, `PROFILER_ALERTS`); dropped before
    /// the end-of-run report, publishing what the last interval recorded.
    live: Mutex<Option<crate::live::LiveGuard>>,
}

/// Live sessions, oldest first.
static LIVE: Mutex<Vec<Arc<Active>>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<Arc<Active>>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The guard `init()` returns: dropping it writes the end-of-run report.
///
/// Two live guards are two sessions: each has its own start, samplers and periodic
/// dumps, and writes its own report when it ends, with its own duration and memory
/// timeline, in whatever order they are dropped; the components' figures in both are
/// the process's (every call recorded so far: recording is process-wide). The free
/// function [`report`] reads the most recently started live session.
#[must_use = "the report is written when this guard is dropped; bind it: `let _profiler = profiler::init();`"]
pub struct Session {
    active: Option<Arc<Active>>,
}

/// Starts profiling with the environment's configuration.
pub fn init() -> Session {
    start((*settings::active()).clone())
}

/// Starts profiling with `cfg` (replacing the environment's configuration, for every
/// call in the process from now on).
///
/// With `enabled: false` profiling is off process-wide: every profiled call costs one
/// atomic load and records nothing (calls of a session started earlier too), no
/// sampler, periodic dump or signal handler starts, and the guard writes nothing when
/// dropped (`Session::finish` returns `None`); `report()` still gives what was
/// recorded before.
pub fn init_with(cfg: Config) -> Session {
    settings::set_active(cfg.clone());
    start(cfg)
}

fn start(cfg: Config) -> Session {
    clock::epoch();
    if !cfg.enabled {
        return Session { active: None };
    }
    let cfg = Arc::new(cfg);
    let active = Arc::new(Active {
        samplers: Samplers::start(&cfg),
        cfg: cfg.clone(),
        started: Instant::now(),
        finished: AtomicBool::new(false),
        writing: Mutex::new(()),
        periodic: Mutex::new(None),
        live: Mutex::new(
            (cfg.metrics.enabled || cfg.alerts.enabled)
                .then(|| crate::live::start(cfg.metrics.enabled, cfg.alerts.enabled)),
        ),
    });
    {
        let mut live = live();
        if !live.is_empty() {
            status::line(format_args!(
                "profiler: a second session started while one is live; each writes its own report when its guard is dropped"
            ));
        }
        live.push(active.clone());
    }
    if cfg.report_interval_sec > 0 {
        let every = Duration::from_secs(cfg.report_interval_sec);
        let weak = Arc::downgrade(&active);
        // Periodic dumps are files only: the console report is the run's end. The
        // session's own configuration (built once, here): a later `configure` (or
        // another session's `init_with`) does not send its dumps elsewhere.
        let mut files = (*cfg).clone();
        files.formats.console = false;
        let reporters = render::reporters(&files);
        let ticker = Ticker::start(
            "profiler-report",
            false,
            move || every,
            move || {
                let Some(a) = weak.upgrade() else {
                    return Flow::Stop;
                };
                if a.finished.load(Ordering::Acquire) {
                    return Flow::Stop;
                }
                emit(&report_of(Some(&a)), &files.output_dir, &reporters);
                Flow::Continue
            },
        )
        .ok();
        *active.periodic.lock().unwrap_or_else(|e| e.into_inner()) = ticker;
    }
    if cfg.signals {
        if let Err(e) = report_on_signals() {
            status::line(format_args!("profiler: {e}"));
        }
    }
    Session {
        active: Some(active),
    }
}

/// Writes the report when the process gets SIGTERM or SIGINT (a container stop, a
/// Ctrl-C), then lets the signal end the process as it would have. What
/// `PROFILER_SIGNALS=on` turns on at `init()`; calling it again does nothing.
///
/// On the first of those signals every live session writes its end-of-run report (or,
/// with none live, the report of everything recorded is written as a session would);
/// then, if the signal's disposition was the default one, the process ends by that
/// signal (exit status and all). A signal the program ignored is left ignored, and one
/// the program handles itself is passed to its handler, which decides. Unix only.
pub fn report_on_signals() -> Result<(), SignalError> {
    signals::install(on_signal)
}

/// What the signal handler's thread does on the first signal.
fn on_signal() {
    let sessions: Vec<Arc<Active>> = live().clone();
    if sessions.is_empty() {
        let cfg = settings::active();
        emit(&report(), &cfg.output_dir, &render::reporters(&cfg));
    }
    for a in sessions {
        finish(&a);
    }
}

/// The report of everything recorded so far, with the samplers and configuration of
/// the most recently started live session (none: no memory or GPU section, and the
/// configuration in force).
pub fn report() -> Report {
    let newest = live().last().cloned();
    report_of(newest.as_deref())
}

/// The report of everything recorded so far, with `a`'s samplers, duration and
/// configuration (its targets, language and formats, whatever was configured since).
fn report_of(a: Option<&Active>) -> Report {
    let snap = crate::aggregate::snapshot();
    let cfg = a.map_or_else(settings::active, |a| a.cfg.clone());
    let mut extras = match a {
        Some(a) => a.samplers.extras(&snap, a.started.elapsed().as_secs_f64()),
        None => Extras {
            duration_sec: snap.taken_at_sec,
            ..Extras::default()
        },
    };
    if cfg.formats.trace {
        let samplers_started = a.map(|a| a.samplers.started());
        extras.trace = crate::aggregate::trace::read(samplers_started).map(Arc::new);
    }
    analyse::build(&snap, &cfg, extras)
}

/// Writes `a`'s end-of-run report unless it was written already.
fn finish(a: &Arc<Active>) -> Option<Written> {
    finish_with(a, &render::reporters(&a.cfg))
}

/// `finish` through `reporters`. The session leaves the live list first: a reporter
/// that panics (the guard's `Drop` catches it) must not leave it there, where
/// `report()` and the signal handler would still find it.
fn finish_with(a: &Arc<Active>, reporters: &[Box<dyn Reporter>]) -> Option<Written> {
    let _writing = a.writing.lock().unwrap_or_else(|e| e.into_inner());
    if a.finished.swap(true, Ordering::AcqRel) {
        return None;
    }
    live().retain(|x| !Arc::ptr_eq(x, a));
    let periodic = a.periodic.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(mut p) = periodic {
        p.stop();
    }
    // Publishes what the last interval recorded, then stops.
    drop(a.live.lock().unwrap_or_else(|e| e.into_inner()).take());
    warn_unmatched_filter(&a.cfg);
    Some(emit(&report_of(Some(a)), &a.cfg.output_dir, reporters))
}

/// One line, once per process, for `PROFILER_COMPONENTS` names that match no component
/// registered by the end of the run: a typo there records nothing, silently otherwise.
fn warn_unmatched_filter(cfg: &Config) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if cfg.components.is_empty() || WARNED.load(Ordering::Relaxed) {
        return;
    }
    let metas = component::metas();
    let unmatched = cfg.unmatched_components(metas.iter().map(|m| m.name.as_str()));
    if unmatched.is_empty() || WARNED.swap(true, Ordering::Relaxed) {
        return;
    }
    let shown = |names: &mut dyn Iterator<Item = &str>| {
        let mut v: Vec<String> = names
            .take(11)
            .map(|n| printable(n, MAX_SHOWN_NAME_CHARS).into_owned())
            .collect();
        if v.len() > 10 {
            v[10] = "...".into();
        }
        v.join(", ")
    };
    status::line(format_args!(
        "profiler: PROFILER_COMPONENTS names {}, which no component registered in this run (registered: {}); check the spelling",
        shown(&mut unmatched.iter().copied()),
        shown(&mut metas.iter().map(|m| m.name.as_str()))
    ));
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
fn emit(report: &Report, dir: &Path, reporters: &[Box<dyn Reporter>]) -> Written {
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
    /// Builds and writes the report now, ending the session. `None` when profiling is
    /// off or the report was written already (by the signal handler).
    pub fn finish(mut self) -> Option<Written> {
        self.finish_inner()
    }

    /// This session's report so far, without writing it.
    pub fn report(&self) -> Report {
        report_of(self.active.as_deref())
    }

    fn finish_inner(&mut self) -> Option<Written> {
        let a = self.active.take()?;
        finish(&a)
    }
}

impl Drop for Session {
    /// Writes the report. Never unwinds into the host: a panic while writing (a bug
    /// in a reporter, say) is caught and said in one line, as drop may run while the
    /// host is already unwinding, where a second panic would abort it.
    fn drop(&mut self) {
        if catch_unwind(AssertUnwindSafe(|| self.finish_inner())).is_err() {
            status::line(format_args!(
                "profiler: writing the end-of-run report panicked; some files may be missing"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Formats;

    /// A reporter with a bug.
    struct Panics;

    impl Reporter for Panics {
        fn name(&self) -> &'static str {
            "panics"
        }

        fn writes_files(&self) -> bool {
            false
        }

        fn write(&self, _: &Report, _: Output<'_>) -> Result<Vec<PathBuf>, ReportError> {
            panic!("a reporter's bug")
        }
    }

    #[test]
    fn a_panicking_reporter_does_not_leave_its_session_live() {
        let mut session = start(Config {
            gpu: false,
            formats: Formats::none(),
            ..Config::default()
        });
        let a = session.active.take().unwrap();
        let is_live = || live().iter().any(|x| Arc::ptr_eq(x, &a));
        assert!(is_live());
        let reporters: [Box<dyn Reporter>; 1] = [Box::new(Panics)];
        assert!(catch_unwind(AssertUnwindSafe(|| finish_with(&a, &reporters))).is_err());
        assert!(!is_live());
        // Written once: a second end finds it finished.
        assert!(finish(&a).is_none());
    }
}
