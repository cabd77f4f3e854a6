//! What the live publisher hands a `metrics` recorder (`metrics-util`'s debugging
//! recorder, as a local recorder): every sample and count of the report, exactly, in
//! the histograms and counters the metric table names; the GPU and process gauges.

mod common;

use common::{call, serial, spread, stream_call, turn};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use profiler_core::__private::Outcome;
use profiler_core::live::{names, Live};
use profiler_core::model::{GpuPoint, LatencyStats};
use profiler_core::sample::gpu::{self, DeviceInfo, GpuSampler, RecordedSource};
use std::time::{Duration, Instant};

const MS: u64 = 1_000_000;

/// A series: name, labels, value.
type Series = (String, Vec<(String, String)>, DebugValue);

/// One snapshot of the recorder: every series.
struct Seen(Vec<Series>);

impl Seen {
    /// Takes a snapshot (which drains the histograms' values).
    fn take(snap: &Snapshotter) -> Seen {
        Seen(
            snap.snapshot()
                .into_vec()
                .into_iter()
                .map(|(k, _, _, v)| {
                    let labels = k
                        .key()
                        .labels()
                        .map(|l| (l.key().to_string(), l.value().to_string()))
                        .collect();
                    (k.key().name().to_string(), labels, v)
                })
                .collect(),
        )
    }

    /// Every series of `name` whose labels include `labels`.
    fn series(&self, name: &str, labels: &[(&str, &str)]) -> Vec<&DebugValue> {
        self.0
            .iter()
            .filter(|(n, l, _)| {
                n == name
                    && labels
                        .iter()
                        .all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v))
            })
            .map(|(_, _, v)| v)
            .collect()
    }

    fn one(&self, name: &str, labels: &[(&str, &str)]) -> &DebugValue {
        let s = self.series(name, labels);
        assert_eq!(s.len(), 1, "one series of {name} {labels:?}: {s:?}");
        s[0]
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.one(name, labels) {
            DebugValue::Counter(n) => *n,
            v => panic!("{name} is not a counter: {v:?}"),
        }
    }

    fn gauge(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        match self.one(name, labels) {
            DebugValue::Gauge(v) => v.into_inner(),
            v => panic!("{name} is not a gauge: {v:?}"),
        }
    }

    /// The values a histogram received since the previous snapshot, seconds, sorted.
    fn values(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        match self.one(name, labels) {
            DebugValue::Histogram(v) => {
                let mut v: Vec<f64> = v.iter().map(|x| x.into_inner()).collect();
                v.sort_by(f64::total_cmp);
                v
            }
            v => panic!("{name} is not a histogram: {v:?}"),
        }
    }
}

/// Nearest-rank quantile (HDR's definition) of sorted seconds, in ms.
fn quantile_ms(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1] * 1e3
}

/// The published values have the report's count and percentiles (both are HDR
/// bucket values: equal to floating-point rounding).
fn assert_same_distribution(published: &[f64], stats: &LatencyStats, what: &str) {
    assert_eq!(published.len() as u64, stats.count, "{what}: count");
    for (q, reported) in [(0.5, stats.median), (0.95, stats.p95), (0.99, stats.p99)] {
        let p = quantile_ms(published, q);
        assert!(
            (p - reported).abs() <= reported * 1e-9,
            "{what}: P{} published {p} ms, reported {reported} ms",
            q * 100.0
        );
    }
}

