//! Events read back by label: the audit records Berth writes as Kubernetes Events.
use super::{Cluster, ClusterError};
use kube::Api;

impl Cluster {
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
}
