//! The reference pipeline: a live interview avatar. A candidate speaks, STT
//! transcribes, the LLM interviewer streams its answer token by token, TTS streams
//! audio, and the avatar renders lip-synced frames at 25 FPS. Stages are simulated
//! with realistic latency distributions (log-normal, with occasional slow tails), so
//! the report shows what a real run shows: percentiles, TTFT/TTFB, FPS, the E2E
//! waterfall of each turn, interruptions, sessions, memory, bottlenecks and
//! recommendations.
//!
//! Memory per component: the owner-tracking counting allocator is this program's
//! global allocator, so the report gives each stage the heap bytes its calls still
//! hold (the TTS cache below keeps 1 MB per answer), beside its share of the process's
//! RSS growth.
//!
//! Each concurrent interview is a `profiler::Conversation` (a session in the report);
//! with `--barge-in RATE` that share of turns is interrupted by the candidate (the
//! turn is marked with `turn.interrupt()`, the bot's audio keeps playing for its
//! buffer's length, then the response is dropped).
//!
//! ```text
//! cargo run --release --example interview
//! cargo run --release --example interview -- --components stt llm --samples 40 --output-dir results/perf
//! cargo run --release --example interview -- --barge-in 0.3 --sessions 4
//! ```

use clap::Parser;
use futures::{Stream, StreamExt};
use profiler::{profile, Conversation};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, LogNormal};
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: profiler::CountingAllocator =
    profiler::CountingAllocator::with_owners(std::alloc::System);

/// Profile the simulated interview-avatar pipeline.
#[derive(Parser, Debug)]
#[command(about)]
struct Args {
    /// Stages to run: stt, llm, tts, avatar (space or comma separated).
    #[arg(long, num_args = 1.., value_delimiter = ',', default_values_t = ["stt".to_string(), "llm".into(), "tts".into(), "avatar".into()])]
    components: Vec<String>,
    /// Interview turns (question-answer rounds) in all.
    #[arg(long, default_value_t = 24)]
    samples: usize,
    /// Concurrent interview sessions.
    #[arg(long, default_value_t = 3)]
    sessions: usize,
    /// Where the report goes (default: PROFILER_OUTPUT_DIR, else profile_results).
    #[arg(long)]
    output_dir: Option<std::path::PathBuf>,
    /// Share of turns the candidate interrupts (barge-in), 0 to 1, spread evenly.
    #[arg(long, default_value_t = 0.15, value_parser = parse_rate)]
    barge_in: f64,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!("{s:?} is not a share between 0 and 1")),
    }
}

/// A barge-in: when the candidate speaks up (from the turn's start), and how long the
/// bot's audio goes on after that (its playback buffer) before the response is dropped.
struct BargeIn {
    at: Duration,
    flush: Duration,
}

/// A latency distribution: log-normal around `median_ms`, and a slow tail.
struct Latency {
    dist: LogNormal<f64>,
    tail_chance: f64,
    tail_factor: f64,
}

impl Latency {
    fn new(median_ms: f64, sigma: f64, tail_chance: f64, tail_factor: f64) -> Self {
        Latency {
            dist: LogNormal::new(median_ms.ln(), sigma).expect("valid log-normal"),
            tail_chance,
            tail_factor,
        }
    }
    fn draw(&self, rng: &mut StdRng) -> Duration {
        let mut ms = self.dist.sample(rng);
        if rng.random::<f64>() < self.tail_chance {
            ms *= self.tail_factor;
        }
        Duration::from_secs_f64(ms / 1e3)
    }
}

struct Profiles {
    endpoint: Latency,
    vad: Latency,
    stt: Latency,
    ttft: Latency,
    token: Latency,
    ttfb: Latency,
    chunk: Latency,
    frame: Latency,
}

impl Profiles {
    fn new() -> Self {
        Profiles {
            // End-of-speech detection: the turn starts when the candidate stops
            // talking, and the VAD waits for a stretch of silence before it hands the
            // audio over (not profiled: a named gap in the waterfall).
            endpoint: Latency::new(60.0, 0.35, 0.05, 2.5),
            // Voice-activity detection then a streaming STT API.
            vad: Latency::new(12.0, 0.2, 0.0, 1.0),
            stt: Latency::new(68.0, 0.22, 0.06, 1.6),
            // LLM time to first token, then tokens.
            ttft: Latency::new(165.0, 0.2, 0.08, 1.7),
            token: Latency::new(9.0, 0.3, 0.02, 3.0),
            // TTS time to first audio byte, then 40 ms audio chunks.
            ttfb: Latency::new(120.0, 0.25, 0.04, 1.8),
            chunk: Latency::new(18.0, 0.3, 0.0, 1.0),
            // Lip-sync render of one frame on the GPU.
            frame: Latency::new(27.0, 0.18, 0.03, 1.9),
        }
    }
}

