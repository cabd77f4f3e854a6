//! Live budget alerts: the rule that decides, while the program runs, when a
//! component's rolling P95 crossed its target and when it recovered.
//!
//! Pure: it is handed latency samples (as per-tick slices of HDR bucket counts) and the
//! time, and returns verdicts; `live` feeds it from the running totals and fires the
//! callbacks and `tracing` warnings.
//!
//! The rule, per component with a target:
//!
//! - the P95 is computed over the samples of the last `window_sec` seconds, and only
//!   once the window holds `min_samples` samples (too few samples say nothing);
//! - over the target, the alert fires once ([`AlertKind::Crossed`]) and stays raised;
//! - it is lowered ([`AlertKind::Recovered`]) only when the P95 falls to
//!   `recover_ratio` of the target or below (hysteresis: a P95 hovering at the target
//!   does not fire again and again);
//! - two crossings of one component are at least `cooldown_sec` apart (rate limit): a
//!   crossing inside the cool-down fires when the cool-down ends, if the P95 is still over.

use super::advice::severity_word;
use super::stats::value_at_quantile;
use super::targets;
use crate::config::AlertConfig;
use crate::model::{Lang, Severity};
use std::collections::VecDeque;

/// Share of the target the P95 must fall to before a raised alert is lowered.
pub const RECOVER_RATIO: f64 = 0.9;

/// When an alert fires and when it is lowered (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AlertRule {
    /// Seconds of samples the P95 is computed over.
    pub window_sec: f64,
    /// Samples a window needs before it is judged.
    pub min_samples: u64,
    /// Share of the target at or under which a raised alert is lowered.
    pub recover_ratio: f64,
    /// Least seconds between two crossings of one component.
    pub cooldown_sec: f64,
}

impl AlertRule {
    /// The rule the configuration asks for.
    pub fn from_config(c: &AlertConfig) -> AlertRule {
        AlertRule {
            window_sec: c.window_sec as f64,
            min_samples: c.min_samples,
            recover_ratio: RECOVER_RATIO,
            cooldown_sec: c.cooldown_sec as f64,
        }
    }
}

impl Default for AlertRule {
    fn default() -> Self {
        Self::from_config(&AlertConfig::default())
    }
}

/// Latency samples of a rolling window: one slice of `(value ns, count)` per tick,
/// values being HDR bucket values (each bucket's highest equivalent value, as the
/// report's percentiles are).
///
/// Invariants: slices are in time order; `samples` is the sum of every slice's counts.
/// Memory is bounded by the ticks in a window times the distinct buckets per tick.
#[derive(Clone, Debug, Default)]
pub struct Window {
    slices: VecDeque<(f64, Vec<(u64, u64)>)>,
    samples: u64,
}

impl Window {
    /// Adds the samples of the tick at `at_sec` (an empty slice adds nothing).
    pub fn push(&mut self, at_sec: f64, counts: Vec<(u64, u64)>) {
        let n: u64 = counts.iter().map(|(_, c)| c).sum();
        if n == 0 {
            return;
        }
        self.samples += n;
        self.slices.push_back((at_sec, counts));
    }

    /// Drops the slices older than `window_sec` before `now_sec`.
    pub fn expire(&mut self, now_sec: f64, window_sec: f64) {
        while let Some((at, counts)) = self.slices.front() {
            if *at > now_sec - window_sec {
                break;
            }
            self.samples -= counts.iter().map(|(_, c)| c).sum::<u64>();
            self.slices.pop_front();
        }
    }

    /// Samples in the window.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// The value at quantile `q` (0 to 1) of the window's samples, as
    /// `hdrhistogram::Histogram::value_at_quantile` computes it; `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.samples == 0 {
            return None;
        }
        let mut all: Vec<(u64, u64)> = self.slices.iter().flat_map(|(_, c)| c).copied().collect();
        all.sort_unstable_by_key(|(v, _)| *v);
        value_at_quantile(&all, self.samples, q)
    }
}

/// What happened to a component's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertKind {
    /// The rolling P95 went over the target.
    Crossed,
    /// The rolling P95 came back to `recover_ratio` of the target or under.
    Recovered,
}

/// One alert: a component's rolling P95 against its target.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// The component.
    pub component: String,
    /// Crossed or recovered.
    pub kind: AlertKind,
    /// The rolling P95, ms.
    pub p95_ms: f64,
    /// The component's P95 target, ms.
    pub target_ms: f64,
    /// P95 over target.
    pub ratio: f64,
    /// Severity of that ratio (the report's scale).
    pub severity: Severity,
    /// Samples in the window.
    pub samples: u64,
    /// The window's length, seconds.
    pub window_sec: f64,
    /// When it was judged, seconds since the profiler's epoch.
    pub at_sec: f64,
}

