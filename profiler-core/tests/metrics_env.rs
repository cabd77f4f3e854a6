//! One environment toggle switches publishing on: with `PROFILER_METRICS=on`, the
//! session `init()` starts publishes into the recorder the program installed, and its
//! end publishes what the last interval recorded. (One test in this binary: it sets
//! the environment before the configuration is first read.)

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use profiler_core::__private::{measure_sync, Call, Kind, Outcome, Site};

static STAGE: Site = Site::new("stage", "stage", Some(80.0), Kind::Latency, None, &[]);

fn stage() {
    let c = Call::prepare(&STAGE);
    measure_sync(
        c,
        tracing::Span::none,
        || std::hint::black_box(7),
        |_| Outcome::Ok,
    );
}

#[test]
fn profiler_metrics_on_publishes_through_the_installed_recorder() {
    // Set before the profiler first reads the environment, by this binary's only test.
    for (k, v) in [
        ("PROFILER_METRICS", "on"),
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

    let session = profiler_core::session::init();
    for _ in 0..1234 {
        stage();
    }
    // The interval (60 s) has not elapsed: the session's end publishes.
    session.finish();
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
}
