//! Every environment toggle, parsed once, each invalid value reported in one line.
//!
//! | variable | accepts | default |
//! | --- | --- | --- |
//! | `PROFILER_ENABLED` | `1/0`, `true/false`, `on/off`, `yes/no` | on |
//! | `PROFILER_COMPONENTS` | comma-separated names, or `all` | all |
//! | `PROFILER_SAMPLE_RATE` | a number in `[0, 1]` | 1 |
//! | `PROFILER_OUTPUT_DIR` | a directory | `profile_results` |
//! | `PROFILER_FORMATS` | comma-separated `json`, `console`, `charts`, or `none` | all three |
//! | `PROFILER_WARMUP` | calls per component to leave out | 0 |
//! | `PROFILER_LANG` | `en`, `ko` | `en` |
//! | `PROFILER_TARGET_<NAME>_MS` | a positive number (P95 target of component NAME) | spec defaults |
//! | `PROFILER_GPU` | on/off | on |
//! | `PROFILER_GPU_INTERVAL_MS` | 100 to 60000 | 1000 |
//! | `PROFILER_MEMORY_INTERVAL_MS` | 10 to 60000 | 500 |
//! | `PROFILER_MEMORY_OVERHEAD_PCT` | per-call memory reads' share of a component's time, 0 to 100 (0: never) | 1 |
//! | `PROFILER_REPORT_INTERVAL_SEC` | periodic report dumps, 1 to 86400 (0: off) | off |
//! | `PROFILER_CHART_FONT` | a TTF/OTF file with Hangul for Korean charts | searched |
//!
//! An invalid value never stops the host program: the default is used and one line
//! on stderr names the variable and what it accepts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Language of the console report, findings and chart labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    /// Parses `en`/`english`/`ko`/`korean` (any case).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Lang::En),
            "ko" | "kr" | "korean" => Some(Lang::Ko),
            _ => None,
        }
    }
}

/// Which artefacts the end-of-run report writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Formats {
    pub json: bool,
    pub console: bool,
    pub charts: bool,
}

impl Default for Formats {
    fn default() -> Self {
        Formats {
            json: true,
            console: true,
            charts: true,
        }
    }
}

/// The profiler's configuration. `Config::default()` is what an empty environment gives.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub enabled: bool,
    /// Lower-cased component names to profile; empty means all.
    pub components: BTreeSet<String>,
    pub sample_rate: f64,
    pub output_dir: PathBuf,
    pub formats: Formats,
    pub warmup: u64,
    pub lang: Lang,
    /// P95 targets from the environment, by lower-cased component name.
    pub targets_ms: BTreeMap<String, f64>,
    pub gpu: bool,
    pub gpu_interval_ms: u64,
    pub memory_interval_ms: u64,
    pub memory_overhead_pct: f64,
    pub report_interval_sec: u64,
    pub chart_font: Option<PathBuf>,
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
        }
    }
}

