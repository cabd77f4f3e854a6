//! GPUs: a background sampler and the findings drawn from its figures.
//!
//! `GpuSampler` reads every device each interval (default 1 s: NVML averages
//! utilisation over 1/6 s to 1 s, so sampling faster shows nothing new) through a
//! `GpuSource`: `NvmlSource` in production, `RecordedSource` in tests. At each sample
//! it also reads which components are running (calls begun and not ended, see
//! `record::mode`) and adds the sample to their `ComponentGpu` figures. Without NVML
//! (no driver, no GPU, or the `gpu` feature off) the report says `available: false`
//! with the reason, one warning line goes to stderr, and everything else works.
//!
//! Memory stays bounded: summaries and per-component figures are running sums, and
//! past `MAX_POINTS` a device's timeline keeps every other point and stores half as
//! many from then on.
//!
//! Findings: VRAM > 90 % memory shortage, utilisation < 30 % likely CPU-bound,
//! temperature > 85 C throttling.

use crate::config::{Config, Lang};
use crate::report::model::{
    ComponentGpu, Finding, FindingKind, GpuDevice, GpuPoint, GpuReport, Severity,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub const VRAM_SHORTAGE_PCT: f64 = 90.0;
pub const LOW_UTILISATION_PCT: f64 = 30.0;
pub const HOT_C: f64 = 85.0;

/// Timeline points kept per device before the timeline is thinned.
const MAX_POINTS: usize = 4096;

/// Reason given when `PROFILER_GPU` is off.
pub const SWITCHED_OFF: &str = "switched off by PROFILER_GPU";
/// Reason given when the crate was built without NVML.
pub const NOT_BUILT: &str = "built without the `gpu` feature";

/// A GPU as its source describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceInfo {
    pub index: u32,
    pub name: String,
    pub vram_total_mb: f64,
}

/// Where GPU figures come from: NVML in production, recorded samples in tests.
pub trait GpuSource: Send {
    /// The devices to sample. An error (no driver, no device) is the reason the
    /// report gives for having no GPU figures.
    fn devices(&mut self) -> Result<Vec<DeviceInfo>, String>;

    /// One sample of device `index`. The sampler sets `t_sec`, and `vram_pct` from the
    /// device's total.
    fn sample(&mut self, index: u32) -> Result<GpuPoint, String>;
}

/// Replays recorded samples (tests, and re-running an analysis on known figures).
#[derive(Clone, Debug)]
pub struct RecordedSource {
    devices: Result<Vec<DeviceInfo>, String>,
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
            devices: Err(reason.into()),
            samples: Vec::new(),
        }
    }
}

impl GpuSource for RecordedSource {
    fn devices(&mut self) -> Result<Vec<DeviceInfo>, String> {
        self.devices.clone()
    }

    fn sample(&mut self, index: u32) -> Result<GpuPoint, String> {
        let at = self
            .devices
            .as_ref()
            .ok()
            .and_then(|d| d.iter().position(|d| d.index == index));
        at.and_then(|i| self.samples.get_mut(i)?.pop_front())
            .ok_or_else(|| format!("no recorded sample left for gpu{index}"))
    }
}

#[cfg(feature = "gpu")]
pub use nvml::NvmlSource;

#[cfg(feature = "gpu")]
mod nvml {
    use super::{DeviceInfo, GpuPoint, GpuSource};
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

