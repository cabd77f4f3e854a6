//! The counting allocator charges each component exactly what its calls allocate,
//! also when async calls hop between the threads of a multi-thread runtime.
//! This binary installs `profiler::CountingAllocator` as its global allocator.

use profiler::{profile, Config, Formats};
use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll};

#[global_allocator]
static ALLOC: profiler::CountingAllocator = profiler::CountingAllocator::new(std::alloc::System);

/// Boxes each call allocates, and their size.
const BOXES: usize = 8;
const BOX_BYTES: usize = 1000;
const TASKS: usize = 64;

/// Polls where a task found itself on another thread than at its previous poll.
static HOPS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static HERE: u8 = const { 0 };
}

/// This thread, without allocating (`thread::current()` may allocate).
fn thread_key() -> usize {
    HERE.with(|h| h as *const u8 as usize)
}

/// Gives the task back to the scheduler once: the task goes to the back of its
/// worker's queue, where idle workers steal it. Unlike `tokio::task::yield_now`
/// (which parks the waker in a per-worker list that grows on demand), it makes the
/// runtime allocate nothing, so what a component is charged is exactly what it did.
struct Hop(bool);

impl Future for Hop {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

async fn hop(at: &mut usize) {
    Hop(false).await;
    let now = thread_key();
    if now != *at {
        HOPS.fetch_add(1, Relaxed);
        *at = now;
    }
}

#[profile(component = "alloc_boxes")]
async fn allocate_boxes() {
    let mut at = thread_key();
    for _ in 0..BOXES {
        black_box(Box::new([7u8; BOX_BYTES]));
        hop(&mut at).await;
    }
    // A sync component nested in this one: its allocations are its own, and this
    // component's context is back when it returns.
    allocate_sync();
    black_box(Box::new([7u8; BOX_BYTES]));
}

#[profile(component = "alloc_sync")]
fn allocate_sync() {
    for _ in 0..BOXES {
        black_box(Box::new([1u8; BOX_BYTES / 2]));
    }
}

/// The same awaits and hops, allocating nothing.
#[profile(component = "alloc_baseline")]
async fn baseline() {
    let mut at = thread_key();
    for _ in 0..BOXES {
        hop(&mut at).await;
    }
}

/// A vector grown by pushes: each growth is one allocation of the added bytes.
#[profile(component = "alloc_growth")]
fn grow() -> usize {
    let mut v: Vec<u64> = Vec::with_capacity(4);
    for i in 0..64 {
        v.push(i);
    }
    black_box(v).len()
}

#[test]
fn allocation_counts_match_a_known_pattern_across_a_multi_thread_runtime() {
    let session = profiler::init_with(Config {
        gpu: false,
        formats: Formats {
            json: false,
            console: false,
            charts: false,
            html: false,
            trace: false,
        },
        ..Config::default()
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .build()
        .unwrap();
    // Rounds until tasks have been seen resuming on another thread (a few per round
    // on two cores; the bound keeps a strange scheduler from looping forever).
    let mut rounds = 0u64;
    while rounds < 50 && (rounds < 2 || HOPS.load(Relaxed) < 10) {
        rt.block_on(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    tokio::spawn(async {
                        allocate_boxes().await;
                        baseline().await;
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        rounds += 1;
    }
    grow();

    let r = profiler::report();
    let alloc = |name: &str| {
        let c = r
            .components
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing"));
        c.allocations
            .clone()
            .unwrap_or_else(|| panic!("{name} has no allocation figures"))
    };
    let tasks = rounds * TASKS as u64;
    let boxes = alloc("alloc_boxes");
    assert_eq!(boxes.count, tasks * (BOXES as u64 + 1), "{boxes:?}");
    assert_eq!(
        boxes.bytes,
        tasks * (BOXES as u64 + 1) * BOX_BYTES as u64,
        "{boxes:?}"
    );
    assert_eq!(boxes.count_per_call, BOXES as f64 + 1.0);

    let sync = alloc("alloc_sync");
    assert_eq!(sync.count, tasks * BOXES as u64, "{sync:?}");
    assert_eq!(
        sync.bytes,
        tasks * (BOXES * BOX_BYTES / 2) as u64,
        "{sync:?}"
    );

    let base = alloc("alloc_baseline");
    assert_eq!((base.count, base.bytes), (0, 0), "{base:?}");

    // Capacity 4, 8, 16, 32, 64 u64s: the first allocation, then four growths of
    // 4, 8, 16 and 32 elements.
    let growth = alloc("alloc_growth");
    assert_eq!(growth.count, 5, "{growth:?}");
    assert_eq!(growth.bytes, 64 * 8, "{growth:?}");

    let hops = HOPS.load(Relaxed);
    eprintln!(
        "{rounds} rounds: tasks resumed on another thread {hops} times out of {}",
        tasks as usize * BOXES * 2
    );
    assert!(
        hops > 0,
        "no task ever changed threads: the test proved nothing about hops"
    );
    let console = profiler::render::console::render(&r);
    assert!(
        console.contains("Allocations: 9.0/call, 8.8KB/call"),
        "{console}"
    );
    drop(session);
}
