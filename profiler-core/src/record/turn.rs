//! Turns: one question-answer round. Stage calls started while a turn is current
//! (on this thread, or inside `Turn::scope`) add their time to it; the turn's E2E
//! latency runs from its start to the first item of its response stream.
//!
//! Each stage call of a turn also leaves its interval (start, first item, end) in a
//! small mutex-protected list of the turn: a call outside any turn never touches it, and
//! a call inside one takes that turn's lock twice (begin and end), never a global one.
//! When the turn ends, its critical path (`waterfall`) is computed from the list and
//! handed to the turn log.
//!
//! Interruption (barge-in): `Turn::interrupt` marks the moment. Calls of the turn that
//! end after the mark are counted as cancelled, never as latency samples (a stage
//! that stops early on a cancel token would otherwise look fast); a response item after
//! the mark is no response. The interruption latency runs from the mark to the moment
//! the last response stream open at or after it was dropped or ended.

use super::component::{self, ComponentState, Registration};
use super::context::{uncharged, CONTEXT};
use super::hooks::RangeId;
use super::mode::hook;
use super::shard::with_cell;
use super::trace::{self, outcome as traced, Event, EventKind};
use super::turn_log::{self, OpenSession, TurnEnd};
use super::waterfall::{critical_path, Interval};
use super::{clock, mode, settings, span as spans};
use crate::model::{Kind, Source, TurnOutcome};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

/// Stage ids below this are summed in atomics; later ones in a small list.
const FAST_STAGES: usize = 64;
/// Stage calls of one turn whose intervals are kept (later ones run beside a path
/// that is already long; the waterfall still sums to the E2E, as gaps).
const MAX_INTERVALS: usize = 512;
/// A call's interval slot when it has none.
pub(crate) const NO_SLOT: u32 = u32::MAX;

/// Component name of turns.
pub const TURN_COMPONENT: &str = "turn";
/// Default component whose first stream item ends a turn's E2E latency.
pub const DEFAULT_RESPONSE: &str = "tts";

static NEXT_TURN: AtomicU64 = AtomicU64::new(1);

/// What the turn's lock guards.
#[derive(Default)]
struct Inner {
    intervals: Vec<Interval>,
    /// `Some(counted)` once the turn ended (`counted`: not a warm-up turn).
    ended: Option<bool>,
    /// Interruption latency measured before the turn ended.
    interruption_ns: Option<u64>,
    /// The interruption latency was taken (it is taken once).
    interruption_taken: bool,
}

pub(crate) struct TurnState {
    id: u64,
    start: u64,
    /// Component id whose first item is the response (u32::MAX: not registered yet).
    response: AtomicU32,
    response_name: String,
    first_response: AtomicU64,
    /// Raw time of `interrupt()` (0: not interrupted).
    interrupted_at: AtomicU64,
    /// Response streams of this turn not yet dropped or ended.
    open_responses: AtomicU32,
    session: Option<Arc<OpenSession>>,
    stages: [AtomicU64; FAST_STAGES],
    more_stages: Mutex<Vec<(u32, u64)>>,
    inner: Mutex<Inner>,
}

impl TurnState {
    fn add_stage(&self, id: u32, ns: u64) {
        match self.stages.get(id as usize) {
            Some(a) => {
                a.fetch_add(ns, Relaxed);
            }
            None => {
                let mut v = self.more_stages.lock().unwrap_or_else(|e| e.into_inner());
                match v.iter_mut().find(|(i, _)| *i == id) {
                    Some((_, t)) => *t += ns,
                    None => v.push((id, ns)),
                }
            }
        }
    }

    /// The time each stage component spent in the turn, by component id (those that
    /// spent some).
    fn stage_times(&self) -> Vec<(u32, u64)> {
        let mut stages: Vec<(u32, u64)> = self
            .stages
            .iter()
            .enumerate()
            .map(|(i, a)| (i as u32, a.load(Relaxed)))
            .filter(|(_, ns)| *ns > 0)
            .collect();
        stages.extend(
            self.more_stages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .copied(),
        );
        stages
    }

