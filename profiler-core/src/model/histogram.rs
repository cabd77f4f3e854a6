//! The histogram layout every report uses, and its encoding in report files.
//!
//! Latencies are nanoseconds in an HDR histogram with 3 significant figures and
//! auto-resizing (so merges never refuse a value). A report carries each histogram as
//! base64 of HDR's V2 + deflate encoding, so reports merge and compare exactly.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// An empty histogram of the layout every report uses (auto-resizing, 3 figures).
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new(3).expect("3 significant figures is a valid HDR setting");
    h.auto(true);
    h
}

/// A histogram as base64 of HDR's V2 + deflate encoding.
pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    // Serialising into a Vec cannot fail for a valid histogram.
    if V2DeflateSerializer::new().serialize(h, &mut buf).is_err() {
        buf.clear();
    }
    base64::engine::general_purpose::STANDARD.encode(buf)
}

/// Why a report's histogram could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    /// Not base64.
    #[error("the histogram is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// Base64, but not an HDR V2 encoding.
    #[error("the histogram is not an HDR V2 encoding: {0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
    /// An HDR histogram whose layout cannot be added to the report layout.
    #[error("the histogram's layout cannot be merged: {0:?}")]
    Incompatible(hdrhistogram::AdditionError),
}

/// Reads a histogram written by [`encode_histogram`]; an empty string is an empty histogram.
pub fn decode_histogram(s: &str) -> Result<Histogram<u64>, HistogramError> {
    let mut h = new_histogram();
    if s.is_empty() {
        return Ok(h);
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(s)?;
    let decoded: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(HistogramError::Decode)?;
    // Re-home into the auto-resizing layout so merges never refuse a value.
    h.add(&decoded).map_err(HistogramError::Incompatible)?;
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_round_trips_through_its_encoding() {
        let mut h = new_histogram();
        for v in [1_000u64, 2_000_000, 40_000_000, 40_000_000, 123_456_789] {
            h.record(v).unwrap();
        }
        let back = decode_histogram(&encode_histogram(&h)).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), 5);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_histogram("not base64!").is_err());
        assert!(decode_histogram("aGVsbG8=").is_err());
    }
}
