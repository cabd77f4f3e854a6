//! Merge and compare take time in proportion to their input, never to its square
//! (40 000 components once took 22 s to merge: every recommendation was compared with
//! every other, and every function name of a component with every other).
//!
//! Deterministic without timing the machine: each test measures the cost per item in
//! this thread's CPU time (not wall-clock time, which other processes stretch), the
//! least of three runs, at n and 8n items. Linear work keeps the cost per item about
//! the same at 8n; quadratic work multiplies it by 8. The tests allow 3, in the best of
//! three attempts. The inputs
//! make the once-quadratic parts the bulk of the work: many findings with distinct
//! recommendations, many function names in one component.
#![cfg(unix)]

use profiler_core::analyse::compare::{Comparison, Percentile};
use profiler_core::analyse::{self, merge, stats, validate};
use profiler_core::model::histogram::{encode_histogram, new_histogram};
use profiler_core::model::*;
use std::path::PathBuf;

/// CPU time this thread has used, seconds.
fn thread_cpu_secs() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the current thread's CPU clock into `t`, which we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// The least CPU time `f` takes over three runs, per item of `n`.
fn per_item(n: usize, mut f: impl FnMut()) -> f64 {
    (0..3)
        .map(|_| {
            let t = thread_cpu_secs();
            f();
            thread_cpu_secs() - t
        })
        .fold(f64::INFINITY, f64::min)
        / n as f64
}

/// Measures the cost per item at n and 8n (`measure`) up to three times, and asserts
/// the best ratio is under 3: quadratic work is 8 times dearer at every attempt, while
/// a machine busy with something else (caches, clock speed) spoils one now and then.
fn assert_linear(what: &str, mut measure: impl FnMut() -> (f64, f64)) {
    let mut ratios = Vec::new();
    for _ in 0..3 {
        let (small, large) = measure();
        let ratio = large / small;
        println!(
            "{what}: {:.2} µs per item at n, {:.2} µs at 8n ({ratio:.2}x)",
            small * 1e6,
            large * 1e6
        );
        if ratio < 3.0 {
            return;
        }
        ratios.push(ratio);
    }
    panic!("{what}: an item costs {ratios:.1?} times more among 8 times as many, in each of three attempts");
}

/// A component of 5 samples at 1 µs, over its target (so it has a finding), called
/// from `functions`.
fn component(functions: Vec<String>) -> ComponentReport {
    let mut h = new_histogram();
    h.record_n(1_000, 5).unwrap();
    ComponentReport {
        latency: stats::latency_stats(&h),
        counts: Counts {
            samples: 5,
            ..Counts::default()
        },
        target_ms: Some(0.0005),
        target_source: Some(TargetSource::Attribute),
        functions,
        histogram: encode_histogram(&h),
        ..ComponentReport::default()
    }
}

/// A report of these components, judged.
fn report(components: impl IntoIterator<Item = (String, ComponentReport)>) -> Report {
    let mut r = Report {
        schema: SCHEMA.into(),
        timestamp: "2026-11-23T10:00:00".into(),
        duration_sec: 1.0,
        lang: Lang::En,
        components: components.into_iter().collect(),
        turns: None,
        sessions: None,
        bottlenecks: vec![],
        recommendations: vec![],
        findings: vec![],
        memory: None,
        gpu: GpuReport::default(),
        run: RunInfo::default(),
        trace: None,
    };
    analyse::assess(&mut r);
    r
}

/// `n` components named alike up to their last characters (54 shared, under the 64 a
/// message shows), so each finding's recommendation is distinct and costly to compare.
fn many_components(n: usize) -> Report {
    let prefix = "stage_".repeat(9);
    report((0..n).map(|i| (format!("{prefix}{i}"), component(vec!["run".into()]))))
}

fn two_inputs(r: Report) -> Vec<(PathBuf, Report)> {
    vec![
        (PathBuf::from("a.json"), r.clone()),
        (PathBuf::from("b.json"), r),
    ]
}

#[test]
fn findings_are_summed_up_in_time_linear_in_the_components() {
    let (n, big) = (4_000, 32_000);
    let (mut small_r, mut large_r) = (many_components(n), many_components(big));
    assert_eq!(large_r.recommendations.len(), big, "one per component");
    assert_linear("assess", || {
        (
            per_item(n, || analyse::assess(&mut small_r)),
            per_item(big, || analyse::assess(&mut large_r)),
        )
    });
}

#[test]
fn merge_and_compare_time_grows_linearly_with_the_components() {
    let (n, big) = (500, 4_000);
    let (small_in, large_in) = (
        two_inputs(many_components(n)),
        two_inputs(many_components(big)),
    );
    let merged = merge::merge(&large_in).unwrap();
    assert_eq!(merged.components.len(), big);
    assert_eq!(merged.recommendations.len(), big);
    assert_linear("merge", || {
        (
            per_item(n, || drop(merge::merge(&small_in).unwrap())),
            per_item(big, || drop(merge::merge(&large_in).unwrap())),
        )
    });
    let compare = |r: &Report| {
        validate::check(r).unwrap();
        let p = PathBuf::from("r.json");
        let all = [Percentile::P50, Percentile::P95, Percentile::P99];
        let c = Comparison::new(&p, r, &p, r, 10.0, &all);
        assert_eq!(c.rows.len(), 3 * r.components.len());
        profiler_core::render::compare::table(&c);
    };
    assert_linear("compare", || {
        (
            per_item(n, || compare(&small_in[0].1)),
            per_item(big, || compare(&large_in[0].1)),
        )
    });
}

#[test]
fn merge_time_grows_linearly_with_the_functions_of_a_component() {
    // One component called from `n` functions in one process and `n` others in another.
    let inputs = |n: usize| {
        let functions = |side: &str| {
            (0..n)
                .map(|i| format!("pipeline::{side}::stage_{i}"))
                .collect()
        };
        vec![
            (
                PathBuf::from("a.json"),
                report([("tts".to_string(), component(functions("a")))]),
            ),
            (
                PathBuf::from("b.json"),
                report([("tts".to_string(), component(functions("b")))]),
            ),
        ]
    };
    let (n, big) = (2_000, 16_000);
    let (small_in, large_in) = (inputs(n), inputs(big));
    assert_eq!(
        merge::merge(&large_in).unwrap().components["tts"]
            .functions
            .len(),
        2 * big
    );
    assert_linear("merge of function names", || {
        (
            per_item(n, || drop(merge::merge(&small_in).unwrap())),
            per_item(big, || drop(merge::merge(&large_in).unwrap())),
        )
    });
}
