//! `trace_<ts>.json`: the report's timeline (`Report::trace`) in the Chrome trace event
//! format, which ui.perfetto.dev and chrome://tracing open.
//!
//! Layout (a Chrome trace names a track by process and thread ids, `pid`/`tid`):
//!
//! - `process memory & GPU`: counter tracks from the report's timelines, RSS and, per
//!   GPU, utilisation and VRAM used;
//! - one process per session (conversation): its turns on the `turns` lanes, the stage
//!   calls and streams of those turns on the `stages` lanes;
//! - `turns (no session)`: turns opened with `profiler::turn()` and their stages;
//! - `threads`: calls outside any turn, on lanes of the thread they began on.
//!
//! Every call, stream and turn is a complete event (`X`) named by its component, with
//! its component, kind, outcome, labels, turn and session in `args`; a stream's first
//! item and a turn's response and interruption are instants (`i`) on its lane. Lanes
//! keep each track properly nested (`lanes`). `otherData` says how many events were
//! recorded and kept under the cap (a ring of the latest events), with a note, and an
//! instant at the start of the kept window, when the cap dropped older ones.
//!
//! Like every renderer it computes no figure: times are the log's, turned into
//! microseconds since the profiler's epoch.

mod lanes;

use super::files::{ensure_dir, free_path, stamp, write_atomic};
use super::{Output, ReportError, Reporter};
use crate::model::{
    GpuReport, MemoryReport, Report, TraceComponent, TraceLog, TraceSpan, TraceSpanKind,
};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Writes `trace_<stamp>.json` into the output directory (`trace` in
/// `PROFILER_FORMATS`), when the report carries a timeline.
#[derive(Clone, Copy, Debug, Default)]
pub struct TraceReporter;

impl Reporter for TraceReporter {
    fn name(&self) -> &'static str {
        "trace"
    }

    fn write(&self, report: &Report, out: Output<'_>) -> Result<Vec<PathBuf>, ReportError> {
        Ok(write(report, out.dir)?.into_iter().collect())
    }
}

/// Writes `report`'s timeline as `trace_<stamp>.json` in `dir`; `None` (nothing
/// written) when the report carries none.
pub fn write(report: &Report, dir: &Path) -> Result<Option<PathBuf>, ReportError> {
    let Some(log) = report.trace.as_deref() else {
        return Ok(None);
    };
    ensure_dir(dir)?;
    let path = free_path(dir, "trace", &stamp(report), "json");
    let bytes = serde_json::to_vec(&document(report, log)).map_err(|e| ReportError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    write_atomic(&path, &bytes)?;
    Ok(Some(path))
}

/// Process ids of the fixed groups; sessions follow.
const PID_RESOURCES: u32 = 1;
const PID_THREADS: u32 = 2;
const PID_TURNS: u32 = 3;
const PID_FIRST_SESSION: u32 = 4;

/// Where a span goes: its process and the name of its lane family there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Group {
    pid: u32,
    /// Sort order of the family in its process.
    order: u32,
    family: String,
}

