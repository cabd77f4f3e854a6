//! From mergeable totals to report figures: one `ComponentReport` per component, the
//! turns (shares, waterfall, interruptions, kept records) and the sessions. The live
//! report (`build`) and the merged one (`merge`) both come through here, so a figure
//! means the same in both.

use super::stats::latency_stats;
use super::TURNS_PER_SEC_TARGET;
use crate::aggregate::{ComponentTotals, KeptTurn, MemoryTotals, TurnTotals};
use crate::model::histogram::encode_histogram;
use crate::model::*;
use crate::record::turn_log::{SAMPLE, SLOWEST};
use indexmap::IndexMap;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

const MB: f64 = 1024.0 * 1024.0;

/// What a component's report is built from.
#[derive(Clone, Debug)]
pub(crate) struct ComponentInput {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) source: Source,
    pub(crate) functions: Vec<String>,
    pub(crate) labels: BTreeMap<String, String>,
    /// The resolved P95 target and where it came from.
    pub(crate) target: Option<(f64, TargetSource)>,
    pub(crate) totals: ComponentTotals,
}

/// The figures of one component (severities and findings are `assess`'s).
pub(crate) fn component_report(c: &ComponentInput, sample_rate: f64) -> ComponentReport {
    let t = &c.totals;
    let latency = latency_stats(&t.latency);
    let rate = if sample_rate > 0.0 { sample_rate } else { 1.0 };
    let throughput = if t.active_sec > 0.0 {
        latency.count as f64 / t.active_sec / rate
    } else {
        0.0
    };
    // A turn runs no code of its own: its memory is its stages'.
    let (memory, memory_delta_mb) = if c.kind == Kind::Turn {
        (None, None)
    } else {
        memory_report(&t.memory)
    };
    let stream = (c.kind == Kind::FirstItem).then(|| {
        let total = latency_stats(&t.stream_total);
        let stream_secs = total.mean * total.count as f64 / 1e3;
        let streams = t.streams_completed.saturating_add(t.streams_cancelled);
        StreamReport {
            items_per_stream: if total.count > 0 && streams > 0 {
                t.items as f64 / streams as f64
            } else {
                0.0
            },
            items_per_sec: if stream_secs > 0.0 {
                t.items as f64 / stream_secs
            } else {
                0.0
            },
            total,
            completed: t.streams_completed,
            cancelled: t.streams_cancelled,
            items: t.items,
            histogram: encode_histogram(&t.stream_total),
        }
    });
    let frame = c.kind == Kind::Frame;
    let fps = (frame && latency.mean > 0.0).then(|| 1000.0 / latency.mean);
    let fps_p95 = (frame && latency.p95 > 0.0).then(|| 1000.0 / latency.p95);
    let allocations = t.allocations.map(|(bytes, count)| {
        let calls = latency
            .count
            .saturating_add(t.errors)
            .saturating_add(t.warmup_excluded);
        let calls = calls.max(1) as f64;
        AllocationReport {
            bytes,
            count,
            bytes_per_call: bytes as f64 / calls,
            count_per_call: count as f64 / calls,
        }
    });
    ComponentReport {
        kind: c.kind,
        source: c.source,
        functions: c.functions.clone(),
        labels: c.labels.clone(),
        target_ms: c.target.map(|t| t.0),
        target_source: c.target.map(|t| t.1),
        severity: Severity::Good,
        target_ratio: None,
        percentile_severity: None,
        variability: None,
        counts: Counts {
            samples: latency.count,
            errors: t.errors,
            cancelled: t.cancelled,
            warmup_excluded: t.warmup_excluded,
            clamped: t.clamped,
        },
        latency,
        throughput_per_sec: throughput,
        throughput_target_per_sec: None,
        throughput_severity: None,
        active_sec: t.active_sec,
        memory_delta_mb,
        memory,
        stream,
        fps,
        fps_p95,
        fps_severity: None,
        turn_share_pct: None,
        allocations,
        gpu: t.gpu.clone(),
        histogram: encode_histogram(&t.latency),
    }
}

/// What the turn report needs of a component: its time inside turns, and for the turn
/// component its number of turns and E2E figures. Kept apart from the totals so a merge
/// can drop each component's histograms as soon as its report is built.
#[derive(Clone, Debug)]
pub(crate) struct TurnTime {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// Nanoseconds inside turns (the turn component's whole time).
    pub(crate) turn_ns: u64,
    /// Latency samples (for the turn component: the turns counted).
    pub(crate) samples: u64,
    /// The turn component's E2E figures (none for a stage).
    pub(crate) e2e: Option<LatencyStats>,
}

