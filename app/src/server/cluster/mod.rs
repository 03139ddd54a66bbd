//! Kubernetes access: the `Cluster` handle, its errors, and the plumbing every call goes through (a
//! time-out, a bound on requests in flight, shared reads). What Berth reads and writes lives in one
//! file per concern: `teams`, `secrets`, `namespace`, `cluster_info` and `events`.
mod cluster_info;
pub mod crd;
pub mod docker_config;
mod events;
mod namespace;
mod secrets;
mod teams;

pub use namespace::{setup_commands, NamespaceGap};
pub use secrets::{named, SecretState};

use crd::Team;
use futures::future::{BoxFuture, FutureExt, Shared};
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const FIELD_MANAGER: &str = "berth";

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClusterError {
    #[error("Kubernetes did not answer {operation} within {} s", timeout.as_secs())]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },
    #[error("Kubernetes refused {operation}")]
    Forbidden {
        operation: &'static str,
        #[source]
        source: Arc<kube::Error>,
    },
    #[error("Kubernetes answered {code} to {operation}")]
    Status {
        operation: &'static str,
        code: u16,
        #[source]
        source: Arc<kube::Error>,
    },
    #[error("Kubernetes is unreachable ({operation})")]
    Unreachable {
        operation: &'static str,
        #[source]
        source: Arc<kube::Error>,
    },
}

/// Identical reads in flight at the same time share one request: under load the apiserver sees one
/// GET per object at a time, not one per page view. Nothing is kept once the request answers, so a
/// read is never older than the moment it joined a request in flight.
struct Coalesce<T> {
    in_flight: Mutex<HashMap<String, SharedRead<T>>>,
}

type SharedRead<T> = Shared<BoxFuture<'static, Result<T, ClusterError>>>;

impl<T: Clone + Send + Sync + 'static> Coalesce<T> {
    fn new() -> Self {
        Self {
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    async fn read<F>(&self, key: String, start: impl FnOnce() -> F) -> Result<T, ClusterError>
    where
        F: Future<Output = Result<T, ClusterError>> + Send + 'static,
    {
        let shared = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            in_flight
                .entry(key.clone())
                .or_insert_with(|| start().boxed().shared())
                .clone()
        };
        // Each request times its own wait: the shared read is polled by whichever waiter gets there
        // first, so a timing inside it would go to that request and leave the others' waiting
        // counted as Berth's own time.
        let result = crate::server::http::timing::upstream_call(shared.clone()).await;
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if in_flight.get(&key).is_some_and(|f| f.ptr_eq(&shared)) {
            in_flight.remove(&key);
        }
        result
    }
}

#[derive(Clone)]
pub struct Cluster {
    client: Client,
    timeout: Duration,
    teams: Arc<Coalesce<Option<Team>>>,
    secrets: Arc<Coalesce<Option<Secret>>>,
    team_secrets: Arc<Coalesce<Arc<Vec<Secret>>>>,
}

impl Cluster {
    pub fn new(client: Client, timeout: Duration) -> Self {
        Self {
            client,
            timeout,
            teams: Arc::new(Coalesce::new()),
            secrets: Arc::new(Coalesce::new()),
            team_secrets: Arc::new(Coalesce::new()),
        }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    async fn call<T>(
        &self,
        operation: &'static str,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, ClusterError> {
        call_within(self.timeout, operation, fut).await
    }
}

impl ClusterError {
    /// A short stable reason for conditions and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            ClusterError::Timeout { .. } => "KubernetesTimeout",
            ClusterError::Forbidden { .. } => "KubernetesForbidden",
            ClusterError::Status { code: 404, .. } => "KubernetesNotFound",
            ClusterError::Status { code: 409, .. } => "KubernetesConflict",
            ClusterError::Status { .. } => "KubernetesError",
            ClusterError::Unreachable { .. } => "KubernetesUnreachable",
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, ClusterError::Status { code: 404, .. })
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, ClusterError::Status { code: 409, .. })
    }
}

/// A JSON pointer from its tokens (no parsing, so nothing can fail).
fn pointer(tokens: &[&str]) -> json_patch::jsonptr::PointerBuf {
    json_patch::jsonptr::PointerBuf::from_tokens(tokens.iter().copied())
}

/// Kubernetes requests of this process in flight at once. Beyond it callers queue (within their
/// time-out) instead of each opening another TLS connection to the apiserver: 500 page views at
/// once otherwise hold hundreds of connections and their buffers (memory) and time out on the
/// connection pool.
const KUBE_REQUESTS_IN_FLIGHT: usize = 32;
static KUBE_IN_FLIGHT: tokio::sync::Semaphore =
    tokio::sync::Semaphore::const_new(KUBE_REQUESTS_IN_FLIGHT);

/// One Kubernetes call within `timeout` (waiting for a turn included), its failure named by
/// `operation`; timed as the current request's upstream waiting.
async fn call_within<T>(
    timeout: Duration,
    operation: &'static str,
    fut: impl Future<Output = Result<T, kube::Error>>,
) -> Result<T, ClusterError> {
    crate::server::http::timing::upstream_call(call_untimed(timeout, operation, fut)).await
}

/// [`call_within`] without the timing, for a read shared by several requests
/// (each times its own wait).
async fn call_untimed<T>(
    timeout: Duration,
    operation: &'static str,
    fut: impl Future<Output = Result<T, kube::Error>>,
) -> Result<T, ClusterError> {
    let bounded = async {
        // The semaphore is never closed, so acquiring cannot fail.
        let _turn = KUBE_IN_FLIGHT.acquire().await;
        fut.await
    };
    match tokio::time::timeout(timeout, bounded).await {
        Err(_) => Err(ClusterError::Timeout { operation, timeout }),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(match &source {
            kube::Error::Api(status) if status.code == 403 => ClusterError::Forbidden {
                operation,
                source: Arc::new(source),
            },
            kube::Error::Api(status) => ClusterError::Status {
                operation,
                code: status.code,
                source: Arc::new(source),
            },
            _ => ClusterError::Unreachable {
                operation,
                source: Arc::new(source),
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::http::timing::{timed_as, UpstreamCalls};

    #[tokio::test]
    async fn a_request_joining_a_shared_read_counts_its_wait_as_upstream() {
        let reads: Coalesce<u32> = Coalesce::new();
        let (first, second) = (
            Arc::new(UpstreamCalls::default()),
            Arc::new(UpstreamCalls::default()),
        );
        let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let read = |started: Arc<std::sync::atomic::AtomicUsize>| {
            move || async move {
                started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                Ok(7)
            }
        };
        let (a, b) = tokio::join!(
            timed_as(
                first.clone(),
                reads.read("team".into(), read(started.clone()))
            ),
            timed_as(second.clone(), async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                reads.read("team".into(), read(started.clone())).await
            }),
        );
        assert_eq!((a.ok(), b.ok()), (Some(7), Some(7)));
        assert_eq!(
            started.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "one read shared by both"
        );
        // Each request waited on the read, and each records that wait itself, once.
        let (first, second) = (first.summary(), second.summary());
        assert_eq!((first.calls, second.calls), (1, 1));
        assert!(first.waiting >= Duration::from_millis(30), "{first:?}");
        assert!(second.waiting >= Duration::from_millis(15), "{second:?}");
    }
}