/// One rejected environment value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    pub variable: String,
    pub value: String,
    pub expected: &'static str,
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
                    None => warn(key, value, on_off, "on".into()),
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
                        "1".into(),
                    ),
                },
                "PROFILER_OUTPUT_DIR" => {
                    if value.trim().is_empty() {
                        warn(key, value, "a directory path", "profile_results".into());
                    } else {
                        c.output_dir = PathBuf::from(value);
                    }
                }
                "PROFILER_FORMATS" => {
                    let mut f = Formats {
                        json: false,
                        console: false,
                        charts: false,
                    };
                    let mut ok = true;
                    for part in value.split(',').map(|s| s.trim().to_ascii_lowercase()) {
                        match part.as_str() {
                            "json" => f.json = true,
                            "console" => f.console = true,
                            "charts" | "png" => f.charts = true,
                            "none" | "" => {}
                            _ => ok = false,
                        }
                    }
                    if ok {
                        c.formats = f;
                    } else {
                        warn(
                            key,
                            value,
                            "comma-separated json, console, charts, or none",
                            "json,console,charts".into(),
                        );
                    }
                }
                "PROFILER_WARMUP" => match parse_ranged(value, 0, u64::MAX) {
                    Some(n) => c.warmup = n,
                    None => warn(key, value, "a whole number of calls, 0 or more", "0".into()),
                },
                "PROFILER_LANG" => match Lang::parse(value) {
                    Some(l) => c.lang = l,
                    None => warn(key, value, "en or ko", "en".into()),
                },
                "PROFILER_GPU" => match parse_bool(value) {
                    Some(b) => c.gpu = b,
                    None => warn(key, value, on_off, "on".into()),
                },
                "PROFILER_GPU_INTERVAL_MS" => match parse_ranged(value, 100, 60_000) {
                    Some(n) => c.gpu_interval_ms = n,
                    None => warn(key, value, "milliseconds from 100 to 60000", "1000".into()),
                },
                "PROFILER_MEMORY_INTERVAL_MS" => match parse_ranged(value, 10, 60_000) {
                    Some(n) => c.memory_interval_ms = n,
                    None => warn(key, value, "milliseconds from 10 to 60000", "500".into()),
                },
                "PROFILER_MEMORY_OVERHEAD_PCT" => match value.trim().parse::<f64>() {
                    Ok(p) if (0.0..=100.0).contains(&p) => c.memory_overhead_pct = p,
                    _ => warn(
                        key,
                        value,
                        "a percentage from 0 to 100 (0: no per-call memory reads)",
                        "1".into(),
                    ),
                },
                "PROFILER_REPORT_INTERVAL_SEC" => match parse_ranged(value, 0, 86_400) {
                    Some(n) => c.report_interval_sec = n,
                    None => warn(
                        key,
                        value,
                        "seconds from 1 to 86400, or 0 for no periodic report",
                        "0".into(),
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

    /// Whether `component` passes the `PROFILER_COMPONENTS` filter.
    pub fn component_enabled(&self, component: &str) -> bool {
        self.components.is_empty() || self.components.contains(&component.to_ascii_lowercase())
    }
}

static ACTIVE: RwLock<Option<Arc<Config>>> = RwLock::new(None);

/// The configuration in force, read from the environment on first use (its warnings
/// printed once).
pub fn active() -> Arc<Config> {
    if let Some(c) = ACTIVE.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        return c.clone();
    }
    let mut slot = ACTIVE.write().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = slot.as_ref() {
        return c.clone();
    }
    let (cfg, warnings) = Config::from_env();
    for w in &warnings {
        eprintln!("{w}");
    }
    let cfg = Arc::new(cfg);
    *slot = Some(cfg.clone());
    crate::record::mode::apply(&cfg);
    cfg
}

/// Puts `cfg` in force for every call from now on (components registered earlier included).
pub fn set_active(cfg: Config) {
    let cfg = Arc::new(cfg);
    *ACTIVE.write().unwrap_or_else(|e| e.into_inner()) = Some(cfg.clone());
    crate::record::mode::apply(&cfg);
    crate::record::component::reconfigure(&cfg);
    crate::sample::memory::reset_threshold();
}

#[cfg(test)]
mod tests {
    use super::*;

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
                charts: false
            }
        );
        assert_eq!(c.warmup, 3);
        assert_eq!(c.lang, Lang::Ko);
        assert_eq!(c.targets_ms.get("tts"), Some(&150.0));
        assert!(!c.gpu);
        assert_eq!(c.gpu_interval_ms, 250);
        assert_eq!(c.report_interval_sec, 60);
    }

    #[test]
    fn invalid_values_warn_once_each_and_keep_the_default() {
        let (c, w) = Config::from_vars([
            ("PROFILER_SAMPLE_RATE", "lots"),
            ("PROFILER_ENABLED", "maybe"),
            ("PROFILER_TARGET_LLM_MS", "-5"),
            ("PROFILER_GPU_INTERVAL_MS", "5"),
        ]);
        assert_eq!(c, Config::default());
        assert_eq!(w.len(), 4);
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