    fn mark_response(&self, at: u64) {
        let _ = self
            .first_response
            .compare_exchange(0, at.max(1), Relaxed, Relaxed);
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the turn was interrupted at or before raw time `at`.
    fn interrupted_by(&self, at: u64) -> bool {
        let mark = self.interrupted_at.load(Relaxed);
        mark != 0 && at >= mark
    }
}

/// A call's link to the turn it started in.
pub(crate) struct TurnRef(Arc<TurnState>);

impl TurnRef {
    /// The current thread's turn, if any (one thread-local read when there is none).
    #[inline(always)]
    pub(crate) fn current() -> Option<TurnRef> {
        let p = CONTEXT
            .try_with(|c| c.turn.get().cast::<TurnState>())
            .unwrap_or(std::ptr::null());
        if p.is_null() {
            None
        } else {
            Some(Self::from_ptr(p))
        }
    }

    #[cold]
    fn from_ptr(p: *const TurnState) -> TurnRef {
        // SAFETY: a non-null pointer in the context is a strong count the context owns
        // (see `swap_current`), so the state is alive; we take a new strong count.
        unsafe {
            Arc::increment_strong_count(p);
            TurnRef(Arc::from_raw(p))
        }
    }

    pub(crate) fn add_stage(&self, id: u32, ns: u64) {
        self.0.add_stage(id, ns);
    }

    /// The turn's id.
    pub(crate) fn id(&self) -> u64 {
        self.0.id
    }

    /// The id of the session the turn belongs to, if any.
    pub(crate) fn session_id(&self) -> Option<&str> {
        self.0.session.as_ref().map(|s| &*s.id)
    }

    /// The turn's id and its session's trace key (0: none), for trace events.
    pub(crate) fn trace_ids(&self) -> (u64, u32) {
        (
            self.0.id,
            self.0.session.as_ref().map_or(0, |s| s.trace_key),
        )
    }

    /// A call of component `comp` began at raw time `start`: its interval slot, or
    /// `NO_SLOT` when it cannot be on the path (it began after the response or the
    /// interruption, or the turn is over).
    #[cold]
    #[inline(never)]
    pub(crate) fn begin_call(&self, comp: u32, start: u64) -> u32 {
        let s = &self.0;
        let responded = s.first_response.load(Relaxed);
        if (responded != 0 && responded <= start) || s.interrupted_by(start) {
            return NO_SLOT;
        }
        let mut inner = s.inner();
        if inner.ended.is_some() || inner.intervals.len() >= MAX_INTERVALS {
            return NO_SLOT;
        }
        // The list's growth is the profiler's, not the stage's allocation.
        uncharged(|| {
            inner.intervals.push(Interval {
                comp,
                start,
                first: 0,
                end: 0,
            })
        });
        inner.intervals.len() as u32 - 1
    }

    /// The call in `slot` ended (or was dropped) at raw time `end`.
    #[cold]
    #[inline(never)]
    pub(crate) fn end_call(&self, slot: u32, end: u64) {
        if slot == NO_SLOT {
            return;
        }
        if let Some(iv) = self.0.inner().intervals.get_mut(slot as usize) {
            iv.end = end.max(iv.start).max(1);
        }
    }

    /// The stream in `slot` yielded its first item at raw time `at`.
    #[cold]
    pub(crate) fn stream_first(&self, slot: u32, at: u64) {
        if slot == NO_SLOT {
            return;
        }
        if let Some(iv) = self.0.inner().intervals.get_mut(slot as usize) {
            iv.first = at.max(iv.start).max(1);
        }
    }

    /// Whether the turn was interrupted at or before raw time `at` (calls ending then
    /// are cancelled, not samples).
    #[inline(always)]
    pub(crate) fn interrupted_by(&self, at: u64) -> bool {
        self.0.interrupted_by(at)
    }

    /// Whether component `id` is this turn's response.
    fn is_response(&self, id: u32) -> bool {
        let mut response = self.0.response.load(Relaxed);
        if response == u32::MAX {
            // The response stream registered after this turn began: resolve it by name.
            response = component::lookup(&self.0.response_name).unwrap_or(u32::MAX);
            self.0.response.store(response, Relaxed);
        }
        id == response
    }

