//! Background samplers that run beside the program: process memory and GPUs, each on
//! the one stop/tick loop (`ticker`) with a bounded timeline (`timeline`). They measure;
//! `analyse` judges what they measured.

pub(crate) mod attribution;
pub mod gpu;
pub mod memory;
pub(crate) mod ticker;
pub(crate) mod timeline;

use crate::aggregate::{MemoryTotals, Snapshot};
use crate::config::Config;
use crate::model::{ComponentGpu, GpuReport, MemoryReport, TraceLog};
use crate::record::{alloc, clock, component};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What the samplers add to a report.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Seconds the run has lasted.
    pub duration_sec: f64,
    /// The process memory timeline.
    pub memory: Option<MemoryReport>,
    /// GPU samples (or why there are none).
    pub gpu: GpuReport,
    /// Allocation totals (bytes, count) by component name (counting allocator).
    pub allocations: BTreeMap<String, (u64, u64)>,
    /// Memory figures by component name: shares of the RSS changes, and live heap
    /// bytes with the owner-tracking allocator.
    pub component_memory: BTreeMap<String, MemoryTotals>,
    /// GPU figures while each component ran, by component name.
    pub component_gpu: BTreeMap<String, ComponentGpu>,
    /// The timeline of the latest calls, streams and turns (the `trace` format).
    pub trace: Option<Arc<TraceLog>>,
}

/// Every background sampler of a session.
pub struct Samplers {
    memory: memory::MemorySampler,
    gpu: gpu::GpuSampler,
    /// Raw clock read when they started: their timelines' `t_sec` 0.
    started: u64,
}

impl Samplers {
    /// Starts the samplers `cfg` asks for.
    pub fn start(cfg: &Config) -> Samplers {
        Samplers {
            started: clock::now(),
            memory: memory::MemorySampler::start(
                Duration::from_millis(cfg.memory_interval_ms),
                cfg.memory_overhead_pct,
                component::warm_up,
            ),
            gpu: gpu::GpuSampler::from_config(cfg),
        }
    }

    /// The raw clock read when the samplers started (their timelines' `t_sec` 0).
    pub(crate) fn started(&self) -> u64 {
        self.started
    }

    /// What the samplers add to a report of `snap` (GPUs are sampled once more first,
    /// so the end of a run is in the report).
    pub fn extras(&self, snap: &Snapshot, duration_sec: f64) -> Extras {
        self.gpu.tick();
        let allocations = if alloc::installed() {
            snap.components
                .iter()
                .zip(0u32..)
                .map(|(c, id)| {
                    let h = alloc::component_heap(id);
                    (c.meta.name.clone(), (h.allocated, h.count))
                })
                .collect()
        } else {
            Default::default()
        };
        // The process reading first: the components' figures then run to it.
        let memory = self.memory.report_at(component::warm_up());
        let component_memory = self.memory.component_memory();
        Extras {
            duration_sec,
            memory,
            gpu: self.gpu.report(),
            component_gpu: self.gpu.component_gpu(),
            allocations,
            component_memory,
            trace: None,
        }
    }
}