impl Alert {
    /// One line saying what happened, e.g. "llm: rolling P95 312.0 ms is over its
    /// 200 ms target (1.56x, high) over the last 30 s (412 samples)".
    pub fn message(&self) -> String {
        let what = match self.kind {
            AlertKind::Crossed => "is over",
            AlertKind::Recovered => "is back under",
        };
        format!(
            "{}: rolling P95 {:.1} ms {what} its {} ms target ({:.2}x, {}) over the last {} s ({} samples)",
            self.component,
            self.p95_ms,
            self.target_ms,
            self.ratio,
            severity_word(self.severity, Lang::En),
            self.window_sec,
            self.samples
        )
    }
}

/// One component's rolling P95 at a tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// When, seconds since the profiler's epoch.
    pub at_sec: f64,
    /// The window's P95, ns.
    pub p95_ns: u64,
    /// Samples in the window.
    pub samples: u64,
    /// The component's target, ms.
    pub target_ms: f64,
}

/// The alert state of one component (see the module docs for the rule).
#[derive(Clone, Debug, Default)]
pub struct Watch {
    raised: bool,
    last_crossed_sec: Option<f64>,
}

impl Watch {
    /// Whether the alert is raised (crossed and not yet recovered).
    pub fn raised(&self) -> bool {
        self.raised
    }

    /// Judges one reading: `Some` when the alert fires or is lowered.
    pub fn observe(&mut self, rule: &AlertRule, r: Reading) -> Option<(AlertKind, f64)> {
        if r.samples < rule.min_samples.max(1) || r.target_ms <= 0.0 {
            return None;
        }
        let ratio = r.p95_ns as f64 / 1e6 / r.target_ms;
        if self.raised {
            if ratio <= rule.recover_ratio {
                self.raised = false;
                return Some((AlertKind::Recovered, ratio));
            }
            return None;
        }
        let cooled = self
            .last_crossed_sec
            .is_none_or(|t| r.at_sec - t >= rule.cooldown_sec);
        if ratio > 1.0 && cooled {
            self.raised = true;
            self.last_crossed_sec = Some(r.at_sec);
            return Some((AlertKind::Crossed, ratio));
        }
        None
    }
}

/// A component's window and alert state, judged tick by tick.
#[derive(Clone, Debug, Default)]
pub struct Budget {
    /// The samples of the rolling window.
    pub window: Window,
    /// The alert state.
    pub watch: Watch,
}

