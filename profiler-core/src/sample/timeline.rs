//! `Timeline`: a bounded series of samples. Every sample is offered; past its capacity
//! the timeline keeps every other point and from then on keeps half as many, so a
//! 24-hour run holds as many points as a 1-hour one, evenly spread over the run.

/// Points kept before a timeline is thinned.
pub(crate) const MAX_POINTS: usize = 4096;

/// A bounded timeline (see the module docs).
#[derive(Clone, Debug)]
pub(crate) struct Timeline<T> {
    points: Vec<T>,
    /// One sample in `stride` is kept.
    stride: u64,
    offered: u64,
    cap: usize,
}

impl<T: Clone> Timeline<T> {
    /// An empty timeline holding at most `cap` points (at least 2).
    pub(crate) fn new(cap: usize) -> Self {
        Timeline {
            points: Vec::new(),
            stride: 1,
            offered: 0,
            cap: cap.max(2),
        }
    }

    /// Offers one sample.
    pub(crate) fn push(&mut self, p: T) {
        if self.offered.is_multiple_of(self.stride) {
            if self.points.len() >= self.cap {
                let kept = self.points.iter().step_by(2).cloned().collect();
                self.points = kept;
                self.stride *= 2;
            }
            self.points.push(p);
        }
        self.offered += 1;
    }

    /// The kept points, oldest first.
    pub(crate) fn points(&self) -> &[T] {
        &self.points
    }

    /// One sample in how many is kept.
    pub(crate) fn stride(&self) -> u64 {
        self.stride
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_keeps_a_bounded_evenly_spread_timeline() {
        let mut t = Timeline::new(100);
        for i in 0..10_000u64 {
            t.push(i);
        }
        let p = t.points();
        assert!(p.len() <= 100 && p.len() > 25, "{}", p.len());
        assert_eq!(p[0], 0);
        let gaps: Vec<u64> = p.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| *g == t.stride()), "{gaps:?}");
        assert!(*p.last().unwrap() >= 10_000 - t.stride());
    }
}
