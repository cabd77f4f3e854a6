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
        tick: impl FnMut() -> Flow + Send + 'static,
    ) -> std::io::Result<Ticker> {
        Self::start_with(name, now, interval, move || tick)
    }

    /// `start`, with the tick made by `make_tick` on the new thread as it starts (for
    /// a tick that reads something of its own thread first, such as its CPU clock).
    pub(crate) fn start_with<T: FnMut() -> Flow>(
        name: &str,
        now: bool,
        interval: impl Fn() -> Duration + Send + 'static,
        make_tick: impl FnOnce() -> T + Send + 'static,
    ) -> std::io::Result<Ticker> {
        let stop: Stop = Arc::new((Mutex::new(false), Condvar::new()));
        let s = stop.clone();
        let thread_name = name.to_string();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let mut tick = make_tick();
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
        t.stop();
        let after = n.load(Relaxed);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(n.load(Relaxed), after, "no tick after stop");
    }

    #[test]
    fn a_stop_wakes_a_thread_waiting_out_a_long_interval() {
        // The interval is read right before the wait: once read, the thread waits an
        // hour unless the stop wakes it.
        let (waiting, about_to_wait) = std::sync::mpsc::channel();
        let mut slow = Ticker::start(
            "slow",
            false,
            move || {
                let _ = waiting.send(());
                Duration::from_secs(3600)
            },
            || Flow::Continue,
        )
        .unwrap();
        about_to_wait.recv().unwrap();
        let (done, stopped) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            slow.stop();
            let _ = done.send(());
        });
        // A minute is only a bound against hanging for the hour.
        assert!(
            stopped.recv_timeout(Duration::from_secs(60)).is_ok(),
            "the stop waited for the interval"
        );
    }

    #[test]
    fn the_tick_is_made_on_the_tickers_own_thread() {
        let (tx, rx) = std::sync::mpsc::channel();
        let mut t = Ticker::start_with(
            "test-made-there",
            true,
            || Duration::from_secs(3600),
            move || {
                let made_on = std::thread::current().name().map(String::from);
                move || {
                    let _ = tx.send(made_on.clone());
                    Flow::Stop
                }
            },
        )
        .unwrap();
        assert_eq!(rx.recv().unwrap().as_deref(), Some("test-made-there"));
        t.stop();
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
