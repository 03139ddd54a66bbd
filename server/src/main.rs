//! `berth`: serves the portal (default), or prints the Team CRD (`berth crd`) or the settings
//! (`berth settings`).
use app::app::{shell, App};
use app::server::{
    audit::Audit,
    auth::{oidc::Oidc, routes as auth_routes},
    cluster::{team::crd_yaml, Cluster},
    config::{Config, SETTINGS},
    download,
    harbor::HarborClient,
    reconcile::{metrics::Metrics, Reconciler},
    state::AppState,
};
use axum::{middleware, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::process::ExitCode;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use tower_sessions::{cookie::SameSite, Expiry, MemoryStore, SessionManagerLayer};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("crd") => {
            print!("{}", crd_yaml());
            ExitCode::SUCCESS
        }
        Some("settings") => {
            for (name, default, about) in SETTINGS {
                println!("{name}\t{}\t{about}", default.unwrap_or("(required)"));
            }
            ExitCode::SUCCESS
        }
        None | Some("serve") => match serve().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("berth: {message}");
                ExitCode::from(2)
            }
        },
        Some(other) => {
            eprintln!("berth: unknown command {other:?}; use `berth`, `berth serve`, `berth crd` or `berth settings`");
            ExitCode::from(2)
        }
    }
}

fn init_logging() {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    fmt().json().with_env_filter(filter).with_current_span(false).init();
}

async fn serve() -> Result<(), String> {
    init_logging();
    let config = Arc::new(Config::from_env().map_err(|e| format!("configuration: {e}"))?);
    let leptos_options = get_configuration(None).map_err(|e| format!("configuration: LEPTOS_* settings: {e}"))?.leptos_options;
    let addr = leptos_options.site_addr;

    let mut kube_config = kube::Config::infer()
        .await
        .map_err(|e| format!("configuration: KUBECONFIG: no usable kubeconfig or in-cluster service account ({e})"))?;
    // Each call has its own deadline (Cluster::call, which names the operation); the client's time-outs
    // are only a backstop behind it.
    kube_config.connect_timeout = Some(config.kube_timeout);
    kube_config.read_timeout = Some(config.kube_timeout * 2);
    kube_config.write_timeout = Some(config.kube_timeout * 2);
    let kube_client = kube::Client::try_from(kube_config.clone()).map_err(|e| format!("configuration: KUBECONFIG: {e}"))?;
    // Watches are long polls that stay quiet for minutes: no read time-out for them.
    kube_config.read_timeout = None;
    let watch_client = kube::Client::try_from(kube_config).map_err(|e| format!("configuration: KUBECONFIG: {e}"))?;

    let harbor = HarborClient::new(&config.harbor).map_err(|e| format!("configuration: BERTH_HARBOR_URL: {e}"))?;
    let metrics = Arc::new(Metrics::default());
    let cluster = Cluster::new(kube_client.clone(), config.kube_timeout);
    let audit = Audit::new(kube_client.clone(), config.events_namespace.clone());
    let oidc = Oidc::new(config.oidc.clone(), config.redirect_uri(), config.oidc_timeout).map_err(|e| format!("configuration: BERTH_OIDC_ISSUER: {e}"))?;
    let state = AppState {
        leptos_options: leptos_options.clone(),
        harbor: harbor.clone(),
        cluster: cluster.clone(),
        oidc: Arc::new(oidc),
        audit: audit.clone(),
        config: config.clone(),
        metrics: metrics.clone(),
    };
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let reconciler = if config.reconcile.enabled {
        let shared = Arc::new(Reconciler::new(harbor, cluster, watch_client, config.clone(), audit, metrics.clone()));
        Some(tokio::spawn(app::server::reconcile::run(shared, stopping_rx.clone())))
    } else {
        tracing::info!("BERTH_RECONCILE=off: serving the UI only");
        None
    };

    let sessions = SessionManagerLayer::new(MemoryStore::default())
        .with_name("berth_session")
        .with_secure(config.serves_https())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(tower_sessions::cookie::time::Duration::seconds(config.session_inactivity.as_secs() as i64)));

    let routes = generate_route_list(App);
    let app = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(move || {
            let metrics = metrics.clone();
            async move { ([("content-type", "text/plain; version=0.0.4")], metrics.render()) }
        }))
        .merge(auth_routes::router())
        .merge(download::router())
        .leptos_routes(&state, routes, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(auth_routes::require_sign_in))
        .layer(sessions)
        .layer(TraceLayer::new_for_http())
        .with_state(state);

    let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| format!("configuration: LEPTOS_SITE_ADDR: cannot listen on {addr}: {e}"))?;
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
    served.map_err(|e| format!("server error: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