impl Budget {
    /// Adds the tick's samples of `component` (target `target_ms`) at `now_sec` and
    /// judges the window: the alert, if one fires or is lowered.
    pub fn tick(
        &mut self,
        rule: &AlertRule,
        component: &str,
        target_ms: f64,
        now_sec: f64,
        counts: Vec<(u64, u64)>,
    ) -> Option<Alert> {
        self.window.push(now_sec, counts);
        self.window.expire(now_sec, rule.window_sec);
        let p95_ns = self.window.quantile(0.95)?;
        let reading = Reading {
            at_sec: now_sec,
            p95_ns,
            samples: self.window.samples(),
            target_ms,
        };
        let (kind, ratio) = self.watch.observe(rule, reading)?;
        Some(Alert {
            component: component.to_string(),
            kind,
            p95_ms: p95_ns as f64 / 1e6,
            target_ms,
            ratio,
            severity: targets::severity(ratio),
            samples: reading.samples,
            window_sec: rule.window_sec,
            at_sec: now_sec,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::histogram::new_histogram;

    const MS: u64 = 1_000_000;

    /// One tick's samples: `n` calls of `ms` milliseconds, as HDR bucket values.
    fn tick_of(n: u64, ms: u64) -> Vec<(u64, u64)> {
        let h = new_histogram();
        vec![(h.highest_equivalent(ms * MS), n)]
    }

    #[test]
    fn window_quantile_equals_hdrhistogram_of_the_same_samples() {
        let mut w = Window::default();
        let mut h = new_histogram();
        let mut seed = 7u64;
        for t in 0..20 {
            let mut slice = std::collections::BTreeMap::new();
            for _ in 0..97 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                let v = (seed >> 33) % 400_000_000;
                h.record(v).unwrap();
                *slice.entry(h.highest_equivalent(v)).or_insert(0) += 1;
            }
            w.push(t as f64, slice.into_iter().collect());
        }
        assert_eq!(w.samples(), h.len());
        for q in [0.01, 0.5, 0.9, 0.95, 0.99, 1.0] {
            assert_eq!(w.quantile(q), Some(h.value_at_quantile(q)), "q={q}");
        }
        // Ten seconds later the first ten slices are gone.
        w.expire(19.0, 10.0);
        assert_eq!(w.samples(), 10 * 97);
    }

    /// Drives one component tick by tick (one tick a second, 50 samples a tick) and
    /// returns the alerts with their tick.
    fn run(
        rule: &AlertRule,
        target_ms: f64,
        ms_at: impl Fn(u64) -> u64,
        ticks: u64,
    ) -> Vec<(u64, Alert)> {
        let mut b = Budget::default();
        (1..=ticks)
            .filter_map(|t| {
                b.tick(rule, "tts", target_ms, t as f64, tick_of(50, ms_at(t)))
                    .map(|a| (t, a))
            })
            .collect()
    }

    #[test]
    fn an_alert_fires_once_per_crossing_and_again_only_after_recovering() {
        let rule = AlertRule {
            window_sec: 10.0,
            min_samples: 20,
            recover_ratio: 0.9,
            cooldown_sec: 0.0,
        };
        // Under budget, over for 30 s, hovering between recovery and target (46 ms:
        // not recovered), clearly under, then over again.
        let ms = |t: u64| match t {
            1..=10 => 40,
            11..=40 => 80,
            41..=60 => 48,
            61..=80 => 30,
            _ => 90,
        };
        let alerts = run(&rule, 50.0, ms, 100);
        let seen: Vec<(u64, AlertKind)> = alerts.iter().map(|(t, a)| (*t, a.kind)).collect();
        // 80 ms samples are 10 % of the window one tick in: the P95 crosses at once.
        // The hovering 48 ms (0.96x) keeps the alert raised; it is lowered once the
        // window holds only 30 ms samples (0.6x), and a new crossing fires again.
        assert_eq!(
            seen,
            vec![
                (11, AlertKind::Crossed),
                (70, AlertKind::Recovered),
                (81, AlertKind::Crossed)
            ]
        );
        let first = &alerts[0].1;
        assert_eq!(first.samples, 500);
        assert!((first.ratio - 1.6).abs() < 0.01, "{first:?}");
        assert_eq!(first.severity, Severity::High);
        assert!(
            first.message().contains("over its 50 ms target"),
            "{}",
            first.message()
        );
    }

    #[test]
    fn a_crossing_inside_the_cooldown_fires_when_the_cooldown_ends() {
        let rule = AlertRule {
            window_sec: 5.0,
            min_samples: 20,
            recover_ratio: 0.9,
            cooldown_sec: 60.0,
        };
        // Flapping: over for 10 s, under for 10 s, over again...
        let ms = |t: u64| if (t / 10).is_multiple_of(2) { 80 } else { 20 };
        let alerts = run(&rule, 50.0, ms, 100);
        let crossings: Vec<u64> = alerts
            .iter()
            .filter(|(_, a)| a.kind == AlertKind::Crossed)
            .map(|(t, _)| *t)
            .collect();
        // First at t=1; the next crossings (t=20, 40, 60) are inside the 60 s cool-down
        // until t=61, still over budget then: it fires there, and not before t=121.
        assert_eq!(crossings, vec![1, 61]);
        // Every alert that fired was lowered before the next one.
        let kinds: Vec<AlertKind> = alerts.iter().map(|(_, a)| a.kind).collect();
        assert_eq!(
            kinds,
            vec![
                AlertKind::Crossed,
                AlertKind::Recovered,
                AlertKind::Crossed,
                AlertKind::Recovered
            ]
        );
    }

    #[test]
    fn too_few_samples_are_never_judged() {
        let rule = AlertRule {
            window_sec: 10.0,
            min_samples: 200,
            recover_ratio: 0.9,
            cooldown_sec: 0.0,
        };
        let mut b = Budget::default();
        // 50 samples a second, all five times the target: judged only once the
        // window holds 200 samples, at the fourth tick.
        let fired: Vec<u64> = (1..=6)
            .filter(|t| {
                b.tick(&rule, "stt", 100.0, *t as f64, tick_of(50, 500))
                    .is_some()
            })
            .collect();
        assert_eq!(fired, vec![4]);
        assert!(b.watch.raised());
    }
}
