//! What the current thread is inside of: a turn, a component allocations are
//! charged to. `const` thread-locals of plain
//! cells: no lazy initialisation, no destructor, safe to read from an allocator.

use std::cell::Cell;

pub(crate) struct Context {
    /// The turn calls started here belong to: a `turn::TurnState` pointer, kept
    /// untyped so this leaf module knows nothing of turns (null: none).
    pub(crate) turn: Cell<*const ()>,
    /// Component id + 1 that allocations on this thread are charged to (0: none).
    pub(crate) alloc: Cell<u32>,
}

thread_local! {
    pub(crate) static CONTEXT: Context = const {
        Context {
            turn: Cell::new(std::ptr::null()),
            alloc: Cell::new(0),
        }
    };
}

/// The component (id + 1) allocations on this thread are charged to; 0 when none.
#[inline(always)]
pub fn current_alloc_component() -> u32 {
    CONTEXT.try_with(|c| c.alloc.get()).unwrap_or(0)
}

/// Charges allocations on this thread to `slot` (component id + 1, 0 for none);
/// returns the previous value so it can be restored.
#[inline(always)]
pub(crate) fn swap_alloc_component(slot: u32) -> u32 {
    CONTEXT.try_with(|c| c.alloc.replace(slot)).unwrap_or(0)
}

/// Runs the profiler's own work that may allocate (memory reads, first-use set-up)
/// charged to no component, whichever call it happens inside. For cold paths only.
pub(crate) fn uncharged<R>(f: impl FnOnce() -> R) -> R {
    let prev = swap_alloc_component(0);
    let out = f();
    swap_alloc_component(prev);
    out
}
