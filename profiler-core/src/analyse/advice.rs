//! Finding messages and recommendations, per kind of component, in English and Korean.

use super::{LEAK_CERTAIN_MB, LEAK_SUSPECTED_MB, SESSION_GPU_MEMORY_MB, SESSION_MEMORY_MB};
pub use crate::model::{family, Family};
use crate::model::{BudgetBasis, BudgetResource, Lang, MemoryBasis, PartKind, Severity};

/// Localised severity word.
pub fn severity_word(s: Severity, lang: Lang) -> &'static str {
    match (lang, s) {
        (Lang::En, Severity::Good) => "good",
        (Lang::En, Severity::Warning) => "warning",
        (Lang::En, Severity::Medium) => "medium",
        (Lang::En, Severity::High) => "high",
        (Lang::En, Severity::Critical) => "critical",
        (Lang::Ko, Severity::Good) => "양호",
        (Lang::Ko, Severity::Warning) => "주의",
        (Lang::Ko, Severity::Medium) => "보통",
        (Lang::Ko, Severity::High) => "높음",
        (Lang::Ko, Severity::Critical) => "심각",
    }
}

/// "NAME: P95 220.45ms exceeds its 200ms target by 10.2% (warning)".
pub fn latency_message(
    name: &str,
    what: &str,
    p95: f64,
    target: f64,
    sev: Severity,
    lang: Lang,
) -> String {
    let over = (p95 / target - 1.0) * 100.0;
    match lang {
        Lang::En => format!(
            "{name}: {what}P95 {p95:.2}ms exceeds its {target}ms target by {over:.1}% ({})",
            severity_word(sev, lang)
        ),
        Lang::Ko => format!(
            "{name}: {what}P95 {p95:.2}ms (목표 {target}ms 대비 {over:.1}% 초과, {})",
            severity_word(sev, lang)
        ),
    }
}

/// What the latency means for a family ("TTFT ", "TTFB ", "per frame "...), for messages.
pub fn latency_label(f: Family, first_item: bool) -> &'static str {
    match (f, first_item) {
        (Family::Llm, true) => "TTFT ",
        (Family::Tts, true) => "TTFB ",
        (_, true) => "first item ",
        (Family::Turn, _) => "E2E ",
        _ => "",
    }
}

/// The recommendation for a slow component of family `f`.
pub fn latency_recommendation(name: &str, f: Family, lang: Lang, top_stages: &str) -> String {
    match (lang, f) {
        (Lang::En, Family::Stt) => format!("{name}: tune VAD (threshold 0.5 -> 0.4, min speech 250 -> 200 ms, max speech 10 s -> 5 s) and send smaller audio chunks; use the nearest STT region or a local Whisper on GPU"),
        (Lang::En, Family::Llm) => format!("{name}: use a smaller, faster model (e.g. gpt-4o -> gpt-4o-mini), shorten the prompt (500 -> 200 tokens), lower temperature (0.7 -> 0.5) and stream tokens"),
        (Lang::En, Family::Tts) => format!("{name}: prewarm a TTS cache with common questions and stream sentence by sentence instead of whole answers; consider a faster voice engine"),
        (Lang::En, Family::Avatar) => format!("{name}: disable face enhancement (about 30 ms a frame), use batch size 1 and half precision (fp16); check GPU memory"),
        (Lang::En, Family::Turn) => format!("{name}: the end-to-end budget is 500 ms; start with the largest shares of delay ({top_stages})"),
        (Lang::En, Family::Other) => format!("{name}: profile inside the component (e.g. cargo flamegraph) and move work off the request path or cache its result"),
        (Lang::Ko, Family::Stt) => format!("{name}: VAD 설정 조정 (threshold 0.5 → 0.4, 최소 발화 250 → 200ms, 최대 발화 10초 → 5초), 오디오 청크 축소; 가까운 STT 리전 또는 GPU 로컬 Whisper 사용"),
        (Lang::Ko, Family::Llm) => format!("{name}: 더 빠른 모델 사용 (예: gpt-4o → gpt-4o-mini), 프롬프트 단축 (500 → 200 토큰), temperature 낮추기 (0.7 → 0.5), 토큰 스트리밍"),
        (Lang::Ko, Family::Tts) => format!("{name}: 공통 질문 TTS 캐시 프리워밍 및 문장 단위 스트리밍; 더 빠른 음성 엔진 검토"),
        (Lang::Ko, Family::Avatar) => format!("{name}: Face enhancement 비활성화 (프레임당 약 30ms 절약), 배치 크기 1, 반정밀도 (fp16); GPU 메모리 확인"),
        (Lang::Ko, Family::Turn) => format!("{name}: 엔드투엔드 목표는 500ms; 지연 비중이 큰 구간부터 최적화 ({top_stages})"),
        (Lang::Ko, Family::Other) => format!("{name}: 컴포넌트 내부 프로파일링 (예: cargo flamegraph) 후 요청 경로 밖으로 작업 이동 또는 결과 캐싱"),
    }
}

