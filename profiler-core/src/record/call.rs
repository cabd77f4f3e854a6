//! `Call`: one measured invocation. Taken at entry, it records on `finish`; dropped
//! without `finish` it counts as cancelled (or as an error while panicking), never as
//! a latency sample.

use super::component::ComponentState;
use super::context::swap_alloc_component;
use super::hooks::{self, Ended};
use super::shard::{with_cell, Cell};
use super::span::SpanEnd;
use super::trace::{outcome as traced, EventKind};
use super::turn::{TurnRef, NO_SLOT};
use super::{clock, mode, settings, site::Site};

/// How a call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Completed: a latency sample.
    Ok,
    /// Returned `Err` (or panicked): counted, never a sample.
    Error,
}

impl Outcome {
    /// For the call's span: `error_type` when the call failed, `None` when it did not.
    #[inline(always)]
    pub fn error(self, error_type: &'static str) -> Option<&'static str> {
        (self == Outcome::Error).then_some(error_type)
    }
}

/// One measured invocation of a profiled function (see the module docs).
#[must_use = "a Call records when finished; dropping it counts a cancellation"]
pub struct Call {
    comp: Option<&'static ComponentState>,
    start: u64,
    turn: Option<TurnRef>,
    /// The call's interval in its turn (`NO_SLOT`: none).
    turn_slot: u32,
    /// Allocation context to restore (sync calls only), plus one; 0: untouched.
    alloc_restore: u32,
    /// Running counts (a GPU sampler with a device, or the memory sampler's RSS
    /// attribution, see `mode`): `RUN_WANTED` when prepared while they are on,
    /// `RUN_COUNTED` once `begin` counted the call as running, so its end must be
    /// counted too, whatever the mode is by then.
    run: u8,
    /// What the call does besides measuring (`mode::hook` bits; 0: nothing).
    hooks: u8,
    /// Its NVTX range (0: none).
    #[cfg(feature = "nvtx")]
    range: hooks::RangeId,
}

const RUN_WANTED: u8 = 1;
const RUN_COUNTED: u8 = 2;

impl Call {
    const INACTIVE: Call = Call {
        comp: None,
        start: 0,
        turn: None,
        turn_slot: NO_SLOT,
        alloc_restore: 0,
        run: 0,
        hooks: 0,
        #[cfg(feature = "nvtx")]
        range: 0,
    };

    /// Decides whether this call is measured: off, filtered out or sampled out gives
    /// an inactive call that records nothing. Reads no clock.
    #[inline(always)]
    pub fn prepare(site: &'static Site) -> Call {
        let m = mode::load();
        if mode::fast_on(m) {
            // On, a counting allocator installed or a session's samplers running or
            // not: the common case of a program being profiled, kept off the cold path.
            return Self::for_component(site.component()).counting_running(m);
        }
        if m == mode::OFF {
            return Call::INACTIVE;
        }
        Self::prepare_slow(site, m)
    }

    /// `prepare` when the mode is not read yet, off with flags, sampled, or asks for
    /// hooks (trace, NVTX).
    #[cold]
    #[inline(never)]
    fn prepare_slow(site: &'static Site, m: u8) -> Call {
        let Some(m) = settings::admit_slow(m) else {
            return Call::INACTIVE;
        };
        let mut call = Self::for_component(site.component()).counting_running(m);
        call.hook(m);
        call
    }

    /// This call, to be counted as running from its `begin` when the mode `m` asks
    /// for running counts.
    #[inline(always)]
    pub(crate) fn counting_running(mut self, m: u8) -> Call {
        if mode::counts_running(m) && self.comp.is_some() {
            self.run = RUN_WANTED;
        }
        self
    }

    /// Takes the hooks (trace, NVTX) that mode `m` asks of a measured call.
    #[inline(always)]
    pub(crate) fn hook(&mut self, m: u8) {
        if self.comp.is_some() {
            self.hooks = mode::hooks(m);
        }
    }

    #[inline(always)]
    pub(crate) fn for_component(comp: Option<&'static ComponentState>) -> Call {
        match comp {
            Some(c) if c.enabled.load(std::sync::atomic::Ordering::Relaxed) => Call {
                comp: Some(c),
                turn: TurnRef::current(),
                ..Call::INACTIVE
            },
            _ => Call::INACTIVE,
        }
    }

    /// Whether this call is measured (drives span creation).
    #[inline(always)]
    pub fn is_active(&self) -> bool {
        self.comp.is_some()
    }

