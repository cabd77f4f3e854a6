//! What a measured call, stream or turn does besides measuring, when asked: an event
//! in the trace ring (`trace` format) and an NVTX range (`nvtx` feature, under a tool).
//! The mode decides it once per call (`mode::hooks`); a call that does neither keeps a
//! 0 and pays one branch on it when it ends. Everything here is cold.

use super::mode::hook;
use super::trace::{self, Event, EventKind};

/// An NVTX range id (0: none; always 0 without the `nvtx` feature).
pub(crate) type RangeId = u64;

/// Opens the NVTX range of a call of component `comp` when `hooks` asks for one.
#[cfg(feature = "nvtx")]
#[cold]
#[inline(never)]
pub(crate) fn began(hooks: u8, comp: u32) -> RangeId {
    if hooks & hook::NVTX != 0 {
        super::nvtx::start(comp, 0)
    } else {
        0
    }
}

/// How a call or stream ended, for its hooks.
pub(crate) struct Ended {
    pub(crate) kind: EventKind,
    pub(crate) comp: u32,
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// First item of a stream (raw; 0: none).
    pub(crate) first: u64,
    /// Items of a stream.
    pub(crate) items: u64,
    /// `trace::outcome::{OK, ERROR, CANCELLED}`.
    pub(crate) outcome: u8,
    /// Its turn's id and session key (`TurnRef::trace_ids`; 0: none).
    pub(crate) turn: (u64, u32),
}

/// Closes the call's NVTX range and leaves its trace event, as `hooks` asks.
#[cold]
#[inline(never)]
pub(crate) fn ended(hooks: u8, range: RangeId, e: Ended) {
    #[cfg(feature = "nvtx")]
    if hooks & hook::NVTX != 0 {
        super::nvtx::end(range);
    }
    let _ = range;
    // A call dropped before it began has no interval to show.
    if hooks & hook::TRACE != 0 && e.start != 0 {
        let (turn, session) = e.turn;
        trace::record(Event {
            kind: e.kind,
            outcome: e.outcome,
            comp: e.comp,
            start: e.start,
            end: e.end,
            first: e.first,
            aux: e.items,
            turn,
            session,
        });
    }
}
