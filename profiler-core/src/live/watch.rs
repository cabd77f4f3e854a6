//! Live budget alerts, wired: every tick, each component with a target gets the
//! samples it recorded since the last tick in its rolling window, and
//! `analyse::alerts` judges it. An alert that fires or is lowered goes to a `tracing`
//! event (a warning when crossed, info when recovered, target `profiler::alerts`) and
//! to every callback registered with [`on_alert`], on the live thread.
//!
//! A callback should be quick (shed load, switch models: set a flag); a callback that
//! panics is caught and said once on stderr, never taken down with the live thread.

use super::delta::Deltas;
use crate::aggregate::Snapshot;
use crate::analyse::alerts::{Alert, AlertKind, AlertRule, Budget};
use crate::analyse::targets;
use crate::config::Config;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};

type Callback = Arc<dyn Fn(&Alert) + Send + Sync>;

static CALLBACKS: Mutex<Vec<(u64, Callback)>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Adds `f` to the callbacks alerts go to; returns its id (for [`remove`]).
pub(crate) fn add(f: impl Fn(&Alert) + Send + Sync + 'static) -> u64 {
    let id = NEXT_ID.fetch_add(1, Relaxed);
    CALLBACKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, Arc::new(f)));
    id
}

/// Removes the callback `id`.
pub(crate) fn remove(id: u64) {
    CALLBACKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .retain(|(i, _)| *i != id);
}

/// Sends each alert to `tracing` and to every registered callback.
pub(crate) fn dispatch(alerts: &[Alert]) {
    if alerts.is_empty() {
        return;
    }
    // One event per alert; the level is part of an event's static metadata.
    macro_rules! event {
        ($level:expr, $a:expr) => {
            tracing::event!(
                target: "profiler::alerts",
                $level,
                component = %$a.component,
                p95_ms = $a.p95_ms,
                target_ms = $a.target_ms,
                samples = $a.samples,
                "{}",
                $a.message()
            )
        };
    }
    for a in alerts {
        match a.kind {
            AlertKind::Crossed => event!(tracing::Level::WARN, a),
            AlertKind::Recovered => event!(tracing::Level::INFO, a),
        }
    }
    // Called without the lock: a callback may register or remove callbacks.
    let callbacks: Vec<Callback> = CALLBACKS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(_, c)| c.clone())
        .collect();
    for a in alerts {
        for cb in &callbacks {
            if catch_unwind(AssertUnwindSafe(|| cb(a))).is_err() {
                static SAID: AtomicBool = AtomicBool::new(false);
                if !SAID.swap(true, Relaxed) {
                    crate::status::line(format_args!(
                        "profiler: an alert callback panicked (on `{}`); alerts go on",
                        a.component
                    ));
                }
            }
        }
    }
}

/// Every component's rolling window and alert state.
pub(crate) struct Watcher {
    deltas: Deltas,
    budgets: HashMap<String, Budget>,
}

impl Watcher {
    /// A watcher whose windows start now: what `snap` holds is history, not judged.
    pub(crate) fn starting_at(snap: &Snapshot) -> Watcher {
        let mut deltas = Deltas::default();
        deltas.take(snap);
        Watcher {
            deltas,
            budgets: HashMap::new(),
        }
    }

    /// Adds what each component recorded since the last tick to its window and judges
    /// it at `now_sec`: the alerts that fired or were lowered.
    pub(crate) fn tick(&mut self, snap: &Snapshot, cfg: &Config, now_sec: f64) -> Vec<Alert> {
        let rule = AlertRule::from_config(&cfg.alerts);
        let deltas = self.deltas.take(snap);
        let mut alerts = Vec::new();
        for (c, d) in snap.components.iter().zip(deltas) {
            let Some((target_ms, _)) = targets::resolve(&c.meta, cfg) else {
                continue;
            };
            let budget = self.budgets.entry(c.meta.name.clone()).or_default();
            if let Some(a) = budget.tick(&rule, &c.meta.name, target_ms, now_sec, d.latency) {
                alerts.push(a);
            }
        }
        alerts
    }

    /// Every watched component and whether its alert is raised.
    pub(crate) fn raised(&self) -> impl Iterator<Item = (&str, bool)> {
        self.budgets
            .iter()
            .map(|(n, b)| (n.as_str(), b.watch.raised()))
    }
}
