//! `Site`: the static one `#[profile]` function owns. It caches the component's
//! state after the first call, so a call reads one pointer to find its component.

use super::component::{self, ComponentState, Registration};
use crate::model::{Kind, Source};
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
