//! Comparing a current report against a baseline: each component's percentiles, the
//! change in ms and percent, and the regression rule.
//!
//! A percentile is a regression when it grew by more than the threshold (in percent of
//! the baseline figure), and an improvement when it shrank by more than the threshold.
//! A baseline of zero (every sample under 1 ns: a mock clock, a stub) has no percentage:
//! any growth from it is past every threshold, so it is a regression. Components
//! present on one side only are new or gone, never regressions.
//!
//! The figures are taken as the reports state them: check a report read from a file
//! with `analyse::validate::check` first (the `profiler` command does), so a corrupt
//! histogram or a hand-edited `p95: -5` is refused rather than judged.
//!
//! Turns are compared part by part too (`TurnComparison`): each waterfall part's share
//! of delay and its P50/P95 per turn, marked by the same rule on the P95, so a turn's
//! E2E regression says which part grew. These rows explain; only component rows (the
//! `turn` component's E2E among them) are regressions that fail a comparison.

use crate::model::{LatencyStats, Report, TurnReport};
use std::path::{Path, PathBuf};

/// A percentile the comparison reads from each component's latency figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Percentile {
    /// The median.
    P50,
    /// The 95th percentile.
    P95,
    /// The 99th percentile.
    P99,
}

impl Percentile {
    /// `P50`, `P95` or `P99`.
    pub fn name(self) -> &'static str {
        match self {
            Percentile::P50 => "P50",
            Percentile::P95 => "P95",
            Percentile::P99 => "P99",
        }
    }

    fn of(self, l: &LatencyStats) -> f64 {
        match self {
            Percentile::P50 => l.median,
            Percentile::P95 => l.p95,
            Percentile::P99 => l.p99,
        }
    }

    /// Parses `p50`/`median`, `p95`, `p99` (any case).
    pub fn parse(s: &str) -> Option<Percentile> {
        match s.trim().to_ascii_lowercase().as_str() {
            "p50" | "median" => Some(Percentile::P50),
            "p95" => Some(Percentile::P95),
            "p99" => Some(Percentile::P99),
            _ => None,
        }
    }
}

/// How one percentile moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Slower by more than the threshold.
    Regression,
    /// Faster by more than the threshold.
    Improved,
    /// Within the threshold.
    Unchanged,
    /// Only in the current report.
    New,
    /// Only in the baseline.
    Gone,
}

impl Status {
    /// The word reports and JSON use: `regression`, `improved`, `ok`, `new`, `gone`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Regression => "regression",
            Status::Improved => "improved",
            Status::Unchanged => "ok",
            Status::New => "new",
            Status::Gone => "gone",
        }
    }
}

/// One component's percentile in both reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The component.
    pub component: String,
    /// Which percentile.
    pub percentile: Percentile,
    /// The baseline's figure, ms.
    pub base_ms: Option<f64>,
    /// The current figure, ms.
    pub current_ms: Option<f64>,
    /// Current minus baseline, ms.
    pub delta_ms: Option<f64>,
    /// The change in percent of the baseline (none when the baseline is zero: a growth
    /// from zero is then a regression whatever the threshold).
    pub delta_pct: Option<f64>,
    /// Samples behind the baseline's figure.
    pub base_samples: u64,
    /// Samples behind the current figure.
    pub current_samples: u64,
    /// The verdict.
    pub status: Status,
}

/// A whole comparison.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The baseline's file.
    pub base: PathBuf,
    /// The current report's file.
    pub current: PathBuf,
    /// The baseline's timestamp.
    pub base_timestamp: String,
    /// The current report's timestamp.
    pub current_timestamp: String,
    /// Slow-down in percent over which a percentile is a regression.
    pub threshold_pct: f64,
    /// One row per component and percentile.
    pub rows: Vec<Row>,
    /// The turns' waterfall, interruptions and sessions on both sides (when either
    /// side marked turns).
    pub turns: Option<TurnComparison>,
}

/// A figure on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Pair {
    /// The baseline's figure.
    pub base: Option<f64>,
    /// The current figure.
    pub current: Option<f64>,
}

impl Pair {
    /// Current minus baseline, when both are there.
    pub fn delta(&self) -> Option<f64> {
        self.base.zip(self.current).map(|(b, c)| c - b)
    }
}

/// One waterfall part on both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct PartRow {
    /// The part (`stt`, `llm:streaming`, `gap:stt->llm`...).
    pub part: String,
    /// Share of delay, percent.
    pub share_pct: Pair,
    /// Per-turn P50, ms.
    pub p50_ms: Pair,
    /// Per-turn P95, ms.
    pub p95_ms: Pair,
    /// The P95's move by the comparison's rule (explains; never fails a comparison).
    pub status: Status,
}

