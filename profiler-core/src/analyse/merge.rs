//! One report from the reports of several processes or machines.
//!
//! Each input component is read back into mergeable totals (its histograms decoded and
//! checked against the figures the report states: `validate`), the totals are added
//! (every sum checked: an overflow is an error, never a wrap), and the merged
//! report is built from them by the same code as a live report (`figures`), then
//! judged again (`assess`). So:
//!
//! - latency and stream percentiles come from the sum of the histograms: exactly those
//!   of one report holding all the samples, never averaged;
//! - counts, stream items, allocations and turn time add up; per-component memory
//!   too: shares of RSS change, live heap bytes (allocated, freed, gained after
//!   warm-up) and their growth per minute add (processes side by side), so the merged
//!   `memory_delta_mb` is the sum of the inputs'; the process RSS around a
//!   component's intervals takes the lowest first and the highest last reading;
//! - throughput is the merged count over the longest input's active window (the
//!   processes are taken to have run side by side: a fleet's throughput), FPS is
//!   1000 / mean merged frame time, as in one process;
//! - process memory is the input whose RSS grew most, timeline included, unchanged:
//!   RSS of different processes is not added, and one process's leak is not diluted;
//! - GPUs: every input's devices are kept with their own samples (a device name gets
//!   `(input N)` when more than one input has GPU data); per-component GPU figures are
//!   sample-weighted means and maxima;
//! - turns: each waterfall part's per-turn histogram and exact sums add (a part
//!   missing from an input counts 0 for each of its turns), so part percentiles and
//!   shares of delay are those of one report holding every turn; interruption latency
//!   and each session's E2E histogram add; sessions and kept turns are told apart by
//!   input (ids are per process: two processes' `session-1` are two sessions, shown
//!   as `session-1 (input 1)` and `session-1 (input 2)`);
//!   the peak of concurrent sessions adds (processes side by side); the kept turns
//!   are chosen again from the inputs' kept turns (the slowest exactly; the sample
//!   spread over the inputs' samples; the P50 and P95 turns the kept turns nearest
//!   the merged percentiles);
//! - `run.merged_from` is the number of processes behind the report.

use super::figures::{self, ComponentInput, TurnTime};
use super::validate::{self, InvalidReport};
use crate::aggregate::{
    self, ComponentTotals, HeapTotals, KeptTurn, MemoryTotals, PartTotals, RssShareTotals,
    SessionTotals, TurnTotals,
};
use crate::model::*;
use hdrhistogram::Histogram;
use indexmap::IndexMap;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

const MB: f64 = 1024.0 * 1024.0;

/// Why reports cannot be merged. Nothing is written when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No input.
    #[error("nothing to merge")]
    Empty,
    /// One component measured two ways.
    #[error("component {name:?} is measured as {first} in {first_path} but as {other} in {other_path}; such reports cannot be merged")]
    KindMismatch {
        /// The component.
        name: String,
        /// Its kind in the first input that has it.
        first: String,
        /// That input.
        first_path: PathBuf,
        /// Its other kind.
        other: String,
        /// The input measuring it so.
        other_path: PathBuf,
    },
    /// An input whose figures cannot be believed (see `analyse::validate`).
    #[error("{path}: {source}")]
    Invalid {
        /// The input.
        path: PathBuf,
        /// What is wrong with it.
        source: InvalidReport,
    },
    /// Totals that cannot be added (a count overflowing).
    #[error("{path}: component {name:?}: {source}")]
    Totals {
        /// The input.
        path: PathBuf,
        /// The component.
        name: String,
        /// What went wrong.
        source: aggregate::MergeError,
    },
    /// A report-wide count that overflows when the reports are added.
    #[error("the {0} count overflows when the reports are added")]
    Overflow(&'static str),
}