/// The whole trace document (JSON object form).
pub fn document(report: &Report, log: &TraceLog) -> Value {
    let mut events: Vec<(u64, u8, Value)> = Vec::new();
    let mut meta: Vec<Value> = Vec::new();
    let sessions = session_pids(log);
    // Spans by group, then laid out on lanes within each group.
    let mut groups: BTreeMap<Group, Vec<usize>> = BTreeMap::new();
    for (i, s) in log.spans.iter().enumerate() {
        groups
            .entry(group_of(s, log, &sessions))
            .or_default()
            .push(i);
    }
    if let Some(at) = log.samplers_at_ns {
        counters(&mut events, at, report.memory.as_ref(), &report.gpu);
    }
    // A process for each group that holds something, in this order.
    let used = |pid: u32| {
        groups.keys().any(|g| g.pid == pid) || (pid == PID_RESOURCES && !events.is_empty())
    };
    for (pid, name) in [
        (PID_RESOURCES, "process memory & GPU"),
        (PID_THREADS, "threads (calls outside turns)"),
        (PID_TURNS, "turns (no session)"),
    ] {
        if used(pid) {
            process(&mut meta, pid, name, pid - PID_RESOURCES);
        }
    }
    for (id, pid) in &sessions {
        process(
            &mut meta,
            *pid,
            &format!("session {id}"),
            pid - PID_RESOURCES,
        );
    }
    let mut next_tid: BTreeMap<u32, u32> = BTreeMap::new();
    for (group, members) in &groups {
        let bounds: Vec<(u64, u64)> = members
            .iter()
            .map(|&i| (log.spans[i].start_ns, log.spans[i].end_ns))
            .collect();
        let (lane_of, lanes) = lanes::lay_out(&bounds);
        let tid0 = *next_tid.entry(group.pid).or_insert(1);
        next_tid.insert(group.pid, tid0 + lanes);
        for lane in 0..lanes {
            let name = if lane == 0 {
                group.family.clone()
            } else {
                format!("{} ({})", group.family, lane + 1)
            };
            meta.push(json!({"ph": "M", "name": "thread_name", "pid": group.pid, "tid": tid0 + lane, "args": {"name": name}}));
            meta.push(json!({"ph": "M", "name": "thread_sort_index", "pid": group.pid, "tid": tid0 + lane, "args": {"sort_index": tid0 + lane}}));
        }
        for (&i, lane) in members.iter().zip(lane_of) {
            span_events(&mut events, log, &log.spans[i], group.pid, tid0 + lane);
        }
    }
    let dropped = log.dropped();
    if dropped > 0 {
        if let Some(first) = log.spans.iter().map(|s| s.start_ns).min() {
            events.push((
                first,
                0,
                json!({"ph": "i", "s": "g", "name": format!("trace cap reached: {dropped} earlier events dropped"), "pid": PID_THREADS, "tid": 0, "ts": micros(first)}),
            ));
        }
    }
    // In time order; at one time, instants (0) and counters (1) before slices (2), and
    // the longer slice first, so each track reads in order.
    events.sort_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| dur_of(&b.2).total_cmp(&dur_of(&a.2)))
    });
    let mut all = meta;
    all.extend(events.into_iter().map(|(_, _, v)| v));
    json!({
        "traceEvents": all,
        "displayTimeUnit": "ms",
        "otherData": other_data(report, log),
    })
}

fn dur_of(v: &Value) -> f64 {
    v.get("dur").and_then(Value::as_f64).unwrap_or(0.0)
}

/// Microseconds (the format's unit) of a time in nanoseconds, to the nanosecond.
fn micros(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

fn process(meta: &mut Vec<Value>, pid: u32, name: &str, order: u32) {
    meta.push(
        json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}),
    );
    meta.push(json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": order}}));
}

/// Sessions in the order they first appear on the timeline, with their process ids.
fn session_pids(log: &TraceLog) -> BTreeMap<String, u32> {
    let mut first: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &log.spans {
        if let Some(id) = &s.session {
            let at = first.entry(id).or_insert(s.start_ns);
            *at = (*at).min(s.start_ns);
        }
    }
    let mut by_start: Vec<(&str, u64)> = first.into_iter().collect();
    by_start.sort_by_key(|(id, at)| (*at, *id));
    by_start
        .into_iter()
        .enumerate()
        .map(|(i, (id, _))| (id.to_string(), PID_FIRST_SESSION + i as u32))
        .collect()
}

fn group_of(s: &TraceSpan, log: &TraceLog, sessions: &BTreeMap<String, u32>) -> Group {
    let turns = |pid: u32| Group {
        pid,
        family: if s.kind == TraceSpanKind::Turn {
            "turns".into()
        } else {
            "stages".into()
        },
        order: u32::from(s.kind != TraceSpanKind::Turn),
    };
    match (&s.session, s.turn) {
        (Some(id), _) => turns(sessions.get(id).copied().unwrap_or(PID_TURNS)),
        (None, Some(_)) => turns(PID_TURNS),
        (None, None) => Group {
            pid: PID_THREADS,
            family: thread_name(log, s.thread),
            order: s.thread,
        },
    }
}

fn thread_name(log: &TraceLog, thread: u32) -> String {
    log.threads
        .get(&thread)
        .cloned()
        .unwrap_or_else(|| format!("thread {thread}"))
}

fn component<'a>(log: &'a TraceLog, s: &TraceSpan) -> Option<&'a TraceComponent> {
    log.components.get(s.component as usize)
}

