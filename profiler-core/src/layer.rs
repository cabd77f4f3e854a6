//! The `tracing` Layer: spans in, records out. It aggregates spans that other code
//! emits with a `component` field (e.g. `#[tracing::instrument(fields(component =
//! "llm"))]`), from creation to close, an ERROR event inside marking the span as an error.
//!
//! `#[profile]` functions record directly on the hot path; their spans carry the
//! `profiled` marker field and this layer's filter declines them, so with no other
//! subscriber interested, a profiled call creates no span at all.

use crate::model::text::MAX_COMPONENT_NAME_CHARS;
use crate::model::{Kind, Source};
use crate::record::call::{Call, Outcome};
use crate::record::component::{self, ComponentState, Registration};
use crate::record::{mode, settings};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, FilterFn, Filtered};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;

/// Field that marks spans emitted by `#[profile]` (already recorded on the hot path).
pub const MARKER_FIELD: &str = "profiled";
/// Field naming the component of a span.
pub const COMPONENT_FIELD: &str = "component";

/// The layer itself; use [`layer`] to get it with its filter.
#[derive(Debug, Default, Clone, Copy)]
pub struct ProfilerLayer;

/// The filter type of [`layer`].
pub type ProfilerFilter = FilterFn<fn(&Metadata<'_>) -> bool>;

fn wants(meta: &Metadata<'_>) -> bool {
    if meta.is_event() {
        return *meta.level() == Level::ERROR;
    }
    let fields = meta.fields();
    fields.field(COMPONENT_FIELD).is_some() && fields.field(MARKER_FIELD).is_none()
}

/// The profiler's layer with its per-layer filter, to compose with any subscriber:
/// `tracing_subscriber::registry().with(fmt::layer()).with(profiler::layer())`.
pub fn layer<S>() -> Filtered<ProfilerLayer, ProfilerFilter, S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    ProfilerLayer.with_filter(filter_fn(wants as fn(&Metadata<'_>) -> bool))
}

/// A registry with only the profiler's layer (for programs with no subscriber of their own).
pub fn subscriber() -> impl Subscriber + Send + Sync {
    tracing_subscriber::registry().with(layer())
}

#[derive(Default)]
struct Fields {
    component: Option<String>,
    target_ms: Option<f64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == COMPONENT_FIELD {
            self.component = Some(value.to_string());
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "target_ms" && value > 0.0 {
            self.target_ms = Some(value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.record_f64(field, value as f64)
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_f64(field, value as f64)
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == COMPONENT_FIELD && self.component.is_none() {
            self.component = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

/// Most names one thread keeps resolved: as many as there can be components. A field
/// that holds something new each time (a request id) would otherwise grow the cache
/// with every span; past the bound, new names still resolve, through the registry.
const KNOWN_MAX: usize = component::MAX_COMPONENTS;
/// Longest name kept, bytes: a longer one registers cut to 128 characters, so two
/// of them may be the same component, and each would be a large key.
const KNOWN_MAX_NAME_BYTES: usize = 4 * MAX_COMPONENT_NAME_CHARS;

/// Component names already resolved on one thread: no registry lock per span.
///
/// Invariants: at most `cap` names, each at most `KNOWN_MAX_NAME_BYTES` long; only
/// names the registry accepted (a refused one, the table being full, is asked again).
struct Known {
    names: HashMap<String, &'static ComponentState>,
    cap: usize,
}

impl Known {
    fn new(cap: usize) -> Known {
        Known {
            names: HashMap::new(),
            cap,
        }
    }

    fn get(&self, name: &str) -> Option<&'static ComponentState> {
        self.names.get(name).copied()
    }

    /// Keeps what `name` resolved to, within the bounds.
    fn remember(&mut self, name: &str, resolved: Option<&'static ComponentState>) {
        let Some(c) = resolved else { return };
        if self.names.len() < self.cap && name.len() <= KNOWN_MAX_NAME_BYTES {
            self.names.insert(name.to_string(), c);
        }
    }
}

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::new(Known::new(KNOWN_MAX));
}

fn resolve(
    name: &str,
    span_name: &'static str,
    target_ms: Option<f64>,
) -> Option<&'static ComponentState> {
    let cached = KNOWN.try_with(|k| k.borrow().get(name)).ok().flatten();
    if cached.is_some() {
        return cached;
    }
    let c = component::register(
        Registration {
            name,
            kind: Kind::Latency,
            source: Source::Span,
            target_ms,
            warmup: None,
            labels: &[],
            function: span_name,
        },
        &settings::active(),
    );
    let _ = KNOWN.try_with(|k| k.borrow_mut().remember(name, c));
    c
}

struct Timing {
    call: Call,
    errored: bool,
}

impl<S> Layer<S> for ProfilerLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(m) = settings::admit(mode::load()) else {
            return;
        };
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(name) = fields.component else { return };
        let mut call =
            Call::for_component(resolve(&name, attrs.metadata().name(), fields.target_ms))
                .counting_running(m);
        if !call.is_active() {
            return;
        }
        call.hook(m);
        call.begin_detached();
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Timing {
                call,
                errored: false,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        if let Some(span) = ctx.event_span(event) {
            if let Some(t) = span.extensions_mut().get_mut::<Timing>() {
                t.errored = true;
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let timing = span.extensions_mut().remove::<Timing>();
        if let Some(t) = timing {
            t.call.finish(if t.errored {
                Outcome::Error
            } else {
                Outcome::Ok
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn state(name: &str) -> &'static ComponentState {
        component::register(
            Registration {
                name,
                kind: Kind::Latency,
                source: Source::Span,
                target_ms: None,
                warmup: None,
                labels: &[],
                function: "tests",
            },
            &Config::default(),
        )
        .unwrap()
    }

    #[test]
    fn the_name_cache_is_bounded_and_keeps_no_refusal() {
        let (a, b) = (state("layer_known_a"), state("layer_known_b"));
        let mut k = Known::new(3);
        k.remember("refused", None);
        assert!(k.get("refused").is_none());
        for i in 0..10 {
            k.remember(&format!("request-{i}"), Some(a));
        }
        assert_eq!(k.names.len(), 3);
        assert!(k.get("request-2").is_some_and(|c| std::ptr::eq(c, a)));
        assert!(k.get("request-3").is_none());
        k = Known::new(3);
        k.remember("layer_known_b", Some(b));
        k.remember(&"x".repeat(KNOWN_MAX_NAME_BYTES + 1), Some(a));
        assert_eq!(k.names.len(), 1);
    }

    #[test]
    fn names_past_the_bound_still_resolve() {
        std::thread::spawn(|| {
            KNOWN.with(|k| *k.borrow_mut() = Known::new(1));
            let first = resolve("layer_bound_first", "span", None).unwrap();
            let second = resolve("layer_bound_second", "span", None).unwrap();
            assert!(!std::ptr::eq(first, second));
            assert!(std::ptr::eq(
                resolve("layer_bound_second", "span", None).unwrap(),
                second
            ));
            KNOWN.with(|k| {
                let k = k.borrow();
                assert_eq!(k.names.len(), 1);
                assert!(k.get("layer_bound_first").is_some());
            });
        })
        .join()
        .unwrap();
    }
}
