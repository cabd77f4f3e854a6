//! Every environment toggle, parsed once, each invalid value reported in one line.
//!
//! | variable | accepts | default |
//! | --- | --- | --- |
//! | `PROFILER_ENABLED` | `1/0`, `true/false`, `on/off`, `yes/no` | on |
//! | `PROFILER_COMPONENTS` | comma-separated names, or `all` | all |
//! | `PROFILER_SAMPLE_RATE` | a number in `[0, 1]` | 1 |
//! | `PROFILER_OUTPUT_DIR` | a directory | `profile_results` |
//! | `PROFILER_FORMATS` | comma-separated `json`, `console`, `charts`, `html`, `trace`, or `none` (unknown names are dropped with a warning; none known: `json`) | json, console, charts, html |
//! | `PROFILER_TRACE_MAX_EVENTS` | events the `trace` format keeps (the latest), 100 to 10000000 | 100000 |
//! | `PROFILER_WARMUP` | calls per component to leave out | 0 |
//! | `PROFILER_LANG` | `en`, `ko` | `en` |
//! | `PROFILER_TARGET_<NAME>_MS` | a positive number (P95 target of component NAME) | spec defaults |
//! | `PROFILER_GPU` | on/off | on |
//! | `PROFILER_GPU_INTERVAL_MS` | 100 to 60000 | 1000 |
//! | `PROFILER_MEMORY_INTERVAL_MS` | 10 to 60000 | 500 |
//! | `PROFILER_MEMORY_OVERHEAD_PCT` | share of the components' running time the memory probes may take (their measured CPU time), 0 to 100 (0: no per-component RSS shares) | 1 |
//! | `PROFILER_REPORT_INTERVAL_SEC` | periodic report dumps, 1 to 86400 (0: off) | off |
//! | `PROFILER_CHART_FONT` | a TTF/OTF file with Hangul for Korean charts | searched |
//! | `PROFILER_METRICS` | on/off: publish through the `metrics` facade | off |
//! | `PROFILER_METRICS_INTERVAL_MS` | publishing (and alert checking) interval, 100 to 60000 | 1000 |
//! | `PROFILER_METRICS_MAX_COMPONENTS` | component series before the rest fold into `other`, 1 to 4096 | 64 |
//! | `PROFILER_ALERTS` | on/off: live budget alerts | off |
//! | `PROFILER_ALERT_WINDOW_SEC` | rolling window of the alert P95, 1 to 3600 | 30 |
//! | `PROFILER_ALERT_MIN_SAMPLES` | samples a window needs before it is judged, 1 to 1000000 | 20 |
//! | `PROFILER_ALERT_COOLDOWN_SEC` | least time between two alerts of one component, 0 to 86400 | 60 |
//! | `PROFILER_SIGNALS` | on/off: write the report on SIGTERM/SIGINT, then end as the signal would | off |
//! | `PROFILER_MAX_INPUT_MB` | largest report file the tools read, 1 to 1048576 MB | 256 |
//!
//! An invalid value never stops the host program: the default is used and one line
//! on stderr names the variable and what it accepts.
//!
//! Parsing only: this module reads nothing but the variables it is given. The
//! configuration in force (read once from the process environment) is
//! `record::settings`'s.

use crate::model::Lang;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Which artefacts the end-of-run report writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    /// `profile_<ts>.json` in the output directory.
    pub json: bool,
    /// The console report on stdout.
    pub console: bool,
    /// PNG charts in the output directory (with the `charts` feature).
    pub charts: bool,
    /// `report_<ts>.html`, one self-contained page, in the output directory.
    pub html: bool,
    /// `trace_<ts>.json`, a Chrome/Perfetto trace of the latest calls, streams and
    /// turns with the memory and GPU counters (off by default: recording it takes calls
    /// off the fastest path).
    pub trace: bool,
}

impl Formats {
    /// No output at all (start from it: `Formats { json: true, ..Formats::none() }`).
    pub const fn none() -> Formats {
        Formats {
            json: false,
            console: false,
            charts: false,
            html: false,
            trace: false,
        }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            json: true,
            console: true,
            charts: true,
            html: true,
            trace: false,
        }
    }
}

