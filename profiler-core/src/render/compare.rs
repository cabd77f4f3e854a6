//! A comparison (`analyse::compare`) as a table for people and as JSON for CI. The
//! verdicts and changes are the comparison's own; nothing is judged here.

use crate::analyse::compare::{Comparison, Pair, Row, Status, TurnComparison};
use crate::model::text::{printable, MAX_SHOWN_NAME_CHARS};
use serde_json::{json, Value};
use std::fmt::Write;

fn fmt_num(v: f64) -> String {
    if v == v.round() {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// The comparison as a table, then one line with the verdict.
pub fn table(c: &Comparison) -> String {
    let mut o = String::new();
    let shown = |s: &str| printable(s, MAX_SHOWN_NAME_CHARS).into_owned();
    // Paths are the user's own, shown whole; a file name found in a directory may
    // still hold a newline, so they are escaped too.
    let path = |p: &std::path::Path| printable(&p.display().to_string(), 4096).into_owned();
    let _ = writeln!(
        o,
        "base:    {} ({})",
        path(&c.base),
        shown(&c.base_timestamp)
    );
    let _ = writeln!(
        o,
        "current: {} ({})",
        path(&c.current),
        shown(&c.current_timestamp)
    );
    let _ = writeln!(o, "threshold: {} %\n", fmt_num(c.threshold_pct));
    let width = c
        .rows
        .iter()
        .map(|r| {
            printable(&r.component, MAX_SHOWN_NAME_CHARS)
                .chars()
                .count()
        })
        .max()
        .unwrap_or(0)
        .max(9);
    let _ = writeln!(
        o,
        "{:<width$}  {:<4} {:>11} {:>11} {:>10} {:>9}  status",
        "component", "pct", "base ms", "current ms", "Δ ms", "Δ %"
    );
    let _ = writeln!(o, "{}", "-".repeat(width + 58));
    let cell = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    for r in &c.rows {
        let flag = match r.status {
            Status::Regression => "REGRESSION".to_string(),
            s => s.word().to_string(),
        };
        let _ = writeln!(
            o,
            "{:<width$}  {:<4} {:>11} {:>11} {:>10} {:>9}  {flag}",
            shown(&r.component),
            r.percentile.name(),
            cell(r.base_ms),
            cell(r.current_ms),
            r.delta_ms.map_or("-".into(), |d| format!("{d:+.2}")),
            r.delta_pct.map_or("-".into(), |d| format!("{d:+.1}%")),
        );
    }
    let found: Vec<String> = c
        .regressions()
        .map(|r| {
            format!(
                "{} {} {}",
                shown(&r.component),
                r.percentile.name(),
                change(r)
            )
        })
        .collect();
    if let Some(t) = &c.turns {
        turns_table(&mut o, t);
    }
    let _ = writeln!(o);
    if found.is_empty() {
        let _ = writeln!(o, "No regression over {} %.", fmt_num(c.threshold_pct));
    } else {
        let _ = writeln!(
            o,
            "{} regression{} over {} %: {}",
            found.len(),
            if found.len() == 1 { "" } else { "s" },
            fmt_num(c.threshold_pct),
            found.join(", ")
        );
    }
    o
}

/// The word of a waterfall row: it explains, it does not fail the comparison.
fn change_word(s: Status) -> &'static str {
    match s {
        Status::Regression => "slower",
        Status::Improved => "faster",
        s => s.word(),
    }
}

/// The turns' waterfall part by part, then interruptions and sessions.
fn turns_table(o: &mut String, t: &TurnComparison) {
    let shown = |s: &str| printable(s, MAX_SHOWN_NAME_CHARS).into_owned();
    let width = t
        .parts
        .iter()
        .map(|r| shown(&r.part).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        o,
        "\nturn waterfall (where the E2E change went; explains, never fails the comparison):"
    );
    let _ = writeln!(
        o,
        "{:<width$}  {:>10} {:>10} {:>8}  {:>9} {:>9} {:>9}  change",
        "part", "base share", "cur share", "Δ pp", "base P95", "cur P95", "Δ ms"
    );
    let _ = writeln!(o, "{}", "-".repeat(width + 78));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}%"));
    let num = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2}"));
    let signed = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.2}"));
    for r in &t.parts {
        let _ = writeln!(
            o,
            "{:<width$}  {:>10} {:>10} {:>8}  {:>9} {:>9} {:>9}  {}",
            shown(&r.part),
            pct(r.share_pct.base),
            pct(r.share_pct.current),
            r.share_pct
                .delta()
                .map_or("-".into(), |d| format!("{d:+.1}")),
            num(r.p95_ms.base),
            num(r.p95_ms.current),
            signed(r.p95_ms.delta()),
            change_word(r.status)
        );
    }
    let both = |p: &Pair, unit: &str, decimals: usize| {
        let one = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.decimals$}{unit}"));
        format!("{} -> {}", one(p.base), one(p.current))
    };
    let _ = writeln!(
        o,
        "interrupted turns: {}; stopped after (P95): {}",
        both(&t.interruption_rate_pct, "%", 1),
        both(&t.interruption_p95_ms, " ms", 2)
    );
    let _ = writeln!(
        o,
        "sessions: peak concurrent {}; turns/s {}",
        both(&t.peak_concurrent_sessions, "", 0),
        both(&t.turns_per_sec, "", 2)
    );
}

fn pair_json(p: &Pair) -> Value {
    json!({ "base": p.base, "current": p.current, "delta": p.delta() })
}

/// A row's change: `+15.0%`, or `+50.00 ms from 0` when the baseline was zero.
fn change(r: &Row) -> String {
    match (r.delta_pct, r.delta_ms) {
        (Some(p), _) => format!("{p:+.1}%"),
        (None, Some(d)) => format!("{d:+.2} ms from 0"),
        (None, None) => "-".into(),
    }
}

/// The comparison as one JSON object, for CI.
pub fn to_json(c: &Comparison) -> Value {
    let rows: Vec<Value> = c
        .rows
        .iter()
        .map(|r| {
            json!({
                "component": r.component,
                "percentile": r.percentile.name().to_ascii_lowercase(),
                "base_ms": r.base_ms,
                "current_ms": r.current_ms,
                "delta_ms": r.delta_ms,
                "delta_pct": r.delta_pct,
                "base_samples": r.base_samples,
                "current_samples": r.current_samples,
                "status": r.status.word(),
            })
        })
        .collect();
    json!({
        "base": c.base.display().to_string(),
        "current": c.current.display().to_string(),
        "base_timestamp": c.base_timestamp,
        "current_timestamp": c.current_timestamp,
        "threshold_pct": c.threshold_pct,
        "regressions": c.regressions().count(),
        "rows": rows,
        "turns": c.turns.as_ref().map(|t| json!({
            "parts": t.parts.iter().map(|r| json!({
                "part": r.part,
                "share_pct": pair_json(&r.share_pct),
                "p50_ms": pair_json(&r.p50_ms),
                "p95_ms": pair_json(&r.p95_ms),
                "change": change_word(r.status),
            })).collect::<Vec<_>>(),
            "interruption_rate_pct": pair_json(&t.interruption_rate_pct),
            "interruption_p95_ms": pair_json(&t.interruption_p95_ms),
            "turns_per_sec": pair_json(&t.turns_per_sec),
            "peak_concurrent_sessions": pair_json(&t.peak_concurrent_sessions),
        })),
    })
}
