//! The bottlenecks, most severe first (the report's order), each with its
//! recommendation: the report's own sentences, in its language.

use super::markup::{badge, esc};
use super::words::{fill, Words};
use super::MAX_FINDINGS;
use crate::model::{Finding, Report};
use std::fmt::Write;

pub(super) fn findings(o: &mut String, w: &Words, r: &Report) {
    let total = r.findings.len().max(r.bottlenecks.len());
    let _ = write!(
        o,
        "<section id=\"findings\"><h2>{} <small>{total}</small></h2>",
        w.findings
    );
    if total == 0 {
        let _ = write!(
            o,
            "<p><span class=\"badge good\">✓ {}</span></p></section>",
            w.none
        );
        return;
    }
    if total > MAX_FINDINGS {
        let _ = write!(
            o,
            "<p class=\"note\">{}</p>",
            fill(
                w.findings_bound,
                &[
                    ("n", MAX_FINDINGS.to_string()),
                    ("total", total.to_string())
                ]
            )
        );
    }
    o.push_str("<ol class=\"findings\">");
    if r.findings.is_empty() {
        // A report that kept only the seed's sentences: list those.
        let recs = r
            .recommendations
            .iter()
            .map(Some)
            .chain(std::iter::repeat(None));
        for (b, rec) in r.bottlenecks.iter().zip(recs).take(MAX_FINDINGS) {
            let _ = write!(o, "<li><p>{}</p>", esc(b));
            if let Some(rec) = rec {
                let _ = write!(
                    o,
                    "<p class=\"rec\"><b>{}</b>: {}</p>",
                    w.recommendation,
                    esc(rec)
                );
            }
            o.push_str("</li>");
        }
    }
    for f in r.findings.iter().take(MAX_FINDINGS) {
        item(o, w, f);
    }
    o.push_str("</ol></section>");
}

/// One finding: its verdict, its sentence (which names what it is about) and what to
/// do.
pub(super) fn item(o: &mut String, w: &Words, f: &Finding) {
    let _ = write!(o, "<li>{} ", badge(w, f.severity));
    let _ = write!(
        o,
        "<span>{}</span><p class=\"rec\"><b>{}</b>: {}</p></li>",
        esc(&f.message),
        w.recommendation,
        esc(&f.recommendation)
    );
}