impl TurnTime {
    /// `c`'s turn time; `report` is its report when one was built (its latency is the
    /// turn component's E2E, not computed again).
    pub(crate) fn of(c: &ComponentInput, report: Option<&ComponentReport>) -> TurnTime {
        TurnTime {
            name: c.name.clone(),
            kind: c.kind,
            turn_ns: c.totals.turn_ns,
            samples: c.totals.latency.len(),
            e2e: (c.kind == Kind::Turn).then(|| {
                report.map_or_else(|| latency_stats(&c.totals.latency), |r| r.latency.clone())
            }),
        }
    }
}

/// A component's memory figures, and the growth after warm-up its leak verdict judges
/// (`memory_delta_mb`): live heap bytes gained when the owner-tracking allocator
/// measured them, else its share of the RSS change; a growth an older report stated
/// stands as it was.
pub(crate) fn memory_report(m: &MemoryTotals) -> (Option<ComponentMemory>, Option<f64>) {
    let mb = |bytes: i64| bytes as f64 / MB;
    let rss_share = m.rss.as_ref().map(|r| RssShare {
        probes: r.probes,
        running_sec: r.running_ns as f64 / 1e9,
        share_mb: mb(r.share),
        since_baseline_mb: mb(r.since_baseline),
        growth_mb_per_min: r.growth_per_min / MB,
        process_rss_first_mb: r.rss_first as f64 / MB,
        process_rss_last_mb: r.rss_last as f64 / MB,
        process_vms_first_mb: r.vms_first as f64 / MB,
        process_vms_last_mb: r.vms_last as f64 / MB,
    });
    let heap = m.heap.as_ref().map(|h| HeapMemory {
        allocated_mb: h.allocated as f64 / MB,
        freed_mb: h.freed as f64 / MB,
        live_mb: mb(h.live()),
        since_baseline_mb: mb(h.since_baseline),
        growth_mb_per_min: h.growth_per_min / MB,
    });
    let (basis, delta) = match (&heap, &rss_share) {
        (Some(h), _) => (MemoryBasis::LiveHeap, h.since_baseline_mb),
        (None, Some(r)) => (MemoryBasis::RssShare, r.since_baseline_mb),
        (None, None) => return (None, m.stated_delta.map(mb)),
    };
    let memory = ComponentMemory {
        basis,
        rss_share,
        heap,
        leak: None,
    };
    (Some(memory), Some(delta))
}

/// Turn count, each stage's share of turn time (from the turn component's whole time
/// and each stage's time inside turns; sets each stage's `turn_share_pct`), the
/// waterfall, interruptions and the kept records.
fn turn_report(
    turn: &TurnTime,
    times: &[TurnTime],
    turns: &TurnTotals,
    ids: &SessionIds,
    components: &mut IndexMap<String, ComponentReport>,
) -> Option<TurnReport> {
    let total_ns = turn.turn_ns;
    if total_ns == 0 && turns.is_empty() {
        return None;
    }
    let mut shares = IndexMap::new();
    if total_ns > 0 {
        for c in times
            .iter()
            .filter(|c| c.kind != Kind::Turn && c.turn_ns > 0)
        {
            let pct = c.turn_ns as f64 * 100.0 / total_ns as f64;
            shares.insert(c.name.clone(), pct);
            if let Some(r) = components.get_mut(&c.name) {
                r.turn_share_pct = Some(pct);
            }
        }
    }
    // Every counted turn is one E2E sample and adds its whole time to `turn_ns`.
    let count = turn.samples;
    let e2e = turn.e2e.clone().unwrap_or_default();
    let mut waterfall = waterfall(turns);
    let (records, p50, p95) = select_records(&turns.records, e2e.median, e2e.p95, ids);
    if let Some(w) = waterfall.as_mut() {
        w.p50_turn = p50;
        w.p95_turn = p95;
    }
    let started = turns.waterfall_turns + turns.interrupted_before_response;
    Some(TurnReport {
        count,
        mean_turn_ms: total_ns as f64 / count.max(1) as f64 / 1e6,
        shares_pct: shares,
        // Set by `assess`, which works on re-read reports too.
        shares_sum_pct: 0.0,
        shares_overlap: false,
        waterfall,
        interruptions: Interruptions {
            count: turns.interrupted,
            before_response: turns.interrupted_before_response,
            rate_pct: if started > 0 {
                turns.interrupted as f64 * 100.0 / started as f64
            } else {
                0.0
            },
            latency: latency_stats(&turns.interruption_latency),
            histogram: encode_histogram(&turns.interruption_latency),
        },
        records,
        records_kept: RecordsKept {
            slowest: SLOWEST as u64,
            sample: SAMPLE as u64,
            of_turns: started,
        },
    })
}

