//! GPU findings from sampled figures: VRAM > 90 % memory shortage, utilisation
//! < 30 % likely CPU-bound, temperature > 85 C throttling.

use crate::config::Lang;
use crate::report::model::{Finding, FindingKind, GpuReport, Severity};

pub const VRAM_SHORTAGE_PCT: f64 = 90.0;
pub const LOW_UTILISATION_PCT: f64 = 30.0;
pub const HOT_C: f64 = 85.0;

/// Findings of every device in `gpu`.
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
        let mut push = |kind, severity, measured: f64, target: f64, unit: &str, en: String, ko: String, rec_en: &str, rec_ko: &str| {
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
        if d.max_vram_pct > VRAM_SHORTAGE_PCT {
            push(
                FindingKind::GpuMemory,
                Severity::Critical,
                d.max_vram_pct,
                VRAM_SHORTAGE_PCT,
                "%",
                format!("{name}: VRAM {:.1}% used (> {VRAM_SHORTAGE_PCT}%): memory shortage", d.max_vram_pct),
                format!("{name}: VRAM {:.1}% 사용 (> {VRAM_SHORTAGE_PCT}%): 메모리 부족", d.max_vram_pct),
                "use batch size 1, half precision (fp16) or a smaller model; free cached tensors between requests",
                "배치 크기 1, 반정밀도 (fp16) 또는 더 작은 모델 사용; 요청 사이 캐시된 텐서 해제",
            );
        }
        if d.mean_util_pct < LOW_UTILISATION_PCT {
            push(
                FindingKind::GpuUtilisation,
                Severity::Warning,
                d.mean_util_pct,
                LOW_UTILISATION_PCT,
                "%",
                format!("{name}: mean utilisation {:.1}% (< {LOW_UTILISATION_PCT}%): likely CPU-bound", d.mean_util_pct),
                format!("{name}: 평균 활용률 {:.1}% (< {LOW_UTILISATION_PCT}%): CPU 병목 가능성", d.mean_util_pct),
                "look for CPU work between GPU calls (pre/post-processing, data copies, Python/GIL), overlap it or batch requests",
                "GPU 호출 사이의 CPU 작업 (전후처리, 데이터 복사) 확인 후 병렬화 또는 요청 배치 처리",
            );
        }
        if d.max_temperature_c > HOT_C {
            push(
                FindingKind::GpuTemperature,
                Severity::High,
                d.max_temperature_c,
                HOT_C,
                "C",
                format!("{name}: temperature {:.0}C (> {HOT_C}C): throttling likely", d.max_temperature_c),
                format!("{name}: 온도 {:.0}°C (> {HOT_C}°C): 쓰로틀링 가능성", d.max_temperature_c),
                "check cooling and power limits; throttling slows every stage on this GPU",
                "냉각과 전력 제한 확인; 쓰로틀링은 이 GPU의 모든 단계를 느리게 함",
            );
        }
    }
    out
}
