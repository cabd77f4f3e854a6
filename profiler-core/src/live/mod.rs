//! Live outputs, while the program runs (the report is the end-of-run output): every
//! interval (`PROFILER_METRICS_INTERVAL_MS`) one background tick reads the running
//! totals and
//!
//! - publishes what they gained through the `metrics` facade (`publish`), so any
//!   recorder the program installs (Prometheus with `prometheus`, StatsD, its own)
//!   sees latency histograms in seconds, call counters and resource gauges, named as
//!   in [`names`] and labelled within the bounds of `labels`;
//! - judges each component's rolling P95 against its target (`watch`, with the rule of
//!   `analyse::alerts`) and sends alerts to `tracing` and to [`on_alert`] callbacks.
//!
//! The profiled calls do nothing more for it: the tick reads the shards the calls
//! already write (`aggregate::snapshot`), so publishing costs the hot path nothing.
//!
//! Switching on: `PROFILER_METRICS=on` / `PROFILER_ALERTS=on` with `profiler::init()`,
//! or [`install_metrics`] / [`on_alert`] from code. One process-wide tick serves every
//! user (so nothing is published twice); it stops when the last user's guard drops,
//! after publishing what the last interval recorded.
//!
//! Files: `names` (the metric table), `delta` (what is new since the last tick),
//! `labels` (labels and their cardinality bound), `publish` (the `metrics` side),
//! `watch` (the alert side), `prometheus` (the exporter, with the `prometheus` feature).

mod delta;
mod labels;
pub mod names;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub mod prometheus;
mod publish;
mod watch;

pub use labels::{MAX_LABELS, OTHER};
pub use publish::UPKEEP_EVERY;

use crate::aggregate;
use crate::analyse::alerts::{Alert, AlertKind};
use crate::record::{clock, settings};
use crate::sample::ticker::{Flow, Ticker};
use labels::LabelPolicy;
use metrics::{Key, Label, Level, Metadata};
use publish::{Publisher, Upkeep};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::Duration;
use watch::Watcher;

struct State {
    metrics: bool,
    labels: LabelPolicy,
    publisher: Publisher,
    /// Present while alerts are on.
    watcher: Option<Watcher>,
}

/// A live publisher and alert watcher. The process has one, ticking in the background
/// while anyone asked for it ([`install_metrics`], [`on_alert`], the environment);
/// [`Live::manual`] makes one that ticks only when told to (tests, or a program that
/// publishes on its own schedule, e.g. right before serving a scrape). Two that publish
/// to the same recorder count everything twice: use one.
pub struct Live {
    state: Mutex<State>,
}

static UPKEEP: Mutex<Option<Arc<Upkeep>>> = Mutex::new(None);

/// Sets what the installed recorder needs done after each batch of samples a tick hands
/// it (at most [`UPKEEP_EVERY`]) and at the end of each tick, e.g. `handle.run_upkeep()`
/// of a Prometheus recorder built by hand, which otherwise buffers every histogram
/// sample until scraped. `prometheus::install` sets it itself.
pub fn set_upkeep(f: Option<Arc<dyn Fn() + Send + Sync>>) {
    *UPKEEP.lock().unwrap_or_else(|e| e.into_inner()) = f;
}

/// The longest interval between two ticks (a `Config` built in code is not checked
/// like the environment's values).
const MAX_INTERVAL_MS: u64 = 24 * 3600 * 1000;

static META: Metadata<'static> = Metadata::new("profiler", Level::INFO, Some(module_path!()));

impl Live {
    /// A live instance that ticks only on [`Live::tick`]: publishing through the
    /// `metrics` facade when `metrics`, judging budgets when `alerts` (its windows
    /// start now: what was recorded before is not judged).
    pub fn manual(metrics: bool, alerts: bool) -> Live {
        let cfg = settings::active();
        let live = Live {
            state: Mutex::new(State {
                metrics: false,
                labels: LabelPolicy::new(cfg.metrics.max_components, cfg.metrics.max_label_values),
                publisher: Publisher::default(),
                watcher: None,
            }),
        };
        live.set(metrics, alerts);
        live
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set(&self, metrics: bool, alerts: bool) {
        let mut st = self.state();
        st.metrics = metrics;
        match (alerts, st.watcher.is_some()) {
            (true, false) => {
                st.watcher = Some(Watcher::starting_at(&aggregate::components_snapshot()))
            }
            (false, true) => st.watcher = None,
            _ => {}
        }
    }

    /// Publishes what was recorded since the last tick to the current `metrics`
    /// recorder and judges every budget now; returns the alerts that fired or were
    /// lowered (already sent to `tracing` and the [`on_alert`] callbacks).
    pub fn tick(&self) -> Vec<Alert> {
        let cfg = settings::active();
        let upkeep = UPKEEP.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut st = self.state();
        // Read under the state's lock: two ticks (the background one and a flush) then
        // see the totals in the order they take deltas of them.
        let snap = aggregate::components_snapshot();
        let now_sec = clock::secs_since_epoch(clock::now());
        let State {
            metrics,
            labels,
            publisher,
            watcher,
        } = &mut *st;
        if *metrics {
            publisher.publish(&snap, &cfg, labels, upkeep.as_deref());
        }
        let alerts = match watcher {
            Some(w) => {
                let alerts = w.tick(&snap, &cfg, now_sec);
                if *metrics {
                    alert_metrics(w, &alerts, &snap, labels);
                }
                alerts
            }
            None => Vec::new(),
        };
        drop(st);
        watch::dispatch(&alerts);
        alerts
    }
}

/// Each watched component's alert state as a gauge, and crossings as a counter.
fn alert_metrics(
    w: &Watcher,
    alerts: &[Alert],
    snap: &aggregate::Snapshot,
    labels: &mut LabelPolicy,
) {
    metrics::with_recorder(|r| {
        for (name, raised) in w.raised() {
            let Some(c) = snap.component(name) else {
                continue;
            };
            let component = labels.series(&c.meta).labels[0].clone();
            if component.value() == OTHER {
                continue;
            }
            let crossed = alerts
                .iter()
                .filter(|a| a.component == name && a.kind == AlertKind::Crossed)
                .count() as u64;
            let l: Vec<Label> = vec![component];
            r.register_gauge(&Key::from_parts(names::ALERT_RAISED, l.clone()), &META)
                .set(if raised { 1.0 } else { 0.0 });
            r.register_counter(&Key::from_parts(names::ALERTS, l), &META)
                .increment(crossed);
        }
    });
}

/// Nice value of the live thread: under CPU contention the program's own threads go
/// first, and the tick still gets a share (alerts must fire when the program is
/// overloaded). Its work grows with the samples it hands a recorder (the Prometheus
/// exporter buffers each one), so it should never take CPU from the calls it measures.
pub const LIVE_NICE: i32 = 10;

/// Lowers the calling thread's priority to [`LIVE_NICE`] (Linux; elsewhere nothing).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: `setpriority(PRIO_PROCESS, 0, n)` sets the nice value of the calling
    // thread (on Linux, per thread); it reads and writes no memory of ours. A failure
    // (not permitted) leaves the priority as it was, which is harmless.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, LIVE_NICE);
    }
}

