//! The cluster-scoped `Team` resource (berth.dev/v1alpha1). `berth crd` prints its CRD.
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::vocabulary::Delivery;

#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "berth.dev",
    version = "v1alpha1",
    kind = "Team",
    plural = "teams",
    singular = "team",
    printcolumn = r#"{"name":"Namespace","type":"string","jsonPath":".spec.namespace"}"#,
    printcolumn = r#"{"name":"Project","type":"string","jsonPath":".spec.harborProject"}"#,
    printcolumn = r#"{"name":"Download","type":"boolean","jsonPath":".spec.pushSecretDownload"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#,
    status = "TeamStatus"
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
    /// More namespaces the team deploys to: each gets the pull secret, on its `default`
    /// ServiceAccount. The push secrets stay in `namespace`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

/// What the reconciler last saw and did. Written only when it changes, so a pass with nothing to do
/// writes nothing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `HarborProject`, `Members`, `Robots`, `Secrets`, `Namespaces`.
    #[serde(default)]
    pub conditions: Vec<TeamCondition>,
    /// The robot behind each secret (pull, push, builds).
    #[serde(default)]
    pub robots: Vec<RobotStatus>,
    /// Rotated-out robots, deleted once their grace period ends.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retiring: Vec<RetiringRobot>,
    /// The OIDC groups Berth made members of the project (so it removes only those it added).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_groups: Vec<String>,
    /// The Harbor project's id (the team page lists the project's own robots by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harbor_project_id: Option<i64>,
    /// The earliest robot expiry (RFC 3339); absent when no robot expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_expiry: Option<String>,
    /// Each namespace of `spec.namespaces`, and each one Berth still has to clear after it left
    /// the list: whether the pull secret is there, and if not, why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<NamespaceStatus>,
}

/// The pull secret in one of the team's further namespaces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceStatus {
    pub name: String,
    pub state: Delivery,
    /// What is wrong and what to run, when it is not delivered.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeamCondition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RobotStatus {
    /// `pull`, `push` or `builds`.
    pub purpose: String,
    /// Harbor's full name, prefix included.
    pub name: String,
    pub id: i64,
    /// SHA-256 (first 16 bytes, hex) of the token Berth set on this robot; never the token.
    pub token_fingerprint: String,
    /// Harbor's `update_time` of the robot right after Berth set the token: a later one means
    /// somebody changed the robot (e.g. refreshed its secret in Harbor's UI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harbor_update_time: Option<String>,
    /// The secret holding the token.
    pub secret: String,
    /// When the secret got this robot's token (RFC 3339).
    pub since: String,
    /// RFC 3339; absent for robots that never expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The value of the Team's `berth.dev/rotate-<purpose>` annotation last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_handled: Option<String>,
    /// Fingerprint of the token in Berth's own copy (`berth-tokens-<team>` in Berth's namespace),
    /// from which a lost secret is restored with the same token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_fingerprint: Option<String>,
    /// RFC 3339: when the secret went missing and could not be restored with its token, so a new
    /// one was issued and copies downloaded before stopped working. Cleared by the next rotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reissued_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RetiringRobot {
    pub purpose: String,
    pub name: String,
    pub id: i64,
    /// RFC 3339: the robot is deleted after this.
    pub delete_after: String,
}

impl TeamStatus {
    pub fn condition(&self, type_: &str) -> Option<&TeamCondition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
    pub fn robot(&self, purpose: &str) -> Option<&RobotStatus> {
        self.robots.iter().find(|r| r.purpose == purpose)
    }
}

