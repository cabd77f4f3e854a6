//! A component's card: its verdict, its figures, its latency distribution against the
//! target, and its findings with their recommendations.

use super::distribution::distribution;
use super::findings::item;
use super::markup::{badge, esc, fixed, leak_badge, ms, sev_class, symbol};
use super::words::Words;
use crate::model::{ComponentReport, Finding, MemoryBasis, Severity};
use std::fmt::Write;

pub(super) fn card(
    o: &mut String,
    w: &Words,
    i: usize,
    name: &str,
    c: &ComponentReport,
    findings: &[&Finding],
) {
    let l = &c.latency;
    let judged = l.count > 0 && c.target_ms.is_some();
    let _ = write!(
        o,
        "<article class=\"card sev-{}\" id=\"c{i}\" data-name=\"{}\"><header><h3>{}</h3>\
         <span class=\"kind\">{}</span>",
        if judged {
            sev_class(c.severity)
        } else {
            "none"
        },
        esc(name),
        esc(name),
        w.kind(c.kind)
    );
    if judged {
        o.push_str(&badge(w, c.severity));
    }
    o.push_str("</header><dl class=\"figs\">");
    let mut fig = |label: &str, value: String| {
        let _ = write!(o, "<div><dt>{label}</dt><dd>{value}</dd></div>");
    };
    let marked = |v: f64, s: Option<Severity>| match s {
        Some(s) if s > Severity::Good => {
            format!(
                "<span class=\"{}\">{} ms {}</span>",
                sev_class(s),
                ms(v),
                symbol(s)
            )
        }
        _ => format!("{} ms", ms(v)),
    };
    fig(w.samples, l.count.to_string());
    if l.count > 0 {
        let p = c.percentile_severity;
        fig(w.mean, format!("{} ms", ms(l.mean)));
        fig("P50", marked(l.median, p.map(|p| p.p50)));
        fig("P95", marked(l.p95, p.map(|p| p.p95)));
        fig("P99", marked(l.p99, p.map(|p| p.p99)));
        let spread = match c.variability {
            Some(v) if v.severity > Severity::Good => format!(
                " <span class=\"{}\">{} {} {}</span>",
                sev_class(v.severity),
                symbol(v.severity),
                w.variability,
                fixed(v.cv, 2)
            ),
            _ => String::new(),
        };
        fig(w.std, format!("{} ms{spread}", ms(l.std)));
        fig(w.min_max, format!("{} / {} ms", ms(l.min), ms(l.max)));
    }
    match c.target_ms {
        Some(t) => {
            let source = c.target_source.map_or(String::new(), |s| {
                format!(" <small>({})</small>", w.source(s))
            });
            let ratio = c
                .target_ratio
                .filter(|_| l.count > 0)
                .map_or(String::new(), |x| format!(" · ×{}", fixed(x, 2)));
            fig(w.target, format!("P95 {} ms{ratio}{source}", ms(t)));
        }
        None => fig(w.target, w.no_target.to_string()),
    }
    let throughput = match c.throughput_target_per_sec {
        Some(t) => format!(
            "{}{} ({} {}) {}",
            fixed(c.throughput_per_sec, 2),
            w.per_sec,
            w.target,
            fixed(t, 1),
            c.throughput_severity.map_or("", symbol)
        ),
        None => format!("{}{}", fixed(c.throughput_per_sec, 1), w.per_sec),
    };
    fig(w.throughput, throughput);
    if let Some(fps) = c.fps {
        let p95 = c
            .fps_p95
            .map_or(String::new(), |f| format!(" (P95 {})", fixed(f, 1)));
        let mark = c.fps_severity.map_or(String::new(), |s| {
            format!(" <span class=\"{}\">{}</span>", sev_class(s), symbol(s))
        });
        fig(w.fps, format!("{}{p95}{mark}", fixed(fps, 1)));
    }
    if let Some(s) = &c.stream {
        fig(
            w.stream,
            format!(
                "P95 {} ms · {} {} · {}{}",
                ms(s.total.p95),
                s.items,
                w.items,
                fixed(s.items_per_sec, 1),
                w.per_sec
            ),
        );
    }
    if let Some(share) = c.turn_share_pct {
        fig(w.turn_share, format!("{} %", fixed(share, 1)));
    }
    if let Some(m) = &c.memory {
        fig(
            w.memory_delta,
            format!(
                "{:+.1} MB {} <small>({})</small>",
                c.memory_delta_mb.unwrap_or(0.0),
                leak_badge(w, m.leak),
                match m.basis {
                    MemoryBasis::LiveHeap => w.basis_live_heap,
                    MemoryBasis::RssShare => w.basis_rss_share,
                }
            ),
        );
        if let Some(h) = &m.heap {
            fig(
                w.live_heap,
                format!(
                    "{} MB <small>({} {} MB · {} {} MB)</small>",
                    fixed(h.live_mb, 1),
                    w.allocated,
                    fixed(h.allocated_mb, 1),
                    w.freed,
                    fixed(h.freed_mb, 1)
                ),
            );
        }
        if let Some(r) = &m.rss_share {
            fig(
                w.rss_share,
                format!(
                    "{:+.1} MB <small>({} {})</small>",
                    r.share_mb, r.probes, w.probe_intervals
                ),
            );
        }
    }
    if let Some(a) = &c.allocations {
        fig(
            w.allocations,
            format!(
                "{}{} · {} KB{}",
                fixed(a.count_per_call, 1),
                w.per_call,
                fixed(a.bytes_per_call / 1024.0, 1),
                w.per_call
            ),
        );
    }
    if let Some(g) = &c.gpu {
        fig(
            w.gpu_during,
            format!(
                "{} {} % (max {} %) · VRAM {} MB",
                w.util,
                fixed(g.mean_util_pct, 0),
                fixed(g.max_util_pct, 0),
                fixed(g.max_vram_used_mb, 0)
            ),
        );
    }
    let n = &c.counts;
    fig(w.errors, n.errors.to_string());
    fig(w.cancelled, n.cancelled.to_string());
    if n.warmup_excluded > 0 {
        fig(w.warmup, n.warmup_excluded.to_string());
    }
    o.push_str("</dl>");
    distribution(o, w, name, c);
    if !findings.is_empty() {
        o.push_str("<ul class=\"findings\">");
        for f in findings {
            item(o, w, f);
        }
        o.push_str("</ul>");
    }
    let mut about: Vec<String> = c
        .labels
        .iter()
        .map(|(k, v)| format!("{}={}", esc(k), esc(v)))
        .collect();
    if !c.functions.is_empty() {
        let names: Vec<String> = c
            .functions
            .iter()
            .take(8)
            .map(|f| esc(f).into_owned())
            .collect();
        let more = if c.functions.len() > 8 { " …" } else { "" };
        about.push(format!("{}: {}{more}", w.functions, names.join(", ")));
    }
    if !about.is_empty() {
        let _ = write!(o, "<p class=\"about\">{}</p>", about.join(" · "));
    }
    o.push_str("</article>");
}