#[test]
fn published_samples_and_counts_equal_the_report() {
    let _serial = serial();
    let recorder = DebuggingRecorder::new();
    let snap = recorder.snapshotter();
    let live = Live::manual(true, false);

    let stt = site!(
        "stt",
        Latency,
        Some(100.0),
        &[("provider", "deepgram"), ("model", "nova-2")]
    );
    for ns in spread(500, 30.0, 160.0, 1) {
        call(stt, ns, Outcome::Ok);
    }
    for _ in 0..7 {
        call(stt, 5 * MS, Outcome::Error);
    }
    let llm = site!(
        "llm",
        FirstItem,
        Some(200.0),
        &[("provider", "openai"), ("model", "gpt-4o-mini")]
    );
    for ns in spread(200, 80.0, 400.0, 2) {
        stream_call(llm, ns, 5 * MS, 10);
    }
    for ns in spread(50, 300.0, 700.0, 3) {
        turn(ns, 200 * MS);
    }
    metrics::with_local_recorder(&recorder, || live.tick());
    let report = profiler_core::session::report();
    let seen = Seen::take(&snap);

    let s = &report.components["stt"];
    let stt_labels = [
        ("component", "stt"),
        ("kind", "latency"),
        ("provider", "deepgram"),
    ];
    let ok = [stt_labels.as_slice(), &[("outcome", "ok")]].concat();
    let err = [stt_labels.as_slice(), &[("outcome", "error")]].concat();
    let ok_first = seen.counter(names::CALLS, &ok);
    assert_eq!(ok_first, s.counts.samples);
    assert_eq!(s.counts.samples, 500);
    assert_eq!(seen.counter(names::CALLS, &err), 7);
    let published = seen.values(names::LATENCY, &stt_labels);
    assert_same_distribution(&published, &s.latency, "stt latency");
    assert_eq!(seen.gauge(names::TARGET, &stt_labels), 0.1);

    // The LLM stream under the GenAI conventions: time to first chunk and duration.
    let l = &report.components["llm"];
    let genai = [
        ("component", "llm"),
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "openai"),
        ("gen_ai.request.model", "gpt-4o-mini"),
    ];
    let ttfc = seen.values(names::GENAI_TIME_TO_FIRST_CHUNK, &genai);
    assert_same_distribution(&ttfc, &l.latency, "llm time to first chunk");
    let stream = l
        .stream
        .as_ref()
        .expect("a first-item component has stream figures");
    let duration = seen.values(names::GENAI_OPERATION_DURATION, &genai);
    assert_same_distribution(&duration, &stream.total, "llm operation duration");
    assert_eq!(
        seen.counter(names::STREAM_ITEMS, &[("component", "llm")]),
        stream.items
    );
    assert_eq!(stream.items, 2000);
    assert!(seen
        .series(names::FIRST_ITEM, &[("component", "llm")])
        .is_empty());

    // Turns: end-to-end and whole-turn time.
    let t = &report.components["turn"];
    let e2e = seen.values(names::TURN_E2E, &[("component", "turn")]);
    assert_same_distribution(&e2e, &t.latency, "turn E2E");
    assert_eq!(e2e.len(), 50);

    // The next tick hands over only what is new; counters keep adding up to the report
    // (the debugging recorder's snapshots take counters' increments since the last).
    for ns in spread(100, 30.0, 160.0, 4) {
        call(stt, ns, Outcome::Ok);
    }
    metrics::with_local_recorder(&recorder, || live.tick());
    let report = profiler_core::session::report();
    let seen = Seen::take(&snap);
    assert_eq!(
        ok_first + seen.counter(names::CALLS, &ok),
        report.components["stt"].counts.samples
    );
    assert_eq!(report.components["stt"].counts.samples, 600);
    assert_eq!(seen.values(names::LATENCY, &stt_labels).len(), 100);
    assert!(seen
        .values(names::TURN_E2E, &[("component", "turn")])
        .is_empty());
}

#[test]
fn gpu_and_process_gauges_are_published() {
    let _serial = serial();
    let device = DeviceInfo {
        index: 0,
        name: "Test GPU".into(),
        vram_total_mb: 8000.0,
    };
    let point = GpuPoint {
        util_pct: 40.0,
        vram_used_mb: 2000.0,
        temperature_c: 66.0,
        power_w: 210.0,
        ..GpuPoint::default()
    };
    // A background sampler, as `init()` starts; it samples once at its start.
    let sampler = GpuSampler::start(
        RecordedSource::new(vec![(device, vec![point; 4])]),
        Duration::from_secs(3600),
    );
    let t = Instant::now();
    while gpu::latest().is_empty() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let recorder = DebuggingRecorder::new();
    let snap = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || Live::manual(true, false).tick());
    let seen = Seen::take(&snap);
    let gpu0 = [
        ("hw.id", "gpu0"),
        ("hw.name", "Test GPU"),
        ("hw.type", "gpu"),
    ];
    let mb = 1024.0 * 1024.0;
    assert_eq!(seen.gauge(names::GPU_MEMORY_USAGE, &gpu0), 2000.0 * mb);
    assert_eq!(seen.gauge(names::GPU_MEMORY_LIMIT, &gpu0), 8000.0 * mb);
    assert_eq!(seen.gauge(names::GPU_UTILIZATION, &gpu0), 0.4);
    assert_eq!(seen.gauge(names::GPU_POWER, &gpu0), 210.0);
    assert_eq!(seen.gauge(names::GPU_TEMPERATURE, &gpu0), 66.0);
    let rss = seen.gauge(names::PROCESS_MEMORY_USAGE, &[]);
    let vms = seen.gauge(names::PROCESS_MEMORY_VIRTUAL, &[]);
    assert!(rss > 1e6 && vms >= rss, "rss {rss}, vms {vms}");
    // Without a running sampler there is no GPU to publish.
    drop(sampler);
    assert!(gpu::latest().is_empty());
}