/// Publishing through the `metrics` facade (see `live`).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsConfig {
    /// Publish while the session runs (`PROFILER_METRICS`).
    pub enabled: bool,
    /// Milliseconds between two publications, and between two alert checks
    /// (`PROFILER_METRICS_INTERVAL_MS`).
    pub interval_ms: u64,
    /// Distinct components published under their own name; later ones are published
    /// as `component="other"` (`PROFILER_METRICS_MAX_COMPONENTS`).
    pub max_components: usize,
    /// Distinct values a label keeps before later ones are published as `other`.
    pub max_label_values: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: false,
            interval_ms: 1000,
            max_components: 64,
            max_label_values: 32,
        }
    }
}

/// Live budget alerts (see `analyse::alerts` for the rule).
#[derive(Clone, Debug, PartialEq)]
pub struct AlertConfig {
    /// Check budgets while the session runs (`PROFILER_ALERTS`).
    pub enabled: bool,
    /// Seconds of samples the rolling P95 is computed over (`PROFILER_ALERT_WINDOW_SEC`).
    pub window_sec: u64,
    /// Samples a window needs before it is judged (`PROFILER_ALERT_MIN_SAMPLES`).
    pub min_samples: u64,
    /// Least seconds between two alerts of one component (`PROFILER_ALERT_COOLDOWN_SEC`).
    pub cooldown_sec: u64,
}

impl Default for AlertConfig {
    fn default() -> Self {
        AlertConfig {
            enabled: false,
            window_sec: 30,
            min_samples: 20,
            cooldown_sec: 60,
        }
    }
}

/// The profiler's configuration. `Config::default()` is what an empty environment gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Profiling on (`PROFILER_ENABLED`).
    pub enabled: bool,
    /// Lower-cased component names to profile; empty means all.
    pub components: BTreeSet<String>,
    /// Share of calls measured, 0 to 1 (`PROFILER_SAMPLE_RATE`).
    pub sample_rate: f64,
    /// Where report files go (`PROFILER_OUTPUT_DIR`).
    pub output_dir: PathBuf,
    /// Which artefacts a report writes (`PROFILER_FORMATS`).
    pub formats: Formats,
    /// Calls per component left out at the start (`PROFILER_WARMUP`).
    pub warmup: u64,
    /// Report language (`PROFILER_LANG`).
    pub lang: Lang,
    /// P95 targets from the environment, by lower-cased component name.
    pub targets_ms: BTreeMap<String, f64>,
    /// GPU sampler on (`PROFILER_GPU`).
    pub gpu: bool,
    /// GPU sampling interval, ms (`PROFILER_GPU_INTERVAL_MS`).
    pub gpu_interval_ms: u64,
    /// Process memory sampling interval, ms (`PROFILER_MEMORY_INTERVAL_MS`).
    pub memory_interval_ms: u64,
    /// Share of the components' running time the memory sampler's probes may take,
    /// percent, measured as they run (their CPU time beyond one read per memory
    /// interval), for each component's share of the RSS changes
    /// (`PROFILER_MEMORY_OVERHEAD_PCT`; 0: no shares, only the process timeline).
    pub memory_overhead_pct: f64,
    /// Seconds between periodic report dumps, 0 for none (`PROFILER_REPORT_INTERVAL_SEC`).
    pub report_interval_sec: u64,
    /// A font with Hangul for Korean charts (`PROFILER_CHART_FONT`).
    pub chart_font: Option<PathBuf>,
    /// Publishing through the `metrics` facade (`PROFILER_METRICS*`).
    pub metrics: MetricsConfig,
    /// Live budget alerts (`PROFILER_ALERT*`).
    pub alerts: AlertConfig,
    /// Write the report on SIGTERM and SIGINT, then end as the signal would
    /// (`PROFILER_SIGNALS`; Unix).
    pub signals: bool,
    /// Largest report file `profiler` reads, MB (`PROFILER_MAX_INPUT_MB`).
    pub max_input_mb: u64,
    /// Events the `trace` format keeps, the latest ones (`PROFILER_TRACE_MAX_EVENTS`).
    pub trace_max_events: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            components: BTreeSet::new(),
            sample_rate: 1.0,
            output_dir: PathBuf::from("profile_results"),
            formats: Formats::default(),
            warmup: 0,
            lang: Lang::En,
            targets_ms: BTreeMap::new(),
            gpu: true,
            gpu_interval_ms: 1000,
            memory_interval_ms: 500,
            memory_overhead_pct: 1.0,
            report_interval_sec: 0,
            chart_font: None,
            metrics: MetricsConfig::default(),
            alerts: AlertConfig::default(),
            signals: false,
            max_input_mb: 256,
            trace_max_events: DEFAULT_TRACE_MAX_EVENTS,
        }
    }
}

