//! The clock of every measurement: `quanta`'s raw TSC reads (about 12 ns here),
//! scaled to nanoseconds only when a duration is recorded.
//!
//! Tests may install a mock clock (`quanta::Clock::mock()`) before the first
//! measurement to drive durations deterministically.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::OnceLock;

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
static EPOCH: OnceLock<u64> = OnceLock::new();

/// What `quanta` reads: not known yet, the TSC itself, or another source (the
/// monotonic clock where the TSC is not invariant, or a mock).
const UNKNOWN: u8 = 0;
const TSC: u8 = 1;
const OTHER: u8 = 2;
static SOURCE: AtomicU8 = AtomicU8::new(UNKNOWN);

#[inline(always)]
fn clock() -> &'static quanta::Clock {
    CLOCK.get_or_init(quanta::Clock::new)
}

/// Installs `clock` as the profiler's clock. Returns `false` (and changes nothing)
/// when a measurement already used the default clock.
pub fn install(clock: quanta::Clock) -> bool {
    CLOCK.set(clock).is_ok()
}

/// A raw timestamp (ticks); only differences of two reads mean anything.
///
/// When quanta reads the TSC, the TSC is read here inline: `quanta::Clock::raw` is an
/// out-of-line call with a match on the clock kind, about half the cost of a
/// measured call otherwise. Ticks and their conversion to nanoseconds stay quanta's.
#[inline(always)]
pub fn now() -> u64 {
    #[cfg(target_arch = "x86_64")]
    if SOURCE.load(Relaxed) == TSC {
        // SAFETY: `rdtsc` has no preconditions on x86_64.
        return unsafe { core::arch::x86_64::_rdtsc() };
    }
    now_slow()
}

#[cold]
#[inline(never)]
fn now_slow() -> u64 {
    let c = clock();
    if SOURCE.load(Relaxed) == UNKNOWN {
        SOURCE.store(source_of(c), Relaxed);
    }
    c.raw()
}

/// Whether `c` reads the TSC: its raw value falls between two TSC reads, every time.
fn source_of(c: &quanta::Clock) -> u8 {
    #[cfg(target_arch = "x86_64")]
    {
        let between = (0..3).all(|_| {
            // SAFETY: `rdtsc` has no preconditions on x86_64.
            let before = unsafe { core::arch::x86_64::_rdtsc() };
            let raw = c.raw();
            let after = unsafe { core::arch::x86_64::_rdtsc() };
            before <= raw && raw <= after
        });
        if between {
            return TSC;
        }
    }
    let _ = c;
    OTHER
}

/// Nanoseconds from `start` to `end` (0 when `end` is not after `start`).
#[inline(always)]
pub fn nanos_between(start: u64, end: u64) -> u64 {
    clock().delta_as_nanos(start, end)
}

/// The raw timestamp taken when the profiler first looked at the clock; report
/// timelines are relative to it.
pub fn epoch() -> u64 {
    *EPOCH.get_or_init(now)
}

/// Seconds from the epoch to the raw timestamp `t`.
pub fn secs_since_epoch(t: u64) -> f64 {
    nanos_between(epoch(), t) as f64 / 1e9
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_reads_follow_quanta_and_scale_to_real_time() {
        let a = now();
        let source = SOURCE.load(Relaxed);
        assert_ne!(source, UNKNOWN, "the first read decides the source");
        let t = std::time::Instant::now();
        while t.elapsed() < std::time::Duration::from_millis(20) {}
        let b = now();
        let ns = nanos_between(a, b);
        let real = t.elapsed().as_nanos() as u64;
        // Our reads (inline TSC or quanta's) agree with the standard clock.
        assert!(
            (20_000_000..=real + 5_000_000).contains(&ns),
            "{ns} ns measured, {real} ns real"
        );
        eprintln!(
            "clock source: {}",
            if source == TSC {
                "inline TSC"
            } else {
                "quanta"
            }
        );
    }
}
