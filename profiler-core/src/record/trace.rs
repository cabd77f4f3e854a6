//! The timeline recorder behind the `trace` format: every measured call, stream and
//! turn leaves one event (start, end, first item, outcome, thread, turn, session) in a
//! ring of the latest events, which the end-of-run report drains into a
//! Chrome/Perfetto trace.
//!
//! Off unless `trace` is among `PROFILER_FORMATS`: then the mode carries its flag (see
//! `mode`), calls leave the `ON` fast path and are marked as traced; a call that is not
//! traced pays one branch on its own field when it ends, nothing else.
//!
//! Invariants: the ring is allocated once, when tracing is first switched on, with the
//! capacity the configuration gives then (`PROFILER_TRACE_MAX_EVENTS`); recording takes
//! no lock and allocates nothing (one `fetch_add` on the head, then a slot written under
//! its own sequence number). When more events come than the ring holds, the oldest are
//! overwritten: the trace keeps the latest ones whole and says how many it dropped. A
//! writer lapped by another on the same slot (the ring went round while it wrote) drops
//! its event rather than mixing two; a reader skips a slot whose sequence changed while
//! it was read. Thread and session names are kept in bounded tables, registered once
//! per thread and per session.

use super::context::uncharged;
use crate::config::{MAX_TRACE_EVENTS, MIN_TRACE_EVENTS};
use std::cell::Cell;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Thread and session names kept (later ones are shown by number).
const MAX_NAMES: usize = 4096;

/// What an event stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A call of a sync or async function (or a span from other code).
    Call = 1,
    /// A `first_item` stream, from its call to its end or drop.
    Stream = 2,
    /// A turn, from its start to its end.
    Turn = 3,
}

/// How an event ended: `Ok`, `Error` or `Cancelled` for calls and streams; a
/// `TurnOutcome` index (0 to 3) plus [`TURN_OUTCOME`] for turns.
pub(crate) mod outcome {
    /// Completed.
    pub(crate) const OK: u8 = 0;
    /// Returned `Err` or panicked.
    pub(crate) const ERROR: u8 = 1;
    /// Dropped before it completed.
    pub(crate) const CANCELLED: u8 = 2;
    /// Added to a turn outcome's index.
    pub(crate) const TURN_OUTCOME: u8 = 8;
}

/// One event as recorded (raw clock reads; 0: not set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) kind: EventKind,
    pub(crate) outcome: u8,
    /// Component id (the turn component's for turns).
    pub(crate) comp: u32,
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// First item (streams) or first response (turns).
    pub(crate) first: u64,
    /// Items (streams) or the raw time of the interruption (turns).
    pub(crate) aux: u64,
    /// Turn id (0: outside any turn).
    pub(crate) turn: u64,
    /// Session key (0: none), see [`session_key`].
    pub(crate) session: u32,
}

/// A drained event with the thread it was recorded on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Recorded {
    pub(crate) event: Event,
    /// Thread number (see [`Drained::threads`]); 0 when unknown.
    pub(crate) thread: u32,
}

/// What the ring holds now.
pub(crate) struct Drained {
    /// Kept events, oldest first.
    pub(crate) events: Vec<Recorded>,
    /// Events the ring holds at most.
    pub(crate) capacity: u64,
    /// Events recorded since tracing started (kept or not).
    pub(crate) recorded: u64,
    /// Thread numbers and names.
    pub(crate) threads: Vec<(u32, String)>,
    /// Session keys and ids.
    pub(crate) sessions: Vec<(u32, Arc<str>)>,
}

const WORDS: usize = 8;

/// One event: `seq` (2 * index + 2 once written, odd while being written), then the
/// event's words.
struct Slot {
    seq: AtomicU64,
    words: [AtomicU64; WORDS - 1],
}

struct Ring {
    slots: Box<[Slot]>,
    head: AtomicU64,
}

