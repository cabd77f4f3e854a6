//! `TurnTotals`: the turn log as mergeable figures: one histogram and exact sums per
//! waterfall part, interruptions, sessions, and the kept per-turn records.
//!
//! Invariants: every part histogram holds exactly one sample per waterfall turn (0 for
//! turns where the part was not on the path), so part histograms of two totals add
//! like the turns they stand for; sums add exactly (checked); the peak of concurrent
//! sessions adds (the processes are taken to have run side by side, as throughput is).
//! Sessions and kept turns are told apart by `(input, id)`: ids are per process (each
//! counts its `session-N` and its turns from 1), so two inputs' `session-1` are two
//! sessions.

use super::totals::{add, add_histogram, MergeError};
use crate::model::histogram::new_histogram;
use crate::model::{KeptAs, PartKind, TurnRecord};
use crate::record::clock;
use crate::record::turn_log::{LogView, RawRecord};
use crate::record::waterfall::{PartKey, NONE};
use hdrhistogram::Histogram;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};

/// One waterfall part over every turn.
#[derive(Clone, Debug)]
pub struct PartTotals {
    /// `stt`, `llm:streaming`, `gap:stt->llm`...
    pub name: String,
    /// What the part is.
    pub kind: PartKind,
    /// The stage (stage and streaming parts).
    pub component: Option<String>,
    /// Gaps: the stage whose result opens it (`start` for the turn's start).
    pub after: Option<String>,
    /// Gaps: the stage it leads to (`response` for the response mark).
    pub before: Option<String>,
    /// Per-turn time on the path (ns), one sample per waterfall turn.
    pub per_turn: Histogram<u64>,
    /// Summed time on the path, ns.
    pub total_ns: u64,
    /// Summed offsets from turn start to where the part begins, ns.
    pub offset_ns: u64,
    /// Turns in which the part was on the path.
    pub turns_with: u64,
}

/// One session.
#[derive(Clone, Debug)]
pub struct SessionTotals {
    /// The input (report) of a merge it comes from, 0 in a live report.
    pub input: u32,
    /// Its id (unique within its input).
    pub id: String,
    /// E2E of its turns (ns).
    pub e2e: Histogram<u64>,
    /// Turns ended in it (E2E samples and interrupted before the response).
    pub turns: u64,
    /// Of those, interrupted.
    pub interrupted: u64,
    /// Open to close (or to the reading), seconds.
    pub active_sec: f64,
    /// Still open at the reading.
    pub open: bool,
}

/// A kept turn and the input (report) of a merge it comes from (0 in a live report):
/// turn ids are unique within an input only.
#[derive(Clone, Debug)]
pub struct KeptTurn {
    /// The input it comes from.
    pub input: u32,
    /// The turn.
    pub record: TurnRecord,
}

/// Everything recorded about turns beyond the turn component's own figures.
#[derive(Clone, Debug)]
pub struct TurnTotals {
    /// Turns with an E2E sample, behind the waterfall.
    pub waterfall_turns: u64,
    /// Their summed E2E, ns (the parts' `total_ns` add up to it).
    pub e2e_ns: u64,
    /// The waterfall parts, in the order they first appeared.
    pub parts: Vec<PartTotals>,
    /// Turns marked interrupted.
    pub interrupted: u64,
    /// Of those, marked before the response (no E2E sample).
    pub interrupted_before_response: u64,
    /// Interruption mark to response stream dropped, ns.
    pub interruption_latency: Histogram<u64>,
    /// Tracked sessions, in the order they opened.
    pub sessions: Vec<SessionTotals>,
    /// Sessions opened.
    pub sessions_opened: u64,
    /// Most sessions open at once.
    pub peak_concurrent_sessions: u64,
    /// Sessions opened past the bound on tracked sessions.
    pub untracked_sessions: u64,
    /// Turns that belonged to no session.
    pub turns_without_session: u64,
    /// The bound on sessions tracked one by one (per process).
    pub max_tracked_sessions: u64,
    /// Kept turns: the slowest, a sample, and exemplars across E2E (`kept_as` says
    /// slowest or sample; exemplars have neither). `analyse` picks what the report shows.
    pub records: Vec<KeptTurn>,
}

impl Default for TurnTotals {
    fn default() -> Self {
        TurnTotals {
            waterfall_turns: 0,
            e2e_ns: 0,
            parts: Vec::new(),
            interrupted: 0,
            interrupted_before_response: 0,
            interruption_latency: new_histogram(),
            sessions: Vec::new(),
            sessions_opened: 0,
            peak_concurrent_sessions: 0,
            untracked_sessions: 0,
            turns_without_session: 0,
            max_tracked_sessions: crate::record::turn_log::MAX_SESSIONS as u64,
            records: Vec::new(),
        }
    }
}

impl TurnTotals {
    /// Whether nothing about turns was recorded.
    pub fn is_empty(&self) -> bool {
        self.waterfall_turns == 0
            && self.interrupted == 0
            && self.sessions_opened == 0
            && self.records.is_empty()
    }

