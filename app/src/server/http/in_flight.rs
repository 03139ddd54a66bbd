//! At most `BERTH_MAX_IN_FLIGHT` requests are worked on at once; the rest wait their turn (first
//! come, first served) holding nothing but their request. Memory then follows this bound rather
//! than the number of open connections: with 500 concurrent page views every one of them otherwise
//! holds its session, its upstream answers and its page while the machine is busy. Probes and
//! metrics never wait, so an overloaded replica is still seen to be alive.
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct InFlight(Arc<Semaphore>);

impl InFlight {
    pub fn new(limit: u32) -> Self {
        InFlight(Arc::new(Semaphore::new(limit as usize)))
    }
}

fn never_waits(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

pub async fn limit_in_flight(
    State(limit): State<InFlight>,
    request: Request,
    next: Next,
) -> Response {
    if never_waits(request.uri().path()) {
        return next.run(request).await;
    }
    // The semaphore is never closed, so a turn always comes.
    let _turn = limit.0.acquire().await.ok();
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{routing::get, Router};
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_full_replica_still_answers_its_probes_and_queues_the_rest() {
        let limit = InFlight::new(1);
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/teams/alpha", get(|| async { "page" }))
            .layer(axum::middleware::from_fn_with_state(
                limit.clone(),
                limit_in_flight,
            ));
        let held = limit.0.clone().acquire_owned().await.unwrap();
        let probe = app.clone().oneshot(
            Request::get("/healthz")
                .body(axum::body::Body::empty())
                .unwrap(),
        );
        assert_eq!(
            tokio::time::timeout(std::time::Duration::from_secs(1), probe)
                .await
                .unwrap()
                .unwrap()
                .status(),
            200
        );
        let page = tokio::spawn(
            app.oneshot(
                Request::get("/teams/alpha")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            ),
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            !page.is_finished(),
            "a page must wait while the limit is taken"
        );
        drop(held);
        assert_eq!(page.await.unwrap().unwrap().status(), 200);
    }
}
