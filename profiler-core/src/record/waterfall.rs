//! The critical path of one turn: its E2E latency (turn start to response) split into
//! the stages on the path and the gaps between them, parts that add up to it exactly.
//!
//! The walk goes back from the response. At each point `t` the stage on the path is
//! the one whose latest *result* at or before `t` is the latest: a call that ended by
//! `t` (its end), or a stream still running at `t` that had yielded its first item
//! (it was streaming up to `t`). That stage is on the path from its start to that
//! result (a stream: to its first item as `Stage`, then as `Streaming`), the time from
//! the result to `t` is a gap, and the walk goes on from the stage's start. A call that
//! is running at `t` with no result yet runs beside the path, not on it. Each stretch of
//! time is covered once, so stages running in parallel are never counted twice, and
//! nanoseconds are taken as offsets from the turn's start, so the parts add up to the
//! E2E latency to the nanosecond.
//!
//! Invariants: pure (no clock, no global state); intervals may come from any thread in
//! any order.

/// A component id standing for "none": the turn's start (`after`) or its response (`before`).
pub(crate) const NONE: u32 = u32::MAX;

/// A part of the waterfall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum PartKey {
    /// Component `id` on the path until its result.
    Stage(u32),
    /// Component `id`'s stream on the path after its first item.
    Streaming(u32),
    /// Nothing profiled on the path, from `after`'s result (`NONE`: the turn's start)
    /// to `before`'s start (`NONE`: the response).
    Gap { after: u32, before: u32 },
    /// Parts past the bound on distinct parts.
    Other,
}

/// One stage call made inside a turn, in raw clock ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Interval {
    pub(crate) comp: u32,
    pub(crate) start: u64,
    /// First item of a stream (0: none yet, or not a stream).
    pub(crate) first: u64,
    /// End (0: still running).
    pub(crate) end: u64,
}

/// One stretch of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) key: PartKey,
    /// From the turn's start to where the stretch begins, ns.
    pub(crate) offset_ns: u64,
    pub(crate) ns: u64,
}

