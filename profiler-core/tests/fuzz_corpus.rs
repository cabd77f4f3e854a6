//! Every input the fuzzers kept (`fuzz/corpus/<target>/`) and every crash they found
//! (`fuzz/artifacts/<target>/`, once fixed) goes through the same entry points on each
//! `cargo test`, without nightly or libFuzzer: a fixed bug stays fixed.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when the folder is absent).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fuzz_dir().join(kind).join(target))
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn replay(target: &str, entry: fn(&[u8])) -> usize {
    let corpus = inputs("corpus", target);
    assert!(
        !corpus.is_empty(),
        "fuzz/corpus/{target} holds the committed corpus"
    );
    let all: Vec<PathBuf> = corpus
        .into_iter()
        .chain(inputs("artifacts", target))
        .collect();
    for file in &all {
        let data = std::fs::read(file).unwrap();
        let run = std::panic::catch_unwind(|| entry(&data));
        assert!(run.is_ok(), "{} panics", file.display());
    }
    all.len()
}

#[test]
fn every_report_reader_corpus_file_and_reproducer_is_handled() {
    let n = replay("report_reader", profiler_core::fuzzing::report_reader);
    println!("report_reader: {n} inputs");
}

#[test]
fn every_histogram_decoder_corpus_file_and_reproducer_is_handled() {
    let n = replay(
        "histogram_decoder",
        profiler_core::fuzzing::histogram_decoder,
    );
    println!("histogram_decoder: {n} inputs");
}
