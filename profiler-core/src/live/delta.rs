//! `Deltas`: what each component recorded since the previous reading of the running
//! totals (`aggregate::snapshot`), as HDR bucket counts and counters, so that a
//! publisher or a rolling window receives every sample exactly once, with the value of
//! its HDR bucket (the bucket's highest equivalent value, as the report's percentiles).
//!
//! Invariants: totals only grow (shards are folded, never reset) and readings are
//! taken in order (under the live state's lock), so a reading's counts are at least the
//! previous reading's; a count found lower (it cannot be) is taken as no growth, so
//! nothing is ever handed over twice. Memory: the previous reading's non-empty buckets
//! per component, bounded by the spread of latencies, not by calls.

use crate::aggregate::Snapshot;
use crate::analyse::stats::recorded_buckets;
use hdrhistogram::Histogram;

/// Non-empty HDR buckets, `(value ns, count)`, in increasing value.
pub(crate) type Buckets = Vec<(u64, u64)>;

/// What one component recorded between two readings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Delta {
    /// New latency samples (first item for streams, E2E for turns).
    pub(crate) latency: Buckets,
    /// New whole-stream (or whole-turn) times.
    pub(crate) stream_total: Buckets,
    pub(crate) samples: u64,
    pub(crate) errors: u64,
    pub(crate) cancelled: u64,
    pub(crate) warmup: u64,
    pub(crate) items: u64,
}

impl Delta {
    /// Whether nothing at all was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        *self == Delta::default()
    }
}

#[derive(Default)]
struct Seen {
    latency: Buckets,
    stream_total: Buckets,
    errors: u64,
    cancelled: u64,
    warmup: u64,
    items: u64,
}

/// The previous reading of every component (see the module docs).
#[derive(Default)]
pub(crate) struct Deltas {
    seen: Vec<Seen>,
}

/// What `h` gained over `seen` (its previous buckets), and `seen` brought up to date.
/// A histogram whose count did not change is not walked: an idle component costs
/// nothing per tick.
fn gained(h: &Histogram<u64>, seen: &mut Buckets) -> Buckets {
    let before: u64 = seen.iter().map(|(_, n)| n).sum();
    if h.len() == before {
        return Vec::new();
    }
    let now = recorded_buckets(h);
    let d = diff(&now, seen);
    *seen = now;
    d
}

/// `now - before`, bucket by bucket (both sorted by value).
fn diff(now: &Buckets, before: &Buckets) -> Buckets {
    let mut out = Vec::new();
    let mut b = before.iter().peekable();
    for &(v, n) in now {
        while b.next_if(|x| x.0 < v).is_some() {}
        let old = b.next_if(|x| x.0 == v).map_or(0, |x| x.1);
        let d = n.saturating_sub(old);
        if d > 0 {
            out.push((v, d));
        }
    }
    out
}

impl Deltas {
    /// What each component of `snap` recorded since the previous call, by index in
    /// `snap.components` (the first call gives everything recorded so far).
    pub(crate) fn take(&mut self, snap: &Snapshot) -> Vec<Delta> {
        if self.seen.len() < snap.components.len() {
            self.seen.resize_with(snap.components.len(), Seen::default);
        }
        snap.components
            .iter()
            .zip(self.seen.iter_mut())
            .map(|(c, seen)| {
                let t = &c.totals;
                let latency = gained(&t.latency, &mut seen.latency);
                let d = Delta {
                    samples: latency.iter().map(|(_, n)| n).sum(),
                    latency,
                    stream_total: gained(&t.stream_total, &mut seen.stream_total),
                    errors: t.errors.saturating_sub(seen.errors),
                    cancelled: t.cancelled.saturating_sub(seen.cancelled),
                    warmup: t.warmup_excluded.saturating_sub(seen.warmup),
                    items: t.items.saturating_sub(seen.items),
                };
                seen.errors = t.errors;
                seen.cancelled = t.cancelled;
                seen.warmup = t.warmup_excluded;
                seen.items = t.items;
                d
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{ComponentSnapshot, ComponentTotals};
    use crate::model::Kind;
    use crate::record::ComponentMeta;

    fn snap(values: &[u64], errors: u64) -> Snapshot {
        let mut totals = ComponentTotals::default();
        for v in values {
            totals.latency.record(*v).unwrap();
        }
        totals.errors = errors;
        Snapshot {
            components: vec![ComponentSnapshot {
                meta: ComponentMeta {
                    name: "stt".into(),
                    kind: Kind::Latency,
                    source: Default::default(),
                    attribute_target_ms: None,
                    labels: Default::default(),
                    functions: vec![],
                },
                totals,
            }],
            taken_at_sec: 0.0,
            turns: Default::default(),
        }
    }

    #[test]
    fn each_sample_is_delivered_once_with_its_bucket_value() {
        let mut d = Deltas::default();
        let first = d.take(&snap(&[1_000_000, 1_000_000, 5_000_000], 1));
        let h = crate::model::histogram::new_histogram();
        let one = h.highest_equivalent(1_000_000);
        let five = h.highest_equivalent(5_000_000);
        assert_eq!(first[0].latency, vec![(one, 2), (five, 1)]);
        assert_eq!((first[0].samples, first[0].errors), (3, 1));
        // The totals grew by one 5 ms sample and one 9 ms sample: only those come.
        let second = d.take(&snap(
            &[1_000_000, 1_000_000, 5_000_000, 5_000_000, 9_000_000],
            1,
        ));
        let nine = h.highest_equivalent(9_000_000);
        assert_eq!(second[0].latency, vec![(five, 1), (nine, 1)]);
        assert_eq!((second[0].samples, second[0].errors), (2, 0));
        // Nothing new: an empty delta.
        let third = d.take(&snap(
            &[1_000_000, 1_000_000, 5_000_000, 5_000_000, 9_000_000],
            1,
        ));
        assert!(third[0].is_empty());
    }
}
