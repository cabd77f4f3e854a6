//! Histograms and counters per component, merged from every thread's shard when read.
//! Percentiles are only ever computed from merged histograms, never averaged.
//!
//! `ComponentTotals` is also what reports from several processes are merged into
//! (`analyse::merge`), so a merged report is built by the same code as a live one.

mod totals;
pub mod trace;
mod turns;

pub use totals::{ComponentTotals, HeapTotals, MemoryTotals, MergeError, RssShareTotals};
pub use turns::{KeptTurn, PartTotals, SessionTotals, TurnTotals};

use crate::record::{clock, component, shard, turn_log, ComponentMeta};

/// One component as read at a point in time.
#[derive(Clone, Debug)]
pub struct ComponentSnapshot {
    /// Name, kind, labels and functions of the component.
    pub meta: ComponentMeta,
    /// Everything recorded for it, all threads merged.
    pub totals: ComponentTotals,
}

/// Every component's metadata and totals, merged across threads.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// In registration order.
    pub components: Vec<ComponentSnapshot>,
    /// Seconds from the profiler's epoch (its first clock read) to this snapshot.
    pub taken_at_sec: f64,
    /// Waterfalls, interruptions, sessions and kept records of the turns.
    pub turns: TurnTotals,
}

impl Snapshot {
    /// The component named `name`.
    pub fn component(&self, name: &str) -> Option<&ComponentSnapshot> {
        self.components.iter().find(|c| c.meta.name == name)
    }
}

/// Reads every shard and merges (takes the shard-list lock; calls never wait on it),
/// and the turn log (takes its lock, which the program's turn path also takes).
pub fn snapshot() -> Snapshot {
    let mut snap = components_snapshot();
    let names: Vec<String> = snap
        .components
        .iter()
        .map(|c| c.meta.name.clone())
        .collect();
    snap.turns = TurnTotals::from_log(turn_log::read(), &names);
    snap
}

/// [`snapshot`] without the turns (left at their default): what the live tick reads
/// every second, so it never takes the turn log's lock.
pub(crate) fn components_snapshot() -> Snapshot {
    let metas = component::metas();
    let mut totals: Vec<ComponentTotals> = Vec::new();
    // Raw clock bounds of each component's samples: (first start, last end).
    let mut windows: Vec<(u64, u64)> = Vec::new();
    shard::for_each_cell(|id, cell| {
        let id = id as usize;
        if totals.len() <= id {
            totals.resize_with(id + 1, ComponentTotals::default);
            windows.resize(id + 1, (0, 0));
        }
        totals[id].absorb_cell(cell);
        let (start, end) = cell.window();
        let w = &mut windows[id];
        if start != 0 && (w.0 == 0 || start < w.0) {
            w.0 = start;
        }
        w.1 = w.1.max(end);
    });
    for (t, (start, end)) in totals.iter_mut().zip(&windows) {
        if *start != 0 && *end != 0 {
            t.active_sec = clock::nanos_between(*start, *end) as f64 / 1e9;
        }
    }
    let taken_at_sec = clock::secs_since_epoch(clock::now());
    let components = metas
        .into_iter()
        .enumerate()
        .map(|(id, meta)| ComponentSnapshot {
            meta,
            totals: totals.get_mut(id).map(std::mem::take).unwrap_or_default(),
        })
        .collect();
    Snapshot {
        components,
        taken_at_sec,
        turns: TurnTotals::default(),
    }
}

/// Bytes the recording shards hold (grows with components and threads, not calls).
pub fn retained_bytes() -> usize {
    shard::retained_bytes()
}
