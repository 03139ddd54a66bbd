//! The shapes of Harbor's API that Berth reads (a subset of the v2.15 spec; unknown fields are ignored).
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub project_id: i64,
    pub name: String,
    #[serde(default)]
    pub creation_time: Option<String>,
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
    #[serde(default)]
    pub permissions: Vec<RobotPermission>,
    #[serde(default)]
    pub creation_time: Option<String>,
}
