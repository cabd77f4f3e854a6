//! Whether a report read from a file can be believed, before anything is judged from it.
//!
//! A report file is input from anywhere: cut short, hand-edited, or written to attack
//! the reader. Every tool that reads one (merge, compare, show) checks it here first, so
//! no verdict comes from figures that cannot be:
//!
//! - each histogram decodes (bounded: `model::histogram`), and holds the number of
//!   samples the report states (`latency.count`, `counts.samples`, `stream.total.count`,
//!   `stream.completed`);
//! - each latency figure (mean, median, P95, P99, std, min, max) is the one its histogram
//!   gives, within 0.1 % (so a hand-edited `p95: -5` is refused, not "improved");
//! - durations, throughputs and targets are finite, and not negative (targets positive).
//!
//! Histograms are decoded one component at a time and dropped, so checking a report
//! takes memory for one component, and time in proportion to its size.

use super::stats::latency_stats;
use crate::model::histogram::decode_histogram;
use crate::model::text::{printable, MAX_SHOWN_NAME_CHARS};
use crate::model::{ComponentReport, HistogramError, LatencyStats, Report};
use hdrhistogram::Histogram;

/// Relative difference allowed between a stated figure and the one its histogram gives.
const RELATIVE_TOLERANCE: f64 = 1e-3;
/// Absolute difference allowed, ms (1 µs: below any figure a report shows).
const ABSOLUTE_TOLERANCE_MS: f64 = 1e-3;

/// Why a report cannot be believed. Component names are shown printable and bounded.
#[derive(Debug, thiserror::Error)]
pub enum InvalidReport {
    /// A histogram that does not decode.
    #[error("component {component:?}: {what} cannot be read: {source}")]
    Histogram {
        /// The component.
        component: String,
        /// Which histogram.
        what: &'static str,
        /// Why it does not decode.
        source: HistogramError,
    },
    /// A count that disagrees with its histogram.
    #[error("component {component:?}: {what} says {stated} but its histogram holds {found} samples; the file was edited or cut short")]
    Count {
        /// The component.
        component: String,
        /// Which count.
        what: &'static str,
        /// Samples in the histogram.
        found: u64,
        /// What the report states.
        stated: u64,
    },
    /// A latency figure that is not the one its histogram gives.
    #[error("component {component:?}: {what} says {stated} ms but its histogram gives {derived} ms; the file was edited")]
    Figure {
        /// The component.
        component: String,
        /// Which figure (`latency.p95`...).
        what: String,
        /// What the report states.
        stated: f64,
        /// What the histogram gives.
        derived: f64,
    },
    /// A figure that cannot be (negative, or not finite).
    #[error("{place}: {what} is {value}, which cannot be; the file was edited")]
    Impossible {
        /// `the report` or the component.
        place: String,
        /// Which figure.
        what: &'static str,
        /// Its value.
        value: f64,
    },
}

/// A component's histograms, decoded and checked against its figures.
pub(crate) struct Decoded {
    /// The latency histogram.
    pub(crate) latency: Histogram<u64>,
    /// The whole-stream histogram of a `first_item` component.
    pub(crate) stream: Option<Histogram<u64>>,
}

/// Checks `report` (see the module docs); the first problem found is the error.
pub fn check(report: &Report) -> Result<(), InvalidReport> {
    report_figures(report)?;
    for (name, c) in &report.components {
        component(name, c)?;
    }
    turns(report)
}

/// Checks the turn histograms (waterfall parts, interruptions, sessions) against the
/// counts the report states.
pub(crate) fn turns(report: &Report) -> Result<(), InvalidReport> {
    if let Some(t) = &report.turns {
        if let Some(w) = &t.waterfall {
            for p in &w.parts {
                histogram("turn", "a waterfall part histogram", &p.histogram, w.turns)?;
            }
        }
        let i = &t.interruptions;
        histogram(
            "turn",
            "the interruption histogram",
            &i.histogram,
            i.latency.count,
        )?;
    }
    if let Some(s) = &report.sessions {
        for x in &s.sessions {
            histogram(
                &x.id,
                "a session's E2E histogram",
                &x.histogram,
                x.e2e.count,
            )?;
        }
    }
    Ok(())
}

