//! Running figures of the GPU sampler: one `Track` per device (summaries over every
//! sample and a bounded timeline) and one `ComponentTrack` per component (the samples
//! taken while it ran).

use super::source::DeviceInfo;
use crate::model::{ComponentGpu, GpuDevice, GpuPoint};
use crate::sample::timeline::{Timeline, MAX_POINTS};
use std::collections::BTreeSet;

/// Running figures of one device over every sample.
pub(super) struct Track {
    pub(super) info: DeviceInfo,
    samples: u64,
    util_sum: f64,
    max_util: f64,
    max_vram_used: f64,
    max_vram_pct: f64,
    max_temperature: f64,
    max_power: f64,
    throttle: BTreeSet<String>,
    timeline: Timeline<GpuPoint>,
}

impl Track {
    pub(super) fn new(info: DeviceInfo) -> Track {
        Track {
            info,
            samples: 0,
            util_sum: 0.0,
            max_util: 0.0,
            max_vram_used: 0.0,
            max_vram_pct: 0.0,
            max_temperature: 0.0,
            max_power: 0.0,
            throttle: BTreeSet::new(),
            timeline: Timeline::new(MAX_POINTS),
        }
    }

    pub(super) fn push(&mut self, p: GpuPoint) {
        self.samples += 1;
        self.util_sum += p.util_pct;
        self.max_util = self.max_util.max(p.util_pct);
        self.max_vram_used = self.max_vram_used.max(p.vram_used_mb);
        self.max_vram_pct = self.max_vram_pct.max(p.vram_pct);
        self.max_temperature = self.max_temperature.max(p.temperature_c);
        self.max_power = self.max_power.max(p.power_w);
        self.throttle.extend(p.throttle_reasons.iter().cloned());
        self.timeline.push(p);
    }

    /// The device's figures (its checks are set by `analyse`).
    pub(super) fn device(&self) -> GpuDevice {
        GpuDevice {
            index: self.info.index,
            name: self.info.name.clone(),
            vram_total_mb: self.info.vram_total_mb,
            mean_util_pct: if self.samples > 0 {
                self.util_sum / self.samples as f64
            } else {
                0.0
            },
            max_util_pct: self.max_util,
            max_vram_used_mb: self.max_vram_used,
            max_vram_pct: self.max_vram_pct,
            max_temperature_c: self.max_temperature,
            max_power_w: self.max_power,
            throttle_reasons: self.throttle.iter().cloned().collect(),
            checks: Default::default(),
            samples: self.timeline.points().to_vec(),
        }
    }
}

/// GPU figures of one component: the samples taken while it was running.
#[derive(Clone, Copy, Default)]
pub(super) struct ComponentTrack {
    pub(super) samples: u64,
    util_sum: f64,
    max_util: f64,
    vram_sum: f64,
    max_vram: f64,
}

impl ComponentTrack {
    pub(super) fn add(&mut self, util: f64, vram: f64) {
        self.samples += 1;
        self.util_sum += util;
        self.max_util = self.max_util.max(util);
        self.vram_sum += vram;
        self.max_vram = self.max_vram.max(vram);
    }

    pub(super) fn figures(&self) -> ComponentGpu {
        let n = self.samples.max(1) as f64;
        ComponentGpu {
            samples: self.samples,
            mean_util_pct: self.util_sum / n,
            max_util_pct: self.max_util,
            mean_vram_used_mb: self.vram_sum / n,
            max_vram_used_mb: self.max_vram,
        }
    }
}
