//! NVTX ranges for the `profiler` crate: NVIDIA's header-only NVTX3 loader (vendored in
//! `include/nvtx3`, compiled by `cc` into one small C file) behind a safe API.
//!
//! NVTX3 needs no library: on its first call it loads the injection library of the
//! tool that runs the program (Nsight Systems names it in `NVTX_INJECTION64_PATH`),
//! and without one every call returns at once. [`tool_present`] tells beforehand, so
//! the profiler can leave NVTX alone entirely when no tool listens.
//!
//! Ranges are start/end ranges (`nvtxDomainRangeStartEx` / `nvtxDomainRangeEnd`): a
//! range may end on another thread than it began on, as an `async` call that moved
//! between tokio workers does. Range ids are 64-bit, as NVTX returns them.

#![deny(missing_docs)]

use std::ffi::{c_char, c_int, c_void, CStr, CString};

extern "C" {
    fn profiler_nvtx_domain_create(name: *const c_char) -> *mut c_void;
    fn profiler_nvtx_register_string(domain: *mut c_void, text: *const c_char) -> *mut c_void;
    fn profiler_nvtx_range_start(
        domain: *mut c_void,
        registered: *mut c_void,
        text: *const c_char,
        argb: u32,
        payload: u64,
        has_payload: c_int,
    ) -> u64;
    fn profiler_nvtx_range_end(domain: *mut c_void, id: u64);
}

/// The environment variable through which a tool hands NVTX its injection library.
pub const INJECTION_VARIABLE: &str = if cfg!(target_pointer_width = "32") {
    "NVTX_INJECTION32_PATH"
} else {
    "NVTX_INJECTION64_PATH"
};

/// Whether a tool's NVTX injection library is named in the environment (as Nsight
/// Systems and Nsight Compute do for the programs they run). Without one, NVTX calls
/// would reach nothing.
pub fn tool_present() -> bool {
    std::env::var_os(INJECTION_VARIABLE).is_some_and(|v| !v.is_empty())
}

/// An NVTX domain: the ranges of one library, shown under its name.
#[derive(Debug)]
pub struct Domain(*mut c_void);

// SAFETY: an NVTX domain handle is an opaque token that NVTX functions accept from
// any thread (the NVTX API is thread-safe); it is never dereferenced here.
unsafe impl Send for Domain {}
// SAFETY: as above.
unsafe impl Sync for Domain {}

/// A range's text: kept as a C string, and registered with the tool when it supports
/// registered strings (then a range passes a handle, not the text).
#[derive(Debug)]
pub struct Message {
    text: CString,
    registered: *mut c_void,
}

// SAFETY: the registered-string handle is an opaque token valid in any thread; the
// text is owned.
unsafe impl Send for Message {}
// SAFETY: as above.
unsafe impl Sync for Message {}

impl Domain {
    /// Creates the domain `name` (the tool shows it as the ranges' group).
    pub fn new(name: &CStr) -> Domain {
        // SAFETY: `name` is a valid NUL-terminated string for the duration of the call;
        // NVTX copies what it keeps.
        Domain(unsafe { profiler_nvtx_domain_create(name.as_ptr()) })
    }

    /// A message for ranges of this domain; interior NULs are cut (the text ends there).
    pub fn message(&self, text: &str) -> Message {
        let text = CString::new(text.split('\0').next().unwrap_or_default()).unwrap_or_default();
        // SAFETY: valid domain token (or null, which NVTX accepts) and C string.
        let registered = unsafe { profiler_nvtx_register_string(self.0, text.as_ptr()) };
        Message { text, registered }
    }

    /// Starts a range named by `message`, coloured `argb`, with an optional 64-bit
    /// payload (shown by the tool beside the name); returns its id for [`Domain::end`].
    pub fn start(&self, message: &Message, argb: u32, payload: Option<u64>) -> u64 {
        // SAFETY: the domain and message tokens come from this domain; the text lives
        // as long as `message`, and NVTX does not keep the pointer past the call.
        unsafe {
            profiler_nvtx_range_start(
                self.0,
                message.registered,
                message.text.as_ptr(),
                argb,
                payload.unwrap_or(0),
                c_int::from(payload.is_some()),
            )
        }
    }

    /// Ends the range `id` (from [`Domain::start`]), on any thread.
    pub fn end(&self, id: u64) {
        // SAFETY: a valid domain token; NVTX accepts any id.
        unsafe { profiler_nvtx_range_end(self.0, id) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_tool_every_call_returns_and_does_nothing() {
        // No injection library in the environment of `cargo test`: NVTX's loader finds
        // none and every call is a no-op that still returns.
        assert!(!tool_present() || std::env::var_os("PROFILER_NVTX_TOOL_TEST").is_some());
        let d = Domain::new(c"profiler-test");
        let m = d.message("stt\0ignored");
        assert_eq!(m.text.as_bytes(), b"stt");
        let id = d.start(&m, 0xFF33_66CC, Some(7));
        d.end(id);
        d.end(id);
    }
}
