//! Live budget alerts end to end, on a deterministic latency sequence (mock clock, one
//! process tick every 10 s of mock time driven by `flush`): the callbacks and a
//! `tracing` warning fire once per crossing, again only after recovering, at most once
//! per cool-down; the turn's end-to-end latency is judged like a stage; a panicking
//! callback does not stop the others.

mod common;

use common::{call, mock, serial, ticks_by_flush, turn, Events};
use profiler_core::__private::Outcome;
use profiler_core::analyse::alerts::{Alert, AlertKind};
use profiler_core::config::{AlertConfig, Config};
use profiler_core::model::Severity;
use std::sync::{Arc, Mutex};
use tracing::Level;
use tracing_subscriber::layer::SubscriberExt;

const MS: u64 = 1_000_000;
const TICK_NS: u64 = 10_000_000_000;

/// The configuration of every test here (set before each: tests share the process).
fn configure() {
    profiler_core::configure(Config {
        alerts: AlertConfig {
            enabled: false,
            window_sec: 30,
            min_samples: 20,
            cooldown_sec: 90,
        },
        ..ticks_by_flush()
    });
}

#[test]
fn alerts_fire_once_per_crossing_after_recovery_and_cooldown() {
    let _serial = serial();
    configure();
    let seen: Arc<Mutex<Vec<Alert>>> = Arc::default();
    let sink = seen.clone();
    let _alerts = profiler_core::live::on_alert(move |a| sink.lock().unwrap().push(a.clone()));
    let _panicking = profiler_core::live::on_alert(|_| panic!("a faulty callback"));
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());

    let render = site!("render", Latency, Some(50.0), &[]);
    let start = mock().value();
    let mut fired: Vec<(u64, String, AlertKind)> = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        for tick in 1..=16u64 {
            // The stage: 30 calls a tick, under, over, under, then over again.
            let ms = match tick {
                1..=3 => 40,
                4..=6 => 80,
                7..=9 => 30,
                _ => 80,
            };
            for _ in 0..30 {
                call(render, ms * MS, Outcome::Ok);
            }
            // Turns: 10 a tick, end-to-end 300 ms, then 700 ms (target 500 ms).
            let e2e = if tick <= 8 { 300 } else { 700 };
            for _ in 0..10 {
                turn(e2e * MS, 0);
            }
            // To the next tick, 10 s after the previous one.
            let now = mock().value() - start;
            mock().increment(tick * TICK_NS - now);
            profiler_core::live::flush();
            let mut s = seen.lock().unwrap();
            fired.extend(s.drain(..).map(|a| (tick, a.component.clone(), a.kind)));
            if tick == 4 {
                let seen = events.of("profiler::alerts");
                assert_eq!(seen.len(), 1, "{seen:?}");
                assert_eq!(seen[0].level, Level::WARN);
                assert_eq!(seen[0].component.as_deref(), Some("render"));
                assert!(
                    seen[0].message.contains("over its 50 ms target"),
                    "{seen:?}"
                );
            }
        }
    });
    let expected = [
        // 30 of the 90 samples in the window at 80 ms: the P95 crosses at once.
        (4, "render", AlertKind::Crossed),
        // Lowered once the window holds only 30 ms samples.
        (9, "render", AlertKind::Recovered),
        // The turns' window: 10 of 30 samples at 700 ms.
        (9, "turn", AlertKind::Crossed),
        // Over again at tick 10, 60 s after the first crossing: inside the 90 s
        // cool-down, it fires when the cool-down ends.
        (13, "render", AlertKind::Crossed),
    ]
    .map(|(t, c, k)| (t, c.to_string(), k));
    assert_eq!(fired, expected);
    let levels: Vec<Level> = events
        .of("profiler::alerts")
        .iter()
        .map(|e| e.level)
        .collect();
    assert_eq!(levels, [Level::WARN, Level::INFO, Level::WARN, Level::WARN]);
}

#[test]
fn an_alert_carries_the_window_figures() {
    let _serial = serial();
    configure();
    let seen: Arc<Mutex<Vec<Alert>>> = Arc::default();
    let sink = seen.clone();
    let live = profiler_core::live::Live::manual(false, true);
    let _alerts = profiler_core::live::on_alert(move |a| {
        if a.component == "asr" {
            sink.lock().unwrap().push(a.clone())
        }
    });
    let asr = site!("asr", Latency, None, &[]);
    for _ in 0..100 {
        call(asr, 250 * MS, Outcome::Ok);
    }
    live.tick();
    let a = seen
        .lock()
        .unwrap()
        .pop()
        .expect("asr (default target 100 ms) crossed");
    assert_eq!(a.kind, AlertKind::Crossed);
    assert_eq!(a.target_ms, 100.0);
    assert!((a.p95_ms - 250.0).abs() < 0.25, "{a:?}");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.samples, 100);
    assert!(
        a.message().starts_with("asr: rolling P95 250."),
        "{}",
        a.message()
    );
}
