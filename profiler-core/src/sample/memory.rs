//! The background memory sampler: process RSS/VMS every interval, a baseline once
//! every component's warm-up is over, growth in MB per minute. The timeline is bounded
//! (see `timeline`): on long runs the kept points are spread further apart.

use super::ticker::{Flow, Ticker};
use super::timeline::{Timeline, MAX_POINTS};
use crate::model::{MemoryPoint, MemoryReport};
use crate::record::probe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MB: f64 = 1024.0 * 1024.0;

struct Track {
    timeline: Timeline<MemoryPoint>,
    baseline: Option<MemoryPoint>,
    first: Option<MemoryPoint>,
    last: Option<MemoryPoint>,
    peak_rss_mb: f64,
    interval_ms: u64,
}

impl Track {
    fn new(interval_ms: u64) -> Track {
        Track {
            timeline: Timeline::new(MAX_POINTS),
            baseline: None,
            first: None,
            last: None,
            peak_rss_mb: 0.0,
            interval_ms,
        }
    }

    fn push(&mut self, p: MemoryPoint, warmed_up: bool) {
        if self.baseline.is_none() && warmed_up {
            self.baseline = Some(p);
        }
        self.first.get_or_insert(p);
        self.last = Some(p);
        self.peak_rss_mb = self.peak_rss_mb.max(p.rss_mb);
        self.timeline.push(p);
    }

    fn report(&self) -> Option<MemoryReport> {
        let last = self.last?;
        let base = self.baseline.or(self.first)?;
        let growth = last.rss_mb - base.rss_mb;
        let minutes = (last.t_sec - base.t_sec) / 60.0;
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
        })
    }
}

/// A running memory sampler; stops when dropped.
pub struct MemorySampler {
    track: Arc<Mutex<Track>>,
    started: Instant,
    _ticker: Option<Ticker>,
}

fn sample_into(track: &Mutex<Track>, started: Instant, warmed_up: bool) {
    if let Some(r) = probe::read() {
        let p = MemoryPoint {
            t_sec: started.elapsed().as_secs_f64(),
            rss_mb: r.rss_bytes as f64 / MB,
            vms_mb: r.vms_bytes as f64 / MB,
        };
        track
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(p, warmed_up);
    }
}

impl MemorySampler {
    /// Samples now and then every `interval` on a background thread.
    /// `warmed_up` tells whether the baseline may be taken yet.
    pub fn start(interval: Duration, warmed_up: fn() -> bool) -> MemorySampler {
        let track = Arc::new(Mutex::new(Track::new(interval.as_millis() as u64)));
        let started = Instant::now();
        let t = track.clone();
        let ticker = Ticker::start(
            "profiler-memory",
            true,
            move || interval,
            move || {
                sample_into(&t, started, warmed_up());
                Flow::Continue
            },
        )
        .ok();
        MemorySampler {
            track,
            started,
            _ticker: ticker,
        }
    }

    /// The report so far (takes one more sample first, so the end of the run is in it).
    pub fn report(&self, warmed_up: bool) -> Option<MemoryReport> {
        sample_into(&self.track, self.started, warmed_up);
        self.track
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .report()
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
        let mut t = Track::new(1000);
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
        let mut t = Track::new(10);
        for i in 0..10 * MAX_POINTS {
            t.push(point(i as f64, 100.0), true);
        }
        let r = t.report().unwrap();
        assert!(r.timeline.len() <= MAX_POINTS);
        assert!(r.interval_ms > 10);
        // The end of the run is in the figures even when its point was not kept.
        assert_eq!(r.final_rss_mb, 100.0);
    }
}
