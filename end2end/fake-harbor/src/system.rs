//! What Harbor says about itself: ping, `/systeminfo` (the version only to signed-in callers),
//! component health, and the control endpoint that sets version, health, auth mode, robot prefix
//! and session timeout.
use crate::auth::{AuthMode, Caller};
use crate::{lock, Shared, System};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) async fn ping() -> &'static str {
    "Pong"
}

/// Harbor tells anonymous callers only how to sign in; its version and the
/// rest need a signed-in caller.
pub(crate) async fn systeminfo(
    State(fake): State<Shared>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Json<Value> {
    let f = lock(&fake);
    let mut info = json!({
        "auth_mode": f.system.auth_mode.as_str(), "primary_auth_mode": false,
        "self_registration": false, "banner_message": ""
    });
    if !caller.is_anonymous() {
        info["harbor_version"] = json!(f.system.version);
        info["has_ca_root"] = json!(false);
    }
    Json(info)
}

pub(crate) async fn health(State(fake): State<Shared>) -> Json<Value> {
    let f = lock(&fake);
    let components = [
        "core",
        "database",
        "jobservice",
        "portal",
        "redis",
        "registry",
        "registryctl",
    ];
    let listed: Vec<Value> = components
        .iter()
        .map(|c| match f.system.unhealthy.iter().any(|u| u == c) {
            true => json!({
                "name": c, "status": "unhealthy", "error": format!("failed to connect to {c}")
            }),
            false => json!({ "name": c, "status": "healthy" }),
        })
        .collect();
    let status = if f.system.unhealthy.is_empty() {
        "healthy"
    } else {
        "unhealthy"
    };
    Json(json!({ "status": status, "components": listed }))
}

#[derive(Deserialize)]
pub(crate) struct SystemRequest {
    version: Option<String>,
    #[serde(default)]
    unhealthy: Vec<String>,
    /// Harbor's robot_name_prefix setting (kept when absent); every robot's name changes with it.
    robot_prefix: Option<String>,
    /// `db_auth`, `ldap_auth`, `http_auth` or `oidc_auth` (the default).
    auth_mode: Option<String>,
    /// Harbor's `session_timeout` (kept when absent).
    session_timeout_secs: Option<u64>,
}

/// Sets the version `/systeminfo` reports and the components `/health` calls unhealthy.
pub(crate) async fn set_system(
    State(fake): State<Shared>,
    Json(req): Json<SystemRequest>,
) -> StatusCode {
    let mut f = lock(&fake);
    if let Some(prefix) = req.robot_prefix {
        f.robot_prefix = prefix;
    }
    if let Some(secs) = req.session_timeout_secs {
        f.sessions.timeout = Duration::from_secs(secs);
    }
    f.system = System {
        version: req.version.unwrap_or_else(|| DEFAULT_VERSION.to_owned()),
        unhealthy: req.unhealthy,
        auth_mode: req
            .auth_mode
            .as_deref()
            .and_then(AuthMode::parse)
            .unwrap_or(AuthMode::Oidc),
    };
    StatusCode::NO_CONTENT
}

pub(crate) const DEFAULT_VERSION: &str = "v2.15.2-fake";
