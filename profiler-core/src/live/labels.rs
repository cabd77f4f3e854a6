//! `LabelPolicy`: the labels each component's series carry, and the bound on their
//! cardinality, so that no input can make the published series grow without bound.
//!
//! - The first `max_components` components (in registration order) are published
//!   under their own name; later ones under `component="other"` (with their kind
//!   only). A component name taken from a foreign span (say a request id) therefore
//!   adds at most one series per kind.
//! - Each label keeps its first `max_label_values` distinct values; later values are
//!   published as `other`. At most [`MAX_LABELS`] user labels per component.
//! - Each bound, when first reached, says so once (stderr and a `tracing` warning).
//!
//! Labels: `component`, `kind` (`latency`, `first_item`, `frame`, `turn`), then the
//! component's own (`provider`, `model`, `labels(..)` of `#[profile]`). LLM components
//! publish their histograms under the GenAI conventions, whose attributes are
//! `gen_ai.operation.name` (the `operation` label, else `chat`), `gen_ai.provider.name`
//! (`provider`) and `gen_ai.request.model` (`model`).
//!
//! Invariants: a component's series, once decided, never change (counts are never split
//! across two label sets).

use crate::analyse::advice::{family, Family};
use crate::model::Kind;
use crate::record::ComponentMeta;
use metrics::Label;
use std::collections::{HashMap, HashSet};

/// The value standing for every component or label value past its bound.
pub const OTHER: &str = "other";
/// User labels published per component (the first ones by key).
pub const MAX_LABELS: usize = 8;
/// Label keys the profiler sets itself; a user label of one of these names is left out.
const RESERVED: [&str; 5] = ["component", "kind", "outcome", "le", "quantile"];

/// The labels of one component's series.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Series {
    /// Its histograms go under the GenAI conventions' names (an LLM component).
    pub(crate) genai: bool,
    /// Labels of its `profiler_*` metrics: component, kind, then its own.
    pub(crate) labels: Vec<Label>,
    /// Labels of its GenAI histograms.
    pub(crate) genai_labels: Vec<Label>,
}

/// The labels of every component seen, within the bounds (see the module docs).
pub(crate) struct LabelPolicy {
    max_components: usize,
    max_values: usize,
    by_component: HashMap<String, Series>,
    named: usize,
    values: HashMap<String, HashSet<String>>,
    warned_components: bool,
    warned_values: bool,
}

impl LabelPolicy {
    pub(crate) fn new(max_components: usize, max_values: usize) -> Self {
        LabelPolicy {
            max_components: max_components.max(1),
            max_values: max_values.max(1),
            by_component: HashMap::new(),
            named: 0,
            values: HashMap::new(),
            warned_components: false,
            warned_values: false,
        }
    }

    /// The series of `meta`'s component (decided at its first sight).
    pub(crate) fn series(&mut self, meta: &ComponentMeta) -> &Series {
        if !self.by_component.contains_key(&meta.name) {
            let s = self.decide(meta);
            self.by_component.insert(meta.name.clone(), s);
        }
        &self.by_component[&meta.name]
    }

    fn decide(&mut self, meta: &ComponentMeta) -> Series {
        let kind = Label::new("kind", meta.kind.name());
        if self.named >= self.max_components {
            if !self.warned_components {
                self.warned_components = true;
                warn(&format!(
                    "more than {} components; `{}` and later ones are published as component=\"{OTHER}\" (PROFILER_METRICS_MAX_COMPONENTS)",
                    self.max_components, meta.name
                ));
            }
            return Series {
                genai: false,
                labels: vec![Label::new("component", OTHER), kind],
                genai_labels: Vec::new(),
            };
        }
        self.named += 1;
        let own: Vec<(String, String)> = meta
            .labels
            .iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .take(MAX_LABELS)
            .map(|(k, v)| (k.clone(), self.bounded(k, v)))
            .collect();
        let component = Label::new("component", meta.name.clone());
        let mut labels = vec![component.clone(), kind];
        labels.extend(own.iter().map(|(k, v)| Label::new(k.clone(), v.clone())));
        let genai = meta.kind != Kind::Turn
            && (family(&meta.name) == Family::Llm || own.iter().any(|(k, _)| k == "operation"));
        let mut genai_labels = Vec::new();
        if genai {
            let operation = own
                .iter()
                .find(|(k, _)| k == "operation")
                .map_or("chat".to_string(), |(_, v)| v.clone());
            genai_labels.push(component);
            genai_labels.push(Label::new("gen_ai.operation.name", operation));
            for (k, v) in &own {
                let key = match k.as_str() {
                    "operation" => continue,
                    "provider" => "gen_ai.provider.name".to_string(),
                    "model" => "gen_ai.request.model".to_string(),
                    _ => k.clone(),
                };
                genai_labels.push(Label::new(key, v.clone()));
            }
        }
        Series {
            genai,
            labels,
            genai_labels,
        }
    }

