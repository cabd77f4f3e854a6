//! Latency figures from histograms (the only place a percentile is computed).

use crate::model::LatencyStats;
use hdrhistogram::Histogram;

const NS_PER_MS: f64 = 1e6;

/// Latency figures (ms) of a histogram of nanoseconds. All zero when empty.
pub fn latency_stats(h: &Histogram<u64>) -> LatencyStats {
    if h.is_empty() {
        return LatencyStats::default();
    }
    let ms = |ns: u64| ns as f64 / NS_PER_MS;
    LatencyStats {
        count: h.len(),
        mean: h.mean() / NS_PER_MS,
        median: ms(h.value_at_quantile(0.5)),
        p95: ms(h.value_at_quantile(0.95)),
        p99: ms(h.value_at_quantile(0.99)),
        std: h.stdev() / NS_PER_MS,
        min: ms(h.min()),
        max: ms(h.max()),
    }
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
}
