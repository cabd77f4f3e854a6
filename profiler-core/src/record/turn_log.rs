//! The turn log: what ended turns leave behind. Each turn's waterfall parts (one
//! histogram per part), interruptions, sessions (conversations) and a bounded set of
//! per-turn records. Turns are rare next to calls (a few per second), so this is one
//! mutex taken once per turn end, per session open and close, and per interruption;
//! no call ever takes it.
//!
//! Invariants: bounded whatever the run's length: at most `MAX_PARTS` part histograms
//! (later parts go to `PartKey::Other`), `MAX_SESSIONS` tracked sessions (later ones are
//! counted, their turns pooled), `SLOWEST` + `SAMPLE` records and `MAX_EXEMPLARS`
//! exemplar turns (one per 5 % band of E2E). The histograms are `AtomicHistogram`s
//! (rows allocated on first touch) written only under the mutex, so they have one writer
//! at a time.

use super::clock;
use super::context::uncharged;
use super::histogram::AtomicHistogram;
use super::waterfall::{PartKey, Segment};
use crate::model::histogram::new_histogram;
use crate::model::TurnOutcome;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Distinct waterfall parts kept apart; later ones are summed into `PartKey::Other`.
pub(crate) const MAX_PARTS: usize = 64;
/// Sessions tracked one by one (about 8-32 KiB each).
pub(crate) const MAX_SESSIONS: usize = 100;
/// The slowest turns kept as records.
pub(crate) const SLOWEST: usize = 10;
/// Turns kept as a uniform sample (reservoir).
pub(crate) const SAMPLE: usize = 10;
/// E2E bands holding one exemplar turn each (for the P50 and P95 turns).
const MAX_EXEMPLARS: usize = 96;
/// Width of an exemplar band: E2E within 5 %.
const EXEMPLAR_BAND: f64 = 1.05;

/// One ended turn, as kept.
#[derive(Clone, Debug)]
pub(crate) struct RawRecord {
    pub(crate) id: u64,
    pub(crate) session: Option<Arc<str>>,
    pub(crate) e2e_ns: Option<u64>,
    pub(crate) outcome: TurnOutcome,
    pub(crate) parts: Vec<(PartKey, u64)>,
    pub(crate) started: u64,
    pub(crate) interruption_ns: Option<u64>,
}

struct PartCell {
    key: PartKey,
    hist: AtomicHistogram,
    total_ns: u64,
    offset_ns: u64,
    turns_with: u64,
}

struct SessionCell {
    id: Arc<str>,
    opened: u64,
    closed: u64,
    e2e: AtomicHistogram,
    turns: u64,
    interrupted: u64,
}

struct TurnLog {
    parts: Vec<PartCell>,
    waterfall_turns: u64,
    e2e_ns: u64,
    interrupted: u64,
    before_response: u64,
    interruption: AtomicHistogram,
    sessions: Vec<SessionCell>,
    opened: u64,
    open_now: u64,
    peak_open: u64,
    untracked: u64,
    without_session: u64,
    slowest: Vec<RawRecord>,
    sample: Vec<RawRecord>,
    seen: u64,
    rng: u64,
    exemplars: BTreeMap<i32, RawRecord>,
}

static LOG: Mutex<TurnLog> = Mutex::new(TurnLog {
    parts: Vec::new(),
    waterfall_turns: 0,
    e2e_ns: 0,
    interrupted: 0,
    before_response: 0,
    interruption: AtomicHistogram::new(),
    sessions: Vec::new(),
    opened: 0,
    open_now: 0,
    peak_open: 0,
    untracked: 0,
    without_session: 0,
    slowest: Vec::new(),
    sample: Vec::new(),
    seen: 0,
    rng: 0x9E37_79B9_7F4A_7C15,
    exemplars: BTreeMap::new(),
});

fn log() -> MutexGuard<'static, TurnLog> {
    LOG.lock().unwrap_or_else(|e| e.into_inner())
}

/// An open session (what a conversation's handles share): dropping it closes the
/// session in the log.
#[derive(Debug)]
pub(crate) struct OpenSession {
    pub(crate) id: Arc<str>,
    /// Its row in the log (`None`: past the bound on tracked sessions).
    pub(crate) slot: Option<u32>,
    /// Its key in trace events (0: tracing off when it opened).
    pub(crate) trace_key: u32,
}

impl OpenSession {
    /// Opens session `id` now.
    pub(crate) fn open(id: Arc<str>) -> OpenSession {
        OpenSession {
            slot: open_session(id.clone(), clock::now()),
            trace_key: super::trace::session_key(&id),
            id,
        }
    }
}

impl Drop for OpenSession {
    fn drop(&mut self) {
        close_session(self.slot, clock::now());
    }
}

