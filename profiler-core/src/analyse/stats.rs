//! Latency figures from histograms (the only place a percentile is computed).

use crate::model::LatencyStats;
use hdrhistogram::Histogram;

const NS_PER_MS: f64 = 1e6;

/// Latency figures (ms) of a histogram of nanoseconds. All zero when empty.
///
/// The figures are HDR's own (`mean`, `stdev`, `value_at_quantile`, bit for bit), from
/// one walk over the buckets instead of HDR's six: merge and compare read every
/// component's histogram, and on reports of many components that walk is their time.
pub fn latency_stats(h: &Histogram<u64>) -> LatencyStats {
    if h.is_empty() {
        return LatencyStats::default();
    }
    let ms = |ns: u64| ns as f64 / NS_PER_MS;
    let recorded = recorded_buckets(h);
    let total = h.len();
    // Summed in HDR's order and with its operations, so the result is HDR's.
    let mean = recorded.iter().fold(0.0_f64, |sum, &(v, n)| {
        sum + h.median_equivalent(v) as f64 * n as f64 / total as f64
    });
    let deviations = recorded.iter().fold(0.0_f64, |sum, &(v, n)| {
        let d = h.median_equivalent(v) as f64 - mean;
        sum + (d * d) * n as f64
    });
    let quantile = |q: f64| value_at_quantile(&recorded, total, q).unwrap_or(0);
    LatencyStats {
        count: total,
        mean: mean / NS_PER_MS,
        median: ms(quantile(0.5)),
        p95: ms(quantile(0.95)),
        p99: ms(quantile(0.99)),
        std: (deviations / total as f64).sqrt() / NS_PER_MS,
        min: ms(h.min()),
        max: ms(h.max()),
    }
}

/// `(highest equivalent value, count)` of every bucket of `h` holding a sample, in
/// value order: what [`value_at_quantile`] reads, and what the live deltas diff.
pub(crate) fn recorded_buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// HDR's `value_at_quantile` over `(value, count)` pairs in value order whose counts
/// sum to `total`: the first value whose running count reaches `ceil(q * total)` (at
/// least 1), `q` taken within 0 to 1. `None` when there is no sample. With each
/// bucket's highest equivalent value, as `iter_recorded` gives it, the result is
/// HDR's to the bit; the report and the rolling alert windows both take theirs here.
pub(crate) fn value_at_quantile(sorted: &[(u64, u64)], total: u64, q: f64) -> Option<u64> {
    if total == 0 {
        return None;
    }
    let wanted = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
    let mut running = 0u64;
    sorted.iter().find_map(|&(v, n)| {
        running = running.saturating_add(n);
        (running >= wanted).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::histogram::new_histogram;

    #[test]
    fn figures_come_from_the_histogram_in_ms() {
        let mut h = new_histogram();
        for v in [1_000_000u64, 2_000_000, 3_000_000, 4_000_000] {
            h.record(v).unwrap();
        }
        let s = latency_stats(&h);
        assert_eq!(s.count, 4);
        assert!((s.mean - 2.5).abs() < 0.01, "{s:?}");
        assert!(
            (s.max - 4.0).abs() < 0.01 && (s.min - 1.0).abs() < 0.01,
            "{s:?}"
        );
        assert_eq!(latency_stats(&new_histogram()), LatencyStats::default());
    }

    #[test]
    fn one_walk_gives_hdrs_own_figures_bit_for_bit() {
        let mut seed = 7u64;
        for n in [1u64, 2, 3, 10, 1000, 100_000] {
            let mut h = new_histogram();
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Log-spread values from 1 ns to about 10 minutes, some repeated.
                let v = (seed >> 24) % (1u64 << ((seed >> 58) % 40 + 1));
                h.record_n(v, seed % 3 + 1).unwrap();
            }
            let s = latency_stats(&h);
            let ms = |ns: u64| ns as f64 / NS_PER_MS;
            assert_eq!(s.count, h.len());
            assert_eq!(s.mean.to_bits(), (h.mean() / NS_PER_MS).to_bits(), "n={n}");
            assert_eq!(s.std.to_bits(), (h.stdev() / NS_PER_MS).to_bits(), "n={n}");
            assert_eq!(s.median, ms(h.value_at_quantile(0.5)), "n={n}");
            assert_eq!(s.p95, ms(h.value_at_quantile(0.95)), "n={n}");
            assert_eq!(s.p99, ms(h.value_at_quantile(0.99)), "n={n}");
        }
    }
}