    /// A response stream of this turn (as `stream_opened` said) yielded its first item
    /// at raw time `at`.
    pub(crate) fn response_first_item(&self, at: u64) {
        if !self.0.interrupted_by(at) {
            self.0.mark_response(at);
        }
    }

    /// A stream of component `id` was created in this turn: whether it is a response
    /// stream (then `response_closed` must follow).
    #[cold]
    pub(crate) fn stream_opened(&self, id: u32) -> bool {
        let response = self.is_response(id);
        if response {
            self.0.open_responses.fetch_add(1, Relaxed);
        }
        response
    }

    /// A response stream was dropped or ended at raw time `at`: when it was the last
    /// one open after an interruption, the interruption latency is taken.
    #[cold]
    pub(crate) fn response_closed(&self, at: u64) {
        let s = &self.0;
        if s.open_responses.fetch_sub(1, Relaxed) != 1 {
            return;
        }
        let mark = s.interrupted_at.load(Relaxed);
        if mark == 0 || at < mark {
            return;
        }
        let ns = clock::nanos_between(mark, at);
        let mut inner = s.inner();
        if std::mem::replace(&mut inner.interruption_taken, true) {
            return;
        }
        match inner.ended {
            None => inner.interruption_ns = Some(ns),
            Some(true) => {
                drop(inner);
                turn_log::late_interruption(s.id, ns);
            }
            Some(false) => {}
        }
    }
}

/// Makes `turn` this thread's current turn and returns the previous one: the
/// thread's context owns a strong count of its turn, given back by whoever replaces
/// it. A guard dropped out of order, forgotten or skipped by a panic can then leave a
/// turn current longer than meant (or its count never released), never a dangling
/// pointer.
fn swap_current(turn: Option<Arc<TurnState>>) -> Option<Arc<TurnState>> {
    let new = turn.map_or(std::ptr::null(), Arc::into_raw);
    let old = CONTEXT
        .try_with(|c| c.turn.replace(new.cast()).cast::<TurnState>())
        // No context left on this thread: the count goes back to its owner.
        .unwrap_or(new);
    // SAFETY: a non-null pointer here came from `Arc::into_raw` above (now or when it
    // was put in the context), and its count is handed over exactly once.
    (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
}

/// Puts back the turn that was current before, when dropped (on unwinding too).
struct Restore(Option<Arc<TurnState>>);

impl Drop for Restore {
    fn drop(&mut self) {
        drop(swap_current(self.0.take()));
    }
}

fn turn_component() -> Option<&'static ComponentState> {
    static TURN: OnceLock<Option<&'static ComponentState>> = OnceLock::new();
    *TURN.get_or_init(|| {
        component::register(
            Registration {
                name: TURN_COMPONENT,
                kind: Kind::Turn,
                source: Source::Turn,
                target_ms: None,
                warmup: None,
                labels: &[],
                function: "profiler::Turn",
            },
            &settings::active(),
        )
    })
}

/// Whether turns are recorded at all (profiling on or sampled, the turn component
/// not filtered out): sessions are opened only then.
pub(crate) fn turns_recorded() -> bool {
    !mode::is_off(settings::settled_mode())
        && turn_component().is_some_and(|c| c.enabled.load(Relaxed))
}

/// One question-answer round (see the module docs). Dropping it ends the turn.
///
/// ```
/// let turn = profiler_core::Turn::start();
/// {
///     let _in = turn.enter(); // stage calls on this thread now belong to the turn
///     // transcribe(); answer(); speak();
/// }
/// turn.respond(); // or let the first item of the `tts` stream mark it
/// ```
#[must_use = "a turn ends when dropped"]
pub struct Turn {
    state: Option<Arc<TurnState>>,
    comp: Option<&'static ComponentState>,
    /// The turn's `tracing` span (disabled unless a subscriber wants it): entered by
    /// `enter` and `scope`, so the spans of its stage calls, on whichever thread, are
    /// its children.
    span: tracing::Span,
    /// What the turn does besides measuring (`mode::hook` bits).
    hooks: u8,
    /// Its NVTX range (0: none).
    range: RangeId,
}

impl Turn {
    /// Starts a turn whose response is the first item of the `tts` stream.
    pub fn start() -> Turn {
        Self::with_response(DEFAULT_RESPONSE)
    }