/// The waterfall across turns: each part's per-turn figures and share of the summed
/// E2E, ordered by where the part sits in the turn (mean offset).
fn waterfall(t: &TurnTotals) -> Option<Waterfall> {
    if t.waterfall_turns == 0 {
        return None;
    }
    let share = |ns: u64| {
        if t.e2e_ns > 0 {
            ns as f64 * 100.0 / t.e2e_ns as f64
        } else {
            0.0
        }
    };
    let mut parts: Vec<WaterfallPart> = t
        .parts
        .iter()
        .map(|p| WaterfallPart {
            name: p.name.clone(),
            kind: p.kind,
            component: p.component.clone(),
            after: p.after.clone(),
            before: p.before.clone(),
            turns_with: p.turns_with,
            share_pct: share(p.total_ns),
            per_turn: latency_stats(&p.per_turn),
            total_ns: p.total_ns,
            offset_ns: p.offset_ns,
            histogram: encode_histogram(&p.per_turn),
        })
        .collect();
    let mean_offset = |p: &WaterfallPart| p.offset_ns as f64 / p.turns_with.max(1) as f64;
    parts.sort_by(|a, b| {
        mean_offset(a)
            .total_cmp(&mean_offset(b))
            .then_with(|| a.name.cmp(&b.name))
    });
    Some(Waterfall {
        turns: t.waterfall_turns,
        mean_e2e_ms: t.e2e_ns as f64 / t.waterfall_turns as f64 / 1e6,
        total_e2e_ns: t.e2e_ns,
        shares_sum_pct: parts.iter().map(|p| p.share_pct).sum(),
        parts,
        p50_turn: None,
        p95_turn: None,
    })
}

/// Session ids as a report shows them: an id that more than one input of a merge uses
/// (each process counts its `session-N` from 1) is written `id (input N)` for each, so
/// two processes' sessions stay two; any other id as it is.
struct SessionIds<'a> {
    shared: HashSet<&'a str>,
}

impl<'a> SessionIds<'a> {
    fn of(t: &'a TurnTotals) -> SessionIds<'a> {
        let mut first_input: HashMap<&str, u32> = HashMap::new();
        let mut shared = HashSet::new();
        let sessions = t.sessions.iter().map(|s| (s.input, s.id.as_str()));
        let of_turns = t
            .records
            .iter()
            .filter_map(|k| Some((k.input, k.record.session.as_deref()?)));
        for (input, id) in sessions.chain(of_turns) {
            if *first_input.entry(id).or_insert(input) != input {
                shared.insert(id);
            }
        }
        SessionIds { shared }
    }

    fn shown(&self, input: u32, id: &str) -> String {
        if self.shared.contains(id) {
            format!("{id} (input {})", input + 1)
        } else {
            id.to_string()
        }
    }
}

/// The records a report shows, from the kept candidates: the `SLOWEST` slowest by E2E,
/// up to `SAMPLE` of those kept as the sample (spread evenly when several reports
/// bring more), and the candidate nearest the E2E P50 and P95 (their ids returned;
/// the records carry the `P50` / `P95` mark, as two inputs may hold one id).
/// Slowest first; turns interrupted before their response last. A turn is its input
/// and id: a candidate listed twice is one turn with both marks.
fn select_records(
    candidates: &[KeptTurn],
    p50_ms: f64,
    p95_ms: f64,
    ids: &SessionIds<'_>,
) -> (Vec<TurnRecord>, Option<u64>, Option<u64>) {
    let mut all: Vec<(u32, TurnRecord)> = Vec::with_capacity(candidates.len());
    let mut at: HashMap<(u32, u64), usize> = HashMap::with_capacity(candidates.len());
    for k in candidates {
        match at.entry((k.input, k.record.id)) {
            Entry::Occupied(e) => {
                let x = &mut all[*e.get()].1;
                for tag in &k.record.kept_as {
                    if !x.kept_as.contains(tag) {
                        x.kept_as.push(*tag);
                    }
                }
            }
            Entry::Vacant(e) => {
                e.insert(all.len());
                all.push((k.input, k.record.clone()));
            }
        }
    }
    // Ties go to the earlier input, then the lower id.
    let key = |i: usize| (all[i].0, all[i].1.id);
    let mut keep = vec![false; all.len()];
    let mut tags: Vec<Vec<KeptAs>> = vec![Vec::new(); all.len()];
    let mut by_e2e: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].1.e2e_ms.is_some())
        .collect();
    by_e2e.sort_by(|&a, &b| {
        let (x, y) = (
            all[a].1.e2e_ms.unwrap_or(0.0),
            all[b].1.e2e_ms.unwrap_or(0.0),
        );
        y.total_cmp(&x).then(key(a).cmp(&key(b)))
    });
    for &i in by_e2e.iter().take(SLOWEST) {
        keep[i] = true;
        tags[i].push(KeptAs::Slowest);
    }
    let sampled: Vec<usize> = (0..all.len())
        .filter(|&i| all[i].1.kept_as.contains(&KeptAs::Sample))
        .collect();
    let step = sampled.len() as f64 / SAMPLE.min(sampled.len()).max(1) as f64;
    for k in 0..SAMPLE.min(sampled.len()) {
        let i = sampled[(k as f64 * step) as usize];
        keep[i] = true;
        tags[i].push(KeptAs::Sample);
    }
    let mut nearest = |target: f64, tag: KeptAs| {
        let i = *by_e2e.iter().min_by(|&&a, &&b| {
            let d = |i: usize| (all[i].1.e2e_ms.unwrap_or(0.0) - target).abs();
            d(a).total_cmp(&d(b)).then(key(a).cmp(&key(b)))
        })?;
        keep[i] = true;
        tags[i].push(tag);
        Some(all[i].1.id)
    };
    let p50 = nearest(p50_ms, KeptAs::P50);
    let p95 = nearest(p95_ms, KeptAs::P95);
    let mut out: Vec<(u32, TurnRecord)> = all
        .into_iter()
        .zip(tags)
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(((input, mut r), t), _)| {
            r.kept_as = t;
            r.session = r.session.map(|s| ids.shown(input, &s));
            (input, r)
        })
        .collect();
    out.sort_by(|(ia, a), (ib, b)| {
        let e = |r: &TurnRecord| r.e2e_ms.unwrap_or(f64::NEG_INFINITY);
        e(b).total_cmp(&e(a)).then((ia, a.id).cmp(&(ib, b.id)))
    });
    (out.into_iter().map(|(_, r)| r).collect(), p50, p95)
}

