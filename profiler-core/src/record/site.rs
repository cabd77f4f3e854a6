//! `Site`: the static one `#[profile]` function owns. It caches the component's
//! state after the first call, so a call reads one pointer to find its component.

use super::component::{self, ComponentState, Registration};
use crate::model::{family, Family, Kind, Source};
use std::sync::atomic::{AtomicPtr, AtomicU8, Ordering};

const UNRESOLVED: u8 = 0;
const RESOLVED: u8 = 1;
const REFUSED: u8 = 2;

/// A profiled function's static description (built by `#[profile]`).
pub struct Site {
    component: &'static str,
    function: &'static str,
    target_ms: Option<f64>,
    kind: Kind,
    warmup: Option<u64>,
    labels: &'static [(&'static str, &'static str)],
    state: AtomicPtr<ComponentState>,
    resolution: AtomicU8,
    /// `gen_ai.operation.name` of its spans, once decided: 0 not yet, 1 none, 2
    /// `chat`, 3 the `operation` label.
    genai: AtomicU8,
}

impl Site {
    /// Used by `#[profile]`; every argument is a constant.
    pub const fn new(
        component: &'static str,
        function: &'static str,
        target_ms: Option<f64>,
        kind: Kind,
        warmup: Option<u64>,
        labels: &'static [(&'static str, &'static str)],
    ) -> Site {
        Site {
            component,
            function,
            target_ms,
            kind,
            warmup,
            labels,
            state: AtomicPtr::new(std::ptr::null_mut()),
            resolution: AtomicU8::new(UNRESOLVED),
            genai: AtomicU8::new(0),
        }
    }

    /// The value of label `key`, if the attribute gave one.
    pub fn label(&self, key: &str) -> Option<&'static str> {
        self.labels.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// `gen_ai.operation.name` of this function's spans: its `operation` label, else
    /// `chat` for a language-model component (the metrics' GenAI series say the same),
    /// else none. Read only when a span is built.
    pub fn genai_operation(&self) -> Option<&'static str> {
        let decided = match self.genai.load(Ordering::Relaxed) {
            0 => {
                let d = if self.label("operation").is_some() {
                    3
                } else if family(self.component) == Family::Llm {
                    2
                } else {
                    1
                };
                self.genai.store(d, Ordering::Relaxed);
                d
            }
            d => d,
        };
        match decided {
            3 => self.label("operation"),
            2 => Some("chat"),
            _ => None,
        }
    }

    /// The component this site records into (registering it on first use).
    #[inline(always)]
    pub(crate) fn component(&'static self) -> Option<&'static ComponentState> {
        let p = self.state.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: only ever set to a `&'static ComponentState` (see `resolve`).
            return Some(unsafe { &*p });
        }
        self.resolve()
    }

    #[cold]
    #[inline(never)]
    fn resolve(&'static self) -> Option<&'static ComponentState> {
        if self.resolution.load(Ordering::Acquire) == REFUSED {
            return None;
        }
        let reg = Registration {
            name: self.component,
            kind: self.kind,
            source: Source::Profile,
            target_ms: self.target_ms,
            warmup: self.warmup,
            labels: self.labels,
            function: self.function,
        };
        // Registration allocates: the profiler's own, not the enclosing call's.
        let cfg = super::settings::active();
        let st = super::context::uncharged(|| component::register(reg, &cfg));
        match st {
            Some(st) => {
                self.state.store(
                    st as *const ComponentState as *mut ComponentState,
                    Ordering::Release,
                );
                self.resolution.store(RESOLVED, Ordering::Release);
            }
            None => self.resolution.store(REFUSED, Ordering::Release),
        }
        st
    }
}
