//! The background memory sampler: process RSS/VMS every interval, a baseline once
//! every component's warm-up is over, growth in MB per minute.
//!
//! Memory stays bounded on long runs: past `MAX_POINTS` the timeline keeps every other
//! point and samples half as often.

use super::memory;
use crate::report::model::{MemoryPoint, MemoryReport};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const MAX_POINTS: usize = 4096;
const MB: f64 = 1024.0 * 1024.0;

#[derive(Default)]
struct Timeline {
    points: Vec<MemoryPoint>,
    baseline: Option<MemoryPoint>,
    peak_rss_mb: f64,
    interval_ms: u64,
}

impl Timeline {
    fn push(&mut self, p: MemoryPoint, warmed_up: bool) {
        if self.baseline.is_none() && warmed_up {
            self.baseline = Some(p);
        }
        self.peak_rss_mb = self.peak_rss_mb.max(p.rss_mb);
        if self.points.len() >= MAX_POINTS {
            let kept: Vec<MemoryPoint> = self.points.iter().copied().step_by(2).collect();
            self.points = kept;
            self.interval_ms *= 2;
        }
        self.points.push(p);
    }

    fn report(&self) -> Option<MemoryReport> {
        let last = *self.points.last()?;
        let base = self.baseline.unwrap_or(self.points[0]);
        let growth = last.rss_mb - base.rss_mb;
        let minutes = (last.t_sec - base.t_sec) / 60.0;
        Some(MemoryReport {
            interval_ms: self.interval_ms,
            baseline_rss_mb: base.rss_mb,
            baseline_at_sec: base.t_sec,
            final_rss_mb: last.rss_mb,
            peak_rss_mb: self.peak_rss_mb,
            growth_mb: growth,
            growth_mb_per_min: if minutes > 0.0 { growth / minutes } else { 0.0 },
            leak: None,
            timeline: self.points.clone(),
        })
    }
}

struct Shared {
    timeline: Mutex<Timeline>,
    stop: Mutex<bool>,
    wake: Condvar,
}

/// A running memory sampler; stops when dropped.
pub struct MemorySampler {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    started: Instant,
}

impl MemorySampler {
    /// Samples now and then every `interval` on a background thread.
    /// `warmed_up` tells whether the baseline may be taken yet.
    pub fn start(interval: Duration, warmed_up: fn() -> bool) -> MemorySampler {
        let shared = Arc::new(Shared {
            timeline: Mutex::new(Timeline {
                interval_ms: interval.as_millis() as u64,
                ..Timeline::default()
            }),
            stop: Mutex::new(false),
            wake: Condvar::new(),
        });
        let started = Instant::now();
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("profiler-memory".into())
            .spawn(move || loop {
                sample_into(&s, started, warmed_up());
                let every =
                    Duration::from_millis(s.timeline.lock().map(|t| t.interval_ms).unwrap_or(1000));
                let stop = s.stop.lock().unwrap_or_else(|e| e.into_inner());
                let (stop, _) = s
                    .wake
                    .wait_timeout(stop, every)
                    .unwrap_or_else(|e| e.into_inner());
                if *stop {
                    break;
                }
            })
            .ok();
        MemorySampler {
            shared,
            thread,
            started,
        }
    }

    /// The report so far (takes one more sample first, so the end of the run is in it).
    pub fn report(&self, warmed_up: bool) -> Option<MemoryReport> {
        sample_into(&self.shared, self.started, warmed_up);
        self.shared
            .timeline
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .report()
    }
}

fn sample_into(s: &Shared, started: Instant, warmed_up: bool) {
    if let Some(r) = memory::read() {
        let p = MemoryPoint {
            t_sec: started.elapsed().as_secs_f64(),
            rss_mb: r.rss_bytes as f64 / MB,
            vms_mb: r.vms_bytes as f64 / MB,
        };
        s.timeline
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p, warmed_up);
    }
}

impl Drop for MemorySampler {
    fn drop(&mut self) {
        *self.shared.stop.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: f64, rss: f64) -> MemoryPoint {
        MemoryPoint {
            t_sec: t,
            rss_mb: rss,
            vms_mb: rss * 2.0,
        }
    }

    #[test]
    fn growth_is_measured_from_the_baseline_after_warm_up() {
        let mut t = Timeline {
            interval_ms: 1000,
            ..Default::default()
        };
        t.push(point(0.0, 500.0), false); // model loading, not the baseline
        t.push(point(30.0, 1000.0), true);
        t.push(point(90.0, 1060.0), true);
        let r = t.report().unwrap();
        assert_eq!(r.baseline_rss_mb, 1000.0);
        assert_eq!(r.growth_mb, 60.0);
        assert!((r.growth_mb_per_min - 60.0).abs() < 1e-9);
        assert_eq!(r.peak_rss_mb, 1060.0);
    }

    #[test]
    fn a_long_run_keeps_a_bounded_timeline() {
        let mut t = Timeline {
            interval_ms: 10,
            ..Default::default()
        };
        for i in 0..10 * MAX_POINTS {
            t.push(point(i as f64, 100.0), true);
        }
        assert!(t.points.len() <= MAX_POINTS);
        assert!(t.interval_ms > 10);
    }
}
