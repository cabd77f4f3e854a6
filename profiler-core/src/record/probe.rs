//! The memory probe: process RSS and VMS from `/proc/self/statm` (through
//! `memory-stats`, a few microseconds a read), for per-call readings and for the
//! background memory sampler.
//!
//! Per-call readings: memory is read before and after a call only when the component
//! has spent, since its last reading on that thread, at least `100 / pct` times the
//! cost of a read pair (`PROFILER_MEMORY_OVERHEAD_PCT`, default 1 %). A 100 ms STT call
//! is read every time; a 50 ns call about once per 10^5 calls. The report scales the
//! summed deltas of the sampled calls to all calls.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// One reading of the process's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Resident set size, bytes.
    pub rss_bytes: u64,
    /// Virtual memory size, bytes.
    pub vms_bytes: u64,
}

/// Reads RSS and VMS now (`None` where the platform offers neither).
pub fn read() -> Option<Reading> {
    // Reading /proc allocates: the profiler's own, never the running component's.
    super::context::uncharged(memory_stats::memory_stats).map(|m| Reading {
        rss_bytes: m.physical_mem as u64,
        vms_bytes: m.virtual_mem as u64,
    })
}

/// Component time (ns) between two per-call readings; 0: not calibrated yet.
static THRESHOLD_NS: AtomicU64 = AtomicU64::new(0);
/// `PROFILER_MEMORY_OVERHEAD_PCT` in force, as `f64` bits.
static OVERHEAD_PCT: AtomicU64 = AtomicU64::new(0x3FF0_0000_0000_0000); // 1.0

/// Component time (ns) between two per-call memory readings; `u64::MAX` when off.
#[inline(always)]
pub(crate) fn per_call_threshold_ns() -> u64 {
    match THRESHOLD_NS.load(Relaxed) {
        0 => calibrate(),
        t => t,
    }
}

#[cold]
fn calibrate() -> u64 {
    let pct = f64::from_bits(OVERHEAD_PCT.load(Relaxed));
    let t = if pct <= 0.0 {
        u64::MAX
    } else {
        let start = std::time::Instant::now();
        for _ in 0..8 {
            std::hint::black_box(read());
        }
        // A pair of reads per sampled call.
        let pair_ns = (start.elapsed().as_nanos() as f64 / 4.0).max(1_000.0);
        (pair_ns * 100.0 / pct) as u64
    };
    THRESHOLD_NS.store(t, Relaxed);
    t
}

/// Sets the share of component time the probe may take, and forgets the calibration.
pub(crate) fn configure(overhead_pct: f64) {
    OVERHEAD_PCT.store(overhead_pct.to_bits(), Relaxed);
    THRESHOLD_NS.store(0, Relaxed);
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_a_plausible_rss_and_vms() {
        let r = super::read().expect("Linux has /proc/self/statm");
        assert!(r.rss_bytes > 100_000, "{r:?}");
        assert!(r.vms_bytes >= r.rss_bytes, "{r:?}");
    }
}
