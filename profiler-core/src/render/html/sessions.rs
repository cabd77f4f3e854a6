//! Sessions (conversations): how many, turns per second against the pipeline's budget,
//! each session's E2E beside the pooled P95, and the per-session budgets with the
//! report's notes.

use super::markup::{badge, esc, fixed, key, ms, rank, sev_class, symbol};
use super::words::{fill, Words};
use super::MAX_SESSION_ROWS;
use crate::model::{Kind, Report};
use std::fmt::Write;

pub(super) fn sessions(o: &mut String, w: &Words, r: &Report) {
    let Some(s) = &r.sessions else {
        return;
    };
    let _ = write!(
        o,
        "<section id=\"sessions\"><h2>{} <small>{}</small></h2><p>{} {} · {} {} · {}: {} \
         ({} {}) {}",
        w.sessions,
        s.opened,
        s.opened,
        w.opened,
        s.peak_concurrent,
        w.peak_concurrent,
        w.turns_per_sec,
        fixed(s.turns_per_sec, 2),
        w.target,
        fixed(s.turns_per_sec_target, 0),
        badge(w, s.throughput_severity)
    );
    let pooled = r.components.values().find(|c| c.kind == Kind::Turn);
    let _ = write!(
        o,
        " · {} {} ms {}</p>",
        w.pooled_p95,
        ms(s.pooled_e2e_p95_ms),
        pooled.map_or(String::new(), |c| badge(w, c.severity))
    );
    if s.untracked > 0 || s.turns_without_session > 0 {
        let _ = write!(
            o,
            "<p class=\"note\">{} {} · {} {}</p>",
            s.untracked, w.untracked, s.turns_without_session, w.without_session
        );
    }
    if !s.budgets.is_empty() {
        o.push_str("<ul class=\"budgets\">");
        for b in &s.budgets {
            let verdict = if b.measured_mb.is_some() {
                badge(w, b.severity)
            } else {
                format!("<span class=\"badge\">– {}</span>", w.not_measured)
            };
            let _ = write!(
                o,
                "<li>{verdict} <b>{}</b> ({} MB): {}</li>",
                w.budget(b.resource),
                fixed(b.limit_mb, 0),
                esc(&b.note)
            );
        }
        o.push_str("</ul>");
    }
    if s.sessions.is_empty() {
        o.push_str("</section>");
        return;
    }
    if s.sessions.len() > MAX_SESSION_ROWS {
        let _ = write!(
            o,
            "<p class=\"note\">{}</p>",
            fill(
                w.sessions_bound,
                &[
                    ("n", MAX_SESSION_ROWS.to_string()),
                    ("total", s.sessions.len().to_string())
                ]
            )
        );
    }
    let _ = write!(
        o,
        "<div class=\"scroll\"><table class=\"sortable\" id=\"sessions-table\"><thead><tr>\
         <th data-type=\"text\" tabindex=\"0\">{}</th><th data-type=\"num\" tabindex=\"0\">{}</th>\
         <th data-type=\"num\" tabindex=\"0\">{}</th><th data-type=\"num\" tabindex=\"0\">E2E P50 ms</th>\
         <th data-type=\"num\" tabindex=\"0\">E2E P95 ms</th><th data-type=\"num\" tabindex=\"0\">E2E P99 ms</th>\
         <th data-type=\"num\" tabindex=\"0\">{}</th><th data-type=\"num\" tabindex=\"0\">{}{}</th>\
         <th data-type=\"num\" tabindex=\"0\">{} s</th></tr></thead><tbody>",
        w.session,
        w.turns_col,
        w.interrupted,
        w.severity_word,
        w.turns_col,
        w.per_sec,
        w.active
    );
    for x in s.sessions.iter().take(MAX_SESSION_ROWS) {
        let open = if x.open {
            format!(" <small>({})</small>", w.open)
        } else {
            String::new()
        };
        let _ = write!(
            o,
            "<tr><td>{}{open}</td><td>{}</td><td>{}</td><td data-v=\"{}\">{}</td>\
             <td class=\"{}\" data-v=\"{}\">{} {}</td><td data-v=\"{}\">{}</td>\
             <td class=\"{}\" data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td><td data-v=\"{}\">{}</td></tr>",
            esc(&x.id),
            x.turns,
            x.interrupted,
            key(Some(x.e2e.median)),
            ms(x.e2e.median),
            sev_class(x.severity),
            key(Some(x.e2e.p95)),
            ms(x.e2e.p95),
            symbol(x.severity),
            key(Some(x.e2e.p99)),
            ms(x.e2e.p99),
            sev_class(x.severity),
            rank(x.severity),
            w.severity(x.severity),
            key(Some(x.turns_per_sec)),
            fixed(x.turns_per_sec, 2),
            key(Some(x.active_sec)),
            fixed(x.active_sec, 1)
        );
    }
    o.push_str("</tbody></table></div></section>");
}
