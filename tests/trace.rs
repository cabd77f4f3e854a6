//! The `trace` format: `trace_<ts>.json` in the Chrome trace event format (what
//! ui.perfetto.dev and chrome://tracing open), checked the way a viewer reads it:
//! required fields per phase, slices properly nested and in time order on each track,
//! counters, names for every process and track; a track per session; recording off
//! while the format is not asked for; a ring of the latest events under the cap, with
//! a note in the file when the cap was hit.

use futures::{Stream, StreamExt};
use profiler::{profile, Config, Formats};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[profile(component = "stt")]
async fn transcribe(n: usize) -> String {
    tokio::time::sleep(Duration::from_millis(1)).await;
    format!("{n} samples")
}

#[profile(component = "llm", first_item, model = "gpt-4o-mini")]
fn answer(_q: String) -> impl Stream<Item = &'static str> {
    futures::stream::iter(["I", "am", "ready"]).then(|t| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        t
    })
}

#[profile(component = "tts", first_item)]
fn speak(_text: String) -> impl Stream<Item = Vec<u8>> {
    futures::stream::iter(0..2).then(|_| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        vec![0u8; 64]
    })
}

#[profile(component = "avatar", frame)]
fn render_frame(chunk: &[u8]) -> usize {
    chunk.len()
}

#[profile(component = "warmup_io")]
fn outside_any_turn(x: u64) -> u64 {
    x.wrapping_mul(31)
}

/// Events one turn leaves: stt, llm, tts, two avatar frames, the turn.
const EVENTS_PER_TURN: u64 = 6;

fn config(dir: &Path, trace: bool) -> Config {
    Config {
        formats: Formats {
            json: false,
            console: false,
            charts: false,
            html: false,
            trace,
        },
        output_dir: dir.to_path_buf(),
        gpu: false,
        memory_interval_ms: 20,
        trace_max_events: 200,
        ..Config::default()
    }
}

/// `turns` turns in each of `sessions` sessions, concurrently on a multi-thread
/// runtime (each session on its own task); returns the last turn's id.
fn run_turns(sessions: &[&str], turns: usize) -> u64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = sessions
            .iter()
            .map(|id| {
                let conversation = profiler::conversation(*id);
                tokio::spawn(async move {
                    let mut last = 0;
                    for _ in 0..turns {
                        let turn = conversation.turn();
                        last = turn.id();
                        turn.scope(async {
                            let q = transcribe(1600).await;
                            // Streaming: TTS speaks the first words while the LLM goes on,
                            // so the two streams overlap without nesting.
                            let mut tokens = std::pin::pin!(answer(q));
                            let first = tokens.next().await.unwrap();
                            let mut audio = std::pin::pin!(speak(first.to_string()));
                            render_frame(&audio.next().await.unwrap());
                            assert_eq!(tokens.count().await, 2);
                            while let Some(chunk) = audio.next().await {
                                render_frame(&chunk);
                            }
                        })
                        .await;
                    }
                    last
                })
            })
            .collect();
        let mut last = 0;
        for t in tasks {
            last = last.max(t.await.unwrap());
        }
        last
    })
}

/// Calls outside any turn on two threads.
fn calls_outside_turns(n: u64) {
    std::thread::scope(|s| {
        for name in ["io-a", "io-b"] {
            std::thread::Builder::new()
                .name(name.into())
                .spawn_scoped(s, move || {
                    for i in 0..n {
                        outside_any_turn(i);
                    }
                })
                .unwrap();
        }
    });
}

fn trace_file(written: &profiler::Written) -> PathBuf {
    let files: Vec<&Path> = written.of("trace").collect();
    assert_eq!(files.len(), 1, "{:?}", written.files);
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("trace_") && name.ends_with(".json"),
        "{name}"
    );
    files[0].to_path_buf()
}

/// A slice (`X` event) as read back, in integer nanoseconds (what viewers convert to).
#[derive(Clone, Debug)]
struct Slice {
    name: String,
    start: i64,
    end: i64,
    args: Value,
}

/// What a checked trace holds.
struct Trace {
    /// Slices by track (pid, tid).
    tracks: BTreeMap<(u64, u64), Vec<Slice>>,
    track_names: BTreeMap<(u64, u64), String>,
    process_names: BTreeMap<u64, String>,
    /// Counter series names, each with its sample count.
    counters: BTreeMap<String, usize>,
    /// Instants: (name, pid, tid, ns).
    instants: Vec<(String, u64, u64, i64)>,
    other: Value,
}

fn ns(v: &Value, key: &str, e: &Value) -> i64 {
    let us = v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {e}"));
    assert!(us >= 0.0, "negative {key} in {e}");
    (us * 1000.0).round() as i64
}

