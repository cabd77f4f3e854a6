//! Any bytes as a report histogram's encoding (V2, compressed or plain, or base64).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    profiler_core::fuzzing::histogram_decoder(data);
});
