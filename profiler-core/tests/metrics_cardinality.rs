//! A component name taken from foreign spans (here a request id, the classic mistake)
//! does not explode the published series: past `max_components`, components are
//! published as `component="other"`, every call still counted, with one warning.

mod common;

use common::{mock, serial, Events};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use profiler_core::config::{Config, MetricsConfig};
use profiler_core::live::{names, Live, OTHER};
use std::collections::BTreeMap;
use tracing::Level;
use tracing_subscriber::layer::SubscriberExt;

/// `n` spans of foreign code, each naming a component after its request id.
fn requests(from: usize, n: usize) {
    for i in from..from + n {
        let span = tracing::info_span!("handle", component = %format!("request-{i}"));
        let entered = span.enter();
        mock().increment(2_000_000u64);
        drop(entered);
    }
}

/// Calls published per `component` label value in `profiler_calls_total{outcome="ok"}`.
fn calls_by_component(recorder: &DebuggingRecorder) -> BTreeMap<String, u64> {
    let mut by = BTreeMap::new();
    for (k, _, _, v) in recorder.snapshotter().snapshot().into_vec() {
        let key = k.key();
        let label = |name: &str| {
            key.labels()
                .find(|l| l.key() == name)
                .map(|l| l.value().to_string())
        };
        if key.name() != names::CALLS || label("outcome").as_deref() != Some("ok") {
            continue;
        }
        if let (Some(c), DebugValue::Counter(n)) = (label("component"), v) {
            *by.entry(c).or_insert(0) += n;
        }
    }
    by
}

#[test]
fn components_from_foreign_spans_fold_into_other_past_the_bound() {
    let _serial = serial();
    profiler_core::configure(Config {
        metrics: MetricsConfig {
            max_components: 8,
            ..MetricsConfig::default()
        },
        ..Config::default()
    });
    let warnings = Events::default();
    let subscriber = tracing_subscriber::registry()
        .with(profiler_core::layer::layer())
        .with(warnings.clone());
    let recorder = DebuggingRecorder::new();
    let live = Live::manual(true, false);
    tracing::subscriber::with_default(subscriber, || {
        requests(0, 1000);
        metrics::with_local_recorder(&recorder, || live.tick());
        let first = calls_by_component(&recorder);
        // Eight components under their own name, and `other` for the other 992.
        assert_eq!(first.len(), 9, "{first:?}");
        assert_eq!(first[OTHER], 992);
        assert_eq!(first.values().sum::<u64>(), 1000, "every call counted");
        assert!(first.keys().filter(|c| *c != OTHER).all(|c| first[c] == 1));

        // A thousand more ids: still nine series, no second warning.
        requests(1000, 1000);
        metrics::with_local_recorder(&recorder, || live.tick());
        let second = calls_by_component(&recorder);
        assert_eq!(second.len(), 9, "{second:?}");
        assert_eq!(second[OTHER], 1000);
    });
    let ours = warnings.of("profiler::metrics");
    assert_eq!(ours.len(), 1, "one warning: {ours:?}");
    assert_eq!(ours[0].level, Level::WARN);
    assert!(
        ours[0].message.contains("more than 8 components") && ours[0].message.contains("request-8"),
        "{}",
        ours[0].message
    );
}