    /// `value` of label `key`, or [`OTHER`] past the key's bound.
    fn bounded(&mut self, key: &str, value: &str) -> String {
        let seen = self.values.entry(key.to_string()).or_default();
        if seen.contains(value) || seen.len() < self.max_values {
            seen.insert(value.to_string());
            return value.to_string();
        }
        if !self.warned_values {
            self.warned_values = true;
            warn(&format!(
                "label `{key}` has more than {} values; `{value}` and later ones are published as \"{OTHER}\"",
                self.max_values
            ));
        }
        OTHER.to_string()
    }
}

fn warn(what: &str) {
    crate::status::line(format_args!("profiler: metrics: {what}"));
    tracing::warn!(target: "profiler::metrics", "{what}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;

    fn meta(name: &str, kind: Kind, labels: &[(&str, &str)]) -> ComponentMeta {
        ComponentMeta {
            name: name.into(),
            kind,
            source: Source::Span,
            attribute_target_ms: None,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            functions: vec![],
        }
    }

    fn pairs(l: &[Label]) -> Vec<(String, String)> {
        l.iter()
            .map(|l| (l.key().to_string(), l.value().to_string()))
            .collect()
    }

    #[test]
    fn components_past_the_bound_fold_into_other_and_keep_their_series() {
        let mut p = LabelPolicy::new(3, 32);
        let names: Vec<String> = (0..1000)
            .map(|i| {
                let s = p.series(&meta(&format!("request-{i}"), Kind::Latency, &[]));
                s.labels[0].value().to_string()
            })
            .collect();
        assert_eq!(&names[..3], ["request-0", "request-1", "request-2"]);
        assert!(names[3..].iter().all(|n| n == OTHER));
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), 4, "three named series and one `other`");
        // A component keeps the series it was given.
        let again = p.series(&meta("request-1", Kind::Latency, &[]));
        assert_eq!(again.labels[0].value(), "request-1");
    }

    #[test]
    fn label_values_past_the_bound_fold_into_other_and_reserved_keys_are_left_out() {
        let mut p = LabelPolicy::new(100, 2);
        let models: Vec<String> = (0..5)
            .map(|i| {
                let m = format!("model-{i}");
                let s = p.series(&meta(
                    &format!("c{i}"),
                    Kind::Latency,
                    &[("model", &m), ("kind", "sneaky")],
                ));
                assert_eq!(s.labels.len(), 3, "{:?}", s.labels);
                s.labels[2].value().to_string()
            })
            .collect();
        assert_eq!(models, ["model-0", "model-1", OTHER, OTHER, OTHER]);
    }

    #[test]
    fn an_llm_stream_gets_the_genai_attributes() {
        let mut p = LabelPolicy::new(10, 10);
        let s = p.series(&meta(
            "llm",
            Kind::FirstItem,
            &[
                ("provider", "openai"),
                ("model", "gpt-4o-mini"),
                ("stage", "answer"),
            ],
        ));
        assert!(s.genai);
        assert_eq!(
            pairs(&s.genai_labels),
            [
                ("component", "llm"),
                ("gen_ai.operation.name", "chat"),
                ("gen_ai.request.model", "gpt-4o-mini"),
                ("gen_ai.provider.name", "openai"),
                ("stage", "answer"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(
            pairs(&s.labels)[..2],
            [
                ("component".to_string(), "llm".to_string()),
                ("kind".to_string(), "first_item".to_string())
            ]
        );
        assert!(!p.series(&meta("tts", Kind::FirstItem, &[])).genai);
    }
}
