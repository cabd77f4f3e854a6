//! The console report: each figure marked good / warning / critical against its
//! target, then bottlenecks and recommendations. English or Korean. Every mark comes
//! from a verdict in the report; nothing is judged here.
//!
//! Text from outside (component, part and GPU names, session ids, the timestamp,
//! notes and messages naming a component) is shown through `model::text::printable`: escapes and newlines written
//! as `\u{1b}`, names cut to 64 characters, so a name cannot clear the screen, forge a
//! line, or pad every row; a last pass escapes anything else but the line breaks.

use super::mark::Mark;
use super::{Output, ReportError, Reporter};
use crate::model::text::{is_unsafe_char, printable, MAX_SHOWN_NAME_CHARS, MAX_SHOWN_TEXT_CHARS};
use crate::model::*;
use std::borrow::Cow;
use std::fmt::Write;
use std::io::Write as _;
use std::path::PathBuf;

/// Prints the console report on stdout.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsoleReporter;

impl Reporter for ConsoleReporter {
    fn name(&self) -> &'static str {
        "console"
    }

    fn writes_files(&self) -> bool {
        false
    }

    /// Writes to stdout; a closed or failing stdout (a reader gone away) is ignored:
    /// the host program must not fail because its report could not be shown.
    fn write(&self, report: &Report, _: Output<'_>) -> Result<Vec<PathBuf>, ReportError> {
        let text = render(report);
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all(text.as_bytes())
            .and_then(|_| out.write_all(b"\n"))
            .and_then(|_| out.flush());
        Ok(Vec::new())
    }
}

struct Words {
    title: &'static str,
    duration: &'static str,
    latency: &'static str,
    mean: &'static str,
    median: &'static str,
    std: &'static str,
    min_max: &'static str,
    samples: &'static str,
    target: &'static str,
    met: &'static str,
    over: &'static str,
    far_over: &'static str,
    no_target: &'static str,
    high_variability: &'static str,
    memory: &'static str,
    live_heap: &'static str,
    allocated: &'static str,
    freed: &'static str,
    after_warmup: &'static str,
    over_run: &'static str,
    rss_share: &'static str,
    probes: &'static str,
    running: &'static str,
    process_rss_while: &'static str,
    per_probe: &'static str,
    split: &'static str,
    unattributed: &'static str,
    of_change: &'static str,
    probe_cost: &'static str,
    of_running: &'static str,
    budget: &'static str,
    after: &'static str,
    throughput: &'static str,
    stream: &'static str,
    items: &'static str,
    fps: &'static str,
    errors: &'static str,
    cancelled: &'static str,
    warmup: &'static str,
    clamped: &'static str,
    turns: &'static str,
    shares: &'static str,
    overlap: &'static str,
    waterfall: &'static str,
    waterfall_note: &'static str,
    part: &'static str,
    share: &'static str,
    interruptions: &'static str,
    of_turns: &'static str,
    before_response: &'static str,
    stopped_after: &'static str,
    slowest: &'static str,
    p50_turn: &'static str,
    p95_turn: &'static str,
    sessions: &'static str,
    opened: &'static str,
    concurrent: &'static str,
    turns_per_sec: &'static str,
    pooled: &'static str,
    turns_word: &'static str,
    untracked: &'static str,
    no_session: &'static str,
    memory_budget: &'static str,
    gpu_budget: &'static str,
    process_memory: &'static str,
    baseline: &'static str,
    peak: &'static str,
    growth: &'static str,
    gpu: &'static str,
    no_gpu: &'static str,
    util: &'static str,
    temp: &'static str,
    power: &'static str,
    allocations: &'static str,
    per_call: &'static str,
    total: &'static str,
    bottlenecks: &'static str,
    recommendations: &'static str,
    none: &'static str,
}

