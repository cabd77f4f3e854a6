//! The opt-in SIGTERM / SIGINT handler: a thread (`profiler-signals`) waits for either
//! signal through `signal-hook`, calls the session's report writer once, then lets
//! the signal do what it would have done without the profiler.
//!
//! What "would have done" means is read when the handler is installed, per signal:
//!
//! - default disposition (the process ends): after the report, the default is put
//!   back and the signal raised again, so the process ends by that signal, with the
//!   exit status a supervisor expects;
//! - ignored (`SIG_IGN`, e.g. SIGINT of a job started with `&`): not touched at all;
//!   the process goes on ignoring it and no report is written for it;
//! - a handler of the program's own: `signal-hook` chains it (it runs first), the
//!   report is written, and the process is left to that handler.
//!
//! Nothing runs in the signal handler itself but `signal-hook`'s self-pipe write: the
//! report is written on an ordinary thread.

/// Why the signal handler could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    /// The system refused the handler or its thread.
    #[error("cannot install the SIGTERM/SIGINT report handler: {0}")]
    Install(std::io::Error),
    /// Not a Unix system.
    #[error("writing the report on SIGTERM/SIGINT needs a Unix system")]
    Unsupported,
}

#[cfg(unix)]
mod unix {
    use super::SignalError;
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    /// Installed once per process (`true` once the thread runs).
    static INSTALLED: Mutex<bool> = Mutex::new(false);

    /// The signal's disposition as the program left it, read without changing it.
    fn disposition(signal: libc::c_int) -> Option<libc::sighandler_t> {
        // SAFETY: `sigaction` with a null new action only reads the current one into
        // `old`, a zeroed `sigaction` struct we own.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            (libc::sigaction(signal, std::ptr::null(), &mut old) == 0).then_some(old.sa_sigaction)
        }
    }

    pub(super) fn install(on_signal: fn()) -> Result<(), SignalError> {
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if *installed {
            return Ok(());
        }
        // Which signals end the process by default now; ignored ones are left alone.
        let mut watched = Vec::new();
        let mut ends_by_default = Vec::new();
        for signal in [SIGTERM, SIGINT] {
            match disposition(signal) {
                Some(libc::SIG_IGN) => {}
                Some(libc::SIG_DFL) => {
                    watched.push(signal);
                    ends_by_default.push(signal);
                }
                _ => watched.push(signal),
            }
        }
        if watched.is_empty() {
            *installed = true;
            return Ok(());
        }
        let mut signals = Signals::new(&watched).map_err(SignalError::Install)?;
        std::thread::Builder::new()
            .name("profiler-signals".into())
            .spawn(move || {
                static WRITTEN: AtomicBool = AtomicBool::new(false);
                for signal in signals.forever() {
                    if !WRITTEN.swap(true, Ordering::AcqRel) {
                        // A panic while writing must not keep the process from ending.
                        let _ = std::panic::catch_unwind(on_signal);
                    }
                    if ends_by_default.contains(&signal) {
                        // Puts the default disposition back and raises the signal: the
                        // process ends as it would have (aborts if that fails).
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                    }
                }
            })
            .map_err(SignalError::Install)?;
        *installed = true;
        Ok(())
    }
}

/// Installs the handler (once per process); `on_signal` writes the reports.
#[cfg(unix)]
pub(super) fn install(on_signal: fn()) -> Result<(), SignalError> {
    unix::install(on_signal)
}

/// Installs the handler (once per process); `on_signal` writes the reports.
#[cfg(not(unix))]
pub(super) fn install(_on_signal: fn()) -> Result<(), SignalError> {
    Err(SignalError::Unsupported)
}