/// The process's live instance, and who keeps it on.
struct Service {
    metrics_users: usize,
    alert_users: usize,
    ticker: Option<Ticker>,
}

static PROCESS: LazyLock<Live> = LazyLock::new(|| Live::manual(false, false));
static SERVICE: Mutex<Service> = Mutex::new(Service {
    metrics_users: 0,
    alert_users: 0,
    ticker: None,
});

fn service() -> MutexGuard<'static, Service> {
    SERVICE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Keeps the process's live publishing (and/or alert checking) on while it lives; the
/// last guard dropped publishes what the last interval recorded and stops the tick.
#[must_use = "live publishing stops when this guard is dropped"]
pub struct LiveGuard {
    metrics: bool,
    alerts: bool,
}

/// Switches the process's live publishing (`metrics`) and alert checking (`alerts`) on
/// until the returned guard drops (see the module docs).
pub fn start(metrics: bool, alerts: bool) -> LiveGuard {
    let mut s = service();
    s.metrics_users += metrics as usize;
    s.alert_users += alerts as usize;
    PROCESS.set(s.metrics_users > 0, s.alert_users > 0);
    if s.ticker.is_none() && s.metrics_users + s.alert_users > 0 {
        let mut first = true;
        let ticker = Ticker::start(
            "profiler-live",
            false,
            || {
                Duration::from_millis(
                    settings::active()
                        .metrics
                        .interval_ms
                        .clamp(1, MAX_INTERVAL_MS),
                )
            },
            move || {
                if std::mem::take(&mut first) {
                    lower_priority();
                }
                PROCESS.tick();
                Flow::Continue
            },
        );
        match ticker {
            Ok(t) => s.ticker = Some(t),
            Err(e) => crate::status::line(format_args!(
                "profiler: could not start the live metrics thread ({e}); metrics are published only by flush()"
            )),
        }
    }
    LiveGuard { metrics, alerts }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        let last_metrics = self.metrics && service().metrics_users == 1;
        if last_metrics {
            // What the last interval recorded, before publishing stops (without the
            // service lock: an alert callback may start or stop live users).
            PROCESS.tick();
        }
        let mut s = service();
        s.metrics_users -= self.metrics as usize;
        s.alert_users -= self.alerts as usize;
        PROCESS.set(s.metrics_users > 0, s.alert_users > 0);
        let ticker = if s.metrics_users + s.alert_users == 0 {
            s.ticker.take()
        } else {
            None
        };
        drop(s);
        if let Some(mut t) = ticker {
            t.stop();
        }
    }
}

/// Switches publishing through the `metrics` facade on until the guard drops: every
/// `PROFILER_METRICS_INTERVAL_MS`, into the recorder the program installed (install it
/// first: what is published before goes nowhere).
pub fn install_metrics() -> LiveGuard {
    start(true, false)
}

/// Publishes and judges now, when the process's live tick runs (e.g. before the
/// program ends, or right before a scrape); does nothing otherwise.
pub fn flush() {
    let running = {
        let s = service();
        s.metrics_users + s.alert_users > 0
    };
    if running {
        PROCESS.tick();
    }
}

/// Keeps an alert callback registered (and alert checking on) while it lives.
#[must_use = "the callback is removed when this guard is dropped"]
pub struct Subscription {
    id: u64,
    _live: LiveGuard,
}

/// Calls `f` with every live budget alert (a crossing, then its recovery) until the
/// returned guard drops, and switches alert checking on meanwhile. `f` runs on the
/// live thread (at low priority, see [`LIVE_NICE`]): keep it short (set a flag, switch
/// a model); a panic in it is caught.
pub fn on_alert(f: impl Fn(&Alert) + Send + Sync + 'static) -> Subscription {
    let id = watch::add(f);
    Subscription {
        id,
        _live: start(false, true),
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        watch::remove(self.id);
    }
}
