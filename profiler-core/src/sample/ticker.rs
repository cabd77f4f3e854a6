//! `Ticker`: the one stop/tick loop every background thread of the profiler runs (the
//! memory and GPU samplers, periodic report dumps): a named thread that calls its tick
//! every interval until it is stopped, and a stop that wakes it at once and joins it.
//!
//! A tick that panics does not end its thread (periodic dumps would stop, silently):
//! the panic is caught, said once in a status line, and the loop ticks again at the
//! next interval.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a tick asks of its loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Tick again after the interval.
    Continue,
    /// Nothing more to do: end the thread.
    Stop,
}

type Stop = Arc<(Mutex<bool>, Condvar)>;

/// A background loop; stops (and joins its thread) when dropped.
pub(crate) struct Ticker {
    stop: Stop,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Runs `tick` on a thread named `name`: once at once when `now`, then after every
    /// `interval()` (read before each wait, so a tick may lengthen it). `Err` when the
    /// thread cannot be started.
    pub(crate) fn start(
        name: &str,
        now: bool,
        interval: impl Fn() -> Duration + Send + 'static,
        mut tick: impl FnMut() -> Flow + Send + 'static,
    ) -> std::io::Result<Ticker> {
        let stop: Stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s = stop.clone();
        let thread_name = name.to_string();
        let mut warned = false;
        let mut tick = move || match catch_unwind(AssertUnwindSafe(&mut tick)) {
            Ok(flow) => flow,
            Err(_) => {
                if !std::mem::replace(&mut warned, true) {
                    crate::status::line(format_args!(
                        "profiler: a tick of the {thread_name} thread panicked; it goes on at the next interval"
                    ));
                }
                Flow::Continue
            }
        };
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                if now && tick() == Flow::Stop {
                    return;
                }
                loop {
                    let deadline = Instant::now() + interval();
                    let mut stopped = s.0.lock().unwrap_or_else(|e| e.into_inner());
                    // The flag is checked before every wait: a stop that came before
                    // this thread waited is never missed, and a spurious wake-up
                    // waits again for the rest of the interval.
                    while !*stopped {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        stopped =
                            s.1.wait_timeout(stopped, left)
                                .unwrap_or_else(|e| e.into_inner())
                                .0;
                    }
                    if *stopped {
                        return;
                    }
                    drop(stopped);
                    if tick() == Flow::Stop {
                        return;
                    }
                }
            })?;
        Ok(Ticker {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the loop (a tick under way finishes first) and waits for its thread;
    /// stopped from its own tick (a callback it runs), it ends after that tick.
    pub(crate) fn stop(&mut self) {
        *self.stop.0.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.stop.1.notify_all();
        if let Some(t) = self.thread.take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

    #[test]
    fn ticks_until_stopped_and_stops_at_once() {
        let n = Arc::new(AtomicU32::new(0));
        let m = n.clone();
        let mut t = Ticker::start(
            "test-ticker",
            true,
            || Duration::from_millis(1),
            move || {
                m.fetch_add(1, Relaxed);
                Flow::Continue
            },
        )
        .unwrap();
        while n.load(Relaxed) < 3 {
            std::thread::yield_now();
        }
        // A long interval does not delay the stop: it wakes the wait.
        let mut slow = Ticker::start(
            "slow",
            false,
            || Duration::from_secs(3600),
            || Flow::Continue,
        )
        .unwrap();
        let started = std::time::Instant::now();
        slow.stop();
        t.stop();
        let after = n.load(Relaxed);
        assert!(started.elapsed() < Duration::from_secs(3600));
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(n.load(Relaxed), after, "no tick after stop");
    }

    #[test]
    fn a_panicking_tick_does_not_end_its_thread() {
        let n = Arc::new(AtomicU32::new(0));
        let m = n.clone();
        let mut t = Ticker::start(
            "test-panicking",
            true,
            || Duration::from_millis(1),
            move || {
                if m.fetch_add(1, Relaxed) < 2 {
                    panic!("a dump failed");
                }
                Flow::Continue
            },
        )
        .unwrap();
        while n.load(Relaxed) < 5 {
            std::thread::yield_now();
        }
        t.stop();
        assert!(n.load(Relaxed) >= 5);
    }

    #[test]
    fn a_tick_can_end_its_loop() {
        let n = Arc::new(AtomicU32::new(0));
        let m = n.clone();
        let mut t = Ticker::start(
            "test-ending",
            true,
            || Duration::from_millis(1),
            move || {
                if m.fetch_add(1, Relaxed) == 1 {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            },
        )
        .unwrap();
        t.thread.take().unwrap().join().unwrap();
        assert_eq!(n.load(Relaxed), 2);
    }
}
