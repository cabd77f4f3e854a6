//! `profiler merge`: one report from the reports of several processes or machines.
//!
//! How each figure is merged:
//!
//! - latency and stream percentiles: the histograms are decoded, added and the
//!   statistics recomputed from the sum, so they equal those of one report holding all
//!   the samples; never averaged;
//! - counts, stream items, allocations and per-component memory deltas: summed;
//! - throughput (and FPS): summed, taking the inputs as processes that ran side by side
//!   (a fleet's throughput); `active_sec` is the longest input's window;
//! - per-component RSS/VMS before and after: the lowest before, the highest after, as
//!   across threads in one process;
//! - turn shares: each stage's turn time over all turns' time (shares weighted by each
//!   input's total turn time, which is exact);
//! - process memory: the input whose RSS grew most, timeline included, unchanged: RSS
//!   of different processes is not added, and one process's leak is not diluted;
//! - GPU: every input's devices are kept with their own samples (a device name gets
//!   `(input N)` when more than one input has GPU data); per-component GPU figures are
//!   sample-weighted means and maxima;
//! - severity, findings, bottlenecks and recommendations: judged again on the merged
//!   figures; `run.merged_from` is the number of processes behind the report.

use hdrhistogram::Histogram;
use indexmap::IndexMap;
use profiler_core::analyse::{self, stats};
use profiler_core::record::component::Kind;
use profiler_core::record::new_histogram;
use profiler_core::report::*;
use std::path::{Path, PathBuf};

/// Merges `inputs` (path, report) into one report, or says which input cannot be merged.
pub fn merge(inputs: &[(PathBuf, Report)]) -> Result<Report, String> {
    let Some((_, first)) = inputs.first() else {
        return Err("nothing to merge".into());
    };
    let mut by_name: IndexMap<&str, Vec<(&Path, &ComponentReport)>> = IndexMap::new();
    for (path, r) in inputs {
        for (name, c) in &r.components {
            by_name
                .entry(name.as_str())
                .or_default()
                .push((path.as_path(), c));
        }
    }
    let mut components = IndexMap::new();
    for (name, parts) in &by_name {
        components.insert(name.to_string(), component(name, parts)?);
    }
    let turns = turns(inputs);
    if let Some(t) = &turns {
        for (name, pct) in &t.shares_pct {
            if let Some(c) = components.get_mut(name) {
                c.turn_share_pct = Some(*pct);
            }
        }
    }
    let memory = inputs
        .iter()
        .filter_map(|(_, r)| r.memory.as_ref())
        .max_by(|a, b| a.growth_mb.total_cmp(&b.growth_mb))
        .cloned();
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
        bottlenecks: Vec::new(),
        recommendations: Vec::new(),
        findings: Vec::new(),
        memory,
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
    analyse::assess(&mut report);
    Ok(report)
}

/// Writes `report` to `output`: a file path, or an existing directory (then
/// `profile_<timestamp>.json` in it). Atomic: a reader never sees half a report.
pub fn write(report: &Report, output: &Path) -> Result<PathBuf, String> {
    if output.is_dir() {
        return json::write(report, output).map_err(|e| e.to_string());
    }
    if let Some(parent) = output.parent().filter(|p| !p.as_os_str().is_empty()) {
        json::ensure_dir(parent).map_err(|e| e.to_string())?;
    }
    let bytes = serde_json::to_vec_pretty(report)
        .map_err(|e| format!("cannot encode the merged report: {e}"))?;
    json::write_atomic(output, &bytes).map_err(|e| e.to_string())?;
    Ok(output.to_path_buf())
}

/// A report's histogram, checked against the sample count the report states.
fn histogram(
    path: &Path,
    name: &str,
    what: &str,
    encoded: &str,
    count: u64,
) -> Result<Histogram<u64>, String> {
    let h = stats::decode_histogram(encoded).map_err(|e| {
        format!(
            "{}: component {name:?}: {what} cannot be merged: {e}",
            path.display()
        )
    })?;
    if h.len() != count {
        return Err(format!(
            "{}: component {name:?}: {what} holds {} samples but the report says {count}; the file was edited or cut short",
            path.display(),
            h.len()
        ));
    }
    Ok(h)
}

