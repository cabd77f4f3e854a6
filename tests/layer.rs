//! The tracing side: `#[profile]` spans are visible to other subscribers, and the
//! profiler's layer aggregates spans from other code that carry a `component` field.

use profiler::profile;
use std::sync::{Arc, Mutex};
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// A layer that writes down every span it sees, with its fields.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> Layer<S> for Seen {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut fields = String::new();
        struct V<'a>(&'a mut String);
        impl tracing::field::Visit for V<'_> {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.push_str(&format!(" {}={:?}", f.name(), v));
            }
        }
        attrs.record(&mut V(&mut fields));
        self.0
            .lock()
            .unwrap()
            .push(format!("{}{}", attrs.metadata().name(), fields));
    }
}

#[profile(
    component = "layer_profiled",
    target_ms = 80,
    provider = "openai",
    model = "gpt-4o-mini"
)]
fn profiled_stage(x: u32) -> u32 {
    x + 1
}

#[tracing::instrument(fields(component = "layer_retriever"))]
fn retrieve(q: &str) -> usize {
    q.len()
}

#[tracing::instrument(fields(component = "layer_retriever_err"), err)]
fn retrieve_or_fail(ok: bool) -> Result<u8, String> {
    if ok {
        Ok(1)
    } else {
        Err("index offline".into())
    }
}

#[tracing::instrument]
fn unrelated() -> u8 {
    7
}

#[test]
fn spans_reach_other_subscribers_and_foreign_component_spans_are_aggregated() {
    let seen = Seen::default();
    let subscriber = tracing_subscriber::registry()
        .with(seen.clone())
        .with(profiler::layer());
    tracing::subscriber::with_default(subscriber, || {
        for i in 0..5 {
            assert_eq!(profiled_stage(i), i + 1);
            assert_eq!(retrieve("who are you"), 11);
            unrelated();
        }
        assert!(retrieve_or_fail(true).is_ok());
        assert!(retrieve_or_fail(false).is_err());
    });

    let spans = seen.0.lock().unwrap().clone();
    let profiled: Vec<_> = spans
        .iter()
        .filter(|s| s.starts_with("profiled_stage"))
        .collect();
    assert_eq!(profiled.len(), 5, "{spans:?}");
    for field in [
        "component=\"layer_profiled\"",
        "provider=\"openai\"",
        "model=\"gpt-4o-mini\"",
        "target_ms=80.0",
    ] {
        assert!(profiled[0].contains(field), "{} lacks {field}", profiled[0]);
    }

    let r = profiler::report();
    // Profiled calls are recorded once, on the hot path, not again through the layer.
    let p = &r.components["layer_profiled"];
    assert_eq!(p.counts.samples, 5);
    assert_eq!(p.labels.get("provider").map(String::as_str), Some("openai"));
    assert_eq!(p.target_ms, Some(80.0));

    let f = &r.components["layer_retriever"];
    assert_eq!(f.counts.samples, 5);
    assert_eq!(f.source, profiler::model::Source::Span);
    assert_eq!(f.functions, vec!["retrieve".to_string()]);

    let e = &r.components["layer_retriever_err"];
    assert_eq!((e.counts.samples, e.counts.errors), (1, 1));
    assert!(!r.components.contains_key("unrelated"));
}

#[profile(component = "layer_silent")]
fn silent_stage() -> u8 {
    1
}

#[test]
fn profiled_calls_create_no_span_when_only_the_profiler_listens() {
    struct CountSpans(Arc<Mutex<usize>>);
    impl<S: tracing::Subscriber> Layer<S> for CountSpans {
        fn on_new_span(&self, _: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
            *self.0.lock().unwrap() += 1;
        }
    }
    let n = Arc::new(Mutex::new(0));
    // The counting layer sits behind a filter that wants nothing, like a
    // subscriber that does not care about these spans.
    let quiet = CountSpans(n.clone()).with_filter(tracing_subscriber::filter::filter_fn(|_| false));
    let subscriber = tracing_subscriber::registry()
        .with(quiet)
        .with(profiler::layer());
    tracing::subscriber::with_default(subscriber, || {
        for _ in 0..100 {
            silent_stage();
        }
    });
    assert_eq!(*n.lock().unwrap(), 0);
    assert_eq!(
        profiler::report().components["layer_silent"].counts.samples,
        100
    );
}