    /// Starts a turn whose response is the first item of component `response`'s stream.
    pub fn with_response(response: &str) -> Turn {
        Self::begin(response, None)
    }

    /// Starts a turn in `session` (see `Conversation`).
    pub(crate) fn begin(response: &str, session: Option<Arc<OpenSession>>) -> Turn {
        const OFF: Turn = Turn {
            state: None,
            comp: None,
            span: tracing::Span::none(),
            hooks: 0,
            range: 0,
        };
        let Some(m) = settings::admit(mode::load()) else {
            return OFF;
        };
        let comp = turn_component().filter(|c| c.enabled.load(Relaxed));
        let Some(comp) = comp else {
            return OFF;
        };
        let id = NEXT_TURN.fetch_add(1, Relaxed);
        let span = spans::turn(id, session.as_ref().map(|s| &*s.id));
        let hooks = mode::hooks(m);
        let state = TurnState {
            id,
            start: clock::now(),
            response: AtomicU32::new(component::lookup(response).unwrap_or(u32::MAX)),
            response_name: response.to_string(),
            first_response: AtomicU64::new(0),
            interrupted_at: AtomicU64::new(0),
            open_responses: AtomicU32::new(0),
            session,
            stages: [const { AtomicU64::new(0) }; FAST_STAGES],
            more_stages: Mutex::new(Vec::new()),
            inner: Mutex::new(Inner {
                intervals: Vec::with_capacity(8),
                ..Inner::default()
            }),
        };
        #[cfg(feature = "nvtx")]
        let range = if hooks & hook::NVTX != 0 {
            super::nvtx::start(comp.id, id)
        } else {
            0
        };
        #[cfg(not(feature = "nvtx"))]
        let range = 0;
        Turn {
            state: Some(Arc::new(state)),
            comp: Some(comp),
            span,
            hooks,
            range,
        }
    }

    /// The turn's number in this process (from 1, in start order), as in the report's
    /// per-turn records; 0 when the turn is not recorded (profiling off or sampled out).
    pub fn id(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.id)
    }

    /// Marks the first response now (when no response stream marks it).
    pub fn respond(&self) {
        if let Some(s) = &self.state {
            let now = clock::now();
            if !s.interrupted_by(now) {
                s.mark_response(now);
            }
        }
    }

    /// Marks that the user interrupted this turn now (barge-in). Call it when the
    /// interruption is detected, before cancelling the response: the interruption
    /// latency runs from here to the response stream being dropped. Calls of the turn
    /// that end after this are counted as cancelled; a turn interrupted before its
    /// response has no E2E sample. Only the first mark counts.
    pub fn interrupt(&self) {
        if let Some(s) = &self.state {
            let _ = s
                .interrupted_at
                .compare_exchange(0, clock::now().max(1), Relaxed, Relaxed);
        }
    }

    /// Makes this turn current on this thread until the guard drops.
    pub fn enter(&self) -> TurnScope<'_> {
        let prev = Restore(swap_current(self.state.clone()));
        TurnScope {
            _entered: self.span.enter(),
            _prev: prev,
        }
    }

    /// Makes this turn current while `fut` is polled (on whichever thread polls it).
    pub fn scope<F: Future>(&self, fut: F) -> InTurn<F> {
        InTurn {
            inner: fut,
            state: self.state.clone(),
            span: self.span.clone(),
        }
    }

    /// The turn's `tracing` span (disabled when no subscriber wanted it), e.g. to
    /// make it the parent of work the turn's scope does not cover.
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Ends the turn now (same as dropping it).
    pub fn end(self) {}
}

impl Drop for Turn {
    fn drop(&mut self) {
        let (Some(state), Some(comp)) = (self.state.take(), self.comp) else {
            return;
        };
        // What the turn's end allocates is the profiler's, whatever call it ends in.
        uncharged(|| end_turn(&state, comp, self));
    }
}

