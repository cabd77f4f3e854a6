//! The background memory sampler: process RSS/VMS, the timeline of it (one point per
//! `PROFILER_MEMORY_INTERVAL_MS`), a baseline once every component's warm-up is over,
//! growth in MB per minute, and each component's share of the RSS changes
//! (`attribution`), probed as often as `PROFILER_MEMORY_OVERHEAD_PCT` allows. The
//! timeline is bounded (see `timeline`): on long runs the kept points are spread
//! further apart.
//!
//! The baseline is the first reading after every enabled component is past its
//! warm-up; during a warm-up it follows the latest reading. A warm-up that begins
//! later (a component registered with calls to skip) moves it again, even when the
//! whole warm-up fell between two readings (`component::warm_up` counts the warm-ups
//! begun): a program that calls `init` before its first profiled call, whose warm-up
//! then loads a model, is judged on what it gained after loading, not on the load.
//! Components without a warm-up begin none, so a run of only those (or of none) is
//! judged from its first reading.
//!
//! With the owner-tracking `CountingAllocator` it also keeps each component's live
//! heap bytes at the baseline, so the report can give live bytes gained after warm-up.

use super::attribution::{Attribution, Share, MIN_INTERVAL};
use super::ticker::{Flow, Ticker};
use super::timeline::{Timeline, MAX_POINTS};
use crate::aggregate::{HeapTotals, MemoryTotals, RssShareTotals};
use crate::model::{MemoryAttribution, MemoryPoint, MemoryReport};
use crate::record::{alloc, clock, component, mode, probe};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MB: f64 = 1024.0 * 1024.0;
/// Timeline interval of a manual sampler (its points are taken when ticked).
const MANUAL_INTERVAL_MS: u64 = 500;

struct Track {
    timeline: Timeline<MemoryPoint>,
    baseline: Option<MemoryPoint>,
    /// The warm-ups begun (`component::warm_up`) when the last reading was taken,
    /// `None` if it was taken during a warm-up (or before any component).
    warm: Option<u64>,
    last: Option<MemoryPoint>,
    peak_rss_mb: f64,
    interval_ms: u64,
    /// When the next timeline point is due, seconds since the start.
    next_point_sec: f64,
    /// The RSS split among components (`None`: `PROFILER_MEMORY_OVERHEAD_PCT` is 0).
    attribution: Option<Attribution>,
    /// Each component's live heap bytes at the baseline, by id (owners allocator).
    heap_at_baseline: Option<Vec<i64>>,
}

impl Track {
    fn new(interval_ms: u64, attribution: Option<Attribution>) -> Track {
        Track {
            timeline: Timeline::new(MAX_POINTS),
            baseline: None,
            warm: None,
            last: None,
            peak_rss_mb: 0.0,
            interval_ms,
            next_point_sec: 0.0,
            attribution,
            heap_at_baseline: None,
        }
    }

    /// Offers a point to the timeline: kept when one is due (or `force`). `warm` is
    /// `component::warm_up()` as of this reading: the baseline moves to every reading
    /// taken during a warm-up and to the first one after it (see the module docs).
    fn push(&mut self, p: MemoryPoint, warm: Option<u64>, force: bool) {
        let after_warm_up = warm.is_some() && self.warm == warm;
        if !after_warm_up || self.baseline.is_none() {
            self.baseline = Some(p);
            if let Some(a) = self.attribution.as_mut() {
                a.take_baseline();
            }
            if alloc::owners_installed() {
                let n = component::count() as u32;
                self.heap_at_baseline =
                    Some((0..n).map(|id| alloc::component_heap(id).live()).collect());
            }
        }
        self.warm = warm;
        self.last = Some(p);
        self.peak_rss_mb = self.peak_rss_mb.max(p.rss_mb);
        if force || p.t_sec >= self.next_point_sec {
            self.timeline.push(p);
            let every = self.interval_ms as f64 / 1e3;
            self.next_point_sec = (self.next_point_sec + every).max(p.t_sec + every / 2.0);
        }
    }

    /// Minutes from the baseline to the last reading.
    fn minutes_since_baseline(&self) -> f64 {
        match (self.baseline, self.last) {
            (Some(b), Some(l)) => (l.t_sec - b.t_sec) / 60.0,
            _ => 0.0,
        }
    }

