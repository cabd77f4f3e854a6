//! `FirstItem`: the stream wrapper of `#[profile(first_item)]`. The latency sample is
//! call start to the first item (TTFT / TTFB); the stream's end adds total stream time
//! and item count. Dropped before its first item: cancelled, no sample. Dropped after
//! it: the first-item sample stands (the user saw it), the stream counts as cancelled
//! and adds no total time. A stream whose own `poll_next` panicked (or one dropped while
//! its thread panics, as a `Call` is) failed: it counts as an error, never as a
//! cancellation; a first-item sample it gave before stands.
//!
//! Inside a turn, the stream's interval (start, first item, end) is the turn's; a
//! first item after the turn's interruption is no sample (cancelled), an end after it
//! is a cancelled stream; a response stream's drop or end closes the interruption.

use super::call::{count_ended, Call, StreamParts};
use super::component::ComponentState;
use super::context::ChargeTo;
use super::hooks::{self, Ended, RangeId};
use super::shard::with_cell;
use super::trace::{outcome as traced, EventKind};
use super::turn::TurnRef;
use super::{clock, mode, span as spans};
use futures_core::Stream;
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::task::{Context, Poll};
use tracing::Span;

struct Measure {
    comp: &'static ComponentState,
    start: u64,
    turn: Option<TurnRef>,
    /// The stream's interval in its turn.
    turn_slot: u32,
    /// A response stream of its turn (`TurnRef::stream_opened`): its first item may be
    /// the turn's response, its close may end an interruption.
    response: bool,
    /// The first item came after the turn's interruption: nothing more is recorded.
    cut: bool,
    items: u64,
    /// The first item was a warm-up sample: the rest of the stream is not recorded.
    warmup: bool,
    ended: bool,
    /// Set while the inner stream is polled: still set at drop, its poll unwound.
    in_poll: bool,
    /// The running count the stream's end closes (see `Call`).
    running: bool,
    /// Raw time of the first item (0: none yet).
    first_at: u64,
    /// The call's hooks (trace, NVTX) and its NVTX range, closed at the stream's end.
    hooks: u8,
    range: RangeId,
}

pin_project! {
    /// A stream measured from its call's start to its first item and to its end.
    pub struct FirstItem<S> {
        #[pin]
        inner: S,
        measure: Option<Measure>,
        span: Span,
    }

    impl<S> PinnedDrop for FirstItem<S> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(mut m) = this.measure.take() {
                if !m.ended {
                    let failed = m.in_poll || std::thread::panicking();
                    let now = if m.running || m.hooks != 0 || m.turn.is_some() {
                        clock::now()
                    } else {
                        0
                    };
                    if m.hooks != 0 {
                        let outcome = if failed { traced::ERROR } else { traced::CANCELLED };
                        stream_ended(&m, now, outcome);
                    }
                    if !this.span.is_disabled() {
                        spans::dropped_as(this.span, failed);
                    }
                    with_cell(m.comp.id, |cell| {
                        count_ended(cell, m.running, now);
                        if failed {
                            cell.errors.add(1);
                        } else if m.items == 0 {
                            cell.cancelled.add(1);
                        } else if !m.warmup && !m.cut {
                            cell.streams_cancelled.add(1);
                            cell.items.add(m.items);
                        }
                    });
                    if let Some(t) = m.turn.take() {
                        close_in_turn(&t, m.turn_slot, m.response, now);
                    }
                }
            }
        }
    }
}

impl<S> FirstItem<S> {
    /// Wraps `inner`, the stream returned by the call `call` (already begun), with the
    /// call's span entered on each poll.
    pub fn new(inner: S, call: Call, span: Span) -> Self {
        let measure = call.into_parts().map(|p: StreamParts| Measure {
            comp: p.comp,
            start: p.start,
            response: p.turn.as_ref().is_some_and(|t| t.stream_opened(p.comp.id)),
            turn: p.turn,
            turn_slot: p.turn_slot,
            cut: false,
            items: 0,
            warmup: false,
            ended: false,
            in_poll: false,
            running: p.running,
            first_at: 0,
            hooks: p.hooks,
            range: p.range,
        });
        FirstItem {
            inner,
            measure,
            span,
        }
    }
}

