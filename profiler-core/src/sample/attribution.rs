//! `Attribution`: the process's RSS change split among the components that ran, so
//! that per-component figures add up when calls overlap.
//!
//! Definition. Between two probes (RSS reads by the memory sampler) the RSS changes by
//! ΔR. Each component ran for B_c of that interval: the summed time of its calls
//! inside it (calls that overlap each other count each; a call still running counts
//! up to the probe). Component c is charged `ΔR × B_c / ΣB`: the change is split among
//! the components that ran in the interval, in proportion to their running time. An
//! interval in which no component ran leaves its change **unattributed**. Shares are
//! rounded toward zero and the rounding joins the unattributed part, so for every
//! interval, and so for the whole run, the components' shares plus the unattributed
//! part equal the RSS change from the first probe to the last, to the byte.
//!
//! So a short call alone in a long interval is charged the whole change of that
//! interval (probes are spaced widely when calls are sparse), and memory that code
//! outside every component allocates while a component runs is charged to that
//! component: the owner-tracking `CountingAllocator` tells them apart exactly.
//!
//! A share is what the process grew (or shrank) while the component ran, split with
//! whatever ran beside it: not what the component itself allocated (the
//! owner-tracking `CountingAllocator` measures that exactly).
//!
//! Cadence and cost. Probes run on the sampler's thread, never on a call's path (a
//! syscall there is a scheduling point that shifts the call's latency). Each probe's
//! cost is measured as it runs: the sampler thread's CPU time, its wake-up included.
//! Probes are spaced so that their measured cost, beyond one read per timeline
//! interval (`PROFILER_MEMORY_INTERVAL_MS`, the process timeline's own), stays within
//! `PROFILER_MEMORY_OVERHEAD_PCT` of the components' running time; at most one probe
//! per `MIN_INTERVAL`, and while nothing runs the interval doubles up to the timeline's.
//!
//! Invariants: `running_time` sums are cumulative; an interval whose running times
//! cannot be read consistently is merged into the next one (nothing is lost).

use crate::record::{clock, probe::Reading, shard};
use std::time::Duration;

/// The shortest interval between two probes.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_millis(5);

/// Splits an RSS change `delta` (bytes) among components that ran `running_ns[c]` of
/// its interval (see the module docs). Writes each component's share into `shares` and
/// returns the unattributed part; the shares and the return value add up to `delta`
/// exactly.
pub(crate) fn split(delta: i64, running_ns: &[u64], shares: &mut Vec<i64>) -> i64 {
    shares.clear();
    let denom: u128 = running_ns.iter().map(|&b| b as u128).sum();
    let mut attributed = 0i64;
    for &b in running_ns {
        let share = if denom == 0 {
            0
        } else {
            // |delta × b / denom| ≤ |delta|: it fits.
            (delta as i128 * b as i128 / denom as i128) as i64
        };
        attributed += share;
        shares.push(share);
    }
    delta - attributed
}

/// One component's part of the RSS changes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Share {
    /// Summed shares over the run, bytes.
    pub(crate) bytes: i64,
    /// Intervals in which it ran.
    pub(crate) probes: u64,
    /// Its running time in them, ns.
    pub(crate) running_ns: u64,
    /// Process RSS and VMS at the start of the first interval it ran in, and at the
    /// end of the last.
    pub(crate) first: Option<(u64, u64)>,
    pub(crate) last: (u64, u64),
    /// `bytes` when the baseline was taken (after warm-up); `None`: before it.
    pub(crate) at_baseline: Option<i64>,
}

/// The probe that closed the last interval.
struct Mark {
    tick: u64,
    reading: Reading,
    /// Cumulative running time by component id, raw ticks.
    running: Vec<u64>,
}

