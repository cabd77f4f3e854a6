//! Serving the metrics for Prometheus: `metrics-exporter-prometheus` (built without
//! its TLS push gateway) as the process's `metrics` recorder, with its HTTP listener.
//!
//! ```no_run
//! # fn main() -> Result<(), profiler_core::live::prometheus::PrometheusError> {
//! // Scrape http://127.0.0.1:9464/metrics; publishing runs until `_metrics` drops.
//! let _metrics = profiler_core::live::prometheus::serve(([127, 0, 0, 1], 9464).into())?;
//! # Ok(()) }
//! ```
//!
//! - Latency histograms are Prometheus histograms (aggregatable across a fleet with
//!   `sum by (le)`), with the bounds of [`names::LATENCY_BUCKETS`].
//! - Names follow Prometheus's recommended naming: units and `_total` are added
//!   (`gen_ai_client_operation_duration_seconds`, `process_memory_usage_bytes`).
//! - Memory stays bounded when nobody scrapes: the exporter buffers every histogram
//!   sample until a scrape or its upkeep drains it, so the publisher runs the upkeep
//!   after every [`super::UPKEEP_EVERY`] samples and at the end of each tick.

use super::names::{self, LATENCY_BUCKETS};
use super::{install_metrics, set_upkeep, LiveGuard};
use metrics_exporter_prometheus::Matcher;
pub use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::Arc;

/// Why the exporter could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum PrometheusError {
    /// The exporter could not be built (e.g. the address is in use).
    #[error("could not start the Prometheus exporter: {0}")]
    Build(#[from] BuildError),
    /// Another `metrics` recorder was installed first.
    #[error("a `metrics` recorder is already installed in this process; publish into it with `profiler::metrics::install()` instead")]
    RecorderTaken,
    /// The exporter's thread or runtime could not be started.
    #[error("could not start the Prometheus exporter's thread: {0}")]
    Thread(#[from] std::io::Error),
}

/// The exporter's builder with the profiler's settings: histogram buckets for every
/// latency metric ([`LATENCY_BUCKETS`]) and Prometheus's recommended naming. Add a
/// listener (`with_http_listener`), global labels (`add_global_label("replica", ..)`),
/// then [`install`] it.
pub fn builder() -> PrometheusBuilder {
    let mut b = PrometheusBuilder::new().with_recommended_naming(true);
    for name in names::HISTOGRAMS {
        // The exporter matches names after turning `.` into `_`.
        let matcher = Matcher::Full(name.replace('.', "_"));
        b = b
            .set_buckets_for_metric(matcher, &LATENCY_BUCKETS)
            .expect("LATENCY_BUCKETS is not empty");
    }
    b
}

/// A running exporter; publishing into it stops when dropped (the listener and the
/// recorder stay: a process has one `metrics` recorder for its lifetime).
pub struct Prometheus {
    handle: PrometheusHandle,
    _live: LiveGuard,
}

impl Prometheus {
    /// The recorder's handle (render a scrape in-process, run its upkeep).
    pub fn handle(&self) -> &PrometheusHandle {
        &self.handle
    }

    /// Publishes what was recorded since the last tick, then renders what a scrape
    /// would return now.
    pub fn render(&self) -> String {
        super::flush();
        self.handle.render()
    }
}

/// Serves every metric of the process (the profiler's and the program's own) at
/// `http://addr/metrics` and switches publishing on: [`builder`] with an HTTP
/// listener, [`install`]ed.
pub fn serve(addr: SocketAddr) -> Result<Prometheus, PrometheusError> {
    install(builder().with_http_listener(addr))
}

/// Installs `builder`'s exporter as the process's `metrics` recorder (its listener on a
/// thread of its own, `profiler-prometheus`), and switches publishing on.
pub fn install(builder: PrometheusBuilder) -> Result<Prometheus, PrometheusError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (recorder, exporter) = {
        let _in = runtime.enter();
        builder.build()?
    };
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).map_err(|_| PrometheusError::RecorderTaken)?;
    std::thread::Builder::new()
        .name("profiler-prometheus".into())
        .spawn(move || {
            if let Err(e) = runtime.block_on(exporter) {
                crate::status::line(format_args!(
                    "profiler: the Prometheus listener stopped: {e:?}"
                ));
            }
        })?;
    let upkeep = handle.clone();
    set_upkeep(Some(Arc::new(move || upkeep.run_upkeep())));
    Ok(Prometheus {
        handle,
        _live: install_metrics(),
    })
}
