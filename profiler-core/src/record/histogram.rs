//! `AtomicHistogram`: the HDR layout of `hdrhistogram::Histogram<u64>` (1 ns lowest
//! discernible value, 3 significant figures), with one writer and lock-free readers.
//!
//! Why not `hdrhistogram` itself on the hot path: its `Histogram` needs `&mut` to
//! record, so sharing it with a reader takes a lock, and its `sync` recorder only
//! hands data over when the recording thread records again. Here each shard's owner
//! thread bumps plain relaxed atomics (a load and a store, no read-modify-write), and a
//! reader folds the buckets into a real `hdrhistogram::Histogram` with `record_n` of each
//! bucket's lowest equivalent value. Bucket boundaries are HDR's, so the folded histogram
//! equals the one that recording the raw values would have built.
//!
//! Invariants: only the owning thread calls [`AtomicHistogram::record`] (another writer
//! would lose counts, never memory safety); rows of 1024 buckets are allocated on first
//! touch, so memory depends on the spread of values, never on the number of calls.

use super::slots::Slots;
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// HDR `sub_bucket_half_count_magnitude` for 3 significant figures (2048 sub-buckets).
const HALF_MAGNITUDE: u32 = 10;
const HALF_COUNT: u64 = 1 << HALF_MAGNITUDE;
const SUB_BUCKET_MASK: u64 = (HALF_COUNT << 1) - 1;
/// `64 - unit_magnitude(0) - HALF_MAGNITUDE - 1`, HDR's `leading_zero_count_base`.
const LEADING_ZERO_BASE: u32 = 64 - HALF_MAGNITUDE - 1;
/// Values above this (about 18.3 minutes in ns) are counted at it, and counted as
/// clamped (`AtomicHistogram::clamped`), so the report says so.
pub(crate) const MAX_VALUE: u64 = (1 << 40) - 1;
const ROWS: usize = 32;

struct Row([AtomicU64; HALF_COUNT as usize]);

impl Row {
    /// A zeroed row built on the heap (8 KiB never cross the stack).
    fn new_boxed() -> Box<Row> {
        let layout = std::alloc::Layout::new::<Row>();
        // SAFETY: the layout is `Row`'s (non-zero size); all-zero bytes are a valid
        // `Row` (an array of `AtomicU64` zeros), and the pointer, checked for null, comes
        // from the global allocator with that layout, as `Box` requires.
        unsafe {
            let p = std::alloc::alloc_zeroed(layout).cast::<Row>();
            if p.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            Box::from_raw(p)
        }
    }
}

pub(crate) struct AtomicHistogram {
    rows: Slots<Row, ROWS>,
    /// Values recorded above `MAX_VALUE` (counted at it).
    clamped: AtomicU64,
}

/// Index of `value` in HDR's counts array.
#[inline(always)]
fn counts_index(value: u64) -> usize {
    let bucket = LEADING_ZERO_BASE - (value | SUB_BUCKET_MASK).leading_zeros();
    let sub_bucket = value >> bucket;
    (((bucket as u64 + 1) << HALF_MAGNITUDE) + sub_bucket - HALF_COUNT) as usize
}

