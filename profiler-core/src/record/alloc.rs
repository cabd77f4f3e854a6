//! `CountingAllocator`: an optional global allocator that charges each allocation to
//! the profiled component running on the current thread, in one of two modes fixed
//! when the allocator is constructed:
//!
//! - **plain** (`CountingAllocator::new`): bytes and number of allocations per
//!   component. Nothing is added to the blocks; a free is not seen.
//! - **owners** (`CountingAllocator::with_owners`): each block carries its owner (the
//!   component whose call allocated it) in a small header just before it, so a free
//!   credits the owner whichever component or thread frees it. Per component: bytes
//!   allocated, bytes freed, and so the bytes still live.
//!
//! Installed, it sets the allocation flag of the mode on its first allocation; from
//! then on a sync call charges its thread while it runs, and an async call or
//! `first_item` stream charges whichever thread polls it, for the length of that poll.
//! So a task that hops between runtime threads is charged on every thread it runs on,
//! and nothing is charged to a component while its task waits.
//!
//! Invariants: the allocator never allocates, never takes a lock and never touches a
//! lazily initialised thread-local (the context is a `const` thread-local of plain
//! cells); the tallies are static relaxed atomics, one cache line per component id.
//! In owners mode every block it hands out has a header (the mode never changes for
//! an allocator value, so no header-less block is ever freed as a headed one): the
//! header keeps the caller's alignment (it is `max(align, 8)` bytes long, the owner in
//! its last 4 bytes), and `realloc` moves it with the block.

use super::component::MAX_COMPONENTS;
use super::context::current_alloc_component;
use super::mode;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// One component's tallies, on a cache line of its own: components allocating on
/// different threads do not share a line.
#[repr(align(64))]
struct Tally {
    bytes: AtomicU64,
    count: AtomicU64,
    freed: AtomicU64,
}

static TALLIES: [Tally; MAX_COMPONENTS] = [const {
    Tally {
        bytes: AtomicU64::new(0),
        count: AtomicU64::new(0),
        freed: AtomicU64::new(0),
    }
}; MAX_COMPONENTS];

/// Set once an owner-tracking allocator has allocated: frees are then seen.
static OWNERS: AtomicBool = AtomicBool::new(false);

/// A global allocator wrapping `A` (the system allocator by default, or any other,
/// e.g. jemalloc) that counts the bytes and allocations of each profiled component.
/// The report shows them per component (total and per call).
///
/// Which constructor to pick:
///
/// - [`CountingAllocator::new`] (plain): bytes and allocations per component, at the
///   lowest cost (two relaxed atomic adds per allocation made inside a component, a
///   thread-local read otherwise; frees cost nothing). Enough to find the component
///   that allocates most per call.
/// - [`CountingAllocator::with_owners`]: also bytes freed and **bytes still live** per
///   component, exact under any runtime: each block remembers its owner in an 8-byte
///   header (more for over-aligned types), so a buffer allocated by `tts` and freed by
///   `avatar` on another thread is credited back to `tts`. Each free reads the header
///   and adds to its owner's tally. The report's per-component leak verdict then
///   comes from live heap bytes rather than from shares of RSS. Pick it to answer
///   "which component holds the memory".
///
/// `benches/alloc.rs` measures both against the system allocator (README).
///
/// ```
/// use profiler_core::CountingAllocator;
///
/// #[global_allocator]
/// static ALLOC: CountingAllocator = CountingAllocator::with_owners(std::alloc::System);
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
/// allocation of the growth, one that shrinks counts nothing (with owners: it frees
/// the difference). With owners, a block reallocated inside another component than
/// its owner's changes hands: the old owner is credited the old size, the component
/// reallocating it is charged the new size.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountingAllocator<A = System> {
    inner: A,
    /// Whether blocks carry their owner (fixed at construction, never changed).
    owners: bool,
}

impl<A> CountingAllocator<A> {
    /// Plain counting: bytes and allocations per component, made through `inner`.
    pub const fn new(inner: A) -> Self {
        CountingAllocator {
            inner,
            owners: false,
        }
    }

    /// Counting with the owner kept per allocation: bytes allocated, freed and live
    /// per component, made through `inner` (see the type's docs for the cost).
    pub const fn with_owners(inner: A) -> Self {
        CountingAllocator {
            inner,
            owners: true,
        }
    }
}

/// The component slot (id + 1) allocations on this thread are charged to; 0 outside
/// components, where the first allocation also switches the calls' context on.
#[inline(always)]
fn current_slot(owners: bool) -> u32 {
    let slot = current_alloc_component();
    if slot == 0 && !mode::alloc_counting() {
        first_use(owners);
    }
    slot
}