/// Reads `path` and checks it is a trace a viewer can load; panics saying what is wrong.
fn check(path: &Path) -> Trace {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: Value = serde_json::from_str(&text).expect("the trace is JSON");
    let events = doc["traceEvents"]
        .as_array()
        .expect("object form: traceEvents is an array");
    assert_eq!(doc["displayTimeUnit"], "ms");
    let mut t = Trace {
        tracks: BTreeMap::new(),
        track_names: BTreeMap::new(),
        process_names: BTreeMap::new(),
        counters: BTreeMap::new(),
        instants: Vec::new(),
        other: doc["otherData"].clone(),
    };
    // Last time seen on each track (slices, instants, counters alike).
    let mut last: BTreeMap<(u64, u64), i64> = BTreeMap::new();
    for e in events {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph in {e}"));
        let name = e["name"]
            .as_str()
            .unwrap_or_else(|| panic!("no name in {e}"))
            .to_string();
        let pid = e["pid"].as_u64().unwrap_or_else(|| panic!("no pid in {e}"));
        let tid = e["tid"].as_u64().unwrap_or_else(|| panic!("no tid in {e}"));
        let track = (pid, tid);
        let mut in_order = |at: i64| {
            let prev = last.insert(track, at).unwrap_or(0);
            assert!(at >= prev, "time goes back on track {track:?} at {e}");
        };
        match ph {
            "M" => {
                let arg = &e["args"];
                match name.as_str() {
                    "process_name" => {
                        t.process_names
                            .insert(pid, arg["name"].as_str().unwrap().into());
                    }
                    "thread_name" => {
                        t.track_names
                            .insert(track, arg["name"].as_str().unwrap().into());
                    }
                    "process_sort_index" | "thread_sort_index" => {
                        assert!(arg["sort_index"].is_u64(), "{e}")
                    }
                    other => panic!("unknown metadata {other}"),
                }
            }
            "X" => {
                let start = ns(e, "ts", e);
                let end = start + ns(e, "dur", e);
                assert!(e["cat"].is_string(), "{e}");
                let args = e["args"].clone();
                assert!(args["component"].is_string(), "{e}");
                assert!(
                    [
                        "ok",
                        "error",
                        "cancelled",
                        "responded",
                        "no_response",
                        "interrupted",
                        "interrupted_before_response"
                    ]
                    .contains(&args["outcome"].as_str().unwrap_or("")),
                    "{e}"
                );
                in_order(start);
                t.tracks.entry(track).or_default().push(Slice {
                    name,
                    start,
                    end,
                    args,
                });
            }
            "i" | "I" => {
                let at = ns(e, "ts", e);
                assert!(
                    ["t", "p", "g"].contains(&e["s"].as_str().unwrap_or("t")),
                    "{e}"
                );
                if e["s"] != "g" {
                    in_order(at);
                }
                t.instants.push((name, pid, tid, at));
            }
            "C" => {
                let at = ns(e, "ts", e);
                let args = e["args"].as_object().expect("counter args");
                assert!(
                    !args.is_empty() && args.values().all(Value::is_number),
                    "{e}"
                );
                in_order(at);
                *t.counters.entry(name).or_default() += 1;
            }
            other => panic!("unexpected phase {other} in {e}"),
        }
    }
    // Slices on one track nest: each one either follows what is open or lies inside it.
    for (track, slices) in &t.tracks {
        assert!(
            t.track_names.contains_key(track),
            "track {track:?} has no name"
        );
        assert!(
            t.process_names.contains_key(&track.0),
            "process {} has no name",
            track.0
        );
        let mut open: Vec<&Slice> = Vec::new();
        for s in slices {
            while open.last().is_some_and(|o| o.end <= s.start) {
                open.pop();
            }
            if let Some(o) = open.last() {
                assert!(
                    s.end <= o.end,
                    "{} [{}, {}] overlaps {} [{}, {}] on track {track:?}",
                    s.name,
                    s.start,
                    s.end,
                    o.name,
                    o.start,
                    o.end
                );
            }
            open.push(s);
        }
    }
    // First items and responses lie on a slice of their own track.
    for (name, pid, tid, at) in t.instants.iter().filter(|i| i.0 != "interrupted") {
        if name.starts_with("trace cap") {
            continue;
        }
        let on = t
            .tracks
            .get(&(*pid, *tid))
            .is_some_and(|slices| slices.iter().any(|s| s.start <= *at && *at <= s.end));
        assert!(
            on,
            "{name} at {at} lies on no slice of track ({pid}, {tid})"
        );
    }
    t
}

fn slices(t: &Trace) -> impl Iterator<Item = &Slice> {
    t.tracks.values().flatten()
}

fn turn_ids(t: &Trace) -> BTreeSet<u64> {
    slices(t)
        .filter(|s| s.name.starts_with("turn "))
        .map(|s| s.args["turn"].as_u64().unwrap())
        .collect()
}

