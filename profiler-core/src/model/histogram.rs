//! The histogram layout every report uses, and its encoding in report files.
//!
//! Latencies are nanoseconds in an HDR histogram with 3 significant figures and
//! auto-resizing (so merges never refuse a value). A report carries each histogram as
//! base64 of HDR's V2 + deflate encoding, so reports merge and compare exactly.
//!
//! Reading is bounded: a report file is input from anywhere, and HDR's own V2
//! deserializer allocates whatever payload length a header claims before it checks it
//! (a 56-character string can ask for 4 GB). So the encoded size, the inflated size,
//! the header's claims (payload length, significant figures) and the counts themselves
//! (a run that cannot be, a sum past `u64::MAX`) are checked here first, and only an
//! encoding that passes is handed to `hdrhistogram`. Decoding one histogram therefore
//! takes at most a few MB, whatever its input says.

use base64::Engine;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use std::borrow::Cow;
use std::io::Read;

/// Largest encoded histogram accepted, in bytes after base64 (1 MiB). The largest
/// histogram this profiler writes (values over the whole `u64` range, every bucket
/// filled) encodes to about half of that before compression.
pub const MAX_ENCODED_BYTES: usize = 1 << 20;
/// Largest V2 encoding accepted once inflated, in bytes (1 MiB).
pub const MAX_INFLATED_BYTES: usize = 1 << 20;
/// Most significant figures a histogram may claim: reports are written with 3, and
/// more would make the bucket array of a decoded histogram grow a hundredfold.
pub const MAX_SIGNIFICANT_FIGURES: u32 = 3;

/// HDR's V2 cookies (`V2_COOKIE_BASE | 0x10`, plain and compressed).
const V2_COOKIE: u32 = 0x1c84_9313;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9314;
/// Cookie, payload length, normalising offset, significant figures, lowest and highest
/// value, integer-to-double ratio.
const V2_HEADER_BYTES: usize = 40;

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
    /// Larger than any histogram this profiler writes.
    #[error("the histogram's {what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Which size: `encoding` or `inflated encoding`.
        what: &'static str,
        /// Its size (at least), bytes.
        size: u64,
        /// The limit, bytes.
        limit: usize,
    },
    /// Compressed data that does not inflate.
    #[error("the histogram's compressed data does not inflate: {0}")]
    Inflate(std::io::Error),
    /// An encoding whose header or counts cannot be those of a real histogram.
    #[error("the histogram is corrupt: {0}")]
    Corrupt(&'static str),
    /// Base64, but not an HDR V2 encoding.
    #[error("the histogram is not an HDR V2 encoding: {0:?}")]
    Decode(hdrhistogram::serialization::DeserializeError),
    /// An HDR histogram whose layout cannot be added to the report layout.
    #[error("the histogram's layout cannot be merged: {0:?}")]
    Incompatible(hdrhistogram::AdditionError),
}

