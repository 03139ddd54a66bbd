//! Kubernetes access: Team resources and the registry secrets in team namespaces.
pub mod crd;
pub mod docker_config;

use crate::names::TeamName;
use crd::{Team, TeamSpec, TeamStatus};
use futures::future::{BoxFuture, FutureExt, Shared};
use k8s_openapi::api::core::v1::{LocalObjectReference, Secret, ServiceAccount};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
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

/// What Berth needs to know of a registry secret, without its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretState {
    pub name: String,
    pub present: bool,
    pub secret_type: Option<String>,
    pub last_changed: Option<String>,
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

    /// A secret as the pages see it: concurrent reads of the same secret share one request.
    async fn read_secret_shared(
        &self,
        operation: &'static str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Secret>, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let (timeout, key, name) = (self.timeout, format!("{namespace}/{name}"), name.to_owned());
        self.secrets
            .read(key, move || async move {
                call_untimed(timeout, operation, api.get_opt(&name)).await
            })
            .await
    }

    pub async fn list_teams(&self) -> Result<Vec<Team>, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        let list = self
            .call("listing teams", api.list(&Default::default()))
            .await?;
        let mut teams = list.items;
        teams.sort_by_key(|t| t.team_name());
        Ok(teams)
    }

    /// A Team; concurrent reads of the same Team share one request.
    pub async fn get_team(&self, name: &TeamName) -> Result<Option<Team>, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        let (timeout, name) = (self.timeout, name.to_string());
        self.teams
            .read(name.clone(), move || async move {
                call_untimed(timeout, "reading the team", api.get_opt(&name)).await
            })
            .await
    }

    /// Sets `spec.pushSecretDownload` with a merge patch (only that field changes).
    pub async fn set_push_secret_download(
        &self,
        name: &TeamName,
        enabled: bool,
    ) -> Result<Team, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        let patch = serde_json::json!({ "spec": { "pushSecretDownload": enabled } });
        self.call(
            "updating the team",
            api.patch(
                name.as_str(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            ),
        )
        .await
    }

    /// The state of each named secret of `team` in `namespace`: one list of the team's
    /// secrets (from the apiserver's cache; concurrent pages share it), and a read by name
    /// only for a name not in it.
    pub async fn secret_states(
        &self,
        namespace: &str,
        team: &str,
        names: &[&str],
    ) -> Result<Vec<SecretState>, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let timeout = self.timeout;
        let params = team_secrets_selector(team).match_any();
        let listed = self
            .team_secrets
            .read(format!("{namespace}/{team}"), move || async move {
                call_untimed(timeout, "listing the team's secrets", api.list(&params))
                    .await
                    .map(|list| Arc::new(list.items))
            })
            .await?;
        let reads = names.iter().map(|name| {
            let listed = &listed;
            async move {
                if let Some(secret) = named(listed, name) {
                    return Ok(state_of(name, Some(secret)));
                }
                // Without Berth's labels (edited by hand, or not Berth's): still shown by name.
                let secret = self
                    .read_secret_shared("reading the team's secrets", namespace, name)
                    .await?;
                Ok::<_, ClusterError>(state_of(name, secret.as_ref()))
            }
        });
        futures::future::try_join_all(reads).await
    }

    /// Berth's secrets of `team` in `namespace` (registry and pending ones, by label), in one
    /// request read from etcd, for the reconciler; each of `names` missing from them is read by
    /// name, all at once (one whose labels were edited away is still the team's).
    pub async fn list_team_secrets(
        &self,
        namespace: &str,
        team: &str,
        names: &[&str],
    ) -> Result<Vec<Secret>, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let mut listed = self
            .call(
                "listing the team's secrets",
                api.list(&team_secrets_selector(team)),
            )
            .await?
            .items;
        let unlisted = names
            .iter()
            .filter(|name| named(&listed, name).is_none())
            .map(|name| self.get_secret(namespace, name));
        let found = futures::future::try_join_all(unlisted).await?;
        listed.extend(found.into_iter().flatten());
        Ok(listed)
    }

    /// The apiserver's version and how long it took to answer.
    pub async fn server_version(&self) -> Result<(String, Duration), ClusterError> {
        let started = std::time::Instant::now();
        let info = self
            .call(
                "reading the server version",
                self.client.apiserver_version(),
            )
            .await?;
        Ok((info.git_version, started.elapsed()))
    }

    /// The reconciler's Lease (leader and last pass), if it exists.
    pub async fn get_lease(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<k8s_openapi::api::coordination::v1::Lease>, ClusterError> {
        let api: Api<k8s_openapi::api::coordination::v1::Lease> =
            Api::namespaced(self.client.clone(), namespace);
        self.call("reading the reconciler Lease", api.get_opt(name))
            .await
    }

    /// Events carrying `label_selector` in `namespace` (the audit view).
    pub async fn list_labelled_events(
        &self,
        namespace: &str,
        label_selector: &str,
    ) -> Result<Vec<k8s_openapi::api::core::v1::Event>, ClusterError> {
        let api: Api<k8s_openapi::api::core::v1::Event> =
            Api::namespaced(self.client.clone(), namespace);
        let params = kube::api::ListParams::default().labels(label_selector);
        Ok(self
            .call("listing audit records", api.list(&params))
            .await?
            .items)
    }

    /// The `.dockerconfigjson` of a secret; `None` when the secret or that key is missing.
    pub async fn docker_config_bytes(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, ClusterError> {
        let secret = self
            .read_secret_shared("reading the push secret", namespace, name)
            .await?;
        Ok(secret
            .and_then(|s| s.data)
            .and_then(|mut d| d.remove(".dockerconfigjson"))
            .map(|b| b.0))
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

/// Writes the reconciler and the admin pages make.
impl Cluster {
    /// Whether a team's namespace exists (namespaces are read cluster-wide; everything in them only
    /// where a RoleBinding grants it).
    pub async fn namespace_exists(&self, name: &str) -> Result<bool, ClusterError> {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(self.client.clone());
        self.call("reading a namespace", api.get_metadata_opt(name))
            .await
            .map(|n| n.is_some())
    }

    pub async fn get_default_service_account(
        &self,
        namespace: &str,
    ) -> Result<Option<ServiceAccount>, ClusterError> {
        let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), namespace);
        self.call("reading the default ServiceAccount", api.get_opt("default"))
            .await
    }

    pub async fn get_secret(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Secret>, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        self.call("reading a secret", api.get_opt(name)).await
    }

    /// Server-side apply with Berth's field manager: Berth owns exactly the fields it sets.
    pub async fn apply_secret(&self, secret: &Secret) -> Result<Secret, ClusterError> {
        let namespace = secret.metadata.namespace.as_deref().unwrap_or_default();
        let name = secret.metadata.name.as_deref().unwrap_or_default();
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let mut body = secret.clone();
        body.metadata.managed_fields = None;
        body.metadata.resource_version = None;
        let value = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": body.metadata, "type": body.type_,
            "data": body.data
        });
        self.call(
            "writing a secret",
            api.patch(
                name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&value),
            ),
        )
        .await
    }

    /// Deletes a secret; a missing one is not an error.
    pub async fn delete_secret(&self, namespace: &str, name: &str) -> Result<bool, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        match self
            .call("deleting a secret", api.delete(name, &Default::default()))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replaces a ServiceAccount's `imagePullSecrets`, only if nobody changed the account
    /// since `resource_version` was read (the list is atomic, so other entries are
    /// carried over by the caller).
    pub async fn set_image_pull_secrets(
        &self,
        account: &ServiceAccount,
        secrets: Vec<LocalObjectReference>,
    ) -> Result<(), ClusterError> {
        let namespace = account.metadata.namespace.as_deref().unwrap_or_default();
        let name = account.metadata.name.as_deref().unwrap_or_default();
        let api: Api<ServiceAccount> = Api::namespaced(self.client.clone(), namespace);
        let patch = json_patch::Patch(vec![
            json_patch::PatchOperation::Test(json_patch::TestOperation {
                path: pointer(&["metadata", "resourceVersion"]),
                value: serde_json::json!(account.metadata.resource_version),
            }),
            json_patch::PatchOperation::Add(json_patch::AddOperation {
                path: pointer(&["imagePullSecrets"]),
                value: serde_json::json!(secrets),
            }),
        ]);
        self.call(
            "updating the default ServiceAccount",
            api.patch(name, &PatchParams::default(), &Patch::Json::<()>(patch)),
        )
        .await
        .map(drop)
    }

    /// Replaces the Team's status (the status subresource).
    pub async fn replace_team_status(
        &self,
        name: &str,
        status: &TeamStatus,
    ) -> Result<Team, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        // A merge patch would keep fields the new status leaves out; the JSON
        // patch `add` replaces all.
        let patch = json_patch::Patch(vec![json_patch::PatchOperation::Add(
            json_patch::AddOperation {
                path: pointer(&["status"]),
                value: serde_json::json!(status),
            },
        )]);
        self.call(
            "writing the team status",
            api.patch_status(name, &PatchParams::default(), &Patch::Json::<()>(patch)),
        )
        .await
    }

    pub async fn create_team(&self, name: &TeamName, spec: TeamSpec) -> Result<Team, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        self.call(
            "creating the team",
            api.create(
                &kube::api::PostParams::default(),
                &Team::new(name.as_str(), spec),
            ),
        )
        .await
    }

    pub async fn delete_team(&self, name: &TeamName) -> Result<(), ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        self.call(
            "deleting the team",
            api.delete(name.as_str(), &Default::default()),
        )
        .await
        .map(drop)
    }

    /// Sets one annotation on a Team (e.g. a rotation request) with a merge patch.
    pub async fn annotate_team(
        &self,
        name: &TeamName,
        key: &str,
        value: &str,
    ) -> Result<Team, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        let patch = serde_json::json!({ "metadata": { "annotations": { key: value } } });
        self.call(
            "updating the team",
            api.patch(
                name.as_str(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            ),
        )
        .await
    }
}