/// A session opened: its slot when tracked.
fn open_session(id: Arc<str>, at: u64) -> Option<u32> {
    uncharged(|| {
        let mut l = log();
        l.opened += 1;
        l.open_now += 1;
        l.peak_open = l.peak_open.max(l.open_now);
        if l.sessions.len() >= MAX_SESSIONS {
            l.untracked += 1;
            return None;
        }
        l.sessions.push(SessionCell {
            id,
            opened: at,
            closed: 0,
            e2e: AtomicHistogram::new(),
            turns: 0,
            interrupted: 0,
        });
        Some(l.sessions.len() as u32 - 1)
    })
}

/// A session closed (its last handle dropped).
fn close_session(slot: Option<u32>, at: u64) {
    let mut l = log();
    l.open_now = l.open_now.saturating_sub(1);
    if let Some(s) = slot.and_then(|i| l.sessions.get_mut(i as usize)) {
        s.closed = at.max(1);
    }
}

/// What a turn leaves when it ends (warm-up turns leave nothing).
pub(crate) struct TurnEnd<'a> {
    pub(crate) id: u64,
    pub(crate) session: Option<(&'a Arc<str>, Option<u32>)>,
    pub(crate) started: u64,
    /// E2E ns; `None` when interrupted before the response.
    pub(crate) e2e_ns: Option<u64>,
    pub(crate) outcome: TurnOutcome,
    pub(crate) segments: Vec<Segment>,
    pub(crate) interruption_ns: Option<u64>,
}

/// Records an ended turn. Runs charged to no component: its only caller, the turn's
/// end, is inside `uncharged` already, for all it allocates.
pub(crate) fn turn_ended(t: TurnEnd<'_>) {
    debug_assert_eq!(super::context::current_alloc_component(), 0);
    let mut l = log();
    let interrupted = matches!(
        t.outcome,
        TurnOutcome::Interrupted | TurnOutcome::InterruptedBeforeResponse
    );
    if interrupted {
        l.interrupted += 1;
    }
    if t.e2e_ns.is_none() {
        l.before_response += 1;
    }
    if let Some(ns) = t.interruption_ns {
        l.interruption.record(ns);
    }
    match t.session {
        Some((_, Some(slot))) => {
            if let Some(s) = l.sessions.get_mut(slot as usize) {
                s.turns += 1;
                s.interrupted += u64::from(interrupted);
                if let Some(e2e) = t.e2e_ns {
                    s.e2e.record(e2e);
                }
            }
        }
        Some((_, None)) => {}
        None => l.without_session += 1,
    }
    let mut parts: Vec<(PartKey, u64)> = Vec::with_capacity(t.segments.len());
    for s in &t.segments {
        match parts.iter_mut().find(|(k, _)| *k == s.key) {
            Some((_, ns)) => *ns += s.ns,
            None => parts.push((s.key, s.ns)),
        }
    }
    if let Some(e2e) = t.e2e_ns {
        l.add_waterfall(e2e, &t.segments);
    }
    let record = RawRecord {
        id: t.id,
        session: t.session.map(|(id, _)| id.clone()),
        e2e_ns: t.e2e_ns,
        outcome: t.outcome,
        parts,
        started: t.started,
        interruption_ns: t.interruption_ns,
    };
    l.keep(record);
}

/// An interruption latency measured after its turn ended (the response stream
/// outlived the turn).
pub(crate) fn late_interruption(turn: u64, ns: u64) {
    let mut l = log();
    l.interruption.record(ns);
    let l = &mut *l;
    for r in l
        .slowest
        .iter_mut()
        .chain(l.sample.iter_mut())
        .chain(l.exemplars.values_mut())
        .filter(|r| r.id == turn)
    {
        r.interruption_ns = Some(ns);
    }
}

impl TurnLog {
    fn add_waterfall(&mut self, e2e: u64, segments: &[Segment]) {
        self.waterfall_turns += 1;
        self.e2e_ns = self.e2e_ns.wrapping_add(e2e);
        // One sample per part per turn: a part's stretches in one turn add up first.
        let mut touched: Vec<(usize, u64)> = Vec::with_capacity(segments.len());
        for s in segments {
            let i = self.part_index(s.key);
            let p = &mut self.parts[i];
            p.total_ns = p.total_ns.wrapping_add(s.ns);
            p.offset_ns = p.offset_ns.wrapping_add(s.offset_ns);
            match touched.iter_mut().find(|(j, _)| *j == i) {
                Some((_, ns)) => *ns += s.ns,
                None => touched.push((i, s.ns)),
            }
        }
        for (i, ns) in touched {
            let p = &mut self.parts[i];
            p.turns_with += 1;
            p.hist.record(ns);
        }
    }

