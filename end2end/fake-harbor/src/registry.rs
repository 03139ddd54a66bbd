//! The registry's login check (`docker login` against `/v2/`).
use crate::{basic_credentials, lock, unix_now, Shared};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// The registry's login check (`docker login` does `GET /v2/` with basic auth): robots by name and
/// current secret (4,096 iterations), refused when disabled or expired; the admin by password.
pub(crate) async fn registry_login(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    let stored = basic_credentials(&headers).and_then(|(user, pass)| {
        let f = lock(&fake);
        let hashed = if user == f.admin_user {
            f.users.iter().find(|u| u.id == 1)?.password.clone()
        } else {
            f.robots
                .iter()
                .find(|r| {
                    r.full_name(&f.robot_prefix) == user
                        && !r.disable
                        && (r.expires_at == -1 || r.expires_at > unix_now())
                })
                .map(|r| r.secret.clone())
        };
        Some((hashed?, pass))
    });
    let ok = match stored {
        Some((hashed, pass)) => hashed.matches(&pass).await,
        None => false,
    };
    if ok {
        Json(json!({})).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"harbor\"")],
            Json(json!({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})),
        )
            .into_response()
    }
}