fn span_events(out: &mut Vec<(u64, u8, Value)>, log: &TraceLog, s: &TraceSpan, pid: u32, tid: u32) {
    let comp = component(log, s);
    let comp_name = comp.map_or("?", |c| c.name.as_str());
    let mut args = Map::new();
    args.insert("component".into(), json!(comp_name));
    if let Some(c) = comp {
        args.insert("kind".into(), json!(c.kind));
        if !c.labels.is_empty() {
            args.insert("labels".into(), json!(c.labels));
        }
    }
    args.insert("outcome".into(), json!(s.outcome.name()));
    if let Some(t) = s.turn {
        args.insert("turn".into(), json!(t));
    }
    if let Some(id) = &s.session {
        args.insert("session".into(), json!(id));
    }
    args.insert("thread".into(), json!(thread_name(log, s.thread)));
    if s.kind == TraceSpanKind::Stream {
        args.insert("items".into(), json!(s.items));
    }
    let first_name = match s.kind {
        TraceSpanKind::Turn => "response",
        _ => "first item",
    };
    if let Some(f) = s.first_ns {
        let key = if s.kind == TraceSpanKind::Turn {
            "response_after_ms"
        } else {
            "first_item_after_ms"
        };
        args.insert(key.into(), json!(f.saturating_sub(s.start_ns) as f64 / 1e6));
        out.push((
            f,
            0,
            json!({"ph": "i", "s": "t", "name": first_name, "cat": s.kind.name(), "pid": pid, "tid": tid, "ts": micros(f), "args": {"component": comp_name}}),
        ));
    }
    if let Some(at) = s.interrupted_ns {
        out.push((
            at,
            0,
            json!({"ph": "i", "s": "t", "name": "interrupted", "cat": "turn", "pid": pid, "tid": tid, "ts": micros(at)}),
        ));
    }
    let name = match (s.kind, s.turn) {
        (TraceSpanKind::Turn, Some(id)) => format!("turn {id}"),
        _ => comp_name.to_string(),
    };
    out.push((
        s.start_ns,
        2,
        json!({
            "ph": "X", "name": name, "cat": s.kind.name(), "pid": pid, "tid": tid,
            "ts": micros(s.start_ns), "dur": micros(s.end_ns.saturating_sub(s.start_ns)),
            "args": args,
        }),
    ));
}

fn counters(
    out: &mut Vec<(u64, u8, Value)>,
    at_ns: u64,
    memory: Option<&MemoryReport>,
    gpu: &GpuReport,
) {
    let mut counter = |t_sec: f64, name: String, unit: &str, value: f64| {
        let ns = at_ns.saturating_add((t_sec.max(0.0) * 1e9) as u64);
        let mut args = Map::new();
        args.insert(unit.into(), json!(value));
        out.push((
            ns,
            1,
            json!({"ph": "C", "name": name, "pid": PID_RESOURCES, "tid": 0, "ts": micros(ns), "args": args}),
        ));
    };
    if let Some(m) = memory {
        for p in &m.timeline {
            counter(p.t_sec, "process RSS".into(), "MB", p.rss_mb);
        }
    }
    for d in &gpu.devices {
        for p in &d.samples {
            counter(
                p.t_sec,
                format!("GPU {} utilisation", d.index),
                "%",
                p.util_pct,
            );
            counter(
                p.t_sec,
                format!("GPU {} VRAM used", d.index),
                "MB",
                p.vram_used_mb,
            );
        }
    }
}

fn other_data(report: &Report, log: &TraceLog) -> Value {
    let dropped = log.dropped();
    let mut data = json!({
        "producer": "profiler",
        "report_timestamp": report.timestamp,
        "program": report.run.program,
        "pid": report.run.pid,
        "time_origin": "the profiler's first clock read (ts 0)",
        "event_cap": log.capacity,
        "cap_policy": "a ring of the latest events: past the cap, the oldest are dropped",
        "events_recorded": log.recorded,
        "events_kept": log.spans.len(),
        "events_dropped": dropped,
    });
    if dropped > 0 {
        data["note"] = json!(format!(
            "the cap of {} events was reached: the {} oldest events were dropped and this trace holds the latest {} (raise PROFILER_TRACE_MAX_EVENTS to keep more)",
            log.capacity,
            dropped,
            log.spans.len()
        ));
    }
    data
}

#[cfg(test)]
mod tests;
