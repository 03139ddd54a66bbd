//! A team's namespace and its default ServiceAccount: whether the namespace exists, and the
//! account's `imagePullSecrets` (which the reconciler keeps pointing at the team's pull secret).
use super::{pointer, Cluster, ClusterError};
use k8s_openapi::api::core::v1::{LocalObjectReference, ServiceAccount};
use kube::api::{Patch, PatchParams};
use kube::Api;

/// What a team namespace still lacks before Berth can set a team up in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceGap {
    /// The namespace does not exist (Berth never creates namespaces).
    Missing,
    /// No RoleBinding grants Berth its team-namespace ClusterRole there.
    NoAccess,
    /// No `default` ServiceAccount (the controller-manager makes it; some clusters have none).
    NoDefaultAccount,
}

impl NamespaceGap {
    pub fn describe(self, namespace: &str) -> String {
        match self {
            NamespaceGap::Missing => format!("the namespace {namespace} does not exist"),
            NamespaceGap::NoAccess => {
                format!("no RoleBinding in {namespace} lets Berth manage the team's secrets there")
            }
            NamespaceGap::NoDefaultAccount => {
                format!("{namespace} has no default ServiceAccount to carry the pull secret")
            }
        }
    }
}

/// The `kubectl` commands that close `gaps`, for a cluster admin to run. `own_namespace` and
/// `service_account` are Berth's (the chart's names: the ClusterRole is
/// `<service_account>-team-namespace`).
pub fn setup_commands(
    gaps: &[NamespaceGap],
    namespace: &str,
    own_namespace: &str,
    service_account: &str,
) -> Vec<String> {
    let mut commands = Vec::new();
    if gaps.contains(&NamespaceGap::Missing) {
        commands.push(format!("kubectl create namespace {namespace}"));
    }
    if gaps.contains(&NamespaceGap::Missing) || gaps.contains(&NamespaceGap::NoAccess) {
        commands.push(format!(
            "kubectl -n {namespace} create rolebinding {service_account} --clusterrole \
             {service_account}-team-namespace --serviceaccount {own_namespace}:{service_account}"
        ));
    }
    if gaps.contains(&NamespaceGap::NoDefaultAccount) {
        commands.push(format!(
            "kubectl -n {namespace} create serviceaccount default"
        ));
    }
    commands
}

/// Reads the admin pages make.
impl Cluster {
    /// What `namespace` lacks for Berth (one or two reads: the namespace, then its default
    /// ServiceAccount, which only Berth's RoleBinding lets it read).
    pub async fn namespace_gaps(&self, namespace: &str) -> Result<Vec<NamespaceGap>, ClusterError> {
        if !self.namespace_exists(namespace).await? {
            return Ok(vec![NamespaceGap::Missing]);
        }
        match self.get_default_service_account(namespace).await {
            Ok(Some(_)) => Ok(Vec::new()),
            Ok(None) => Ok(vec![NamespaceGap::NoDefaultAccount]),
            Err(ClusterError::Forbidden { .. }) => Ok(vec![NamespaceGap::NoAccess]),
            Err(e) => Err(e),
        }
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
}
