//! The registry secrets in team namespaces: their state for the pages (from one shared list of the
//! team's secrets, by Berth's labels), the list the reconciler works from, a push secret's
//! `.dockerconfigjson`, and the reads and writes of one secret by name.
use super::{call_untimed, Cluster, ClusterError, FIELD_MANAGER};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Patch, PatchParams};
use kube::Api;
use std::sync::Arc;

/// What Berth needs to know of a registry secret, without its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretState {
    pub name: String,
    pub present: bool,
    pub secret_type: Option<String>,
    pub last_changed: Option<String>,
}

impl Cluster {
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

/// Writes the reconciler and the admin pages make.
impl Cluster {
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
