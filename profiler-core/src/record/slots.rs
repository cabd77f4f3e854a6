//! `Slots`: a fixed array of lazily allocated values, read without a lock.
//!
//! Invariants: a slot goes from empty to filled exactly once (published with a
//! compare-and-swap, the loser frees its allocation) and is freed only when the
//! `Slots` itself drops. A `&T` handed out therefore lives as long as `&self`.
//! This is the building block of the per-thread shards and of the histogram rows:
//! allocation happens on first touch, never per call.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

pub(crate) struct Slots<T, const N: usize> {
    slots: [AtomicPtr<T>; N],
}

// SAFETY: the slots own `Box<T>`s; sharing `&Slots` hands out `&T` to many threads,
// which needs `T: Sync`, and dropping from another thread needs `T: Send`.
unsafe impl<T: Send + Sync, const N: usize> Send for Slots<T, N> {}
unsafe impl<T: Send + Sync, const N: usize> Sync for Slots<T, N> {}

impl<T, const N: usize> Slots<T, N> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: [const { AtomicPtr::new(ptr::null_mut()) }; N],
        }
    }

    /// The value in slot `i`, if it was ever filled.
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        let p = self.slots.get(i)?.load(Ordering::Acquire);
        // SAFETY: non-null pointers come from `Box::into_raw` and stay valid until drop.
        unsafe { p.as_ref() }
    }

    /// The value in slot `i`, created with `init` on first touch. `None` when `i >= N`.
    ///
    /// `init` builds the value on the heap and runs out of line, in the cold path: a
    /// large value (a histogram row) never sits in the caller's stack frame.
    #[inline(always)]
    pub(crate) fn get_or_init(&self, i: usize, init: impl FnOnce() -> Box<T>) -> Option<&T> {
        let slot = self.slots.get(i)?;
        let p = slot.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: as in `get`.
            return Some(unsafe { &*p });
        }
        Some(Self::fill(slot, init))
    }

    #[cold]
    #[inline(never)]
    fn fill(slot: &AtomicPtr<T>, init: impl FnOnce() -> Box<T>) -> &T {
        // First-touch allocations are the profiler's, never the running component's.
        let new = Box::into_raw(super::context::uncharged(init));
        match slot.compare_exchange(ptr::null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: we just published `new`; it lives until the `Slots` drops.
            Ok(_) => unsafe { &*new },
            Err(existing) => {
                // SAFETY: `new` was never shared; `existing` is a published slot.
                unsafe {
                    drop(Box::from_raw(new));
                    &*existing
                }
            }
        }
    }

    /// Filled slots with their index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &T)> {
        (0..N).filter_map(move |i| self.get(i).map(|v| (i, v)))
    }
}

impl<T, const N: usize> Drop for Slots<T, N> {
    fn drop(&mut self) {
        for slot in &mut self.slots {
            let p = *slot.get_mut();
            if !p.is_null() {
                // SAFETY: exclusive access; the pointer came from `Box::into_raw`.
                unsafe { drop(Box::from_raw(p)) };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_slot_is_filled_once_even_when_threads_race() {
        let slots: Arc<Slots<u64, 4>> = Arc::new(Slots::new());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let s = slots.clone();
                std::thread::spawn(move || *s.get_or_init(1, || Box::new(t)).unwrap())
            })
            .collect();
        let seen: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(seen.iter().all(|v| *v == seen[0]));
        assert_eq!(slots.get(1), Some(&seen[0]));
        assert_eq!(slots.get(0), None);
        assert!(
            slots.get_or_init(4, || Box::new(9)).is_none(),
            "out of range is refused, not a panic"
        );
        assert_eq!(slots.iter().count(), 1);
    }
}
