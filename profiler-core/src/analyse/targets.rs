//! P95 targets: the attribute's, else the environment's, else the spec's defaults for
//! well-known component names.

use crate::config::Config;
use crate::model::{Kind, Severity, TargetSource};
use crate::record::ComponentMeta;

/// The spec's default P95 target (ms) for a well-known component name.
pub fn default_target_ms(name: &str, kind: Kind) -> Option<f64> {
    if kind == Kind::Turn {
        return Some(500.0);
    }
    match name.to_ascii_lowercase().as_str() {
        "stt" | "asr" => Some(100.0),
        "llm" => Some(200.0),
        "tts" => Some(200.0),
        "avatar" | "lipsync" => Some(50.0),
        "turn" | "e2e" | "end_to_end" => Some(500.0),
        _ => None,
    }
}

/// The target of a component and where it came from.
pub fn resolve(meta: &ComponentMeta, cfg: &Config) -> Option<(f64, TargetSource)> {
    if let Some(t) = meta.attribute_target_ms {
        return Some((t, TargetSource::Attribute));
    }
    if let Some(t) = cfg.targets_ms.get(&meta.name.to_ascii_lowercase()) {
        return Some((*t, TargetSource::Env));
    }
    default_target_ms(&meta.name, meta.kind).map(|t| (t, TargetSource::Default))
}

/// Severity of `measured / target`: Critical > 2x, High > 1.5x, Medium > 1.2x, Warning > 1x.
pub fn severity(ratio: f64) -> Severity {
    if ratio > 2.0 {
        Severity::Critical
    } else if ratio > 1.5 {
        Severity::High
    } else if ratio > 1.2 {
        Severity::Medium
    } else if ratio > 1.0 {
        Severity::Warning
    } else {
        Severity::Good
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_follows_the_spec_table() {
        assert_eq!(severity(0.9), Severity::Good);
        assert_eq!(severity(1.0), Severity::Good);
        assert_eq!(severity(1.1), Severity::Warning);
        assert_eq!(severity(1.2), Severity::Warning);
        assert_eq!(severity(1.21), Severity::Medium);
        assert_eq!(severity(1.51), Severity::High);
        assert_eq!(severity(2.0), Severity::High);
        assert_eq!(severity(2.01), Severity::Critical);
    }

    #[test]
    fn attribute_beats_environment_beats_default() {
        let mut meta = ComponentMeta {
            name: "TTS".into(),
            kind: Kind::FirstItem,
            source: Default::default(),
            attribute_target_ms: None,
            labels: Default::default(),
            functions: vec![],
        };
        let mut cfg = Config::default();
        assert_eq!(resolve(&meta, &cfg), Some((200.0, TargetSource::Default)));
        cfg.targets_ms.insert("tts".into(), 150.0);
        assert_eq!(resolve(&meta, &cfg), Some((150.0, TargetSource::Env)));
        meta.attribute_target_ms = Some(120.0);
        assert_eq!(resolve(&meta, &cfg), Some((120.0, TargetSource::Attribute)));
        meta.name = "embedder".into();
        meta.attribute_target_ms = None;
        assert_eq!(resolve(&meta, &cfg), None);
    }
}
