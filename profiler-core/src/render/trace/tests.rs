//! The trace renderer on hand-built logs: what goes where, counters from the report's
//! timelines, and what the file says about the cap.

use super::*;
use crate::model::{
    GpuDevice, GpuPoint, Kind, Lang, MemoryPoint, RunInfo, TraceOutcome, TurnOutcome, SCHEMA,
};

fn report(log: TraceLog, memory: Option<MemoryReport>, gpu: GpuReport) -> Report {
    Report {
        schema: SCHEMA.into(),
        timestamp: "2026-11-23T10:20:30".into(),
        duration_sec: 3.0,
        lang: Lang::En,
        components: Default::default(),
        turns: None,
        sessions: None,
        bottlenecks: vec![],
        recommendations: vec![],
        findings: vec![],
        memory,
        gpu,
        run: RunInfo::default(),
        trace: Some(std::sync::Arc::new(log)),
    }
}

fn component(name: &str, kind: Kind) -> TraceComponent {
    TraceComponent {
        name: name.into(),
        kind,
        labels: [("model".to_string(), "m1".to_string())].into(),
    }
}

fn span(kind: TraceSpanKind, comp: u32, start_ms: u64, end_ms: u64) -> TraceSpan {
    TraceSpan {
        kind,
        component: comp,
        start_ns: start_ms * 1_000_000,
        end_ns: end_ms * 1_000_000,
        first_ns: None,
        interrupted_ns: None,
        items: 0,
        outcome: TraceOutcome::Ok,
        thread: 1,
        turn: None,
        session: None,
    }
}

/// A session's turn with an LLM stream and a TTS stream that overlap, and one call
/// outside any turn.
fn log() -> TraceLog {
    let in_turn = |mut s: TraceSpan| {
        s.turn = Some(9);
        s.session = Some("caller \"7\"".into());
        s
    };
    let mut llm = in_turn(span(TraceSpanKind::Stream, 1, 10, 100));
    llm.first_ns = Some(30_000_000);
    llm.items = 12;
    let mut tts = in_turn(span(TraceSpanKind::Stream, 2, 40, 150));
    tts.first_ns = Some(60_000_000);
    tts.outcome = TraceOutcome::Cancelled;
    let mut turn = in_turn(span(TraceSpanKind::Turn, 0, 0, 160));
    turn.first_ns = Some(60_000_000);
    turn.interrupted_ns = Some(120_000_000);
    turn.outcome = TraceOutcome::Turn(TurnOutcome::Interrupted);
    TraceLog {
        capacity: 1000,
        recorded: 4,
        spans: vec![llm, tts, turn, span(TraceSpanKind::Call, 3, 200, 210)],
        components: vec![
            component("turn", Kind::Turn),
            component("llm", Kind::FirstItem),
            component("tts", Kind::FirstItem),
            component("cache", Kind::Latency),
        ],
        threads: [(1, "worker-1".to_string())].into(),
        samplers_at_ns: Some(5_000_000),
    }
}

fn events(doc: &Value) -> &Vec<Value> {
    doc["traceEvents"].as_array().unwrap()
}

fn named<'a>(doc: &'a Value, ph: &str, name: &str) -> Vec<&'a Value> {
    events(doc)
        .iter()
        .filter(|e| e["ph"] == ph && e["name"] == name)
        .collect()
}

