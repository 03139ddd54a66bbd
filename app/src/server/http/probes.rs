//! HTTP request metrics, `/healthz` (the process answers) and `/readyz` (it can serve:
//! sessions, the identity provider's discovery, Kubernetes; Harbor is reported but does not
//! make a replica unready, since every page shows Harbor's failures in place and taking all
//! replicas out would hide them).
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
}

#[derive(serde::Serialize)]
struct Check {
    ok: bool,
    /// Whether a failure makes the replica unready.
    required: bool,
    detail: String,
}

async fn readyz(State(state): State<AppState>) -> Response {
    let deadline = state.config.oidc_timeout.max(state.config.kube_timeout);
    let timed = |what: &'static str, limit: Duration| {
        move |_| format!("{what} did not answer within {} s", limit.as_secs())
    };
    let (sessions, oidc, kubernetes, harbor) = tokio::join!(
        state.sessions.check(),
        async {
            tokio::time::timeout(deadline, state.oidc.ensure_discovered())
                .await
                .map_err(timed("the identity provider", deadline))
                .and_then(|r| r)
        },
        state.cluster.server_version(),
        state.harbor.ping(),
    );
    let check = |required: bool, result: Result<String, String>| match result {
        Ok(detail) => Check {
            ok: true,
            required,
            detail,
        },
        Err(detail) => Check {
            ok: false,
            required,
            detail,
        },
    };
    let checks = std::collections::BTreeMap::from([
        ("sessions", check(true, sessions)),
        (
            "oidc",
            check(true, oidc.map(|()| "discovery document cached".to_owned())),
        ),
        (
            "kubernetes",
            check(
                true,
                kubernetes
                    .map(|(v, t)| format!("{v} in {} ms", t.as_millis()))
                    .map_err(|e| e.to_string()),
            ),
        ),
        (
            "harbor",
            check(
                false,
                harbor
                    .map(|t| format!("ping in {} ms", t.as_millis()))
                    .map_err(|e| e.to_string()),
            ),
        ),
    ]);
    let ready = checks.values().all(|c| c.ok || !c.required);
    let body = serde_json::json!({ "ready": ready, "checks": checks }).to_string();
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The route pattern of a path, for metric labels: bounded, and never a team or user name.
pub fn route_pattern(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [""] => "/",
        ["teams", _] => "/teams/{name}",
        ["teams", _, "downloads", _] => "/teams/{name}/downloads/{file}",
        ["admin"] => "/admin",
        ["admin", "health"] => "/admin/health",
        ["admin", "harbor-users"] => "/admin/harbor-users",
        ["audit"] => "/audit",
        ["api", ..] => "/api/{server function}",
        ["auth", "login"] => "/auth/login",
        ["auth", "callback"] => "/auth/callback",
        ["auth", "logout"] => "/auth/logout",
        ["pkg", ..] | ["favicon.svg"] | ["favicon.ico"] => "static",
        ["healthz"] => "/healthz",
        ["readyz"] => "/readyz",
        ["metrics"] => "/metrics",
        ["signed-out"] => "/signed-out",
        _ => "other",
    }
}

/// Counts every answered request by route pattern, method and status, with its latency.
pub async fn track_http(
    State(metrics): State<std::sync::Arc<crate::server::metrics::Metrics>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let route = route_pattern(request.uri().path());
    let method = request.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    metrics.http_request(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_become_bounded_patterns() {
        assert_eq!(super::route_pattern("/"), "/");
        assert_eq!(super::route_pattern("/teams/alpha"), "/teams/{name}");
        assert_eq!(
            super::route_pattern("/teams/alpha/downloads/password.txt"),
            "/teams/{name}/downloads/{file}"
        );
        assert_eq!(
            super::route_pattern("/api/load_team"),
            "/api/{server function}"
        );
        assert_eq!(super::route_pattern("/pkg/berth.wasm"), "static");
        assert_eq!(super::route_pattern("/wp-login.php"), "other");
    }
}