    /// Adds `o`'s figures (another process's, or another report's). Sessions of the
    /// same input and id add up; any other is one more session.
    pub fn merge(&mut self, o: &TurnTotals) -> Result<(), MergeError> {
        let (mine, theirs) = (self.waterfall_turns, o.waterfall_turns);
        let their_parts: HashSet<&str> = o.parts.iter().map(|q| q.name.as_str()).collect();
        for p in &mut self.parts {
            if !their_parts.contains(p.name.as_str()) && theirs > 0 {
                // Not on the path in any of the other's turns: one 0 per turn.
                p.per_turn
                    .record_n(0, theirs)
                    .map_err(|_| MergeError::Overflow("waterfall turn"))?;
            }
        }
        let mut part_at: HashMap<String, usize> = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        for q in &o.parts {
            match part_at.get(&q.name).map(|&i| &mut self.parts[i]) {
                Some(p) => {
                    add_histogram(&mut p.per_turn, &q.per_turn)?;
                    add(&mut p.total_ns, q.total_ns, "waterfall time")?;
                    add(&mut p.offset_ns, q.offset_ns, "waterfall offset")?;
                    add(&mut p.turns_with, q.turns_with, "waterfall turn")?;
                }
                None => {
                    let mut p = q.clone();
                    if mine > 0 {
                        p.per_turn
                            .record_n(0, mine)
                            .map_err(|_| MergeError::Overflow("waterfall turn"))?;
                    }
                    part_at.insert(q.name.clone(), self.parts.len());
                    self.parts.push(p);
                }
            }
        }
        add(&mut self.waterfall_turns, theirs, "waterfall turn")?;
        add(&mut self.e2e_ns, o.e2e_ns, "E2E time")?;
        add(&mut self.interrupted, o.interrupted, "interrupted turn")?;
        add(
            &mut self.interrupted_before_response,
            o.interrupted_before_response,
            "interrupted turn",
        )?;
        add_histogram(&mut self.interruption_latency, &o.interruption_latency)?;
        let mut session_at: HashMap<(u32, String), usize> = self
            .sessions
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.input, s.id.clone()), i))
            .collect();
        for s in &o.sessions {
            match session_at
                .get(&(s.input, s.id.clone()))
                .map(|&i| &mut self.sessions[i])
            {
                Some(x) => {
                    add_histogram(&mut x.e2e, &s.e2e)?;
                    add(&mut x.turns, s.turns, "session turn")?;
                    add(&mut x.interrupted, s.interrupted, "session turn")?;
                    x.active_sec = x.active_sec.max(s.active_sec);
                    x.open |= s.open;
                }
                None => {
                    session_at.insert((s.input, s.id.clone()), self.sessions.len());
                    self.sessions.push(s.clone());
                }
            }
        }
        add(&mut self.sessions_opened, o.sessions_opened, "session")?;
        add(
            &mut self.peak_concurrent_sessions,
            o.peak_concurrent_sessions,
            "session",
        )?;
        add(
            &mut self.untracked_sessions,
            o.untracked_sessions,
            "session",
        )?;
        add(
            &mut self.turns_without_session,
            o.turns_without_session,
            "turn",
        )?;
        add(
            &mut self.max_tracked_sessions,
            o.max_tracked_sessions,
            "session",
        )?;
        self.records.extend(o.records.iter().cloned());
        Ok(())
    }

    /// The totals of the turn log, parts and records named after `names` (component
    /// names by id).
    pub(crate) fn from_log(v: LogView, names: &[String]) -> TurnTotals {
        let name = |id: u32| {
            names
                .get(id as usize)
                .cloned()
                .unwrap_or_else(|| format!("component{id}"))
        };
        let parts = v
            .parts
            .into_iter()
            .map(|p| {
                let (kind, component, after, before) = describe(p.key, &name);
                PartTotals {
                    name: part_name(kind, component.as_deref(), &after, &before),
                    kind,
                    component,
                    after,
                    before,
                    per_turn: p.hist,
                    total_ns: p.total_ns,
                    offset_ns: p.offset_ns,
                    turns_with: p.turns_with,
                }
            })
            .collect();
        let records = v
            .records
            .into_iter()
            .map(|(r, slowest, sample)| KeptTurn {
                input: 0,
                record: record(r, slowest, sample, &name),
            })
            .collect();
        TurnTotals {
            waterfall_turns: v.waterfall_turns,
            e2e_ns: v.e2e_ns,
            parts,
            interrupted: v.interrupted,
            interrupted_before_response: v.before_response,
            interruption_latency: v.interruption,
            sessions: v
                .sessions
                .into_iter()
                .map(|s| SessionTotals {
                    input: 0,
                    id: s.id,
                    e2e: s.e2e,
                    turns: s.turns,
                    interrupted: s.interrupted,
                    active_sec: s.active_sec,
                    open: s.open,
                })
                .collect(),
            sessions_opened: v.opened,
            peak_concurrent_sessions: v.peak_open,
            untracked_sessions: v.untracked,
            turns_without_session: v.without_session,
            max_tracked_sessions: crate::record::turn_log::MAX_SESSIONS as u64,
            records,
        }
    }
}

