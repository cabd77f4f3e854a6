//! The turn as a voice team debugs it: each turn's E2E split into critical-path parts
//! that add up to it, interruptions (barge-in), and sessions. Stage timings are
//! injected with a mock clock, so every figure is exact; each scenario runs in a child
//! process of its own (the clock and the turn log are per process).

mod common;

use common::{advance_ms, hop_once, in_child, install_mock_clock, run_child, timed};
use futures::{Stream, StreamExt};
use profiler::model::*;
use profiler::{profile, Conversation, Turn};
use std::path::{Path, PathBuf};

const MS: u64 = 1_000_000;

#[profile(component = "stt")]
fn transcribe(ms: u64) -> String {
    advance_ms(ms);
    "tell me about a project".into()
}

#[profile(component = "rag_a")]
async fn retrieve_a(ms: u64) {
    hop_once().await;
    advance_ms(ms);
}

#[profile(component = "rag_b")]
async fn retrieve_b(ms: u64) {
    hop_once().await;
    advance_ms(ms);
}

#[profile(component = "llm", first_item)]
fn answer(ms: Vec<u64>) -> impl Stream<Item = u64> {
    timed(ms)
}

#[profile(component = "tts", first_item)]
fn speak(ms: Vec<u64>) -> impl Stream<Item = u64> {
    timed(ms)
}

/// One pipeline turn on this thread: an endpointing wait, STT, two retrievals side by
/// side (B ends last), the LLM stream, glue, then TTS to its first audio and on.
/// Returns the E2E the stages add up to, ms.
fn pipeline_turn(turn: &Turn, k: u64) -> u64 {
    let _in = turn.enter();
    let (wait, stt, rag_a, rag_b, ttft, rest, glue, ttfb) = (
        5 + k,
        40 + 3 * k,
        20,
        10 + k,
        50 + 7 * k,
        30,
        3,
        60 + 11 * k,
    );
    advance_ms(wait);
    transcribe(stt);
    // A ends after `rag_a`, B `rag_b` later: B alone is on the path.
    futures::executor::block_on(async { futures::join!(retrieve_a(rag_a), retrieve_b(rag_b)) });
    assert_eq!(
        futures::executor::block_on(answer(vec![ttft, rest]).count()),
        2
    );
    advance_ms(glue);
    let mut audio = speak(vec![ttfb, 20, 20]);
    assert!(futures::executor::block_on(audio.next()).is_some());
    assert_eq!(futures::executor::block_on(audio.count()), 2);
    wait + stt + rag_a + rag_b + ttft + rest + glue + ttfb
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

/// Within the HDR histograms' resolution (3 significant figures).
fn hdr_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-3 * b.abs()
}

