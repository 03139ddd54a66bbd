//! A team's namespace and its default ServiceAccount: whether the namespace exists, and the
//! account's `imagePullSecrets` (which the reconciler keeps pointing at the team's pull secret).
use super::{pointer, Cluster, ClusterError};
use k8s_openapi::api::core::v1::{LocalObjectReference, ServiceAccount};
use kube::api::{Patch, PatchParams};
use kube::Api;

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
