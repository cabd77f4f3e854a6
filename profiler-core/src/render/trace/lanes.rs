//! Lanes: intervals laid out on as few tracks as keep every track properly nested.
//! A trace viewer draws one track as a stack of slices, so two intervals on a track
//! must be either disjoint or one inside the other; overlapping stages of one session
//! (an LLM stream still running while TTS speaks) go to the next lane.

/// Lays `spans` (start, end; `end >= start`) out on lanes: the lane of each, in the
/// order given, and how many lanes there are. Greedy in start order (a longer span
/// first at equal starts, so it holds the shorter ones), each into the first lane
/// where it nests in or follows what is open there.
pub(crate) fn lay_out(spans: &[(u64, u64)]) -> (Vec<u32>, u32) {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, std::cmp::Reverse(spans[i].1), i));
    // Per lane, the ends of the spans still open there, innermost last.
    let mut lanes: Vec<Vec<u64>> = Vec::new();
    let mut lane_of = vec![0u32; spans.len()];
    for i in order {
        let (start, end) = spans[i];
        let found = lanes.iter_mut().position(|open| {
            while open.last().is_some_and(|&e| e <= start) {
                open.pop();
            }
            open.last().is_none_or(|&e| end <= e)
        });
        let lane = found.unwrap_or_else(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        lanes[lane].push(end);
        lane_of[i] = lane as u32;
    }
    (lane_of, lanes.len() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_and_following_spans_share_a_lane_and_overlapping_ones_do_not() {
        let spans = [
            (0, 100),   // llm stream
            (10, 20),   // a call inside it
            (50, 150),  // tts: overlaps the llm stream
            (100, 120), // after the llm ended: back on lane 0
            (60, 70),   // inside both: the first lane it nests in
            (110, 160), // overlaps what is open on lanes 0 (100-120) and 1 (tts): a third
            (150, 155), // lane 0 is free again
        ];
        let (lanes, n) = lay_out(&spans);
        assert_eq!(lanes, vec![0, 0, 1, 0, 0, 2, 0]);
        assert_eq!(n, 3);
    }

    #[test]
    fn a_span_ending_where_the_next_begins_keeps_the_lane() {
        let (lanes, n) = lay_out(&[(0, 10), (10, 20), (20, 20)]);
        assert_eq!((lanes, n), (vec![0, 0, 0], 1));
    }

    #[test]
    fn equal_starts_put_the_longer_span_outside() {
        let (lanes, n) = lay_out(&[(5, 6), (5, 50)]);
        assert_eq!((lanes, n), (vec![0, 0], 1));
    }
}
