//! What the current thread is inside of: a turn, a component allocations are
//! charged to. `const` thread-locals of plain
//! cells: no lazy initialisation, no destructor, safe to read from an allocator.

use std::cell::Cell;

pub(crate) struct Context {
    /// The turn calls started here belong to: a strong count of a `turn::TurnState`
    /// (`Arc::into_raw`), owned by this cell and handed back by whoever replaces it,
    /// so the turn outlives its place here whatever order guards drop in. Kept
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

/// Charges allocations on this thread to a component until dropped, then restores
/// what was charged before, on unwinding too (a panicking poll must not leave its
/// component charged for the rest of the thread's allocations).
pub(crate) struct ChargeTo(u32);

impl ChargeTo {
    /// Charges allocations to `slot` (component id + 1, 0 for none).
    #[inline(always)]
    pub(crate) fn new(slot: u32) -> ChargeTo {
        ChargeTo(swap_alloc_component(slot))
    }
}

impl Drop for ChargeTo {
    #[inline(always)]
    fn drop(&mut self) {
        swap_alloc_component(self.0);
    }
}

/// Runs the profiler's own work that may allocate (memory reads, first-use set-up)
/// charged to no component, whichever call it happens inside. For cold paths only.
pub(crate) fn uncharged<R>(f: impl FnOnce() -> R) -> R {
    let _charge = ChargeTo::new(0);
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_a_charge_restores_what_was_charged_before() {
        let outer = ChargeTo::new(7);
        let unwound = std::panic::catch_unwind(|| {
            let _charge = ChargeTo::new(9);
            assert_eq!(current_alloc_component(), 9);
            panic!("a poll that panics");
        });
        assert!(unwound.is_err());
        assert_eq!(current_alloc_component(), 7);
        drop(outer);
        assert_eq!(current_alloc_component(), 0);
    }
}
