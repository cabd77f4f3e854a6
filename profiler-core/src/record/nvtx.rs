//! NVTX ranges for Nsight Systems (the `nvtx` feature): each measured call, stream and
//! turn is a range in the `profiler` domain named by its component, so an nsys
//! timeline shows pipeline stages beside the CUDA kernels they launch.
//!
//! Ranges are start/end ranges, for every call: an `async` call or a stream may end on
//! another thread than it began on (a push/pop range must be popped where it was
//! pushed). A turn's range carries the turn id as its payload. Each component's name is
//! registered with the tool once (first range), so a range passes a handle, never a
//! string built per call.
//!
//! Only while a tool listens (`tool_present`: an injection library named in the
//! environment) does the mode carry the NVTX flag (see `settings`); otherwise calls do
//! exactly what they do without the feature.

use super::component::{self, CHUNK};
use super::context::uncharged;
use super::slots::Slots;
use profiler_nvtx::{Domain, Message};
use std::sync::OnceLock;

pub(crate) use profiler_nvtx::tool_present;

static DOMAIN: OnceLock<Domain> = OnceLock::new();
static MESSAGES: Slots<Slots<Message, CHUNK>, CHUNK> = Slots::new();

/// Colours of the ranges, by component id (ARGB).
const PALETTE: [u32; 8] = [
    0xFF4C_78A8,
    0xFFF5_8518,
    0xFFE4_5756,
    0xFF72_B7B2,
    0xFF54_A24B,
    0xFFEE_CA3B,
    0xFFB2_79A2,
    0xFF9D_755D,
];

fn domain() -> &'static Domain {
    DOMAIN.get_or_init(|| Domain::new(c"profiler"))
}

fn message(comp: u32) -> Option<&'static Message> {
    let id = comp as usize;
    let chunk = MESSAGES.get_or_init(id / CHUNK, || Box::new(Slots::new()))?;
    chunk.get_or_init(id % CHUNK, || {
        let name = uncharged(|| component::name(comp)).unwrap_or_else(|| format!("#{comp}"));
        Box::new(domain().message(&name))
    })
}

/// Starts the range of a call (or turn, `payload`: its id) of component `comp`.
pub(crate) fn start(comp: u32, payload: u64) -> u64 {
    let Some(m) = message(comp) else {
        return 0;
    };
    let argb = PALETTE[comp as usize % PALETTE.len()];
    domain().start(m, argb, (payload != 0).then_some(payload))
}

/// Ends range `id`, on any thread.
pub(crate) fn end(id: u64) {
    domain().end(id);
}