fn component(name: &str, parts: &[(&Path, &ComponentReport)]) -> Result<ComponentReport, String> {
    let (first_path, first) = parts[0];
    let mut latency = new_histogram();
    let mut stream_total = new_histogram();
    for (path, c) in parts {
        if c.kind != first.kind {
            return Err(format!(
                "component {name:?} is measured as {} in {} but as {} in {}; such reports cannot be merged",
                kind_name(first.kind),
                first_path.display(),
                kind_name(c.kind),
                path.display()
            ));
        }
        let h = histogram(
            path,
            name,
            "the latency histogram",
            &c.histogram,
            c.latency.count,
        )?;
        latency
            .add(&h)
            .map_err(|e| format!("{}: component {name:?}: {e:?}", path.display()))?;
        if let Some(s) = &c.stream {
            let h = histogram(
                path,
                name,
                "the stream histogram",
                &s.histogram,
                s.total.count,
            )?;
            stream_total
                .add(&h)
                .map_err(|e| format!("{}: component {name:?}: {e:?}", path.display()))?;
        }
    }
    let sum = |f: fn(&ComponentReport) -> u64| parts.iter().map(|(_, c)| f(c)).sum::<u64>();
    let counts = Counts {
        samples: sum(|c| c.counts.samples),
        errors: sum(|c| c.counts.errors),
        cancelled: sum(|c| c.counts.cancelled),
        warmup_excluded: sum(|c| c.counts.warmup_excluded),
    };
    let throughput: f64 = parts.iter().map(|(_, c)| c.throughput_per_sec).sum();
    let mut functions: Vec<String> = Vec::new();
    let mut labels = first.labels.clone();
    for (_, c) in parts {
        for f in &c.functions {
            if !functions.contains(f) {
                functions.push(f.clone());
            }
        }
        for (k, v) in &c.labels {
            labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let deltas: Vec<f64> = parts
        .iter()
        .filter_map(|(_, c)| c.memory_delta_mb)
        .collect();
    let memories: Vec<&ComponentMemory> = parts
        .iter()
        .filter_map(|(_, c)| c.memory.as_ref())
        .collect();
    let memory = memories.split_first().map(|(first, rest)| {
        let mut m = (*first).clone();
        for o in rest {
            m.merge(o);
        }
        m
    });
    let streams: Vec<&StreamReport> = parts
        .iter()
        .filter_map(|(_, c)| c.stream.as_ref())
        .collect();
    let stream = (!streams.is_empty()).then(|| {
        let total = stats::latency_stats(&stream_total);
        let completed: u64 = streams.iter().map(|s| s.completed).sum();
        let cancelled: u64 = streams.iter().map(|s| s.cancelled).sum();
        let items: u64 = streams.iter().map(|s| s.items).sum();
        // The same definitions as a single process's report.
        let stream_secs = total.mean * total.count as f64 / 1e3;
        StreamReport {
            items_per_stream: if total.count > 0 {
                items as f64 / (completed + cancelled) as f64
            } else {
                0.0
            },
            items_per_sec: if stream_secs > 0.0 {
                items as f64 / stream_secs
            } else {
                0.0
            },
            total,
            completed,
            cancelled,
            items,
            histogram: stats::encode_histogram(&stream_total),
        }
    });
    let allocs: Vec<&AllocationReport> = parts
        .iter()
        .filter_map(|(_, c)| c.allocations.as_ref())
        .collect();
    let allocations = (!allocs.is_empty()).then(|| {
        let bytes: u64 = allocs.iter().map(|a| a.bytes).sum();
        let count: u64 = allocs.iter().map(|a| a.count).sum();
        let calls = (counts.samples + counts.errors + counts.warmup_excluded).max(1) as f64;
        AllocationReport {
            bytes,
            count,
            bytes_per_call: bytes as f64 / calls,
            count_per_call: count as f64 / calls,
        }
    });
    let gpus: Vec<&ComponentGpu> = parts.iter().filter_map(|(_, c)| c.gpu.as_ref()).collect();
    let gpu = (!gpus.is_empty()).then(|| {
        let samples: u64 = gpus.iter().map(|g| g.samples).sum();
        let weighted = |f: fn(&ComponentGpu) -> f64| {
            if samples == 0 {
                0.0
            } else {
                gpus.iter().map(|g| f(g) * g.samples as f64).sum::<f64>() / samples as f64
            }
        };
        ComponentGpu {
            samples,
            mean_util_pct: weighted(|g| g.mean_util_pct),
            max_util_pct: gpus.iter().map(|g| g.max_util_pct).fold(0.0, f64::max),
            mean_vram_used_mb: weighted(|g| g.mean_vram_used_mb),
            max_vram_used_mb: gpus.iter().map(|g| g.max_vram_used_mb).fold(0.0, f64::max),
        }
    });
    Ok(ComponentReport {
        kind: first.kind,
        source: first.source,
        functions,
        labels,
        latency: stats::latency_stats(&latency),
        target_ms: parts.iter().find_map(|(_, c)| c.target_ms),
        target_source: parts.iter().find_map(|(_, c)| c.target_source),
        severity: Severity::Good,
        target_ratio: None,
        counts,
        throughput_per_sec: throughput,
        active_sec: parts.iter().map(|(_, c)| c.active_sec).fold(0.0, f64::max),
        memory_delta_mb: (!deltas.is_empty()).then(|| deltas.iter().sum()),
        memory,
        stream,
        fps: (first.kind == Kind::Frame).then_some(throughput),
        turn_share_pct: None,
        allocations,
        gpu,
        histogram: stats::encode_histogram(&latency),
    })
}

/// A kind as the report file spells it (`first_item`).
fn kind_name(kind: Kind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{kind:?}"))
}

fn turns(inputs: &[(PathBuf, Report)]) -> Option<TurnReport> {
    let all: Vec<&TurnReport> = inputs
        .iter()
        .filter_map(|(_, r)| r.turns.as_ref())
        .collect();
    if all.is_empty() {
        return None;
    }
    let count: u64 = all.iter().map(|t| t.count).sum();
    // Each input's whole turn time; a share is a stage's time over it.
    let time = |t: &TurnReport| t.mean_turn_ms * t.count as f64;
    let total: f64 = all.iter().map(|t| time(t)).sum();
    let mut shares: IndexMap<String, f64> = IndexMap::new();
    for t in &all {
        for (name, pct) in &t.shares_pct {
            *shares.entry(name.clone()).or_default() += pct * time(t);
        }
    }
    for v in shares.values_mut() {
        *v = if total > 0.0 { *v / total } else { 0.0 };
    }
    Some(TurnReport {
        count,
        mean_turn_ms: if count > 0 { total / count as f64 } else { 0.0 },
        shares_pct: shares,
    })
}

fn gpu(inputs: &[(PathBuf, Report)]) -> GpuReport {
    let with_data: Vec<(usize, &GpuReport)> = inputs
        .iter()
        .enumerate()
        .filter(|(_, (_, r))| r.gpu.available && !r.gpu.devices.is_empty())
        .map(|(i, (_, r))| (i, &r.gpu))
        .collect();
    if with_data.is_empty() {
        return inputs
            .first()
            .map(|(_, r)| r.gpu.clone())
            .unwrap_or_default();
    }
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
        devices,
    }
}
