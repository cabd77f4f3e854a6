//! The pipeline as a service: its metrics served for Prometheus on a loopback port,
//! and a live budget alert that switches the LLM to a faster model while its time to
//! first token is over budget (and back once it recovered).
//!
//! ```text
//! cargo run --release --example prometheus --features prometheus -- --seconds 60
//! curl -s http://127.0.0.1:9464/metrics | grep -E '^(profiler|gen_ai|process|hw)_'
//! ```
//!
//! From `--slow-at` seconds on, the large model's time to first token degrades (a
//! noisy neighbour on its GPU): the alert fires within a window, the service sheds to
//! the small model, and the alert is lowered once the rolling P95 is back under budget.

use clap::Parser;
use futures::{executor::block_on, Stream, StreamExt};
use profiler::alerts::AlertKind;
use profiler::{profile, AlertConfig, Config};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Serve the simulated pipeline's metrics for Prometheus.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Loopback port of the scrape endpoint.
    #[arg(long, default_value_t = 9464)]
    port: u16,
    /// How long the service runs.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// When the large model starts to slow down, seconds after the start.
    #[arg(long, default_value_t = 8)]
    slow_at: u64,
}

fn wait(ms: f64) {
    std::thread::sleep(Duration::from_secs_f64(ms / 1e3));
}

#[profile(
    component = "stt",
    target_ms = 100,
    provider = "deepgram",
    model = "nova-2"
)]
fn transcribe(turn: u64) -> String {
    wait(60.0 + (turn % 5) as f64 * 6.0);
    format!("answer {turn}")
}

/// The LLM's answer; `ttft_ms` stands for the model in use (large or small).
#[profile(
    component = "llm",
    target_ms = 200,
    first_item,
    provider = "openai",
    model = "gpt-4o"
)]
fn answer(ttft_ms: f64) -> impl Stream<Item = &'static str> {
    tokens(ttft_ms, 12)
}

#[profile(
    component = "tts",
    target_ms = 200,
    first_item,
    provider = "elevenlabs"
)]
fn speak(words: usize) -> impl Stream<Item = Vec<u8>> {
    futures::stream::iter(0..words).then(|i| async move {
        wait(if i == 0 { 110.0 } else { 15.0 });
        vec![0u8; 640]
    })
}

#[profile(component = "avatar", target_ms = 50, frame)]
fn render_frame(i: u64) -> u64 {
    wait(25.0 + (i % 7) as f64);
    i
}

fn tokens(ttft_ms: f64, n: usize) -> impl Stream<Item = &'static str> {
    futures::stream::iter(0..n).then(move |i| async move {
        wait(if i == 0 { ttft_ms } else { 8.0 });
        "token"
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let (env, _) = Config::from_env();
    // A short window so the demo reacts within seconds (a turn takes about 0.8 s); the
    // defaults are a 30 s window, 20 samples and a 60 s cool-down.
    let _profiler = profiler::init_with(Config {
        alerts: AlertConfig {
            window_sec: 10,
            min_samples: 8,
            cooldown_sec: 10,
            ..env.alerts.clone()
        },
        ..env
    });
    let addr = ([127, 0, 0, 1], args.port).into();
    let prometheus = profiler::metrics::prometheus::serve(addr)?;
    eprintln!("serving http://{addr}/metrics for {} s", args.seconds);

    let use_small = Arc::new(AtomicBool::new(false));
    let shed = use_small.clone();
    let _alerts = profiler::alerts::on_alert(move |a| {
        eprintln!("alert: {}", a.message());
        if a.component == "llm" {
            shed.store(a.kind == AlertKind::Crossed, Ordering::Relaxed);
        }
    });

    let started = Instant::now();
    let mut turn_no = 0;
    while started.elapsed() < Duration::from_secs(args.seconds) {
        turn_no += 1;
        let question = {
            let turn = profiler::turn();
            let _in = turn.enter();
            let question = transcribe(turn_no);
            let slow = started.elapsed() >= Duration::from_secs(args.slow_at);
            let ttft_ms = match (use_small.load(Ordering::Relaxed), slow) {
                (true, _) => 90.0, // the small model
                (false, false) => 150.0,
                (false, true) => 320.0, // the large one, on a crowded GPU
            };
            let words = block_on(answer(ttft_ms).count());
            block_on(speak(words).for_each(|_| async {}));
            for i in 0..5 {
                render_frame(turn_no * 5 + i);
            }
            question
        };
        if turn_no % 10 == 0 {
            eprintln!("{turn_no} turns ({question})");
        }
    }

    // What a scrape returns now, in short: the counters and the budget lines.
    for line in prometheus.render().lines().filter(|l| {
        l.starts_with("profiler_calls_total") || l.starts_with("profiler_target_seconds")
    }) {
        println!("{line}");
    }
    Ok(())
}