    /// Starts the clock of a synchronous call; allocations on this thread are charged
    /// to the component until `finish`.
    #[inline(always)]
    pub fn begin(&mut self) {
        if let Some(c) = self.comp {
            if mode::alloc_counting() {
                self.alloc_restore = swap_alloc_component(c.id + 1) + 1;
            }
            self.begin_detached();
        }
    }

    /// Starts the clock of a call whose body runs in a future or stream: allocation
    /// context is set per poll by the wrapper, not here.
    #[inline(always)]
    pub fn begin_detached(&mut self) {
        if let Some(c) = self.comp {
            // What the call does besides measuring comes before its clock starts, so
            // its latency holds its body alone: its interval in its turn (taken under
            // the turn's lock, which another stage of the turn may hold) and its NVTX
            // range.
            if let Some(t) = &self.turn {
                self.turn_slot = t.begin_call(c.id, clock::now());
            }
            #[cfg(feature = "nvtx")]
            if self.hooks != 0 {
                self.range = hooks::began(self.hooks, c.id);
            }
            self.start = clock::now();
            if self.run == RUN_WANTED {
                self.count_begun(c.id);
            }
        }
    }

    /// The call's NVTX range (0: none).
    #[inline(always)]
    fn range(&self) -> hooks::RangeId {
        #[cfg(feature = "nvtx")]
        return self.range;
        #[cfg(not(feature = "nvtx"))]
        0
    }

    /// Leaves the call's trace event and closes its NVTX range, as its hooks ask.
    #[cold]
    fn hooks_ended(&self, comp: u32, end: u64, outcome: u8, turn: Option<&TurnRef>) {
        hooks::ended(
            self.hooks,
            self.range(),
            Ended {
                kind: EventKind::Call,
                comp,
                start: self.start,
                end,
                first: 0,
                items: 0,
                outcome,
                turn: turn.map_or((0, 0), TurnRef::trace_ids),
            },
        );
    }

    /// The id of the turn this call belongs to (for its span). Signed: OpenTelemetry
    /// attributes are 64-bit signed integers (`tracing-opentelemetry` would write a
    /// `u64` as a string); turn ids never come near `i64::MAX`.
    pub fn turn_id(&self) -> Option<i64> {
        self.turn.as_ref().map(|t| t.id() as i64)
    }

    /// The session (conversation) id of the call's turn (for its span).
    pub fn session_id(&self) -> Option<&str> {
        self.turn.as_ref().and_then(|t| t.session_id())
    }

    #[inline(always)]
    fn count_begun(&mut self, id: u32) {
        let start = self.start;
        self.run = match with_cell(id, |cell| cell.count_begun(start)) {
            Some(()) => RUN_COUNTED,
            None => 0,
        };
    }

    /// The raw time its clock started (0: not begun).
    #[cfg(test)]
    pub(crate) fn started_at(&self) -> u64 {
        self.start
    }

    /// Component id + 1, 0 when inactive (for allocation context).
    #[inline(always)]
    pub(crate) fn slot(&self) -> u32 {
        self.comp.map_or(0, |c| c.id + 1)
    }

    /// Records the call as completed with `outcome`.
    #[inline(always)]
    pub fn finish(mut self, outcome: Outcome) {
        if let Some(c) = self.comp.take() {
            let end = clock::now();
            self.restore_alloc();
            let ns = clock::nanos_between(self.start, end);
            let start = self.start;
            let running = self.run == RUN_COUNTED;
            let turn = self.turn.take();
            // Ended after its turn was interrupted: cancelled, never a (fast) sample.
            let cut = turn.as_ref().is_some_and(|t| t.interrupted_by(end));
            with_cell(c.id, |cell| {
                count_ended(cell, running, end);
                if outcome == Outcome::Error {
                    cell.errors.add(1);
                } else if cut {
                    cell.cancelled.add(1);
                } else if c.take_warmup() {
                    cell.warmup_excluded.add(1);
                } else {
                    cell.sample(start, end, ns);
                }
            });
            if self.hooks != 0 {
                let traced = match (outcome, cut) {
                    (Outcome::Error, _) => traced::ERROR,
                    (Outcome::Ok, true) => traced::CANCELLED,
                    (Outcome::Ok, false) => traced::OK,
                };
                self.hooks_ended(c.id, end, traced, turn.as_ref());
            }
            if let Some(t) = turn {
                t.end_call(self.turn_slot, end);
                t.add_stage(c.id, ns);
            }
        }
    }

    #[inline(always)]
    fn restore_alloc(&mut self) {
        if self.alloc_restore != 0 {
            swap_alloc_component(self.alloc_restore - 1);
            self.alloc_restore = 0;
        }
    }