    fn report(&self) -> Option<MemoryReport> {
        let last = self.last?;
        let base = self.baseline?;
        let growth = last.rss_mb - base.rss_mb;
        let minutes = self.minutes_since_baseline();
        Some(MemoryReport {
            interval_ms: self.interval_ms * self.timeline.stride(),
            baseline_rss_mb: base.rss_mb,
            baseline_at_sec: base.t_sec,
            final_rss_mb: last.rss_mb,
            peak_rss_mb: self.peak_rss_mb,
            growth_mb: growth,
            growth_mb_per_min: if minutes > 0.0 { growth / minutes } else { 0.0 },
            leak: None,
            timeline: self.timeline.points().to_vec(),
            attribution: self
                .attribution
                .as_ref()
                .filter(|a| a.probes > 0)
                .map(summary),
        })
    }

    /// Component `id`'s memory figures (bytes), as far as they were measured.
    fn component(&self, id: u32) -> MemoryTotals {
        let minutes = self.minutes_since_baseline();
        let per_min = |bytes: i64| {
            if minutes > 0.0 {
                bytes as f64 / minutes
            } else {
                0.0
            }
        };
        let rss = self
            .attribution
            .as_ref()
            .and_then(|a| a.components.get(id as usize))
            .filter(|s| s.probes > 0)
            .map(|s: &Share| {
                let since = s.bytes - s.at_baseline.unwrap_or(0);
                let (first_rss, first_vms) = s.first.unwrap_or(s.last);
                RssShareTotals {
                    probes: s.probes,
                    running_ns: s.running_ns,
                    share: s.bytes,
                    since_baseline: since,
                    growth_per_min: per_min(since),
                    rss_first: first_rss,
                    rss_last: s.last.0,
                    vms_first: first_vms,
                    vms_last: s.last.1,
                }
            });
        let heap = alloc::owners_installed().then(|| {
            let h = alloc::component_heap(id);
            let at_baseline = self
                .heap_at_baseline
                .as_ref()
                .and_then(|b| b.get(id as usize).copied())
                .unwrap_or(0);
            let since = h.live() - at_baseline;
            HeapTotals {
                allocated: h.allocated,
                freed: h.freed,
                since_baseline: since,
                growth_per_min: per_min(since),
            }
        });
        MemoryTotals {
            rss,
            heap,
            stated_delta: None,
        }
    }
}

/// What the report says of the attribution as a whole.
fn summary(a: &Attribution) -> MemoryAttribution {
    let running_sec = a.running_total_ns as f64 / 1e9;
    MemoryAttribution {
        probes: a.probes,
        first_rss_mb: a.first_rss as f64 / MB,
        last_rss_mb: a.last_rss as f64 / MB,
        change_mb: (a.last_rss as i64 - a.first_rss as i64) as f64 / MB,
        attributed_mb: (a.last_rss as i64 - a.first_rss as i64 - a.unattributed) as f64 / MB,
        unattributed_mb: a.unattributed as f64 / MB,
        running_sec,
        probe_cpu_ms: a.cost_ns as f64 / 1e6,
        mean_probe_us: a.mean_cost_ns() / 1e3,
        cost_pct: if running_sec > 0.0 {
            a.counted_cost_ns() / 1e9 / running_sec * 100.0
        } else {
            0.0
        },
        budget_pct: a.budget_pct,
    }
}

/// A running memory sampler; stops when dropped.
pub struct MemorySampler {
    track: Arc<Mutex<Track>>,
    started: Instant,
    ticker: Option<Ticker>,
    /// Whether this sampler turned running counts on (and must turn them off).
    counts_running: bool,
}

/// Reads memory now, closes an attribution interval and offers the reading to the
/// timeline. The caller counts the cost.
fn sample_into(track: &Mutex<Track>, started: Instant, warm: Option<u64>, force: bool) {
    let tick = clock::now();
    let Some(r) = probe::read() else { return };
    let mut t = track.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(a) = t.attribution.as_mut() {
        a.probe(tick, r);
    }
    let p = MemoryPoint {
        t_sec: started.elapsed().as_secs_f64(),
        rss_mb: r.rss_bytes as f64 / MB,
        vms_mb: r.vms_bytes as f64 / MB,
    };
    t.push(p, warm, force);
}

/// `sample_into` on the calling thread, counting its cost: the CPU time it took on
/// this thread, else its wall time.
fn probe_here(track: &Mutex<Track>, started: Instant, warm: Option<u64>, force: bool) {
    let (cpu, wall) = (thread_cpu_ns(), Instant::now());
    sample_into(track, started, warm, force);
    let cost = match (cpu, thread_cpu_ns()) {
        (Some(before), Some(after)) => after.saturating_sub(before),
        _ => wall.elapsed().as_nanos() as u64,
    };
    let mut t = track.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(a) = t.attribution.as_mut() {
        a.cost(cost);
    }
}

