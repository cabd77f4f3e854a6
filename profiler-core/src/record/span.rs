//! What the `tracing` spans of measured calls and turns carry beyond their fields at
//! creation: how the call ended (`outcome`, and for an error OpenTelemetry's
//! `otel.status_code = "error"` with `error.type`), the first item of a stream as an
//! event, a turn's outcome and E2E latency.
//!
//! Spans are built only when a subscriber wants them (see `layer`); for a span no one
//! built (`Span::is_disabled`) each of these costs one branch. Success leaves the
//! OpenTelemetry status unset, as the conventions ask of instrumentation; a
//! cancellation (barge-in) is no error either: `outcome = "cancelled"`, status unset.

use crate::model::TurnOutcome;
use tracing::field::Empty;
use tracing::Span;

/// Target of the spans and events the profiler makes itself (turns, first items).
pub const TARGET: &str = "profiler";

/// A call's span, which says how the call ended: [`SpanEnd::end`], or when dropped
/// before that (the future or stream was dropped, the body panicked), `cancelled` or
/// an error of type `panic`.
pub struct SpanEnd {
    span: Span,
}

impl SpanEnd {
    /// Wraps the span of a call.
    #[inline(always)]
    pub fn new(span: Span) -> SpanEnd {
        SpanEnd { span }
    }

    /// The span (to enter, or to clone into the call's future).
    #[inline(always)]
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Enters the span on this thread until the guard drops.
    #[inline(always)]
    pub fn enter(&self) -> tracing::span::Entered<'_> {
        self.span.enter()
    }

    /// Hands the span on to what ends the call later (a stream's wrapper, which says
    /// how the stream ended).
    #[inline(always)]
    pub fn into_span(self) -> Span {
        self.take()
    }

    /// The span, without this guard's `Drop` (which would otherwise run, out of line,
    /// on every call's path): what is left behind is `Span::none()`, which owns nothing.
    #[inline(always)]
    fn take(self) -> Span {
        let mut this = std::mem::ManuallyDrop::new(self);
        std::mem::replace(&mut this.span, Span::none())
    }

    /// The call ended: in an error of type `error` (see `Outcome::error`), or well.
    #[inline(always)]
    pub fn end(self, error: Option<&'static str>) {
        ended(&self.take(), error);
    }
}

impl Drop for SpanEnd {
    #[inline(always)]
    fn drop(&mut self) {
        if !self.span.is_disabled() {
            dropped(&self.span);
        }
    }
}

/// A call ended: in an error of type `error`, or well.
#[inline(always)]
fn ended(span: &Span, error: Option<&'static str>) {
    if !span.is_disabled() {
        match error {
            None => record(span, "ok", None),
            Some(t) => record(span, "error", Some(t)),
        }
    }
}

/// A call or stream dropped before it ended: cancelled, or failed while panicking.
#[cold]
pub(crate) fn dropped(span: &Span) {
    dropped_as(span, std::thread::panicking());
}

/// A call or stream dropped before it ended: failed (`error.type = "panic"`), or
/// cancelled.
#[cold]
pub(crate) fn dropped_as(span: &Span, failed: bool) {
    if failed {
        record(span, "error", Some("panic"));
    } else {
        record(span, "cancelled", None);
    }
}

/// Records how a call ended on its span.
#[cold]
#[inline(never)]
pub(crate) fn record(span: &Span, outcome: &'static str, error_type: Option<&str>) {
    span.record("outcome", outcome);
    if let Some(t) = error_type {
        span.record("otel.status_code", "error");
        span.record("error.type", if t.is_empty() { "_OTHER" } else { t });
    }
}

/// The first item of a stream came `ms` after its call began: an event on its span.
#[cold]
pub(crate) fn first_item(span: &Span, ms: f64) {
    tracing::event!(
        name: "first_item",
        target: TARGET,
        parent: span,
        tracing::Level::INFO,
        first_item_ms = ms
    );
}

/// The span of turn `id` (of session `session`), built when a subscriber wants it.
/// Its stage calls' spans are its children: the turn's scope enters it.
pub(crate) fn turn(id: u64, session: Option<&str>) -> Span {
    tracing::info_span!(
        target: TARGET,
        "turn",
        // Signed, as OpenTelemetry integers are (see `Call::turn_id`).
        turn.id = id as i64,
        session.id = session,
        outcome = Empty,
        e2e_ms = Empty,
        interruption_ms = Empty,
    )
}

/// Records how turn `span` ended: its outcome, E2E latency and interruption latency.
#[cold]
pub(crate) fn turn_ended(
    span: &Span,
    outcome: TurnOutcome,
    e2e_ns: Option<u64>,
    interruption_ns: Option<u64>,
) {
    span.record("outcome", outcome.name());
    if let Some(ns) = e2e_ns {
        span.record("e2e_ms", ns as f64 / 1e6);
    }
    if let Some(ns) = interruption_ns {
        span.record("interruption_ms", ns as f64 / 1e6);
    }
}
