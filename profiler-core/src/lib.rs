//! Core of the `profiler` crate: instrument -> record -> aggregate -> analyse -> render.
//! Users depend on the `profiler` facade; this crate holds the machinery.

pub mod aggregate;
pub mod config;
pub mod record;
pub mod sample;

pub use record::Turn;