/// Events the `trace` format keeps by default (about 6 MB of ring, 25 MB of file).
pub const DEFAULT_TRACE_MAX_EVENTS: u64 = 100_000;
/// Fewest events `PROFILER_TRACE_MAX_EVENTS` may ask the `trace` format to keep.
pub const MIN_TRACE_EVENTS: u64 = 100;
/// Most events `PROFILER_TRACE_MAX_EVENTS` may ask the `trace` format to keep.
pub const MAX_TRACE_EVENTS: u64 = 10_000_000;

/// One rejected environment value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The variable's name.
    pub variable: String,
    /// The value it had.
    pub value: String,
    /// What it accepts.
    pub expected: &'static str,
    /// The value used instead.
    pub default_used: String,
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "profiler: ignoring {}={:?}: expected {}; using {}",
            self.variable, self.value, self.expected, self.default_used
        )
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

impl Formats {
    /// `json,charts`, `none`...: the names `PROFILER_FORMATS` takes.
    pub fn names(&self) -> String {
        let names: Vec<&str> = [
            (self.json, "json"),
            (self.console, "console"),
            (self.charts, "charts"),
            (self.html, "html"),
            (self.trace, "trace"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(",")
        }
    }
}

/// `PROFILER_FORMATS`: the formats named, and the names not known. A typo never turns
/// an output on: unknown names are dropped, and a value with no known name (`xml`)
/// gives the JSON file alone, so the report is kept and stdout, which the program may
/// use, stays untouched.
fn parse_formats(value: &str) -> (Formats, Vec<String>) {
    let mut f = Formats::none();
    // An empty value names no output, as `none` does.
    let mut known = value.trim().is_empty();
    let mut unknown = Vec::new();
    for part in value.split(',').map(|s| s.trim().to_ascii_lowercase()) {
        match part.as_str() {
            "json" => f.json = true,
            "console" => f.console = true,
            "charts" | "png" => f.charts = true,
            "html" => f.html = true,
            "trace" | "perfetto" => f.trace = true,
            "none" => {}
            "" => continue,
            _ => {
                unknown.push(part);
                continue;
            }
        }
        known = true;
    }
    if !known {
        f.json = true;
    }
    (f, unknown)
}

fn parse_ranged(s: &str, lo: u64, hi: u64) -> Option<u64> {
    s.trim()
        .parse::<u64>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
}

impl Config {
    /// Reads the process environment. Warnings are returned, not printed.
    pub fn from_env() -> (Config, Vec<ConfigWarning>) {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::from_vars(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    /// Reads `PROFILER_*` toggles from `vars` (name, value) pairs.
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (Config, Vec<ConfigWarning>) {
        let mut c = Config::default();
        // What a rejected value falls back to, as the warning says it.
        let d = Config::default();
        let on_off_of = |b: bool| if b { "on" } else { "off" }.to_string();
        let lang_of = |l: Lang| match l {
            Lang::En => "en",
            Lang::Ko => "ko",
        };
        let mut warnings = Vec::new();
        let mut warn =
            |variable: &str, value: &str, expected: &'static str, default_used: String| {
                warnings.push(ConfigWarning {
                    variable: variable.to_string(),
                    value: value.to_string(),
                    expected,
                    default_used,
                })
            };
        let mut vars: Vec<(&str, &str)> = vars
            .into_iter()
            .filter(|(k, _)| k.starts_with("PROFILER_"))
            .collect();
        vars.sort();
        for (key, value) in vars {
            let on_off = "on/off, true/false, 1/0 or yes/no";
            match key {
                "PROFILER_ENABLED" => match parse_bool(value) {
                    Some(b) => c.enabled = b,
                    None => warn(key, value, on_off, on_off_of(d.enabled)),
                },
                "PROFILER_COMPONENTS" => {
                    let names: BTreeSet<String> = value
                        .split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect();
                    if names.is_empty() {
                        warn(
                            key,
                            value,
                            "comma-separated component names or `all`",
                            "all".into(),
                        );
                    } else if !names.contains("all") && !names.contains("*") {
                        c.components = names;
                    }
                }
                "PROFILER_SAMPLE_RATE" => match value.trim().parse::<f64>() {
                    Ok(r) if (0.0..=1.0).contains(&r) => c.sample_rate = r,
                    _ => warn(
                        key,
                        value,
                        "a number from 0 to 1 (e.g. 0.1 for one call in ten)",
                        d.sample_rate.to_string(),
                    ),
                },
                "PROFILER_OUTPUT_DIR" => {
                    if value.trim().is_empty() {
                        warn(
                            key,
                            value,
                            "a directory path",
                            d.output_dir.display().to_string(),
                        );
                    } else {
                        c.output_dir = PathBuf::from(value);
                    }
                }
                "PROFILER_FORMATS" => {
                    let (f, unknown) = parse_formats(value);
                    if !unknown.is_empty() {
                        warn(
                            key,
                            value,
                            "comma-separated json, console, charts, html, trace, or none",
                            f.names(),
                        );
                    }
                    c.formats = f;
                }
                "PROFILER_WARMUP" => match parse_ranged(value, 0, u64::MAX) {
                    Some(n) => c.warmup = n,
                    None => warn(
                        key,
                        value,
                        "a whole number of calls, 0 or more",
                        d.warmup.to_string(),
                    ),
                },
                "PROFILER_LANG" => match Lang::parse(value) {
                    Some(l) => c.lang = l,
                    None => warn(key, value, "en or ko", lang_of(d.lang).into()),
                },
                "PROFILER_GPU" => match parse_bool(value) {
                    Some(b) => c.gpu = b,
                    None => warn(key, value, on_off, on_off_of(d.gpu)),
                },
                "PROFILER_GPU_INTERVAL_MS" => match parse_ranged(value, 100, 60_000) {
                    Some(n) => c.gpu_interval_ms = n,
                    None => warn(
                        key,
                        value,
                        "milliseconds from 100 to 60000",
                        d.gpu_interval_ms.to_string(),
                    ),
                },
                "PROFILER_MEMORY_INTERVAL_MS" => match parse_ranged(value, 10, 60_000) {
                    Some(n) => c.memory_interval_ms = n,
                    None => warn(
                        key,
                        value,
                        "milliseconds from 10 to 60000",
                        d.memory_interval_ms.to_string(),
                    ),
                },
                "PROFILER_MEMORY_OVERHEAD_PCT" => match value.trim().parse::<f64>() {
                    Ok(p) if (0.0..=100.0).contains(&p) => c.memory_overhead_pct = p,
                    _ => warn(
                        key,
                        value,
                        "a percentage from 0 to 100 (0: no per-component RSS shares)",
                        d.memory_overhead_pct.to_string(),
                    ),
                },
                "PROFILER_REPORT_INTERVAL_SEC" => match parse_ranged(value, 0, 86_400) {
                    Some(n) => c.report_interval_sec = n,
                    None => warn(
                        key,
                        value,
                        "seconds from 1 to 86400, or 0 for no periodic report",
                        d.report_interval_sec.to_string(),
                    ),
                },
                "PROFILER_SIGNALS" => match parse_bool(value) {
                    Some(b) => c.signals = b,
                    None => warn(key, value, on_off, on_off_of(d.signals)),
                },
                "PROFILER_TRACE_MAX_EVENTS" => {
                    match parse_ranged(value, MIN_TRACE_EVENTS, MAX_TRACE_EVENTS) {
                        Some(n) => c.trace_max_events = n,
                        None => warn(
                            key,
                            value,
                            "a number of events from 100 to 10000000",
                            d.trace_max_events.to_string(),
                        ),
                    }
                }
                "PROFILER_MAX_INPUT_MB" => match parse_ranged(value, 1, 1 << 20) {
                    Some(n) => c.max_input_mb = n,
                    None => warn(
                        key,
                        value,
                        "megabytes from 1 to 1048576",
                        d.max_input_mb.to_string(),
                    ),
                },
                "PROFILER_CHART_FONT" => {
                    if value.trim().is_empty() {
                        warn(
                            key,
                            value,
                            "the path of a TTF/OTF font file",
                            "the fonts found on this system".into(),
                        );
                    } else {
                        c.chart_font = Some(PathBuf::from(value));
                    }
                }
                "PROFILER_METRICS" => match parse_bool(value) {
                    Some(b) => c.metrics.enabled = b,
                    None => warn(key, value, on_off, on_off_of(d.metrics.enabled)),
                },
                "PROFILER_METRICS_INTERVAL_MS" => match parse_ranged(value, 100, 60_000) {
                    Some(n) => c.metrics.interval_ms = n,
                    None => warn(
                        key,
                        value,
                        "milliseconds from 100 to 60000",
                        d.metrics.interval_ms.to_string(),
                    ),
                },
                "PROFILER_METRICS_MAX_COMPONENTS" => match parse_ranged(value, 1, 4096) {
                    Some(n) => c.metrics.max_components = n as usize,
                    None => warn(
                        key,
                        value,
                        "a number of components from 1 to 4096",
                        d.metrics.max_components.to_string(),
                    ),
                },
                "PROFILER_ALERTS" => match parse_bool(value) {
                    Some(b) => c.alerts.enabled = b,
                    None => warn(key, value, on_off, on_off_of(d.alerts.enabled)),
                },
                "PROFILER_ALERT_WINDOW_SEC" => match parse_ranged(value, 1, 3600) {
                    Some(n) => c.alerts.window_sec = n,
                    None => warn(
                        key,
                        value,
                        "seconds from 1 to 3600",
                        d.alerts.window_sec.to_string(),
                    ),
                },
                "PROFILER_ALERT_MIN_SAMPLES" => match parse_ranged(value, 1, 1_000_000) {
                    Some(n) => c.alerts.min_samples = n,
                    None => warn(
                        key,
                        value,
                        "a number of samples from 1 to 1000000",
                        d.alerts.min_samples.to_string(),
                    ),
                },
                "PROFILER_ALERT_COOLDOWN_SEC" => match parse_ranged(value, 0, 86_400) {
                    Some(n) => c.alerts.cooldown_sec = n,
                    None => warn(
                        key,
                        value,
                        "seconds from 0 to 86400",
                        d.alerts.cooldown_sec.to_string(),
                    ),
                },
                _ => {
                    if let Some(name) = key
                        .strip_prefix("PROFILER_TARGET_")
                        .and_then(|k| k.strip_suffix("_MS"))
                    {
                        match value.trim().parse::<f64>() {
                            Ok(ms) if ms.is_finite() && ms > 0.0 => {
                                c.targets_ms.insert(name.to_ascii_lowercase(), ms);
                            }
                            _ => warn(
                                key,
                                value,
                                "a positive number of milliseconds",
                                "the built-in target".into(),
                            ),
                        }
                    } else {
                        warn(
                            key,
                            value,
                            "a known PROFILER_* variable (see the README's toggles table)",
                            "nothing (the variable is ignored)".into(),
                        );
                    }
                }
            }
        }
        (c, warnings)
    }

    /// The largest report file the tools read, bytes.
    pub fn max_input_bytes(&self) -> u64 {
        self.max_input_mb.saturating_mul(1024 * 1024)
    }

    /// The `PROFILER_COMPONENTS` names that match none of `registered` (compared
    /// without case): a typo that would otherwise record nothing, silently.
    pub fn unmatched_components<'a>(
        &'a self,
        registered: impl IntoIterator<Item = &'a str>,
    ) -> Vec<&'a str> {
        let known: BTreeSet<String> = registered
            .into_iter()
            .map(|n| n.to_ascii_lowercase())
            .collect();
        self.components
            .iter()
            .filter(|n| !known.contains(*n))
            .map(String::as_str)
            .collect()
    }