/// Sessions: how many, at once, turns per second over them, each one's E2E beside
/// the pooled figure (severities and budgets are `assess`'s). `turn`: the turn
/// component's report.
fn sessions_report(t: &TurnTotals, turn: &ComponentReport, ids: &SessionIds) -> SessionsReport {
    SessionsReport {
        opened: t.sessions_opened,
        peak_concurrent: t.peak_concurrent_sessions,
        tracked: t.sessions.len() as u64,
        max_tracked: t.max_tracked_sessions,
        untracked: t.untracked_sessions,
        turns_without_session: t.turns_without_session,
        turns_per_sec: turn.throughput_per_sec,
        turns_per_sec_target: TURNS_PER_SEC_TARGET,
        throughput_severity: Severity::Good,
        pooled_e2e_p95_ms: turn.latency.p95,
        e2e_target_ms: turn.target_ms,
        sessions: t
            .sessions
            .iter()
            .map(|s| {
                let e2e = latency_stats(&s.e2e);
                SessionReport {
                    id: ids.shown(s.input, &s.id),
                    turns: s.turns,
                    interrupted: s.interrupted,
                    turns_per_sec: if s.active_sec > 0.0 {
                        e2e.count as f64 / s.active_sec
                    } else {
                        0.0
                    },
                    e2e,
                    severity: Severity::Good,
                    active_sec: s.active_sec,
                    open: s.open,
                    histogram: encode_histogram(&s.e2e),
                }
            })
            .collect(),
        budgets: Vec::new(),
    }
}

/// Every component's report, in input order, the turns and the sessions (components
/// that never recorded anything are left out).
pub(crate) fn components(
    inputs: &[ComponentInput],
    turn_totals: &TurnTotals,
    sample_rate: f64,
) -> Figures {
    let mut components = IndexMap::with_capacity(inputs.len());
    let mut times = Vec::with_capacity(inputs.len());
    for c in inputs {
        let report = (!c.totals.is_empty()).then(|| component_report(c, sample_rate));
        times.push(TurnTime::of(c, report.as_ref()));
        if let Some(r) = report {
            components.insert(c.name.clone(), r);
        }
    }
    finish(components, &times, turn_totals)
}

