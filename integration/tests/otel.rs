//! OpenTelemetry: `#[profile]` spans and turn spans exported through
//! `tracing-opentelemetry` into the SDK's in-memory exporter. One turn of the
//! interview pipeline on a multi-thread runtime (STT on one task, the LLM stream on
//! another, TTS streamed where the turn runs, avatar frames on a plain thread) comes
//! out as one tree, turn -> stt, llm, tts, avatar, with the turn and session ids, the
//! GenAI attributes, the first item as an event and how each call ended.

use futures::{Stream, StreamExt};
use opentelemetry::trace::{SpanId, Status, TracerProvider as _};
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use profiler::{profile, Config, Formats};
use std::sync::OnceLock;
use std::time::Duration;
use tracing_subscriber::prelude::*;

#[derive(Debug)]
struct SttError;

#[profile(component = "stt", target_ms = 100)]
async fn transcribe(audio: Vec<f32>, fail: bool) -> Result<String, SttError> {
    tokio::time::sleep(Duration::from_millis(2)).await;
    if fail {
        return Err(SttError);
    }
    Ok(format!("{} samples", audio.len()))
}

#[profile(
    component = "llm",
    first_item,
    provider = "openai",
    model = "gpt-4o-mini"
)]
fn answer(_q: String) -> impl Stream<Item = &'static str> {
    futures::stream::iter(["I", "am", "ready"]).then(|t| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        t
    })
}

#[profile(component = "tts", first_item, provider = "elevenlabs")]
fn speak(_text: String) -> impl Stream<Item = Vec<u8>> {
    futures::stream::iter(0..3).then(|_| async move {
        tokio::time::sleep(Duration::from_millis(1)).await;
        vec![0u8; 320]
    })
}

#[profile(component = "avatar", frame)]
fn render_frame(chunk: &[u8]) -> usize {
    chunk.len() / 2
}

#[profile(component = "retrieval")]
fn retrieve(fail: bool) -> usize {
    assert!(!fail, "index offline");
    3
}

#[profile(component = "tts_session", first_item)]
fn open_voice(ok: bool) -> Result<impl Stream<Item = u8>, std::io::Error> {
    if ok {
        Ok(futures::stream::iter([1u8]))
    } else {
        Err(std::io::Error::other("voice offline"))
    }
}

/// The exporter and provider behind the process's global subscriber (set once: the
/// runtime's worker threads must see it).
fn exporter() -> &'static (InMemorySpanExporter, SdkTracerProvider) {
    static SET: OnceLock<(InMemorySpanExporter, SdkTracerProvider)> = OnceLock::new();
    SET.get_or_init(|| {
        profiler::configure(Config {
            formats: Formats::none(),
            gpu: false,
            ..Config::default()
        });
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let tracer = provider.tracer("otel-test");
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(tracer))
            .with(profiler::layer())
            .init();
        (exporter, provider)
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn str_attr(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

fn int_attr(span: &SpanData, key: &str) -> Option<i64> {
    match attr(span, key)? {
        Value::I64(v) => Some(*v),
        other => panic!("{key} is {other:?}, not an integer"),
    }
}

/// The finished spans of one turn: the turn span and every span below it.
fn spans_of_turn(turn_id: u64) -> (SpanData, Vec<SpanData>) {
    let (exporter, provider) = exporter();
    provider.force_flush().unwrap();
    let all = exporter.get_finished_spans().unwrap();
    let turn = all
        .iter()
        .find(|s| s.name == "turn" && int_attr(s, "turn.id") == Some(turn_id as i64))
        .unwrap_or_else(|| panic!("no turn span {turn_id} among {:?}", names(&all)))
        .clone();
    let children = all
        .into_iter()
        .filter(|s| s.parent_span_id == turn.span_context.span_id())
        .collect();
    (turn, children)
}

fn names(spans: &[SpanData]) -> Vec<String> {
    spans.iter().map(|s| s.name.to_string()).collect()
}

fn child<'a>(children: &'a [SpanData], name: &str) -> &'a SpanData {
    children
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no {name} span under the turn: {:?}", names(children)))
}

