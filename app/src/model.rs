//! Data the server functions hand to the pages. Nothing here ever holds secret material.
use crate::error::AppError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub is_platform_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamSummary {
    pub name: String,
    pub namespace: String,
    pub harbor_project: String,
    pub groups: Vec<String>,
    pub push_secret_download: bool,
    /// Whether the signed-in user belongs to the team (platform admins see teams they are not in).
    pub is_member: bool,
    /// What the reconciler last reported; `None` before its first pass.
    pub state: Option<TeamState>,
}

/// The reconciler's report on a team (its `status`), as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamState {
    /// `True`, `False` or `Unknown`.
    pub ready: String,
    pub reason: String,
    pub message: String,
    /// The Team changed after the last pass: the report is about the previous version.
    pub stale: bool,
    pub conditions: Vec<ConditionView>,
    pub credentials: Vec<CredentialView>,
    pub next_expiry: Option<String>,
    /// Rotated-out robots still working through their grace period.
    pub retiring: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionView {
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub since: String,
}

/// Which robot a secret holds, since when, until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialView {
    pub purpose: String,
    pub secret: String,
    pub robot: String,
    pub since: String,
    pub expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectView {
    pub name: String,
    pub project_id: i64,
    pub ui_url: String,
    pub repo_count: Option<i64>,
    pub storage_used_bytes: Option<i64>,
    /// `None` when Harbor reports no quota; `Some(-1)` means unlimited.
    pub storage_quota_bytes: Option<i64>,
    pub created: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RobotView {
    /// The full name as Harbor shows it, prefix included (e.g. `robot$berth-alpha-push`).
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    /// `None` for robots that never expire.
    pub expires: Option<String>,
    pub disabled: bool,
    pub created: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretView {
    pub name: String,
    pub purpose: String,
    pub present: bool,
    pub secret_type: Option<String>,
    pub last_changed: Option<String>,
}

/// The team page. Each upstream part carries its own result so one failing upstream leaves the rest
/// of the page readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDetail {
    pub team: TeamSummary,
    pub registry_host: String,
    pub project: Result<Option<ProjectView>, AppError>,
    pub robots: Result<Vec<RobotView>, AppError>,
    pub secrets: Result<Vec<SecretView>, AppError>,
    pub can_download: bool,
    pub download_url: String,
    /// Platform admins and the team's admins may switch the download and rotate credentials.
    pub can_manage: bool,
}

/// Where the push secret of a team is downloaded as a Docker `config.json`.
pub fn docker_config_download_path(team: &str) -> String {
    format!("/teams/{team}/downloads/docker-config.json")
}
