//! The Prometheus endpoint, scraped over real HTTP on a loopback port and parsed with
//! a real exposition-format parser (`prometheus-parse`): the scraped counts equal the
//! report's, and the report's P50/P95/P99 fall in the bucket where the scraped
//! histogram crosses each percentile (agreement within the bucket resolution).

mod common;

use common::{call, serial, spread, stream_call, ticks_by_flush, turn};
use profiler_core::__private::{Call, Outcome};
use profiler_core::live::prometheus;
use profiler_core::model::LatencyStats;
use prometheus_parse::{HistogramCount, Scrape, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

const MS: u64 = 1_000_000;

/// A loopback port nobody listens on (taken from the OS, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `GET /metrics` over HTTP/1.1: the body of a 200 response.
fn get_metrics(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("the exporter listens");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAccept: text/plain\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("a response");
    let text = String::from_utf8(raw).expect("a text response");
    let (head, body) = text.split_once("\r\n\r\n").expect("headers, then a body");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    }
}

/// The payload of a chunked body.
fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").expect("a chunk size line");
        let n = usize::from_str_radix(size.trim(), 16).expect("a hex chunk size");
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
}

fn has_labels(s: &prometheus_parse::Sample, labels: &[(&str, &str)]) -> bool {
    labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
}

fn one<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> &'a Value {
    let found: Vec<&prometheus_parse::Sample> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && has_labels(s, labels))
        .collect();
    assert_eq!(found.len(), 1, "one {metric} {labels:?} in the scrape");
    &found[0].value
}

fn counter(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    match one(scrape, metric, labels) {
        Value::Counter(v) => *v,
        v => panic!("{metric} is not a counter: {v:?}"),
    }
}

fn untyped(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    match one(scrape, metric, labels) {
        Value::Untyped(v) | Value::Gauge(v) => *v,
        v => panic!("{metric}: {v:?}"),
    }
}

fn buckets(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<HistogramCount> {
    match one(scrape, metric, labels) {
        Value::Histogram(b) => {
            let mut b = b.clone();
            b.sort_by(|x, y| x.less_than.total_cmp(&y.less_than));
            b
        }
        v => panic!("{metric} is not a histogram: {v:?}"),
    }
}

/// The scraped histogram `metric` holds the report's samples: its count, its sum, and
/// each of P50/P95/P99 in the bucket where the cumulative count passes its rank.
fn assert_histogram_matches(
    scrape: &Scrape,
    metric: &str,
    labels: &[(&str, &str)],
    stats: &LatencyStats,
) {
    let b = buckets(scrape, metric, labels);
    let total = b.last().expect("buckets").count;
    assert!(b.last().unwrap().less_than.is_infinite());
    assert_eq!(total as u64, stats.count, "{metric}: samples");
    assert_eq!(
        untyped(scrape, &format!("{metric}_count"), labels) as u64,
        stats.count
    );
    let sum = untyped(scrape, &format!("{metric}_sum"), labels);
    let report_sum = stats.mean * stats.count as f64 / 1e3;
    assert!(
        (sum - report_sum).abs() <= report_sum * 1e-3,
        "{metric}: sum {sum} s against the report's {report_sum} s"
    );
    for (q, p_ms) in [(0.5, stats.median), (0.95, stats.p95), (0.99, stats.p99)] {
        let rank = (q * total).ceil();
        let i = b.iter().position(|c| c.count >= rank).unwrap();
        let lo = if i == 0 { 0.0 } else { b[i - 1].less_than };
        let hi = b[i].less_than;
        let p = p_ms / 1e3;
        assert!(
            lo < p && p <= hi,
            "{metric}: the report's P{} {p} s is not in the scraped bucket ({lo}, {hi}]",
            q * 100.0
        );
    }
}

#[test]
fn a_scrape_over_http_holds_the_reports_counts_and_percentiles() {
    let _serial = serial();
    // Published by `flush` right before the scrape.
    profiler_core::configure(ticks_by_flush());
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let exporter = prometheus::serve(addr).expect("the exporter starts on a free port");

    let stt = site!(
        "stt",
        Latency,
        Some(100.0),
        &[("provider", "deepgram"), ("model", "nova-2")]
    );
    for ns in spread(1000, 30.0, 160.0, 11) {
        call(stt, ns, Outcome::Ok);
    }
    for _ in 0..13 {
        call(stt, 5 * MS, Outcome::Error);
    }
    for _ in 0..4 {
        // A call dropped before it finished (a barge-in): cancelled.
        let mut c = Call::prepare(stt);
        c.begin();
        drop(c);
    }
    let llm = site!(
        "llm",
        FirstItem,
        Some(200.0),
        &[("provider", "openai"), ("model", "gpt-4o-mini")]
    );
    for ns in spread(300, 90.0, 450.0, 12) {
        stream_call(llm, ns, 7 * MS, 20);
    }
    for ns in spread(120, 250.0, 800.0, 13) {
        turn(ns, 150 * MS);
    }

    profiler_core::live::flush();
    let text = get_metrics(addr);
    let report = profiler_core::session::report();
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parses");

    // Counts: exactly the report's.
    let s = &report.components["stt"];
    let stt_l = [
        ("component", "stt"),
        ("provider", "deepgram"),
        ("model", "nova-2"),
    ];
    let with = |outcome| [stt_l.as_slice(), &[("outcome", outcome)]].concat();
    let calls = "profiler_calls_total";
    assert_eq!(
        counter(&scrape, calls, &with("ok")) as u64,
        s.counts.samples
    );
    assert_eq!(
        counter(&scrape, calls, &with("error")) as u64,
        s.counts.errors
    );
    assert_eq!(
        counter(&scrape, calls, &with("cancelled")) as u64,
        s.counts.cancelled
    );
    assert_eq!(
        (s.counts.samples, s.counts.errors, s.counts.cancelled),
        (1000, 13, 4)
    );
    assert_histogram_matches(&scrape, "profiler_latency_seconds", &stt_l, &s.latency);
    assert_eq!(untyped(&scrape, "profiler_target_seconds", &stt_l), 0.1);

    // The LLM stream, under the GenAI conventions (Prometheus spelling).
    let l = &report.components["llm"];
    let genai = [
        ("component", "llm"),
        ("gen_ai_operation_name", "chat"),
        ("gen_ai_provider_name", "openai"),
        ("gen_ai_request_model", "gpt-4o-mini"),
    ];
    assert_histogram_matches(
        &scrape,
        "gen_ai_client_operation_time_to_first_chunk_seconds",
        &genai,
        &l.latency,
    );
    let stream = l.stream.as_ref().expect("stream figures");
    assert_histogram_matches(
        &scrape,
        "gen_ai_client_operation_duration_seconds",
        &genai,
        &stream.total,
    );
    let items = counter(
        &scrape,
        "profiler_stream_items_total",
        &[("component", "llm")],
    );
    assert_eq!(items as u64, stream.items);

    // Turns: end-to-end latency.
    let t = &report.components["turn"];
    assert_histogram_matches(
        &scrape,
        "profiler_turn_e2e_seconds",
        &[("component", "turn")],
        &t.latency,
    );
    assert_eq!(t.latency.count, 120);

    // Process memory, in bytes.
    assert!(untyped(&scrape, "process_memory_usage_bytes", &[]) > 1e6);
    // The same text is what the handle renders in-process.
    assert!(exporter
        .render()
        .contains("profiler_turn_e2e_seconds_bucket"));
}