    /// Hands the measurement to a stream wrapper.
    pub(crate) fn into_parts(mut self) -> Option<StreamParts> {
        self.restore_alloc();
        let comp = self.comp.take()?;
        Some(StreamParts {
            comp,
            start: self.start,
            turn: self.turn.take(),
            turn_slot: self.turn_slot,
            running: self.run == RUN_COUNTED,
            hooks: self.hooks,
            range: self.range(),
        })
    }
}

/// Counts the end, at `end` (raw ticks), of a call (or stream) that counted itself
/// begun.
#[inline(always)]
pub(crate) fn count_ended(cell: &Cell, running: bool, end: u64) {
    if running {
        cell.count_ended(end);
    }
}

/// What a stream wrapper takes over from its call.
pub(crate) struct StreamParts {
    pub(crate) comp: &'static ComponentState,
    pub(crate) start: u64,
    pub(crate) turn: Option<TurnRef>,
    /// The call's interval in its turn.
    pub(crate) turn_slot: u32,
    /// The running count the stream's end must close.
    pub(crate) running: bool,
    /// The call's hooks and NVTX range, which the stream's end closes.
    pub(crate) hooks: u8,
    pub(crate) range: hooks::RangeId,
}

impl Drop for Call {
    // Inlined so that an inactive or finished call costs one branch, not a call.
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(c) = self.comp.take() {
            self.dropped_unfinished(c);
        }
    }
}

impl Call {
    /// A measured call dropped before `finish`: cancelled, or an error while panicking.
    #[cold]
    #[inline(never)]
    fn dropped_unfinished(&mut self, c: &'static ComponentState) {
        self.restore_alloc();
        let panicking = std::thread::panicking();
        let end = clock::now();
        if self.hooks != 0 {
            let traced = if panicking {
                traced::ERROR
            } else {
                traced::CANCELLED
            };
            self.hooks_ended(c.id, end, traced, self.turn.as_ref());
        }
        if let Some(t) = self.turn.take() {
            t.end_call(self.turn_slot, end);
        }
        let running = self.run == RUN_COUNTED;
        with_cell(c.id, |cell| {
            count_ended(cell, running, end);
            if panicking {
                cell.errors.add(1)
            } else {
                cell.cancelled.add(1)
            }
        });
    }
}

/// The measured path of a sync `#[profile]` call: span, clock, body, outcome. Out of
/// line so that a call profiling skips (off, filtered, sampled out) keeps the bare
/// function's frame and costs the mode check alone. `outcome` gives how the call
/// ended and, for an error, the error's type (for the span).
#[inline(never)]
pub fn measure_sync<R>(
    mut call: Call,
    span: impl FnOnce(&Call) -> tracing::Span,
    body: impl FnOnce() -> R,
    outcome: impl FnOnce(&R) -> (Outcome, &'static str),
) -> R {
    // Unwinding from the body, the span is exited, then marked failed and closed
    // (`SpanEnd`'s drop), then the call counts its error. Returning, `end` takes the
    // span out without that drop.
    let span = SpanEnd::new(span(&call));
    let enter = span.enter();
    call.begin();
    let out = body();
    drop(enter);
    let (outcome, error_type) = outcome(&out);
    call.finish(outcome);
    span.end(outcome.error(error_type));
    out
}

/// Classifies a return value: `Err(_)` is an error, anything else a success.
/// Used by `#[profile]` through autoref specialisation (`(&OutcomeOf(&v)).outcome()`).
pub struct OutcomeOf<'a, T: ?Sized>(pub &'a T);

/// `Result` return values: `Err` is an error.
pub trait ResultOutcome {
    /// `Err` is an error.
    fn outcome(&self) -> Outcome;
    /// The error's type name (the span's `error.type`).
    fn error_type(&self) -> &'static str;
}
impl<T, E> ResultOutcome for OutcomeOf<'_, Result<T, E>> {
    #[inline(always)]
    fn outcome(&self) -> Outcome {
        if self.0.is_err() {
            Outcome::Error
        } else {
            Outcome::Ok
        }
    }
    #[inline(always)]
    fn error_type(&self) -> &'static str {
        std::any::type_name::<E>()
    }
}

/// Any other return value is a success.
pub trait AnyOutcome {
    /// Always a success.
    fn outcome(&self) -> Outcome;
    /// Never an error: empty.
    fn error_type(&self) -> &'static str;
}
impl<T: ?Sized> AnyOutcome for &OutcomeOf<'_, T> {
    #[inline(always)]
    fn outcome(&self) -> Outcome {
        Outcome::Ok
    }
    #[inline(always)]
    fn error_type(&self) -> &'static str {
        ""
    }
}
