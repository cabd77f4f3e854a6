//! Per-thread shards: each thread records into its own cells, with no lock and no
//! allocation after a component's first call on that thread. Readers walk every
//! shard under the shard-list mutex (never taken by a call) and merge.
//!
//! Invariants: a `Cell` has one writer, the thread that owns the shard (see
//! `AtomicHistogram`); when a thread exits its shard is folded into the retired shard
//! (written only under the shard-list mutex) and freed, so memory follows the live
//! threads, not every thread that ever ran.

use super::context::uncharged;
use super::histogram::AtomicHistogram;
use super::slots::Slots;
use std::ops::ControlFlow;
use std::sync::atomic::{
    fence, AtomicU64, Ordering::Acquire, Ordering::Relaxed, Ordering::Release,
};
use std::sync::{Arc, Mutex, MutexGuard};

const CHUNK: usize = 64;

/// A counter with one writer: a load and a store, no read-modify-write.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline(always)]
    pub(crate) fn add(&self, n: u64) {
        self.0.store(self.0.load(Relaxed).wrapping_add(n), Relaxed);
    }
    #[inline(always)]
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
    #[inline(always)]
    pub(crate) fn set(&self, v: u64) {
        self.0.store(v, Relaxed)
    }
}

/// One component's figures on one thread.
pub(crate) struct Cell {
    /// Latency samples in ns (first-item time for streams, E2E for turns).
    pub(crate) latency: AtomicHistogram,
    /// Whole-stream time of completed streams (turn duration for turns).
    pub(crate) stream_total: AtomicHistogram,
    pub(crate) errors: Counter,
    pub(crate) cancelled: Counter,
    pub(crate) warmup_excluded: Counter,
    pub(crate) items: Counter,
    pub(crate) streams_completed: Counter,
    pub(crate) streams_cancelled: Counter,
    /// Nanoseconds spent inside turns (a stage's time; the turn component's whole time).
    pub(crate) turn_ns: Counter,
    /// Raw timestamps bounding the samples, 0 when none.
    pub(crate) first_start: Counter,
    pub(crate) last_end: Counter,
    /// Calls (and streams) begun and ended on this thread while running counts are on
    /// (see `mode`), and the sums of their start and end ticks; a call may end on
    /// another thread than it began, so only the sums over every shard mean anything.
    /// Written inside `run_seq` (a sequence lock with one writer), so a reader sees a
    /// count and its sum of ticks together (see `running_time`).
    begun: Counter,
    ended: Counter,
    start_ticks: Counter,
    end_ticks: Counter,
    run_seq: Counter,
}

impl Cell {
    fn new() -> Self {
        Cell {
            latency: AtomicHistogram::new(),
            stream_total: AtomicHistogram::new(),
            errors: Counter::default(),
            cancelled: Counter::default(),
            warmup_excluded: Counter::default(),
            items: Counter::default(),
            streams_completed: Counter::default(),
            streams_cancelled: Counter::default(),
            turn_ns: Counter::default(),
            first_start: Counter::default(),
            last_end: Counter::default(),
            begun: Counter::default(),
            ended: Counter::default(),
            start_ticks: Counter::default(),
            end_ticks: Counter::default(),
            run_seq: Counter::default(),
        }
    }

    /// Records a latency sample from `start` to `end` (raw ticks), `ns` long.
    #[inline(always)]
    pub(crate) fn sample(&self, start: u64, end: u64, ns: u64) {
        self.latency.record(ns);
        if self.first_start.get() == 0 {
            self.first_start.add(start);
        }
        self.last_end.set(end);
    }

    /// Counts a call begun at `start` (raw ticks) as running.
    #[inline(always)]
    pub(crate) fn count_begun(&self, start: u64) {
        self.write_running(|| {
            self.begun.add(1);
            self.start_ticks.add(start);
        });
    }

    /// Counts the end, at `end` (raw ticks), of a call counted as begun.
    #[inline(always)]
    pub(crate) fn count_ended(&self, end: u64) {
        self.write_running(|| {
            self.ended.add(1);
            self.end_ticks.add(end);
        });
    }