        fn nvml(&mut self) -> Result<&Nvml, String> {
            if self.nvml.is_none() {
                let nvml =
                    Nvml::init().map_err(|e| format!("NVML could not be initialised ({e})"))?;
                self.nvml = Some(nvml);
            }
            Ok(self.nvml.as_ref().expect("set above"))
        }
    }

    impl GpuSource for NvmlSource {
        fn devices(&mut self) -> Result<Vec<DeviceInfo>, String> {
            let nvml = self.nvml()?;
            let count = nvml
                .device_count()
                .map_err(|e| format!("NVML could not count GPUs ({e})"))?;
            if count == 0 {
                return Err("NVML found no GPU".into());
            }
            (0..count)
                .map(|index| {
                    let d = nvml
                        .device_by_index(index)
                        .map_err(|e| format!("NVML: gpu{index}: {e}"))?;
                    let total = d
                        .memory_info()
                        .map_err(|e| format!("NVML: gpu{index} memory: {e}"))?
                        .total;
                    Ok(DeviceInfo {
                        index,
                        name: d.name().unwrap_or_else(|_| format!("GPU {index}")),
                        vram_total_mb: total as f64 / MB,
                    })
                })
                .collect()
        }

        fn sample(&mut self, index: u32) -> Result<GpuPoint, String> {
            let nvml = self.nvml()?;
            let d = nvml.device_by_index(index).map_err(|e| e.to_string())?;
            // Memory and utilisation are what the findings stand on: without them the
            // sample is dropped rather than read as an idle, empty GPU.
            let mem = d.memory_info().map_err(|e| format!("memory: {e}"))?;
            let util = d
                .utilization_rates()
                .map_err(|e| format!("utilisation: {e}"))?;
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
}

/// Running figures of one device over every sample.
struct Track {
    info: DeviceInfo,
    samples: u64,
    util_sum: f64,
    max_util: f64,
    max_vram_used: f64,
    max_vram_pct: f64,
    max_temperature: f64,
    max_power: f64,
    throttle: BTreeSet<String>,
    /// The kept timeline: every `stride`-th sample.
    points: Vec<GpuPoint>,
    stride: u64,
}

impl Track {
    fn new(info: DeviceInfo) -> Track {
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
            points: Vec::new(),
            stride: 1,
        }
    }

    fn push(&mut self, p: GpuPoint) {
        self.util_sum += p.util_pct;
        self.max_util = self.max_util.max(p.util_pct);
        self.max_vram_used = self.max_vram_used.max(p.vram_used_mb);
        self.max_vram_pct = self.max_vram_pct.max(p.vram_pct);
        self.max_temperature = self.max_temperature.max(p.temperature_c);
        self.max_power = self.max_power.max(p.power_w);
        self.throttle.extend(p.throttle_reasons.iter().cloned());
        if self.samples.is_multiple_of(self.stride) {
            if self.points.len() >= MAX_POINTS {
                let kept = self.points.iter().step_by(2).cloned().collect();
                self.points = kept;
                self.stride *= 2;
            }
            self.points.push(p);
        }
        self.samples += 1;
    }

    fn device(&self) -> GpuDevice {
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
            samples: self.points.clone(),
        }
    }
}

/// GPU figures of one component: the samples taken while it was running.
#[derive(Clone, Copy, Default)]
struct ComponentTrack {
    samples: u64,
    util_sum: f64,
    max_util: f64,
    vram_sum: f64,
    max_vram: f64,
}

impl ComponentTrack {
    fn figures(&self) -> ComponentGpu {
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

enum Phase {
    /// The source is being asked for its devices (NVML initialising).
    Starting,
    Unavailable(String),
    Sampling,
}

struct State {
    source: Box<dyn GpuSource>,
    phase: Phase,
    started: Instant,
    devices: Vec<Track>,
    /// By component id.
    components: Vec<ComponentTrack>,
    /// Scratch for the running counts, kept to sample without allocating.
    running: Vec<u64>,
    last_error: Option<String>,
    /// Whether this sampler turned running counts on (and must turn them off).
    counts_running: bool,
    /// Print the warning line, in this language, when no GPU can be sampled.
    warn: Option<Lang>,
}

impl State {
    fn discover(&mut self) {
        self.phase = match self.source.devices() {
            Ok(d) if d.is_empty() => Phase::Unavailable("no GPU found".into()),
            Ok(d) => {
                self.devices = d.into_iter().map(Track::new).collect();
                crate::record::mode::running_counts_acquire();
                self.counts_running = true;
                Phase::Sampling
            }
            Err(reason) => Phase::Unavailable(reason),
        };
        if let (Phase::Unavailable(reason), Some(lang)) = (&self.phase, self.warn) {
            warn_unavailable(reason, lang);
        }
    }

    /// Samples every device, then charges the sample to the running components:
    /// utilisation averaged over the devices, VRAM used summed.
    fn tick(&mut self) {
        if !matches!(self.phase, Phase::Sampling) {
            return;
        }
        let t_sec = self.started.elapsed().as_secs_f64();
        let (mut sampled, mut util, mut vram) = (0u32, 0.0, 0.0);
        for d in &mut self.devices {
            match self.source.sample(d.info.index) {
                Ok(mut p) => {
                    p.t_sec = t_sec;
                    if d.info.vram_total_mb > 0.0 {
                        p.vram_pct = p.vram_used_mb * 100.0 / d.info.vram_total_mb;
                    }
                    sampled += 1;
                    util += p.util_pct;
                    vram += p.vram_used_mb;
                    d.push(p);
                }
                Err(e) => self.last_error = Some(format!("gpu{}: {e}", d.info.index)),
            }
        }
        if sampled == 0 {
            return;
        }
        let util = util / sampled as f64;
        crate::record::shard::running(&mut self.running);
        if self.components.len() < self.running.len() {
            self.components
                .resize(self.running.len(), ComponentTrack::default());
        }
        for (c, _) in self
            .components
            .iter_mut()
            .zip(&self.running)
            .filter(|(_, n)| **n > 0)
        {
            c.samples += 1;
            c.util_sum += util;
            c.max_util = c.max_util.max(util);
            c.vram_sum += vram;
            c.max_vram = c.max_vram.max(vram);
        }
    }

    fn report(&self, interval_ms: u64) -> GpuReport {
        match &self.phase {
            Phase::Sampling => {
                let devices: Vec<GpuDevice> = self.devices.iter().map(Track::device).collect();
                let none_sampled = devices.iter().all(|d| d.samples.is_empty());
                GpuReport {
                    available: true,
                    reason: none_sampled.then(|| match &self.last_error {
                        Some(e) => format!("no GPU sample succeeded yet ({e})"),
                        None => "no GPU sample taken yet".into(),
                    }),
                    interval_ms,
                    devices,
                }
            }
            Phase::Unavailable(reason) => GpuReport {
                available: false,
                reason: Some(reason.clone()),
                interval_ms,
                devices: Vec::new(),
            },
            Phase::Starting => GpuReport {
                available: false,
                reason: Some("GPU sampler still starting".into()),
                interval_ms,
                devices: Vec::new(),
            },
        }
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when the devices are known.
    ready: Condvar,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A GPU sampler; a background one stops when dropped. See the module docs.
pub struct GpuSampler {
    shared: Arc<Shared>,
    interval_ms: u64,
    thread: Option<JoinHandle<()>>,
}

impl GpuSampler {
    fn with(source: Box<dyn GpuSource>, phase: Phase, interval_ms: u64) -> GpuSampler {
        GpuSampler {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    source,
                    phase,
                    started: Instant::now(),
                    devices: Vec::new(),
                    components: Vec::new(),
                    running: Vec::new(),
                    last_error: None,
                    counts_running: false,
                    warn: None,
                }),
                ready: Condvar::new(),
                stop: Mutex::new(false),
                wake: Condvar::new(),
            }),
            interval_ms,
            thread: None,
        }
    }

