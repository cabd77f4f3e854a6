//! Histograms and counters per component, merged from every thread's shard when read.
//! Percentiles are only ever computed from merged histograms, never averaged.

use crate::record::component::{self, ComponentMeta};
use crate::record::new_histogram;
use crate::record::shard::{self, Cell, Shard};
use hdrhistogram::Histogram;

/// Everything recorded for one component, all threads merged.
#[derive(Clone, Debug)]
pub struct ComponentTotals {
    /// Latency samples in ns (first item for streams, E2E for turns).
    pub latency: Histogram<u64>,
    /// Whole-stream time of completed streams in ns (whole turn time for turns).
    pub stream_total: Histogram<u64>,
    pub errors: u64,
    pub cancelled: u64,
    pub warmup_excluded: u64,
    pub items: u64,
    pub streams_completed: u64,
    pub streams_cancelled: u64,
    pub turn_ns: u64,
    /// Raw clock bounds of the samples (`None` without samples).
    pub first_start: Option<u64>,
    pub last_end: Option<u64>,
    pub memory: MemoryTotals,
}

/// Memory read around sampled calls (bytes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryTotals {
    pub sampled_calls: u64,
    pub rss_before: u64,
    pub rss_after: u64,
    pub vms_before: u64,
    pub vms_after: u64,
    /// Sum of per-call RSS deltas (signed).
    pub rss_growth: i64,
    /// Largest per-call RSS delta.
    pub rss_worst: i64,
}

impl Default for ComponentTotals {
    fn default() -> Self {
        ComponentTotals {
            latency: new_histogram(),
            stream_total: new_histogram(),
            errors: 0,
            cancelled: 0,
            warmup_excluded: 0,
            items: 0,
            streams_completed: 0,
            streams_cancelled: 0,
            turn_ns: 0,
            first_start: None,
            last_end: None,
            memory: MemoryTotals::default(),
        }
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

fn nonzero(v: u64) -> Option<u64> {
    (v != 0).then_some(v)
}

impl ComponentTotals {
    fn absorb_cell(&mut self, c: &Cell) {
        c.latency.fold_into(&mut self.latency);
        c.stream_total.fold_into(&mut self.stream_total);
        self.errors += c.errors.get();
        self.cancelled += c.cancelled.get();
        self.warmup_excluded += c.warmup_excluded.get();
        self.items += c.items.get();
        self.streams_completed += c.streams_completed.get();
        self.streams_cancelled += c.streams_cancelled.get();
        self.turn_ns += c.turn_ns.get();
        self.first_start = min_opt(self.first_start, nonzero(c.first_start.get()));
        self.last_end = max_opt(self.last_end, nonzero(c.last_end.get()));
        let m = MemoryTotals {
            sampled_calls: c.mem_samples.get(),
            rss_before: c.mem_rss_before.get(),
            rss_after: c.mem_rss_after.get(),
            vms_before: c.mem_vms_before.get(),
            vms_after: c.mem_vms_after.get(),
            rss_growth: c.mem_rss_growth.get() as i64,
            rss_worst: c.mem_rss_worst.get() as i64,
        };
        self.memory.merge(&m);
    }
}

impl MemoryTotals {
    /// Merges another thread's readings: before is the lowest, after the highest.
    pub fn merge(&mut self, o: &MemoryTotals) {
        if o.sampled_calls == 0 {
            return;
        }
        if self.sampled_calls == 0 {
            *self = o.clone();
            return;
        }
        self.sampled_calls += o.sampled_calls;
        self.rss_before = self.rss_before.min(o.rss_before);
        self.vms_before = self.vms_before.min(o.vms_before);
        self.rss_after = self.rss_after.max(o.rss_after);
        self.vms_after = self.vms_after.max(o.vms_after);
        self.rss_growth = self.rss_growth.wrapping_add(o.rss_growth);
        self.rss_worst = self.rss_worst.max(o.rss_worst);
    }
}

/// Totals of every component, indexed by component id.
#[derive(Clone, Debug, Default)]
pub struct Totals {
    components: Vec<ComponentTotals>,
}

impl Totals {
    pub(crate) const fn new() -> Self {
        Totals {
            components: Vec::new(),
        }
    }

    pub(crate) fn absorb_shard(&mut self, shard: &Shard) {
        for (id, cell) in shard.cells() {
            let id = id as usize;
            if self.components.len() <= id {
                self.components
                    .resize_with(id + 1, ComponentTotals::default);
            }
            self.components[id].absorb_cell(cell);
        }
    }
}

/// One component as read at a point in time.
#[derive(Clone, Debug)]
pub struct ComponentSnapshot {
    pub meta: ComponentMeta,
    pub totals: ComponentTotals,
}

/// Every component's metadata and totals, merged across threads.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub components: Vec<ComponentSnapshot>,
    /// Raw clock time of the read.
    pub taken_at: u64,
}

impl Snapshot {
    /// The component named `name`.
    pub fn component(&self, name: &str) -> Option<&ComponentSnapshot> {
        self.components.iter().find(|c| c.meta.name == name)
    }
}

/// Reads every shard and merges (takes the shard-list lock; calls never wait on it).
pub fn snapshot() -> Snapshot {
    let metas = component::metas();
    let mut totals = shard::collect();
    let taken_at = crate::record::clock::now();
    let components = metas
        .into_iter()
        .enumerate()
        .map(|(id, meta)| ComponentSnapshot {
            meta,
            totals: totals
                .components
                .get_mut(id)
                .map(std::mem::take)
                .unwrap_or_default(),
        })
        .collect();
    Snapshot {
        components,
        taken_at,
    }
}

/// Bytes the recording shards hold (grows with components and threads, not calls).
pub fn retained_bytes() -> usize {
    shard::retained_bytes()
}
