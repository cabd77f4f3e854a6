//! Nothing to link: this crate holds the overhead benchmarks (`cargo bench -p
//! profiler-benches --bench overhead`, see `overhead.rs`) and the counting allocator's
//! (`cargo bench -p profiler-benches --bench alloc`, see `alloc.rs`).
