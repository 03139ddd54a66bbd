//! Kubernetes access: Team resources and the registry secrets in team namespaces.
pub mod team;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use std::future::Future;
use std::time::Duration;
use team::Team;

pub const FIELD_MANAGER: &str = "berth";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("Kubernetes did not answer {operation} within {} s", timeout.as_secs())]
    Timeout { operation: &'static str, timeout: Duration },
    #[error("Kubernetes refused {operation}")]
    Forbidden {
        operation: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("Kubernetes answered {code} to {operation}")]
    Status {
        operation: &'static str,
        code: u16,
        #[source]
        source: kube::Error,
    },
    #[error("Kubernetes is unreachable ({operation})")]
    Unreachable {
        operation: &'static str,
        #[source]
        source: kube::Error,
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

#[derive(Clone)]
pub struct Cluster {
    client: Client,
    timeout: Duration,
}

impl Cluster {
    pub fn new(client: Client, timeout: Duration) -> Self {
        Self { client, timeout }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    async fn call<T>(&self, operation: &'static str, fut: impl Future<Output = Result<T, kube::Error>>) -> Result<T, ClusterError> {
        match tokio::time::timeout(self.timeout, fut).await {
            Err(_) => Err(ClusterError::Timeout { operation, timeout: self.timeout }),
            Ok(Ok(v)) => Ok(v),
            Ok(Err(source)) => Err(match &source {
                kube::Error::Api(status) if status.code == 403 => ClusterError::Forbidden { operation, source },
                kube::Error::Api(status) => ClusterError::Status { operation, code: status.code, source },
                _ => ClusterError::Unreachable { operation, source },
            }),
        }
    }

    pub async fn list_teams(&self) -> Result<Vec<Team>, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        let list = self.call("listing teams", api.list(&Default::default())).await?;
        let mut teams = list.items;
        teams.sort_by_key(|t| t.team_name());
        Ok(teams)
    }

    pub async fn get_team(&self, name: &str) -> Result<Option<Team>, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        self.call("reading the team", api.get_opt(name)).await
    }

    /// Sets `spec.pushSecretDownload` with a merge patch (only that field changes).
    pub async fn set_push_secret_download(&self, name: &str, enabled: bool) -> Result<Team, ClusterError> {
        let api: Api<Team> = Api::all(self.client.clone());
        let patch = serde_json::json!({ "spec": { "pushSecretDownload": enabled } });
        self.call("updating the team", api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))).await
    }

    /// The state of each named secret in `namespace`, read concurrently.
    pub async fn secret_states(&self, namespace: &str, names: &[&str]) -> Result<Vec<SecretState>, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let reads = names.iter().map(|name| {
            let api = api.clone();
            async move {
                let secret = self.call("reading the team's secrets", api.get_opt(name)).await?;
                Ok::<_, ClusterError>(match secret {
                    None => SecretState { name: name.to_string(), present: false, secret_type: None, last_changed: None },
                    Some(s) => SecretState {
                        name: name.to_string(),
                        present: true,
                        secret_type: s.type_.clone(),
                        last_changed: last_changed(&s),
                    },
                })
            }
        });
        futures::future::try_join_all(reads).await
    }

    /// The `.dockerconfigjson` of a secret; `None` when the secret or that key is missing.
    pub async fn docker_config_bytes(&self, namespace: &str, name: &str) -> Result<Option<Vec<u8>>, ClusterError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let secret = self.call("reading the push secret", api.get_opt(name)).await?;
        Ok(secret.and_then(|s| s.data).and_then(|mut d| d.remove(".dockerconfigjson")).map(|b| b.0))
    }
}

/// The latest managed-fields time, else the creation time.
fn last_changed(secret: &Secret) -> Option<String> {
    let meta = &secret.metadata;
    let managed = meta.managed_fields.iter().flatten().filter_map(|m| m.time.as_ref()).map(|t| t.0).max();
    managed.or_else(|| meta.creation_timestamp.as_ref().map(|t| t.0)).map(|t| t.to_string())
}
