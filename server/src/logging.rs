//! The log: JSON lines on standard output, filtered by RUST_LOG; with the `otel` feature the spans
//! are exported over OTLP too.
#[cfg(feature = "otel")]
use crate::telemetry;

/// What has to be flushed before the process ends (the OpenTelemetry exporter's last batch).
pub struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    pub fn shutdown(self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider {
            if let Err(error) = provider.shutdown() {
                tracing::warn!(%error, "the last spans were not exported");
            }
        }
    }
}

pub fn init_logging() -> Result<Telemetry, String> {
    use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // The current span's fields (the request id) go into every line logged
    // while a request is handled.
    let log = fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false);
    let subscriber = tracing_subscriber::registry().with(filter).with(log);
    #[cfg(feature = "otel")]
    {
        let (layer, provider) = telemetry::layer()?.unzip();
        subscriber.with(layer).init();
        Ok(Telemetry { provider })
    }
    #[cfg(not(feature = "otel"))]
    {
        subscriber.init();
        Ok(Telemetry {})
    }
}