    /// Samples `source` now and every `interval` on a background thread. The source
    /// is asked for its devices on that thread; `report` waits for the answer.
    pub fn start(source: impl GpuSource + 'static, interval: Duration) -> GpuSampler {
        Self::start_inner(Box::new(source), interval, None)
    }

    fn start_inner(
        source: Box<dyn GpuSource>,
        interval: Duration,
        warn: Option<Lang>,
    ) -> GpuSampler {
        let mut s = Self::with(source, Phase::Starting, interval.as_millis() as u64);
        s.shared.state().warn = warn;
        let shared = s.shared.clone();
        let thread = std::thread::Builder::new()
            .name("profiler-gpu".into())
            .spawn(move || {
                {
                    let mut st = shared.state();
                    st.discover();
                    st.tick();
                }
                shared.ready.notify_all();
                loop {
                    let stop = shared.stop.lock().unwrap_or_else(|e| e.into_inner());
                    let (stop, _) = shared
                        .wake
                        .wait_timeout(stop, interval)
                        .unwrap_or_else(|e| e.into_inner());
                    if *stop {
                        break;
                    }
                    drop(stop);
                    let mut st = shared.state();
                    if !matches!(st.phase, Phase::Sampling) {
                        break;
                    }
                    st.tick();
                }
            });
        match thread {
            Ok(t) => s.thread = Some(t),
            Err(e) => {
                s.shared.state().phase =
                    Phase::Unavailable(format!("could not start the GPU sampler thread ({e})"))
            }
        }
        s
    }

    /// Asks `source` for its devices now and samples only on `tick` (tests, or a
    /// program that samples on its own schedule).
    pub fn manual(source: impl GpuSource + 'static) -> GpuSampler {
        let s = Self::with(Box::new(source), Phase::Starting, 0);
        s.shared.state().discover();
        s
    }

    /// A sampler with no GPU figures, for `reason`.
    pub fn unavailable(reason: impl Into<String>) -> GpuSampler {
        let reason = reason.into();
        Self::with(
            Box::new(RecordedSource::unavailable(reason.clone())),
            Phase::Unavailable(reason),
            0,
        )
    }

