//! The global on/off/sampling switch: the first thing every call reads, and when
//! profiling is off the only thing (one relaxed atomic load).

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering::Relaxed};

const UNINIT: u8 = 0;
pub(crate) const OFF: u8 = 1;
pub(crate) const ON: u8 = 2;
const SAMPLED: u8 = 3;
/// Set beside the mode once a `CountingAllocator` is in use: calls then also set
/// the allocation context (`alloc_counting`, read at their `begin`).
const ALLOC: u8 = 0x10;
/// Set beside the mode while a GPU sampler with a device, or a memory sampler that
/// attributes RSS changes, runs: calls then count themselves running (begun / ended,
/// with their start and end ticks) so samples can be attributed to components.
const RUNNING: u8 = 0x20;
/// Set beside the mode while the `trace` format is asked for: calls then leave the
/// `ON` fast path and are marked traced (see `trace`).
const TRACE: u8 = 0x40;
/// Set beside the mode while NVTX ranges go to a tool (the `nvtx` feature, with an
/// NVTX injection library named in the environment): calls then open ranges.
const NVTX: u8 = 0x80;
/// Flags kept across `apply`, never part of the on/off/sampled state.
const FLAGS: u8 = ALLOC | RUNNING | TRACE | NVTX;

static MODE: AtomicU8 = AtomicU8::new(UNINIT);
/// A call is kept when a 32-bit random number is below this.
static THRESHOLD: AtomicU32 = AtomicU32::new(u32::MAX);

#[inline(always)]
pub(crate) fn load() -> u8 {
    MODE.load(Relaxed)
}

/// Whether the mode `m` is plainly on, with at most allocation context and running
/// counts beside it (each read apart: `alloc_counting`, `counts_running`): the
/// common case of a program being profiled, which needs neither the configuration
/// nor a hook.
#[inline(always)]
pub(crate) fn fast_on(m: u8) -> bool {
    m & !(ALLOC | RUNNING) == ON
}

/// Whether the mode `m` was never set (the configuration is not read yet).
pub(crate) fn is_uninit(m: u8) -> bool {
    m & !FLAGS == UNINIT
}

/// Whether the mode `m` is plainly off (set, and not on or sampled).
pub(crate) fn is_off(m: u8) -> bool {
    m & !FLAGS == OFF
}

/// Decides for a call under mode `m` (already set): on, sampled or off.
pub(crate) fn admit(m: u8) -> bool {
    match m & !FLAGS {
        ON => true,
        SAMPLED => sample(),
        _ => false,
    }
}
/// Whether calls charge allocations to their component.
#[inline(always)]
pub(crate) fn alloc_counting() -> bool {
    MODE.load(Relaxed) & ALLOC != 0
}

/// Turns allocation context tracking on (idempotent, allocation-free).
pub fn enable_alloc_counting() {
    MODE.fetch_or(ALLOC, Relaxed);
}

/// Whether the mode `m` asks calls to count themselves running.
#[inline(always)]
pub(crate) fn counts_running(m: u8) -> bool {
    m & RUNNING != 0
}

/// Samplers that attribute to running components (GPU samplers with a device, memory
/// samplers splitting RSS changes): while any runs, calls count themselves running.
static RUNNING_USERS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);

/// Counts one more user of running counts.
pub(crate) fn running_counts_acquire() {
    let mut n = RUNNING_USERS.lock().unwrap_or_else(|e| e.into_inner());
    *n += 1;
    MODE.fetch_or(RUNNING, Relaxed);
}

/// Releases one user; the last one turns running counts off. Calls begun while it
/// was on still count their end, so the counts stay balanced.
pub(crate) fn running_counts_release() {
    let mut n = RUNNING_USERS.lock().unwrap_or_else(|e| e.into_inner());
    *n = n.saturating_sub(1);
    if *n == 0 {
        MODE.fetch_and(!RUNNING, Relaxed);
    }
}

/// What a call admitted under mode `m` does besides measuring: `hook::TRACE`,
/// `hook::NVTX` (0: nothing; the plain `ON` mode carries none).
#[inline(always)]
pub(crate) fn hooks(m: u8) -> u8 {
    m & (TRACE | NVTX)
}

/// The bits [`hooks`] returns.
pub(crate) mod hook {
    /// The call leaves an event in the trace ring.
    pub(crate) const TRACE: u8 = super::TRACE;
    /// The call opens an NVTX range.
    #[cfg(feature = "nvtx")]
    pub(crate) const NVTX: u8 = super::NVTX;
}

/// Sets or clears the `trace` and `nvtx` flags (from the configuration in force).
pub(crate) fn set_hooks(trace: bool, nvtx: bool) {
    let on = if trace { TRACE } else { 0 } | if nvtx { NVTX } else { 0 };
    let _ = MODE.fetch_update(Relaxed, Relaxed, |m| Some(m & !(TRACE | NVTX) | on));
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

fn sample() -> bool {
    let threshold = THRESHOLD.load(Relaxed);
    RNG.try_with(|rng| {
        let mut x = rng.get();
        if x == 0 {
            // Seed from the address of this thread's cell and the clock.
            x = (rng as *const _ as u64) ^ super::clock::now() | 1;
        }
        // xorshift64*
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        rng.set(x);
        ((x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32) < threshold
    })
    .unwrap_or(false)
}

/// Puts the switch in force: off, on, or on for a share `sample_rate` of calls.
pub(crate) fn apply(enabled: bool, sample_rate: f64) {
    let mode = if !enabled {
        OFF
    } else if sample_rate >= 1.0 {
        ON
    } else {
        THRESHOLD.store((sample_rate * u32::MAX as f64) as u32, Relaxed);
        SAMPLED
    };
    // Flags are set from other threads (allocator, GPU sampler): keep them atomically.
    let _ = MODE.fetch_update(Relaxed, Relaxed, |m| Some(mode | (m & FLAGS)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_on_admits_plain_on_with_alloc_and_running_only() {
        for m in [ON, ON | ALLOC, ON | RUNNING, ON | ALLOC | RUNNING] {
            assert!(fast_on(m), "{m:#x}");
        }
        for m in [
            UNINIT,
            UNINIT | ALLOC,
            OFF,
            OFF | ALLOC | RUNNING,
            SAMPLED,
            SAMPLED | ALLOC,
            ON | TRACE,
            ON | NVTX,
            ON | ALLOC | TRACE,
        ] {
            assert!(!fast_on(m), "{m:#x}");
        }
    }
}