    /// Whether `component` passes the `PROFILER_COMPONENTS` filter.
    pub fn component_enabled(&self, component: &str) -> bool {
        self.components.is_empty() || self.components.contains(&component.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejected_value_falls_back_to_the_default_the_warning_names() {
        let cases = [
            ("PROFILER_ENABLED", "maybe", "on"),
            ("PROFILER_COMPONENTS", ",", "all"),
            ("PROFILER_SAMPLE_RATE", "2", "1"),
            ("PROFILER_OUTPUT_DIR", " ", "profile_results"),
            ("PROFILER_FORMATS", "xml", "json"),
            ("PROFILER_WARMUP", "-1", "0"),
            ("PROFILER_LANG", "fr", "en"),
            ("PROFILER_GPU", "maybe", "on"),
            ("PROFILER_GPU_INTERVAL_MS", "1", "1000"),
            ("PROFILER_MEMORY_INTERVAL_MS", "1", "500"),
            ("PROFILER_MEMORY_OVERHEAD_PCT", "101", "1"),
            ("PROFILER_REPORT_INTERVAL_SEC", "-1", "0"),
            ("PROFILER_SIGNALS", "maybe", "off"),
            ("PROFILER_TRACE_MAX_EVENTS", "1", "100000"),
            ("PROFILER_MAX_INPUT_MB", "0", "256"),
            ("PROFILER_CHART_FONT", " ", "the fonts found on this system"),
            ("PROFILER_METRICS", "maybe", "off"),
            ("PROFILER_METRICS_INTERVAL_MS", "1", "1000"),
            ("PROFILER_METRICS_MAX_COMPONENTS", "0", "64"),
            ("PROFILER_ALERTS", "maybe", "off"),
            ("PROFILER_ALERT_WINDOW_SEC", "0", "30"),
            ("PROFILER_ALERT_MIN_SAMPLES", "0", "20"),
            ("PROFILER_ALERT_COOLDOWN_SEC", "-1", "60"),
            ("PROFILER_TARGET_STT_MS", "-5", "the built-in target"),
        ];
        for (key, value, used) in cases {
            let (c, warnings) = Config::from_vars([(key, value)]);
            // An unknown format falls back to the JSON file alone, not the defaults.
            if key != "PROFILER_FORMATS" {
                assert_eq!(c, Config::default(), "{key}");
            }
            let got: Vec<&str> = warnings.iter().map(|w| w.default_used.as_str()).collect();
            assert_eq!(got, [used], "{key}={value:?}");
        }
    }

    #[test]
    fn empty_environment_gives_the_defaults() {
        let (c, w) = Config::from_vars([("HOME", "/root")]);
        assert_eq!(c, Config::default());
        assert!(w.is_empty());
    }

    #[test]
    fn every_toggle_is_read() {
        let (c, w) = Config::from_vars([
            ("PROFILER_ENABLED", "off"),
            ("PROFILER_COMPONENTS", "STT, llm"),
            ("PROFILER_SAMPLE_RATE", "0.25"),
            ("PROFILER_OUTPUT_DIR", "out"),
            ("PROFILER_FORMATS", "json"),
            ("PROFILER_WARMUP", "3"),
            ("PROFILER_LANG", "ko"),
            ("PROFILER_TARGET_TTS_MS", "150"),
            ("PROFILER_GPU", "0"),
            ("PROFILER_GPU_INTERVAL_MS", "250"),
            ("PROFILER_REPORT_INTERVAL_SEC", "60"),
            ("PROFILER_METRICS", "on"),
            ("PROFILER_METRICS_INTERVAL_MS", "250"),
            ("PROFILER_METRICS_MAX_COMPONENTS", "8"),
            ("PROFILER_ALERTS", "yes"),
            ("PROFILER_ALERT_WINDOW_SEC", "10"),
            ("PROFILER_ALERT_MIN_SAMPLES", "50"),
            ("PROFILER_ALERT_COOLDOWN_SEC", "0"),
        ]);
        assert!(w.is_empty(), "{w:?}");
        assert!(!c.enabled);
        assert!(
            c.component_enabled("stt") && c.component_enabled("LLM") && !c.component_enabled("tts")
        );
        assert_eq!(c.sample_rate, 0.25);
        assert_eq!(c.output_dir, PathBuf::from("out"));
        assert_eq!(
            c.formats,
            Formats {
                json: true,
                console: false,
                charts: false,
                html: false,
                trace: false,
            }
        );
        assert_eq!(c.warmup, 3);
        assert_eq!(c.lang, Lang::Ko);
        assert_eq!(c.targets_ms.get("tts"), Some(&150.0));
        assert!(!c.gpu);
        assert_eq!(c.gpu_interval_ms, 250);
        assert_eq!(c.report_interval_sec, 60);
        assert_eq!(
            c.metrics,
            MetricsConfig {
                enabled: true,
                interval_ms: 250,
                max_components: 8,
                ..MetricsConfig::default()
            }
        );
        assert_eq!(
            c.alerts,
            AlertConfig {
                enabled: true,
                window_sec: 10,
                min_samples: 50,
                cooldown_sec: 0,
            }
        );
    }

    #[test]
    fn a_typo_in_formats_never_turns_the_console_on() {
        for (value, json, console, charts, warned) in [
            ("xml", true, false, false, true),
            ("json,xml", true, false, false, true),
            ("charts, pdf", false, false, true, true),
            ("none,xlsx", false, false, false, true),
            ("console", false, true, false, false),
            ("", false, false, false, false),
        ] {
            let (c, w) = Config::from_vars([("PROFILER_FORMATS", value)]);
            assert_eq!(
                c.formats,
                Formats {
                    json,
                    console,
                    charts,
                    html: false,
                    trace: false,
                },
                "{value:?}"
            );
            assert_eq!(w.len(), warned as usize, "{value:?}: {w:?}");
            if let Some(w) = w.first() {
                let line = w.to_string();
                assert!(
                    line.contains("PROFILER_FORMATS") && line.contains(&c.formats.names()),
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn filter_names_that_match_no_component_are_found() {
        let (c, _) = Config::from_vars([("PROFILER_COMPONENTS", "STT, ttss")]);
        assert_eq!(c.unmatched_components(["stt", "llm"]), vec!["ttss"]);
        assert!(Config::default().unmatched_components(["stt"]).is_empty());
    }

    #[test]
    fn formats_take_html_and_the_page_is_on_by_default() {
        assert!(Config::default().formats.html);
        let (c, w) = Config::from_vars([("PROFILER_FORMATS", "json, HTML")]);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            c.formats,
            Formats {
                json: true,
                console: false,
                charts: false,
                html: true,
                trace: false,
            }
        );
        let (c, _) = Config::from_vars([("PROFILER_FORMATS", "json,console,charts")]);
        assert!(!c.formats.html);
        let (_, w) = Config::from_vars([("PROFILER_FORMATS", "pdf")]);
        assert!(w[0].to_string().contains("html"), "{}", w[0]);
    }

    #[test]
    fn the_trace_is_asked_for_by_name_and_is_off_by_default() {
        assert!(!Config::default().formats.trace);
        assert_eq!(
            Config::default().formats.names(),
            "json,console,charts,html"
        );
        let (c, w) = Config::from_vars([
            ("PROFILER_FORMATS", "json, Trace"),
            ("PROFILER_TRACE_MAX_EVENTS", "5000"),
        ]);
        assert!(w.is_empty(), "{w:?}");
        assert!(c.formats.trace && c.formats.json && !c.formats.console);
        assert_eq!(c.formats.names(), "json,trace");
        assert_eq!(c.trace_max_events, 5000);
        let (c, w) = Config::from_vars([("PROFILER_TRACE_MAX_EVENTS", "10")]);
        assert_eq!(c.trace_max_events, DEFAULT_TRACE_MAX_EVENTS);
        assert!(
            w[0].to_string().contains("100 to 10000000") && w[0].to_string().contains("100000"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn the_trace_keeps_between_the_fewest_and_most_events() {
        for n in [MIN_TRACE_EVENTS, MAX_TRACE_EVENTS] {
            let n = n.to_string();
            let (c, w) = Config::from_vars([("PROFILER_TRACE_MAX_EVENTS", n.as_str())]);
            assert!(w.is_empty(), "{w:?}");
            assert_eq!(c.trace_max_events.to_string(), n);
        }
        for n in [MIN_TRACE_EVENTS - 1, MAX_TRACE_EVENTS + 1] {
            let n = n.to_string();
            let (c, w) = Config::from_vars([("PROFILER_TRACE_MAX_EVENTS", n.as_str())]);
            assert_eq!(w.len(), 1, "{w:?}");
            assert_eq!(c.trace_max_events, DEFAULT_TRACE_MAX_EVENTS);
        }
    }

    #[test]
    fn invalid_values_warn_once_each_and_keep_the_default() {
        let (c, w) = Config::from_vars([
            ("PROFILER_SAMPLE_RATE", "lots"),
            ("PROFILER_ENABLED", "maybe"),
            ("PROFILER_TARGET_LLM_MS", "-5"),
            ("PROFILER_GPU_INTERVAL_MS", "5"),
            ("PROFILER_METRICS_INTERVAL_MS", "10"),
            ("PROFILER_ALERT_WINDOW_SEC", "0"),
        ]);
        assert_eq!(c, Config::default());
        assert_eq!(w.len(), 6);
        let line = w
            .iter()
            .find(|w| w.variable == "PROFILER_SAMPLE_RATE")
            .unwrap()
            .to_string();
        assert!(
            line.contains("PROFILER_SAMPLE_RATE")
                && line.contains("0 to 1")
                && line.contains("using 1"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
