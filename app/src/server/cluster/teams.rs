//! Team objects (the cluster-scoped `Team` resource of `crd`): the reads the pages share, and the
//! writes of the reconciler (status) and the admin pages (create, delete, annotate, a spec field).
use super::crd::{Team, TeamSpec, TeamStatus};
use super::{call_untimed, pointer, Cluster, ClusterError};
use crate::names::TeamName;
use kube::api::{Patch, PatchParams};
use kube::Api;

impl Cluster {
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
}

/// Writes the reconciler and the admin pages make.
impl Cluster {
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