#[test]
#[ignore = "run in a child process by `turn_waterfall_adds_up_to_each_turns_e2e`"]
fn child_waterfall() {
    if !in_child() {
        return;
    }
    install_mock_clock();
    let mut e2e = Vec::new();
    for k in 0..5 {
        let turn = Turn::start();
        e2e.push(pipeline_turn(&turn, k));
    }
    let r = profiler::report();
    let turns = r.turns.as_ref().expect("turns");
    let w = turns.waterfall.as_ref().expect("a waterfall");
    assert_eq!(w.turns, 5);
    // The pooled E2E is what the stages add up to.
    let sum_ms: u64 = e2e.iter().sum();
    assert_eq!(w.total_e2e_ns, sum_ms * MS);
    let names: Vec<&str> = w.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gap:start->stt",
            "stt",
            "rag_b",
            "llm",
            "llm:streaming",
            "gap:llm->tts",
            "tts"
        ],
        "in path order; retrieval A ran beside the path and is not in it"
    );
    // Exact: the parts' sums add up to the summed E2E, shares to 100 %.
    assert_eq!(
        w.parts.iter().map(|p| p.total_ns).sum::<u64>(),
        w.total_e2e_ns
    );
    assert!(close(w.shares_sum_pct, 100.0), "{}", w.shares_sum_pct);
    let part = |n: &str| w.parts.iter().find(|p| p.name == n).unwrap();
    // B started with A, right after STT (no gap); A's 20 ms are B's first 20 ms, not
    // added to them.
    assert_eq!(part("rag_b").total_ns, (20 * 5 + 10 * 5 + 10) * MS);
    assert_eq!(part("gap:start->stt").total_ns, (5 * 5 + 10) * MS);
    assert_eq!(part("llm").total_ns, (50 * 5 + 7 * 10) * MS);
    assert_eq!(part("llm:streaming").total_ns, 30 * 5 * MS);
    assert_eq!(part("gap:llm->tts").total_ns, 3 * 5 * MS);
    assert!(hdr_close(part("tts").per_turn.max, 60.0 + 44.0));
    assert_eq!(part("gap:start->stt").turns_with, 5);
    // Per turn: one record each, its parts summing to its E2E.
    assert_eq!(turns.records.len(), 5);
    for rec in &turns.records {
        let e = rec.e2e_ms.unwrap();
        let sum: f64 = rec.waterfall.values().sum();
        assert!((sum - e).abs() < 1e-6, "turn {}: {sum} vs {e}", rec.id);
        assert_eq!(rec.outcome, TurnOutcome::Responded);
        assert!(!rec.waterfall.contains_key("rag_a"));
    }
    let slowest = &turns.records[0];
    assert_eq!(slowest.e2e_ms, Some(*e2e.iter().max().unwrap() as f64));
    assert!(slowest.kept_as.contains(&KeptAs::Slowest));
    // The turn component's E2E holds the same turns; the P50 and P95 turns are kept.
    assert_eq!(r.components["turn"].counts.samples, 5);
    let p50 = turns
        .records
        .iter()
        .find(|x| Some(x.id) == w.p50_turn)
        .unwrap();
    assert!(p50.kept_as.contains(&KeptAs::P50));
    assert!((p50.e2e_ms.unwrap() - r.components["turn"].latency.median).abs() < 0.5);
    // The old shares of turn time overlap (A and B side by side, both counted).
    assert!(turns.shares_pct.contains_key("rag_a"));
}

#[test]
fn turn_waterfall_adds_up_to_each_turns_e2e() {
    let c = run_child("child_waterfall", &[("PROFILER_FORMATS", "none")]);
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
}

#[test]
#[ignore = "run in a child process by `interruptions_are_counted_and_timed_and_their_calls_are_not_samples`"]
fn child_interruptions() {
    if !in_child() {
        return;
    }
    install_mock_clock();
    // A: interrupted 50 ms into the response; the bot goes on 30 ms, then stops.
    let a = Turn::start();
    {
        let _in = a.enter();
        transcribe(40);
        let mut audio = speak(vec![100, 20, 20, 20]);
        assert!(futures::executor::block_on(audio.next()).is_some());
        advance_ms(50);
        a.interrupt();
        advance_ms(30);
        drop(audio);
    }
    drop(a);
    // B: interrupted while the LLM streams; the LLM ends after the mark (not a sample)
    // and TTS starts anyway, talks 90 ms past the mark, then stops.
    let b = Turn::start();
    {
        let _in = b.enter();
        let mut tokens = answer(vec![50, 40]);
        assert!(futures::executor::block_on(tokens.next()).is_some());
        advance_ms(10);
        b.interrupt();
        assert_eq!(futures::executor::block_on(tokens.count()), 1);
        let mut audio = speak(vec![30, 20]);
        assert!(futures::executor::block_on(audio.next()).is_some());
        advance_ms(20);
        drop(audio);
        // A stage call that ends after the mark: cancelled, not a sample.
        transcribe(5);
    }
    drop(b);
    // C: interrupted before any response stream opened: nothing to time.
    let c = Turn::start();
    {
        let _in = c.enter();
        transcribe(40);
        c.interrupt();
    }
    drop(c);
    // D: not interrupted.
    let d = Turn::start();
    {
        let _in = d.enter();
        transcribe(40);
        let mut audio = speak(vec![70]);
        assert!(futures::executor::block_on(audio.next()).is_some());
    }
    drop(d);

    let r = profiler::report();
    let t = r.turns.as_ref().unwrap();
    let i = &t.interruptions;
    assert_eq!((i.count, i.before_response), (3, 2));
    assert!(close(i.rate_pct, 75.0), "{}", i.rate_pct);
    assert_eq!(i.latency.count, 2, "A and B had a response stream to stop");
    assert!(
        hdr_close(i.latency.min, 30.0) && hdr_close(i.latency.max, 90.0),
        "{:?}",
        i.latency
    );
    // Turns interrupted before their response have no E2E: cancelled.
    let turn = &r.components["turn"];
    assert_eq!((turn.counts.samples, turn.counts.cancelled), (2, 2));
    assert!(
        hdr_close(turn.latency.max, 140.0),
        "A responded at 40 + 100 ms"
    );
    // TTS: A's and D's first audio are samples; B's came after the mark.
    let tts = &r.components["tts"];
    assert_eq!((tts.counts.samples, tts.counts.cancelled), (2, 1));
    // LLM: its first token came before the mark (a sample), its end after (cancelled
    // stream, no whole-stream time).
    let llm = &r.components["llm"];
    assert_eq!(llm.counts.samples, 1);
    let s = llm.stream.as_ref().unwrap();
    assert_eq!((s.completed, s.cancelled), (0, 1));
    // STT: four calls before a mark are samples; the one after B's mark is not.
    let stt = &r.components["stt"];
    assert_eq!((stt.counts.samples, stt.counts.cancelled), (3, 1));
    // The waterfall covers the turns with an E2E only.
    assert_eq!(t.waterfall.as_ref().unwrap().turns, 2);
    let rec = |outcome: TurnOutcome| t.records.iter().find(|x| x.outcome == outcome).unwrap();
    let a = rec(TurnOutcome::Interrupted);
    assert_eq!((a.e2e_ms, a.interruption_ms), (Some(140.0), Some(30.0)));
    let before: Vec<_> = t
        .records
        .iter()
        .filter(|x| x.outcome == TurnOutcome::InterruptedBeforeResponse)
        .collect();
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(|x| x.e2e_ms.is_none()));
    // B waited 60 ms before the user gave up: its path runs to the mark.
    let b = before.iter().find(|x| x.interruption_ms.is_some()).unwrap();
    assert_eq!(b.interruption_ms, Some(90.0));
    assert!(
        close(b.waterfall.values().sum::<f64>(), 60.0),
        "{:?}",
        b.waterfall
    );
    assert_eq!(rec(TurnOutcome::Responded).e2e_ms, Some(110.0));
}

