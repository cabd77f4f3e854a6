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
    gpu: gpu::GpuSampler,
}

impl Samplers {
    /// Starts the samplers `cfg` asks for.
    pub fn start(cfg: &Config) -> Samplers {
        Samplers {
            memory: timeline::MemorySampler::start(
                Duration::from_millis(cfg.memory_interval_ms),
                crate::record::component::all_warmed_up,
            ),
            gpu: gpu::GpuSampler::from_config(cfg),
        }
    }

    /// What the samplers add to a report of `snap` (GPUs are sampled once more first,
    /// so the end of a run is in the report).
    pub fn extras(&self, snap: &Snapshot, duration_sec: f64) -> Extras {
        self.gpu.tick();
        let allocations = if crate::alloc::installed() {
            let ids = 0..snap.components.len() as u32;
            snap.components
                .iter()
                .zip(ids)
                .map(|(c, id)| (c.meta.name.clone(), crate::alloc::component_totals(id)))
                .collect()
        } else {
            Default::default()
        };
        Extras {
            duration_sec,
            memory: self
                .memory
                .report(crate::record::component::all_warmed_up()),
            gpu: self.gpu.report(),
            component_gpu: self.gpu.component_gpu(),
            allocations,
        }
    }
}
