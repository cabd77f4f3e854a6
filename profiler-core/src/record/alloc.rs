//! `CountingAllocator`: an optional global allocator that charges each allocation to
//! the profiled component running on the current thread (bytes and count).
//!
//! Off unless the program installs it. Installed, it sets the allocation flag of the
//! mode on its first allocation; from then on a sync call charges its thread while it
//! runs, and an async call or `first_item` stream charges whichever thread polls it,
//! for the length of that poll. So a task that hops between runtime threads is charged
//! on every thread it runs on, and nothing is charged to a component while its task
//! waits.
//!
//! Invariants: the allocator never allocates, never takes a lock and never touches a
//! lazily initialised thread-local (the context is a `const` thread-local of plain
//! cells); the tallies are static relaxed atomics, one pair per component id.

use super::component::MAX_COMPONENTS;
use super::context::current_alloc_component;
use super::mode;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

struct Tally {
    bytes: AtomicU64,
    count: AtomicU64,
}

static TALLIES: [Tally; MAX_COMPONENTS] = [const {
    Tally {
        bytes: AtomicU64::new(0),
        count: AtomicU64::new(0),
    }
}; MAX_COMPONENTS];

/// A global allocator wrapping `A` (the system allocator by default, or any other,
/// e.g. jemalloc) that counts the bytes and allocations of each profiled component.
/// The report shows them per component (total and per call).
///
/// ```
/// use profiler_core::CountingAllocator;
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator::new(std::alloc::System);
/// # fn main() {}
/// ```
///
/// Wrapping another allocator:
///
/// ```ignore
/// #[global_allocator]
/// static ALLOC: profiler::CountingAllocator<tikv_jemallocator::Jemalloc> =
///     profiler::CountingAllocator::new(tikv_jemallocator::Jemalloc);
/// ```
///
/// An allocation counts its requested size; a `realloc` that grows counts one
/// allocation of the growth, one that shrinks counts nothing. Frees are not counted.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator<A = System> {
    inner: A,
}

impl<A> CountingAllocator<A> {
    /// Counts the allocations made through `inner`.
    pub const fn new(inner: A) -> Self {
        CountingAllocator { inner }
    }
}

#[inline(always)]
fn charge(bytes: usize) {
    let slot = current_alloc_component();
    if slot == 0 {
        if !mode::alloc_counting() {
            // First allocation through this allocator: calls start setting the context.
            mode::enable_alloc_counting();
        }
        return;
    }
    if let Some(t) = TALLIES.get(slot as usize - 1) {
        t.bytes.fetch_add(bytes as u64, Relaxed);
        t.count.fetch_add(1, Relaxed);
    }
}

// SAFETY: every method forwards to `inner` with the caller's arguments unchanged and
// returns its result; counting touches only static atomics and a `const` thread-local.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAllocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = self.inner.alloc(layout);
        if !p.is_null() {
            charge(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = self.inner.alloc_zeroed(layout);
        if !p.is_null() {
            charge(layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.inner.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = self.inner.realloc(ptr, layout, new_size);
        if !p.is_null() && new_size > layout.size() {
            charge(new_size - layout.size());
        }
        p
    }
}

/// Whether a `CountingAllocator` is in use (it has allocated at least once).
pub fn installed() -> bool {
    mode::alloc_counting()
}

/// Bytes and number of allocations charged to component `id` so far.
pub fn component_totals(id: u32) -> (u64, u64) {
    TALLIES
        .get(id as usize)
        .map_or((0, 0), |t| (t.bytes.load(Relaxed), t.count.load(Relaxed)))
}