/// CPU time of the calling thread, ns (wake-ups and system calls included).
fn thread_cpu_ns() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid timespec to write into.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
        }
    }
    None
}

impl MemorySampler {
    /// Samples now and then every `interval` on a background thread (the timeline),
    /// and in between as often as `overhead_pct` percent of the components' running
    /// time allows (each component's share of the RSS changes; 0: no shares).
    /// `warm_up` tells whether every component is past its warm-up, with how many
    /// warm-ups had begun by then (`Some`), or not (`None`): the baseline is the first
    /// reading after the warm-ups (see the module docs).
    pub fn start(
        interval: Duration,
        overhead_pct: f64,
        warm_up: fn() -> Option<u64>,
    ) -> MemorySampler {
        let attribution = (overhead_pct > 0.0).then(|| Attribution::new(overhead_pct, interval));
        let counts_running = attribution.is_some();
        if counts_running {
            mode::running_counts_acquire();
        }
        let track = Arc::new(Mutex::new(Track::new(
            interval.as_millis() as u64,
            attribution,
        )));
        let started = Instant::now();
        // The first reading on the caller's thread: the run's start (and, without
        // warm-up, its baseline) is the moment profiling starts, not when the
        // sampler's thread first gets a core.
        probe_here(&track, started, warm_up(), true);
        let first = if counts_running {
            MIN_INTERVAL
        } else {
            interval
        };
        let next = Arc::new(AtomicU64::new(first.as_nanos() as u64));
        let (t, n) = (track.clone(), next.clone());
        let ticker = Ticker::start_with(
            "profiler-memory",
            false,
            move || Duration::from_nanos(next.load(Relaxed)),
            move || {
                // CPU time of this thread when its last tick ended, first marked as it
                // starts: the first tick is costed like the others (its wake-up, read
                // and bookkeeping), not by wall time, which a busy machine stretches.
                let mut cpu_mark = thread_cpu_ns();
                move || {
                    let wall = Instant::now();
                    sample_into(&t, started, warm_up(), false);
                    // This tick's cost: the thread's CPU time since the last tick
                    // ended, else the read's wall time.
                    let cpu = thread_cpu_ns();
                    let cost = match (cpu, cpu_mark) {
                        (Some(now), Some(mark)) => now.saturating_sub(mark),
                        _ => wall.elapsed().as_nanos() as u64,
                    };
                    cpu_mark = cpu;
                    let mut track = t.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(a) = track.attribution.as_mut() {
                        a.cost(cost);
                        n.store(a.next_interval().as_nanos() as u64, Relaxed);
                    }
                    Flow::Continue
                }
            },
        )
        .ok();
        MemorySampler {
            track,
            started,
            ticker,
            counts_running,
        }
    }

    /// A sampler that probes only when `tick` is called, on the caller's thread
    /// (tests, and programs that want probes at chosen points); `overhead_pct` as in
    /// `start` (0: no shares). Running counts are on while it lives.
    pub fn manual(overhead_pct: f64) -> MemorySampler {
        let attribution = (overhead_pct > 0.0)
            .then(|| Attribution::new(overhead_pct, Duration::from_millis(MANUAL_INTERVAL_MS)));
        let counts_running = attribution.is_some();
        if counts_running {
            mode::running_counts_acquire();
        }
        MemorySampler {
            track: Arc::new(Mutex::new(Track::new(MANUAL_INTERVAL_MS, attribution))),
            started: Instant::now(),
            ticker: None,
            counts_running,
        }
    }

    /// Probes now on the caller's thread: closes an attribution interval and offers
    /// the reading to the timeline (the CPU time it takes is counted as its cost).
    pub fn tick(&self) {
        probe_here(&self.track, self.started, component::warm_up(), false);
    }

    /// The report so far (takes one more sample first, so the end of the run is in it).
    /// `warmed_up` says whether that reading comes after the warm-up (a warm-up begun
    /// since the baseline still moves it there).
    pub fn report(&self, warmed_up: bool) -> Option<MemoryReport> {
        self.report_at(warmed_up.then(component::warm_ups_begun))
    }

    /// `report`, with `component::warm_up()` as of the caller's reading.
    pub(crate) fn report_at(&self, warm: Option<u64>) -> Option<MemoryReport> {
        probe_here(&self.track, self.started, warm, true);
        self.track
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .report()
    }

