//! `NvmlSource`: the real GPU source, NVML (libnvidia-ml, loaded at run time).

use super::source::{DeviceInfo, GpuError, GpuSource};
use crate::model::GpuPoint;
use nvml_wrapper::enum_wrappers::device::TemperatureSensor;
use nvml_wrapper::enums::device::UsedGpuMemory;
use nvml_wrapper::Nvml;

const MB: f64 = 1024.0 * 1024.0;

/// The real source: NVML (libnvidia-ml, loaded at run time). NVML is initialised
/// by the first `devices()`, on the sampler's thread, so a slow driver start never
/// delays the program.
#[derive(Default)]
pub struct NvmlSource {
    nvml: Option<Nvml>,
}

impl NvmlSource {
    /// A source that initialises NVML when first asked for devices.
    pub fn new() -> Self {
        NvmlSource::default()
    }

    fn nvml(&mut self) -> Result<&Nvml, GpuError> {
        if self.nvml.is_none() {
            self.nvml = Some(Nvml::init().map_err(|e| GpuError::Init(e.to_string()))?);
        }
        self.nvml
            .as_ref()
            .ok_or_else(|| GpuError::Init("not initialised".into()))
    }
}

impl GpuSource for NvmlSource {
    fn devices(&mut self) -> Result<Vec<DeviceInfo>, GpuError> {
        let nvml = self.nvml()?;
        let count = nvml
            .device_count()
            .map_err(|e| GpuError::Count(e.to_string()))?;
        if count == 0 {
            return Err(GpuError::NoDevice);
        }
        (0..count)
            .map(|index| {
                let device = |message: String| GpuError::Device { index, message };
                let d = nvml
                    .device_by_index(index)
                    .map_err(|e| device(e.to_string()))?;
                let total = d
                    .memory_info()
                    .map_err(|e| device(format!("memory: {e}")))?
                    .total;
                Ok(DeviceInfo {
                    index,
                    name: d.name().unwrap_or_else(|_| format!("GPU {index}")),
                    vram_total_mb: total as f64 / MB,
                })
            })
            .collect()
    }

    fn sample(&mut self, index: u32) -> Result<GpuPoint, GpuError> {
        let nvml = self.nvml()?;
        let d = nvml.device_by_index(index).map_err(|e| GpuError::Device {
            index,
            message: e.to_string(),
        })?;
        // Memory and utilisation are what the findings stand on: without them the
        // sample is dropped rather than read as an idle, empty GPU.
        let query = |what| {
            move |e: nvml_wrapper::error::NvmlError| GpuError::Query {
                what,
                message: e.to_string(),
            }
        };
        let mem = d.memory_info().map_err(query("memory"))?;
        let util = d.utilization_rates().map_err(query("utilisation"))?;
        let pid = std::process::id();
        let process_bytes = [
            d.running_compute_processes(),
            d.running_graphics_processes(),
        ]
        .into_iter()
        .flatten()
        .flatten()
        .filter(|p| p.pid == pid)
        .filter_map(|p| match p.used_gpu_memory {
            UsedGpuMemory::Used(b) => Some(b),
            UsedGpuMemory::Unavailable => None,
        })
        .reduce(|a, b| a + b);
        Ok(GpuPoint {
            t_sec: 0.0,
            util_pct: util.gpu as f64,
            vram_used_mb: mem.used as f64 / MB,
            vram_pct: 0.0,
            temperature_c: d
                .temperature(TemperatureSensor::Gpu)
                .map_or(0.0, |t| t as f64),
            power_w: d.power_usage().map_or(0.0, |mw| mw as f64 / 1000.0),
            throttle_reasons: d
                .current_throttle_reasons()
                .map(|r| {
                    r.iter_names()
                        .map(|(n, _)| n.to_ascii_lowercase())
                        .filter(|n| n != "none")
                        .collect()
                })
                .unwrap_or_default(),
            process_vram_mb: process_bytes.map(|b| b as f64 / MB),
        })
    }
}
