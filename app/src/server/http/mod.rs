//! The middleware every request passes through (cross-site refusal, security headers, the in-flight
//! bound, Server-Timing, request metrics and probes, sessions, clean addresses after a failed form)
//! and the download rate limit; `layers` puts them in their order.
pub mod csrf;
pub mod form_redirect;
pub mod headers;
pub mod in_flight;
pub mod probes;
pub mod ratelimit;
pub mod sessions;
pub mod timing;

use crate::server::auth::routes::require_sign_in;
use crate::server::state::AppState;
use axum::{middleware, Router};
use tower_http::compression::{
    predicate::Predicate, CompressionLayer, CompressionLevel, DefaultPredicate,
};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::{Key, SameSite};
use tower_sessions::{Expiry, SessionManagerLayer};

/// The whole middleware stack around `routes`, in one place. Each `.layer` wraps everything above
/// it, so a request meets them from the bottom up and the answer passes them again top down.
pub fn layers(routes: Router<AppState>, state: &AppState, session_key: Key) -> Router<AppState> {
    let config = &state.config;
    let sessions = SessionManagerLayer::new(state.sessions.clone())
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
    routes
        // A failed form post's redirect back without the error in its address (the session's
        // flash carries it, shown once).
        .layer(middleware::from_fn(form_redirect::clean_form_redirect))
        // A signed-out request for a page goes to sign-in; it reads the
        // session, so it sits inside it.
        .layer(middleware::from_fn(require_sign_in))
        // Loads the session for everything inside and saves it on the way out.
        .layer(sessions)
        // Waiting for a turn before anything is loaded for the request (its session first).
        .layer(middleware::from_fn_with_state(
            in_flight::InFlight::new(config.max_in_flight),
            in_flight::limit_in_flight,
        ))
        // Before the session is loaded and a turn taken: a cross-site write
        // is refused without either.
        .layer(middleware::from_fn_with_state(
            csrf::OwnOrigin::new(&config.public_url),
            csrf::refuse_cross_site,
        ))
        // Outside every refusal, so refusals carry the headers too; it mints the page's nonce.
        .layer(middleware::from_fn_with_state(
            headers::SecurityHeaders::new(&config.oidc.issuer, config.serves_https()),
            headers::security_headers,
        ))
        // Times everything Berth does for the request, refusals and waiting for a turn included.
        .layer(middleware::from_fn_with_state(
            config.server_timing,
            timing::server_timing,
        ))
        // Counts every answer, whichever layer gave it.
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            probes::track_http,
        ))
        // Pages only, on the fly at quality 1 (a fraction of the CPU of higher levels for a few
        // more bytes); CSS, JS and WASM are served from the .br/.gz files the release build
        // wrote. Nothing else: downloads hold credentials, and compressing secrets next to
        // reflected input invites BREACH.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Precise(1))
                .compress_when(DefaultPredicate::new().and(html_only)),
        )
        // One span per request carrying its id, so every line logged while
        // handling it names the id.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %id
                )
            }),
        )
        // The id goes back in the answer's `x-request-id`, so a user's report
        // can be matched to the log.
        .layer(PropagateRequestIdLayer::x_request_id())
        // Every request gets an id first (or keeps the one a proxy gave it).
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// The compression predicate: HTML pages only (see `layers`).
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