/// Decodes `encoded`, the histogram `what` of `component`, and checks it holds the
/// `stated` number of samples.
pub(crate) fn histogram(
    component: &str,
    what: &'static str,
    encoded: &str,
    stated: u64,
) -> Result<Histogram<u64>, InvalidReport> {
    let h = decode(component, what, encoded)?;
    count(component, what, h.len(), stated)?;
    Ok(h)
}

/// `component` as an error shows it.
fn shown(component: &str) -> String {
    printable(component, MAX_SHOWN_NAME_CHARS).into_owned()
}

/// Decodes `encoded`, the histogram `what` of `component`.
fn decode(
    component: &str,
    what: &'static str,
    encoded: &str,
) -> Result<Histogram<u64>, InvalidReport> {
    decode_histogram(encoded).map_err(|source| InvalidReport::Histogram {
        component: shown(component),
        what,
        source,
    })
}

/// Whether the count `what` of `component` states the `found` samples.
fn count(
    component: &str,
    what: &'static str,
    found: u64,
    stated: u64,
) -> Result<(), InvalidReport> {
    if found == stated {
        return Ok(());
    }
    Err(InvalidReport::Count {
        component: shown(component),
        what,
        found,
        stated,
    })
}

/// Checks the report-wide figures (not the components).
pub(crate) fn report_figures(report: &Report) -> Result<(), InvalidReport> {
    not_negative("the report", "duration_sec", report.duration_sec)
}

/// Checks one component and returns its decoded histograms.
pub(crate) fn component(name: &str, c: &ComponentReport) -> Result<Decoded, InvalidReport> {
    let place = || format!("component {:?}", shown(name));
    not_negative(&place(), "throughput_per_sec", c.throughput_per_sec)?;
    not_negative(&place(), "active_sec", c.active_sec)?;
    if let Some(t) = c.target_ms {
        if !(t.is_finite() && t > 0.0) {
            return Err(InvalidReport::Impossible {
                place: place(),
                what: "target_ms",
                value: t,
            });
        }
    }
    let latency = decode(name, "the latency histogram", &c.histogram)?;
    count(name, "latency.count", latency.len(), c.latency.count)?;
    count(name, "counts.samples", latency.len(), c.counts.samples)?;
    figures(name, "latency", &c.latency, &latency)?;
    let stream = match &c.stream {
        None => None,
        Some(s) => {
            let h = decode(name, "the stream histogram", &s.histogram)?;
            count(name, "stream.total.count", h.len(), s.total.count)?;
            count(name, "stream.completed", h.len(), s.completed)?;
            figures(name, "stream.total", &s.total, &h)?;
            Some(h)
        }
    };
    Ok(Decoded { latency, stream })
}

fn not_negative(place: &str, what: &'static str, value: f64) -> Result<(), InvalidReport> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(InvalidReport::Impossible {
            place: place.to_string(),
            what,
            value,
        })
    }
}

/// Each stated latency figure against the one the histogram gives.
fn figures(
    component: &str,
    prefix: &'static str,
    stated: &LatencyStats,
    h: &Histogram<u64>,
) -> Result<(), InvalidReport> {
    let derived = latency_stats(h);
    let pairs = [
        ("mean", stated.mean, derived.mean),
        ("median", stated.median, derived.median),
        ("p95", stated.p95, derived.p95),
        ("p99", stated.p99, derived.p99),
        ("std", stated.std, derived.std),
        ("min", stated.min, derived.min),
        ("max", stated.max, derived.max),
    ];
    for (what, s, d) in pairs {
        let close =
            (s - d).abs() <= RELATIVE_TOLERANCE * d.abs().max(s.abs()) + ABSOLUTE_TOLERANCE_MS;
        if !close {
            return Err(InvalidReport::Figure {
                component: shown(component),
                what: format!("{prefix}.{what}"),
                stated: s,
                derived: d,
            });
        }
    }
    Ok(())
}