#[cold]
fn end_turn(state: &TurnState, comp: &'static ComponentState, turn: &Turn) {
    let end = clock::now();
    let total = clock::nanos_between(state.start, end);
    let mark = state.interrupted_at.load(Relaxed);
    let first = state.first_response.load(Relaxed);
    let outcome = match (mark != 0, first != 0) {
        (false, true) => TurnOutcome::Responded,
        (false, false) => TurnOutcome::NoResponse,
        (true, true) => TurnOutcome::Interrupted,
        (true, false) => TurnOutcome::InterruptedBeforeResponse,
    };
    // The E2E ends at the response; a turn that ended without one: the whole turn; one
    // interrupted before it has no E2E, and its path runs to the interruption.
    let until = match outcome {
        TurnOutcome::Responded | TurnOutcome::Interrupted => first,
        TurnOutcome::NoResponse => end,
        TurnOutcome::InterruptedBeforeResponse => mark,
    };
    let e2e = (outcome != TurnOutcome::InterruptedBeforeResponse)
        .then(|| clock::nanos_between(state.start, until));
    let counted = with_cell(comp.id, |cell| {
        if comp.take_warmup() {
            cell.warmup_excluded.add(1);
            return false;
        }
        let Some(e2e) = e2e else {
            // Interrupted before the response: a cancelled turn, no sample.
            cell.cancelled.add(1);
            return true;
        };
        cell.sample(state.start, until, e2e);
        cell.stream_total.record(total);
        cell.turn_ns.add(total);
        // Taken only for a counted turn: it allocates, and locks `more_stages`.
        for (id, ns) in state.stage_times() {
            let _ = with_cell(id, |stage| stage.turn_ns.add(ns));
        }
        true
    })
    .unwrap_or(false);
    let (intervals, interruption_ns) = {
        let mut inner = state.inner();
        inner.ended = Some(counted);
        (std::mem::take(&mut inner.intervals), inner.interruption_ns)
    };
    if !turn.span.is_disabled() {
        spans::turn_ended(&turn.span, outcome, e2e, interruption_ns);
    }
    if turn.hooks != 0 {
        turn_hooks(state, comp, turn, end, outcome);
    }
    if !counted {
        return;
    }
    let segments = critical_path(state.start, until, &intervals, clock::nanos_between);
    turn_log::turn_ended(TurnEnd {
        id: state.id,
        session: state.session.as_ref().map(|s| (&s.id, s.slot)),
        started: state.start,
        e2e_ns: e2e,
        outcome,
        segments,
        interruption_ns,
    });
}

/// What a turn leaves besides its figures: its trace event and the end of its NVTX
/// range.
#[cold]
fn turn_hooks(
    state: &TurnState,
    comp: &'static ComponentState,
    turn: &Turn,
    end: u64,
    outcome: TurnOutcome,
) {
    #[cfg(feature = "nvtx")]
    if turn.hooks & hook::NVTX != 0 {
        super::nvtx::end(turn.range);
    }
    #[cfg(not(feature = "nvtx"))]
    let _ = turn.range;
    if turn.hooks & hook::TRACE != 0 {
        let index = TurnOutcome::ALL
            .iter()
            .position(|o| *o == outcome)
            .unwrap_or(0);
        trace::record(Event {
            kind: EventKind::Turn,
            outcome: traced::TURN_OUTCOME + index as u8,
            comp: comp.id,
            start: state.start,
            end,
            first: state.first_response.load(Relaxed),
            aux: state.interrupted_at.load(Relaxed),
            turn: state.id,
            session: state.session.as_ref().map_or(0, |s| s.trace_key),
        });
    }
}

/// Guard of [`Turn::enter`]: restores the previous current turn when dropped.
pub struct TurnScope<'a> {
    _entered: tracing::span::Entered<'a>,
    _prev: Restore,
}

pin_project! {
    /// Future of [`Turn::scope`].
    pub struct InTurn<F> {
        #[pin]
        inner: F,
        state: Option<Arc<TurnState>>,
        span: tracing::Span,
    }
}

