//! Status lines: what the profiler says about itself (a rejected toggle, a report
//! written, no GPU). They go to stderr, never stdout, which belongs to the host program
//! (and to the console report when it was asked for); a closed or full stderr is
//! ignored, never a panic.

use std::io::Write;

/// Writes one status line to stderr, ignoring any error (a closed pipe included).
pub fn line(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args);
    let _ = err.write_all(b"\n");
}
