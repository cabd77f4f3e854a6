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
    /// Memory figures: share of the RSS changes, live heap bytes (set from the
    /// samplers when a report is built, or read back from a report).
    pub memory: MemoryTotals,
    /// Bytes and number of allocations charged to the component (counting allocator).
    pub allocations: Option<(u64, u64)>,
    /// GPU figures of the samples taken while the component ran.
    pub gpu: Option<ComponentGpu>,
}

/// A component's memory figures (bytes), as the memory sampler and the counting
/// allocator measured them. Every field adds up across processes (run side by side).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MemoryTotals {
    /// Its share of the process's RSS changes (see `sample::memory`); `None` when the
    /// share was not measured (`PROFILER_MEMORY_OVERHEAD_PCT=0`) or it never ran.
    pub rss: Option<RssShareTotals>,
    /// Heap bytes its calls allocated and freed (owner-tracking allocator).
    pub heap: Option<HeapTotals>,
    /// A growth a report states without either figure (a report of an older schema).
    pub stated_delta: Option<i64>,
}

/// A component's share of the process's RSS changes (bytes).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RssShareTotals {
    /// Probe intervals in which it ran.
    pub probes: u64,
    /// Its running time in them, ns.
    pub running_ns: u64,
    /// Its share over the whole run.
    pub share: i64,
    /// Its share since the baseline taken after warm-up.
    pub since_baseline: i64,
    /// `since_baseline` per minute since the baseline (processes side by side: rates add).
    pub growth_per_min: f64,
    /// Process RSS at the start of the first interval it ran in (merged: the lowest)
    /// and at the end of the last (merged: the highest); VMS likewise.
    pub rss_first: u64,
    /// See `rss_first`.
    pub rss_last: u64,
    /// See `rss_first`.
    pub vms_first: u64,
    /// See `rss_first`.
    pub vms_last: u64,
}

/// Heap bytes a component's calls allocated and what became of them (owner-tracking
/// allocator: a free credits the block's owner, whoever frees it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeapTotals {
    /// Bytes allocated.
    pub allocated: u64,
    /// Bytes of its blocks freed.
    pub freed: u64,
    /// Live bytes gained since the baseline taken after warm-up.
    pub since_baseline: i64,
    /// `since_baseline` per minute since the baseline (processes side by side: rates add).
    pub growth_per_min: f64,
}

impl HeapTotals {
    /// Bytes allocated and not freed yet.
    pub fn live(&self) -> i64 {
        self.allocated.wrapping_sub(self.freed) as i64
    }
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

/// `a += b`, or the overflow of `what`'s count (the totals' one checked sum).
pub(super) fn add(a: &mut u64, b: u64, what: &'static str) -> Result<(), MergeError> {
    *a = a.checked_add(b).ok_or(MergeError::Overflow(what))?;
    Ok(())
}

/// `a += b` for histograms (of the layout every report uses, so they always add).
pub(super) fn add_histogram(a: &mut Histogram<u64>, b: &Histogram<u64>) -> Result<(), MergeError> {
    a.add(b).map_err(MergeError::Histogram)
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
        add_histogram(&mut self.latency, &o.latency)?;
        add_histogram(&mut self.stream_total, &o.stream_total)?;
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
        self.memory.merge(&o.memory)?;
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

fn add_signed(a: &mut i64, b: i64, what: &'static str) -> Result<(), MergeError> {
    *a = a.checked_add(b).ok_or(MergeError::Overflow(what))?;
    Ok(())
}

/// `a` and `b` merged by `f` when both are there, else whichever is.
fn merge_option<T: Clone>(
    a: &mut Option<T>,
    b: &Option<T>,
    f: impl FnOnce(&mut T, &T) -> Result<(), MergeError>,
) -> Result<(), MergeError> {
    match (a.as_mut(), b) {
        (Some(x), Some(y)) => f(x, y),
        (None, Some(y)) => {
            *a = Some(y.clone());
            Ok(())
        }
        _ => Ok(()),
    }
}

impl MemoryTotals {
    /// Whether nothing was measured.
    pub fn is_empty(&self) -> bool {
        self.rss.is_none() && self.heap.is_none() && self.stated_delta.is_none()
    }

    /// Adds another process's figures: shares, bytes, counts and rates add; the
    /// process RSS before takes the lowest, after the highest.
    pub fn merge(&mut self, o: &MemoryTotals) -> Result<(), MergeError> {
        merge_option(&mut self.rss, &o.rss, |a, b| {
            add(&mut a.probes, b.probes, "memory probe")?;
            add(&mut a.running_ns, b.running_ns, "running time")?;
            add_signed(&mut a.share, b.share, "RSS share")?;
            add_signed(&mut a.since_baseline, b.since_baseline, "RSS share")?;
            a.growth_per_min += b.growth_per_min;
            a.rss_first = a.rss_first.min(b.rss_first);
            a.vms_first = a.vms_first.min(b.vms_first);
            a.rss_last = a.rss_last.max(b.rss_last);
            a.vms_last = a.vms_last.max(b.vms_last);
            Ok(())
        })?;
        merge_option(&mut self.heap, &o.heap, |a, b| {
            add(&mut a.allocated, b.allocated, "allocated bytes")?;
            add(&mut a.freed, b.freed, "freed bytes")?;
            add_signed(&mut a.since_baseline, b.since_baseline, "live bytes")?;
            a.growth_per_min += b.growth_per_min;
            Ok(())
        })?;
        merge_option(&mut self.stated_delta, &o.stated_delta, |a, b| {
            add_signed(a, *b, "memory growth")
        })
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