fn track_name(doc: &Value, pid: &Value, tid: &Value) -> String {
    events(doc)
        .iter()
        .find(|e| {
            e["ph"] == "M" && e["name"] == "thread_name" && e["pid"] == *pid && e["tid"] == *tid
        })
        .map(|e| e["args"]["name"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn overlapping_streams_of_a_session_go_to_two_lanes_under_its_turn() {
    let r = report(log(), None, GpuReport::default());
    let doc = document(&r, r.trace.as_deref().unwrap());
    let llm = named(&doc, "X", "llm")[0];
    let tts = named(&doc, "X", "tts")[0];
    let turn = named(&doc, "X", "turn 9")[0];
    let session_pid = &llm["pid"];
    assert_eq!(tts["pid"], *session_pid);
    assert_eq!(turn["pid"], *session_pid);
    assert_ne!(llm["tid"], tts["tid"], "they overlap: two lanes");
    assert_eq!(track_name(&doc, &turn["pid"], &turn["tid"]), "turns");
    assert_eq!(track_name(&doc, &llm["pid"], &llm["tid"]), "stages");
    assert_eq!(track_name(&doc, &tts["pid"], &tts["tid"]), "stages (2)");
    let process = events(&doc)
        .iter()
        .find(|e| e["name"] == "process_name" && e["pid"] == *session_pid)
        .unwrap();
    assert_eq!(process["args"]["name"], "session caller \"7\"");
    // Times in microseconds, args from the log.
    assert_eq!(llm["ts"], 10_000.0);
    assert_eq!(llm["dur"], 90_000.0);
    assert_eq!(llm["args"]["component"], "llm");
    assert_eq!(llm["args"]["kind"], "first_item");
    assert_eq!(llm["args"]["labels"]["model"], "m1");
    assert_eq!(llm["args"]["items"], 12);
    assert_eq!(llm["args"]["first_item_after_ms"], 20.0);
    assert_eq!(llm["args"]["session"], "caller \"7\"");
    assert_eq!(llm["args"]["turn"], 9);
    assert_eq!(llm["args"]["thread"], "worker-1");
    assert_eq!(tts["args"]["outcome"], "cancelled");
    assert_eq!(turn["args"]["outcome"], "interrupted");
    // Instants on the lanes of what they belong to.
    let first: Vec<_> = named(&doc, "i", "first item");
    assert_eq!(first.len(), 2);
    assert!(first
        .iter()
        .any(|e| e["tid"] == llm["tid"] && e["ts"] == 30_000.0));
    assert!(first
        .iter()
        .any(|e| e["tid"] == tts["tid"] && e["ts"] == 60_000.0));
    let interrupted = named(&doc, "i", "interrupted")[0];
    assert_eq!(
        (&interrupted["tid"], &interrupted["ts"]),
        (&turn["tid"], &json!(120_000.0))
    );
    assert_eq!(named(&doc, "i", "response")[0]["tid"], turn["tid"]);
    // A call outside turns goes to its thread's track.
    let cache = named(&doc, "X", "cache")[0];
    assert_eq!(cache["pid"], PID_THREADS);
    assert_eq!(track_name(&doc, &cache["pid"], &cache["tid"]), "worker-1");
}

#[test]
fn rss_and_each_gpu_become_counter_tracks_on_the_trace_clock() {
    let memory = MemoryReport {
        timeline: vec![
            MemoryPoint {
                t_sec: 0.0,
                rss_mb: 100.0,
                vms_mb: 900.0,
            },
            MemoryPoint {
                t_sec: 0.5,
                rss_mb: 120.5,
                vms_mb: 900.0,
            },
        ],
        ..MemoryReport::default()
    };
    let gpu = GpuReport {
        available: true,
        devices: vec![GpuDevice {
            index: 1,
            samples: vec![
                GpuPoint {
                    t_sec: 0.25,
                    util_pct: 87.0,
                    vram_used_mb: 5000.0,
                    ..GpuPoint::default()
                },
                GpuPoint {
                    t_sec: 1.25,
                    util_pct: 12.0,
                    vram_used_mb: 5100.0,
                    ..GpuPoint::default()
                },
            ],
            ..GpuDevice::default()
        }],
        ..GpuReport::default()
    };
    let r = report(log(), Some(memory), gpu);
    let doc = document(&r, r.trace.as_deref().unwrap());
    let rss = named(&doc, "C", "process RSS");
    assert_eq!(rss.len(), 2);
    // The samplers began 5 ms into the trace's clock: t_sec 0.5 is ts 505 000 us.
    assert_eq!(rss[1]["ts"], 505_000.0);
    assert_eq!(rss[1]["args"]["MB"], 120.5);
    let util = named(&doc, "C", "GPU 1 utilisation");
    assert_eq!(util.len(), 2);
    assert_eq!(
        (&util[0]["ts"], &util[0]["args"]["%"]),
        (&json!(255_000.0), &json!(87.0))
    );
    let vram = named(&doc, "C", "GPU 1 VRAM used");
    assert_eq!(vram[1]["args"]["MB"], 5100.0);
    assert!(rss.iter().chain(&util).all(|e| e["pid"] == PID_RESOURCES));
    // Every timed event, in time order.
    let times: Vec<f64> = events(&doc)
        .iter()
        .filter_map(|e| e["ts"].as_f64())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn the_file_says_when_the_cap_dropped_events_and_keeps_quiet_otherwise() {
    let r = report(log(), None, GpuReport::default());
    let doc = document(&r, r.trace.as_deref().unwrap());
    let other = &doc["otherData"];
    assert_eq!(
        (&other["events_recorded"], &other["events_kept"]),
        (&json!(4), &json!(4))
    );
    assert_eq!(other["events_dropped"], 0);
    assert!(other.get("note").is_none());
    assert!(events(&doc).iter().all(|e| e["s"] != "g"));

    let mut capped = log();
    capped.capacity = 4;
    capped.recorded = 1234;
    let r = report(capped, None, GpuReport::default());
    let doc = document(&r, r.trace.as_deref().unwrap());
    let other = &doc["otherData"];
    assert_eq!(other["events_dropped"], 1230);
    assert_eq!(other["event_cap"], 4);
    let note = other["note"].as_str().unwrap();
    assert!(
        note.contains("1230 oldest") && note.contains("latest 4"),
        "{note}"
    );
    let marks: Vec<_> = events(&doc).iter().filter(|e| e["s"] == "g").collect();
    assert_eq!(marks.len(), 1);
    assert_eq!(marks[0]["ts"], 0.0, "at the start of the kept window");
    assert!(marks[0]["name"].as_str().unwrap().contains("1230"));
}

#[test]
fn a_report_without_a_timeline_writes_no_trace_file() {
    let dir = std::env::temp_dir().join(format!("profiler-trace-unit-{}", std::process::id()));
    let mut r = report(log(), None, GpuReport::default());
    r.trace = None;
    assert_eq!(write(&r, &dir).unwrap(), None);
    assert!(!dir.join("trace_20261123_102030.json").exists());
    let r = report(log(), None, GpuReport::default());
    let path = write(&r, &dir).unwrap().unwrap();
    assert_eq!(path, dir.join("trace_20261123_102030.json"));
    let back: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(back, document(&r, r.trace.as_deref().unwrap()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn only_groups_that_hold_something_are_processes() {
    let mut only_sessions = log();
    only_sessions.spans.retain(|s| s.session.is_some());
    only_sessions.samplers_at_ns = None;
    let r = report(only_sessions, None, GpuReport::default());
    let doc = document(&r, r.trace.as_deref().unwrap());
    let processes: Vec<&str> = events(&doc)
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(processes, ["session caller \"7\""]);
}

#[test]
fn a_trace_at_the_default_cap_stays_a_file_a_viewer_opens() {
    // 100 000 events (the default cap): turns of 50 sessions, each a stt call, an llm
    // and a tts stream with first items, and four avatar frames.
    let base = log();
    let mut spans = Vec::new();
    let mut turn = 0u64;
    while spans.len() < crate::config::DEFAULT_TRACE_MAX_EVENTS as usize {
        turn += 1;
        let t0 = turn * 1_000;
        let at = |mut s: TraceSpan| {
            s.turn = Some(turn);
            s.session = Some(format!("caller-{}", turn % 50));
            s.thread = 1 + (turn % 4) as u32;
            s
        };
        let stream = |comp, start, end| {
            let mut s = at(span(TraceSpanKind::Stream, comp, start, end));
            s.first_ns = Some((start + 1) * 1_000_000);
            s.items = 40;
            s
        };
        let (llm, tts) = (stream(1, t0 + 100, t0 + 600), stream(2, t0 + 300, t0 + 900));
        spans.extend([at(span(TraceSpanKind::Call, 3, t0, t0 + 90)), llm, tts]);
        spans.extend((0..4).map(|f| {
            at(span(
                TraceSpanKind::Call,
                3,
                t0 + 400 + f * 40,
                t0 + 420 + f * 40,
            ))
        }));
        let mut whole = at(span(TraceSpanKind::Turn, 0, t0, t0 + 950));
        whole.first_ns = Some((t0 + 301) * 1_000_000);
        whole.outcome = TraceOutcome::Turn(TurnOutcome::Responded);
        spans.push(whole);
    }
    spans.truncate(crate::config::DEFAULT_TRACE_MAX_EVENTS as usize);
    let full = TraceLog {
        recorded: 250_000,
        capacity: spans.len() as u64,
        spans,
        ..base
    };
    let r = report(full, None, GpuReport::default());
    let bytes = serde_json::to_vec(&document(&r, r.trace.as_deref().unwrap())).unwrap();
    eprintln!("trace at the default cap: {} bytes", bytes.len());
    assert!(bytes.len() < 40 << 20, "{} bytes", bytes.len());
}
