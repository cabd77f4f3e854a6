//! The component registry: names to dense ids, the per-component switches the hot
//! path reads without a lock, and the metadata the report needs.
//!
//! Invariants: ids are dense from 0 and never reused; a `ComponentState` is never
//! freed (it lives in a static `Slots`), so `&'static ComponentState` is sound and
//! call sites cache it. Registration (cold, once per site or per new name) takes the
//! registry mutex; calls never do.

use super::slots::Slots;
use crate::config::Config;
use crate::model::text::{printable, MAX_COMPONENT_NAME_CHARS, MAX_SHOWN_NAME_CHARS};
use crate::model::{Kind, Source};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Mutex, MutexGuard};

pub(crate) const CHUNK: usize = 64;
/// How many distinct components one process can hold.
pub(crate) const MAX_COMPONENTS: usize = CHUNK * CHUNK;

/// The per-component switches read on the hot path.
pub(crate) struct ComponentState {
    pub(crate) id: u32,
    pub(crate) enabled: AtomicBool,
    pub(crate) warmup_left: AtomicU64,
    /// Whether the warm-up under way has begun: its first call is running (it
    /// registered the component) or has ended. A warm-up set again by `reconfigure`
    /// waits for the component's next call: a component not called again loads
    /// nothing, and must not hold the memory baseline back (see `warm_up`).
    warm_up_begun: AtomicBool,
}

impl ComponentState {
    /// `true` while this completed call still belongs to the warm-up (and uses it up).
    #[inline(always)]
    pub(crate) fn take_warmup(&self) -> bool {
        if self.warmup_left.load(Relaxed) == 0 {
            return false;
        }
        self.take_warmup_call()
    }

    /// `take_warmup` for a call of the warm-up (a few per component and session).
    #[cold]
    fn take_warmup_call(&self) -> bool {
        if !self.warm_up_begun.load(Relaxed) {
            let mut r = registry();
            if !self.warm_up_begun.swap(true, Relaxed) {
                r.warm_ups_begun += 1;
            }
        }
        self.warmup_left
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// What the report knows of a component.
#[derive(Clone, Debug)]
pub struct ComponentMeta {
    /// The component's name.
    pub name: String,
    /// What its latency sample means.
    pub kind: Kind,
    /// Where its measurements come from.
    pub source: Source,
    /// `target_ms` given in the attribute (the strongest source of a target).
    pub attribute_target_ms: Option<f64>,
    /// Labels from the attribute (`provider`, `model`, ...).
    pub labels: BTreeMap<String, String>,
    /// Functions (or span names) that record into this component.
    pub functions: Vec<String>,
}

/// How a new component is described when it registers.
pub(crate) struct Registration<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: Kind,
    pub(crate) source: Source,
    pub(crate) target_ms: Option<f64>,
    pub(crate) warmup: Option<u64>,
    pub(crate) labels: &'a [(&'a str, &'a str)],
    pub(crate) function: &'a str,
}

#[derive(Default)]
struct Registry {
    by_name: BTreeMap<String, u32>,
    metas: Vec<ComponentMeta>,
    /// Attribute warm-ups, kept so a later configuration keeps them.
    warmups: Vec<Option<u64>>,
    full_warned: bool,
    /// How many warm-ups have begun (a component's first call with calls to skip,
    /// after its registration or a `reconfigure`). Changed under the lock, so
    /// `warm_up` reads it together with the switches: a baseline taken before a
    /// warm-up began predates it, even when the whole warm-up fell between two
    /// readings.
    warm_ups_begun: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    by_name: BTreeMap::new(),
    metas: Vec::new(),
    warmups: Vec::new(),
    full_warned: false,
    warm_ups_begun: 0,
});
static STATES: Slots<Slots<ComponentState, CHUNK>, CHUNK> = Slots::new();

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The state of component `id`, if registered.
#[inline(always)]
pub(crate) fn state(id: u32) -> Option<&'static ComponentState> {
    let id = id as usize;
    STATES.get(id / CHUNK)?.get(id % CHUNK)
}

fn warmup_for(cfg: &Config, attribute: Option<u64>) -> u64 {
    attribute.unwrap_or(cfg.warmup)
}

