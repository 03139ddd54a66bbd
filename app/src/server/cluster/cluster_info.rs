//! Cluster-level reads for the health probes and the system-health page: the apiserver's version
//! (and how long it took to answer) and the reconciler's Lease.
use super::{Cluster, ClusterError};
use kube::Api;
use std::time::Duration;

impl Cluster {
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
}