/// Merges `inputs` (path, report) into one report, or says which input cannot be merged.
///
/// Time and memory grow linearly with the inputs: every component's inputs are found
/// first (their kinds checked, so nothing is decoded for reports that cannot be
/// merged), then one component at a time is decoded, added up, turned into its report
/// and its histograms dropped, so at most one component's histograms are held at once.
pub fn merge(inputs: &[(PathBuf, Report)]) -> Result<Report, MergeError> {
    let Some((_, first)) = inputs.first() else {
        return Err(MergeError::Empty);
    };
    let merged_from = inputs.iter().try_fold(0u32, |sum, (_, r)| {
        sum.checked_add(r.run.merged_from.max(1))
            .ok_or(MergeError::Overflow("merged process"))
    })?;
    // Each component's (input index, its report there), in the order they first appear.
    let mut by_name: IndexMap<&str, Vec<(usize, &ComponentReport)>> = IndexMap::new();
    let mut turn_totals = TurnTotals {
        max_tracked_sessions: 0,
        ..TurnTotals::default()
    };
    for (i, (path, r)) in inputs.iter().enumerate() {
        validate::report_figures(r).map_err(|source| MergeError::Invalid {
            path: path.clone(),
            source,
        })?;
        turn_totals
            .merge(&turn_totals_of(i as u32, path, r)?)
            .map_err(|source| MergeError::Totals {
                path: path.clone(),
                name: "turn".into(),
                source,
            })?;
        for (name, c) in &r.components {
            let seen = by_name.entry(name.as_str()).or_default();
            if let Some(&(j, other)) = seen.first() {
                if other.kind != c.kind {
                    return Err(MergeError::KindMismatch {
                        name: name.clone(),
                        first: other.kind.name().to_string(),
                        first_path: inputs[j].0.clone(),
                        other: c.kind.name().to_string(),
                        other_path: path.clone(),
                    });
                }
            }
            seen.push((i, c));
        }
    }
    let sample_rate = first.run.sample_rate;
    let mut components = IndexMap::with_capacity(by_name.len());
    let mut times = Vec::with_capacity(by_name.len());
    for (name, from) in by_name {
        let input = merged_component(inputs, name, &from)?;
        let report =
            (!input.totals.is_empty()).then(|| figures::component_report(&input, sample_rate));
        times.push(TurnTime::of(&input, report.as_ref()));
        if let Some(r) = report {
            components.insert(name.to_string(), r);
        }
    }
    let figures::Figures {
        components,
        turns,
        sessions,
    } = figures::finish(components, &times, &turn_totals);
    let programs: Vec<&str> = inputs.iter().map(|(_, r)| r.run.program.as_str()).collect();
    let mut report = Report {
        schema: SCHEMA.to_string(),
        timestamp: inputs
            .iter()
            .map(|(_, r)| r.timestamp.clone())
            .max()
            .unwrap_or_default(),
        duration_sec: inputs
            .iter()
            .map(|(_, r)| r.duration_sec)
            .fold(0.0, f64::max),
        lang: first.lang,
        components,
        turns,
        sessions,
        bottlenecks: Vec::new(),
        recommendations: Vec::new(),
        findings: Vec::new(),
        memory: inputs
            .iter()
            .filter_map(|(_, r)| r.memory.as_ref())
            .max_by(|a, b| a.growth_mb.total_cmp(&b.growth_mb))
            .cloned(),
        gpu: gpu(inputs),
        run: RunInfo {
            program: if programs.iter().all(|p| *p == programs[0]) {
                programs[0].to_string()
            } else {
                "merged".into()
            },
            // No single process stands behind a merged report.
            pid: if inputs.len() == 1 { first.run.pid } else { 0 },
            sample_rate,
            warmup: first.run.warmup,
            merged_from,
        },
        // Timelines of several processes are not one timeline.
        trace: None,
    };
    super::assess(&mut report);
    Ok(report)
}