/// Registers (or joins) the component `reg.name` under the configuration `cfg`.
/// `None` when the table is full. The name is kept printable and bounded
/// (`model::text::printable`, 128 characters): a span field from other code may hold
/// terminal escapes or a whole document.
pub(crate) fn register(reg: Registration<'_>, cfg: &Config) -> Option<&'static ComponentState> {
    let clean = printable(reg.name, MAX_COMPONENT_NAME_CHARS);
    let name: &str = &clean;
    let mut r = registry();
    if let Some(&id) = r.by_name.get(name) {
        let meta = &mut r.metas[id as usize];
        if !meta.functions.iter().any(|f| f == reg.function) {
            meta.functions.push(reg.function.to_string());
        }
        if meta.attribute_target_ms.is_none() {
            meta.attribute_target_ms = reg.target_ms;
        }
        for (k, v) in reg.labels {
            meta.labels
                .entry(k.to_string())
                .or_insert_with(|| v.to_string());
        }
        if meta.kind == Kind::Latency && reg.kind != Kind::Latency {
            meta.kind = reg.kind;
        }
        return state(id);
    }
    // The spec's avatar budget is per frame: report it as a frame component.
    let kind = match reg.kind {
        Kind::Latency if matches!(name.to_ascii_lowercase().as_str(), "avatar" | "lipsync") => {
            Kind::Frame
        }
        k => k,
    };
    let id = r.metas.len();
    if id >= MAX_COMPONENTS {
        if !r.full_warned {
            r.full_warned = true;
            crate::status::line(format_args!(
                "profiler: more than {MAX_COMPONENTS} components; `{}` and later ones are not recorded",
                printable(name, MAX_SHOWN_NAME_CHARS)
            ));
        }
        return None;
    }
    let chunk = STATES.get_or_init(id / CHUNK, || Box::new(Slots::new()))?;
    let enabled = cfg.component_enabled(name);
    let warmup = warmup_for(cfg, reg.warmup);
    let st = chunk.get_or_init(id % CHUNK, || {
        Box::new(ComponentState {
            id: id as u32,
            enabled: AtomicBool::new(enabled),
            warmup_left: AtomicU64::new(warmup),
            // Registered by its first call, which is running now.
            warm_up_begun: AtomicBool::new(enabled && warmup > 0),
        })
    })?;
    if enabled && warmup > 0 {
        r.warm_ups_begun += 1;
    }
    r.by_name.insert(name.to_string(), id as u32);
    r.warmups.push(reg.warmup);
    r.metas.push(ComponentMeta {
        name: name.to_string(),
        kind,
        source: reg.source,
        attribute_target_ms: reg.target_ms,
        labels: reg
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        functions: vec![reg.function.to_string()],
    });
    Some(st)
}

/// The id of `name`, if registered.
pub(crate) fn lookup(name: &str) -> Option<u32> {
    let clean = printable(name, MAX_COMPONENT_NAME_CHARS);
    registry().by_name.get(clean.as_ref()).copied()
}

/// The name of component `id`, if registered.
#[cfg(feature = "nvtx")]
pub(crate) fn name(id: u32) -> Option<String> {
    registry().metas.get(id as usize).map(|m| m.name.clone())
}

/// Metadata of every registered component, in registration order (index = id).
pub(crate) fn metas() -> Vec<ComponentMeta> {
    registry().metas.clone()
}

/// Re-applies filter and warm-up of `cfg` to components registered before it (a
/// warm-up set again begins with the component's next call).
pub(crate) fn reconfigure(cfg: &Config) {
    let r = registry();
    for (id, meta) in r.metas.iter().enumerate() {
        if let Some(st) = state(id as u32) {
            st.enabled.store(cfg.component_enabled(&meta.name), Relaxed);
            st.warm_up_begun.store(false, Relaxed);
            st.warmup_left
                .store(warmup_for(cfg, r.warmups[id]), Relaxed);
        }
    }
}

/// How many components are registered (ids are `0..count()`).
pub(crate) fn count() -> usize {
    registry().metas.len()
}

/// Whether every enabled component is past its warm-up: `Some(n)`, with `n` the
/// warm-ups begun so far, or `None` while one is warming up. `n` grows when a
/// component's warm-up begins (its first call after registration or `reconfigure`),
/// so a baseline taken at a smaller `n` predates it: a program that calls `init`
/// before its first profiled call (no component yet, so nothing warming up) gets its
/// baseline moved past the warm-up that comes later, even when the sampler never read
/// during it. A component without a warm-up begins none: what it keeps from its first
/// call on counts. Not waited for: disabled components (they record nothing, so their
/// warm-up never ends), and warm-ups set again by `reconfigure` until the component
/// is called (one never called again would hold the baseline back for good).
pub(crate) fn warm_up() -> Option<u64> {
    let r = registry();
    let warming = (0..r.metas.len() as u32).filter_map(state).any(|s| {
        s.enabled.load(Relaxed) && s.warm_up_begun.load(Relaxed) && s.warmup_left.load(Relaxed) > 0
    });
    (!warming).then_some(r.warm_ups_begun)
}

/// How many warm-ups have begun so far (see `warm_up`).
pub(crate) fn warm_ups_begun() -> u64 {
    registry().warm_ups_begun
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(name: &str, warmup: Option<u64>) -> Registration<'_> {
        Registration {
            name,
            kind: Kind::Latency,
            source: Source::Profile,
            target_ms: None,
            warmup,
            labels: &[],
            function: "tests",
        }
    }

    #[test]
    fn warm_ups_begin_with_a_call_and_a_disabled_component_is_not_waited_for() {
        let cfg = Config {
            components: ["component_warming"].map(String::from).into(),
            ..Config::default()
        };
        let before = warm_ups_begun();
        // Filtered out: it never records, so its warm-up would never end.
        register(registration("component_filtered_out", Some(5)), &cfg).unwrap();
        register(registration("component_no_warm_up", None), &cfg).unwrap();
        assert_eq!(warm_ups_begun(), before);
        let st = register(registration("component_warming", Some(2)), &cfg).unwrap();
        assert_eq!(warm_ups_begun(), before + 1);
        assert_eq!(warm_up(), None);
        assert!(st.take_warmup() && st.take_warmup());
        assert_eq!(warm_up(), Some(before + 1));
        // A new configuration (one filtering nothing out: it applies to every
        // component of this test binary) sets the warm-up again; it begins with the
        // next call, and until then holds nothing back.
        reconfigure(&Config::default());
        assert_eq!(warm_up(), Some(before + 1));
        assert!(st.take_warmup());
        assert_eq!(warm_up(), None);
        assert!(st.take_warmup() && !st.take_warmup());
        assert_eq!(warm_up(), Some(before + 2));
    }
}
