//! The `Report` type and its renderers: JSON files, the console report, charts.

#[cfg(feature = "charts")]
pub mod charts;
pub mod console;
pub mod json;
pub mod model;

pub use json::ReportError;
pub use model::*;