    /// Each component's memory figures up to the last reading (`report` takes one),
    /// by name; components with none measured are left out.
    pub fn component_memory(&self) -> BTreeMap<String, MemoryTotals> {
        let metas = component::metas();
        let t = self.track.lock().unwrap_or_else(|e| e.into_inner());
        metas
            .into_iter()
            .zip(0u32..)
            .map(|(m, id)| (m.name, t.component(id)))
            .filter(|(_, m)| !m.is_empty())
            .collect()
    }
}

impl Drop for MemorySampler {
    fn drop(&mut self) {
        // The thread stops first: no probe reads running counts once they are off.
        drop(self.ticker.take());
        if self.counts_running {
            mode::running_counts_release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every component past its warm-up, none begun since.
    const WARM: Option<u64> = Some(0);

    fn point(t: f64, rss: f64) -> MemoryPoint {
        MemoryPoint {
            t_sec: t,
            rss_mb: rss,
            vms_mb: rss * 2.0,
        }
    }

    #[test]
    fn growth_is_measured_from_the_baseline_after_warm_up() {
        let mut t = Track::new(1000, None);
        t.push(point(0.0, 500.0), None, false); // model loading, not the baseline
        t.push(point(30.0, 1000.0), WARM, false);
        t.push(point(90.0, 1060.0), WARM, false);
        let r = t.report().unwrap();
        assert_eq!(r.baseline_rss_mb, 1000.0);
        assert_eq!(r.growth_mb, 60.0);
        assert!((r.growth_mb_per_min - 60.0).abs() < 1e-9);
        assert_eq!(r.peak_rss_mb, 1060.0);
    }

    #[test]
    fn the_baseline_follows_the_readings_during_warm_up_and_stops_at_the_first_after() {
        let mut t = Track::new(1000, None);
        // A component loading its model while it warms up.
        t.push(point(0.0, 100.0), None, false);
        t.push(point(10.0, 400.0), None, false);
        t.push(point(20.0, 700.0), None, false);
        assert_eq!(t.report().unwrap().growth_mb, 0.0);
        t.push(point(30.0, 710.0), Some(1), false);
        t.push(point(90.0, 720.0), Some(1), false);
        let r = t.report().unwrap();
        assert_eq!((r.baseline_rss_mb, r.baseline_at_sec), (710.0, 30.0));
        assert_eq!(r.growth_mb, 10.0);
    }

    #[test]
    fn a_warm_up_begun_between_two_readings_moves_the_baseline_after_it() {
        let mut t = Track::new(1000, None);
        t.push(point(0.0, 100.0), Some(0), false);
        t.push(point(10.0, 101.0), Some(0), false);
        // A new component loaded 500 MB in its warm-up, all of it between readings.
        t.push(point(20.0, 601.0), Some(1), false);
        t.push(point(80.0, 602.0), Some(1), false);
        let r = t.report().unwrap();
        assert_eq!(r.baseline_rss_mb, 601.0);
        assert_eq!(r.growth_mb, 1.0);
    }

    #[test]
    fn a_run_still_warming_up_at_its_end_judges_no_growth() {
        let mut t = Track::new(1000, None);
        t.push(point(0.0, 100.0), None, false);
        t.push(point(60.0, 900.0), None, true);
        let r = t.report().unwrap();
        assert_eq!((r.baseline_rss_mb, r.growth_mb), (900.0, 0.0));
        // The timeline still shows the whole run.
        assert_eq!(r.timeline.len(), 2);
    }

    #[test]
    fn a_long_run_keeps_a_bounded_timeline() {
        let mut t = Track::new(10, None);
        for i in 0..10 * MAX_POINTS {
            t.push(point(i as f64, 100.0), WARM, false);
        }
        let r = t.report().unwrap();
        assert!(r.timeline.len() <= MAX_POINTS);
        assert!(r.interval_ms > 10);
        // The end of the run is in the figures even when its point was not kept.
        assert_eq!(r.final_rss_mb, 100.0);
    }

    #[test]
    fn probes_between_timeline_points_add_no_point() {
        let mut t = Track::new(500, None);
        for i in 0..100 {
            // A probe every 5 ms for 0.5 s: one timeline point, then the next one due.
            t.push(point(i as f64 * 0.005, 100.0), WARM, false);
        }
        assert_eq!(t.timeline.points().len(), 1);
        t.push(point(0.5, 100.0), WARM, false);
        t.push(point(0.51, 100.0), WARM, true); // the report's last reading is kept
        assert_eq!(t.timeline.points().len(), 3);
    }
}