/// Turns on both sides: what moved inside the E2E.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TurnComparison {
    /// One row per waterfall part, in the current report's path order, then parts
    /// only in the baseline.
    pub parts: Vec<PartRow>,
    /// Interrupted turns, percent of turns.
    pub interruption_rate_pct: Pair,
    /// Interruption latency P95, ms.
    pub interruption_p95_ms: Pair,
    /// Turns per second over all sessions.
    pub turns_per_sec: Pair,
    /// Most sessions open at once.
    pub peak_concurrent_sessions: Pair,
}

impl Comparison {
    /// Compares `current` against `base` for each of `percentiles`.
    pub fn new(
        base_path: &Path,
        base: &Report,
        current_path: &Path,
        current: &Report,
        threshold_pct: f64,
        percentiles: &[Percentile],
    ) -> Comparison {
        let mut names: Vec<&String> = current.components.keys().collect();
        names.extend(
            base.components
                .keys()
                .filter(|n| !current.components.contains_key(*n)),
        );
        let mut rows = Vec::new();
        for name in names {
            // A component with no latency sample (only errors, say) has no percentile.
            let b = base.components.get(name).filter(|c| c.latency.count > 0);
            let c = current.components.get(name).filter(|c| c.latency.count > 0);
            if b.is_none() && c.is_none() {
                continue;
            }
            for &p in percentiles {
                let base_ms = b.map(|x| p.of(&x.latency));
                let current_ms = c.map(|x| p.of(&x.latency));
                let delta_ms = base_ms.zip(current_ms).map(|(b, c)| c - b);
                let delta_pct = delta_ms
                    .zip(base_ms.filter(|b| *b > 0.0))
                    .map(|(d, b)| d / b * 100.0);
                let status = status_of(base_ms, current_ms, threshold_pct);
                rows.push(Row {
                    component: name.clone(),
                    percentile: p,
                    base_ms,
                    current_ms,
                    delta_ms,
                    delta_pct,
                    base_samples: b.map_or(0, |x| x.latency.count),
                    current_samples: c.map_or(0, |x| x.latency.count),
                    status,
                });
            }
        }
        Comparison {
            base: base_path.to_path_buf(),
            current: current_path.to_path_buf(),
            base_timestamp: base.timestamp.clone(),
            current_timestamp: current.timestamp.clone(),
            threshold_pct,
            rows,
            turns: compare_turns(base, current, threshold_pct),
        }
    }

    /// The rows found to be regressions (component rows only: the waterfall explains).
    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.status == Status::Regression)
    }
}

/// How a figure moved by the comparison's rule: more than `threshold_pct` of the
/// baseline up is a regression, down an improvement.
fn status_of(base: Option<f64>, current: Option<f64>, threshold_pct: f64) -> Status {
    match (base, current) {
        (None, _) => Status::New,
        (_, None) => Status::Gone,
        (Some(b), Some(c)) if b > 0.0 => {
            let pct = (c - b) / b * 100.0;
            if pct > threshold_pct {
                Status::Regression
            } else if pct < -threshold_pct {
                Status::Improved
            } else {
                Status::Unchanged
            }
        }
        // From zero: no percentage, and any growth is past the threshold.
        (Some(b), Some(c)) if c > b => Status::Regression,
        _ => Status::Unchanged,
    }
}