/// A JSON pointer from its tokens (no parsing, so nothing can fail).
fn pointer(tokens: &[&str]) -> json_patch::jsonptr::PointerBuf {
    json_patch::jsonptr::PointerBuf::from_tokens(tokens.iter().copied())
}

/// Berth's labels on every secret it writes for `team`.
fn team_secrets_selector(team: &str) -> kube::api::ListParams {
    use crate::vocabulary::{MANAGED_BY, MANAGED_BY_LABEL, TEAM_LABEL};
    kube::api::ListParams::default().labels(&format!(
        "{MANAGED_BY_LABEL}={MANAGED_BY},{TEAM_LABEL}={team}"
    ))
}

/// The secret called `name` among `secrets`.
pub fn named<'a>(secrets: &'a [Secret], name: &str) -> Option<&'a Secret> {
    secrets
        .iter()
        .find(|s| s.metadata.name.as_deref() == Some(name))
}

fn state_of(name: &str, secret: Option<&Secret>) -> SecretState {
    SecretState {
        name: name.to_owned(),
        present: secret.is_some(),
        secret_type: secret.and_then(|s| s.type_.clone()),
        last_changed: secret.and_then(last_changed),
    }
}

/// The latest managed-fields time, else the creation time.
fn last_changed(secret: &Secret) -> Option<String> {
    let meta = &secret.metadata;
    let managed = meta
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|m| m.time.as_ref())
        .map(|t| t.0)
        .max();
    managed
        .or_else(|| meta.creation_timestamp.as_ref().map(|t| t.0))
        .map(|t| t.to_string())
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
