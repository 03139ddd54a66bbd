//! Faults and counts: latency or a status injected into the API, and what clients asked of it.
use crate::credentials;
use crate::{error, lock, Faults, Shared, Stats};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use std::time::Duration;

/// Faults first (as a broken Harbor would answer); who is calling is `auth::guard`'s.
pub(crate) async fn api_guard(
    State(fake): State<Shared>,
    request: Request,
    next: Next,
) -> Response {
    let (latency, status) = {
        let mut f = lock(&fake);
        let hit = f
            .faults
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(request.method().as_str()))
            && f.faults.path.as_deref().is_none_or(|p| {
                request
                    .uri()
                    .path_and_query()
                    .is_some_and(|pq| pq.as_str().contains(p))
            });
        let method = request.method().as_str().to_owned();
        f.stats.requests += 1;
        if !matches!(method.as_str(), "GET" | "HEAD") {
            f.stats.writes += 1;
        }
        *f.stats.by_method.entry(method).or_default() += 1;
        (f.faults.latency_ms, f.faults.status.filter(|_| hit))
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(status) = status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, "injected fault");
    }
    next.run(request).await
}

pub(crate) async fn get_stats(State(fake): State<Shared>) -> Json<Stats> {
    let mut stats = lock(&fake).stats.clone();
    stats.authentication = credentials::cost();
    Json(stats)
}

pub(crate) async fn reset_stats(State(fake): State<Shared>) -> StatusCode {
    lock(&fake).stats = Stats::default();
    credentials::reset_cost();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct FaultRequest {
    latency_ms: Option<u64>,
    status: Option<u16>,
    method: Option<String>,
    path: Option<String>,
}

pub(crate) async fn set_faults(
    State(fake): State<Shared>,
    Json(req): Json<FaultRequest>,
) -> StatusCode {
    let mut f = lock(&fake);
    f.faults = Faults {
        latency_ms: req.latency_ms.unwrap_or(0),
        status: req.status,
        method: req.method,
        path: req.path,
    };
    StatusCode::NO_CONTENT
}
