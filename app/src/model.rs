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
}

/// Where the push secret of a team is downloaded as a Docker `config.json`.
pub fn docker_config_download_path(team: &str) -> String {
    format!("/teams/{team}/downloads/docker-config.json")
}