impl Ring {
    fn new(capacity: u64) -> Ring {
        let slots = (0..capacity)
            .map(|_| Slot {
                seq: AtomicU64::new(0),
                words: [const { AtomicU64::new(0) }; WORDS - 1],
            })
            .collect();
        Ring {
            slots,
            head: AtomicU64::new(0),
        }
    }

    fn capacity(&self) -> u64 {
        self.slots.len() as u64
    }

    fn push(&self, e: &Event, thread: u32) {
        let index = self.head.fetch_add(1, Ordering::Relaxed);
        let slot = &self.slots[(index % self.capacity()) as usize];
        let writing = 2 * index + 1;
        let seen = slot.seq.load(Ordering::Relaxed);
        // Another writer is in this slot (odd), or a newer one took it: drop this one.
        if seen & 1 == 1
            || seen >= writing
            || slot
                .seq
                .compare_exchange(seen, writing, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        fence(Ordering::Release);
        let words = encode(e, thread);
        for (w, v) in slot.words.iter().zip(words) {
            w.store(v, Ordering::Relaxed);
        }
        slot.seq.store(writing + 1, Ordering::Release);
    }

    fn read(&self) -> (Vec<Recorded>, u64) {
        let recorded = self.head.load(Ordering::Acquire);
        let mut out: Vec<(u64, Recorded)> = Vec::with_capacity(self.slots.len().min(1 << 16));
        for slot in self.slots.iter() {
            let before = slot.seq.load(Ordering::Acquire);
            if before == 0 || before & 1 == 1 {
                continue;
            }
            let mut words = [0u64; WORDS - 1];
            for (v, w) in words.iter_mut().zip(&slot.words) {
                *v = w.load(Ordering::Relaxed);
            }
            fence(Ordering::Acquire);
            if slot.seq.load(Ordering::Relaxed) != before {
                continue;
            }
            if let Some(r) = decode(words) {
                out.push((before / 2 - 1, r));
            }
        }
        out.sort_unstable_by_key(|(index, _)| *index);
        (out.into_iter().map(|(_, r)| r).collect(), recorded)
    }
}

fn encode(e: &Event, thread: u32) -> [u64; WORDS - 1] {
    [
        e.start,
        e.end,
        e.first,
        e.aux,
        e.turn,
        e.comp as u64 | (thread as u64) << 32,
        e.session as u64 | (e.kind as u64) << 32 | (e.outcome as u64) << 40,
    ]
}

fn decode(w: [u64; WORDS - 1]) -> Option<Recorded> {
    let kind = match (w[6] >> 32) as u8 {
        1 => EventKind::Call,
        2 => EventKind::Stream,
        3 => EventKind::Turn,
        _ => return None,
    };
    Some(Recorded {
        event: Event {
            kind,
            outcome: (w[6] >> 40) as u8,
            comp: w[5] as u32,
            start: w[0],
            end: w[1],
            first: w[2],
            aux: w[3],
            turn: w[4],
            session: w[6] as u32,
        },
        thread: (w[5] >> 32) as u32,
    })
}

static RING: OnceLock<Ring> = OnceLock::new();
static NEXT_THREAD: AtomicU32 = AtomicU32::new(1);
static NEXT_SESSION: AtomicU32 = AtomicU32::new(1);
static THREADS: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
static SESSIONS: Mutex<Vec<(u32, Arc<str>)>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's number in the trace (0: none yet).
    static THREAD: Cell<u32> = const { Cell::new(0) };
}

/// Allocates the ring (once: a later capacity is ignored) so events can be recorded.
pub(crate) fn start(capacity: u64) {
    RING.get_or_init(|| Ring::new(capacity.clamp(MIN_TRACE_EVENTS, MAX_TRACE_EVENTS)));
}

/// Whether the ring exists (tracing was switched on at some point).
fn started() -> bool {
    RING.get().is_some()
}

/// Records `e` on this thread. Cold: only traced calls come here.
#[cold]
#[inline(never)]
pub(crate) fn record(e: Event) {
    if let Some(ring) = RING.get() {
        ring.push(&e, this_thread());
    }
}

