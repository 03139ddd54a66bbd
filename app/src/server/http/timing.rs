//! How long a request waited on Harbor and Kubernetes, and how long Berth itself took beyond
//! that, as a `Server-Timing` header (`BERTH_SERVER_TIMING=on`; off by default: it tells
//! clients about upstream latency). `make bench` reads it to measure Berth's own overhead and
//! whether upstream calls overlap.
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

tokio::task_local! {
    static UPSTREAM: Arc<UpstreamCalls>;
}

/// The upstream calls of one request: when each started and ended.
#[derive(Default)]
pub struct UpstreamCalls {
    spans: Mutex<Vec<(Instant, Instant)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpstreamSummary {
    pub calls: usize,
    /// Time during which at least one call was in flight (overlapping calls counted once).
    pub waiting: Duration,
    /// All calls' durations added up: what the request would wait if they ran one after another.
    pub sum: Duration,
    pub slowest: Duration,
}

impl UpstreamCalls {
    fn record(&self, started: Instant, ended: Instant) {
        // A poisoned lock only means another recorder panicked; the spans are still usable.
        self.spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((started, ended));
    }

    pub fn summary(&self) -> UpstreamSummary {
        let mut spans = self
            .spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        summarize(&mut spans)
    }
}

fn summarize(spans: &mut [(Instant, Instant)]) -> UpstreamSummary {
    spans.sort_by_key(|span| span.0);
    let mut waiting = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for &(start, end) in spans.iter() {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some((s, e)) => {
                waiting += e - s;
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some((s, e)) = current {
        waiting += e - s;
    }
    UpstreamSummary {
        calls: spans.len(),
        waiting,
        sum: spans.iter().map(|(s, e)| *e - *s).sum(),
        slowest: spans.iter().map(|(s, e)| *e - *s).max().unwrap_or_default(),
    }
}

/// Awaits one call to Harbor or Kubernetes, recording it for the current request (if one is timed).
pub async fn upstream_call<F: Future>(call: F) -> F::Output {
    let started = Instant::now();
    let output = call.await;
    let _ = UPSTREAM.try_with(|calls| calls.record(started, Instant::now()));
    output
}

/// Runs `body` with its upstream calls recorded into `calls` (one request's).
pub async fn timed_as<F: Future>(calls: Arc<UpstreamCalls>, body: F) -> F::Output {
    UPSTREAM.scope(calls, body).await
}

/// Runs a server function's body so its upstream calls count for its request: during server-side
/// rendering it runs in a task of its own, which the middleware's scope does not reach.
pub async fn for_this_request<F: Future>(body: F) -> F::Output {
    let calls = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Arc<UpstreamCalls>>().cloned());
    match calls {
        Some(calls) => timed_as(calls, body).await,
        None => body.await,
    }
}

/// Middleware: with `enabled`, every response gets
/// `Server-Timing: total;dur=…, upstream;dur=…, upstream-sum;dur=…, upstream-slowest;dur=…,
/// berth;dur=…` (milliseconds; `berth` = total minus the time spent waiting on any upstream).
pub async fn server_timing(
    State(enabled): State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    if !enabled {
        return next.run(request).await;
    }
    let calls = Arc::new(UpstreamCalls::default());
    request.extensions_mut().insert(calls.clone());
    let started = Instant::now();
    let mut response = timed_as(calls.clone(), next.run(request)).await;
    let total = started.elapsed();
    let upstream = calls.summary();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let value = format!(
        "total;dur={:.3}, upstream;dur={:.3};desc=\"{} calls\", upstream-sum;dur={:.3}, \
         upstream-slowest;dur={:.3}, berth;dur={:.3}",
        ms(total),
        ms(upstream.waiting),
        upstream.calls,
        ms(upstream.sum),
        ms(upstream.slowest),
        ms(total.saturating_sub(upstream.waiting)),
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_calls_are_waited_on_once() {
        let t = Instant::now();
        let at = |ms: u64| t + Duration::from_millis(ms);
        // 0-10 and 5-20 overlap (20 ms of waiting), 30-35 stands alone; the sum counts all 35 ms.
        let mut spans = vec![(at(30), at(35)), (at(0), at(10)), (at(5), at(20))];
        let summary = summarize(&mut spans);
        assert_eq!(summary.calls, 3);
        assert_eq!(summary.waiting, Duration::from_millis(25));
        assert_eq!(summary.sum, Duration::from_millis(30));
        assert_eq!(summary.slowest, Duration::from_millis(15));
        assert_eq!(summarize(&mut []).waiting, Duration::ZERO);
    }

    #[tokio::test]
    async fn calls_outside_a_timed_request_are_not_recorded() {
        // No scope: nothing to record into, and the call's result comes back unchanged.
        assert_eq!(upstream_call(async { 7 }).await, 7);
        let calls = Arc::new(UpstreamCalls::default());
        UPSTREAM
            .scope(calls.clone(), async {
                upstream_call(tokio::time::sleep(Duration::from_millis(2))).await;
                upstream_call(async {}).await;
            })
            .await;
        assert_eq!(calls.summary().calls, 2);
        assert!(calls.summary().slowest >= Duration::from_millis(2));
    }
}
