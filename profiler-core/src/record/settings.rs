//! The configuration in force: read from the environment at the first call (its
//! warnings printed once) or set by `init_with`, and applied to what the hot path
//! reads (the mode switch, each component's filter and warm-up).

use super::{component, mode};
use crate::config::Config;
use std::sync::{Arc, RwLock};

static ACTIVE: RwLock<Option<Arc<Config>>> = RwLock::new(None);

/// The configuration in force, read from the environment on first use (its warnings
/// printed once, to stderr).
pub fn active() -> Arc<Config> {
    if let Some(c) = ACTIVE.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return c.clone();
    }
    let mut slot = ACTIVE.write().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = slot.as_ref() {
        return c.clone();
    }
    let (cfg, warnings) = Config::from_env();
    for w in &warnings {
        crate::status::line(format_args!("{w}"));
    }
    let cfg = Arc::new(cfg);
    *slot = Some(cfg.clone());
    apply(&cfg);
    cfg
}

/// Puts `cfg` in force for every call from now on (components registered earlier included).
pub fn set_active(cfg: Config) {
    let cfg = Arc::new(cfg);
    *ACTIVE.write().unwrap_or_else(|e| e.into_inner()) = Some(cfg.clone());
    apply(&cfg);
    component::reconfigure(&cfg);
}

fn apply(cfg: &Config) {
    mode::apply(cfg.enabled, cfg.sample_rate);
    let trace = cfg.enabled && cfg.formats.trace;
    if trace {
        super::trace::start(cfg.trace_max_events);
    }
    mode::set_hooks(trace, nvtx_tool());
}

/// Whether NVTX ranges have somewhere to go: the `nvtx` feature, and a tool's NVTX
/// injection library named in the environment (Nsight Systems sets it).
fn nvtx_tool() -> bool {
    #[cfg(feature = "nvtx")]
    return super::nvtx::tool_present();
    #[cfg(not(feature = "nvtx"))]
    false
}

/// The mode in force, the configuration read first if it was not yet.
pub(crate) fn settled_mode() -> u8 {
    settle(mode::load())
}

/// The mode `m` as loaded, or when it was not set yet the mode once the configuration
/// is read.
fn settle(m: u8) -> u8 {
    if mode::is_uninit(m) {
        active();
        return mode::load();
    }
    m
}

/// Decides for a call (or turn) under the mode `m` as loaded: admitted, the settled
/// mode to take its running counts and hooks from (`m` itself when plainly on).
#[inline(always)]
pub(crate) fn admit(m: u8) -> Option<u8> {
    if mode::fast_on(m) {
        return Some(m);
    }
    admit_slow(m)
}

/// Decides for a call when the mode `m` is not plainly on (`mode::fast_on`): not read
/// yet, off, sampled, or asking for hooks. Admitted, the call gets the settled mode,
/// to take its running counts and hooks from.
#[cold]
#[inline(never)]
pub(crate) fn admit_slow(m: u8) -> Option<u8> {
    let m = settle(m);
    mode::admit(m).then_some(m)
}
