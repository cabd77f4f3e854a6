//! Any bytes as a report file, through what `profiler show`, `merge` and `compare` do.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    profiler_core::fuzzing::report_reader(data);
});