/// Busy CPU work standing in for model inference on this thread.
fn compute(d: Duration) {
    let t = Instant::now();
    while t.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[derive(Debug)]
struct SttError;

#[profile(
    component = "stt",
    target_ms = 100,
    provider = "deepgram",
    model = "nova-2"
)]
async fn transcribe(
    audio: &[f32],
    vad: Duration,
    api: Duration,
    fail: bool,
) -> Result<String, SttError> {
    compute(vad); // VAD runs locally
    tokio::time::sleep(api).await; // the STT API round trip
    if fail {
        return Err(SttError);
    }
    Ok(format!("candidate answer of {} samples", audio.len()))
}

#[profile(
    component = "llm",
    target_ms = 200,
    first_item,
    provider = "openai",
    model = "gpt-4o-mini"
)]
fn answer(prompt: String, ttft: Duration, tokens: Vec<Duration>) -> impl Stream<Item = String> {
    let words: Vec<String> =
        format!("Thanks. {prompt}: could you tell me more about a project you led?")
            .split(' ')
            .map(str::to_string)
            .collect();
    futures::stream::iter(
        words
            .into_iter()
            .zip(std::iter::once(ttft).chain(tokens.into_iter().cycle())),
    )
    .then(|(w, wait)| async move {
        tokio::time::sleep(wait).await;
        w
    })
}

/// A cache of synthesised sentences, as a TTS service keeps (it grows with new text).
static TTS_CACHE: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

#[profile(
    component = "tts",
    target_ms = 200,
    first_item,
    provider = "elevenlabs"
)]
fn speak(text: String, ttfb: Duration, chunks: Vec<Duration>) -> impl Stream<Item = Vec<f32>> {
    // Cache this sentence's audio (about 1 MB), touching the pages so RSS grows.
    let entry = vec![text.len() as u8; 1 << 20];
    TTS_CACHE.lock().unwrap().push(entry);
    futures::stream::iter(std::iter::once(ttfb).chain(chunks)).then(|wait| async move {
        tokio::time::sleep(wait).await;
        vec![0.0f32; 640] // 40 ms of 16 kHz audio
    })
}

#[profile(component = "avatar", target_ms = 50, frame, model = "musetalk")]
async fn render_frame(audio: &[f32], render: Duration) -> Vec<u8> {
    compute(render / 5); // pre-processing on the CPU
    tokio::time::sleep(render - render / 5).await; // the GPU render
    vec![(audio.len() % 251) as u8; 64]
}

struct Stages {
    stt: bool,
    llm: bool,
    tts: bool,
    avatar: bool,
}