    /// The sampler `cfg` asks for: NVML every `gpu_interval_ms` (`PROFILER_GPU`,
    /// `PROFILER_GPU_INTERVAL_MS`). When NVML cannot be used, one warning line goes to
    /// stderr (once per process) and the report gives the reason.
    pub fn from_config(cfg: &Config) -> GpuSampler {
        if !cfg.gpu {
            return Self::unavailable(SWITCHED_OFF);
        }
        #[cfg(feature = "gpu")]
        {
            let interval = Duration::from_millis(cfg.gpu_interval_ms);
            Self::start_inner(Box::new(NvmlSource::new()), interval, Some(cfg.lang))
        }
        #[cfg(not(feature = "gpu"))]
        {
            Self::unavailable(NOT_BUILT)
        }
    }

    /// Takes one sample of every device now (no-op without devices).
    pub fn tick(&self) {
        wait_started(&self.shared).tick();
    }

    /// The GPU report so far (waits for the devices to be known).
    pub fn report(&self) -> GpuReport {
        wait_started(&self.shared).report(self.interval_ms)
    }

    /// GPU figures of the samples taken while each component was running, by name.
    pub fn component_gpu(&self) -> BTreeMap<String, ComponentGpu> {
        let tracks = wait_started(&self.shared).components.clone();
        let metas = crate::record::component::metas();
        tracks
            .iter()
            .zip(metas)
            .filter(|(t, _)| t.samples > 0)
            .map(|(t, m)| (m.name, t.figures()))
            .collect()
    }
}

fn wait_started(shared: &Shared) -> MutexGuard<'_, State> {
    let mut st = shared.state();
    while matches!(st.phase, Phase::Starting) {
        st = shared.ready.wait(st).unwrap_or_else(|e| e.into_inner());
    }
    st
}

/// The one warning line of a run without GPU figures.
pub fn unavailable_warning(reason: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("profiler: ⚠ GPU metrics unavailable: {reason}; no GPU figures or chart, everything else is profiled"),
        Lang::Ko => format!("profiler: ⚠ GPU 메트릭 없음: {reason}; GPU 수치와 차트 없이 나머지는 모두 프로파일링합니다"),
    }
}

fn warn_unavailable(reason: &str, lang: Lang) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Relaxed) {
        eprintln!("{}", unavailable_warning(reason, lang));
    }
}

impl Drop for GpuSampler {
    fn drop(&mut self) {
        *self.shared.stop.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let mut st = self.shared.state();
        if std::mem::take(&mut st.counts_running) {
            crate::record::mode::running_counts_release();
        }
    }
}

