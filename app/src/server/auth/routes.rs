//! The sign-in routes (`/auth/login`, `/auth/callback`, `/auth/logout`) and the guard that sends a
//! signed-out browser to sign-in and back to the page it asked for.
use crate::server::auth::oidc::AuthError;
use crate::server::auth::session::{
    current_user, read_user, PendingSignIn, ID_TOKEN_KEY, PENDING_SIGN_IN_KEY, SESSION_STORE_DOWN,
    USER_KEY,
};
use crate::server::state::{error_chain, AppState};
use crate::server::views::plain::message_page;
use axum::extract::{Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/auth/logout", post(logout))
}

/// A return-to target that stays on this site: an absolute path, never `//host`, `/\host` or a URL.
pub fn safe_return_to(candidate: Option<&str>) -> String {
    match candidate {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\')
                && !path.starts_with("/auth/") =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<LoginQuery>,
) -> Response {
    let return_to = safe_return_to(query.return_to.as_deref());
    match state.oidc.begin(return_to).await {
        Ok((url, pending)) => {
            // Saved here, not only by the session layer afterwards: a store that does not answer
            // gets Berth's own page instead of the layer's empty 500.
            let stored = async {
                session.insert(PENDING_SIGN_IN_KEY, pending).await?;
                session.save().await
            };
            if let Err(error) = stored.await {
                tracing::error!(error = %error, "could not store the pending sign-in");
                return session_store_down();
            }
            Redirect::to(&url).into_response()
        }
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "sign-in could not start");
            sign_in_failed(
                StatusCode::BAD_GATEWAY,
                "The identity provider is unreachable, so you cannot sign in right now.",
            )
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // Taken out at once: a pending sign-in is good for one answer only.
    let pending: Option<PendingSignIn> = session.remove(PENDING_SIGN_IN_KEY).await.ok().flatten();
    let Some(pending) = pending else {
        return sign_in_failed(
            StatusCode::BAD_REQUEST,
            "No sign-in is in progress in this browser. Please start again.",
        );
    };
    if let Some(error) = query.error {
        tracing::info!(error = %error, "identity provider refused the sign-in");
        return sign_in_failed(
            StatusCode::UNAUTHORIZED,
            "The identity provider did not sign you in.",
        );
    }
    let (Some(code), Some(returned_state)) = (query.code, query.state) else {
        return sign_in_failed(
            StatusCode::BAD_REQUEST,
            "The sign-in answer is incomplete. Please start again.",
        );
    };
    let return_to = pending.return_to.clone();
    match state.oidc.finish(pending, &returned_state, &code).await {
        Ok((user, id_token)) => {
            // A new session id at sign-in, so an id planted before sign-in
            // is worth nothing after it.
            let stored = async {
                session.cycle_id().await?;
                session.insert(USER_KEY, &user).await?;
                session.insert(ID_TOKEN_KEY, id_token).await?;
                session.save().await
            };
            if let Err(error) = stored.await {
                tracing::error!(error = %error, "could not store the session");
                return session_store_down();
            }
            tracing::info!(
                user = %user.username,
                admin = user.is_platform_admin,
                groups = user.groups.len(),
                "signed in"
            );
            Redirect::to(&return_to).into_response()
        }
        Err(error @ (AuthError::ProviderUnreachable(_) | AuthError::Discovery(_))) => {
            tracing::warn!(
                error = %error_chain(&error),
                "sign-in failed: identity provider unreachable"
            );
            sign_in_failed(
                StatusCode::BAD_GATEWAY,
                "The identity provider is unreachable, so your sign-in could not be finished. \
                 Please try again in a moment.",
            )
        }
        Err(error) => {
            tracing::warn!(error = %error_chain(&error), "sign-in failed");
            sign_in_failed(
                StatusCode::UNAUTHORIZED,
                &format!("Sign-in failed: {error}."),
            )
        }
    }
}

async fn logout(State(state): State<AppState>, session: Session) -> Response {
    let id_token: Option<String> = session.get(ID_TOKEN_KEY).await.ok().flatten();
    if let Some(user) = current_user(&session).await {
        tracing::info!(user = %user.username, "signed out");
    }
    if let Err(error) = session.flush().await {
        tracing::error!(error = %error, "could not end the session");
    }
    let after = format!(
        "{}/signed-out",
        state.config.public_url.as_str().trim_end_matches('/')
    );
    match state
        .oidc
        .end_session_url(id_token.as_deref(), &after)
        .await
    {
        Some(url) => Redirect::to(&url).into_response(),
        None => Redirect::to("/signed-out").into_response(),
    }
}

/// The session store (Redis with several replicas) did not take the session: nothing was signed in.
fn session_store_down() -> Response {
    sign_in_failed(StatusCode::SERVICE_UNAVAILABLE, SESSION_STORE_DOWN)
}

fn sign_in_failed(status: StatusCode, message: &str) -> Response {
    message_page(
        status,
        "Sign-in failed",
        message,
        ("/auth/login", "Sign in again"),
    )
}

/// Paths anyone may reach: sign-in itself, static files, server functions (they check the session
/// themselves and answer 401) and the signed-out page.
fn is_public(path: &str) -> bool {
    path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/signed-out"
        || path == "/favicon.ico"
        || path == "/favicon.svg"
        || path == "/healthz"
        || path == "/readyz"
        || path == "/metrics"
}

/// Middleware: a signed-out GET of a page goes to sign-in, which returns to the page afterwards.
pub async fn require_sign_in(session: Session, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if is_public(path) {
        return next.run(request).await;
    }
    match read_user(&session).await {
        Ok(Some(_)) => return next.run(request).await,
        Ok(None) => {}
        Err(error) => {
            tracing::error!(error = %error, "could not read the session");
            return session_store_down();
        }
    }
    if request.method() == Method::GET || request.method() == Method::HEAD {
        let target = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let location = format!(
            "/auth/login?return_to={}",
            url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
        );
        return Redirect::to(&location).into_response();
    }
    (StatusCode::UNAUTHORIZED, "Please sign in.").into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_return_to;

    #[test]
    fn return_to_stays_on_this_site() {
        assert_eq!(
            safe_return_to(Some("/teams/alpha?tab=robots")),
            "/teams/alpha?tab=robots"
        );
        for bad in [
            "https://evil.test/",
            "//evil.test/x",
            "/\\evil.test",
            "\\\\evil.test",
            "evil.test",
            "/ok\n/x",
            "/%0a",
            "/\\/evil",
            "/auth/logout",
            "",
        ] {
            let got = safe_return_to(Some(bad));
            assert!(
                got == "/" || (bad == "/%0a" && got == "/%0a"),
                "{bad:?} -> {got:?}"
            );
        }
        assert_eq!(safe_return_to(None), "/");
    }

    proptest::proptest! {
        /// Whatever arrives (decoded once by the query extractor, as here), the redirect stays on
        /// this host: resolved against Berth's URL it has Berth's scheme, host and port.
        #[test]
        fn no_return_to_leaves_the_site(
            candidate in proptest::prelude::any::<String>(),
            prefix in "(/|//|/\\\\|https?:|%2F|\\\\)?",
        ) {
            let candidate = format!("{prefix}{candidate}");
            let got = safe_return_to(Some(&candidate));
            let base = url::Url::parse("https://berth.example.test:8443/teams/x").unwrap();
            let resolved = base.join(&got).unwrap();
            proptest::prop_assert_eq!(
                resolved.origin(),
                base.origin(),
                "{:?} -> {:?}",
                candidate,
                got
            );
            proptest::prop_assert!(!got.chars().any(char::is_control));
        }
    }
}