impl<F: Future> Future for InTurn<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let _prev = Restore(swap_current(this.state.clone()));
        this.inner.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Weak;

    /// The state of the turn current on this thread, without taking a count.
    fn current_ptr() -> *const TurnState {
        CONTEXT.with(|c| c.turn.get().cast())
    }

    /// A recorded turn and a weak handle on its state.
    fn turn() -> (Turn, Weak<TurnState>) {
        let t = Turn::with_response("turn-test-response");
        let weak = Arc::downgrade(t.state.as_ref().expect("profiling is on in unit tests"));
        (t, weak)
    }

    /// Whatever the context points at is alive (the invariant the guards keep).
    fn assert_current_alive(weak: &Weak<TurnState>) {
        let p = current_ptr();
        if p == weak.as_ptr() {
            assert!(weak.upgrade().is_some(), "the current turn was freed");
        }
    }

    #[test]
    fn scopes_dropped_out_of_order_leave_no_dangling_turn() {
        let (first, weak_first) = turn();
        let (second, _weak_second) = turn();
        let scope_first = first.enter();
        let scope_second = second.enter();
        drop(scope_first);
        drop(first);
        // The second scope restores the first turn, already dropped by its owner.
        drop(scope_second);
        assert_eq!(current_ptr(), weak_first.as_ptr());
        assert_current_alive(&weak_first);
        // A call started now reads the current turn; its state is still there.
        let r = TurnRef::current().expect("a current turn");
        assert_eq!(r.id(), weak_first.upgrade().unwrap().id);
        drop(r);
        // Clearing the context releases the last count.
        drop(swap_current(None));
        assert!(weak_first.upgrade().is_none());
        drop(second);
    }

    #[test]
    fn a_call_waiting_for_its_turns_lock_starts_its_clock_after_it() {
        let stage = component::register(
            Registration {
                name: "turn-test-stage",
                kind: Kind::Latency,
                source: Source::Profile,
                target_ms: None,
                warmup: None,
                labels: &[],
                function: "turn::tests",
            },
            &settings::active(),
        )
        .expect("registered");
        let (t, _weak) = turn();
        let state = t.state.clone().unwrap();
        let (started, released) = std::thread::scope(|s| {
            let held = state.inner();
            let caller = s.spawn(|| {
                let _in = t.enter();
                let mut call = super::super::call::Call::for_component(Some(stage));
                call.begin_detached();
                let at = call.started_at();
                call.finish(super::super::call::Outcome::Ok);
                at
            });
            // Another stage of the turn holds its lock while this call begins.
            std::thread::sleep(std::time::Duration::from_millis(50));
            let released = clock::now();
            drop(held);
            (caller.join().unwrap(), released)
        });
        assert!(
            started >= released,
            "the wait for the turn's lock is outside the call's latency"
        );
    }

    #[test]
    fn a_forgotten_scope_keeps_its_turn_alive_not_dangling() {
        let (t, weak) = turn();
        std::mem::forget(t.enter());
        drop(t);
        assert_eq!(current_ptr(), weak.as_ptr());
        assert_current_alive(&weak);
        drop(swap_current(None));
        assert!(weak.upgrade().is_none());
    }

    #[test]
    fn a_panicking_poll_restores_the_turn_before_it() {
        struct Boom;
        impl Future for Boom {
            type Output = ();
            fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                panic!("boom");
            }
        }
        let (outer, weak_outer) = turn();
        let (inner, weak_inner) = turn();
        let _in_outer = outer.enter();
        let mut fut = Box::pin(inner.scope(Boom));
        let waker = std::task::Waker::noop();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = fut.as_mut().poll(&mut Context::from_waker(waker));
        }));
        assert!(polled.is_err());
        assert_eq!(
            current_ptr(),
            weak_outer.as_ptr(),
            "the outer turn is current again"
        );
        drop(fut);
        drop(inner);
        assert!(
            weak_inner.upgrade().is_none(),
            "nothing holds the inner turn"
        );
    }
}
