//! GPUs over the run, one figure per device: utilisation, VRAM and temperature over
//! time against the report's thresholds, under the device's checks as the report
//! judged them. Without GPU figures, the report's reason in one line.

use super::markup::{badge, esc, fixed, Plot};
use super::memory::{padded, span};
use super::words::{fill, Words};
use super::MAX_GPU_DEVICES;
use crate::model::{GpuDevice, GpuPoint, GpuThresholds, Report};
use std::fmt::Write;

pub(super) fn gpu(o: &mut String, w: &Words, r: &Report) {
    let g = &r.gpu;
    let _ = write!(o, "<section id=\"gpu\"><h2>{}</h2>", w.gpu);
    if !g.available || g.devices.is_empty() {
        let _ = write!(
            o,
            "<p class=\"note\">⚠ {}: {}</p></section>",
            w.no_gpu,
            esc(g.reason.as_deref().unwrap_or(""))
        );
        return;
    }
    if g.devices.len() > MAX_GPU_DEVICES {
        let _ = write!(
            o,
            "<p class=\"note\">{}</p>",
            fill(
                w.devices_bound,
                &[
                    ("n", MAX_GPU_DEVICES.to_string()),
                    ("total", g.devices.len().to_string())
                ]
            )
        );
    }
    for d in g.devices.iter().take(MAX_GPU_DEVICES) {
        device(o, w, d, &g.thresholds);
    }
    o.push_str("</section>");
}

/// One of a device's three plots: a figure over time against its threshold.
struct Panel {
    label: String,
    points: Vec<(f64, f64)>,
    y: (f64, f64),
    threshold: f64,
    note: String,
}

fn device(o: &mut String, w: &Words, d: &GpuDevice, th: &GpuThresholds) {
    let _ = write!(
        o,
        "<h3>GPU {} · {}</h3><p>{} {} / {} MB ({} %) {} · {} {} % (max {} %) {} · \
         {} {} °C {} · {} {} W</p>",
        d.index,
        esc(&d.name),
        w.vram,
        fixed(d.max_vram_used_mb, 0),
        fixed(d.vram_total_mb, 0),
        fixed(d.max_vram_pct, 1),
        badge(w, d.checks.vram),
        w.util,
        fixed(d.mean_util_pct, 1),
        fixed(d.max_util_pct, 0),
        badge(w, d.checks.utilisation),
        w.temperature,
        fixed(d.max_temperature_c, 0),
        badge(w, d.checks.temperature),
        w.power,
        fixed(d.max_power_w, 0)
    );
    if !d.throttle_reasons.is_empty() {
        let reasons: Vec<String> = d
            .throttle_reasons
            .iter()
            .map(|r| esc(r).into_owned())
            .collect();
        let _ = write!(o, "<p>{}: {}</p>", w.throttle, reasons.join(", "));
    }
    if d.samples.is_empty() {
        return;
    }
    let t = span(d.samples.iter().map(|p| p.t_sec));
    let _ = write!(
        o,
        "<figure class=\"timeline\"><svg viewBox=\"0 0 1000 400\" role=\"img\" aria-label=\"GPU {}\">",
        d.index
    );
    let series = |f: fn(&GpuPoint) -> f64| -> Vec<(f64, f64)> {
        d.samples.iter().map(|p| (p.t_sec, f(p))).collect()
    };
    let temps = series(|p| p.temperature_c);
    let (lo, hi) = temps
        .iter()
        .map(|p| p.1)
        .chain([th.hot_c])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let panels = [
        Panel {
            label: format!("{} %", w.util),
            points: series(|p| p.util_pct),
            y: (0.0, 100.0),
            threshold: th.low_utilisation_pct,
            note: format!("{} % {}", fixed(th.low_utilisation_pct, 0), w.cpu_bound),
        },
        Panel {
            label: format!("{} %", w.vram),
            points: series(|p| p.vram_pct),
            y: (0.0, 100.0),
            threshold: th.vram_shortage_pct,
            note: format!("{} % {}", fixed(th.vram_shortage_pct, 0), w.shortage),
        },
        Panel {
            label: format!("{} °C", w.temperature),
            points: temps,
            y: padded(lo, hi),
            threshold: th.hot_c,
            note: format!("{} °C {}", fixed(th.hot_c, 0), w.throttling),
        },
    ];
    let last = panels.len() - 1;
    for (i, panel) in panels.into_iter().enumerate() {
        let Panel {
            label,
            points,
            y,
            threshold,
            note,
        } = panel;
        let plot = Plot {
            x: t,
            y,
            left: 64.0,
            top: 22.0 + i as f64 * 126.0,
            width: 900.0,
            height: 86.0,
        };
        plot.y_axis(o, 3);
        plot.x_axis(o, 8, if i == last { w.time_axis } else { "" });
        plot.h_line(o, "threshold", threshold, &note);
        plot.polyline(o, "line gpu", &points);
        let _ = write!(
            o,
            "<text class=\"label\" x=\"64\" y=\"{}\">{}</text>",
            fixed(plot.top - 6.0, 0),
            esc(&label)
        );
    }
    o.push_str("</svg></figure>");
}
