//! The `tracing` Layer: spans in, records out. It aggregates spans that other code
//! emits with a `component` field (e.g. `#[tracing::instrument(fields(component =
//! "llm"))]`), from creation to close, an ERROR event inside marking the span as an error.
//!
//! `#[profile]` functions record directly on the hot path; their spans carry the
//! `profiled` marker field and this layer's filter declines them, so with no other
//! subscriber interested, a profiled call creates no span at all.

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

thread_local! {
    /// Component names already resolved on this thread: no registry lock per span.
    static KNOWN: RefCell<HashMap<String, Option<&'static ComponentState>>> = RefCell::new(HashMap::new());
}

fn resolve(
    name: &str,
    span_name: &'static str,
    target_ms: Option<f64>,
) -> Option<&'static ComponentState> {
    let cached = KNOWN
        .try_with(|k| k.borrow().get(name).copied())
        .ok()
        .flatten();
    if let Some(c) = cached {
        return c;
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
    let _ = KNOWN.try_with(|k| k.borrow_mut().insert(name.to_string(), c));
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
        let m = mode::load();
        if m != mode::ON && !settings::admit_slow(m) {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(name) = fields.component else { return };
        let mut call =
            Call::for_component(resolve(&name, attrs.metadata().name(), fields.target_ms))
                .counting_running(m);
        if !call.is_active() {
            return;
        }
        call.hook(mode::load());
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