/// The turns and sessions of a report whose components are built (`times`: what each
/// component spent in turns).
pub(crate) fn finish(
    mut components: IndexMap<String, ComponentReport>,
    times: &[TurnTime],
    turn_totals: &TurnTotals,
) -> Figures {
    // The turn component, found once for the turn and the sessions reports.
    let turn = times.iter().find(|c| c.kind == Kind::Turn);
    let ids = SessionIds::of(turn_totals);
    let turns = turn.and_then(|t| turn_report(t, times, turn_totals, &ids, &mut components));
    let sessions = turns
        .as_ref()
        .and(turn)
        .and_then(|t| components.get(&t.name))
        .map(|c| sessions_report(turn_totals, c, &ids));
    Figures {
        components,
        turns,
        sessions,
    }
}

/// The figures of a report, before `assess` judges them.
pub(crate) struct Figures {
    pub(crate) components: IndexMap<String, ComponentReport>,
    pub(crate) turns: Option<TurnReport>,
    pub(crate) sessions: Option<SessionsReport>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{MemoryTotals, RssShareTotals};

    fn with_memory(samples: u64, memory: MemoryTotals) -> ComponentInput {
        let mut totals = ComponentTotals::default();
        totals.latency.record_n(1_000, samples).unwrap();
        totals.memory = memory;
        ComponentInput {
            name: "soak".into(),
            kind: Kind::Latency,
            source: Source::Profile,
            functions: vec![],
            labels: BTreeMap::new(),
            target: None,
            totals,
        }
    }

    #[test]
    fn a_few_page_faults_are_not_extrapolated_into_a_leak() {
        // 5 million calls; the RSS share charged to them over 62 readings is four 4 KiB
        // pages. Scaled by calls per reading, that was once a 1.2 GB "leak": the figure
        // is the measured share, whatever the number of calls.
        let c = with_memory(
            5_000_000,
            MemoryTotals {
                rss: Some(RssShareTotals {
                    probes: 62,
                    share: 4 * 4096,
                    since_baseline: 4 * 4096,
                    ..RssShareTotals::default()
                }),
                ..MemoryTotals::default()
            },
        );
        let r = component_report(&c, 1.0);
        assert_eq!(r.memory_delta_mb, Some(16384.0 / MB));
    }

    fn kept(input: u32, id: u64, e2e_ms: f64) -> KeptTurn {
        KeptTurn {
            input,
            record: TurnRecord {
                id,
                session: Some("s1".into()),
                e2e_ms: Some(e2e_ms),
                // Two processes on a mock clock: the same start too.
                started_at_sec: 0.5,
                kept_as: vec![KeptAs::Slowest],
                ..TurnRecord::default()
            },
        }
    }

    #[test]
    fn two_inputs_turns_and_sessions_of_one_id_stay_apart() {
        let t = TurnTotals {
            sessions: [0, 1]
                .map(|input| crate::aggregate::SessionTotals {
                    input,
                    id: "s1".into(),
                    e2e: crate::model::histogram::new_histogram(),
                    turns: 1,
                    interrupted: 0,
                    active_sec: 1.0,
                    open: false,
                })
                .into(),
            // Input 0's turn 1 listed twice (as slowest and as sampled) is one turn.
            records: vec![kept(0, 1, 100.0), kept(1, 1, 300.0), {
                let mut k = kept(0, 1, 100.0);
                k.record.kept_as = vec![KeptAs::Sample];
                k
            }],
            ..TurnTotals::default()
        };
        let ids = SessionIds::of(&t);
        let (records, p50, p95) = select_records(&t.records, 100.0, 300.0, &ids);
        let got: Vec<(Option<&str>, Option<f64>)> = records
            .iter()
            .map(|r| (r.session.as_deref(), r.e2e_ms))
            .collect();
        assert_eq!(
            got,
            [
                (Some("s1 (input 2)"), Some(300.0)),
                (Some("s1 (input 1)"), Some(100.0))
            ]
        );
        assert!(records[1].kept_as.contains(&KeptAs::Sample));
        assert_eq!((p50, p95), (Some(1), Some(1)));
        // The marks tell the two turns of id 1 apart.
        let report = TurnReport {
            waterfall: Some(Waterfall {
                p50_turn: p50,
                p95_turn: p95,
                ..Waterfall::default()
            }),
            records,
            ..TurnReport::default()
        };
        assert_eq!(report.marked_turn(KeptAs::P95).unwrap().e2e_ms, Some(300.0));
        assert_eq!(report.marked_turn(KeptAs::P50).unwrap().e2e_ms, Some(100.0));
        let shown: Vec<String> = t
            .sessions
            .iter()
            .map(|s| ids.shown(s.input, &s.id))
            .collect();
        assert_eq!(shown, ["s1 (input 1)", "s1 (input 2)"]);
    }
}