/// Reads a histogram written by [`encode_histogram`]; an empty string is an empty
/// histogram. Bounded in time and memory whatever `s` holds (see the module docs).
pub fn decode_histogram(s: &str) -> Result<Histogram<u64>, HistogramError> {
    if s.is_empty() {
        return Ok(new_histogram());
    }
    // Four base64 characters carry three bytes: refuse before decoding anything.
    let most = (s.len() as u64).div_ceil(4) * 3;
    if most > MAX_ENCODED_BYTES as u64 + 3 {
        return Err(HistogramError::TooLarge {
            what: "encoding",
            size: most,
            limit: MAX_ENCODED_BYTES,
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(s)?;
    decode_histogram_bytes(&bytes)
}

/// Reads the HDR V2 encoding (compressed or plain) of a histogram, after checking its
/// sizes, header and counts (see the module docs), into the report layout.
pub fn decode_histogram_bytes(bytes: &[u8]) -> Result<Histogram<u64>, HistogramError> {
    if bytes.len() > MAX_ENCODED_BYTES {
        return Err(HistogramError::TooLarge {
            what: "encoding",
            size: bytes.len() as u64,
            limit: MAX_ENCODED_BYTES,
        });
    }
    let v2: Cow<'_, [u8]> = match be_u32(bytes, 0) {
        Some(V2_COMPRESSED_COOKIE) => Cow::Owned(inflate(bytes)?),
        Some(V2_COOKIE) => Cow::Borrowed(bytes),
        Some(_) => {
            return Err(HistogramError::Corrupt(
                "it does not start with an HDR V2 cookie",
            ))
        }
        None => return Err(HistogramError::Corrupt("it is cut short before its header")),
    };
    check_v2(&v2)?;
    let decoded: Histogram<u64> = Deserializer::new()
        .deserialize(&mut &v2[..])
        .map_err(HistogramError::Decode)?;
    // Re-home into the auto-resizing layout so merges never refuse a value.
    let mut h = new_histogram();
    h.add(&decoded).map_err(HistogramError::Incompatible)?;
    Ok(h)
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let word = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(word.try_into().ok()?))
}

/// The V2 encoding inside a compressed one (cookie, compressed length, zlib data),
/// inflated to at most `MAX_INFLATED_BYTES`.
fn inflate(bytes: &[u8]) -> Result<Vec<u8>, HistogramError> {
    let len = be_u32(bytes, 4)
        .ok_or(HistogramError::Corrupt("it is cut short before its header"))?
        as usize;
    let compressed =
        bytes
            .get(8..)
            .and_then(|rest| rest.get(..len))
            .ok_or(HistogramError::Corrupt(
                "its compressed length runs past the end of the data",
            ))?;
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_INFLATED_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(HistogramError::Inflate)?;
    if out.len() > MAX_INFLATED_BYTES {
        return Err(HistogramError::TooLarge {
            what: "inflated encoding",
            size: out.len() as u64,
            limit: MAX_INFLATED_BYTES,
        });
    }
    Ok(out)
}

/// Checks what HDR's deserializer would trust: the payload length against the bytes
/// present, the significant figures, and every count (a zig-zag LEB128 number of at
/// most 9 bytes; negative: a run of empty buckets).
fn check_v2(b: &[u8]) -> Result<(), HistogramError> {
    let cut = HistogramError::Corrupt("its V2 header is cut short");
    if be_u32(b, 0) != Some(V2_COOKIE) {
        return Err(HistogramError::Corrupt(
            "its inflated data is not an HDR V2 encoding",
        ));
    }
    let payload_len = be_u32(b, 4).ok_or(cut)? as usize;
    let figures = be_u32(b, 12).ok_or(HistogramError::Corrupt("its V2 header is cut short"))?;
    let payload = b
        .get(V2_HEADER_BYTES..)
        .and_then(|rest| rest.get(..payload_len))
        .ok_or(HistogramError::Corrupt(
            "its header claims more counts than the data holds",
        ))?;
    if figures > MAX_SIGNIFICANT_FIGURES {
        return Err(HistogramError::Corrupt(
            "it claims more than 3 significant figures",
        ));
    }
    let mut rest = payload;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let (zigzag, used) =
            varint(rest).ok_or(HistogramError::Corrupt("its last count is cut short"))?;
        rest = &rest[used..];
        let count = ((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64);
        if count == i64::MIN {
            // HDR negates a run length; this one has no negation.
            return Err(HistogramError::Corrupt(
                "it holds a run of empty buckets out of range",
            ));
        }
        if count > 0 {
            total = total
                .checked_add(count as u64)
                .ok_or(HistogramError::Corrupt("its counts add up past 2^64"))?;
        }
    }
    Ok(())
}

/// HDR's LEB128 variant: 7 bits per byte, at most 9 bytes, the 9th taken whole.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let byte = *b.get(i)?;
        if i == 8 {
            return Some((value | (u64::from(byte) << 56), 9));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
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
    fn the_widest_histogram_this_profiler_writes_decodes() {
        // Every magnitude from 1 ns to 2^63 ns: the largest bucket array a report holds.
        let mut h = new_histogram();
        for shift in 0..63 {
            for step in 0..64u64 {
                h.record((1u64 << shift) + step * ((1u64 << shift) / 64))
                    .unwrap();
            }
        }
        let encoded = encode_histogram(&h);
        assert!(encoded.len() < MAX_ENCODED_BYTES, "{}", encoded.len());
        assert_eq!(decode_histogram(&encoded).unwrap(), h);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(decode_histogram("not base64!").is_err());
        assert!(decode_histogram("aGVsbG8=").is_err());
    }

    /// A plain V2 header: `payload_len` claimed, `figures` significant figures.
    fn v2_header(payload_len: u32, figures: u32) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(V2_COOKIE.to_be_bytes());
        b.extend(payload_len.to_be_bytes());
        b.extend(0u32.to_be_bytes());
        b.extend(figures.to_be_bytes());
        b.extend(1u64.to_be_bytes());
        b.extend(2u64.to_be_bytes());
        b.extend(1f64.to_be_bytes());
        b
    }

    #[test]
    fn a_header_claiming_4_gb_is_refused_before_any_allocation() {
        let b = v2_header(u32::MAX, 3);
        let s = base64::engine::general_purpose::STANDARD.encode(&b);
        assert_eq!(s.len(), 56);
        let err = decode_histogram(&s).unwrap_err();
        assert!(
            err.to_string()
                .contains("claims more counts than the data holds"),
            "{err}"
        );
    }

    #[test]
    fn compressed_data_that_inflates_past_the_limit_is_refused() {
        // 4 MiB of zeros compress to a few KB.
        let mut inner = v2_header(4 << 20, 3);
        inner.extend(std::iter::repeat_n(0u8, 4 << 20));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut z, &inner).unwrap();
        let zipped = z.finish().unwrap();
        let mut b = V2_COMPRESSED_COOKIE.to_be_bytes().to_vec();
        b.extend((zipped.len() as u32).to_be_bytes());
        b.extend(&zipped);
        assert!(b.len() < 64 << 10);
        assert!(matches!(
            decode_histogram_bytes(&b),
            Err(HistogramError::TooLarge {
                what: "inflated encoding",
                ..
            })
        ));
        // A compressed length past the data is refused too.
        b[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode_histogram_bytes(&b),
            Err(HistogramError::Corrupt(_))
        ));
    }

    #[test]
    fn impossible_counts_and_layouts_are_refused() {
        // A run length whose negation overflows (HDR would panic in a debug build).
        let mut b = v2_header(9, 3);
        b.extend([0xff; 9]);
        assert!(decode_histogram_bytes(&b)
            .unwrap_err()
            .to_string()
            .contains("out of range"));
        // Counts that add up past u64::MAX (HDR would saturate the total silently).
        let mut b = v2_header(27, 3);
        for _ in 0..3 {
            // zig-zag of i64::MAX: 2^64 - 2.
            b.extend([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
        }
        assert!(decode_histogram_bytes(&b)
            .unwrap_err()
            .to_string()
            .contains("past 2^64"));
        // Five significant figures: a 50 MB bucket array for nothing.
        assert!(decode_histogram_bytes(&v2_header(0, 5))
            .unwrap_err()
            .to_string()
            .contains("significant figures"));
        // An oversized string is refused from its length alone.
        let huge = "A".repeat(MAX_ENCODED_BYTES * 2);
        assert!(matches!(
            decode_histogram(&huge),
            Err(HistogramError::TooLarge {
                what: "encoding",
                ..
            })
        ));
    }
}
