//! GPU judgements: each device's figures against the thresholds (VRAM > 90 % memory
//! shortage, utilisation < 30 % likely CPU-bound, temperature > 85 C throttling), as
//! the device's `checks` and as findings with recommendations.

use crate::model::{Finding, FindingKind, GpuChecks, GpuReport, Lang, Severity};

/// Sets each device's `checks` against the report's thresholds.
pub fn check(gpu: &mut GpuReport) {
    let t = gpu.thresholds;
    for d in &mut gpu.devices {
        let over = |crossed: bool, s: Severity| if crossed { s } else { Severity::Good };
        d.checks = GpuChecks {
            vram: over(d.max_vram_pct > t.vram_shortage_pct, Severity::Critical),
            utilisation: over(d.mean_util_pct < t.low_utilisation_pct, Severity::Warning),
            temperature: over(d.max_temperature_c > t.hot_c, Severity::High),
        };
    }
}

/// Findings of every device in `gpu` (its checks set by [`check`]).
pub fn findings(gpu: &GpuReport, lang: Lang) -> Vec<Finding> {
    let mut out = Vec::new();
    if !gpu.available {
        return out;
    }
    for d in &gpu.devices {
        if d.samples.is_empty() {
            continue;
        }
        let name = format!("gpu{}", d.index);
        let mut push = |kind,
                        severity,
                        measured: f64,
                        target: f64,
                        unit: &str,
                        en: String,
                        ko: String,
                        rec_en: &str,
                        rec_ko: &str| {
            let (message, recommendation) = match lang {
                Lang::En => (en, format!("{name}: {rec_en}")),
                Lang::Ko => (ko, format!("{name}: {rec_ko}")),
            };
            out.push(Finding {
                component: name.clone(),
                kind,
                severity,
                measured,
                target,
                unit: unit.into(),
                message,
                recommendation,
            });
        };
        let t = gpu.thresholds;
        if d.checks.vram > Severity::Good {
            push(
                FindingKind::GpuMemory,
                d.checks.vram,
                d.max_vram_pct,
                t.vram_shortage_pct,
                "%",
                format!("{name}: VRAM {:.1}% used (> {}%): memory shortage", d.max_vram_pct, t.vram_shortage_pct),
                format!("{name}: VRAM {:.1}% 사용 (> {}%): 메모리 부족", d.max_vram_pct, t.vram_shortage_pct),
                "use batch size 1, half precision (fp16) or a smaller model; free cached tensors between requests",
                "배치 크기 1, 반정밀도 (fp16) 또는 더 작은 모델 사용; 요청 사이 캐시된 텐서 해제",
            );
        }
        if d.checks.utilisation > Severity::Good {
            push(
                FindingKind::GpuUtilisation,
                d.checks.utilisation,
                d.mean_util_pct,
                t.low_utilisation_pct,
                "%",
                format!("{name}: mean utilisation {:.1}% (< {}%): likely CPU-bound", d.mean_util_pct, t.low_utilisation_pct),
                format!("{name}: 평균 활용률 {:.1}% (< {}%): CPU 병목 가능성", d.mean_util_pct, t.low_utilisation_pct),
                "look for CPU work between GPU calls (pre/post-processing, data copies, Python/GIL), overlap it or batch requests",
                "GPU 호출 사이의 CPU 작업 (전후처리, 데이터 복사) 확인 후 병렬화 또는 요청 배치 처리",
            );
        }
        if d.checks.temperature > Severity::Good {
            push(
                FindingKind::GpuTemperature,
                d.checks.temperature,
                d.max_temperature_c,
                t.hot_c,
                "C",
                format!(
                    "{name}: temperature {:.0}C (> {}C): throttling likely",
                    d.max_temperature_c, t.hot_c
                ),
                format!(
                    "{name}: 온도 {:.0}°C (> {}°C): 쓰로틀링 가능성",
                    d.max_temperature_c, t.hot_c
                ),
                "check cooling and power limits; throttling slows every stage on this GPU",
                "냉각과 전력 제한 확인; 쓰로틀링은 이 GPU의 모든 단계를 느리게 함",
            );
        }
    }
    out
}
