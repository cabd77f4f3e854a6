//! How a name from outside (a component, a function, a GPU, a timestamp) may look when
//! it reaches a terminal, a table cell, a chart label or a report: printable and bounded.
//!
//! Names come from `#[profile]`, from other code's `tracing` spans and from report files
//! anyone may have written, so they may hold terminal escapes (`\x1b[2J` clears the
//! screen), newlines that forge report lines, direction overrides that reorder text, or
//! ten thousand characters that pad every row. Such characters are written as escapes
//! (`\u{1b}`), and long names are cut with an ellipsis.

use std::borrow::Cow;

/// Longest component name the profiler records, in characters: longer names from
/// spans are cut to it when they register.
pub const MAX_COMPONENT_NAME_CHARS: usize = 128;
/// Longest session id the profiler records, in characters: a longer id given to
/// `Conversation::new` is cut to it.
pub const MAX_SESSION_ID_CHARS: usize = 128;
/// Longest name a table row or a chart label shows, in characters.
pub const MAX_SHOWN_NAME_CHARS: usize = 64;
/// Longest free text (a bottleneck, a recommendation) a console line shows.
pub const MAX_SHOWN_TEXT_CHARS: usize = 1024;

/// Whether `c` must not reach a terminal as it is: control characters (escapes, newlines,
/// tabs, DEL, C1), invisible format characters and direction overrides.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// `s` made safe to show: every unsafe character (see [`is_unsafe_char`]) written as an
/// escape (`\u{1b}`), the whole cut to at most `max` characters, a cut marked with `…`.
/// Borrowed when `s` is already safe and short enough. Reads at most `max + 1`
/// characters of `s`, however long it is.
pub fn printable(s: &str, max: usize) -> Cow<'_, str> {
    let max = max.max(1);
    let mut shown = 0usize;
    for c in s.chars() {
        let w = width(c);
        if is_unsafe_char(c) || shown + w > max {
            return Cow::Owned(rewrite(s, max));
        }
        shown += w;
    }
    Cow::Borrowed(s)
}

/// Characters `c` takes once shown: 1, or its escape's length.
fn width(c: char) -> usize {
    if is_unsafe_char(c) {
        // `\u{` + hex digits + `}`
        4 + (32 - (c as u32 | 1).leading_zeros()).div_ceil(4) as usize
    } else {
        1
    }
}

fn rewrite(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(max.min(s.len()) + 8);
    let mut shown = 0usize;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let w = width(c);
        // The ellipsis takes the last place, unless this last character fits there.
        if shown + w > max - 1 && !(chars.peek().is_none() && shown + w <= max) {
            out.push('…');
            break;
        }
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
        shown += w;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_newlines_are_written_as_escapes() {
        assert_eq!(printable("stt", 64), "stt");
        assert!(matches!(printable("stt", 64), Cow::Borrowed(_)));
        assert_eq!(printable("\x1b[2Jtts", 64), "\\u{1b}[2Jtts");
        assert_eq!(printable("a\nb\tc", 64), "a\\u{a}b\\u{9}c");
        assert_eq!(printable("evil\u{202e}txt", 64), "evil\\u{202e}txt");
        assert_eq!(printable("음성", 64), "음성");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis() {
        let long = "x".repeat(10_000);
        let shown = printable(&long, 64);
        assert_eq!(shown.chars().count(), 64);
        assert!(shown.ends_with('…'));
        assert_eq!(printable(&"y".repeat(64), 64), "y".repeat(64));
        assert_eq!(printable(&"y".repeat(65), 64).chars().count(), 64);
        assert_eq!(printable("ab\x1b", 10), "ab\\u{1b}");
        assert_eq!(printable("ab\x1b", 8), "ab\\u{1b}");
        assert_eq!(printable("ab\x1b", 7), "ab…");
        assert_eq!(printable("\u{202e}", 8), "\\u{202e}");
        let escapes = "\x1b".repeat(100);
        let escaped = printable(&escapes, 20);
        assert!(escaped.chars().count() <= 20, "{escaped}");
        assert!(!escaped.contains('\x1b'));
    }
}
