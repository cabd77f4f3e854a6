//! Core of the `profiler` crate: instrument -> record -> aggregate -> analyse -> render.
//! Users depend on the `profiler` facade; this crate holds the machinery.

pub mod aggregate;
pub mod alloc;
pub mod analyse;
pub mod config;
pub mod layer;
pub mod record;
pub mod report;
pub mod sample;
pub mod session;

pub use alloc::CountingAllocator;
pub use record::Turn;
