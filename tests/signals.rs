//! The opt-in SIGTERM / SIGINT handler, tested on a real child process: the child
//! profiles some calls, says it is ready, and waits; this test sends the signal and
//! looks at how the child ended and what it left on disk.
#![cfg(unix)]

mod common;

use common::{in_child, reports_in};
use profiler::profile;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

const READY: &str = "PROFILER-TEST-CHILD-READY";

#[profile(component = "llm")]
fn answer(i: u64) -> u64 {
    std::hint::black_box(i + 1)
}

fn scratch(name: &str) -> PathBuf {
    common::scratch("profiler-signals", name)
}

/// Starts the child `name` with `vars`, waits for it to be ready, sends it `signals`
/// one after the other, and returns how it ended.
fn signalled(name: &str, vars: &[(&str, &str)], signals: &[libc::c_int]) -> ExitStatus {
    let mut cmd = common::child_command(name, vars);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the child says it is ready").unwrap();
        if line.contains(READY) {
            break;
        }
    }
    for &s in signals {
        // SAFETY: sends a signal to our own child, whose pid we hold.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, s) }, 0);
    }
    // Drain the rest of its output so it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    child.wait().unwrap()
}

#[test]
#[ignore = "run by the signal tests"]
fn child_waits_for_a_signal() {
    if !in_child() {
        return;
    }
    if std::env::var_os("TEST_IGNORE_SIGINT").is_some() {
        // A job started in the background by a non-interactive shell: SIGINT ignored.
        // SAFETY: sets SIGINT's disposition to ignore, before any other thread cares.
        unsafe { libc::signal(libc::SIGINT, libc::SIG_IGN) };
    }
    let _profiler = profiler::init();
    if std::env::var_os("TEST_SIGNALS_BY_API").is_some() {
        profiler::report_on_signals().unwrap();
    }
    for i in 0..25 {
        answer(i);
    }
    println!("{READY}");
    // A server at work until it is stopped; it never gets here in a passing test.
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_writes_the_report_then_ends_the_process_by_the_signal() {
    let dir = scratch("term");
    let status = signalled(
        "child_waits_for_a_signal",
        &[
            ("PROFILER_SIGNALS", "on"),
            ("PROFILER_FORMATS", "json"),
            ("PROFILER_OUTPUT_DIR", dir.to_str().unwrap()),
        ],
        &[libc::SIGTERM],
    );
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    let reports = reports_in(&dir);
    assert_eq!(reports.len(), 1, "the report, once");
    assert_eq!(reports[0].components["llm"].counts.samples, 25);
}

#[test]
fn sigint_by_the_api_writes_the_report_then_ends_the_process_by_the_signal() {
    let dir = scratch("int");
    let status = signalled(
        "child_waits_for_a_signal",
        &[
            ("TEST_SIGNALS_BY_API", "1"),
            ("PROFILER_FORMATS", "json"),
            ("PROFILER_OUTPUT_DIR", dir.to_str().unwrap()),
        ],
        &[libc::SIGINT],
    );
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    assert_eq!(reports_in(&dir)[0].components["llm"].counts.samples, 25);
}

#[test]
fn without_the_toggle_a_signal_ends_the_process_as_always_and_writes_nothing() {
    let dir = scratch("off");
    let status = signalled(
        "child_waits_for_a_signal",
        &[
            ("PROFILER_FORMATS", "json"),
            ("PROFILER_OUTPUT_DIR", dir.to_str().unwrap()),
        ],
        &[libc::SIGTERM],
    );
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    assert!(reports_in(&dir).is_empty());
}

#[test]
fn an_ignored_sigint_stays_ignored() {
    let dir = scratch("ignored");
    let status = signalled(
        "child_waits_for_a_signal",
        &[
            ("TEST_IGNORE_SIGINT", "1"),
            ("PROFILER_SIGNALS", "on"),
            ("PROFILER_FORMATS", "json"),
            ("PROFILER_OUTPUT_DIR", dir.to_str().unwrap()),
        ],
        // SIGINT does nothing (it did nothing before the profiler); SIGTERM ends it.
        &[libc::SIGINT, libc::SIGTERM],
    );
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
    assert_eq!(reports_in(&dir).len(), 1);
}
