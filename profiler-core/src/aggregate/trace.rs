//! The trace ring read into a `TraceLog`: raw clock reads to nanoseconds since the
//! profiler's epoch, component, thread and session numbers to names.

use crate::model::{TraceComponent, TraceLog, TraceOutcome, TraceSpan, TraceSpanKind, TurnOutcome};
use crate::record::trace::{self, outcome, EventKind};
use crate::record::{clock, component};
use std::collections::BTreeMap;

/// The latest calls, streams and turns, or `None` when tracing never started.
/// `samplers_started`: the raw clock read when the report's samplers started.
pub fn read(samplers_started: Option<u64>) -> Option<TraceLog> {
    let drained = trace::drain()?;
    let epoch = clock::epoch();
    let ns = |raw: u64| clock::nanos_between(epoch, raw);
    let at = |raw: u64| (raw != 0).then(|| ns(raw));
    let sessions: BTreeMap<u32, &str> =
        drained.sessions.iter().map(|(k, id)| (*k, &**id)).collect();
    let spans = drained
        .events
        .iter()
        .map(|r| {
            let e = r.event;
            let (kind, outcome) = match e.kind {
                EventKind::Call => (TraceSpanKind::Call, call_outcome(e.outcome)),
                EventKind::Stream => (TraceSpanKind::Stream, call_outcome(e.outcome)),
                EventKind::Turn => (TraceSpanKind::Turn, turn_outcome(e.outcome)),
            };
            let turn_event = kind == TraceSpanKind::Turn;
            TraceSpan {
                kind,
                component: e.comp,
                start_ns: ns(e.start),
                end_ns: ns(e.end).max(ns(e.start)),
                first_ns: at(e.first),
                interrupted_ns: if turn_event { at(e.aux) } else { None },
                items: if turn_event { 0 } else { e.aux },
                outcome,
                thread: r.thread,
                turn: (e.turn != 0).then_some(e.turn),
                session: (e.session != 0).then(|| {
                    sessions
                        .get(&e.session)
                        .map_or_else(|| format!("session #{}", e.session), |s| s.to_string())
                }),
            }
        })
        .collect();
    let components = component::metas()
        .into_iter()
        .map(|m| TraceComponent {
            name: m.name,
            kind: m.kind,
            labels: m.labels,
        })
        .collect();
    Some(TraceLog {
        capacity: drained.capacity,
        recorded: drained.recorded,
        spans,
        components,
        threads: drained.threads.into_iter().collect(),
        samplers_at_ns: samplers_started.map(ns),
    })
}

fn call_outcome(code: u8) -> TraceOutcome {
    match code {
        outcome::ERROR => TraceOutcome::Error,
        outcome::CANCELLED => TraceOutcome::Cancelled,
        _ => TraceOutcome::Ok,
    }
}

fn turn_outcome(code: u8) -> TraceOutcome {
    let index = code.saturating_sub(outcome::TURN_OUTCOME) as usize;
    TraceOutcome::Turn(
        TurnOutcome::ALL
            .get(index)
            .copied()
            .unwrap_or(TurnOutcome::Responded),
    )
}
