//! `ComponentTotals`: everything recorded for one component, as mergeable figures
//! (histograms, counters, sums, extremes), with no statistic computed yet.
//!
//! Invariants: every field merges exactly: histograms add, counters and sums add
//! (checked: an overflow is an error, never a silent wrap), extremes take the extreme.
//! A total read from one process, from several threads or from several reports is
//! therefore the total of all their calls, and `analyse` derives every figure of a
//! report from it the same way.

use crate::model::histogram::new_histogram;
use crate::model::ComponentGpu;
use crate::record::shard::Cell;
use hdrhistogram::Histogram;

/// Everything recorded for one component.
#[derive(Clone, Debug)]
pub struct ComponentTotals {
    /// Latency samples in ns (first item for streams, E2E for turns).
    pub latency: Histogram<u64>,
    /// Whole-stream time of completed streams in ns (whole turn time for turns).
    pub stream_total: Histogram<u64>,
    /// Calls that returned `Err` or panicked.
    pub errors: u64,
    /// Futures and streams dropped before completing.
    pub cancelled: u64,
    /// Completed calls left out as warm-up.
    pub warmup_excluded: u64,
    /// Latency samples (and stream times) longer than the recording range, counted at
    /// its top (about 18.3 minutes).
    pub clamped: u64,
    /// Stream items (completed and cancelled streams).
    pub items: u64,
    /// Streams that ran to their end.
    pub streams_completed: u64,
    /// Streams dropped after their first item.
    pub streams_cancelled: u64,
    /// Nanoseconds spent inside turns (a stage's time; the turn component's whole time).
    pub turn_ns: u64,
    /// First sample start to last sample end, seconds (the longest window when
    /// totals of several processes are merged: they are taken to run side by side).
    pub active_sec: f64,
    /// Memory read around sampled calls.
    pub memory: MemoryTotals,
    /// Bytes and number of allocations charged to the component (counting allocator).
    pub allocations: Option<(u64, u64)>,
    /// GPU figures of the samples taken while the component ran.
    pub gpu: Option<ComponentGpu>,
}

/// Memory read around sampled calls (bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTotals {
    /// Calls around which memory was read.
    pub sampled_calls: u64,
    /// Lowest RSS read before a sampled call.
    pub rss_before: u64,
    /// Highest RSS read after a sampled call.
    pub rss_after: u64,
    /// Lowest VMS read before a sampled call.
    pub vms_before: u64,
    /// Highest VMS read after a sampled call.
    pub vms_after: u64,
    /// Sum of per-call RSS deltas (signed).
    pub rss_growth: i64,
    /// Largest per-call RSS delta.
    pub rss_worst: i64,
}

/// Why two totals cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A counter would pass `u64::MAX`.
    #[error("the {0} count overflows when the reports are added")]
    Overflow(&'static str),
    /// Two histograms of layouts that cannot be added.
    #[error("histograms of different layouts cannot be added: {0:?}")]
    Histogram(hdrhistogram::AdditionError),
}

impl Default for ComponentTotals {
    fn default() -> Self {
        ComponentTotals {
            latency: new_histogram(),
            stream_total: new_histogram(),
            errors: 0,
            cancelled: 0,
            warmup_excluded: 0,
            clamped: 0,
            items: 0,
            streams_completed: 0,
            streams_cancelled: 0,
            turn_ns: 0,
            active_sec: 0.0,
            memory: MemoryTotals::default(),
            allocations: None,
            gpu: None,
        }
    }
}

fn add(a: &mut u64, b: u64, what: &'static str) -> Result<(), MergeError> {
    *a = a.checked_add(b).ok_or(MergeError::Overflow(what))?;
    Ok(())
}

impl ComponentTotals {
    /// Adds one thread's cell (counters of one writer: they cannot overflow a sum of
    /// real calls, and wrap like the cell's own counters if they ever did).
    pub(crate) fn absorb_cell(&mut self, c: &Cell) {
        c.latency.fold_into(&mut self.latency);
        c.stream_total.fold_into(&mut self.stream_total);
        self.errors = self.errors.wrapping_add(c.errors.get());
        self.cancelled = self.cancelled.wrapping_add(c.cancelled.get());
        self.warmup_excluded = self.warmup_excluded.wrapping_add(c.warmup_excluded.get());
        self.clamped = self
            .clamped
            .wrapping_add(c.latency.clamped())
            .wrapping_add(c.stream_total.clamped());
        self.items = self.items.wrapping_add(c.items.get());
        self.streams_completed = self
            .streams_completed
            .wrapping_add(c.streams_completed.get());
        self.streams_cancelled = self
            .streams_cancelled
            .wrapping_add(c.streams_cancelled.get());
        self.turn_ns = self.turn_ns.wrapping_add(c.turn_ns.get());
        self.memory.merge(&MemoryTotals {
            sampled_calls: c.mem_samples.get(),
            rss_before: c.mem_rss_before.get(),
            rss_after: c.mem_rss_after.get(),
            vms_before: c.mem_vms_before.get(),
            vms_after: c.mem_vms_after.get(),
            rss_growth: c.mem_rss_growth.get() as i64,
            rss_worst: c.mem_rss_worst.get() as i64,
        });
    }