#[test]
fn interruptions_are_counted_and_timed_and_their_calls_are_not_samples() {
    let c = run_child("child_interruptions", &[("PROFILER_FORMATS", "none")]);
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
}

/// A turn of `ms` in `conversation`, responded by mark.
fn quick_turn(conversation: &Conversation, ms: u64) {
    let turn = conversation.turn();
    advance_ms(ms);
    turn.respond();
}

#[test]
#[ignore = "run in a child process by `per_session_p95_stands_beside_the_pooled_p95`"]
fn child_sessions() {
    if !in_child() {
        return;
    }
    install_mock_clock();
    // A profiling session, for the process memory the budgets are judged on.
    let _profiler = profiler::init();
    let fast = Conversation::new("fast");
    let slow = Conversation::new("slow");
    for _ in 0..40 {
        quick_turn(&fast, 100);
    }
    drop(fast);
    for ms in [200, 200, 200, 200, 200, 200, 200, 200, 900, 900] {
        quick_turn(&slow, ms);
    }
    let later = Conversation::new("later");
    quick_turn(&later, 100);
    // A turn of no session is pooled, not in any session.
    let lone = Turn::start();
    advance_ms(100);
    lone.respond();
    drop(lone);

    let r = profiler::report();
    let s = r.sessions.as_ref().expect("sessions");
    assert_eq!((s.opened, s.peak_concurrent, s.tracked), (3, 2, 3));
    assert_eq!(s.turns_without_session, 1);
    let row = |id: &str| s.sessions.iter().find(|x| x.id == id).unwrap();
    assert!(
        hdr_close(row("fast").e2e.p95, 100.0),
        "{:?}",
        row("fast").e2e
    );
    assert!(
        hdr_close(row("slow").e2e.p95, 900.0),
        "{:?}",
        row("slow").e2e
    );
    assert!(!row("fast").open && row("slow").open);
    assert_eq!(row("slow").turns, 10);
    // Pooled over 52 turns: the 50th is a 200 ms turn. Not 900, not 100, and not the
    // mean of the sessions' P95s (366.7).
    assert!(
        hdr_close(s.pooled_e2e_p95_ms, 200.0),
        "{}",
        s.pooled_e2e_p95_ms
    );
    assert_eq!(s.pooled_e2e_p95_ms, r.components["turn"].latency.p95);
    // Judged against the 500 ms E2E target: the slow session is 1.8x over, fast good.
    assert_eq!(row("slow").severity, Severity::High);
    assert_eq!(row("fast").severity, Severity::Good);
    // Each session's throughput over its own open time: 40 turns in 4 s.
    assert!(
        close(row("fast").turns_per_sec, 10.0),
        "{}",
        row("fast").turns_per_sec
    );
    // Budgets: the process figure, said so.
    let mem = &s.budgets[0];
    assert_eq!(mem.basis, Some(BudgetBasis::Process));
    assert_eq!(
        mem.measured_mb,
        Some(r.memory.as_ref().unwrap().peak_rss_mb)
    );
    assert_eq!(
        mem.severity,
        Severity::Good,
        "a test process is far under 4 GB"
    );
    assert!(mem.note.contains("cannot be told apart"), "{}", mem.note);
}

