//! What the counting allocator costs per allocation: `GlobalAlloc` calls made directly
//! on three instances wrapping the system allocator (a global allocator is one per
//! binary, so the three are compared as values, in one run): the system allocator
//! itself, `CountingAllocator::new` (plain counting) and
//! `CountingAllocator::with_owners` (the owner in a header before each block, frees
//! credited to it).
//!
//! ```sh
//! cargo bench -p profiler-benches --bench alloc -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Each iteration is one allocation and its free (`alloc`, a write, `dealloc`), of 64
//! bytes and of 4 KiB, made inside a profiled component's call (where allocations are
//! charged: a thread-local read and the tally's atomic adds) and outside one (the
//! thread-local read alone), plus a `realloc` that doubles a 64-byte block. The
//! counted allocators' figures minus the system allocator's are what counting adds.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use profiler::{profile, Config, CountingAllocator};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::time::{Duration, Instant};

static PLAIN: CountingAllocator = CountingAllocator::new(System);
static OWNERS: CountingAllocator = CountingAllocator::with_owners(System);

/// `n` allocations of `layout` and their frees through `a`, timed.
fn alloc_free(a: &dyn GlobalAlloc, layout: Layout, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        // SAFETY: a non-zero-sized layout; the block is freed with the same layout.
        unsafe {
            let p = a.alloc(layout);
            p.write(i as u8);
            a.dealloc(black_box(p), layout);
        }
    }
    start.elapsed()
}

/// `n` allocations of 64 bytes grown to 128 by `realloc`, and their frees, timed.
fn realloc_grow(a: &dyn GlobalAlloc, n: u64) -> Duration {
    let small = Layout::from_size_align(64, 8).expect("valid layout");
    let big = Layout::from_size_align(128, 8).expect("valid layout");
    let start = Instant::now();
    for i in 0..n {
        // SAFETY: as above; the grown block is freed with its new layout.
        unsafe {
            let p = a.alloc(small);
            p.write(i as u8);
            let q = a.realloc(black_box(p), small, 128);
            a.dealloc(black_box(q), big);
        }
    }
    start.elapsed()
}

/// Runs `f` inside a profiled call, so the allocations it makes are charged to the
/// component `alloc_bench`.
#[profile(component = "alloc_bench")]
fn in_component(f: impl Fn() -> Duration) -> Duration {
    f()
}

fn allocators() -> [(&'static str, &'static dyn GlobalAlloc); 3] {
    [("system", &System), ("plain", &PLAIN), ("owners", &OWNERS)]
}

fn per_allocation(c: &mut Criterion) {
    profiler::configure(Config::default());
    // A counted allocation outside any component switches the calls' allocation
    // context on, as a global counting allocator's first allocation does.
    let one = Layout::from_size_align(8, 8).expect("valid layout");
    // SAFETY: allocated and freed with the same layout.
    unsafe { PLAIN.dealloc(PLAIN.alloc(one), one) };
    for (group, inside) in [("alloc_in_component", true), ("alloc_outside", false)] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(1));
        for size in [64usize, 4096] {
            let layout = Layout::from_size_align(size, 8).expect("valid layout");
            for (name, a) in allocators() {
                g.bench_function(BenchmarkId::new(name, size), |b| {
                    b.iter_custom(|n| {
                        let run = || alloc_free(a, layout, n);
                        if inside {
                            in_component(run)
                        } else {
                            run()
                        }
                    })
                });
            }
        }
        g.finish();
    }
    let mut g = c.benchmark_group("realloc_in_component");
    g.throughput(Throughput::Elements(1));
    for (name, a) in allocators() {
        g.bench_function(name, |b| {
            b.iter_custom(|n| in_component(|| realloc_grow(a, n)))
        });
    }
    g.finish();
}

criterion_group!(benches, per_allocation);
criterion_main!(benches);