/// What a large waterfall part asks for, when it is a stream's tail or a gap (stages
/// get their own recommendation): "; llm:streaming 26%: ...".
pub fn waterfall_hint(name: &str, kind: PartKind, share: f64, lang: Lang) -> Option<String> {
    let s = match (lang, kind) {
        (Lang::En, PartKind::Streaming) => format!("{name} {share:.0}%: the next stage waits for more of this stream than its first item; start it on the first sentence (stream between stages)"),
        (Lang::En, PartKind::Gap) => format!("{name} {share:.0}%: no profiled stage is on the path there (endpointing wait, queueing, glue code); profile or shorten that wait"),
        (Lang::Ko, PartKind::Streaming) => format!("{name} {share:.0}%: 다음 단계가 첫 항목 이후의 스트림까지 기다림; 첫 문장부터 다음 단계 시작 (단계 간 스트리밍)"),
        (Lang::Ko, PartKind::Gap) => format!("{name} {share:.0}%: 경로에 프로파일된 단계가 없음 (엔드포인팅 대기, 큐, 글루 코드); 해당 대기를 프로파일하거나 단축"),
        _ => return None,
    };
    Some(s)
}

/// Message and recommendation for a high error rate.
pub fn errors_finding(name: &str, errors: u64, total: u64, lang: Lang) -> (String, String) {
    let pct = errors as f64 * 100.0 / total.max(1) as f64;
    match lang {
        Lang::En => (
            format!("{name}: {errors} of {total} calls failed ({pct:.1}%)"),
            format!("{name}: errors are left out of latency; check timeouts, retries and the upstream service's health"),
        ),
        Lang::Ko => (
            format!("{name}: 호출 {total}회 중 {errors}회 실패 ({pct:.1}%)"),
            format!("{name}: 오류는 레이턴시에서 제외됨; 타임아웃, 재시도, 상위 서비스 상태 확인"),
        ),
    }
}

/// Message and recommendation for memory growth after warm-up (`suspected`/`certain`
/// leak), saying what the figure is.
pub(crate) fn leak_finding(
    name: &str,
    growth: &super::LeakGrowth,
    certain: bool,
    lang: Lang,
) -> (String, String) {
    let delta_mb = growth.delta_mb;
    let rate = growth.per_min;
    let what = match (lang, growth.basis) {
        (Lang::En, Some(MemoryBasis::LiveHeap)) => {
            format!("live heap grew {delta_mb:.1}MB after warm-up ({rate:+.1}MB/min)")
        }
        (Lang::En, Some(MemoryBasis::RssShare)) => {
            format!("its share of RSS growth after warm-up is {delta_mb:.1}MB ({rate:+.1}MB/min)")
        }
        (Lang::En, None) => format!("memory grew {delta_mb:.1}MB"),
        (Lang::Ko, Some(MemoryBasis::LiveHeap)) => {
            format!("워밍업 후 라이브 힙 {delta_mb:.1}MB 증가 ({rate:+.1}MB/분)")
        }
        (Lang::Ko, Some(MemoryBasis::RssShare)) => {
            format!("워밍업 후 RSS 증가 몫 {delta_mb:.1}MB ({rate:+.1}MB/분)")
        }
        (Lang::Ko, None) => format!("메모리 {delta_mb:.1}MB 증가"),
    };
    match (lang, certain) {
        (Lang::En, false) => (
            format!("{name}: {what} (> {LEAK_SUSPECTED_MB}MB): leak suspected"),
            format!("{name}: bound caches (LRU with a maximum size), release buffers and GPU tensors after use; install profiler::CountingAllocator::with_owners to see which component holds the bytes"),
        ),
        (Lang::En, true) => (
            format!("{name}: {what} (> {LEAK_CERTAIN_MB}MB): leak certain"),
            format!("{name}: find what keeps growing (unbounded caches, queues, collected history); bound it or free it every N requests"),
        ),
        (Lang::Ko, false) => (
            format!("{name}: {what} (> {LEAK_SUSPECTED_MB}MB): 누수 의심"),
            format!("{name}: 캐시 크기 제한 (LRU), 사용 후 버퍼와 GPU 텐서 해제; profiler::CountingAllocator::with_owners로 어느 컴포넌트가 메모리를 잡고 있는지 확인"),
        ),
        (Lang::Ko, true) => (
            format!("{name}: {what} (> {LEAK_CERTAIN_MB}MB): 누수 확실"),
            format!("{name}: 계속 커지는 대상 (무제한 캐시, 큐, 누적 기록) 확인 후 크기 제한 또는 N회 요청마다 해제"),
        ),
    }
}