#[cold]
fn first_use(owners: bool) {
    if owners {
        OWNERS.store(true, Relaxed);
    }
    // From now on calls set the allocation context.
    mode::enable_alloc_counting();
}

#[inline(always)]
fn tally(slot: u32) -> Option<&'static Tally> {
    TALLIES.get((slot as usize).wrapping_sub(1))
}

#[inline(always)]
fn charge(slot: u32, bytes: usize) {
    if let Some(t) = tally(slot) {
        t.bytes.fetch_add(bytes as u64, Relaxed);
        t.count.fetch_add(1, Relaxed);
    }
}

#[inline(always)]
fn credit(slot: u32, bytes: usize) {
    if let Some(t) = tally(slot) {
        t.freed.fetch_add(bytes as u64, Relaxed);
    }
}

/// The smallest header: room for the owner (a `u32`) at an 8-byte boundary.
const HEADER: usize = 8;

/// The block asked of the inner allocator for `layout`, and the header's length (the
/// offset of the caller's block in it): a multiple of the caller's alignment, so the
/// caller's block keeps it.
#[inline(always)]
fn outer(layout: Layout) -> Option<(Layout, usize)> {
    let offset = layout.align().max(HEADER);
    let size = layout.size().checked_add(offset)?;
    Some((Layout::from_size_align(size, offset).ok()?, offset))
}

/// The owner slot in the header of the caller's block `user`.
///
/// # Safety
/// `user` was returned by the owners path and not freed.
#[inline(always)]
unsafe fn owner_of(user: *mut u8) -> u32 {
    user.sub(4).cast::<u32>().read()
}

/// # Safety
/// `user` points just past a header of at least `HEADER` bytes that this allocator owns.
#[inline(always)]
unsafe fn set_owner(user: *mut u8, slot: u32) {
    user.sub(4).cast::<u32>().write(slot)
}

impl<A: GlobalAlloc> CountingAllocator<A> {
    /// Allocates a headed block with `alloc` (plain or zeroed), owned by this thread's
    /// component.
    #[inline(always)]
    unsafe fn alloc_owned(&self, layout: Layout, zeroed: bool) -> *mut u8 {
        let Some((outer, offset)) = outer(layout) else {
            return std::ptr::null_mut();
        };
        let base = if zeroed {
            self.inner.alloc_zeroed(outer)
        } else {
            self.inner.alloc(outer)
        };
        if base.is_null() {
            return base;
        }
        let user = base.add(offset);
        let slot = current_slot(true);
        set_owner(user, slot);
        charge(slot, layout.size());
        user
    }

    #[inline(always)]
    unsafe fn dealloc_owned(&self, user: *mut u8, layout: Layout) {
        // The layout is the one `alloc_owned` was given, so `outer` succeeded then.
        if let Some((outer, offset)) = outer(layout) {
            credit(owner_of(user), layout.size());
            self.inner.dealloc(user.sub(offset), outer);
        }
    }

    #[inline(always)]
    unsafe fn realloc_owned(&self, user: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some((old_outer, offset)) = outer(layout) else {
            return std::ptr::null_mut();
        };
        let Some(new_outer) = new_size.checked_add(offset) else {
            return std::ptr::null_mut();
        };
        if Layout::from_size_align(new_outer, offset).is_err() {
            return std::ptr::null_mut();
        }
        let owner = owner_of(user);
        // The header is at the start of the block, so the inner realloc carries it.
        let base = self.inner.realloc(user.sub(offset), old_outer, new_outer);
        if base.is_null() {
            return base;
        }
        let user = base.add(offset);
        let slot = current_slot(true);
        let old = layout.size();
        if slot == owner {
            if new_size > old {
                charge(slot, new_size - old);
            } else {
                credit(slot, old - new_size);
            }
        } else {
            credit(owner, old);
            charge(slot, new_size);
            set_owner(user, slot);
        }
        user
    }
}

// SAFETY: plain mode forwards every method to `inner` with the caller's arguments
// unchanged and returns its result. Owners mode asks `inner` for a block `offset`
// bytes longer, aligned to `offset` (a power of two, a multiple of the caller's
// alignment), and hands out `base + offset`: aligned as the caller asked, with the
// caller's size inside the block; it gives `inner` back `base` and the same larger
// layout on dealloc and realloc. Counting touches only static atomics, the header
// (inside blocks this allocator owns) and a `const` thread-local.
unsafe impl<A: GlobalAlloc> GlobalAlloc for CountingAllocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if self.owners {
            return self.alloc_owned(layout, false);
        }
        let p = self.inner.alloc(layout);
        if !p.is_null() {
            charge(current_slot(false), layout.size());
        }
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if self.owners {
            return self.alloc_owned(layout, true);
        }
        let p = self.inner.alloc_zeroed(layout);
        if !p.is_null() {
            charge(current_slot(false), layout.size());
        }
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.owners {
            return self.dealloc_owned(ptr, layout);
        }
        self.inner.dealloc(ptr, layout)
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.owners {
            return self.realloc_owned(ptr, layout, new_size);
        }
        let p = self.inner.realloc(ptr, layout, new_size);
        if !p.is_null() && new_size > layout.size() {
            charge(current_slot(false), new_size - layout.size());
        }
        p
    }
}