    /// Adds `o`'s figures (another process's, or another report's). Every sum is
    /// checked (histogram sample counts included: HDR would saturate them silently);
    /// on an error `self` may hold part of `o`.
    pub fn merge(&mut self, o: &ComponentTotals) -> Result<(), MergeError> {
        self.latency
            .len()
            .checked_add(o.latency.len())
            .ok_or(MergeError::Overflow("latency sample"))?;
        self.stream_total
            .len()
            .checked_add(o.stream_total.len())
            .ok_or(MergeError::Overflow("stream time sample"))?;
        self.latency
            .add(&o.latency)
            .map_err(MergeError::Histogram)?;
        self.stream_total
            .add(&o.stream_total)
            .map_err(MergeError::Histogram)?;
        add(&mut self.errors, o.errors, "error")?;
        add(&mut self.cancelled, o.cancelled, "cancelled")?;
        add(&mut self.warmup_excluded, o.warmup_excluded, "warm-up")?;
        add(&mut self.clamped, o.clamped, "clamped sample")?;
        add(&mut self.items, o.items, "stream item")?;
        add(
            &mut self.streams_completed,
            o.streams_completed,
            "completed stream",
        )?;
        add(
            &mut self.streams_cancelled,
            o.streams_cancelled,
            "cancelled stream",
        )?;
        add(&mut self.turn_ns, o.turn_ns, "turn time")?;
        self.active_sec = self.active_sec.max(o.active_sec);
        self.memory.try_merge(&o.memory)?;
        self.allocations = match (self.allocations, o.allocations) {
            (Some((b1, n1)), Some((b2, n2))) => {
                let (mut b, mut n) = (b1, n1);
                add(&mut b, b2, "allocated bytes")?;
                add(&mut n, n2, "allocation")?;
                Some((b, n))
            }
            (a, b) => a.or(b),
        };
        self.gpu = match (&self.gpu, &o.gpu) {
            (Some(a), Some(b)) => Some(merge_gpu(a, b)?),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        Ok(())
    }

    /// Whether nothing at all was recorded (no sample, error, cancellation or warm-up).
    pub fn is_empty(&self) -> bool {
        self.latency.is_empty()
            && self.errors == 0
            && self.cancelled == 0
            && self.warmup_excluded == 0
    }
}

impl MemoryTotals {
    /// [`MemoryTotals::merge`] with its sums checked: for totals read from reports,
    /// where a count past `u64::MAX` or a growth past `i64` is an error, not a wrap.
    pub fn try_merge(&mut self, o: &MemoryTotals) -> Result<(), MergeError> {
        if self.sampled_calls != 0 && o.sampled_calls != 0 {
            self.sampled_calls
                .checked_add(o.sampled_calls)
                .ok_or(MergeError::Overflow("memory-sampled call"))?;
            self.rss_growth
                .checked_add(o.rss_growth)
                .ok_or(MergeError::Overflow("memory growth"))?;
        }
        self.merge(o);
        Ok(())
    }

    /// Merges other readings: before is the lowest, after the highest, deltas add up,
    /// the worst delta is the largest. Deltas wrap like the per-thread counters they
    /// come from (two's complement sums of signed deltas).
    pub fn merge(&mut self, o: &MemoryTotals) {
        if o.sampled_calls == 0 {
            return;
        }
        if self.sampled_calls == 0 {
            *self = o.clone();
            return;
        }
        self.sampled_calls = self.sampled_calls.saturating_add(o.sampled_calls);
        self.rss_before = self.rss_before.min(o.rss_before);
        self.vms_before = self.vms_before.min(o.vms_before);
        self.rss_after = self.rss_after.max(o.rss_after);
        self.vms_after = self.vms_after.max(o.vms_after);
        self.rss_growth = self.rss_growth.wrapping_add(o.rss_growth);
        self.rss_worst = self.rss_worst.max(o.rss_worst);
    }
}

/// The GPU figures of both sets of samples: means weighted by sample count, maxima.
fn merge_gpu(a: &ComponentGpu, b: &ComponentGpu) -> Result<ComponentGpu, MergeError> {
    let samples = a
        .samples
        .checked_add(b.samples)
        .ok_or(MergeError::Overflow("GPU sample"))?;
    let weighted = |x: f64, y: f64| {
        if samples == 0 {
            0.0
        } else {
            (x * a.samples as f64 + y * b.samples as f64) / samples as f64
        }
    };
    Ok(ComponentGpu {
        samples,
        mean_util_pct: weighted(a.mean_util_pct, b.mean_util_pct),
        max_util_pct: a.max_util_pct.max(b.max_util_pct),
        mean_vram_used_mb: weighted(a.mean_vram_used_mb, b.mean_vram_used_mb),
        max_vram_used_mb: a.max_vram_used_mb.max(b.max_vram_used_mb),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_totals_hold_every_call_and_overflow_is_an_error() {
        let mut a = ComponentTotals::default();
        a.latency.record(1_000).unwrap();
        a.errors = 2;
        a.active_sec = 3.0;
        let mut b = ComponentTotals::default();
        b.latency.record(2_000).unwrap();
        b.errors = 5;
        b.active_sec = 7.0;
        b.allocations = Some((100, 1));
        a.merge(&b).unwrap();
        assert_eq!((a.latency.len(), a.errors, a.active_sec), (2, 7, 7.0));
        assert_eq!(a.allocations, Some((100, 1)));
        b.errors = u64::MAX;
        assert!(matches!(a.merge(&b), Err(MergeError::Overflow("error"))));
    }
}