    /// The writer's side of the sequence lock: odd while writing. Plain stores (one
    /// writer), ordered by fences, so a reader that saw any of `f`'s stores sees the
    /// sequence change.
    #[inline(always)]
    fn write_running(&self, f: impl FnOnce()) {
        let s = self.run_seq.get();
        self.run_seq.set(s.wrapping_add(1));
        fence(Release);
        f();
        self.run_seq.0.store(s.wrapping_add(2), Release);
    }

    /// (begun, ended, sum of start ticks, sum of end ticks), read together; `None` when
    /// the writer was inside an update at every try.
    fn read_running(&self) -> Option<[u64; 4]> {
        for _ in 0..64 {
            let s1 = self.run_seq.0.load(Acquire);
            if s1 & 1 == 0 {
                let v = [
                    self.begun.get(),
                    self.ended.get(),
                    self.start_ticks.get(),
                    self.end_ticks.get(),
                ];
                fence(Acquire);
                if self.run_seq.0.load(Relaxed) == s1 {
                    return Some(v);
                }
            }
            std::hint::spin_loop();
        }
        None
    }

    /// Raw clock bounds of this cell's samples: (first start, last end), 0 when none.
    pub(crate) fn window(&self) -> (u64, u64) {
        (self.first_start.get(), self.last_end.get())
    }

    /// Adds `o`'s figures into this cell (a thread's cell retiring into the retired
    /// shard). Only under the shard-list mutex: this cell's one writer.
    fn absorb(&self, o: &Cell) {
        self.latency.absorb(&o.latency);
        self.stream_total.absorb(&o.stream_total);
        for (a, b) in [
            (&self.errors, &o.errors),
            (&self.cancelled, &o.cancelled),
            (&self.warmup_excluded, &o.warmup_excluded),
            (&self.items, &o.items),
            (&self.streams_completed, &o.streams_completed),
            (&self.streams_cancelled, &o.streams_cancelled),
            (&self.turn_ns, &o.turn_ns),
            (&self.begun, &o.begun),
            (&self.ended, &o.ended),
            (&self.start_ticks, &o.start_ticks),
            (&self.end_ticks, &o.end_ticks),
        ] {
            a.add(b.get());
        }
        let lowest = |a: &Counter, b: &Counter| {
            if b.get() != 0 && (a.get() == 0 || b.get() < a.get()) {
                a.set(b.get());
            }
        };
        let highest = |a: &Counter, b: &Counter| a.set(a.get().max(b.get()));
        lowest(&self.first_start, &o.first_start);
        highest(&self.last_end, &o.last_end);
    }

    /// Bytes this cell holds (for the retained-memory figures).
    pub(crate) fn retained_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.latency.retained_bytes()
            + self.stream_total.retained_bytes()
    }
}

pub(crate) struct Shard {
    cells: Slots<Slots<Cell, CHUNK>, CHUNK>,
}

impl Shard {
    const fn new() -> Shard {
        Shard {
            cells: Slots::new(),
        }
    }
}

impl Shard {
    #[inline(always)]
    fn cell(&self, id: u32) -> Option<&Cell> {
        let id = id as usize;
        self.cells
            .get_or_init(id / CHUNK, || Box::new(Slots::new()))?
            .get_or_init(id % CHUNK, || Box::new(Cell::new()))
    }

    pub(crate) fn cells(&self) -> impl Iterator<Item = (u32, &Cell)> {
        self.cells.iter().flat_map(|(c, chunk)| {
            chunk
                .iter()
                .map(move |(i, cell)| ((c * CHUNK + i) as u32, cell))
        })
    }
}

struct Shards {
    live: Vec<Arc<Shard>>,
    /// Every exited thread's cells, added up.
    retired: Shard,
}

static SHARDS: Mutex<Shards> = Mutex::new(Shards {
    live: Vec::new(),
    retired: Shard::new(),
});