    fn part_index(&mut self, key: PartKey) -> usize {
        if let Some(i) = self.parts.iter().position(|p| p.key == key) {
            return i;
        }
        let key = if self.parts.len() >= MAX_PARTS {
            PartKey::Other
        } else {
            key
        };
        if let Some(i) = self.parts.iter().position(|p| p.key == key) {
            return i;
        }
        self.parts.push(PartCell {
            key,
            hist: AtomicHistogram::new(),
            total_ns: 0,
            offset_ns: 0,
            turns_with: 0,
        });
        self.parts.len() - 1
    }

    fn keep(&mut self, r: RawRecord) {
        if let Some(e2e) = r.e2e_ns {
            if self.slowest.len() < SLOWEST {
                self.slowest.push(r.clone());
            } else if let Some((i, min)) = self
                .slowest
                .iter()
                .enumerate()
                .map(|(i, x)| (i, x.e2e_ns.unwrap_or(0)))
                .min_by_key(|(_, v)| *v)
            {
                if e2e > min {
                    self.slowest[i] = r.clone();
                }
            }
            let band = ((e2e.max(1) as f64).ln() / EXEMPLAR_BAND.ln()).floor() as i32;
            if self.exemplars.len() < MAX_EXEMPLARS || self.exemplars.contains_key(&band) {
                self.exemplars.insert(band, r.clone());
            }
        }
        // Reservoir sampling (algorithm R) over every ended turn.
        self.seen += 1;
        if self.sample.len() < SAMPLE {
            self.sample.push(r);
        } else {
            let j = self.next_random() % self.seen;
            if (j as usize) < SAMPLE {
                self.sample[j as usize] = r;
            }
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic, so a run's sample can be reproduced.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// A waterfall part as read.
pub(crate) struct PartView {
    pub(crate) key: PartKey,
    /// One sample per waterfall turn (0 where the part was not on the path).
    pub(crate) hist: Histogram<u64>,
    pub(crate) total_ns: u64,
    pub(crate) offset_ns: u64,
    pub(crate) turns_with: u64,
}

/// A tracked session as read.
pub(crate) struct SessionView {
    pub(crate) id: String,
    pub(crate) e2e: Histogram<u64>,
    pub(crate) turns: u64,
    pub(crate) interrupted: u64,
    pub(crate) active_sec: f64,
    pub(crate) open: bool,
}

/// Everything the log holds, read at one point.
pub(crate) struct LogView {
    pub(crate) waterfall_turns: u64,
    pub(crate) e2e_ns: u64,
    pub(crate) parts: Vec<PartView>,
    pub(crate) interrupted: u64,
    pub(crate) before_response: u64,
    pub(crate) interruption: Histogram<u64>,
    pub(crate) sessions: Vec<SessionView>,
    pub(crate) opened: u64,
    pub(crate) peak_open: u64,
    pub(crate) untracked: u64,
    pub(crate) without_session: u64,
    /// Kept records: (record, in the slowest, in the sample); exemplars are neither.
    pub(crate) records: Vec<(RawRecord, bool, bool)>,
}

/// Reads the log.
pub(crate) fn read() -> LogView {
    let l = log();
    let now = clock::now();
    let hist = |h: &AtomicHistogram| {
        let mut out = new_histogram();
        h.fold_into(&mut out);
        out
    };
    let parts = l
        .parts
        .iter()
        .map(|p| {
            let mut h = hist(&p.hist);
            let absent = l.waterfall_turns.saturating_sub(p.turns_with);
            if absent > 0 {
                let _ = h.record_n(0, absent);
            }
            PartView {
                key: p.key,
                hist: h,
                total_ns: p.total_ns,
                offset_ns: p.offset_ns,
                turns_with: p.turns_with,
            }
        })
        .collect();
    let sessions = l
        .sessions
        .iter()
        .map(|s| SessionView {
            id: s.id.to_string(),
            e2e: hist(&s.e2e),
            turns: s.turns,
            interrupted: s.interrupted,
            active_sec: clock::nanos_between(s.opened, if s.closed != 0 { s.closed } else { now })
                as f64
                / 1e9,
            open: s.closed == 0,
        })
        .collect();
    let mut records: Vec<(RawRecord, bool, bool)> = Vec::new();
    let mut add = |r: &RawRecord, slowest: bool, sample: bool| match records
        .iter_mut()
        .find(|(x, _, _)| x.id == r.id)
    {
        Some(x) => {
            x.1 |= slowest;
            x.2 |= sample;
        }
        None => records.push((r.clone(), slowest, sample)),
    };
    for r in &l.slowest {
        add(r, true, false);
    }
    for r in &l.sample {
        add(r, false, true);
    }
    for r in l.exemplars.values() {
        add(r, false, false);
    }
    LogView {
        waterfall_turns: l.waterfall_turns,
        e2e_ns: l.e2e_ns,
        parts,
        interrupted: l.interrupted,
        before_response: l.before_response,
        interruption: hist(&l.interruption),
        sessions,
        opened: l.opened,
        peak_open: l.peak_open,
        untracked: l.untracked,
        without_session: l.without_session,
        records,
    }
}
