//! Errors, cancellations, panics and warm-up are counted apart from latency samples.

use futures::{Stream, StreamExt};
use profiler::profile;
use std::time::Duration;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[profile(component = "outcomes_errors")]
fn fallible(ok: bool) -> Result<u32, String> {
    if ok {
        Ok(1)
    } else {
        Err("upstream timeout".into())
    }
}

#[test]
fn erroring_calls_are_counted_not_sampled() {
    for i in 0..10 {
        let _ = fallible(i % 5 != 0);
    }
    let r = profiler::report();
    let c = &r.components["outcomes_errors"];
    assert_eq!(c.counts.samples, 8);
    assert_eq!(c.counts.errors, 2);
    assert_eq!(c.latency.count, 8);
    assert!(
        r.bottlenecks
            .iter()
            .any(|b| b.contains("outcomes_errors") && b.contains("2 of 10")),
        "{:?}",
        r.bottlenecks
    );
}

#[profile(component = "outcomes_async_cancel")]
async fn slow_answer() -> u32 {
    tokio::time::sleep(Duration::from_secs(30)).await;
    1
}

#[test]
fn cancelled_future_is_not_a_latency_sample() {
    rt().block_on(async {
        for _ in 0..3 {
            // Barge-in: the candidate interrupts, the future is dropped mid-flight.
            let r = tokio::time::timeout(Duration::from_millis(5), slow_answer()).await;
            assert!(r.is_err());
        }
    });
    let r = profiler::report();
    let c = &r.components["outcomes_async_cancel"];
    assert_eq!(c.counts.cancelled, 3);
    assert_eq!(c.counts.samples, 0);
    assert_eq!(c.latency.count, 0);
}

#[profile(component = "outcomes_stream_cancel", first_item)]
fn audio(delay_first: bool) -> impl Stream<Item = u8> {
    futures::stream::unfold(0u8, move |i| async move {
        if i == 0 && delay_first {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        (i < 3).then_some((i, i + 1))
    })
}

#[test]
fn stream_dropped_before_its_first_item_is_cancelled_not_sampled() {
    rt().block_on(async {
        // Dropped before any item: cancelled, no sample.
        let mut s = Box::pin(audio(true));
        assert!(tokio::time::timeout(Duration::from_millis(5), s.next())
            .await
            .is_err());
        drop(s);
        // Dropped after its first item: the first-item sample stands, the stream is cancelled.
        let mut s = Box::pin(audio(false));
        assert_eq!(s.next().await, Some(0));
        drop(s);
        // Completed.
        assert_eq!(audio(false).count().await, 3);
    });
    let r = profiler::report();
    let c = &r.components["outcomes_stream_cancel"];
    assert_eq!(c.counts.cancelled, 1);
    assert_eq!(c.counts.samples, 2);
    let s = c.stream.as_ref().unwrap();
    assert_eq!((s.completed, s.cancelled), (1, 1));
    assert_eq!(
        s.total.count, 1,
        "only the completed stream has a total time"
    );
}

#[profile(component = "outcomes_panic")]
fn explode(yes: bool) -> u8 {
    if yes {
        panic!("model crashed");
    }
    0
}

#[test]
fn panicking_call_is_an_error_not_a_sample() {
    explode(false);
    assert!(std::panic::catch_unwind(|| explode(true)).is_err());
    let r = profiler::report();
    let c = &r.components["outcomes_panic"];
    assert_eq!(
        (c.counts.samples, c.counts.errors, c.counts.cancelled),
        (1, 1, 0)
    );
}

fn spin(d: Duration) {
    let t = std::time::Instant::now();
    while t.elapsed() < d {}
}

#[profile(component = "outcomes_warmup", warmup = 3)]
fn cold_then_warm(i: u32) {
    // The first calls are slow (model load, cache warm-up).
    spin(Duration::from_millis(if i < 3 { 120 } else { 1 }));
}

#[test]
fn warm_up_calls_are_left_out() {
    for i in 0..10 {
        cold_then_warm(i);
    }
    let r = profiler::report();
    let c = &r.components["outcomes_warmup"];
    assert_eq!(c.counts.warmup_excluded, 3);
    assert_eq!(c.counts.samples, 7);
    assert!(
        c.latency.max < 100.0,
        "slow warm-up calls leaked into latency: {:?}",
        c.latency
    );
}

#[profile(component = "outcomes_concurrent")]
async fn concurrent_stage(i: u64) -> u64 {
    for _ in 0..(i % 4) {
        tokio::task::yield_now().await;
    }
    i
}

#[test]
fn many_concurrent_calls_across_threads_are_all_counted() {
    let total: u64 = rt().block_on(async {
        let tasks: Vec<_> = (0..2000)
            .map(|i| tokio::spawn(concurrent_stage(i)))
            .collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    });
    assert_eq!(total, (0..2000).sum::<u64>());
    let r = profiler::report();
    let c = &r.components["outcomes_concurrent"];
    assert_eq!(c.counts.samples, 2000);
    assert_eq!(c.counts.cancelled + c.counts.errors, 0);
}
