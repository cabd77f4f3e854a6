//! Where GPU figures come from: the `GpuSource` trait, its errors, and
//! `RecordedSource`, which replays recorded samples (tests, re-running an analysis).

use crate::model::GpuPoint;
use std::collections::VecDeque;

/// A GPU as its source describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceInfo {
    /// Device index (NVML's).
    pub index: u32,
    /// Device name.
    pub name: String,
    /// Total VRAM, MB.
    pub vram_total_mb: f64,
}

/// Why a GPU source has no devices or no sample. The message is what the report gives
/// as the reason for having no GPU figures.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GpuError {
    /// NVML did not start (no driver, no library).
    #[error("NVML could not be initialised ({0})")]
    Init(String),
    /// NVML started but could not count devices.
    #[error("NVML could not count GPUs ({0})")]
    Count(String),
    /// No device to sample.
    #[error("NVML found no GPU")]
    NoDevice,
    /// One device could not be read.
    #[error("NVML: gpu{index}: {message}")]
    Device {
        /// The device's index.
        index: u32,
        /// What NVML said.
        message: String,
    },
    /// A figure the findings stand on (memory, utilisation) could not be read.
    #[error("{what}: {message}")]
    Query {
        /// Which figure.
        what: &'static str,
        /// What NVML said.
        message: String,
    },
    /// A recording has no sample left for this device.
    #[error("no recorded sample left for gpu{0}")]
    Exhausted(u32),
    /// A source that has no GPU, for the reason given.
    #[error("{0}")]
    Unavailable(String),
}

/// Where GPU figures come from: NVML in production, recorded samples in tests.
pub trait GpuSource: Send {
    /// The devices to sample. An error (no driver, no device) is the reason the
    /// report gives for having no GPU figures.
    fn devices(&mut self) -> Result<Vec<DeviceInfo>, GpuError>;

    /// One sample of device `index`. The sampler sets `t_sec`, and `vram_pct` from the
    /// device's total.
    fn sample(&mut self, index: u32) -> Result<GpuPoint, GpuError>;
}

/// Replays recorded samples (tests, and re-running an analysis on known figures).
#[derive(Clone, Debug)]
pub struct RecordedSource {
    devices: Result<Vec<DeviceInfo>, GpuError>,
    samples: Vec<VecDeque<GpuPoint>>,
}

impl RecordedSource {
    /// Devices with the samples each one replays, in order (one per sampler tick);
    /// a device whose samples are used up fails its later samples.
    pub fn new(devices: Vec<(DeviceInfo, Vec<GpuPoint>)>) -> Self {
        let (devices, samples) = devices.into_iter().map(|(d, s)| (d, s.into())).unzip();
        RecordedSource {
            devices: Ok(devices),
            samples,
        }
    }

    /// A source that finds no GPU, for `reason`.
    pub fn unavailable(reason: impl Into<String>) -> Self {
        RecordedSource {
            devices: Err(GpuError::Unavailable(reason.into())),
            samples: Vec::new(),
        }
    }
}

impl GpuSource for RecordedSource {
    fn devices(&mut self) -> Result<Vec<DeviceInfo>, GpuError> {
        self.devices.clone()
    }

    fn sample(&mut self, index: u32) -> Result<GpuPoint, GpuError> {
        let at = self
            .devices
            .as_ref()
            .ok()
            .and_then(|d| d.iter().position(|d| d.index == index));
        at.and_then(|i| self.samples.get_mut(i)?.pop_front())
            .ok_or(GpuError::Exhausted(index))
    }
}
