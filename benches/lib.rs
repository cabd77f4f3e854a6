//! Nothing to link: this crate holds the overhead benchmarks (`cargo bench --bench
//! overhead`, see `overhead.rs`) and the counting allocator's (`cargo bench --bench
//! alloc`, see `alloc.rs`).
