//! The shapes of Harbor's API that Berth reads (a subset of the v2.15 spec;
//! unknown fields are ignored).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub project_id: i64,
    pub name: String,
    #[serde(default)]
    pub creation_time: Option<String>,
    #[serde(default)]
    pub update_time: Option<String>,
    #[serde(default)]
    pub repo_count: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProjectSummary {
    #[serde(default)]
    pub repo_count: Option<i64>,
    #[serde(default)]
    pub quota: Option<ProjectSummaryQuota>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ProjectSummaryQuota {
    #[serde(default)]
    pub hard: BTreeMap<String, i64>,
    #[serde(default)]
    pub used: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Access {
    pub resource: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RobotPermission {
    pub kind: String,
    pub namespace: String,
    #[serde(default)]
    pub access: Vec<Access>,
}

/// A robot account as listed. The `secret` field Harbor may send is never kept.
#[derive(Debug, Clone, Deserialize)]
pub struct Robot {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub disable: bool,
    /// Unix seconds; -1 for never.
    #[serde(default)]
    pub expires_at: Option<i64>,
    /// Days; -1 for never.
    #[serde(default)]
    pub duration: Option<i64>,
    #[serde(default)]
    pub permissions: Vec<RobotPermission>,
    #[serde(default)]
    pub creation_time: Option<String>,
    /// Changes whenever the robot is updated, its secret refreshed included: how Berth notices a
    /// token refreshed in Harbor's UI without sending a `PATCH` every pass.
    #[serde(default)]
    pub update_time: Option<String>,
}

/// What `PUT /robots/{id}` takes: the whole robot (Harbor replaces it), without a secret.
/// `robot.name` is the robot's current name (Harbor does not rename).
#[derive(Debug, Clone, Serialize)]
pub struct RobotUpdate {
    pub id: i64,
    #[serde(flatten)]
    pub robot: RobotCreate,
}

/// The size of a list and its most recently updated entry: enough to tell
/// whether anything in it changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListProbe {
    pub total: usize,
    pub newest_update: Option<String>,
    pub newest_id: Option<i64>,
}

/// A project member as listed (`entity_type` `g` for groups).
#[derive(Debug, Clone, Deserialize)]
pub struct ProjectMember {
    pub id: i64,
    #[serde(default)]
    pub entity_name: String,
    #[serde(default)]
    pub entity_type: String,
    pub role_id: i64,
}

/// Harbor's project roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectRole {
    ProjectAdmin = 1,
    Developer = 2,
    Guest = 3,
    Maintainer = 4,
    LimitedGuest = 5,
}

impl ProjectRole {
    /// The names Harbor's UI uses, as settings spell them.
    pub fn parse(name: &str) -> Option<Self> {
        Some(
            match name
                .to_ascii_lowercase()
                .replace(['-', '_', ' '], "")
                .as_str()
            {
                "projectadmin" | "admin" => ProjectRole::ProjectAdmin,
                "developer" => ProjectRole::Developer,
                "guest" => ProjectRole::Guest,
                "maintainer" => ProjectRole::Maintainer,
                "limitedguest" => ProjectRole::LimitedGuest,
                _ => return None,
            },
        )
    }

    pub fn id(self) -> i64 {
        self as i64
    }
}

/// What `POST /robots` takes. Harbor ignores a `secret` here, so there is none: set it with
/// `HarborClient::set_robot_secret` afterwards.
#[derive(Debug, Clone, Serialize)]
pub struct RobotCreate {
    pub name: String,
    pub description: String,
    pub level: String,
    /// Days; -1 for never.
    pub duration: i64,
    pub disable: bool,
    pub permissions: Vec<RobotPermission>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RobotCreated {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// Harbor's `auth_mode`: how its users sign in, and so which groups a project member can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// `oidc_auth`: groups by the name the identity provider sends (Harbor
    /// makes them on first use).
    Oidc,
    /// `ldap_auth`: LDAP groups, named by their DN.
    Ldap,
    /// `http_auth`: groups by name (type 2).
    Http,
    /// `db_auth`, `uaa_auth` or another mode without groups.
    NoGroups(String),
}

impl AuthMode {
    pub fn parse(text: &str) -> Self {
        match text {
            "oidc_auth" => AuthMode::Oidc,
            "ldap_auth" => AuthMode::Ldap,
            "http_auth" => AuthMode::Http,
            other => AuthMode::NoGroups(other.to_owned()),
        }
    }
}

/// A group to make a project member, as Harbor's auth mode names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberGroup {
    Oidc(String),
    Http(String),
    Ldap { dn: String },
}