#[test]
fn one_turn_exports_as_a_tree_with_ids_genai_attributes_first_items_and_outcomes() {
    exporter();
    let conversation = profiler::conversation("candidate-7");
    let turn = conversation.turn();
    let turn_id = turn.id();
    assert!(turn_id > 0);
    runtime().block_on(async {
        // STT and the LLM stream each on a task of their own (any worker thread).
        let q = tokio::spawn(turn.scope(transcribe(vec![0.0; 1600], false)))
            .await
            .unwrap()
            .unwrap();
        let tokens: Vec<&str> = tokio::spawn(turn.scope(async move { answer(q).collect().await }))
            .await
            .unwrap();
        // TTS streamed where the turn runs; avatar frames on a thread of their own.
        let audio: Vec<Vec<u8>> = turn
            .scope(async { speak(tokens.join(" ")).collect().await })
            .await;
        std::thread::scope(|s| {
            s.spawn(|| {
                let _in = turn.enter();
                for chunk in &audio {
                    render_frame(chunk);
                }
            });
        });
    });
    drop(turn);
    drop(conversation);

    let (turn, children) = spans_of_turn(turn_id);
    // The turn is a root, the stages its children, in one trace, whatever thread or
    // task they ran on.
    assert_eq!(turn.parent_span_id, SpanId::INVALID);
    assert_eq!(
        str_attr(&turn, "session.id").as_deref(),
        Some("candidate-7")
    );
    assert_eq!(str_attr(&turn, "outcome").as_deref(), Some("responded"));
    assert!(matches!(attr(&turn, "e2e_ms"), Some(Value::F64(ms)) if *ms > 0.0));
    let mut stages = names(&children);
    stages.sort();
    assert_eq!(
        stages,
        [
            "answer",
            "render_frame",
            "render_frame",
            "render_frame",
            "speak",
            "transcribe"
        ]
    );
    for s in &children {
        assert_eq!(s.span_context.trace_id(), turn.span_context.trace_id());
        assert_eq!(int_attr(s, "turn.id"), Some(turn_id as i64), "{}", s.name);
        assert_eq!(
            str_attr(s, "session.id").as_deref(),
            Some("candidate-7"),
            "{}",
            s.name
        );
        assert_eq!(str_attr(s, "outcome").as_deref(), Some("ok"), "{}", s.name);
        // Success leaves the status unset, as the conventions ask.
        assert_eq!(s.status, Status::Unset, "{}", s.name);
        // The stages ran inside the turn.
        assert!(s.start_time >= turn.start_time && s.end_time <= turn.end_time);
    }
    let components: Vec<String> = children
        .iter()
        .map(|s| str_attr(s, "component").unwrap())
        .collect();
    for c in ["stt", "llm", "tts", "avatar"] {
        assert!(components.iter().any(|x| x == c), "{c} in {components:?}");
    }

    let llm = child(&children, "answer");
    assert_eq!(
        str_attr(llm, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        str_attr(llm, "gen_ai.request.model").as_deref(),
        Some("gpt-4o-mini")
    );
    assert_eq!(
        str_attr(llm, "gen_ai.operation.name").as_deref(),
        Some("chat")
    );
    let tts = child(&children, "speak");
    assert_eq!(
        str_attr(tts, "gen_ai.provider.name").as_deref(),
        Some("elevenlabs")
    );
    // Not a language model: no operation is claimed for it.
    assert_eq!(attr(tts, "gen_ai.operation.name"), None);
    assert_eq!(
        attr(child(&children, "transcribe"), "gen_ai.provider.name"),
        None
    );

    // Time to first item: one event on each stream span, inside the span.
    for stream in [llm, tts] {
        let events: Vec<_> = stream.events.iter().collect();
        assert_eq!(events.len(), 1, "{}: {events:?}", stream.name);
        let e = events[0];
        assert_eq!(e.name, "first_item");
        assert!(e.timestamp >= stream.start_time && e.timestamp <= stream.end_time);
        let ms = e
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == "first_item_ms")
            .map(|kv| kv.value.clone());
        assert!(
            matches!(ms, Some(Value::F64(ms)) if ms > 0.0),
            "{}: {:?}",
            stream.name,
            e.attributes
        );
    }
    // Calls that are not streams carry no such event.
    assert!(child(&children, "transcribe").events.is_empty());
}

#[test]
fn an_error_is_an_error_status_with_its_type_and_a_barge_in_a_cancellation() {
    exporter();
    let turn = profiler::turn();
    let turn_id = turn.id();
    runtime().block_on(turn.scope(async {
        assert!(transcribe(vec![0.0; 16], true).await.is_err());
        assert!(open_voice(false).is_err());
        assert!(std::panic::catch_unwind(|| retrieve(true)).is_err());
        let mut audio = std::pin::pin!(speak("bye".into()));
        audio.next().await.expect("first audio chunk");
        // The user barges in: the rest of the answer is dropped.
        turn.interrupt();
    }));
    drop(turn);

    let (turn, children) = spans_of_turn(turn_id);
    assert_eq!(attr(&turn, "session.id"), None);
    assert_eq!(str_attr(&turn, "outcome").as_deref(), Some("interrupted"));
    assert!(matches!(attr(&turn, "interruption_ms"), Some(Value::F64(ms)) if *ms >= 0.0));

    let stt = child(&children, "transcribe");
    assert_eq!(str_attr(stt, "outcome").as_deref(), Some("error"));
    assert!(
        matches!(stt.status, Status::Error { .. }),
        "{:?}",
        stt.status
    );
    let error_type = str_attr(stt, "error.type").unwrap();
    assert!(error_type.ends_with("SttError"), "{error_type}");

    // A stream whose call returned `Err`, and a call that panicked.
    let voice = child(&children, "open_voice");
    assert_eq!(str_attr(voice, "outcome").as_deref(), Some("error"));
    assert_eq!(
        str_attr(voice, "error.type").as_deref(),
        Some("std::io::error::Error")
    );
    let retrieval = child(&children, "retrieve");
    assert_eq!(str_attr(retrieval, "outcome").as_deref(), Some("error"));
    assert_eq!(str_attr(retrieval, "error.type").as_deref(), Some("panic"));
    assert!(matches!(retrieval.status, Status::Error { .. }));

    let tts = child(&children, "speak");
    assert_eq!(str_attr(tts, "outcome").as_deref(), Some("cancelled"));
    assert_eq!(tts.status, Status::Unset);
    assert_eq!(
        tts.events.len(),
        1,
        "the first item came before the barge-in"
    );
}