const EN: Words = Words {
    title: "📊 Profiling results",
    duration: "duration",
    latency: "Latency",
    mean: "mean",
    median: "median",
    std: "std",
    min_max: "min/max",
    samples: "samples",
    target: "target",
    met: "target met",
    over: "over target",
    far_over: "far over target",
    no_target: "no target",
    high_variability: "high variability",
    memory: "Memory",
    live_heap: "live heap (its calls' blocks not freed yet)",
    allocated: "allocated",
    freed: "freed",
    after_warmup: "after warm-up",
    over_run: "over the run",
    rss_share: "share of process RSS growth",
    probes: "probes",
    running: "running",
    process_rss_while: "process RSS while it ran (all components)",
    per_probe: "CPU per probe",
    split: "RSS change split among components",
    unattributed: "unattributed (nothing ran)",
    of_change: "of",
    probe_cost: "probe cost",
    of_running: "of component running time",
    budget: "budget",
    after: "after",
    throughput: "Throughput",
    stream: "Stream",
    items: "items",
    fps: "FPS",
    errors: "errors",
    cancelled: "cancelled",
    warmup: "warm-up excluded",
    clamped: "samples past the 18.3-minute range, counted at its top (longer in truth)",
    turns: "Turns",
    shares: "share of turn time",
    overlap: "streaming stages overlap (one runs inside another), so shares add up past 100%",
    waterfall: "E2E waterfall",
    waterfall_note: "parts on the critical path; they add up to each turn's E2E",
    part: "part",
    share: "share of delay",
    interruptions: "interruptions",
    of_turns: "of",
    before_response: "before the response",
    stopped_after: "the response stopped after",
    slowest: "slowest turns",
    p50_turn: "P50 turn",
    p95_turn: "P95 turn",
    sessions: "Sessions",
    opened: "opened",
    concurrent: "concurrent at peak",
    turns_per_sec: "turns/s over all sessions",
    pooled: "pooled",
    turns_word: "turns",
    untracked: "not tracked one by one (bound reached)",
    no_session: "turns outside any session",
    memory_budget: "memory per session",
    gpu_budget: "GPU memory per session",
    process_memory: "Process memory",
    baseline: "baseline",
    peak: "peak",
    growth: "growth",
    gpu: "GPU",
    no_gpu: "GPU metrics unavailable",
    util: "utilisation",
    temp: "temperature",
    power: "power",
    allocations: "Allocations",
    per_call: "/call",
    total: "total",
    bottlenecks: "🔍 Bottlenecks",
    recommendations: "💡 Recommendations",
    none: "none",
};

const KO: Words = Words {
    title: "📊 프로파일링 결과",
    duration: "소요 시간",
    latency: "레이턴시",
    mean: "평균",
    median: "중앙값",
    std: "표준편차",
    min_max: "최소/최대",
    samples: "샘플",
    target: "목표",
    met: "목표 달성",
    over: "목표 초과",
    far_over: "목표 대폭 초과",
    no_target: "목표 없음",
    high_variability: "높은 변동성",
    memory: "메모리",
    live_heap: "라이브 힙 (호출이 할당하고 아직 해제되지 않은 블록)",
    allocated: "할당",
    freed: "해제",
    after_warmup: "워밍업 후",
    over_run: "전체 실행",
    rss_share: "프로세스 RSS 증가 몫",
    probes: "측정",
    running: "실행",
    process_rss_while: "실행 중 프로세스 RSS (전체 컴포넌트)",
    per_probe: "측정당 CPU",
    split: "컴포넌트별 RSS 변화 분배",
    unattributed: "미배정 (실행 중인 컴포넌트 없음)",
    of_change: "/",
    probe_cost: "측정 비용",
    of_running: "컴포넌트 실행 시간 대비",
    budget: "예산",
    after: "사용 후",
    throughput: "처리량",
    stream: "스트림",
    items: "항목",
    fps: "FPS",
    errors: "오류",
    cancelled: "취소",
    warmup: "워밍업 제외",
    clamped: "18.3분 측정 범위를 넘은 샘플 (상한값으로 기록, 실제는 더 김)",
    turns: "턴",
    shares: "턴 시간 비중",
    overlap: "스트리밍 단계가 겹쳐 실행되어 비중 합계가 100%를 넘음",
    waterfall: "E2E 워터폴",
    waterfall_note: "임계 경로 구간; 각 턴의 E2E와 합이 같음",
    part: "구간",
    share: "지연 비중",
    interruptions: "끼어들기",
    of_turns: "/",
    before_response: "응답 전",
    stopped_after: "응답 중단까지",
    slowest: "가장 느린 턴",
    p50_turn: "P50 턴",
    p95_turn: "P95 턴",
    sessions: "세션",
    opened: "시작",
    concurrent: "최대 동시",
    turns_per_sec: "전체 세션 초당 턴",
    pooled: "전체",
    turns_word: "턴",
    untracked: "개별 추적 안 함 (상한 도달)",
    no_session: "세션 밖 턴",
    memory_budget: "세션당 메모리",
    gpu_budget: "세션당 GPU 메모리",
    process_memory: "프로세스 메모리",
    baseline: "기준선",
    peak: "최대",
    growth: "증가",
    gpu: "GPU",
    no_gpu: "GPU 메트릭 없음",
    util: "활용률",
    temp: "온도",
    power: "전력",
    allocations: "할당",
    per_call: "/호출",
    total: "합계",
    bottlenecks: "🔍 병목 구간",
    recommendations: "💡 권장 사항",
    none: "없음",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Ko => &KO,
    }
}