/// Whether a `CountingAllocator` is in use (it has allocated at least once).
pub fn installed() -> bool {
    mode::alloc_counting()
}

/// Whether the allocator in use keeps owners (frees are credited, live bytes known).
pub fn owners_installed() -> bool {
    OWNERS.load(Relaxed)
}

/// What one component's calls allocated, as the allocator counted it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heap {
    /// Bytes allocated.
    pub allocated: u64,
    /// Allocations made.
    pub count: u64,
    /// Bytes of its blocks freed since (owners mode only; 0 in plain mode).
    pub freed: u64,
}

impl Heap {
    /// Bytes allocated and not freed yet (owners mode).
    pub fn live(&self) -> i64 {
        self.allocated.wrapping_sub(self.freed) as i64
    }
}

/// Bytes and number of allocations charged to component `id` so far, and bytes of
/// its blocks freed.
pub fn component_heap(id: u32) -> Heap {
    TALLIES.get(id as usize).map_or(Heap::default(), |t| Heap {
        allocated: t.bytes.load(Relaxed),
        count: t.count.load(Relaxed),
        freed: t.freed.load(Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An allocator that checks what it is given back: the layout it handed out.
    struct Strict;

    unsafe impl GlobalAlloc for Strict {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            System.alloc(layout)
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            assert_eq!(ptr as usize % layout.align(), 0);
            System.dealloc(ptr, layout)
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            assert_eq!(ptr as usize % layout.align(), 0);
            System.realloc(ptr, layout, new_size)
        }
    }

    #[test]
    fn headed_blocks_keep_alignment_and_contents_through_realloc() {
        let a = CountingAllocator::with_owners(Strict);
        // Inside a component (a slot no other test uses), so the first-use switch of
        // this test binary's mode is not thrown.
        let prev = super::super::context::swap_alloc_component(3990);
        for align in [1usize, 2, 8, 16, 64, 4096] {
            let layout = Layout::from_size_align(24, align).unwrap();
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "align {align}");
                for i in 0..24 {
                    p.add(i).write(i as u8);
                }
                let q = a.realloc(p, layout, 10_000);
                assert_eq!(q as usize % align, 0, "align {align} after realloc");
                assert!((0..24).all(|i| q.add(i).read() == i as u8));
                assert_eq!(owner_of(q), current_alloc_component());
                let grown = Layout::from_size_align(10_000, align).unwrap();
                let r = a.realloc(q, grown, 8);
                assert!((0..8).all(|i| r.add(i).read() == i as u8));
                a.dealloc(r, Layout::from_size_align(8, align).unwrap());
                let z = a.alloc_zeroed(Layout::from_size_align(100, align).unwrap());
                assert!((0..100).all(|i| z.add(i).read() == 0));
                a.dealloc(z, Layout::from_size_align(100, align).unwrap());
            }
        }
        super::super::context::swap_alloc_component(prev);
    }

    #[test]
    fn a_block_freed_on_another_thread_credits_its_owner() {
        // Component slots far from any other test's.
        const SLOT: u32 = 4000;
        static A: CountingAllocator = CountingAllocator::with_owners(System);
        let a = &A;
        let layout = Layout::from_size_align(1000, 8).unwrap();
        let before = component_heap(SLOT - 1);
        let prev = super::super::context::swap_alloc_component(SLOT);
        let p = unsafe { a.alloc(layout) } as usize;
        super::super::context::swap_alloc_component(prev);
        let mid = component_heap(SLOT - 1);
        assert_eq!(mid.allocated - before.allocated, 1000);
        assert_eq!(mid.live() - before.live(), 1000);
        // Freed on a thread inside another component: still the owner's.
        std::thread::spawn(move || {
            super::super::context::swap_alloc_component(SLOT + 1);
            unsafe { a.dealloc(p as *mut u8, layout) };
        })
        .join()
        .unwrap();
        let after = component_heap(SLOT - 1);
        assert_eq!(after.freed - before.freed, 1000);
        assert_eq!(after.live(), before.live());
        assert_eq!(component_heap(SLOT).freed, 0);
    }
}