fn shards() -> MutexGuard<'static, Shards> {
    SHARDS.lock().unwrap_or_else(|e| e.into_inner())
}

struct Local(Arc<Shard>);

impl Local {
    fn register() -> Local {
        let shard = Arc::new(Shard::new());
        shards().live.push(shard.clone());
        Local(shard)
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        let mut s = shards();
        s.live.retain(|x| !Arc::ptr_eq(x, &self.0));
        for (id, cell) in self.0.cells() {
            if let Some(into) = s.retired.cell(id) {
                into.absorb(cell);
            }
        }
    }
}

thread_local! {
    static LOCAL: Local = uncharged(Local::register);
}

/// Runs `f` on this thread's cell for component `id`. `None` when the thread is
/// being torn down (the sample is dropped rather than panicking) or `id` is out of range.
#[inline(always)]
pub(crate) fn with_cell<R>(id: u32, f: impl FnOnce(&Cell) -> R) -> Option<R> {
    LOCAL.try_with(|l| l.0.cell(id).map(f)).ok().flatten()
}

/// Calls `f` with every cell of every live and retired shard, by component id, under
/// the shard-list mutex (calls never wait on it).
pub(crate) fn for_each_cell(mut f: impl FnMut(u32, &Cell)) {
    let _ = try_for_each_cell(|id, cell| {
        f(id, cell);
        ControlFlow::Continue(())
    });
}

/// [`for_each_cell`], until `f` breaks: retired shard first, then the live ones.
fn try_for_each_cell(mut f: impl FnMut(u32, &Cell) -> ControlFlow<()>) -> ControlFlow<()> {
    let s = shards();
    for shard in std::iter::once(&s.retired).chain(s.live.iter().map(|a| &**a)) {
        for (id, cell) in shard.cells() {
            f(id, cell)?;
        }
    }
    ControlFlow::Continue(())
}

/// The entry of component `id` in `out`, which grows (with zeros) to hold it.
fn entry(out: &mut Vec<u64>, id: u32) -> &mut u64 {
    let id = id as usize;
    if out.len() <= id {
        out.resize(id + 1, 0);
    }
    &mut out[id]
}

/// How many calls of each component are running now (begun, not yet ended), by
/// component id, into `out` (cleared first). Counters only: no histogram is read.
/// Counts are read shard by shard while calls go on, so a call ending on another
/// thread than it began can be missed for one reading; negative sums read as 0.
pub(crate) fn running(out: &mut Vec<u64>) {
    out.clear();
    for_each_cell(|id, cell| {
        let n = entry(out, id);
        *n = n
            .wrapping_add(cell.begun.get())
            .wrapping_sub(cell.ended.get());
    });
    for n in out.iter_mut() {
        *n = (*n as i64).max(0) as u64;
    }
}

/// How long each component's calls have run, all together, up to the raw timestamp
/// `now`: by component id, into `out` (cleared first), in raw ticks. Ended calls count
/// start to end, running ones start to `now`: the sum over every shard of
/// `end_ticks + (begun - ended) * now - start_ticks`, in wrapping arithmetic (the sums
/// of ticks wrap; the result does not). `false` when a cell could not be read
/// consistently (its writer stayed inside an update): `out` is then not to be used.
pub(crate) fn running_time(now: u64, out: &mut Vec<u64>) -> bool {
    out.clear();
    try_for_each_cell(|id, cell| {
        let Some([begun, ended, start, end]) = cell.read_running() else {
            return ControlFlow::Break(());
        };
        let n = entry(out, id);
        *n = n
            .wrapping_add(end)
            .wrapping_add(begun.wrapping_sub(ended).wrapping_mul(now))
            .wrapping_sub(start);
        ControlFlow::Continue(())
    })
    .is_continue()
}

/// Bytes held by every shard, live and retired (the profiler's own recording memory).
pub(crate) fn retained_bytes() -> usize {
    let s = shards();
    s.live
        .iter()
        .map(|sh| sh.cells().map(|(_, c)| c.retained_bytes()).sum::<usize>())
        .sum()
}
