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
/// Borrowed when `s` is already safe and short enough.
pub fn printable(s: &str, max: usize) -> Cow<'_, str> {
    let max = max.max(1);
    let width = |c: char| {
        if is_unsafe_char(c) {
            // `\u{` + hex digits + `}`
            4 + format!("{:x}", c as u32).len()
        } else {
            1
        }
    };
    let total: usize = s.chars().map(width).sum();
    if total <= max && !s.chars().any(is_unsafe_char) {
        return Cow::Borrowed(s);
    }
    // The ellipsis takes the last place when the whole does not fit.
    let room = if total <= max { max } else { max - 1 };
    let mut out = String::with_capacity(s.len().min(room * 4) + 3);
    let mut shown = 0usize;
    for c in s.chars() {
        let w = width(c);
        if shown + w > room {
            break;
        }
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
        shown += w;
    }
    if total > max {
        out.push('…');
    }
    Cow::Owned(out)
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
        let escapes = "\x1b".repeat(100);
        let escaped = printable(&escapes, 20);
        assert!(escaped.chars().count() <= 20, "{escaped}");
        assert!(!escaped.contains('\x1b'));
    }
}
