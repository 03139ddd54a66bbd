//! OpenTelemetry export (cargo feature `otel`): the spans Berth logs (one per request, with its
//! request id) also go over OTLP/HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (or
//! `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). The SDK reads the other standard variables itself
//! (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_BSP_*`).
//! Without an endpoint nothing is exported.
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::SpanExporter;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracerProvider, Tracer};
use opentelemetry_sdk::Resource;
use tracing_subscriber::registry::LookupSpan;

/// The tracing layer and the provider to flush at shutdown; `None` when no endpoint is configured.
pub fn layer<S>() -> Result<
    Option<(
        tracing_opentelemetry::OpenTelemetryLayer<S, Tracer>,
        SdkTracerProvider,
    )>,
    String,
>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let configured = |key: &str| std::env::var(key).is_ok_and(|v| !v.trim().is_empty());
    if !configured("OTEL_EXPORTER_OTLP_ENDPOINT")
        && !configured("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    {
        return Ok(None);
    }
    let exporter = SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|e| format!("OTEL_EXPORTER_OTLP_ENDPOINT: {e}"))?;
    let mut resource = Resource::builder();
    if !configured("OTEL_SERVICE_NAME") {
        resource = resource.with_service_name("berth");
    }
    let provider = SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(exporter, Tokio).build())
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("berth");
    Ok(Some((
        tracing_opentelemetry::layer().with_tracer(tracer),
        provider,
    )))
}
