//! The cluster-scoped `Team` resource (berth.dev/v1alpha1). `berth crd` prints its CRD.
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "berth.dev",
    version = "v1alpha1",
    kind = "Team",
    plural = "teams",
    singular = "team",
    printcolumn = r#"{"name":"Namespace","type":"string","jsonPath":".spec.namespace"}"#,
    printcolumn = r#"{"name":"Project","type":"string","jsonPath":".spec.harborProject"}"#,
    printcolumn = r#"{"name":"Download","type":"boolean","jsonPath":".spec.pushSecretDownload"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct TeamSpec {
    /// The team's namespace; defaults to `team-<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// OIDC groups whose members belong to the team; defaults to `[team-<name>]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The team's Harbor project; defaults to `team-<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harbor_project: Option<String>,
    /// Whether members may download the push secret.
    #[serde(default)]
    pub push_secret_download: bool,
}

impl Team {
    pub fn team_name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
    fn derived(&self) -> String {
        format!("team-{}", self.team_name())
    }
    pub fn namespace_name(&self) -> String {
        self.spec.namespace.clone().unwrap_or_else(|| self.derived())
    }
    pub fn harbor_project(&self) -> String {
        self.spec.harbor_project.clone().unwrap_or_else(|| self.derived())
    }
    pub fn groups(&self) -> Vec<String> {
        if self.spec.groups.is_empty() {
            vec![self.derived()]
        } else {
            self.spec.groups.clone()
        }
    }
}

/// The CRD as YAML, as `berth crd` prints it and the stack installs it.
pub fn crd_yaml() -> String {
    use kube::CustomResourceExt;
    serde_yaml::to_string(&Team::crd()).expect("a CRD always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_derive_from_the_name() {
        let team = Team::new("alpha", TeamSpec::default());
        assert_eq!(team.namespace_name(), "team-alpha");
        assert_eq!(team.harbor_project(), "team-alpha");
        assert_eq!(team.groups(), vec!["team-alpha"]);
        assert!(!team.spec.push_secret_download);
    }

    #[test]
    fn explicit_values_win() {
        let team = Team::new(
            "alpha",
            TeamSpec { namespace: Some("apps".into()), groups: vec!["/org/alpha".into()], harbor_project: Some("alpha-images".into()), push_secret_download: true },
        );
        assert_eq!(team.namespace_name(), "apps");
        assert_eq!(team.harbor_project(), "alpha-images");
        assert_eq!(team.groups(), vec!["/org/alpha"]);
    }

    #[test]
    fn crd_is_cluster_scoped_berth_dev_v1alpha1() {
        let yaml = crd_yaml();
        assert!(yaml.contains("name: teams.berth.dev"), "{yaml}");
        assert!(yaml.contains("scope: Cluster"));
        assert!(yaml.contains("name: v1alpha1"));
        assert!(yaml.contains("pushSecretDownload"));
    }
}
