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

use crate::model::{LatencyStats, Report};
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
                let status = match (b, c, delta_pct) {
                    (None, _, _) => Status::New,
                    (_, None, _) => Status::Gone,
                    (_, _, Some(pct)) if pct > threshold_pct => Status::Regression,
                    (_, _, Some(pct)) if pct < -threshold_pct => Status::Improved,
                    // From zero: no percentage, and any growth is past the threshold.
                    (_, _, None) if delta_ms.is_some_and(|d| d > 0.0) => Status::Regression,
                    _ => Status::Unchanged,
                };
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
        }
    }

    /// The rows found to be regressions.
    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.status == Status::Regression)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ComponentReport, LatencyStats};

    fn report(p95: f64) -> Report {
        let mut r = Report {
            schema: crate::model::SCHEMA.into(),
            timestamp: String::new(),
            duration_sec: 1.0,
            lang: Default::default(),
            components: Default::default(),
            turns: None,
            bottlenecks: vec![],
            recommendations: vec![],
            findings: vec![],
            memory: None,
            gpu: Default::default(),
            run: Default::default(),
        };
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
        let c = Comparison::new(p, &report(0.0), p, &report(50.0), 10.0, &[Percentile::P95]);
        let row = &c.rows[0];
        assert_eq!(
            (row.status, row.delta_pct, row.delta_ms),
            (Status::Regression, None, Some(50.0))
        );
        let same = Comparison::new(p, &report(0.0), p, &report(0.0), 10.0, &[Percentile::P95]);
        assert_eq!(same.rows[0].status, Status::Unchanged);
    }
}