#[test]
fn the_trace_holds_sessions_threads_and_counters_and_the_latest_events_under_its_cap() {
    let dir = std::env::temp_dir().join(format!("profiler-trace-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    // Not asked for: nothing is recorded (the first session's counts start from 0).
    profiler::configure(config(&dir, false));
    run_turns(&["before"], 2);
    calls_outside_turns(5);

    // 1. Asked for: two sessions of three turns, and calls outside turns.
    let session = profiler::init_with(config(&dir, true));
    let first_turn = run_turns(&["candidate-1", "candidate-2"], 3);
    calls_outside_turns(4);
    std::thread::sleep(Duration::from_millis(50));
    let written = session.finish().expect("a report");
    let path = trace_file(&written);
    eprintln!(
        "trace file: {} bytes for {} events",
        std::fs::metadata(&path).unwrap().len(),
        2 * 3 * EVENTS_PER_TURN + 2 * 4
    );
    let t = check(&path);
    let expected = 2 * 3 * EVENTS_PER_TURN + 2 * 4;
    assert_eq!(t.other["events_recorded"], expected, "{}", t.other);
    assert_eq!(t.other["events_kept"], expected);
    assert_eq!(t.other["events_dropped"], 0);
    assert_eq!(t.other["event_cap"], 200);
    assert!(t.other.get("note").is_none(), "no cap was hit: {}", t.other);
    assert!(!t.instants.iter().any(|i| i.0.starts_with("trace cap")));

    // A process per session, holding its turns and their stages; calls outside turns
    // on their threads' tracks.
    let names: BTreeSet<&str> = t.process_names.values().map(String::as_str).collect();
    for p in [
        "session candidate-1",
        "session candidate-2",
        "threads (calls outside turns)",
        "process memory & GPU",
    ] {
        assert!(names.contains(p), "{p} in {names:?}");
    }
    for ((pid, _), list) in &t.tracks {
        let process = &t.process_names[pid];
        for s in list {
            match s.args["session"].as_str() {
                Some(id) => assert_eq!(process, &format!("session {id}"), "{}", s.name),
                None => {
                    assert_eq!(s.args["component"], "warmup_io");
                    assert_eq!(process, "threads (calls outside turns)");
                }
            }
        }
    }
    let threads: BTreeSet<&str> = t
        .track_names
        .iter()
        .filter(|((pid, _), _)| t.process_names[pid] == "threads (calls outside turns)")
        .map(|(_, n)| n.as_str())
        .collect();
    assert!(
        threads.contains("io-a") && threads.contains("io-b"),
        "{threads:?}"
    );
    // Components with their labels, turn ids on stages, first items as instants.
    let llm: Vec<&Slice> = slices(&t).filter(|s| s.name == "llm").collect();
    assert_eq!(llm.len(), 6);
    for s in &llm {
        assert_eq!(s.args["kind"], "first_item");
        assert_eq!(s.args["labels"]["model"], "gpt-4o-mini");
        assert_eq!(s.args["items"], 3);
        assert!(s.args["turn"].as_u64().is_some());
        assert!(s.args["first_item_after_ms"].as_f64().unwrap() > 0.0);
    }
    let first_items = t.instants.iter().filter(|i| i.0 == "first item").count();
    assert_eq!(first_items, 12, "one per llm and tts stream");
    assert_eq!(t.instants.iter().filter(|i| i.0 == "response").count(), 6);
    assert_eq!(turn_ids(&t).len(), 6);
    assert!(turn_ids(&t).contains(&first_turn));
    // Overlapping streams of a session are on lanes of their own.
    for id in ["candidate-1", "candidate-2"] {
        let process = format!("session {id}");
        let lanes: Vec<&str> = t
            .track_names
            .iter()
            .filter(|((pid, _), _)| t.process_names[pid] == process)
            .map(|(_, n)| n.as_str())
            .collect();
        assert!(
            lanes.contains(&"turns") && lanes.contains(&"stages"),
            "{lanes:?}"
        );
        assert!(
            lanes.contains(&"stages (2)"),
            "the streams overlap: {lanes:?}"
        );
    }
    // The process memory as a counter track.
    assert!(
        t.counters.get("process RSS").copied().unwrap_or(0) >= 2,
        "{:?}",
        t.counters
    );

    // 2. Not asked for again: these calls leave nothing.
    profiler::configure(config(&dir, false));
    run_turns(&["unseen"], 2);

    // 3. Asked for again, past the cap: the latest 200 events are kept, whole.
    let session = profiler::init_with(config(&dir, true));
    let last_turn = run_turns(&["candidate-3"], 40);
    let written = session.finish().expect("a report");
    let t = check(&trace_file(&written));
    let recorded = expected + 40 * EVENTS_PER_TURN;
    assert_eq!(t.other["events_recorded"], recorded, "{}", t.other);
    assert_eq!(t.other["events_kept"], 200);
    assert_eq!(t.other["events_dropped"], recorded - 200);
    let note = t.other["note"].as_str().expect("a note: the cap was hit");
    assert!(note.contains("200") && note.contains("latest"), "{note}");
    assert!(t
        .instants
        .iter()
        .any(|i| i.0.starts_with("trace cap reached")));
    let kept = turn_ids(&t);
    assert!(kept.contains(&last_turn), "the latest turn is kept");
    assert!(!kept.contains(&first_turn), "the oldest are not");
    assert_eq!(slices(&t).count(), 200);
    assert!(slices(&t).all(|s| s.args["session"] == "candidate-3"));
    let _ = std::fs::remove_dir_all(&dir);
}