#[test]
fn per_session_p95_stands_beside_the_pooled_p95() {
    let c = run_child("child_sessions", &[("PROFILER_FORMATS", "none")]);
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
}

#[test]
#[ignore = "run in a child process by `a_session_id_cannot_forge_console_lines`"]
fn child_forged_session_id() {
    if !in_child() {
        return;
    }
    install_mock_clock();
    let _profiler = profiler::init();
    let forged = Conversation::new("a\nFAKE LINE\x1b[31m");
    // Kept as it will be shown: printable, the escapes written out.
    assert_eq!(forged.id(), "a\\u{a}FAKE LINE\\u{1b}[31m");
    let long = Conversation::new("x".repeat(10_000));
    assert_eq!(long.id().chars().count(), 128);
    quick_turn(&forged, 100);
    quick_turn(&long, 100);
    let r = profiler::report();
    let ids: Vec<&str> = r
        .sessions
        .as_ref()
        .unwrap()
        .sessions
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert!(ids.contains(&forged.id()), "{ids:?}");
    let text = profiler::render::console::render(&r);
    common::assert_no_forged_line(&text, "FAKE LINE");
}

#[test]
fn a_session_id_cannot_forge_console_lines() {
    let c = run_child("child_forged_session_id", &[("PROFILER_FORMATS", "none")]);
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
}

/// Turns of one input of the merge test: `part` 0 and 1 are the two processes,
/// 2 is one process doing both.
fn merge_input(part: u8) {
    let first = part != 1;
    let second = part != 0;
    let shared = Conversation::new("shared");
    if first {
        let own = Conversation::new("first");
        for k in 0..4 {
            let turn = own.turn();
            pipeline_turn(&turn, k);
        }
        let turn = shared.turn();
        pipeline_turn(&turn, 9);
        let t = shared.turn();
        {
            let _in = t.enter();
            let mut audio = speak(vec![80, 20]);
            assert!(futures::executor::block_on(audio.next()).is_some());
            t.interrupt();
            advance_ms(25);
        }
        drop(t);
    }
    if second {
        let own = Conversation::new("second");
        for k in [2, 5, 8] {
            // Without the retrievals: these turns have no rag_b part.
            let turn = own.turn();
            let _in = turn.enter();
            transcribe(30 + k);
            let mut audio = speak(vec![90 + 13 * k, 20]);
            assert!(futures::executor::block_on(audio.next()).is_some());
        }
        let t = shared.turn();
        {
            let _in = t.enter();
            let mut audio = speak(vec![70, 20]);
            assert!(futures::executor::block_on(audio.next()).is_some());
            t.interrupt();
            advance_ms(45);
        }
        drop(t);
    }
}

#[test]
#[ignore = "run in a child process by `merge_carries_the_waterfall_interruptions_and_sessions_exactly`"]
fn child_merge_input() {
    if !in_child() {
        return;
    }
    install_mock_clock();
    let part: u8 = std::env::var("WATERFALL_PART").unwrap().parse().unwrap();
    merge_input(part);
    let dir = PathBuf::from(std::env::var("WATERFALL_OUT").unwrap());
    profiler::render::json::write(&profiler::report(), &dir).unwrap();
}

