//! `Publisher`: the running totals, every tick, through the `metrics` facade into
//! whatever recorder is installed (Prometheus, StatsD, a user's own). Nothing is added
//! to the profiled calls: the publisher reads what the shards already hold.
//!
//! Per component and tick: each new latency sample goes into its histogram with
//! `record_many(bucket value, count)` (exact counts; values at HDR bucket resolution,
//! 0.1 %, the values the report's percentiles are taken from), counters are incremented
//! by what is new, and the gauges (target, process memory, each GPU) are set.
//!
//! Memory: a recorder may buffer histogram samples until it is drained (the Prometheus
//! exporter does, until a scrape or its upkeep); the publisher calls the registered
//! upkeep (see `set_upkeep`) after every [`UPKEEP_EVERY`] samples and at the end of each
//! tick, so what a recorder buffers is bounded whether anyone scrapes or not.

use super::delta::{Buckets, Deltas};
use super::labels::{LabelPolicy, OTHER};
use super::names::*;
use crate::aggregate::Snapshot;
use crate::analyse::targets;
use crate::config::Config;
use crate::model::Kind;
use crate::record::probe;
use crate::sample::gpu;
use metrics::{Key, Label, Level, Metadata, Recorder};

/// Samples handed to a recorder between two upkeeps at most.
pub const UPKEEP_EVERY: u64 = 65_536;

const MB: f64 = 1024.0 * 1024.0;

static META: Metadata<'static> = Metadata::new("profiler", Level::INFO, Some(module_path!()));

/// What the recorder needs done after a batch of samples (drain its buffers).
pub(crate) type Upkeep = dyn Fn() + Send + Sync;

/// Publishes the totals' growth every tick (see the module docs).
#[derive(Default)]
pub(crate) struct Publisher {
    deltas: Deltas,
}

/// The histograms of a kind of component: its latency sample, and its whole-stream
/// (or whole-turn) time.
fn histogram_names(kind: Kind, genai: bool) -> (&'static str, Option<&'static str>) {
    match (kind, genai) {
        (Kind::Turn, _) => (TURN_E2E, Some(TURN_DURATION)),
        (Kind::FirstItem, true) => (GENAI_TIME_TO_FIRST_CHUNK, Some(GENAI_OPERATION_DURATION)),
        (Kind::FirstItem, false) => (FIRST_ITEM, Some(STREAM_DURATION)),
        (_, true) => (GENAI_OPERATION_DURATION, None),
        (_, false) => (LATENCY, None),
    }
}

/// Counts samples towards the next upkeep.
struct Batch<'a> {
    since_upkeep: u64,
    upkeep: Option<&'a Upkeep>,
}

impl Batch<'_> {
    fn record(&mut self, r: &dyn Recorder, name: &'static str, labels: &[Label], b: &Buckets) {
        if b.is_empty() {
            return;
        }
        let h = r.register_histogram(&Key::from_parts(name, labels.to_vec()), &META);
        for &(ns, n) in b {
            let secs = ns as f64 / 1e9;
            let mut left = n;
            while left > 0 {
                let chunk = left.min(UPKEEP_EVERY - self.since_upkeep);
                h.record_many(secs, chunk as usize);
                left -= chunk;
                self.since_upkeep += chunk;
                if self.since_upkeep >= UPKEEP_EVERY {
                    self.upkeep();
                }
            }
        }
    }

    fn upkeep(&mut self) {
        if let Some(u) = self.upkeep {
            u();
        }
        self.since_upkeep = 0;
    }
}

fn counter(r: &dyn Recorder, name: &'static str, labels: Vec<Label>, n: u64) {
    r.register_counter(&Key::from_parts(name, labels), &META)
        .increment(n);
}

fn gauge(r: &dyn Recorder, name: &'static str, labels: Vec<Label>, v: f64) {
    r.register_gauge(&Key::from_parts(name, labels), &META)
        .set(v);
}

impl Publisher {
    /// Publishes what `snap` holds beyond the previous tick to the current recorder
    /// (the thread's local one, else the global one), then runs `upkeep`.
    pub(crate) fn publish(
        &mut self,
        snap: &Snapshot,
        cfg: &Config,
        labels: &mut LabelPolicy,
        upkeep: Option<&Upkeep>,
    ) {
        let deltas = self.deltas.take(snap);
        let mut batch = Batch {
            since_upkeep: 0,
            upkeep,
        };
        metrics::with_recorder(|r| {
            // Every tick: the recorder may have been installed after the last one
            // (recorders keep the first description of a name).
            describe(r);
            for (c, d) in snap.components.iter().zip(&deltas) {
                // A component that never recorded anything is not published (as the
                // report leaves it out).
                if c.totals.is_empty() && d.is_empty() {
                    continue;
                }
                let s = labels.series(&c.meta).clone();
                let (first, whole) = histogram_names(c.meta.kind, s.genai);
                let hl = if s.genai { &s.genai_labels } else { &s.labels };
                batch.record(r, first, hl, &d.latency);
                if let Some(whole) = whole {
                    batch.record(r, whole, hl, &d.stream_total);
                }
                for (outcome, n) in [
                    ("ok", d.samples),
                    ("error", d.errors),
                    ("cancelled", d.cancelled),
                    ("warmup", d.warmup),
                ] {
                    let mut l = s.labels.clone();
                    l.push(Label::new("outcome", outcome));
                    counter(r, CALLS, l, n);
                }
                if c.meta.kind == Kind::FirstItem {
                    counter(r, STREAM_ITEMS, s.labels.clone(), d.items);
                }
                let named = s.labels[0].value() != OTHER;
                if let (Some((target_ms, _)), true) = (targets::resolve(&c.meta, cfg), named) {
                    gauge(r, TARGET, s.labels.clone(), target_ms / 1e3);
                }
            }
            resource_gauges(r);
        });
        batch.upkeep();
    }
}

/// Process memory and every GPU's latest sample (from the running GPU sampler).
fn resource_gauges(r: &dyn Recorder) {
    if let Some(m) = probe::read() {
        gauge(r, PROCESS_MEMORY_USAGE, Vec::new(), m.rss_bytes as f64);
        gauge(r, PROCESS_MEMORY_VIRTUAL, Vec::new(), m.vms_bytes as f64);
    }
    for (d, p) in gpu::latest() {
        let l = vec![
            Label::new("hw.id", format!("gpu{}", d.index)),
            Label::new("hw.name", d.name.clone()),
            Label::new("hw.type", "gpu"),
        ];
        gauge(r, GPU_MEMORY_USAGE, l.clone(), p.vram_used_mb * MB);
        gauge(r, GPU_MEMORY_LIMIT, l.clone(), d.vram_total_mb * MB);
        gauge(r, GPU_UTILIZATION, l.clone(), p.util_pct / 100.0);
        gauge(r, GPU_POWER, l.clone(), p.power_w);
        gauge(r, GPU_TEMPERATURE, l, p.temperature_c);
    }
}
