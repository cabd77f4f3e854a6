//! Environment toggles, read the way production reads them: each case runs this test
//! binary again as a child process with the variables set, so the real environment
//! path (parsed once, on the first call) is what is tested.

mod common;

use profiler::profile;

#[profile(component = "stt")]
fn stt(i: u64) -> u64 {
    i * 2
}

#[profile(component = "llm")]
fn llm(i: u64) -> u64 {
    i + 1
}

/// Runs the ignored test `child` with `vars`; returns its stderr.
fn run_child(child: &str, vars: &[(&str, &str)]) -> String {
    let c = common::run_child(child, vars);
    assert!(c.ok, "child {child} failed:\n{}\n{}", c.stdout, c.stderr);
    c.stderr
}

use common::in_child;

fn calls() {
    for i in 0..1000 {
        std::hint::black_box(stt(i));
        std::hint::black_box(llm(i));
    }
}

#[test]
fn profiler_off_records_nothing() {
    let stderr = run_child("child_off", &[("PROFILER_ENABLED", "off")]);
    assert!(stderr.is_empty(), "no warning for a valid value: {stderr}");
}

#[test]
#[ignore = "run by profiler_off_records_nothing"]
fn child_off() {
    if !in_child() {
        return;
    }
    calls();
    assert!(profiler::report().components.is_empty());
}

#[test]
fn component_filter_keeps_only_named_components() {
    run_child("child_filter", &[("PROFILER_COMPONENTS", "LLM")]);
}

#[test]
#[ignore = "run by component_filter_keeps_only_named_components"]
fn child_filter() {
    if !in_child() {
        return;
    }
    calls();
    let r = profiler::report();
    assert_eq!(r.components.keys().collect::<Vec<_>>(), vec!["llm"]);
    assert_eq!(r.components["llm"].counts.samples, 1000);
}

#[test]
fn sampling_rate_keeps_about_that_share_of_calls() {
    run_child("child_sampling", &[("PROFILER_SAMPLE_RATE", "0.25")]);
}

#[test]
#[ignore = "run by sampling_rate_keeps_about_that_share_of_calls"]
fn child_sampling() {
    if !in_child() {
        return;
    }
    for _ in 0..20 {
        calls();
    }
    let r = profiler::report();
    let n = r.components["stt"].counts.samples;
    // 20 000 calls at 25 %: 5 000 expected, binomial sd ~61; 6 sd either side.
    assert!((4_630..=5_370).contains(&n), "{n} samples");
    assert_eq!(r.run.sample_rate, 0.25);
}

#[test]
fn invalid_value_warns_once_and_uses_the_default() {
    let stderr = run_child(
        "child_invalid",
        &[("PROFILER_SAMPLE_RATE", "half"), ("PROFILER_WARMUP", "-2")],
    );
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("profiler:"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per invalid variable: {stderr}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("PROFILER_SAMPLE_RATE") && l.contains("0 to 1")),
        "{stderr}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("PROFILER_WARMUP") && l.contains("whole number")),
        "{stderr}"
    );
}

#[test]
#[ignore = "run by invalid_value_warns_once_and_uses_the_default"]
fn child_invalid() {
    if !in_child() {
        return;
    }
    calls();
    calls();
    let r = profiler::report();
    assert_eq!(
        r.components["stt"].counts.samples, 2000,
        "defaults: every call, no warm-up"
    );
}

#[test]
fn warm_up_and_target_from_the_environment() {
    run_child(
        "child_warmup_target",
        &[
            ("PROFILER_WARMUP", "10"),
            ("PROFILER_TARGET_LLM_MS", "0.000001"),
        ],
    );
}

#[test]
#[ignore = "run by warm_up_and_target_from_the_environment"]
fn child_warmup_target() {
    if !in_child() {
        return;
    }
    calls();
    let r = profiler::report();
    let c = &r.components["llm"];
    assert_eq!((c.counts.warmup_excluded, c.counts.samples), (10, 990));
    assert_eq!(c.target_ms, Some(0.000001));
    assert_eq!(c.severity, profiler::model::Severity::Critical);
}