/// What a per-session budget was judged on, in one line ("process peak RSS 812.3MB
/// against 4096MB per session: ...").
pub fn session_budget_note(
    resource: BudgetResource,
    measured: Option<f64>,
    basis: Option<BudgetBasis>,
    limit: f64,
    per_session: Option<f64>,
    lang: Lang,
) -> String {
    let share = |en: bool| match per_session {
        Some(p) if en => format!("; judged on its share, about {p:.1}MB per concurrent session"),
        Some(p) => format!("; 동시 세션당 몫 약 {p:.1}MB로 판정"),
        None => String::new(),
    };
    match (lang, measured, basis) {
        (Lang::En, None, _) => match resource {
            BudgetResource::Memory => "no process memory figure: the budget is not judged".into(),
            BudgetResource::GpuMemory => "no GPU memory figure (no GPU data): the budget is not judged".into(),
        },
        (Lang::Ko, None, _) => match resource {
            BudgetResource::Memory => "프로세스 메모리 측정값 없음: 예산 판정 안 함".into(),
            BudgetResource::GpuMemory => "GPU 메모리 측정값 없음 (GPU 데이터 없음): 예산 판정 안 함".into(),
        },
        (Lang::En, Some(m), Some(BudgetBasis::Device)) => format!(
            "devices' peak VRAM used {m:.1}MB against {limit:.0}MB per session: no per-process figure, so other processes are included (a warning at most) and sessions cannot be told apart{}",
            share(true)
        ),
        (Lang::En, Some(m), Some(BudgetBasis::ProcessGpu)) => format!(
            "process peak GPU memory {m:.1}MB against {limit:.0}MB per session: sessions cannot be told apart{}",
            share(true)
        ),
        (Lang::En, Some(m), _) => format!(
            "process peak RSS {m:.1}MB against {limit:.0}MB per session: sessions cannot be told apart{}",
            share(true)
        ),
        (Lang::Ko, Some(m), Some(BudgetBasis::Device)) => format!(
            "장치 최대 VRAM 사용량 {m:.1}MB (세션당 {limit:.0}MB 기준): 프로세스별 값이 없어 다른 프로세스 포함, 세션 구분 불가{}",
            share(false)
        ),
        (Lang::Ko, Some(m), Some(BudgetBasis::ProcessGpu)) => format!(
            "프로세스 최대 GPU 메모리 {m:.1}MB (세션당 {limit:.0}MB 기준): 세션 구분 불가{}",
            share(false)
        ),
        (Lang::Ko, Some(m), _) => format!(
            "프로세스 최대 RSS {m:.1}MB (세션당 {limit:.0}MB 기준): 세션 구분 불가{}",
            share(false)
        ),
    }
}

/// Message and recommendation for a per-session budget exceeded.
pub fn session_budget_finding(
    resource: BudgetResource,
    note: &str,
    sev: Severity,
    lang: Lang,
) -> (String, String) {
    let word = severity_word(sev, lang);
    let memory_gb = SESSION_MEMORY_MB / 1024.0;
    let gpu_gb = SESSION_GPU_MEMORY_MB / 1024.0;
    match (lang, resource) {
        (Lang::En, BudgetResource::Memory) => (
            format!("session: memory over the {memory_gb} GB per-session budget ({word}): {note}"),
            "session: share model weights across sessions instead of loading them per session, bound per-session caches and history, and move long sessions to batch mode".into(),
        ),
        (Lang::En, BudgetResource::GpuMemory) => (
            format!("session: GPU memory over the {gpu_gb} GB per-session budget ({word}): {note}"),
            "session: serve sessions from one model instance (batching), use half precision or quantisation, and free per-session KV caches when a session ends".into(),
        ),
        (Lang::Ko, BudgetResource::Memory) => (
            format!("세션: 세션당 메모리 예산 {memory_gb}GB 초과 ({word}): {note}"),
            "세션: 모델 가중치를 세션 간 공유, 세션별 캐시와 대화 기록 크기 제한, 긴 세션은 배치 모드로 전환".into(),
        ),
        (Lang::Ko, BudgetResource::GpuMemory) => (
            format!("세션: 세션당 GPU 메모리 예산 {gpu_gb}GB 초과 ({word}): {note}"),
            "세션: 하나의 모델 인스턴스로 여러 세션 처리 (배칭), 반정밀도 또는 양자화, 세션 종료 시 KV 캐시 해제".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_written_as_before() {
        let growth = super::super::LeakGrowth {
            basis: None,
            delta_mb: 150.0,
            per_min: 1.0,
        };
        let msg = |certain, lang| leak_finding("stt", &growth, certain, lang).0;
        assert!(msg(false, Lang::En).ends_with(" (> 100MB): leak suspected"));
        assert!(msg(true, Lang::En).ends_with(" (> 200MB): leak certain"));
        assert!(msg(false, Lang::Ko).ends_with(" (> 100MB): 누수 의심"));
        assert!(msg(true, Lang::Ko).ends_with(" (> 200MB): 누수 확실"));
        let budget = |r, lang| session_budget_finding(r, "n", Severity::Critical, lang).0;
        assert!(budget(BudgetResource::Memory, Lang::En)
            .starts_with("session: memory over the 4 GB per-session budget ("));
        assert!(budget(BudgetResource::GpuMemory, Lang::En)
            .starts_with("session: GPU memory over the 6 GB per-session budget ("));
        assert!(budget(BudgetResource::Memory, Lang::Ko)
            .starts_with("세션: 세션당 메모리 예산 4GB 초과 ("));
        assert!(budget(BudgetResource::GpuMemory, Lang::Ko)
            .starts_with("세션: 세션당 GPU 메모리 예산 6GB 초과 ("));
    }
}