/// Lowest value that lands in counts index `index` (inverse of `counts_index`).
fn value_from_index(index: usize) -> u64 {
    let mut bucket = (index >> HALF_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (index as u64 & (HALF_COUNT - 1)) + HALF_COUNT;
    if bucket < 0 {
        sub_bucket -= HALF_COUNT;
        bucket = 0;
    }
    sub_bucket << bucket
}

impl AtomicHistogram {
    pub(crate) const fn new() -> Self {
        Self {
            rows: Slots::new(),
            clamped: AtomicU64::new(0),
        }
    }

    /// Counts one value. Owner thread only (see the module invariants).
    #[inline(always)]
    pub(crate) fn record(&self, mut value: u64) {
        if value > MAX_VALUE {
            value = self.clamp();
        }
        let index = counts_index(value);
        if let Some(row) = self
            .rows
            .get_or_init(index >> HALF_MAGNITUDE, Row::new_boxed)
        {
            let cell = &row.0[index & (HALF_COUNT as usize - 1)];
            cell.store(cell.load(Relaxed) + 1, Relaxed);
        }
    }

    /// Counts a value above the range; returns the value it is recorded at.
    #[cold]
    #[inline(never)]
    fn clamp(&self) -> u64 {
        self.clamped.store(self.clamped.load(Relaxed) + 1, Relaxed);
        MAX_VALUE
    }

    /// Values recorded above the range (and counted at its top).
    pub(crate) fn clamped(&self) -> u64 {
        self.clamped.load(Relaxed)
    }

    /// Adds every recorded value into `into`.
    pub(crate) fn fold_into(&self, into: &mut Histogram<u64>) {
        for (r, row) in self.rows.iter() {
            for (c, cell) in row.0.iter().enumerate() {
                let n = cell.load(Relaxed);
                if n > 0 {
                    let value = value_from_index((r << HALF_MAGNITUDE) | c);
                    // Auto-resizing histograms accept any value; an error here is impossible.
                    let _ = into.record_n(value, n);
                }
            }
        }
    }

    /// Adds every count of `o` into this histogram. Only by this histogram's one writer.
    pub(crate) fn absorb(&self, o: &AtomicHistogram) {
        self.clamped
            .store(self.clamped.load(Relaxed) + o.clamped(), Relaxed);
        for (r, row) in o.rows.iter() {
            let Some(into) = self.rows.get_or_init(r, Row::new_boxed) else {
                continue;
            };
            for (cell, from) in into.0.iter().zip(row.0.iter()) {
                let n = from.load(Relaxed);
                if n > 0 {
                    cell.store(cell.load(Relaxed) + n, Relaxed);
                }
            }
        }
    }

    /// Bytes held by allocated rows (for the retained-memory figures).
    pub(crate) fn retained_bytes(&self) -> usize {
        self.rows.iter().count() * std::mem::size_of::<Row>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::histogram::new_histogram;

    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *seed >> 11
    }

    #[test]
    fn folded_histogram_equals_hdrhistogram_of_the_raw_values() {
        let atomic = AtomicHistogram::new();
        let mut reference = new_histogram();
        let mut seed = 42;
        for i in 0..200_000u64 {
            // Spread over every magnitude, from 0 ns to minutes.
            let v = lcg(&mut seed) % (1u64 << (i % 38 + 1));
            atomic.record(v);
            reference.record(v).unwrap();
        }
        let mut folded = new_histogram();
        atomic.fold_into(&mut folded);
        assert_eq!(folded.len(), reference.len());
        for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            assert_eq!(
                folded.value_at_quantile(q),
                reference.value_at_quantile(q),
                "q={q}"
            );
        }
        assert_eq!(folded.min(), reference.min());
        assert_eq!(folded.max(), reference.max());
        let a: Vec<_> = folded
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        let b: Vec<_> = reference
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn index_round_trips_to_the_lowest_equivalent_value() {
        let h = new_histogram();
        for v in [
            0u64,
            1,
            1023,
            1024,
            2047,
            2048,
            2049,
            4095,
            4096,
            1_000_000,
            123_456_789,
            MAX_VALUE,
        ] {
            assert_eq!(
                value_from_index(counts_index(v)),
                h.lowest_equivalent(v),
                "v={v}"
            );
        }
    }

    #[test]
    fn huge_values_are_clamped_not_lost_and_counted() {
        let atomic = AtomicHistogram::new();
        atomic.record(u64::MAX);
        atomic.record(MAX_VALUE + 1);
        atomic.record(MAX_VALUE);
        let mut h = new_histogram();
        atomic.fold_into(&mut h);
        assert_eq!(h.len(), 3);
        assert!(h.max() >= MAX_VALUE - MAX_VALUE / 1000);
        assert_eq!(
            atomic.clamped(),
            2,
            "the value at the top itself is not clamped"
        );
        let retired = AtomicHistogram::new();
        retired.absorb(&atomic);
        assert_eq!(retired.clamped(), 2);
    }

    #[test]
    fn memory_depends_on_value_spread_not_call_count() {
        let atomic = AtomicHistogram::new();
        for _ in 0..100_000 {
            atomic.record(40_000_000);
        }
        let one_value = atomic.retained_bytes();
        for _ in 0..1_000_000 {
            atomic.record(40_000_123);
        }
        assert_eq!(atomic.retained_bytes(), one_value);
    }
}
