//! The entry points of the fuzz targets (`fuzz/`, run with `cargo +nightly fuzz`), and
//! of the test that replays their corpus on every `cargo test`: a report file and a
//! histogram encoding as any bytes at all, taken through what the tools do with them.
//! Neither may panic, and both finish in time and memory bounded by their input.
//!
//! Not a public API and not covered by semver.

use crate::analyse::compare::{Comparison, Percentile};
use crate::analyse::{merge, stats, validate};
use crate::model::histogram::{decode_histogram, decode_histogram_bytes, encode_histogram};
use crate::render;
use std::path::PathBuf;

/// `data` as a report file: parsed, rendered for the console, checked, and, when it
/// passes, merged with itself and compared with itself (table and JSON), as
/// `profiler show`, `merge` and `compare` would.
pub fn report_reader(data: &[u8]) {
    let Ok(report) = render::json::parse(data) else {
        return;
    };
    // Renderers take any report (a library user may build one by hand).
    let _ = render::console::render(&report);
    let _ = render::files::stamp(&report);
    if validate::check(&report).is_err() {
        return;
    }
    let path = PathBuf::from("fuzz.json");
    let inputs = [
        (path.clone(), report.clone()),
        (path.clone(), report.clone()),
    ];
    if let Ok(merged) = merge::merge(&inputs) {
        let _ = render::console::render(&merged);
    }
    let all = [Percentile::P50, Percentile::P95, Percentile::P99];
    let c = Comparison::new(&path, &report, &path, &report, 10.0, &all);
    let _ = render::compare::table(&c);
    let _ = render::compare::to_json(&c);
}

/// `data` as a histogram's V2 encoding (and, when it is text, as its base64): decoded,
/// and when it decodes, its figures taken and its encoding read back to the same
/// histogram.
pub fn histogram_decoder(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = decode_histogram(text);
    }
    let Ok(h) = decode_histogram_bytes(data) else {
        return;
    };
    let _ = stats::latency_stats(&h);
    let again = decode_histogram(&encode_histogram(&h));
    assert!(
        again.is_ok_and(|again| again == h),
        "a decoded histogram reads back from its own encoding"
    );
}
