//! Background samplers that run beside the program: process memory and GPUs.

pub mod gpu;
pub mod memory;
pub mod timeline;

use crate::aggregate::Snapshot;
use crate::analyse::Extras;
use crate::config::Config;
use std::time::Duration;

/// Every background sampler of a session.
pub struct Samplers {
    memory: timeline::MemorySampler,
}

impl Samplers {
    /// Starts the samplers `cfg` asks for.
    pub fn start(cfg: &Config) -> Samplers {
        Samplers {
            memory: timeline::MemorySampler::start(
                Duration::from_millis(cfg.memory_interval_ms),
                crate::record::component::all_warmed_up,
            ),
        }
    }

    /// What the samplers add to a report of `snap`.
    pub fn extras(&self, _snap: &Snapshot, duration_sec: f64) -> Extras {
        Extras {
            duration_sec,
            memory: self.memory.report(crate::record::component::all_warmed_up()),
            gpu: crate::report::model::GpuReport {
                available: false,
                reason: Some("GPU sampler not started".into()),
                ..Default::default()
            },
            ..Extras::default()
        }
    }
}
