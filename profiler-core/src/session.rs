//! A profiling session: `init()` starts the samplers; dropping the guard writes the
//! end-of-run report (JSON, console, charts). `report()` builds one on demand.

use crate::analyse::{self, Extras};
use crate::config::{self, Config};
use crate::report::{console, json, Report, ReportError};
use crate::sample::Samplers;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
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
    periodic: Option<Periodic>,
}

/// The periodic report thread and its stop flag.
type Periodic = (Arc<(Mutex<bool>, Condvar)>, JoinHandle<()>);

/// Starts profiling with the environment's configuration.
pub fn init() -> Session {
    let cfg = config::active();
    start((*cfg).clone())
}

/// Starts profiling with `cfg` (replacing the environment's configuration).
pub fn init_with(cfg: Config) -> Session {
    config::set_active(cfg.clone());
    start(cfg)
}

fn start(cfg: Config) -> Session {
    crate::record::clock::epoch();
    if !cfg.enabled {
        return Session {
            active: None,
            periodic: None,
        };
    }
    let cfg = Arc::new(cfg);
    let active = Arc::new(Active {
        samplers: Samplers::start(&cfg),
        cfg: cfg.clone(),
        started: Instant::now(),
    });
    *ACTIVE.lock().unwrap_or_else(|e| e.into_inner()) = Some(active.clone());
    let periodic = (cfg.report_interval_sec > 0).then(|| {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s = stop.clone();
        let every = Duration::from_secs(cfg.report_interval_sec);
        let handle = std::thread::Builder::new()
            .name("profiler-report".into())
            .spawn(move || loop {
                let guard = s.0.lock().unwrap_or_else(|e| e.into_inner());
                let (stopped, _) =
                    s.1.wait_timeout(guard, every)
                        .unwrap_or_else(|e| e.into_inner());
                if *stopped {
                    break;
                }
                drop(stopped);
                let r = report();
                let mut files = config::active().formats;
                files.console = false;
                emit(&r, &config::active().output_dir, files);
            });
        handle.ok().map(|h| (stop, h))
    });
    Session {
        active: Some(active),
        periodic: periodic.flatten(),
    }
}

/// The report of everything recorded so far (with the session's samplers when one runs).
pub fn report() -> Report {
    let snap = crate::aggregate::snapshot();
    let cfg = config::active();
    let extras = match active() {
        Some(a) => a.samplers.extras(&snap, a.started.elapsed().as_secs_f64()),
        None => Extras {
            duration_sec: crate::record::clock::secs_since_epoch(snap.taken_at),
            ..Extras::default()
        },
    };
    analyse::build(&snap, &cfg, extras)
}

/// What writing a report produced.
#[derive(Debug, Default)]
pub struct Written {
    pub json: Option<PathBuf>,
    pub charts: Vec<PathBuf>,
    pub errors: Vec<ReportError>,
}

/// Writes `report` in the `formats` asked for: JSON and charts into `dir`, the console
/// report to stdout. Errors go to stderr in one line each and the program goes on;
/// when the JSON cannot be written and no console report was asked for, the JSON goes
/// to stdout so nothing is lost.
pub fn emit(report: &Report, dir: &std::path::Path, formats: config::Formats) -> Written {
    let mut w = Written::default();
    // One directory problem is one error line, not one per file.
    let dir_ok = !(formats.json || formats.charts)
        || json::ensure_dir(dir).map_err(|e| w.errors.push(e)).is_ok();
    if dir_ok && formats.json {
        match json::write(report, dir) {
            Ok(p) => w.json = Some(p),
            Err(e) => w.errors.push(e),
        }
    }
    #[cfg(feature = "charts")]
    if dir_ok && formats.charts {
        match crate::report::charts::write_all(report, dir, config::active().chart_font.as_deref())
        {
            Ok(paths) => w.charts = paths,
            Err(e) => w.errors.push(e),
        }
    }
    for e in &w.errors {
        eprintln!("profiler: {e}");
    }
    if formats.console {
        println!("{}", console::render(report));
    } else if formats.json && w.json.is_none() {
        if let Ok(text) = serde_json::to_string_pretty(report) {
            println!("{text}");
        }
    }
    if let Some(p) = &w.json {
        let charts: Vec<String> = w.charts.iter().map(|c| c.display().to_string()).collect();
        if charts.is_empty() {
            println!("profiler: report written to {}", p.display());
        } else {
            println!(
                "profiler: report written to {} (charts: {})",
                p.display(),
                charts.join(", ")
            );
        }
    }
    w
}

impl Session {
    /// Builds and writes the report now, ending the session.
    pub fn finish(mut self) -> Option<Written> {
        self.finish_inner()
    }

    fn finish_inner(&mut self) -> Option<Written> {
        if let Some((stop, handle)) = self.periodic.take() {
            *stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
            stop.1.notify_all();
            let _ = handle.join();
        }
        let a = self.active.take()?;
        let r = report();
        let written = emit(&r, &a.cfg.output_dir, a.cfg.formats);
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