fn target_note(w: &Words, mark: Mark, target: f64) -> String {
    let text = match mark {
        Mark::Good => w.met,
        Mark::Warning => w.over,
        Mark::Critical => w.far_over,
    };
    format!("{} {} {target}ms {text}", mark.symbol(), w.target)
}

/// Renders `r` in its own language.
pub fn render(r: &Report) -> String {
    render_in(r, r.lang)
}

/// A name as a line may show it (see the module docs).
fn name(s: &str) -> Cow<'_, str> {
    printable(s, MAX_SHOWN_NAME_CHARS)
}

/// A message (a bottleneck, a recommendation) as a line may show it.
fn text(s: &str) -> Cow<'_, str> {
    printable(s, MAX_SHOWN_TEXT_CHARS)
}

/// The last pass: anything unsafe left (none should be) escaped, line breaks kept.
fn safe_lines(o: String) -> String {
    if !o.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        return o;
    }
    o.split('\n')
        .map(|line| printable(line, usize::MAX).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders `r` in `lang`.
pub fn render_in(r: &Report, lang: Lang) -> String {
    safe_lines(render_unchecked(r, lang))
}

fn render_unchecked(r: &Report, lang: Lang) -> String {
    let w = words(lang);
    let mut o = String::new();
    let rule = "=".repeat(64);
    let _ = writeln!(o, "{rule}");
    let _ = writeln!(
        o,
        "{}  ({} {:.1}s, {})",
        w.title,
        w.duration,
        r.duration_sec,
        name(&r.timestamp)
    );
    let _ = writeln!(o, "{rule}");
    for (name, c) in &r.components {
        component(&mut o, w, name, c);
    }
    if let Some(t) = &r.turns {
        let _ = writeln!(o, "\n【{}】 {} {}", w.turns, t.count, w.samples);
        let shares: Vec<String> = t
            .shares_pct
            .iter()
            .map(|(n, p)| format!("{} {p:.0}%", name(n)))
            .collect();
        let _ = writeln!(o, "  • {}: {}", w.shares, shares.join(", "));
        if t.shares_overlap {
            let _ = writeln!(o, "  • {} ({:.0}%)", w.overlap, t.shares_sum_pct);
        }
        turn_details(&mut o, w, t);
    }
    if let Some(s) = &r.sessions {
        let pooled = r.components.values().find(|c| c.kind == Kind::Turn);
        sessions(&mut o, w, s, pooled);
    }
    if let Some(m) = &r.memory {
        let mark = Mark::of_leak(m.leak);
        let _ = writeln!(o, "\n【{}】", w.process_memory);
        let _ = writeln!(
            o,
            "  • {}: {:.1}MB  {}: {:.1}MB  {}: {:.1}MB",
            w.baseline, m.baseline_rss_mb, w.after, m.final_rss_mb, w.peak, m.peak_rss_mb
        );
        let _ = writeln!(
            o,
            "  • {}: {:+.1}MB ({:+.2}MB/min)  {}",
            w.growth,
            m.growth_mb,
            m.growth_mb_per_min,
            mark.symbol()
        );
        if let Some(a) = &m.attribution {
            let _ = writeln!(
                o,
                "  • {}: {:+.1}MB, {} {:+.1}MB ({} {:+.1}MB, {:.1}MB → {:.1}MB, {} {})",
                w.split,
                a.attributed_mb,
                w.unattributed,
                a.unattributed_mb,
                w.of_change,
                a.change_mb,
                a.first_rss_mb,
                a.last_rss_mb,
                a.probes,
                w.probes
            );
            let _ = writeln!(
                o,
                "  • {}: {:.3}% {} ({} {}%; {} {:.1}us, {} {:.1}ms)",
                w.probe_cost,
                a.cost_pct,
                w.of_running,
                w.budget,
                a.budget_pct,
                w.per_probe,
                a.mean_probe_us,
                w.total,
                a.probe_cpu_ms
            );
        }
    }
    gpu(&mut o, w, &r.gpu);
    let _ = writeln!(o, "\n{}", w.bottlenecks);
    if r.bottlenecks.is_empty() {
        let _ = writeln!(o, "  ✓ {}", w.none);
    }
    for (b, f) in r
        .bottlenecks
        .iter()
        .zip(r.findings.iter().map(Some).chain(std::iter::repeat(None)))
    {
        let mark = f.map_or(Mark::Warning, |f| Mark::of(f.severity));
        let _ = writeln!(o, "  {} {}", mark.symbol(), text(b));
    }
    let _ = writeln!(o, "\n{}", w.recommendations);
    if r.recommendations.is_empty() {
        let _ = writeln!(o, "  {}", w.none);
    }
    for rec in &r.recommendations {
        let _ = writeln!(o, "  • {}", text(rec));
    }
    o
}

/// A component's memory lines: each figure says what it is; the leak mark sits on the
/// figure the verdict judged (live heap with the owner-tracking allocator, else the
/// share of RSS growth).
fn component_memory(o: &mut String, w: &Words, m: &ComponentMemory) {
    let mark = Mark::of_leak(m.leak).symbol();
    let _ = writeln!(o, "  {}:", w.memory);
    if let Some(h) = &m.heap {
        let _ = writeln!(
            o,
            "    • {}: {:.1}MB ({} {:.1}MB, {} {:.1}MB); {} {:+.1}MB ({:+.1}MB/min) {mark}",
            w.live_heap,
            h.live_mb,
            w.allocated,
            h.allocated_mb,
            w.freed,
            h.freed_mb,
            w.after_warmup,
            h.since_baseline_mb,
            h.growth_mb_per_min
        );
    }
    if let Some(r) = &m.rss_share {
        let judged = if m.basis == MemoryBasis::RssShare {
            format!(" {mark}")
        } else {
            String::new()
        };
        let run = if r.share_mb != r.since_baseline_mb {
            format!(", {:+.1}MB {}", r.share_mb, w.over_run)
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "    • {}: {:+.1}MB {} ({:+.1}MB/min){run}{judged} ({} {}, {} {:.1}s)",
            w.rss_share,
            r.since_baseline_mb,
            w.after_warmup,
            r.growth_mb_per_min,
            r.probes,
            w.probes,
            w.running,
            r.running_sec
        );
        let _ = writeln!(
            o,
            "    • {}: {:.1}MB → {:.1}MB",
            w.process_rss_while, r.process_rss_first_mb, r.process_rss_last_mb
        );
    }
}

fn component(o: &mut String, w: &Words, name: &str, c: &ComponentReport) {
    let kind = match c.kind {
        Kind::Latency => "",
        Kind::FirstItem => " (first item)",
        Kind::Frame => " (per frame)",
        Kind::Turn => " (E2E)",
    };
    let _ = writeln!(o, "\n【{}】{kind}", self::name(name));
    let l = &c.latency;
    let _ = writeln!(o, "  {} ({} {}):", w.latency, l.count, w.samples);
    let p95_note = match c.target_ms {
        Some(t) if l.count > 0 => target_note(w, Mark::of(c.severity), t),
        _ => format!("({})", w.no_target),
    };
    let _ = writeln!(o, "    • {:<8} {:>10.2}ms", w.mean, l.mean);
    let _ = writeln!(o, "    • {:<8} {:>10.2}ms", w.median, l.median);
    let _ = writeln!(o, "    • {:<8} {:>10.2}ms   {p95_note}", "P95", l.p95);
    let _ = writeln!(o, "    • {:<8} {:>10.2}ms", "P99", l.p99);
    let std_note = match c.variability.map(|v| Mark::of(v.severity)) {
        Some(m @ (Mark::Warning | Mark::Critical)) => {
            format!("{} {}", m.symbol(), w.high_variability)
        }
        _ => String::new(),
    };
    let _ = writeln!(
        o,
        "{}",
        format!("    • {:<8} {:>10.2}ms   {std_note}", w.std, l.std).trim_end()
    );
    let _ = writeln!(o, "    • {:<8} {:>7.2} / {:.2}ms", w.min_max, l.min, l.max);
    if let Some(s) = &c.stream {
        let _ = writeln!(
            o,
            "  {}: P95 {:.2}ms, {} {} ({:.1}/stream, {:.1}/s)",
            w.stream, s.total.p95, s.items, w.items, s.items_per_stream, s.items_per_sec
        );
    }
    if let Some(m) = &c.memory {
        component_memory(o, w, m);
    }
    if let Some(a) = &c.allocations {
        let _ = writeln!(
            o,
            "  {}: {:.1}{}, {:.1}KB{} ({} {:.1}MB)",
            w.allocations,
            a.count_per_call,
            w.per_call,
            a.bytes_per_call / 1024.0,
            w.per_call,
            w.total,
            a.bytes as f64 / (1024.0 * 1024.0)
        );
    }
    if let Some(g) = &c.gpu {
        let _ = writeln!(
            o,
            "  {}: {} {:.0}% (max {:.0}%), VRAM {:.0}MB",
            w.gpu, w.util, g.mean_util_pct, g.max_util_pct, g.max_vram_used_mb
        );
    }
    let throughput_mark = c
        .throughput_severity
        .map_or(String::new(), |s| format!(" {}", Mark::of(s).symbol()));
    let _ = writeln!(
        o,
        "  {}: {:.1} ops/s{throughput_mark}",
        w.throughput, c.throughput_per_sec
    );
    if let Some(fps) = c.fps {
        let _ = writeln!(
            o,
            "  {}: {fps:.1} (P95 {:.1}) {}",
            w.fps,
            c.fps_p95.unwrap_or(0.0),
            Mark::of_opt(c.fps_severity).symbol()
        );
    }
    if let Some(share) = c.turn_share_pct {
        let _ = writeln!(o, "  {}: {share:.1}%", w.shares);
    }
    let n = &c.counts;
    if n.clamped > 0 {
        let _ = writeln!(o, "  ⚠ {} {}", n.clamped, w.clamped);
    }
    if n.errors > 0 || n.cancelled > 0 || n.warmup_excluded > 0 {
        let _ = writeln!(
            o,
            "  {}: {}  {}: {}  {}: {}",
            w.errors, n.errors, w.cancelled, n.cancelled, w.warmup, n.warmup_excluded
        );
    }
}

/// How many slow turns the console lists (the JSON keeps more).
const SLOWEST_SHOWN: usize = 5;

/// The waterfall (a line per part), interruptions, the P50/P95 turns and the slowest.
fn turn_details(o: &mut String, w: &Words, t: &TurnReport) {
    if let Some(wf) = &t.waterfall {
        let _ = writeln!(
            o,
            "  • {} ({} {}, {} {:.2}ms; {}):",
            w.waterfall, wf.turns, w.samples, w.mean, wf.mean_e2e_ms, w.waterfall_note
        );
        let width = wf
            .parts
            .iter()
            .map(|p| name(&p.name).chars().count())
            .max()
            .unwrap_or(0)
            .max(w.part.chars().count());
        let share_w = w.share.chars().count().max(7);
        let _ = writeln!(
            o,
            "      {:<width$}  {:>share_w$}  {:>9}  {:>9}",
            w.part, w.share, "P50 ms", "P95 ms"
        );
        let pct = |v: f64| format!("{v:.1}%");
        for p in &wf.parts {
            let _ = writeln!(
                o,
                "      {:<width$}  {:>share_w$}  {:>9.2}  {:>9.2}",
                name(&p.name),
                pct(p.share_pct),
                p.per_turn.median,
                p.per_turn.p95
            );
        }
        let _ = writeln!(
            o,
            "      {:<width$}  {:>share_w$}",
            w.total,
            pct(wf.shares_sum_pct)
        );
        let exemplar = |label: &str, mark: KeptAs| {
            let r = t.marked_turn(mark)?;
            Some(format!(
                "{label} #{} ({:.2}ms)",
                r.id,
                r.e2e_ms.unwrap_or(0.0)
            ))
        };
        let marked: Vec<String> = [
            exemplar(w.p50_turn, KeptAs::P50),
            exemplar(w.p95_turn, KeptAs::P95),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !marked.is_empty() {
            let _ = writeln!(o, "  • {}", marked.join(", "));
        }
    }
    let i = &t.interruptions;
    if i.count > 0 {
        let started = t.records_kept.of_turns;
        let mut line = format!(
            "  • {}: {} {} {started} ({:.1}%), {} {}",
            w.interruptions, i.count, w.of_turns, i.rate_pct, i.before_response, w.before_response
        );
        if i.latency.count > 0 {
            line.push_str(&format!(
                "; {} P50 {:.2}ms / P95 {:.2}ms",
                w.stopped_after, i.latency.median, i.latency.p95
            ));
        }
        let _ = writeln!(o, "{line}");
    }
    let slowest: Vec<&TurnRecord> = t
        .records
        .iter()
        .filter(|r| r.kept_as.contains(&KeptAs::Slowest))
        .take(SLOWEST_SHOWN)
        .collect();
    if !slowest.is_empty() {
        let _ = writeln!(o, "  • {}:", w.slowest);
        for r in slowest {
            let parts: Vec<String> = r
                .waterfall
                .iter()
                .map(|(n, ms)| format!("{} {ms:.1}", name(n)))
                .collect();
            let outcome = match r.outcome {
                TurnOutcome::Responded => "",
                TurnOutcome::NoResponse => " no_response",
                TurnOutcome::Interrupted => " interrupted",
                TurnOutcome::InterruptedBeforeResponse => " interrupted_before_response",
            };
            let _ = writeln!(
                o,
                "      #{:<4} {:<12} {:>9.2}ms{outcome}  {}",
                r.id,
                r.session.as_deref().map_or(Cow::Borrowed("-"), name),
                r.e2e_ms.unwrap_or(0.0),
                parts.join(" · ")
            );
        }
    }
}

/// Sessions: how many, turns per second, E2E P95 per session beside the pooled one,
/// and the per-session budgets.
fn sessions(o: &mut String, w: &Words, s: &SessionsReport, pooled: Option<&ComponentReport>) {
    let _ = writeln!(
        o,
        "\n【{}】 {} {}, {} {}",
        w.sessions, s.opened, w.opened, s.peak_concurrent, w.concurrent
    );
    let _ = writeln!(
        o,
        "  • {}: {:.2} ({} {:.0}) {}",
        w.turns_per_sec,
        s.turns_per_sec,
        w.target,
        s.turns_per_sec_target,
        Mark::of(s.throughput_severity).symbol()
    );
    let pooled_mark = pooled.map_or("", |c| Mark::of(c.severity).symbol());
    let mut line = format!(
        "  • E2E P95: {} {:.2}ms {pooled_mark}",
        w.pooled, s.pooled_e2e_p95_ms
    );
    for x in &s.sessions {
        line.push_str(&format!(
            " | {} {:.2}ms {} ({} {})",
            name(&x.id),
            x.e2e.p95,
            Mark::of(x.severity).symbol(),
            x.turns,
            w.turns_word
        ));
    }
    let _ = writeln!(o, "{line}");
    if s.untracked > 0 {
        let _ = writeln!(o, "  • {} {}", s.untracked, w.untracked);
    }
    if s.turns_without_session > 0 {
        let _ = writeln!(o, "  • {}: {}", w.no_session, s.turns_without_session);
    }
    for b in &s.budgets {
        let label = match b.resource {
            BudgetResource::Memory => w.memory_budget,
            BudgetResource::GpuMemory => w.gpu_budget,
        };
        let mark = if b.measured_mb.is_some() {
            Mark::of(b.severity).symbol()
        } else {
            "-"
        };
        let _ = writeln!(o, "  • {label}: {mark} {}", text(&b.note));
    }
}

fn gpu(o: &mut String, w: &Words, g: &GpuReport) {
    if !g.available {
        let reason = g.reason.as_deref().unwrap_or("");
        let _ = writeln!(o, "\n⚠ {}: {}", w.no_gpu, text(reason));
        return;
    }
    for d in &g.devices {
        let _ = writeln!(o, "\n【{} {}】 {}", w.gpu, d.index, name(&d.name));
        let vram_mark = Mark::of(d.checks.vram);
        let util_mark = Mark::of(d.checks.utilisation);
        let temp_mark = Mark::of(d.checks.temperature);
        let _ = writeln!(
            o,
            "  • VRAM: {:.0}/{:.0}MB ({:.1}%) {}",
            d.max_vram_used_mb,
            d.vram_total_mb,
            d.max_vram_pct,
            vram_mark.symbol()
        );
        let _ = writeln!(
            o,
            "  • {}: {:.1}% (max {:.0}%) {}",
            w.util,
            d.mean_util_pct,
            d.max_util_pct,
            util_mark.symbol()
        );
        let _ = writeln!(
            o,
            "  • {}: {:.0}°C {}  {}: {:.0}W",
            w.temp,
            d.max_temperature_c,
            temp_mark.symbol(),
            w.power,
            d.max_power_w
        );
        if !d.throttle_reasons.is_empty() {
            let reasons: Vec<Cow<'_, str>> = d.throttle_reasons.iter().map(|r| name(r)).collect();
            let _ = writeln!(o, "  • throttle: {}", reasons.join(", "));
        }
    }
}
