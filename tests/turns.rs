//! Turns group the stage calls made inside them: E2E latency to the first response
//! item, and each stage's share of turn time.

use futures::{Stream, StreamExt};
use profiler::{profile, Turn};
use std::time::{Duration, Instant};

fn spin(ms: u64) {
    let t = Instant::now();
    while t.elapsed() < Duration::from_millis(ms) {}
}

#[profile(component = "stt")]
fn transcribe() -> String {
    spin(10);
    "tell me about yourself".into()
}

#[profile(component = "llm", first_item)]
fn answer(_q: String) -> impl Stream<Item = &'static str> {
    futures::stream::iter(["I", "am", "a", "model"]).then(|t| async move {
        spin(if t == "I" { 12 } else { 6 });
        t
    })
}

#[profile(component = "tts", first_item)]
fn speak(_text: String) -> impl Stream<Item = Vec<u8>> {
    futures::stream::iter(0..3).then(|i| async move {
        spin(if i == 0 { 5 } else { 4 });
        vec![0u8; 320]
    })
}

async fn one_turn() {
    let turn = Turn::start();
    turn.scope(async {
        let q = transcribe();
        let text: Vec<&str> = answer(q).collect().await;
        let audio: Vec<Vec<u8>> = speak(text.join(" ")).collect().await;
        assert_eq!(audio.len(), 3);
    })
    .await;
}

#[test]
fn turn_reports_e2e_to_first_audio_and_stage_shares() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        for _ in 0..6 {
            tokio::spawn(one_turn()).await.unwrap();
        }
    });
    // A synchronous turn, entered on this thread.
    {
        let turn = Turn::start();
        let _in = turn.enter();
        transcribe();
        turn.respond();
    }

    let r = profiler::report();
    let turn = &r.components["turn"];
    assert_eq!(turn.counts.samples, 7);
    assert_eq!(turn.target_ms, Some(500.0), "the spec's E2E budget");
    let turns = r.turns.as_ref().expect("turn shares");
    assert_eq!(turns.count, 7);

    // E2E of a pipeline turn = STT + whole LLM stream + TTS first chunk (~10+30+5 ms);
    // the sync turn responds right after STT (~10 ms). P95 is a pipeline turn.
    let (stt, llm, tts) = (&r.components["stt"], &r.components["llm"], &r.components["tts"]);
    let llm_total = llm.stream.as_ref().unwrap().total.mean;
    let expected_e2e = stt.latency.mean + llm_total + tts.latency.mean;
    assert!(
        (turn.latency.p95 - expected_e2e).abs() < expected_e2e * 0.15 + 1.0,
        "E2E P95 {} vs stages {expected_e2e}",
        turn.latency.p95
    );
    assert!(turn.latency.min < expected_e2e / 2.0, "the sync turn responded after STT only");

    let share = |n: &str| turns.shares_pct.get(n).copied().unwrap_or(0.0);
    let sum: f64 = turns.shares_pct.values().sum();
    assert!(sum > 85.0 && sum <= 100.5, "sequential stages fill the turn: {sum}% ({:?})", turns.shares_pct);
    assert!(share("llm") > share("tts") && share("tts") > share("stt") * 0.8, "{:?}", turns.shares_pct);
    // Each share matches the stage's own time over the turns' total time.
    let turn_ms = turns.mean_turn_ms * turns.count as f64;
    let stt_expected = stt.latency.mean * stt.counts.samples as f64 * 100.0 / turn_ms;
    assert!((share("stt") - stt_expected).abs() < 3.0, "stt share {} vs {stt_expected}", share("stt"));
    assert_eq!(r.components["stt"].turn_share_pct, Some(share("stt")));
}