/// Findings of every device in `gpu`.
pub fn findings(gpu: &GpuReport, lang: Lang) -> Vec<Finding> {
    let mut out = Vec::new();
    if !gpu.available {
        return out;
    }
    for d in &gpu.devices {
        if d.samples.is_empty() {
            continue;
        }
        let name = format!("gpu{}", d.index);
        let mut push = |kind,
                        severity,
                        measured: f64,
                        target: f64,
                        unit: &str,
                        en: String,
                        ko: String,
                        rec_en: &str,
                        rec_ko: &str| {
            let (message, recommendation) = match lang {
                Lang::En => (en, format!("{name}: {rec_en}")),
                Lang::Ko => (ko, format!("{name}: {rec_ko}")),
            };
            out.push(Finding {
                component: name.clone(),
                kind,
                severity,
                measured,
                target,
                unit: unit.into(),
                message,
                recommendation,
            });
        };
        if d.max_vram_pct > VRAM_SHORTAGE_PCT {
            push(
                FindingKind::GpuMemory,
                Severity::Critical,
                d.max_vram_pct,
                VRAM_SHORTAGE_PCT,
                "%",
                format!("{name}: VRAM {:.1}% used (> {VRAM_SHORTAGE_PCT}%): memory shortage", d.max_vram_pct),
                format!("{name}: VRAM {:.1}% 사용 (> {VRAM_SHORTAGE_PCT}%): 메모리 부족", d.max_vram_pct),
                "use batch size 1, half precision (fp16) or a smaller model; free cached tensors between requests",
                "배치 크기 1, 반정밀도 (fp16) 또는 더 작은 모델 사용; 요청 사이 캐시된 텐서 해제",
            );
        }
        if d.mean_util_pct < LOW_UTILISATION_PCT {
            push(
                FindingKind::GpuUtilisation,
                Severity::Warning,
                d.mean_util_pct,
                LOW_UTILISATION_PCT,
                "%",
                format!("{name}: mean utilisation {:.1}% (< {LOW_UTILISATION_PCT}%): likely CPU-bound", d.mean_util_pct),
                format!("{name}: 평균 활용률 {:.1}% (< {LOW_UTILISATION_PCT}%): CPU 병목 가능성", d.mean_util_pct),
                "look for CPU work between GPU calls (pre/post-processing, data copies, Python/GIL), overlap it or batch requests",
                "GPU 호출 사이의 CPU 작업 (전후처리, 데이터 복사) 확인 후 병렬화 또는 요청 배치 처리",
            );
        }
        if d.max_temperature_c > HOT_C {
            push(
                FindingKind::GpuTemperature,
                Severity::High,
                d.max_temperature_c,
                HOT_C,
                "C",
                format!(
                    "{name}: temperature {:.0}C (> {HOT_C}C): throttling likely",
                    d.max_temperature_c
                ),
                format!(
                    "{name}: 온도 {:.0}°C (> {HOT_C}°C): 쓰로틀링 가능성",
                    d.max_temperature_c
                ),
                "check cooling and power limits; throttling slows every stage on this GPU",
                "냉각과 전력 제한 확인; 쓰로틀링은 이 GPU의 모든 단계를 느리게 함",
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(index: u32) -> DeviceInfo {
        DeviceInfo {
            index,
            name: format!("Test GPU {index}"),
            vram_total_mb: 8000.0,
        }
    }

    fn point(util: f64, vram_mb: f64, temp: f64) -> GpuPoint {
        GpuPoint {
            util_pct: util,
            vram_used_mb: vram_mb,
            temperature_c: temp,
            power_w: 100.0 + util,
            ..GpuPoint::default()
        }
    }

    #[test]
    fn summaries_cover_every_sample_and_vram_percent_comes_from_the_total() {
        let mut p = point(40.0, 2000.0, 60.0);
        p.throttle_reasons = vec!["sw_power_cap".into()];
        let src = RecordedSource::new(vec![(
            device(0),
            vec![point(20.0, 1000.0, 50.0), p, point(60.0, 4000.0, 70.0)],
        )]);
        let s = GpuSampler::manual(src);
        for _ in 0..4 {
            s.tick(); // the fourth finds the recording used up: skipped
        }
        let r = s.report();
        assert!(r.available && r.reason.is_none(), "{r:?}");
        let d = &r.devices[0];
        assert_eq!(d.samples.len(), 3);
        assert_eq!((d.mean_util_pct, d.max_util_pct), (40.0, 60.0));
        assert_eq!((d.max_vram_used_mb, d.max_vram_pct), (4000.0, 50.0));
        assert_eq!((d.max_temperature_c, d.max_power_w), (70.0, 160.0));
        assert_eq!(d.throttle_reasons, vec!["sw_power_cap".to_string()]);
        assert_eq!(d.samples[1].vram_pct, 25.0);
    }

    #[test]
    fn a_long_run_keeps_a_bounded_timeline_and_exact_summaries() {
        let n = 20_000; // past four times the cap, in whole cycles of 0..100
        assert!(n > 4 * MAX_POINTS);
        let samples = (0..n)
            .map(|i| point((i % 100) as f64, 1000.0, 50.0))
            .collect();
        let s = GpuSampler::manual(RecordedSource::new(vec![(device(0), samples)]));
        for _ in 0..n {
            s.tick();
        }
        let d = &s.report().devices[0];
        assert!(
            d.samples.len() <= MAX_POINTS && d.samples.len() > MAX_POINTS / 4,
            "{}",
            d.samples.len()
        );
        assert_eq!(d.mean_util_pct, 49.5);
        assert_eq!(d.max_util_pct, 99.0);
    }

    #[test]
    fn without_a_gpu_the_report_gives_the_reason() {
        let r = GpuSampler::manual(RecordedSource::unavailable("NVML could not be initialised"))
            .report();
        assert!(!r.available);
        assert_eq!(r.reason.as_deref(), Some("NVML could not be initialised"));
        let off = GpuSampler::from_config(&Config {
            gpu: false,
            ..Config::default()
        });
        assert_eq!(off.report().reason.as_deref(), Some(SWITCHED_OFF));
        let empty = GpuSampler::manual(RecordedSource::new(Vec::new())).report();
        assert_eq!(empty.reason.as_deref(), Some("no GPU found"));
    }

    #[test]
    fn the_warning_is_one_line_naming_the_reason() {
        for lang in [Lang::En, Lang::Ko] {
            let w = unavailable_warning("NVML could not be initialised (libnvidia-ml.so.1)", lang);
            assert!(
                !w.contains('\n') && w.contains("libnvidia-ml.so.1") && w.contains('⚠'),
                "{w}"
            );
        }
    }
}