/// The path of a turn that started at `t0` and responded at `r` (raw ticks), in time
/// order; `nanos(a, b)` is the clock's ns between two ticks (monotone in `b`).
/// Zero-length stretches are left out; the rest sum to `nanos(t0, r)`.
pub(crate) fn critical_path(
    t0: u64,
    r: u64,
    intervals: &[Interval],
    nanos: impl Fn(u64, u64) -> u64,
) -> Vec<Segment> {
    let off = |tick: u64| nanos(t0, tick.max(t0));
    let mut out: Vec<Segment> = Vec::new();
    let mut push = |key: PartKey, from: u64, to: u64| {
        let (a, b) = (off(from), off(to));
        if b > a {
            out.push(Segment {
                key,
                offset_ns: a,
                ns: b - a,
            });
        }
    };
    let mut t = r;
    let mut before = NONE;
    while t > t0 {
        // (result, start, index) of the best candidate so far.
        let mut best: Option<(u64, u64, usize)> = None;
        for (i, iv) in intervals.iter().enumerate() {
            if iv.start >= t {
                continue;
            }
            let result = if iv.end != 0 && iv.end <= t {
                iv.end
            } else if iv.first != 0 && iv.first <= t {
                t
            } else {
                continue; // running beside the path
            };
            if result <= t0 {
                continue;
            }
            let key = (result, iv.start, i);
            if best.is_none_or(|b| key > b) {
                best = Some(key);
            }
        }
        let Some((result, _, i)) = best else {
            push(
                PartKey::Gap {
                    after: NONE,
                    before,
                },
                t0,
                t,
            );
            break;
        };
        let iv = intervals[i];
        push(
            PartKey::Gap {
                after: iv.comp,
                before,
            },
            result,
            t,
        );
        let start = iv.start.max(t0);
        if iv.first > start && iv.first < result {
            push(PartKey::Streaming(iv.comp), iv.first, result);
            push(PartKey::Stage(iv.comp), start, iv.first);
        } else {
            push(PartKey::Stage(iv.comp), start, result);
        }
        before = iv.comp;
        t = start;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const STT: u32 = 0;
    const LLM: u32 = 1;
    const TTS: u32 = 2;
    const RAG: u32 = 3;

    fn call(comp: u32, start: u64, end: u64) -> Interval {
        Interval {
            comp,
            start,
            first: 0,
            end,
        }
    }

    fn stream(comp: u32, start: u64, first: u64, end: u64) -> Interval {
        Interval {
            comp,
            start,
            first,
            end,
        }
    }

    /// Ticks are ns from 1000 (a turn never starts at tick 0).
    fn path(r: u64, ivs: &[Interval]) -> Vec<(PartKey, u64)> {
        let segs = critical_path(1000, 1000 + r, ivs, |a, b| b.saturating_sub(a));
        let sum: u64 = segs.iter().map(|s| s.ns).sum();
        assert_eq!(sum, r, "parts sum to the E2E: {segs:?}");
        // In time order, back to back.
        let mut at = 0;
        for s in &segs {
            assert_eq!(s.offset_ns, at, "{segs:?}");
            at += s.ns;
        }
        segs.iter().map(|s| (s.key, s.ns)).collect()
    }

    fn gap(after: u32, before: u32) -> PartKey {
        PartKey::Gap { after, before }
    }

    #[test]
    fn sequential_stages_and_the_gaps_between_them_sum_to_e2e() {
        // Endpointing wait 20, stt 20..90, glue 5, llm stream 95..400 (first token
        // at 260), tts 410..(first audio 530).
        let ivs = [
            call(STT, 1020, 1090),
            stream(LLM, 1095, 1260, 1400),
            stream(TTS, 1410, 1530, 1900),
        ];
        assert_eq!(
            path(530, &ivs),
            vec![
                (gap(NONE, STT), 20),
                (PartKey::Stage(STT), 70),
                (gap(STT, LLM), 5),
                (PartKey::Stage(LLM), 165),
                (PartKey::Streaming(LLM), 140),
                (gap(LLM, TTS), 10),
                (PartKey::Stage(TTS), 120),
            ]
        );
    }

    #[test]
    fn a_stage_running_beside_the_path_is_not_counted_twice() {
        // Retrieval runs beside stt and ends first: stt alone is on the path.
        let ivs = [
            call(STT, 1000, 1100),
            call(RAG, 1010, 1080),
            stream(LLM, 1100, 1300, 1300),
        ];
        assert_eq!(
            path(300, &ivs),
            vec![(PartKey::Stage(STT), 100), (PartKey::Stage(LLM), 200)]
        );
        // Retrieval ends last: it is on the path, and stt only before retrieval began
        // is not (stt had no result by then): a gap, not stt twice.
        let ivs = [
            call(STT, 1000, 1100),
            call(RAG, 1010, 1150),
            stream(LLM, 1150, 1300, 1300),
        ];
        assert_eq!(
            path(300, &ivs),
            vec![
                (gap(NONE, RAG), 10),
                (PartKey::Stage(RAG), 140),
                (PartKey::Stage(LLM), 150),
            ]
        );
    }

    #[test]
    fn streaming_tts_overlapping_the_llm_stream_splits_at_the_tts_start() {
        // TTS starts on the first sentence while the LLM is still streaming; the LLM
        // is on the path until TTS starts, TTS until its first audio.
        let ivs = [
            stream(LLM, 1000, 1150, 1600),
            stream(TTS, 1200, 1320, 1700),
            // An avatar frame after the response is not on the path.
            call(9, 1330, 1360),
        ];
        assert_eq!(
            path(320, &ivs),
            vec![
                (PartKey::Stage(LLM), 150),
                (PartKey::Streaming(LLM), 50),
                (PartKey::Stage(TTS), 120),
            ]
        );
    }

    #[test]
    fn a_turn_with_no_stage_is_one_gap_and_a_response_mark_after_the_stages_is_a_gap() {
        assert_eq!(path(42, &[]), vec![(gap(NONE, NONE), 42)]);
        let ivs = [call(STT, 1000, 1010), call(LLM, 1010, 1030)];
        assert_eq!(
            path(35, &ivs),
            vec![
                (PartKey::Stage(STT), 10),
                (PartKey::Stage(LLM), 20),
                (gap(LLM, NONE), 5)
            ]
        );
    }

    #[test]
    fn a_call_still_running_at_the_response_is_beside_the_path() {
        // A slow logging call started early and never finished: the response mark is
        // not its result.
        let ivs = [call(RAG, 1001, 0), call(STT, 1005, 1050)];
        assert_eq!(
            path(60, &ivs),
            vec![
                (gap(NONE, STT), 5),
                (PartKey::Stage(STT), 45),
                (gap(STT, NONE), 10)
            ]
        );
    }

    #[test]
    fn parts_sum_to_e2e_under_a_non_linear_tick_scale() {
        // Ticks scaled by 0.37 with truncation: summing each part's own scaled length
        // would drift; offsets from the turn start do not.
        let nanos = |a: u64, b: u64| (b.saturating_sub(a) as f64 * 0.37) as u64;
        let ivs: Vec<Interval> = (0..50)
            .map(|i| call(i % 4, 1003 + i as u64 * 7, 1003 + i as u64 * 7 + 5))
            .collect();
        let segs = critical_path(1000, 1400, &ivs, nanos);
        assert_eq!(segs.iter().map(|s| s.ns).sum::<u64>(), nanos(1000, 1400));
    }
}
