//! Nothing to link: this crate holds the overhead benchmarks (`cargo bench --bench
//! overhead`, see `overhead.rs`).
