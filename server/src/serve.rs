//! `berth [serve]`: the state from the configuration, the reconciler, the listener, and a shutdown
//! that lets the reconciler hand its Lease back.
use crate::logging::init_logging;
use crate::router::router;
use app::server::{
    audit::Audit,
    auth::oidc::Oidc,
    cluster::Cluster,
    config::Config,
    harbor::HarborClient,
    http::{ratelimit::DownloadLimiter, sessions::SessionBackend},
    metrics::Metrics,
    reconcile::Reconciler,
    state::AppState,
};
use leptos::prelude::*;
use std::sync::Arc;
use tower_sessions::cookie::Key;

pub async fn serve(config_file: Option<std::path::PathBuf>) -> Result<(), String> {
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
    // Each call has its own deadline (Cluster::call, which names the operation); the client's
    // time-outs are only a backstop behind it, so longer: an equal connect time-out fired in the
    // same timer tick as the deadline and now and then turned "did not answer within 2 s" into
    // "unreachable" (an apiserver that accepts connections but does not answer).
    kube_config.connect_timeout = Some(config.kube_timeout * 2);
    kube_config.read_timeout = Some(config.kube_timeout * 2);
    kube_config.write_timeout = Some(config.kube_timeout * 2);
    let kube_client = kube::Client::try_from(kube_config.clone())
        .map_err(|e| format!("configuration: KUBECONFIG: {e}"))?;
    // Watches are long polls that stay quiet for minutes: no read time-out for them.
    kube_config.read_timeout = None;
    let watch_client = kube::Client::try_from(kube_config)
        .map_err(|e| format!("configuration: KUBECONFIG: {e}"))?;

    let (state, session_key) = app_state(config.clone(), leptos_options, kube_client)?;
    let (stopping_tx, stopping_rx) = tokio::sync::watch::channel(false);
    let reconciler = if config.reconcile.enabled {
        let shared = Arc::new(Reconciler::new(
            state.harbor.clone(),
            state.cluster.clone(),
            watch_client,
            config.clone(),
            state.audit.clone(),
            state.metrics.clone(),
        ));
        Some(tokio::spawn(app::server::reconcile::run(
            shared,
            stopping_rx.clone(),
        )))
    } else {
        tracing::info!("BERTH_RECONCILE=off: serving the UI only");
        None
    };

    // Said once everything started, so a start-up that fails says only why.
    if !config.oidc.group_match_set {
        tracing::warn!("{}", app::server::config::GROUP_MATCH_DEFAULT_CHANGED);
    }
    let session_store = state.sessions.clone();
    let app = router(state, session_key);

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
    // The reconciler finishes its current reconciles and hands the Lease
    // back before the process ends.
    if let Some(reconciler) = reconciler {
        let _ = reconciler.await;
    }
    session_store.close().await;
    telemetry.shutdown();
    served.map_err(|e| format!("server error: {e}"))
}

/// The state every request shares, and the key signing session cookies. Nothing here contacts
/// Harbor, Kubernetes, the identity provider or Redis: each is reached when a request needs it.
pub fn app_state(
    config: Arc<Config>,
    leptos_options: LeptosOptions,
    kube_client: kube::Client,
) -> Result<(AppState, Key), String> {
    let harbor = HarborClient::new(&config.harbor)
        .map_err(|e| format!("configuration: BERTH_HARBOR_URL: {e}"))?;
    let metrics = Arc::new(Metrics::default());
    let cluster = Cluster::new(kube_client.clone(), config.kube_timeout);
    let audit =
        Audit::new(kube_client, config.events_namespace.clone()).with_metrics(metrics.clone());
    let oidc = Oidc::new(
        config.oidc.clone(),
        config.redirect_uri(),
        config.oidc_timeout,
    )
    .map_err(|e| format!("configuration: BERTH_OIDC_ISSUER: {e}"))?;
    let (sessions, session_key) =
        SessionBackend::start(&config.sessions).map_err(|e| format!("configuration: {e}"))?;
    let state = AppState {
        leptos_options,
        harbor,
        cluster,
        oidc: Arc::new(oidc),
        audit,
        metrics,
        sessions,
        download_limiter: Arc::new(DownloadLimiter::new(
            config.download_limit,
            config.download_window,
        )),
        config,
    };
    Ok((state, session_key))
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
