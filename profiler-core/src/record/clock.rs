//! The clock of every measurement: `quanta`'s raw TSC reads (about 12 ns here),
//! scaled to nanoseconds only when a duration is recorded.
//!
//! Tests may install a mock clock (`quanta::Clock::mock()`) before the first
//! measurement to drive durations deterministically.

use std::sync::OnceLock;

static CLOCK: OnceLock<quanta::Clock> = OnceLock::new();
static EPOCH: OnceLock<u64> = OnceLock::new();

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
#[inline(always)]
pub fn now() -> u64 {
    clock().raw()
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
