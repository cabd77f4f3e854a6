//! GPUs: a background sampler reading every device each interval (default 1 s: NVML
//! averages utilisation over 1/6 s to 1 s, so sampling faster shows nothing new)
//! through a [`GpuSource`]: [`NvmlSource`] in production, [`RecordedSource`] in tests.
//!
//! At each sample the sampler also reads which components are running (calls begun
//! and not ended, see `record::mode`) and adds the sample to their figures. Without
//! NVML (no driver, no GPU, or the `gpu` feature off) the report says
//! `available: false` with the reason, one warning line goes to stderr, and everything
//! else works. Findings are `analyse`'s; this module only measures.
//!
//! Files: `source` (the trait, its errors, recorded samples), `nvml` (the real
//! source), `track` (running figures per device and per component).

#[cfg(feature = "gpu")]
mod nvml;
mod source;
mod track;

#[cfg(feature = "gpu")]
pub use nvml::NvmlSource;
pub use source::{DeviceInfo, GpuError, GpuSource, RecordedSource};

use super::ticker::{Flow, Ticker};
use crate::config::Config;
use crate::model::{ComponentGpu, GpuPoint, GpuReport, Lang};
use crate::record::{component, mode, shard};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use track::{ComponentTrack, Track};

/// Reason given when `PROFILER_GPU` is off.
pub const SWITCHED_OFF: &str = "switched off by PROFILER_GPU";
/// Reason given when the crate was built without NVML.
pub const NOT_BUILT: &str = "built without the `gpu` feature";

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
    last_error: Option<GpuError>,
    /// Whether this sampler turned running counts on (and must turn them off).
    counts_running: bool,
    /// Print the warning line, in this language, when no GPU can be sampled.
    warn: Option<Lang>,
    /// Keep each device's latest sample in [`latest`] (background samplers).
    share_latest: bool,
}

/// Each device's latest sample of the running background sampler (for live gauges).
static LATEST: Mutex<Vec<(DeviceInfo, GpuPoint)>> = Mutex::new(Vec::new());

/// The latest sample of every device of the running background GPU sampler (the one
/// `profiler::init()` starts), for live gauges; empty when none runs or no GPU is found.
pub fn latest() -> Vec<(DeviceInfo, GpuPoint)> {
    LATEST.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

impl State {
    fn discover(&mut self) {
        self.phase = match self.source.devices() {
            Ok(d) if d.is_empty() => Phase::Unavailable("no GPU found".into()),
            Ok(d) => {
                self.devices = d.into_iter().map(Track::new).collect();
                mode::running_counts_acquire();
                self.counts_running = true;
                Phase::Sampling
            }
            Err(reason) => Phase::Unavailable(reason.to_string()),
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
        let mut latest = Vec::new();
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
                    if self.share_latest {
                        latest.push((d.info.clone(), p.clone()));
                    }
                    d.push(p);
                }
                Err(e) => self.last_error = Some(e),
            }
        }
        if sampled == 0 {
            return;
        }
        if self.share_latest {
            *LATEST.lock().unwrap_or_else(|e| e.into_inner()) = latest;
        }
        let util = util / sampled as f64;
        shard::running(&mut self.running);
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
            c.add(util, vram);
        }
    }

    fn report(&self, interval_ms: u64) -> GpuReport {
        let (available, reason, devices) = match &self.phase {
            Phase::Sampling => {
                let devices: Vec<_> = self.devices.iter().map(Track::device).collect();
                let none_sampled = devices.iter().all(|d| d.samples.is_empty());
                let reason = none_sampled.then(|| match &self.last_error {
                    Some(e) => format!("no GPU sample succeeded yet ({e})"),
                    None => "no GPU sample taken yet".into(),
                });
                (true, reason, devices)
            }
            Phase::Unavailable(reason) => (false, Some(reason.clone()), Vec::new()),
            Phase::Starting => (false, Some("GPU sampler still starting".into()), Vec::new()),
        };
        GpuReport {
            available,
            reason,
            interval_ms,
            thresholds: Default::default(),
            devices,
        }
    }
}

struct Shared {
    state: Mutex<State>,
    /// Signalled when the devices are known.
    ready: Condvar,
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
    ticker: Option<Ticker>,
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
                    share_latest: false,
                }),
                ready: Condvar::new(),
            }),
            interval_ms,
            ticker: None,
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
        {
            let mut st = s.shared.state();
            st.warn = warn;
            st.share_latest = true;
        }
        let shared = s.shared.clone();
        let ticker = Ticker::start(
            "profiler-gpu",
            true,
            move || interval,
            move || {
                let mut st = shared.state();
                if matches!(st.phase, Phase::Starting) {
                    st.discover();
                    st.tick();
                    drop(st);
                    shared.ready.notify_all();
                    return Flow::Continue;
                }
                if !matches!(st.phase, Phase::Sampling) {
                    return Flow::Stop;
                }
                st.tick();
                Flow::Continue
            },
        );
        match ticker {
            Ok(t) => s.ticker = Some(t),
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
        let metas = component::metas();
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
        crate::status::line(format_args!("{}", unavailable_warning(reason, lang)));
    }
}

impl Drop for GpuSampler {
    fn drop(&mut self) {
        if let Some(mut t) = self.ticker.take() {
            t.stop();
        }
        let mut st = self.shared.state();
        if std::mem::take(&mut st.counts_running) {
            mode::running_counts_release();
        }
        if st.share_latest {
            LATEST.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::GpuPoint;
    use crate::sample::timeline::MAX_POINTS;

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