fn compare_turns(base: &Report, current: &Report, threshold_pct: f64) -> Option<TurnComparison> {
    let (b, c) = (base.turns.as_ref(), current.turns.as_ref());
    if b.is_none() && c.is_none() {
        return None;
    }
    let parts_of = |t: Option<&TurnReport>| {
        t.and_then(|t| t.waterfall.as_ref())
            .map(|w| w.parts.clone())
            .unwrap_or_default()
    };
    let (bp, cp) = (parts_of(b), parts_of(c));
    let mut names: Vec<&String> = cp.iter().map(|p| &p.name).collect();
    names.extend(
        bp.iter()
            .map(|p| &p.name)
            .filter(|n| !cp.iter().any(|p| &p.name == *n)),
    );
    let parts = names
        .into_iter()
        .map(|name| {
            let x = bp.iter().find(|p| &p.name == name);
            let y = cp.iter().find(|p| &p.name == name);
            let pair = |f: fn(&crate::model::WaterfallPart) -> f64| Pair {
                base: x.map(f),
                current: y.map(f),
            };
            let p95_ms = pair(|p| p.per_turn.p95);
            PartRow {
                part: name.clone(),
                share_pct: pair(|p| p.share_pct),
                p50_ms: pair(|p| p.per_turn.median),
                status: status_of(p95_ms.base, p95_ms.current, threshold_pct),
                p95_ms,
            }
        })
        .collect();
    let pair = |f: &dyn Fn(&Report) -> Option<f64>| Pair {
        base: f(base),
        current: f(current),
    };
    Some(TurnComparison {
        parts,
        interruption_rate_pct: pair(&|r| r.turns.as_ref().map(|t| t.interruptions.rate_pct)),
        interruption_p95_ms: pair(&|r| {
            r.turns
                .as_ref()
                .filter(|t| t.interruptions.latency.count > 0)
                .map(|t| t.interruptions.latency.p95)
        }),
        turns_per_sec: pair(&|r| r.sessions.as_ref().map(|s| s.turns_per_sec)),
        peak_concurrent_sessions: pair(&|r| r.sessions.as_ref().map(|s| s.peak_concurrent as f64)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn report(parts: &[(&str, f64, f64)], interrupted_pct: f64) -> Report {
        Report {
            schema: SCHEMA.into(),
            timestamp: String::new(),
            duration_sec: 1.0,
            lang: Lang::En,
            components: Default::default(),
            turns: Some(TurnReport {
                waterfall: Some(Waterfall {
                    parts: parts
                        .iter()
                        .map(|(n, share, p95)| WaterfallPart {
                            name: n.to_string(),
                            share_pct: *share,
                            per_turn: LatencyStats {
                                p95: *p95,
                                ..LatencyStats::default()
                            },
                            ..WaterfallPart::default()
                        })
                        .collect(),
                    ..Waterfall::default()
                }),
                interruptions: Interruptions {
                    rate_pct: interrupted_pct,
                    ..Interruptions::default()
                },
                ..TurnReport::default()
            }),
            sessions: None,
            bottlenecks: vec![],
            recommendations: vec![],
            findings: vec![],
            memory: None,
            gpu: GpuReport::default(),
            run: RunInfo::default(),
            trace: None,
        }
    }

    #[test]
    fn the_waterfall_says_which_part_moved_without_failing_the_comparison() {
        let base = report(
            &[
                ("stt", 20.0, 100.0),
                ("llm", 50.0, 250.0),
                ("tts", 30.0, 150.0),
            ],
            5.0,
        );
        let current = report(
            &[
                ("stt", 15.0, 100.0),
                ("llm", 60.0, 400.0),
                ("llm:streaming", 25.0, 170.0),
            ],
            12.5,
        );
        let c = Comparison::new(
            Path::new("a"),
            &base,
            Path::new("b"),
            &current,
            10.0,
            &[Percentile::P95],
        );
        let t = c.turns.as_ref().unwrap();
        let row = |n: &str| t.parts.iter().find(|p| p.part == n).unwrap();
        assert_eq!(row("llm").status, Status::Regression);
        assert_eq!(row("llm").p95_ms.delta(), Some(150.0));
        assert_eq!(row("llm").share_pct.delta(), Some(10.0));
        assert_eq!(row("stt").status, Status::Unchanged);
        assert_eq!(row("llm:streaming").status, Status::New);
        assert_eq!(row("tts").status, Status::Gone);
        assert_eq!(
            t.parts.iter().map(|p| p.part.as_str()).collect::<Vec<_>>(),
            ["stt", "llm", "llm:streaming", "tts"]
        );
        assert_eq!(t.interruption_rate_pct.delta(), Some(7.5));
        // Explains; only component rows are regressions.
        assert_eq!(c.regressions().count(), 0);
    }

    fn with_tts_p95(p95: f64) -> Report {
        let mut r = report(&[], 0.0);
        r.turns = None;
        r.components.insert(
            "tts".into(),
            ComponentReport {
                latency: LatencyStats {
                    count: 10,
                    p95,
                    ..LatencyStats::default()
                },
                ..ComponentReport::default()
            },
        );
        r
    }

    #[test]
    fn a_slow_down_from_a_zero_baseline_is_a_regression() {
        let p = Path::new("r.json");
        let c = Comparison::new(
            p,
            &with_tts_p95(0.0),
            p,
            &with_tts_p95(50.0),
            10.0,
            &[Percentile::P95],
        );
        let row = &c.rows[0];
        assert_eq!(
            (row.status, row.delta_pct, row.delta_ms),
            (Status::Regression, None, Some(50.0))
        );
        let same = Comparison::new(
            p,
            &with_tts_p95(0.0),
            p,
            &with_tts_p95(0.0),
            10.0,
            &[Percentile::P95],
        );
        assert_eq!(same.rows[0].status, Status::Unchanged);
    }
}
