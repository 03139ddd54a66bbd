//! `berth`: serves the portal (default), checks a configuration (`berth check-config`), or prints the
//! Team CRD (`berth crd`) or the settings (`berth settings`). `--config FILE` names a config file.
use app::app::{shell, App};
use app::server::{
    audit::Audit,
    auth::{oidc::Oidc, routes as auth_routes},
    cluster::{crd::crd_yaml, Cluster},
    config::{check, Config, ConfigError, Layers, SETTINGS},
    harbor::HarborClient,
    http::{
        csrf::{refuse_cross_site, OwnOrigin},
        headers::{provide_request_nonce, security_headers, SecurityHeaders},
        in_flight::{limit_in_flight, InFlight},
        probes,
        ratelimit::DownloadLimiter,
        sessions::SessionBackend,
        timing::server_timing,
    },
    metrics::Metrics,
    reconcile::Reconciler,
    state::AppState,
    views::download,
};
use axum::{middleware, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::process::ExitCode;

#[cfg(feature = "otel")]
mod telemetry;
use std::sync::Arc;
use tower_http::compression::{
    predicate::Predicate, CompressionLayer, CompressionLevel, DefaultPredicate,
};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};

/// A page allocates and frees many small buffers across Tokio's worker threads. With glibc's malloc that
/// was 23% of the UI replica's CPU under `make bench` (malloc, free, chunk consolidation; perf), with its
/// arenas locked between threads. mimalloc's per-thread heaps do the same work for less (`make bench`
/// measures the time and the RSS).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "use `berth [serve] [--config FILE]`, `berth check-config [--config FILE] [--probe]`, `berth crd` or `berth settings`";