impl<S: Stream> Stream for FirstItem<S> {
    type Item = S::Item;

    #[inline]
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = self.project();
        // Not measured (profiling off) or already ended: the inner stream, bare.
        let Some(m) = this.measure.as_mut().filter(|m| !m.ended) else {
            return this.inner.poll_next(cx);
        };
        let _enter = this.span.enter();
        let charge = mode::alloc_counting().then(|| ChargeTo::new(m.comp.id + 1));
        m.in_poll = true;
        let polled = this.inner.poll_next(cx);
        m.in_poll = false;
        drop(charge);
        match &polled {
            Poll::Ready(Some(_)) => {
                m.items += 1;
                if m.items == 1 {
                    first_item(m);
                    if !this.span.is_disabled() {
                        spans::first_item(
                            this.span,
                            clock::nanos_between(m.start, m.first_at) as f64 / 1e6,
                        );
                    }
                }
            }
            Poll::Ready(None) => {
                let cut = end(m);
                if !this.span.is_disabled() {
                    spans::record(this.span, if cut { "cancelled" } else { "ok" }, None);
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// Leaves the turn a stream belongs to at raw time `now`: its interval ends, and a
/// response stream closes.
#[cold]
fn close_in_turn(t: &TurnRef, slot: u32, response: bool, now: u64) {
    t.end_call(slot, now);
    if response {
        t.response_closed(now);
    }
}

/// Leaves the stream's trace event and closes its NVTX range (`hooks`).
#[cold]
fn stream_ended(m: &Measure, end: u64, outcome: u8) {
    hooks::ended(
        m.hooks,
        m.range,
        Ended {
            kind: EventKind::Stream,
            comp: m.comp.id,
            start: m.start,
            end,
            first: m.first_at,
            items: m.items,
            outcome,
            turn: m.turn.as_ref().map_or((0, 0), TurnRef::trace_ids),
        },
    );
}

#[cold]
fn first_item(m: &mut Measure) {
    let now = clock::now();
    m.first_at = now.max(1);
    let ns = clock::nanos_between(m.start, now);
    let (comp, start) = (m.comp, m.start);
    if let Some(t) = &m.turn {
        t.stream_first(m.turn_slot, now);
        if t.interrupted_by(now) {
            // After the interruption: cancelled, never a sample.
            m.cut = true;
            let _ = with_cell(comp.id, |cell| cell.cancelled.add(1));
            return;
        }
    }
    m.warmup = with_cell(comp.id, |cell| {
        if comp.take_warmup() {
            cell.warmup_excluded.add(1);
            true
        } else {
            cell.sample(start, now, ns);
            false
        }
    })
    .unwrap_or(true);
    if let Some(t) = m.turn.as_ref().filter(|_| m.response) {
        t.response_first_item(now);
    }
}

/// The stream ended: records it; `true` when it ended cut by its turn's interruption
/// (a cancelled stream).
#[cold]
fn end(m: &mut Measure) -> bool {
    m.ended = true;
    let now = clock::now();
    let ns = clock::nanos_between(m.start, now);
    if m.items == 0 {
        // An empty stream: its only latency is the time to learn it was empty.
        first_item(m);
    }
    let (comp, items, warmup, running) = (m.comp, m.items, m.warmup, m.running);
    // Ended after its turn was interrupted: a cancelled stream, no whole-stream sample.
    let cut = m.turn.as_ref().is_some_and(|t| t.interrupted_by(now));
    if m.hooks != 0 {
        let outcome = if cut || m.cut {
            traced::CANCELLED
        } else {
            traced::OK
        };
        stream_ended(m, now, outcome);
    }
    let unrecorded = m.cut || warmup;
    with_cell(comp.id, |cell| {
        count_ended(cell, running, now);
        if unrecorded {
            return;
        }
        if cut {
            cell.streams_cancelled.add(1);
            cell.items.add(items);
        } else {
            cell.stream_total.record(ns);
            cell.streams_completed.add(1);
            cell.items.add(items);
        }
    });
    if let Some(t) = m.turn.take() {
        close_in_turn(&t, m.turn_slot, m.response, now);
        t.add_stage(m.comp.id, ns);
    }
    cut || m.cut
}