impl Team {
    pub fn team_name(&self) -> String {
        self.metadata.name.clone().unwrap_or_default()
    }
    /// The name the apiserver holds this Team under (what audit records and URLs carry).
    pub fn name(&self) -> crate::names::TeamName {
        crate::names::TeamName::trusted(self.team_name())
    }
    fn derived(&self) -> String {
        format!("team-{}", self.team_name())
    }
    pub fn namespace_name(&self) -> String {
        self.spec
            .namespace
            .clone()
            .unwrap_or_else(|| self.derived())
    }
    /// The namespaces beside the home one that get the pull secret, sorted, each once.
    pub fn delivery_namespaces(&self) -> Vec<String> {
        let home = self.namespace_name();
        let mut names: Vec<String> = self
            .spec
            .namespaces
            .iter()
            .filter(|n| **n != home)
            .cloned()
            .collect();
        names.sort();
        names.dedup();
        names
    }
    /// Every namespace the Team claims: its home and the delivery namespaces.
    pub fn claimed_namespaces(&self) -> Vec<String> {
        let mut names = self.delivery_namespaces();
        names.insert(0, self.namespace_name());
        names
    }
    pub fn harbor_project(&self) -> String {
        self.spec
            .harbor_project
            .clone()
            .unwrap_or_else(|| self.derived())
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
    serde_yaml::to_string(&crd()).expect("a CRD always serializes")
}

/// The CRD, with the team-name rule on `metadata.name` (the one restriction a structural schema may
/// put on metadata), so the apiserver refuses a Team that Berth would refuse.
pub fn crd(
) -> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps;
    use kube::CustomResourceExt;
    let mut crd = Team::crd();
    let name_rule = JSONSchemaProps {
        type_: Some("object".into()),
        properties: Some(
            [(
                "name".to_owned(),
                JSONSchemaProps {
                    type_: Some("string".into()),
                    pattern: Some(crate::names::TEAM_NAME_PATTERN.into()),
                    max_length: Some(crate::names::TEAM_NAME_MAX as i64),
                    ..Default::default()
                },
            )]
            .into(),
        ),
        ..Default::default()
    };
    for version in &mut crd.spec.versions {
        if let Some(schema) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        {
            let properties = schema.properties.get_or_insert_with(Default::default);
            properties.insert("metadata".to_owned(), name_rule.clone());
            if let Some(spec) = properties.get_mut("spec") {
                validate_spec(spec);
            }
        }
    }
    crd
}

/// The rules the apiserver checks on a Team's spec (CEL), each with a message that says what to
/// change. Lengths are bounded so that the rules' cost can be estimated.
fn validate_spec(
    spec: &mut k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSONSchemaProps,
) {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        JSONSchemaPropsOrArray, ValidationRule,
    };
    let rule = |rule: &str, message: &str, field: &str| ValidationRule {
        rule: rule.to_owned(),
        message: Some(message.to_owned()),
        field_path: Some(field.to_owned()),
        reason: Some("FieldValueInvalid".to_owned()),
        ..Default::default()
    };
    if let Some(properties) = spec.properties.as_mut() {
        if let Some(project) = properties.get_mut("harborProject") {
            project.max_length = Some(255);
        }
        if let Some(namespace) = properties.get_mut("namespace") {
            namespace.max_length = Some(63);
        }
        if let Some(namespaces) = properties.get_mut("namespaces") {
            namespaces.max_items = Some(64);
            if let Some(JSONSchemaPropsOrArray::Schema(item)) = namespaces.items.as_mut() {
                item.max_length = Some(63);
            }
        }
        if let Some(groups) = properties.get_mut("groups") {
            groups.max_items = Some(64);
            if let Some(JSONSchemaPropsOrArray::Schema(item)) = groups.items.as_mut() {
                item.max_length = Some(256);
            }
        }
    }
    spec.x_kubernetes_validations = Some(vec![
        rule(
            "!has(self.harborProject) || \
             self.harborProject.matches('^[a-z0-9]+(?:[._-][a-z0-9]+)*$')",
            "spec.harborProject must be a name Harbor accepts: lower-case letters and digits, in \
             groups joined by one '.', '_' or '-' (team-alpha; not a--b, -a or A)",
            ".harborProject",
        ),
        // `namespace` is a CEL keyword: rules name the field `__namespace__`.
        rule(
            "!has(self.__namespace__) || \
             self.__namespace__.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",
            "spec.namespace must be a Kubernetes namespace name: lower-case letters, digits and \
             '-', starting and ending with a letter or digit, at most 63 characters",
            ".namespace",
        ),
        rule(
            "!has(self.namespaces) || \
             self.namespaces.all(n, n.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'))",
            "each of spec.namespaces must be a Kubernetes namespace name: lower-case letters, \
             digits and '-', starting and ending with a letter or digit, at most 63 characters",
            ".namespaces",
        ),
        rule(
            "!has(self.groups) || (size(self.groups) > 0 && self.groups.all(g, size(g) > 0))",
            "spec.groups names at least one group, none of them empty; leave spec.groups out for \
             the default team-<name>",
            ".groups",
        ),
    ]);
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
            TeamSpec {
                namespace: Some("apps".into()),
                groups: vec!["/org/alpha".into()],
                harbor_project: Some("alpha-images".into()),
                push_secret_download: true,
                namespaces: vec!["web".into(), "apps".into(), "jobs".into(), "web".into()],
            },
        );
        assert_eq!(team.namespace_name(), "apps");
        assert_eq!(team.delivery_namespaces(), vec!["jobs", "web"]);
        assert_eq!(team.claimed_namespaces(), vec!["apps", "jobs", "web"]);
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
        assert!(yaml.contains(crate::names::TEAM_NAME_PATTERN), "{yaml}");
        assert!(yaml.contains("x-kubernetes-validations"), "{yaml}");
    }
}