type Described = (PartKind, Option<String>, Option<String>, Option<String>);

/// Kind, component, and (gaps) what the gap sits between.
fn describe(key: PartKey, name: &impl Fn(u32) -> String) -> Described {
    match key {
        PartKey::Stage(c) => (PartKind::Stage, Some(name(c)), None, None),
        PartKey::Streaming(c) => (PartKind::Streaming, Some(name(c)), None, None),
        PartKey::Gap { after, before } => (
            PartKind::Gap,
            None,
            Some(if after == NONE {
                "start".into()
            } else {
                name(after)
            }),
            Some(if before == NONE {
                "response".into()
            } else {
                name(before)
            }),
        ),
        PartKey::Other => (PartKind::Other, None, None, None),
    }
}

/// A part's name in the report: `stt`, `llm:streaming`, `gap:stt->llm`, `other`.
fn part_name(
    kind: PartKind,
    component: Option<&str>,
    after: &Option<String>,
    before: &Option<String>,
) -> String {
    let c = component.unwrap_or("");
    match kind {
        PartKind::Stage => c.to_string(),
        PartKind::Streaming => format!("{c}:streaming"),
        PartKind::Gap => format!(
            "gap:{}->{}",
            after.as_deref().unwrap_or("start"),
            before.as_deref().unwrap_or("response")
        ),
        PartKind::Other => "other".into(),
    }
}

fn record(r: RawRecord, slowest: bool, sample: bool, name: &impl Fn(u32) -> String) -> TurnRecord {
    let mut waterfall: IndexMap<String, f64> = IndexMap::new();
    for (key, ns) in &r.parts {
        let (kind, component, after, before) = describe(*key, name);
        *waterfall
            .entry(part_name(kind, component.as_deref(), &after, &before))
            .or_insert(0.0) += *ns as f64 / 1e6;
    }
    let mut kept_as = Vec::new();
    if slowest {
        kept_as.push(KeptAs::Slowest);
    }
    if sample {
        kept_as.push(KeptAs::Sample);
    }
    TurnRecord {
        id: r.id,
        session: r.session.map(|s| s.to_string()),
        e2e_ms: r.e2e_ns.map(|ns| ns as f64 / 1e6),
        outcome: r.outcome,
        waterfall,
        started_at_sec: clock::secs_since_epoch(r.started),
        interruption_ms: r.interruption_ns.map(|ns| ns as f64 / 1e6),
        kept_as,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(name: &str, values: &[u64]) -> PartTotals {
        let mut h = new_histogram();
        for &v in values {
            h.record(v).unwrap();
        }
        PartTotals {
            name: name.into(),
            kind: PartKind::Stage,
            component: Some(name.into()),
            after: None,
            before: None,
            total_ns: values.iter().sum(),
            offset_ns: 0,
            turns_with: values.iter().filter(|v| **v > 0).count() as u64,
            per_turn: h,
        }
    }

    #[test]
    fn a_part_missing_on_one_side_counts_zero_for_each_of_its_turns() {
        let mut a = TurnTotals {
            waterfall_turns: 2,
            e2e_ns: 30,
            parts: vec![part("stt", &[10, 20])],
            ..TurnTotals::default()
        };
        let b = TurnTotals {
            waterfall_turns: 3,
            e2e_ns: 25,
            parts: vec![part("llm", &[5, 5, 15])],
            ..TurnTotals::default()
        };
        a.merge(&b).unwrap();
        assert_eq!(a.waterfall_turns, 5);
        for p in &a.parts {
            assert_eq!(p.per_turn.len(), 5, "{}: one sample per turn", p.name);
        }
        let total: u64 = a.parts.iter().map(|p| p.total_ns).sum();
        assert_eq!(total, a.e2e_ns, "the parts still add up to the E2E");
        assert_eq!(a.parts[1].per_turn.count_at(0), 2);
    }

    fn session(input: u32, id: &str, turns: u64) -> SessionTotals {
        SessionTotals {
            input,
            id: id.into(),
            e2e: new_histogram(),
            turns,
            interrupted: 0,
            active_sec: 1.0,
            open: false,
        }
    }

    #[test]
    fn sessions_of_one_id_in_two_inputs_stay_two_sessions() {
        let mut a = TurnTotals::default();
        for (input, turns) in [(0, 3), (1, 4), (0, 5)] {
            let o = TurnTotals {
                sessions: vec![session(input, "session-1", turns)],
                ..TurnTotals::default()
            };
            a.merge(&o).unwrap();
        }
        let got: Vec<(u32, &str, u64)> = a
            .sessions
            .iter()
            .map(|s| (s.input, s.id.as_str(), s.turns))
            .collect();
        assert_eq!(got, [(0, "session-1", 8), (1, "session-1", 4)]);
    }
}