/// The ledger of RSS changes and the probes' cost (see the module docs).
pub(crate) struct Attribution {
    pub(crate) budget_pct: f64,
    timeline_interval: Duration,
    last: Option<Mark>,
    /// Scratch buffers, kept to probe without allocating.
    running: Vec<u64>,
    running_ns: Vec<u64>,
    shares: Vec<i64>,
    pub(crate) components: Vec<Share>,
    pub(crate) unattributed: i64,
    /// RSS at the first probe, bytes.
    pub(crate) first_rss: u64,
    pub(crate) last_rss: u64,
    /// Intervals closed.
    pub(crate) probes: u64,
    /// Components' running time, summed, ns.
    pub(crate) running_total_ns: u64,
    /// Measured cost of every probe, ns, and of how many.
    pub(crate) cost_ns: u64,
    pub(crate) costed: u64,
    /// Wall time since the first probe, ns (for the timeline's free reads).
    pub(crate) elapsed_ns: u64,
    /// Running time over wall time in the last interval (0: nothing ran).
    busy_rate: f64,
    interval: Duration,
}

impl Attribution {
    /// A ledger holding probes to `budget_pct` percent of component running time,
    /// beyond one read per `timeline_interval`.
    pub(crate) fn new(budget_pct: f64, timeline_interval: Duration) -> Attribution {
        Attribution {
            budget_pct,
            timeline_interval: timeline_interval.max(MIN_INTERVAL),
            last: None,
            running: Vec::new(),
            running_ns: Vec::new(),
            shares: Vec::new(),
            components: Vec::new(),
            unattributed: 0,
            first_rss: 0,
            last_rss: 0,
            probes: 0,
            running_total_ns: 0,
            cost_ns: 0,
            costed: 0,
            elapsed_ns: 0,
            busy_rate: 0.0,
            interval: MIN_INTERVAL,
        }
    }

    /// Closes the interval since the last probe at `reading`, taken at raw time `tick`
    /// (running times are read now, beside it).
    pub(crate) fn probe(&mut self, tick: u64, reading: Reading) {
        // Running times not read consistently: this interval is merged into the next.
        if !shard::running_time(tick, &mut self.running) {
            return;
        }
        let Some(last) = self.last.as_mut() else {
            self.first_rss = reading.rss_bytes;
            self.last_rss = reading.rss_bytes;
            self.last = Some(Mark {
                tick,
                reading,
                running: self.running.clone(),
            });
            return;
        };
        let interval_ns = clock::nanos_between(last.tick, tick);
        self.running_ns.clear();
        for (id, &now) in self.running.iter().enumerate() {
            let before = last.running.get(id).copied().unwrap_or(0);
            // A call that began while the running times were read can make this a few
            // ticks negative: nothing ran then.
            let ticks = now.wrapping_sub(before);
            let ticks = if (ticks as i64) < 0 { 0 } else { ticks };
            self.running_ns.push(clock::nanos_between(0, ticks));
        }
        let delta = reading.rss_bytes as i64 - last.reading.rss_bytes as i64;
        self.unattributed += split(delta, &self.running_ns, &mut self.shares);
        if self.components.len() < self.running_ns.len() {
            self.components
                .resize(self.running_ns.len(), Share::default());
        }
        let mut running_sum = 0u64;
        for ((c, &ns), &share) in self
            .components
            .iter_mut()
            .zip(&self.running_ns)
            .zip(&self.shares)
        {
            if ns == 0 {
                continue;
            }
            running_sum = running_sum.saturating_add(ns);
            c.bytes += share;
            c.probes += 1;
            c.running_ns = c.running_ns.saturating_add(ns);
            c.first
                .get_or_insert((last.reading.rss_bytes, last.reading.vms_bytes));
            c.last = (reading.rss_bytes, reading.vms_bytes);
        }
        self.running_total_ns = self.running_total_ns.saturating_add(running_sum);
        self.busy_rate = if interval_ns > 0 {
            running_sum as f64 / interval_ns as f64
        } else {
            0.0
        };
        self.elapsed_ns = self.elapsed_ns.saturating_add(interval_ns);
        self.probes += 1;
        self.last_rss = reading.rss_bytes;
        last.tick = tick;
        last.reading = reading;
        std::mem::swap(&mut last.running, &mut self.running);
    }

    /// Counts `ns` of measured probe cost.
    pub(crate) fn cost(&mut self, ns: u64) {
        self.cost_ns = self.cost_ns.saturating_add(ns);
        self.costed += 1;
    }

