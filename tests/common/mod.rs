//! For tests that run their own test binary again as a child process, so that what a
//! program reads or prints once per process (the environment, one-time warnings, the
//! end-of-run report) is tested the way a program meets it.

// Each test binary uses part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};

/// Set in the child's environment; a child test does nothing without it.
const MARKER: &str = "TESTS_CHILD_PROCESS";

/// What a child run printed.
pub struct Child {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// The command that runs the ignored test `name` of this binary with `vars` set and
/// every other `PROFILER_*` variable of this process removed.
pub fn child_command(name: &str, vars: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("the test binary"));
    cmd.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PROFILER_")) {
        cmd.env_remove(k);
    }
    cmd.env(MARKER, "1").envs(vars.iter().copied());
    cmd
}

/// Runs the ignored test `name` of this binary with `vars` set and every other
/// `PROFILER_*` variable of this process removed.
pub fn run_child(name: &str, vars: &[(&str, &str)]) -> Child {
    let out = child_command(name, vars)
        .output()
        .expect("run the child test");
    let child = Child {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        child.stdout.contains("1 passed"),
        "child {name} did not run:\n{}\n{}",
        child.stdout,
        child.stderr
    );
    child
}

/// Whether this process is a child started by [`run_child`].
pub fn in_child() -> bool {
    std::env::var_os(MARKER).is_some()
}

/// Gives the task back to the scheduler once: the task goes to the back of its
/// worker's queue, where idle workers steal it. Unlike `tokio::task::yield_now`
/// (which parks the waker in a per-worker list that grows on demand), it makes the
/// runtime allocate nothing, so what a component is charged is exactly what it did.
pub struct Hop(bool);

/// A `Hop` not taken yet: awaiting it yields once.
pub fn hop_once() -> Hop {
    Hop(false)
}

impl Future for Hop {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Asserts that `text` (a console report) holds no terminal escape and no line that
/// begins with `forged` (text a name tried to put on a line of its own).
pub fn assert_no_forged_line(text: &str, forged: &str) {
    assert!(
        !text.contains('\x1b'),
        "an escape reached the report:\n{text}"
    );
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with(forged)),
        "a line was forged:\n{text}"
    );
}

/// The mock clock of this test process (see `install_mock_clock`).
static MOCK: std::sync::OnceLock<std::sync::Arc<quanta::Mock>> = std::sync::OnceLock::new();

/// Installs a mock clock as the profiler's clock, one second past zero; it must come
/// before anything is measured. Durations are then exactly what `advance_ms` adds.
pub fn install_mock_clock() {
    let (clock, mock) = quanta::Clock::mock();
    assert!(profiler::install_clock(clock), "the mock clock comes first");
    mock.increment(1_000_000_000);
    let _ = MOCK.set(mock);
}

/// Time passes on the mock clock: `ms` milliseconds.
pub fn advance_ms(ms: u64) {
    MOCK.get().expect("mock clock").increment(ms * 1_000_000);
}

/// A stream whose items take `ms[i]` each on the mock clock.
pub fn timed(ms: Vec<u64>) -> impl futures::Stream<Item = u64> {
    use futures::StreamExt;
    futures::stream::iter(ms).map(|m| {
        advance_ms(m);
        m
    })
}

/// A fresh (absent) directory for this test process under the system's temp dir.
pub fn scratch(prefix: &str, name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The JSON reports in `dir`, in file-name order (none when `dir` is absent).
pub fn reports_in(dir: &std::path::Path) -> Vec<profiler::Report> {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
    paths.sort();
    paths
        .iter()
        .map(|p| profiler::render::json::read(p).unwrap())
        .collect()
}

/// One test at a time where sessions, process RSS or the clock are process-wide (one
/// lock per test binary).
pub fn lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A session that writes nothing and samples no GPU (change what a test needs with
/// `Config { .., ..quiet() }`).
pub fn quiet() -> profiler::Config {
    profiler::Config {
        gpu: false,
        formats: profiler::Formats::none(),
        ..profiler::Config::default()
    }
}

/// This process's resident set, bytes, read here (not through the profiler).
pub fn rss_bytes() -> u64 {
    let text = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: u64 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf only reads a system constant.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}
