//! One environment toggle each switches publishing and alerts on: with
//! `PROFILER_METRICS=on` and `PROFILER_ALERTS=on`, the session `init()` starts publishes
//! into the recorder the program installed and warns through `tracing` when a budget
//! is crossed; its end publishes and judges what the last interval recorded. (One test
//! in this binary: it sets the environment before the configuration is first read.)

mod common;

use common::Events;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use profiler_core::__private::{measure_sync, Call, Kind, Outcome, Site};
use tracing::Level;
use tracing_subscriber::layer::SubscriberExt;

/// A stage whose budget (1 ns) every call exceeds.
static STAGE: Site = Site::new("stage", "stage", Some(1e-6), Kind::Latency, None, &[]);

fn stage() {
    let c = Call::prepare(&STAGE);
    measure_sync(
        c,
        |_| tracing::Span::none(),
        || std::hint::black_box(7),
        |_| (Outcome::Ok, ""),
    );
}

#[test]
fn the_environment_switches_metrics_and_alerts_on_with_init() {
    // Set before the profiler first reads the environment, by this binary's only test.
    for (k, v) in [
        ("PROFILER_METRICS", "on"),
        ("PROFILER_ALERTS", "on"),
        ("PROFILER_METRICS_INTERVAL_MS", "60000"),
        ("PROFILER_FORMATS", "none"),
        ("PROFILER_GPU", "off"),
    ] {
        std::env::set_var(k, v);
    }
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this binary");
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());

    tracing::subscriber::with_default(subscriber, || {
        let session = profiler_core::session::init();
        for _ in 0..1234 {
            stage();
        }
        // The interval (60 s) has not elapsed: the session's end publishes and judges.
        session.finish();
    });
    let ok = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .find(|(k, ..)| {
            k.key().name() == "profiler_calls_total"
                && k.key()
                    .labels()
                    .any(|l| l.key() == "component" && l.value() == "stage")
                && k.key()
                    .labels()
                    .any(|l| l.key() == "outcome" && l.value() == "ok")
        })
        .map(|(.., v)| v);
    assert_eq!(ok, Some(DebugValue::Counter(1234)));
    let alerts = events.of("profiler::alerts");
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].level, Level::WARN);
    assert_eq!(alerts[0].component.as_deref(), Some("stage"));
}