async fn interview_turn(
    conversation: &Conversation,
    stages: &Stages,
    p: &Profiles,
    rng: &mut StdRng,
    barge_in: Option<BargeIn>,
) -> String {
    let turn = conversation.turn();
    let mut line = String::new();
    let mut scope = Box::pin(turn.scope(async {
        let started = Instant::now();
        let heard = vec![0.0f32; 16_000];
        tokio::time::sleep(p.endpoint.draw(rng)).await;
        let question = if stages.stt {
            let fail = rng.random::<f64>() < 0.03;
            match transcribe(&heard, p.vad.draw(rng), p.stt.draw(rng), fail).await {
                Ok(q) => q,
                Err(_) => "(inaudible, asking again)".to_string(),
            }
        } else {
            "typed answer".to_string()
        };
        line.push_str(&format!(
            "stt {:>4.0}ms",
            started.elapsed().as_secs_f64() * 1e3
        ));
        let reply = if stages.llm {
            let tokens: Vec<Duration> = (0..16).map(|_| p.token.draw(rng)).collect();
            let words: Vec<String> = answer(question, p.ttft.draw(rng), tokens).collect().await;
            words.join(" ")
        } else {
            question
        };
        line.push_str(&format!(
            " | answer {:>4.0}ms",
            started.elapsed().as_secs_f64() * 1e3
        ));
        // Glue before TTS (sentence split, text normalisation): not profiled.
        compute(Duration::from_micros(rng.random_range(2_000..6_000)));
        if stages.tts {
            let chunks: Vec<Duration> = (0..14).map(|_| p.chunk.draw(rng)).collect();
            let renders: Vec<Duration> = (0..15).map(|_| p.frame.draw(rng)).collect();
            let mut audio = std::pin::pin!(speak(reply, p.ttfb.draw(rng), chunks));
            let mut frames = 0;
            while let Some(chunk) = audio.next().await {
                if frames == 0 {
                    line.push_str(&format!(
                        " | first audio {:>4.0}ms",
                        started.elapsed().as_secs_f64() * 1e3
                    ));
                }
                if stages.avatar {
                    // 25 FPS: one frame per 40 ms chunk, paced in real time.
                    let due = Instant::now() + Duration::from_millis(40);
                    render_frame(&chunk, renders[frames % renders.len()]).await;
                    tokio::time::sleep_until(due.into()).await;
                }
                frames += 1;
            }
        } else if stages.avatar {
            for r in (0..15).map(|_| p.frame.draw(rng)) {
                let due = Instant::now() + Duration::from_millis(40);
                render_frame(&[0.0; 640], r).await;
                tokio::time::sleep_until(due.into()).await;
            }
        }
    }));
    let barged = match barge_in {
        None => {
            (&mut scope).await;
            None
        }
        Some(b) => {
            tokio::select! {
                _ = &mut scope => None,
                _ = tokio::time::sleep(b.at) => {
                    // The candidate speaks up: mark it, let the audio buffer play out,
                    // then drop the response (and whatever stage was still running).
                    turn.interrupt();
                    let _ = tokio::time::timeout(b.flush, &mut scope).await;
                    Some(b.at)
                }
            }
        }
    };
    drop(scope);
    if let Some(at) = barged {
        line.push_str(&format!(" | barge-in at {:>4.0}ms", at.as_secs_f64() * 1e3));
    }
    if !stages.tts {
        turn.respond();
    }
    line
}

fn main() {
    let args = Args::parse();
    let wanted: BTreeSet<String> = args
        .components
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    for c in &wanted {
        if !["stt", "llm", "tts", "avatar"].contains(&c.as_str()) {
            eprintln!("interview: unknown component {c:?}; choose from stt, llm, tts, avatar");
            std::process::exit(2);
        }
    }
    let stages = Stages {
        stt: wanted.contains("stt"),
        llm: wanted.contains("llm"),
        tts: wanted.contains("tts"),
        avatar: wanted.contains("avatar"),
    };
    let (mut config, warnings) = profiler::Config::from_env();
    for w in warnings {
        eprintln!("{w}");
    }
    if let Some(dir) = &args.output_dir {
        config.output_dir = dir.clone();
    }
    let samples = args.samples.max(1);
    let sessions = args.sessions.clamp(1, samples);
    let barge_in = args.barge_in;
    println!("╔════════════════════════════════════════════════════════════╗");
    println!("║        🎯 Interview avatar pipeline: profiling start       ║");
    println!("╚════════════════════════════════════════════════════════════╝");
    println!(
        "stages: {}  turns: {samples}  concurrent sessions: {sessions}  barge-in: {:.0}%  report: {}",
        wanted.iter().cloned().collect::<Vec<_>>().join(", "),
        barge_in * 100.0,
        config.output_dir.display()
    );
    let profiler = profiler::init_with(config);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let stages = std::sync::Arc::new(stages);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    rt.block_on(async {
        let tasks: Vec<_> = (0..sessions)
            .map(|s| {
                let (stages, done) = (stages.clone(), done.clone());
                let turns = samples / sessions + usize::from(s < samples % sessions);
                tokio::spawn(async move {
                    let p = Profiles::new();
                    let mut rng = StdRng::seed_from_u64(2025 + s as u64);
                    let conversation = Conversation::new(format!("interview-{}", s + 1));
                    // Barge-ins spread evenly over the session's turns (staggered across
                    // sessions), each at a random moment of its turn.
                    let offset = s as f64 / sessions as f64;
                    for i in 0..turns {
                        let due = |i: usize| (i as f64 * barge_in + offset).floor();
                        let barge = (due(i + 1) > due(i)).then(|| BargeIn {
                            // Mostly while the bot talks, sometimes before it answers.
                            at: Duration::from_millis(rng.random_range(450..1400)),
                            flush: Duration::from_millis(rng.random_range(20..90)),
                        });
                        let line =
                            interview_turn(&conversation, &stages, &p, &mut rng, barge).await;
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        println!("  turn {n:>3}/{samples} ({}): {line}", conversation.id());
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("session task");
        }
    });
    drop(profiler); // writes the report
}