#[tokio::main]
async fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let config_file = match take_option(&mut args, "--config") {
        Ok(file) => file.map(std::path::PathBuf::from),
        Err(message) => {
            eprintln!("berth: {message}");
            return ExitCode::from(2);
        }
    };
    let probe = take_flag(&mut args, "--probe");
    if args.len() > 1 || (probe && args.first().map(String::as_str) != Some("check-config")) {
        eprintln!("berth: unexpected arguments {args:?}; {USAGE}");
        return ExitCode::from(2);
    }
    match args.first().map(String::as_str) {
        Some("check-config") => check_config(config_file, probe).await,
        Some("crd") => {
            print!("{}", crd_yaml());
            ExitCode::SUCCESS
        }
        Some("settings") => {
            for setting in SETTINGS {
                let (name, help) = (setting.name(), setting.help());
                println!("{name}\t{}\t{help}", setting.shown_default());
            }
            ExitCode::SUCCESS
        }
        None | Some("serve") => match serve(config_file).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("berth: {message}");
                ExitCode::from(2)
            }
        },
        Some(other) => {
            eprintln!("berth: unknown command {other:?}; {USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Removes `name VALUE` (or `name=VALUE`) from the arguments.
fn take_option(args: &mut Vec<String>, name: &str) -> Result<Option<String>, String> {
    let Some(at) = args
        .iter()
        .position(|a| a == name || a.starts_with(&format!("{name}=")))
    else {
        return Ok(None);
    };
    let arg = args.remove(at);
    match arg.split_once('=') {
        Some((_, value)) => Ok(Some(value.to_owned())),
        None if at < args.len() => Ok(Some(args.remove(at))),
        None => Err(format!("{name} needs a value")),
    }
}

fn take_flag(args: &mut Vec<String>, name: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != name);
    args.len() != before
}

/// Prints every problem of the configuration on its own line (exit 1), or where each set value comes
/// from (exit 0); with `--probe`, also whether the identity provider, Harbor and Kubernetes answer.
async fn check_config(config_file: Option<std::path::PathBuf>, probe: bool) -> ExitCode {
    let layers = match Layers::load(|key| std::env::var(key).ok(), config_file) {
        Ok(layers) => layers,
        Err(problems) => return report_problems(&problems),
    };
    let config = match Config::from_lookup(|key| layers.get(key)) {
        Ok(config) => config,
        Err(problems) => return report_problems(&problems),
    };
    for (setting, origin) in layers.origins() {
        println!("set: {setting} from {origin}");
    }
    println!("configuration: ok");
    if !probe {
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    for probe in check::probe(&config).await {
        match probe.result {
            Ok(detail) => println!("reachable: {}: {detail}", probe.what),
            Err(problem) => {
                failed = true;
                println!("problem: {}: {problem}", probe.what);
            }
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn report_problems(problems: &[ConfigError]) -> ExitCode {
    for problem in problems {
        println!("problem: {problem}");
    }
    ExitCode::from(1)
}

/// What has to be flushed before the process ends (the OpenTelemetry exporter's last batch).
struct Telemetry {
    #[cfg(feature = "otel")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    fn shutdown(self) {
        #[cfg(feature = "otel")]
        if let Some(provider) = self.provider {
            if let Err(error) = provider.shutdown() {
                tracing::warn!(%error, "the last spans were not exported");
            }
        }
    }
}

fn init_logging() -> Result<Telemetry, String> {
    use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    // The current span's fields (the request id) go into every line logged while a request is handled.
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

async fn serve(config_file: Option<std::path::PathBuf>) -> Result<(), String> {
    let telemetry = init_logging()?;
    let (config, _) = Config::load(config_file).map_err(|problems| {
        // One line per problem, each naming its setting.
        problems
            .iter()
            .map(|p| format!("configuration: {p}"))
            .collect::<Vec<_>>()
            .join("\nberth: ")
    })?;
    let config = Arc::new(config);
    let leptos_options = get_configuration(None)
        .map_err(|e| format!("configuration: LEPTOS_* settings: {e}"))?
        .leptos_options;
    let addr = leptos_options.site_addr;

    let mut kube_config = kube::Config::infer().await.map_err(|e| {
        format!(
            "configuration: KUBECONFIG: no usable kubeconfig or in-cluster service account ({e})"
        )
    })?;
    // Each call has its own deadline (Cluster::call, which names the operation); the client's time-outs
    // are only a backstop behind it.
    kube_config.connect_timeout = Some(config.kube_timeout);
    kube_config.read_timeout = Some(config.kube_timeout * 2);
    kube_config.write_timeout = Some(config.kube_timeout * 2);
    let kube_client = kube::Client::try_from(kube_config.clone())
        .map_err(|e| format!("configuration: KUBECONFIG: {e}"))?;
    // Watches are long polls that stay quiet for minutes: no read time-out for them.
    kube_config.read_timeout = None;
    let watch_client = kube::Client::try_from(kube_config)
        .map_err(|e| format!("configuration: KUBECONFIG: {e}"))?;

    let harbor = HarborClient::new(&config.harbor)
        .map_err(|e| format!("configuration: BERTH_HARBOR_URL: {e}"))?;
    let metrics = Arc::new(Metrics::default());
    let cluster = Cluster::new(kube_client.clone(), config.kube_timeout);
    let audit = Audit::new(kube_client.clone(), config.events_namespace.clone())
        .with_metrics(metrics.clone());
    let oidc = Oidc::new(
        config.oidc.clone(),
        config.redirect_uri(),
        config.oidc_timeout,
    )
    .map_err(|e| format!("configuration: BERTH_OIDC_ISSUER: {e}"))?;
    let (session_store, session_key) =
        SessionBackend::start(&config.sessions).map_err(|e| format!("configuration: {e}"))?;
    let state = AppState {
        leptos_options: leptos_options.clone(),
        harbor: harbor.clone(),
        cluster: cluster.clone(),
        oidc: Arc::new(oidc),
        audit: audit.clone(),
        config: config.clone(),
        metrics: metrics.clone(),
        sessions: session_store.clone(),
        download_limiter: Arc::new(DownloadLimiter::new(
            config.download_limit,
            config.download_window,
        )),
    };
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let reconciler = if config.reconcile.enabled {
        let shared = Arc::new(Reconciler::new(
            harbor,
            cluster,
            watch_client,
            config.clone(),
            audit,
            metrics.clone(),
        ));
        Some(tokio::spawn(app::server::reconcile::run(
            shared,
            stopping_rx.clone(),
        )))
    } else {
        tracing::info!("BERTH_RECONCILE=off: serving the UI only");
        None
    };

    let sessions = SessionManagerLayer::new(session_store.clone())
        .with_name("berth_session")
        .with_secure(config.serves_https())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::seconds(
                config.sessions.inactivity.as_secs() as i64
            ),
        ))
        .with_signed(session_key);

    // Said once everything started, so a start-up that fails says only why.
    if !config.oidc.group_match_set {
        tracing::warn!("{}", app::server::config::GROUP_MATCH_DEFAULT_CHANGED);
    }
    let routes = generate_route_list(App);
    let app = Router::new()
        .merge(probes::router())
        .route("/metrics", get({
            let metrics = metrics.clone();
            let harbor = state.harbor.clone();
            move || {
                let (metrics, harbor) = (metrics.clone(), harbor.clone());
                async move {
                    let mut text = metrics.render();
                    text.push_str(&format!(
                        "# HELP berth_harbor_sign_ins_total Sign-ins to Harbor (a session each; 0 with BERTH_HARBOR_AUTH=basic).\n# TYPE berth_harbor_sign_ins_total counter\nberth_harbor_sign_ins_total {}\n",
                        harbor.sign_ins()
                    ));
                    ([("content-type", "text/plain; version=0.0.4")], text)
                }
            }
        }))
        .merge(auth_routes::router())
        .merge(download::router())
        .leptos_routes_with_context(&state, routes, provide_request_nonce, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(provide_request_nonce, shell))
        .layer(middleware::from_fn(auth_routes::require_sign_in))
        .layer(sessions)
        // Waiting for a turn before anything is loaded for the request (its session first).
        .layer(middleware::from_fn_with_state(InFlight::new(config.max_in_flight), limit_in_flight))
        // Before the session is loaded: a cross-site write is refused without touching it.
        .layer(middleware::from_fn_with_state(OwnOrigin::new(&config.public_url), refuse_cross_site))
        .layer(middleware::from_fn_with_state(SecurityHeaders::new(&config.oidc.issuer, config.serves_https()), security_headers))
        .layer(middleware::from_fn_with_state(config.server_timing, server_timing))
        .layer(middleware::from_fn_with_state(metrics.clone(), probes::track_http))
        // Pages are compressed on the fly at quality 1: for a 29 KB team page brotli 1 takes about a third
        // of brotli 4's CPU (which was 30% of all the CPU a page cost) for 15% more bytes (6.8 vs 5.9 KB); the
        // site's CSS, JS and WASM are served from the .br/.gz files the release build wrote. Nothing else
        // is: downloads hold credentials, and compressing secrets next to reflected input invites BREACH.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(1))
                .compress_when(DefaultPredicate::new().and(html_only)),
        )
        // Every request gets an id (or keeps the one a proxy gave it): in the log line's span and in the
        // answer's `x-request-id`, so a user's report can be matched to the log.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state);

    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .map_err(|e| format!("configuration: LEPTOS_SITE_ADDR: cannot listen on {addr}: {e}"))?;
    // Small responses (server functions, redirects) go out at once instead of waiting on Nagle.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
    });
    tracing::info!(%addr, public_url = %config.public_url, "berth listening");
    let mut server_stopping = stopping_rx.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stopping_tx.send(true);
    });
    let served = axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(async move {
            let _ = server_stopping.wait_for(|stopping| *stopping).await;
        })
        .await;
    // The reconciler finishes its current reconciles and hands the Lease back before the process ends.
    if let Some(reconciler) = reconciler {
        let _ = reconciler.await;
    }
    session_store.close().await;
    telemetry.shutdown();
    served.map_err(|e| format!("server error: {e}"))
}

fn html_only(
    _: axum::http::StatusCode,
    _: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _: &axum::http::Extensions,
) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