fn report_of(part: u8, dir: &Path) -> (PathBuf, Report) {
    let out = dir.join(part.to_string());
    let c = run_child(
        "child_merge_input",
        &[
            ("PROFILER_FORMATS", "none"),
            ("WATERFALL_PART", &part.to_string()),
            ("WATERFALL_OUT", out.to_str().unwrap()),
        ],
    );
    assert!(c.ok, "{}\n{}", c.stdout, c.stderr);
    let path = profiler::render::json::resolve(&out).unwrap();
    let r = profiler::render::json::read(&path).unwrap();
    (path, r)
}

#[test]
fn merge_carries_the_waterfall_interruptions_and_sessions_exactly() {
    let dir = std::env::temp_dir().join(format!("profiler-waterfall-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let a = report_of(0, &dir);
    let b = report_of(1, &dir);
    let (_, both) = report_of(2, &dir);
    let merged = profiler::analyse::merge::merge(&[a, b]).unwrap();
    let (mt, bt) = (merged.turns.unwrap(), both.turns.unwrap());
    let (mw, bw) = (mt.waterfall.clone().unwrap(), bt.waterfall.clone().unwrap());
    assert_eq!((mw.turns, mw.total_e2e_ns), (bw.turns, bw.total_e2e_ns));
    let by_name = |w: &Waterfall| {
        let mut v: Vec<(String, u64, u64, LatencyStats)> = w
            .parts
            .iter()
            .map(|p| (p.name.clone(), p.total_ns, p.turns_with, p.per_turn.clone()))
            .collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    };
    // Every part's per-turn percentiles, sums and turn counts: exactly one process's.
    assert_eq!(by_name(&mw), by_name(&bw));
    for (m, b) in mw.parts.iter().zip(&bw.parts) {
        assert_eq!(m.name, b.name, "same path order");
        assert!(close(m.share_pct, b.share_pct));
    }
    let (mi, bi) = (&mt.interruptions, &bt.interruptions);
    assert_eq!(
        (mi.count, mi.before_response, mi.rate_pct, &mi.latency),
        (bi.count, bi.before_response, bi.rate_pct, &bi.latency)
    );
    assert_eq!(mi.latency.count, 2);
    let (ms, bs) = (merged.sessions.unwrap(), both.sessions.unwrap());
    let session = |r: &SessionsReport, id: &str| r.sessions.iter().find(|s| s.id == id).cloned();
    for id in ["first", "second"] {
        let (m, b) = (session(&ms, id).unwrap(), session(&bs, id).unwrap());
        assert_eq!(
            (&m.e2e, m.turns, m.interrupted),
            (&b.e2e, b.turns, b.interrupted),
            "{id}"
        );
    }
    // Both processes had a session "shared": ids are per process, so they are two
    // sessions, told apart by input, whose turns are the one process's.
    assert!(session(&ms, "shared").is_none(), "{:?}", ms.sessions);
    let one = session(&ms, "shared (input 1)").unwrap();
    let two = session(&ms, "shared (input 2)").unwrap();
    let b = session(&bs, "shared").unwrap();
    assert_eq!((one.turns, one.interrupted), (2, 1));
    assert_eq!((two.turns, two.interrupted), (1, 1));
    assert_eq!(one.turns + two.turns, b.turns);
    assert_eq!(one.e2e.count + two.e2e.count, b.e2e.count);
    assert_eq!(ms.sessions.len(), bs.sessions.len() + 1);
    // Kept turns name their session as the sessions list does.
    let ids: Vec<&str> = ms.sessions.iter().map(|s| s.id.as_str()).collect();
    for r in &mt.records {
        let s = r.session.as_deref().unwrap();
        assert!(ids.contains(&s), "{s} not in {ids:?}");
    }
    assert_eq!(ms.pooled_e2e_p95_ms, bs.pooled_e2e_p95_ms);
    // The slowest turns are the same turns (their ids differ between processes).
    let slowest = |t: &TurnReport| {
        t.records
            .iter()
            .filter(|r| r.kept_as.contains(&KeptAs::Slowest))
            .map(|r| (r.e2e_ms.map(|e| (e * 1e3) as u64), r.waterfall.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(slowest(&mt), slowest(&bt));
    let _ = std::fs::remove_dir_all(&dir);
}