    /// Marks the baseline (after warm-up; taken again while one runs, see `memory`):
    /// each component's shares from now on are its growth since the baseline.
    pub(crate) fn take_baseline(&mut self) {
        for c in &mut self.components {
            c.at_baseline = Some(c.bytes);
        }
    }

    /// Mean measured cost of a probe, ns.
    pub(crate) fn mean_cost_ns(&self) -> f64 {
        if self.costed == 0 {
            0.0
        } else {
            self.cost_ns as f64 / self.costed as f64
        }
    }

    /// The probes' measured cost beyond the timeline's own reads (one per timeline
    /// interval), ns.
    pub(crate) fn counted_cost_ns(&self) -> f64 {
        let free =
            self.mean_cost_ns() * self.elapsed_ns as f64 / self.timeline_interval.as_nanos() as f64;
        (self.cost_ns as f64 - free).max(0.0)
    }

    /// When to probe next: as soon as the budget allows it (see the module docs).
    pub(crate) fn next_interval(&mut self) -> Duration {
        let max = self.timeline_interval;
        let next = if self.busy_rate <= 0.0 {
            // Nothing ran: back off towards the timeline's own interval.
            self.interval.saturating_mul(2)
        } else if self.budget_pct <= 0.0 {
            max
        } else {
            let pct = self.budget_pct / 100.0;
            let mean = self.mean_cost_ns();
            let allowed = pct * self.running_total_ns as f64;
            // What the next probe would overdraw, keeping room for one more (a
            // report's own reading), earned back by running time at the last
            // interval's rate (and by the timeline's free reads).
            let deficit = self.counted_cost_ns() + 2.0 * mean - allowed;
            if deficit <= 0.0 {
                MIN_INTERVAL
            } else {
                let earn_per_ns = pct * self.busy_rate + mean / max.as_nanos() as f64;
                Duration::from_nanos((deficit / earn_per_ns).min(max.as_nanos() as f64) as u64)
            }
        };
        self.interval = next.clamp(MIN_INTERVAL, max);
        self.interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_the_unattributed_part_add_up_to_the_change() {
        let mut shares = Vec::new();
        // Two calls, one running three times longer than the other in the interval.
        let un = split(4_000_007, &[7_500_000, 2_500_000], &mut shares);
        assert_eq!(shares, vec![3_000_005, 1_000_001]);
        assert_eq!(un, 1);
        // A shrinking RSS is split the same way; a component that did not run gets 0.
        let un = split(-1_000_000, &[3_000_000, 0, 1_000_000], &mut shares);
        assert_eq!(shares, vec![-750_000, 0, -250_000]);
        assert_eq!(un, 0);
        // Nothing ran: all of it is unattributed.
        assert_eq!(split(4096, &[0, 0], &mut shares), 4096);
        assert_eq!(split(4096, &[], &mut shares), 4096);
        // One call alone: all of it, however short it was.
        let un = split(8192, &[1], &mut shares);
        assert_eq!((shares.clone(), un), (vec![8192], 0));
    }

    #[test]
    fn the_interval_stretches_until_running_time_pays_for_the_probes() {
        let mut a = Attribution::new(1.0, Duration::from_millis(500));
        a.busy_rate = 1.0;
        a.running_total_ns = 1_000_000_000; // 1 s of calls: 10 ms of probes allowed
        a.cost(30_000);
        assert_eq!(a.next_interval(), MIN_INTERVAL, "well within the budget");
        // 20 ms of probes measured: 10 ms over budget, earned back at 1 % of one
        // running call per ns, plus the timeline's allowance.
        a.cost_ns = 20_000_000;
        a.costed = 1000;
        let next = a.next_interval();
        assert!(
            next > Duration::from_millis(400) && next <= Duration::from_millis(500),
            "{next:?}"
        );
        // Nothing ran: the interval doubles up to the timeline's.
        a.busy_rate = 0.0;
        a.interval = MIN_INTERVAL;
        assert_eq!(a.next_interval(), MIN_INTERVAL * 2);
        assert_eq!(a.next_interval(), MIN_INTERVAL * 4);
    }
}
