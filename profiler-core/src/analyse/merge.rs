//! One report from the reports of several processes or machines.
//!
//! Each input component is read back into mergeable totals (its histograms decoded and
//! checked against the counts the report states), the totals are added, and the merged
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
//!   and each session's E2E histogram add (sessions of the same id are one session);
//!   the peak of concurrent sessions adds (processes side by side); the kept turns
//!   are chosen again from the inputs' kept turns (the slowest exactly; the sample
//!   spread over the inputs' samples; the P50 and P95 turns the kept turns nearest
//!   the merged percentiles);
//! - `run.merged_from` is the number of processes behind the report.

use super::figures::{self, ComponentInput};
use crate::aggregate::{
    self, ComponentTotals, HeapTotals, MemoryTotals, PartTotals, RssShareTotals, SessionTotals,
    TurnTotals,
};
use crate::model::histogram::decode_histogram;
use crate::model::*;
use hdrhistogram::Histogram;
use indexmap::IndexMap;
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
    /// A histogram that does not decode.
    #[error("{path}: component {name:?}: {what} cannot be merged: {source}")]
    Histogram {
        /// The input.
        path: PathBuf,
        /// The component.
        name: String,
        /// Which histogram.
        what: &'static str,
        /// Why it does not decode.
        source: HistogramError,
    },
    /// A histogram holding another number of samples than the report states.
    #[error("{path}: component {name:?}: {what} holds {found} samples but the report says {stated}; the file was edited or cut short")]
    Count {
        /// The input.
        path: PathBuf,
        /// The component.
        name: String,
        /// Which histogram.
        what: &'static str,
        /// Samples in the histogram.
        found: u64,
        /// Samples the report states.
        stated: u64,
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
}

/// Merges `inputs` (path, report) into one report, or says which input cannot be merged.
pub fn merge(inputs: &[(PathBuf, Report)]) -> Result<Report, MergeError> {
    let Some((_, first)) = inputs.first() else {
        return Err(MergeError::Empty);
    };
    let mut merged: IndexMap<String, (ComponentInput, &Path)> = IndexMap::new();
    let mut turns = TurnTotals {
        max_tracked_sessions: 0,
        ..TurnTotals::default()
    };
    for (path, r) in inputs {
        turns
            .merge(&turn_totals_of(path, r)?)
            .map_err(|source| MergeError::Totals {
                path: path.clone(),
                name: "turn".into(),
                source,
            })?;
        for (name, c) in &r.components {
            let totals = totals_of(path, name, c, r)?;
            match merged.get_mut(name) {
                None => {
                    let input = ComponentInput {
                        name: name.clone(),
                        kind: c.kind,
                        source: c.source,
                        functions: c.functions.clone(),
                        labels: c.labels.clone(),
                        target: c.target_ms.zip(c.target_source),
                        totals,
                    };
                    merged.insert(name.clone(), (input, path));
                }
                Some((into, first_path)) => {
                    if into.kind != c.kind {
                        return Err(MergeError::KindMismatch {
                            name: name.clone(),
                            first: kind_name(into.kind),
                            first_path: first_path.to_path_buf(),
                            other: kind_name(c.kind),
                            other_path: path.clone(),
                        });
                    }
                    into.totals
                        .merge(&totals)
                        .map_err(|source| MergeError::Totals {
                            path: path.clone(),
                            name: name.clone(),
                            source,
                        })?;
                    if into.target.is_none() {
                        into.target = c.target_ms.zip(c.target_source);
                    }
                    for f in &c.functions {
                        if !into.functions.contains(f) {
                            into.functions.push(f.clone());
                        }
                    }
                    for (k, v) in &c.labels {
                        into.labels.entry(k.clone()).or_insert_with(|| v.clone());
                    }
                }
            }
        }
    }
    let inputs_merged: Vec<ComponentInput> = merged.into_values().map(|(c, _)| c).collect();
    let figures::Figures {
        components,
        turns,
        sessions,
    } = figures::components(&inputs_merged, &turns, first.run.sample_rate);
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
            sample_rate: first.run.sample_rate,
            warmup: first.run.warmup,
            merged_from: inputs.iter().map(|(_, r)| r.run.merged_from.max(1)).sum(),
        },
    };
    super::assess(&mut report);
    Ok(report)
}

/// A report's histogram, checked against the sample count the report states.
fn histogram(
    path: &Path,
    name: &str,
    what: &'static str,
    encoded: &str,
    stated: u64,
) -> Result<Histogram<u64>, MergeError> {
    let h = decode_histogram(encoded).map_err(|source| MergeError::Histogram {
        path: path.to_path_buf(),
        name: name.into(),
        what,
        source,
    })?;
    if h.len() != stated {
        return Err(MergeError::Count {
            path: path.to_path_buf(),
            name: name.into(),
            what,
            found: h.len(),
            stated,
        });
    }
    Ok(h)
}

/// The totals a report's component stands for.
fn totals_of(
    path: &Path,
    name: &str,
    c: &ComponentReport,
    r: &Report,
) -> Result<ComponentTotals, MergeError> {
    let mut t = ComponentTotals {
        latency: histogram(
            path,
            name,
            "the latency histogram",
            &c.histogram,
            c.latency.count,
        )?,
        errors: c.counts.errors,
        cancelled: c.counts.cancelled,
        warmup_excluded: c.counts.warmup_excluded,
        active_sec: c.active_sec,
        allocations: c.allocations.as_ref().map(|a| (a.bytes, a.count)),
        gpu: c.gpu.clone(),
        ..ComponentTotals::default()
    };
    if let Some(s) = &c.stream {
        t.stream_total = histogram(
            path,
            name,
            "the stream histogram",
            &s.histogram,
            s.total.count,
        )?;
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

/// The turn totals a report stands for (its waterfall, interruptions, sessions and
/// kept turns), every histogram checked against the count the report states.
fn turn_totals_of(path: &Path, r: &Report) -> Result<TurnTotals, MergeError> {
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
                        path,
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
            path,
            "turn",
            "the interruption histogram",
            &i.histogram,
            i.latency.count,
        )?;
        t.records = turns.records.clone();
    }
    if let Some(s) = &r.sessions {
        t.sessions_opened = s.opened;
        t.peak_concurrent_sessions = s.peak_concurrent;
        t.untracked_sessions = s.untracked;
        t.turns_without_session = s.turns_without_session;
        t.max_tracked_sessions = s.max_tracked;
        for x in &s.sessions {
            t.sessions.push(SessionTotals {
                id: x.id.clone(),
                e2e: histogram(
                    path,
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

/// A kind as the report file spells it (`first_item`).
fn kind_name(kind: Kind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{kind:?}"))
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