/// One component added up over the inputs that have it (`from`, never empty), each
/// input's histograms decoded, checked and added in turn.
fn merged_component(
    inputs: &[(PathBuf, Report)],
    name: &str,
    from: &[(usize, &ComponentReport)],
) -> Result<ComponentInput, MergeError> {
    let mut merged: Option<ComponentInput> = None;
    let mut functions: HashSet<String> = HashSet::new();
    for &(i, c) in from {
        let (path, r) = &inputs[i];
        let totals = totals_of(path, name, c, r)?;
        let Some(into) = merged.as_mut() else {
            functions.extend(c.functions.iter().cloned());
            merged = Some(ComponentInput {
                name: name.to_string(),
                kind: c.kind,
                source: c.source,
                functions: c.functions.clone(),
                labels: c.labels.clone(),
                target: c.target_ms.zip(c.target_source),
                totals,
            });
            continue;
        };
        into.totals
            .merge(&totals)
            .map_err(|source| MergeError::Totals {
                path: path.clone(),
                name: name.to_string(),
                source,
            })?;
        if into.target.is_none() {
            into.target = c.target_ms.zip(c.target_source);
        }
        for f in &c.functions {
            if functions.insert(f.clone()) {
                into.functions.push(f.clone());
            }
        }
        for (k, v) in &c.labels {
            into.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    merged.ok_or(MergeError::Empty)
}

/// The totals a report's component stands for (its histograms checked against its
/// figures first).
fn totals_of(
    path: &Path,
    name: &str,
    c: &ComponentReport,
    r: &Report,
) -> Result<ComponentTotals, MergeError> {
    let decoded = validate::component(name, c).map_err(|source| MergeError::Invalid {
        path: path.to_path_buf(),
        source,
    })?;
    let mut t = ComponentTotals {
        latency: decoded.latency,
        errors: c.counts.errors,
        cancelled: c.counts.cancelled,
        warmup_excluded: c.counts.warmup_excluded,
        clamped: c.counts.clamped,
        active_sec: c.active_sec,
        allocations: c.allocations.as_ref().map(|a| (a.bytes, a.count)),
        gpu: c.gpu.clone(),
        ..ComponentTotals::default()
    };
    if let (Some(s), Some(h)) = (&c.stream, decoded.stream) {
        t.stream_total = h;
        t.items = s.items;
        t.streams_completed = s.completed;
        t.streams_cancelled = s.cancelled;
    }
    // Turn time: the turns' whole time for the turn component, a stage's share of it
    // for a stage.
    if let Some(turns) = &r.turns {
        let whole_ns = turns.mean_turn_ms * turns.count as f64 * 1e6;
        t.turn_ns = if c.kind == Kind::Turn {
            whole_ns.round() as u64
        } else {
            (c.turn_share_pct.unwrap_or(0.0) / 100.0 * whole_ns).round() as u64
        };
    }
    t.memory = memory_totals_of(c);
    Ok(t)
}

/// The memory totals a report's component stands for. MB figures are bytes divided
/// by 2^20, so they come back to the byte.
fn memory_totals_of(c: &ComponentReport) -> MemoryTotals {
    let bytes = |mb: f64| (mb * MB).round() as i64;
    let Some(m) = &c.memory else {
        // A growth without figures (an older report): it stands as stated.
        return MemoryTotals {
            stated_delta: c.memory_delta_mb.map(bytes),
            ..MemoryTotals::default()
        };
    };
    MemoryTotals {
        rss: m.rss_share.as_ref().map(|r| RssShareTotals {
            probes: r.probes,
            running_ns: (r.running_sec * 1e9).round() as u64,
            share: bytes(r.share_mb),
            since_baseline: bytes(r.since_baseline_mb),
            growth_per_min: r.growth_mb_per_min * MB,
            rss_first: bytes(r.process_rss_first_mb) as u64,
            rss_last: bytes(r.process_rss_last_mb) as u64,
            vms_first: bytes(r.process_vms_first_mb) as u64,
            vms_last: bytes(r.process_vms_last_mb) as u64,
        }),
        heap: m.heap.as_ref().map(|h| HeapTotals {
            allocated: bytes(h.allocated_mb) as u64,
            freed: bytes(h.freed_mb) as u64,
            since_baseline: bytes(h.since_baseline_mb),
            growth_per_min: h.growth_mb_per_min * MB,
        }),
        stated_delta: None,
    }
}

/// The turn totals a report (input `input`) stands for (its waterfall, interruptions,
/// sessions and kept turns), every histogram checked against the count the report
/// states.
fn turn_totals_of(input: u32, path: &Path, r: &Report) -> Result<TurnTotals, MergeError> {
    let histogram =
        |name: &str, what, encoded: &str, stated| -> Result<Histogram<u64>, MergeError> {
            validate::histogram(name, what, encoded, stated).map_err(|source| MergeError::Invalid {
                path: path.to_path_buf(),
                source,
            })
        };
    let mut t = TurnTotals {
        max_tracked_sessions: 0,
        ..TurnTotals::default()
    };
    if let Some(turns) = &r.turns {
        if let Some(w) = &turns.waterfall {
            t.waterfall_turns = w.turns;
            t.e2e_ns = w.total_e2e_ns;
            for p in &w.parts {
                t.parts.push(PartTotals {
                    name: p.name.clone(),
                    kind: p.kind,
                    component: p.component.clone(),
                    after: p.after.clone(),
                    before: p.before.clone(),
                    per_turn: histogram(
                        "turn",
                        "a waterfall part histogram",
                        &p.histogram,
                        w.turns,
                    )?,
                    total_ns: p.total_ns,
                    offset_ns: p.offset_ns,
                    turns_with: p.turns_with,
                });
            }
        }
        let i = &turns.interruptions;
        t.interrupted = i.count;
        t.interrupted_before_response = i.before_response;
        t.interruption_latency = histogram(
            "turn",
            "the interruption histogram",
            &i.histogram,
            i.latency.count,
        )?;
        t.records = turns
            .records
            .iter()
            .map(|record| KeptTurn {
                input,
                record: record.clone(),
            })
            .collect();
    }
    if let Some(s) = &r.sessions {
        t.sessions_opened = s.opened;
        t.peak_concurrent_sessions = s.peak_concurrent;
        t.untracked_sessions = s.untracked;
        t.turns_without_session = s.turns_without_session;
        t.max_tracked_sessions = s.max_tracked;
        for x in &s.sessions {
            t.sessions.push(SessionTotals {
                input,
                id: x.id.clone(),
                e2e: histogram(
                    &x.id,
                    "a session's E2E histogram",
                    &x.histogram,
                    x.e2e.count,
                )?,
                turns: x.turns,
                interrupted: x.interrupted,
                active_sec: x.active_sec,
                open: x.open,
            });
        }
    }
    Ok(t)
}

fn gpu(inputs: &[(PathBuf, Report)]) -> GpuReport {
    let with_data: Vec<(usize, &GpuReport)> = inputs
        .iter()
        .enumerate()
        .filter(|(_, (_, r))| r.gpu.available && !r.gpu.devices.is_empty())
        .map(|(i, (_, r))| (i, &r.gpu))
        .collect();
    let Some((_, first)) = with_data.first() else {
        return inputs
            .first()
            .map(|(_, r)| r.gpu.clone())
            .unwrap_or_default();
    };
    let several = with_data.len() > 1;
    let devices = with_data
        .iter()
        .flat_map(|(i, g)| {
            g.devices.iter().map(move |d| {
                let mut d = d.clone();
                if several {
                    d.name = format!("{} (input {})", d.name, i + 1);
                }
                d
            })
        })
        .collect();
    GpuReport {
        available: true,
        reason: None,
        interval_ms: with_data
            .iter()
            .map(|(_, g)| g.interval_ms)
            .filter(|i| *i > 0)
            .min()
            .unwrap_or(0),
        thresholds: first.thresholds,
        devices,
    }
}
