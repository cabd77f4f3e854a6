//! Turns: one question-answer round. Stage calls started while a turn is current
//! (on this thread, or inside `Turn::scope`) add their time to it; the turn's E2E
//! latency runs from its start to the first item of its response stream.

use super::component::{self, ComponentState, Registration};
use super::context::CONTEXT;
use super::shard::with_cell;
use super::{clock, mode, settings};
use crate::model::{Kind, Source};
use pin_project_lite::pin_project;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

/// Stage ids below this are summed in atomics; later ones in a small list.
const FAST_STAGES: usize = 64;

/// Component name of turns.
pub const TURN_COMPONENT: &str = "turn";
/// Default component whose first stream item ends a turn's E2E latency.
pub const DEFAULT_RESPONSE: &str = "tts";

pub(crate) struct TurnState {
    start: u64,
    /// Component id whose first item is the response (u32::MAX: not registered yet).
    response: AtomicU32,
    response_name: String,
    first_response: AtomicU64,
    stages: [AtomicU64; FAST_STAGES],
    more_stages: Mutex<Vec<(u32, u64)>>,
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

    fn mark_response(&self, at: u64) {
        let _ = self
            .first_response
            .compare_exchange(0, at.max(1), Relaxed, Relaxed);
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
        // SAFETY: the context only holds a pointer while a `TurnScope`/`InTurn` borrows a
        // live `Turn`, whose `Arc` keeps the state alive; we take a new strong count.
        unsafe {
            Arc::increment_strong_count(p);
            TurnRef(Arc::from_raw(p))
        }
    }

    pub(crate) fn add_stage(&self, id: u32, ns: u64) {
        self.0.add_stage(id, ns);
    }

    /// A stream of component `id` yielded its first item at raw time `at`.
    pub(crate) fn first_item(&self, id: u32, at: u64) {
        let mut response = self.0.response.load(Relaxed);
        if response == u32::MAX {
            // The response stream registered after this turn began: resolve it by name.
            response = component::lookup(&self.0.response_name).unwrap_or(u32::MAX);
            self.0.response.store(response, Relaxed);
        }
        if id == response {
            self.0.mark_response(at);
        }
    }
}

/// Makes `p` this thread's current turn; returns the previous one.
fn swap_current(p: *const TurnState) -> *const TurnState {
    CONTEXT
        .try_with(|c| c.turn.replace(p.cast()).cast())
        .unwrap_or(std::ptr::null())
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
}

impl Turn {
    /// Starts a turn whose response is the first item of the `tts` stream.
    pub fn start() -> Turn {
        Self::with_response(DEFAULT_RESPONSE)
    }

    /// Starts a turn whose response is the first item of component `response`'s stream.
    pub fn with_response(response: &str) -> Turn {
        let m = mode::load();
        if m != mode::ON && !settings::admit_slow(m) {
            return Turn {
                state: None,
                comp: None,
            };
        }
        let comp = turn_component().filter(|c| c.enabled.load(Relaxed));
        let Some(comp) = comp else {
            return Turn {
                state: None,
                comp: None,
            };
        };
        let state = TurnState {
            start: clock::now(),
            response: AtomicU32::new(component::lookup(response).unwrap_or(u32::MAX)),
            response_name: response.to_string(),
            first_response: AtomicU64::new(0),
            stages: [const { AtomicU64::new(0) }; FAST_STAGES],
            more_stages: Mutex::new(Vec::new()),
        };
        Turn {
            state: Some(Arc::new(state)),
            comp: Some(comp),
        }
    }

    /// Marks the first response now (when no response stream marks it).
    pub fn respond(&self) {
        if let Some(s) = &self.state {
            s.mark_response(clock::now());
        }
    }

    /// Makes this turn current on this thread until the guard drops.
    pub fn enter(&self) -> TurnScope<'_> {
        let prev = self.set_current();
        TurnScope { _turn: self, prev }
    }

    /// Makes this turn current while `fut` is polled (on whichever thread polls it).
    pub fn scope<F: Future>(&self, fut: F) -> InTurn<F> {
        InTurn {
            inner: fut,
            state: self.state.clone(),
        }
    }

    fn set_current(&self) -> *const TurnState {
        swap_current(self.state.as_ref().map_or(std::ptr::null(), Arc::as_ptr))
    }

    /// Ends the turn now (same as dropping it).
    pub fn end(self) {}
}

impl Drop for Turn {
    fn drop(&mut self) {
        let (Some(state), Some(comp)) = (self.state.take(), self.comp) else {
            return;
        };
        let end = clock::now();
        let total = clock::nanos_between(state.start, end);
        // A turn that ended without a response item: E2E is the whole turn.
        let mut first = state.first_response.load(Relaxed);
        if first == 0 {
            first = end;
        }
        let e2e = clock::nanos_between(state.start, first);
        let mut stages: Vec<(u32, u64)> = state
            .stages
            .iter()
            .enumerate()
            .map(|(i, a)| (i as u32, a.load(Relaxed)))
            .filter(|(_, ns)| *ns > 0)
            .collect();
        stages.extend(
            state
                .more_stages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .copied(),
        );
        with_cell(comp.id, |cell| {
            if comp.take_warmup() {
                cell.warmup_excluded.add(1);
                return;
            }
            cell.sample(state.start, first, e2e);
            cell.stream_total.record(total);
            cell.turn_ns.add(total);
            for (id, ns) in &stages {
                let _ = with_cell(*id, |stage| stage.turn_ns.add(*ns));
            }
        });
    }
}

/// Guard of [`Turn::enter`]: restores the previous current turn when dropped.
pub struct TurnScope<'a> {
    _turn: &'a Turn,
    prev: *const TurnState,
}

impl Drop for TurnScope<'_> {
    fn drop(&mut self) {
        swap_current(self.prev);
    }
}

pin_project! {
    /// Future of [`Turn::scope`].
    pub struct InTurn<F> {
        #[pin]
        inner: F,
        state: Option<Arc<TurnState>>,
    }
}

impl<F: Future> Future for InTurn<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let prev = swap_current(this.state.as_ref().map_or(std::ptr::null(), Arc::as_ptr));
        let out = this.inner.poll(cx);
        swap_current(prev);
        out
    }
}
