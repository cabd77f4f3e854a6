//! What every chart is drawn with: colours, the chart words in each language, the
//! font family, and how figures are written.

use super::font::{hangul_family, note_once, register_embedded, LATIN};
use crate::model::{Lang, Report};
use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor};
use std::path::Path;

pub(super) const INK: RGBColor = RGBColor(33, 37, 41);
pub(super) const MUTED: RGBColor = RGBColor(100, 106, 115);
pub(super) const GRID: RGBColor = RGBColor(225, 228, 232);
/// P50 / P95 / P99 within target: light to dark blue.
pub(super) const WITHIN: [RGBColor; 3] = [
    RGBColor(158, 202, 225),
    RGBColor(66, 146, 198),
    RGBColor(8, 81, 156),
];
/// P50 / P95 / P99 over target: light to dark orange-red.
pub(super) const OVER: [RGBColor; 3] = [
    RGBColor(253, 174, 107),
    RGBColor(230, 85, 13),
    RGBColor(166, 54, 3),
];
/// Figures of over-target bars.
pub(super) const OVER_INK: RGBColor = RGBColor(166, 54, 3);
pub(super) const TARGET: RGBColor = RGBColor(200, 30, 45);
pub(super) const RSS: RGBColor = RGBColor(31, 119, 180);
pub(super) const VMS: RGBColor = RGBColor(148, 103, 189);
pub(super) const BASELINE: RGBColor = RGBColor(44, 160, 44);
pub(super) const DEVICES: [RGBColor; 6] = {
    let s = crate::render::style::SERIES;
    [
        RGBColor(s[0].0, s[0].1, s[0].2),
        RGBColor(s[1].0, s[1].1, s[1].2),
        RGBColor(s[2].0, s[2].1, s[2].2),
        RGBColor(s[3].0, s[3].1, s[3].2),
        RGBColor(s[4].0, s[4].1, s[4].2),
        RGBColor(s[5].0, s[5].1, s[5].2),
    ]
};

/// The font family and words a chart is drawn with.
pub(super) struct Style {
    pub(super) family: &'static str,
    /// The labels' language: English when a Korean report has no Hangul font.
    pub(super) lang: Lang,
    pub(super) words: &'static Words,
}

impl Style {
    pub(super) fn for_report(report: &Report, korean_font: Option<&Path>) -> Style {
        register_embedded();
        if report.lang == Lang::Ko {
            match hangul_family(korean_font) {
                Ok(family) => {
                    return Style {
                        family,
                        lang: Lang::Ko,
                        words: &KO,
                    }
                }
                Err(why) => note_once(&why),
            }
        }
        Style {
            family: LATIN,
            lang: Lang::En,
            words: &EN,
        }
    }

    pub(super) fn font(&self, size: f64) -> TextStyle<'static> {
        TextStyle::from((self.family, size).into_font()).color(&INK)
    }

    pub(super) fn bold(&self, size: f64) -> TextStyle<'static> {
        TextStyle::from((self.family, size, FontStyle::Bold).into_font()).color(&INK)
    }
}

/// Chart words in one language.
pub(super) struct Words {
    pub(super) latency_title: &'static str,
    pub(super) latency_axis: &'static str,
    pub(super) components_axis: &'static str,
    pub(super) over_target: &'static str,
    pub(super) target: &'static str,
    pub(super) no_target: &'static str,
    pub(super) first_item: &'static str,
    pub(super) per_frame: &'static str,
    pub(super) turn: &'static str,
    pub(super) samples: &'static str,
    pub(super) memory_title: &'static str,
    pub(super) time_axis: &'static str,
    pub(super) rss_axis: &'static str,
    pub(super) vms_axis: &'static str,
    pub(super) baseline: &'static str,
    pub(super) warmup: &'static str,
    pub(super) growth: &'static str,
    pub(super) peak: &'static str,
    pub(super) leak_suspected: &'static str,
    pub(super) leak_certain: &'static str,
    pub(super) gpu_title: &'static str,
    pub(super) util_axis: &'static str,
    pub(super) vram_axis: &'static str,
    pub(super) temp_axis: &'static str,
    pub(super) total: &'static str,
    pub(super) cpu_bound: &'static str,
    pub(super) throttling: &'static str,
    pub(super) vram_shortage: &'static str,
    pub(super) waterfall_title: &'static str,
    pub(super) turns: &'static str,
    pub(super) mean_turn: &'static str,
    pub(super) p50_turn: &'static str,
    pub(super) p95_turn: &'static str,
    pub(super) shares_total: &'static str,
    pub(super) e2e_target: &'static str,
    pub(super) share_of_delay: &'static str,
}

pub(super) const EN: Words = Words {
    latency_title: "Latency per component: P50 / P95 / P99 against the P95 target",
    latency_axis: "Latency (ms)",
    components_axis: "Component",
    over_target: "over target",
    target: "P95 target",
    no_target: "no target",
    first_item: "first item",
    per_frame: "per frame",
    turn: "end-to-end turn",
    samples: "samples",
    memory_title: "Process memory over time",
    time_axis: "Time since start (s)",
    rss_axis: "RSS (MB)",
    vms_axis: "VMS (MB)",
    baseline: "RSS baseline",
    warmup: "warm-up",
    growth: "growth",
    peak: "peak",
    leak_suspected: "leak suspected",
    leak_certain: "leak",
    gpu_title: "GPU over time",
    util_axis: "Utilisation (%)",
    vram_axis: "VRAM used (MB)",
    temp_axis: "Temperature (°C)",
    total: "total",
    cpu_bound: "below it, likely CPU-bound",
    throttling: "throttling",
    vram_shortage: "of total: shortage",
    waterfall_title: "Turn E2E waterfall: the critical path, parts adding up to the E2E",
    turns: "turns",
    mean_turn: "mean turn",
    p50_turn: "P50 turn",
    p95_turn: "P95 turn",
    shares_total: "shares of delay add up to",
    e2e_target: "E2E target",
    share_of_delay: "Share of delay",
};

pub(super) const KO: Words = Words {
    latency_title: "컴포넌트별 지연 시간: P50 / P95 / P99 와 P95 목표",
    latency_axis: "지연 시간 (ms)",
    components_axis: "컴포넌트",
    over_target: "목표 초과",
    target: "P95 목표",
    no_target: "목표 없음",
    first_item: "첫 항목",
    per_frame: "프레임당",
    turn: "턴 전체 (E2E)",
    samples: "샘플",
    memory_title: "프로세스 메모리 추이",
    time_axis: "시작 후 시간 (s)",
    rss_axis: "RSS (MB)",
    vms_axis: "VMS (MB)",
    baseline: "RSS 기준선",
    warmup: "워밍업",
    growth: "증가",
    peak: "최대",
    leak_suspected: "누수 의심",
    leak_certain: "누수",
    gpu_title: "GPU 추이",
    util_axis: "사용률 (%)",
    vram_axis: "VRAM 사용량 (MB)",
    temp_axis: "온도 (°C)",
    total: "전체",
    cpu_bound: "미만이면 CPU 병목 가능",
    throttling: "스로틀링",
    vram_shortage: "전체 대비: 메모리 부족",
    waterfall_title: "턴 E2E 워터폴: 임계 경로 구간의 합 = E2E",
    turns: "턴",
    mean_turn: "평균 턴",
    p50_turn: "P50 턴",
    p95_turn: "P95 턴",
    shares_total: "지연 비중 합계",
    e2e_target: "E2E 목표",
    share_of_delay: "지연 비중",
};

pub(super) use crate::render::style::ms;
