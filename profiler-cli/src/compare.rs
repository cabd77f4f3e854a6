//! `profiler compare`: each component's percentiles in a current report against a
//! baseline, with the change in ms and percent and the regressions over a threshold.
//!
//! A percentile is a regression when it grew by more than the threshold (in percent of
//! the baseline figure), and an improvement when it shrank by more than the threshold.
//! Components present on one side only are listed as new or gone, never as regressions.

use profiler_core::report::{LatencyStats, Report};
use serde_json::{json, Value};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A percentile the comparison reads from each component's latency figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Percentile {
    P50,
    P95,
    P99,
}

impl Percentile {
    fn name(self) -> &'static str {
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
}

/// Parses `p50`/`median`, `p95`, `p99` (any case).
pub fn parse_percentile(s: &str) -> Result<Percentile, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "p50" | "median" => Ok(Percentile::P50),
        "p95" => Ok(Percentile::P95),
        "p99" => Ok(Percentile::P99),
        _ => Err(format!("{s:?} is not a percentile; use p50, p95 or p99")),
    }
}

/// Parses a threshold in percent: `10`, `10%`, `7.5`.
pub fn parse_threshold(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a percentage; use e.g. 10 or 10%"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{s:?} is not a percentage of 0 or more"));
    }
    Ok(v)
}

/// How one percentile moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Regression,
    Improved,
    Unchanged,
    /// Only in the current report.
    New,
    /// Only in the baseline.
    Gone,
}

impl Status {
    fn word(self) -> &'static str {
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
#[derive(Clone, Debug)]
pub struct Row {
    pub component: String,
    pub percentile: Percentile,
    pub base_ms: Option<f64>,
    pub current_ms: Option<f64>,
    pub base_samples: u64,
    pub current_samples: u64,
    pub status: Status,
}

impl Row {
    pub fn delta_ms(&self) -> Option<f64> {
        Some(self.current_ms? - self.base_ms?)
    }

    pub fn delta_pct(&self) -> Option<f64> {
        let base = self.base_ms.filter(|b| *b > 0.0)?;
        Some(self.delta_ms()? / base * 100.0)
    }
}

/// A whole comparison.
pub struct Comparison {
    pub base: PathBuf,
    pub current: PathBuf,
    pub base_timestamp: String,
    pub current_timestamp: String,
    pub threshold_pct: f64,
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
                let mut row = Row {
                    component: name.clone(),
                    percentile: p,
                    base_ms: b.map(|x| p.of(&x.latency)),
                    current_ms: c.map(|x| p.of(&x.latency)),
                    base_samples: b.map_or(0, |x| x.latency.count),
                    current_samples: c.map_or(0, |x| x.latency.count),
                    status: Status::Unchanged,
                };
                row.status = match (b, c, row.delta_pct()) {
                    (None, _, _) => Status::New,
                    (_, None, _) => Status::Gone,
                    (_, _, Some(pct)) if pct > threshold_pct => Status::Regression,
                    (_, _, Some(pct)) if pct < -threshold_pct => Status::Improved,
                    _ => Status::Unchanged,
                };
                rows.push(row);
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

    pub fn regressions(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.status == Status::Regression)
            .count()
    }

    /// The comparison as a table, then one line with the verdict.
    pub fn table(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "base:    {} ({})",
            self.base.display(),
            self.base_timestamp
        );
        let _ = writeln!(
            o,
            "current: {} ({})",
            self.current.display(),
            self.current_timestamp
        );
        let _ = writeln!(o, "threshold: {} %\n", fmt_num(self.threshold_pct));
        let width = self
            .rows
            .iter()
            .map(|r| r.component.chars().count())
            .max()
            .unwrap_or(0)
            .max(9);
        let _ = writeln!(
            o,
            "{:<width$}  {:<4} {:>11} {:>11} {:>10} {:>9}  status",
            "component", "pct", "base ms", "current ms", "Δ ms", "Δ %"
        );
        let _ = writeln!(o, "{}", "-".repeat(width + 58));
        let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
        for r in &self.rows {
            let flag = match r.status {
                Status::Regression => "REGRESSION".to_string(),
                s => s.word().to_string(),
            };
            let _ = writeln!(
                o,
                "{:<width$}  {:<4} {:>11} {:>11} {:>10} {:>9}  {flag}",
                r.component,
                r.percentile.name(),
                cell(r.base_ms),
                cell(r.current_ms),
                r.delta_ms().map_or("-".into(), |d| format!("{d:+.2}")),
                r.delta_pct().map_or("-".into(), |d| format!("{d:+.1}%")),
            );
        }
        let found: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.status == Status::Regression)
            .map(|r| {
                format!(
                    "{} {} {:+.1}%",
                    r.component,
                    r.percentile.name(),
                    r.delta_pct().unwrap_or(0.0)
                )
            })
            .collect();
        let _ = writeln!(o);
        if found.is_empty() {
            let _ = writeln!(o, "No regression over {} %.", fmt_num(self.threshold_pct));
        } else {
            let _ = writeln!(
                o,
                "{} regression{} over {} %: {}",
                found.len(),
                if found.len() == 1 { "" } else { "s" },
                fmt_num(self.threshold_pct),
                found.join(", ")
            );
        }
        o
    }

    /// The comparison as one JSON object, for CI.
    pub fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "component": r.component,
                    "percentile": r.percentile.name().to_ascii_lowercase(),
                    "base_ms": r.base_ms,
                    "current_ms": r.current_ms,
                    "delta_ms": r.delta_ms(),
                    "delta_pct": r.delta_pct(),
                    "base_samples": r.base_samples,
                    "current_samples": r.current_samples,
                    "status": r.status.word(),
                })
            })
            .collect();
        json!({
            "base": self.base.display().to_string(),
            "current": self.current.display().to_string(),
            "base_timestamp": self.base_timestamp,
            "current_timestamp": self.current_timestamp,
            "threshold_pct": self.threshold_pct,
            "regressions": self.regressions(),
            "rows": rows,
        })
    }
}

fn fmt_num(v: f64) -> String {
    if v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}