fn this_thread() -> u32 {
    THREAD
        .try_with(|t| {
            if t.get() == 0 {
                t.set(register_thread());
            }
            t.get()
        })
        .unwrap_or(0)
}

#[cold]
fn register_thread() -> u32 {
    let n = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
    uncharged(|| {
        let current = std::thread::current();
        let name = current
            .name()
            .map_or_else(|| format!("thread {n}"), |s| s.to_string());
        let mut threads = THREADS.lock().unwrap_or_else(|e| e.into_inner());
        if threads.len() < MAX_NAMES {
            threads.push((n, name));
        }
    });
    n
}

/// A key for session `id` in trace events (0 when tracing is off). Called once per
/// session, when it opens.
pub(crate) fn session_key(id: &Arc<str>) -> u32 {
    if !started() {
        return 0;
    }
    let key = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
    uncharged(|| {
        let mut sessions = SESSIONS.lock().unwrap_or_else(|e| e.into_inner());
        if sessions.len() >= MAX_NAMES {
            // The oldest session names go first: the ring keeps the latest events.
            sessions.remove(0);
        }
        sessions.push((key, id.clone()));
    });
    key
}

/// A copy of what the ring holds, or `None` when tracing never started.
pub(crate) fn drain() -> Option<Drained> {
    let ring = RING.get()?;
    let (events, recorded) = ring.read();
    Some(Drained {
        events,
        capacity: ring.capacity(),
        recorded,
        threads: THREADS.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        sessions: SESSIONS.lock().unwrap_or_else(|e| e.into_inner()).clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: u64) -> Event {
        Event {
            kind: EventKind::Stream,
            outcome: outcome::CANCELLED,
            comp: 7,
            start: 1000 + i,
            end: 2000 + i,
            first: 1500 + i,
            aux: i,
            turn: 42,
            session: 3,
        }
    }

    #[test]
    fn a_ring_keeps_the_latest_events_in_order_and_counts_every_one() {
        let ring = Ring::new(100);
        for i in 0..250 {
            ring.push(&event(i), 5);
        }
        let (events, recorded) = ring.read();
        assert_eq!(recorded, 250);
        assert_eq!(events.len(), 100);
        // The latest 100, oldest first, each read back whole.
        for (k, r) in events.iter().enumerate() {
            assert_eq!(r.event, event(150 + k as u64));
            assert_eq!(r.thread, 5);
        }
    }

    #[test]
    fn a_ring_below_its_capacity_holds_every_event() {
        let ring = Ring::new(100);
        for i in 0..3 {
            ring.push(&event(i), 1);
        }
        let (events, recorded) = ring.read();
        assert_eq!((events.len(), recorded), (3, 3));
        assert_eq!(events[2].event.aux, 2);
    }

    #[test]
    fn writers_on_many_threads_never_mix_two_events_in_one_slot() {
        let ring = Arc::new(Ring::new(128));
        let handles: Vec<_> = (0..4u64)
            .map(|t| {
                let ring = ring.clone();
                std::thread::spawn(move || {
                    for i in 0..20_000u64 {
                        // Every word of one event carries the same number.
                        let n = t * 1_000_000 + i + 1;
                        let e = Event {
                            kind: EventKind::Call,
                            outcome: outcome::OK,
                            comp: n as u32,
                            start: n,
                            end: n,
                            first: n,
                            aux: n,
                            turn: n,
                            session: n as u32,
                        };
                        ring.push(&e, t as u32 + 1);
                    }
                })
            })
            .collect();
        // Read while they write: what is read is whole.
        for _ in 0..50 {
            for r in ring.read().0 {
                let e = r.event;
                assert!(
                    e.start == e.end && e.end == e.first && e.first == e.aux && e.aux == e.turn
                );
                assert_eq!(e.comp, e.start as u32);
            }
        }
        for h in handles {
            h.join().unwrap();
        }
        let (events, recorded) = ring.read();
        assert_eq!(recorded, 80_000);
        assert!(
            events.len() <= 128 && events.len() >= 100,
            "{}",
            events.len()
        );
    }
}
