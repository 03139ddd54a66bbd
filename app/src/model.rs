//! Data the server functions hand to the pages. Nothing here ever holds secret material.
use crate::error::AppError;
use crate::vocabulary::{AuditAction, AuditResult, Delivery, Readiness, WarningKind};
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
    /// The further namespaces the pull secret goes to (`spec.namespaces`).
    pub namespaces: Vec<String>,
    /// Whether the signed-in user belongs to the team (platform admins see teams they are not in).
    pub is_member: bool,
    /// What the reconciler last reported; `None` before its first pass.
    pub state: Option<TeamState>,
    /// Deleted, and Berth is removing its robots and secrets (the Team waits on its finalizer).
    pub deleting: bool,
}

/// The reconciler's report on a team (its `status`), as the pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamState {
    /// The `Ready` condition's status; `Unknown` before it has one.
    pub ready: Readiness,
    pub reason: String,
    pub message: String,
    /// The Team changed after the last pass: the report is about the previous version.
    pub stale: bool,
    pub conditions: Vec<ConditionView>,
    pub credentials: Vec<CredentialView>,
    pub next_expiry: Option<String>,
    /// Rotated-out robots still working through their grace period.
    pub retiring: Vec<RetiringView>,
    /// The further namespaces and whether the pull secret is in each.
    pub namespaces: Vec<NamespaceView>,
}

/// The pull secret in one of the team's further namespaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamespaceView {
    pub name: String,
    pub state: Delivery,
    /// What is wrong and the commands that fix it, when it is not delivered.
    pub message: String,
}

/// A rotated-out robot and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiringView {
    pub name: String,
    pub purpose: String,
    /// RFC 3339: deleted after this.
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionView {
    pub kind: String,
    pub status: Readiness,
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
    /// A rotation was asked for and the reconciler has not carried it out yet.
    pub rotation_requested: bool,
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
    /// RFC 3339, for a rotated-out robot: when Berth deletes it (the end of its grace period).
    pub retires: Option<String>,
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
    /// The push secret exists in the namespace (before the team is set up, no download can work).
    pub push_secret_ready: bool,
    pub download_url: String,
    /// The push robot's full name (`robot$...`): the username of every push login.
    pub push_username: String,
    /// Ways to use the push credentials, and everyday use of the registry, with the team's names.
    pub credential_howto: Vec<Snippet>,
    pub usage_howto: Vec<Snippet>,
    pub warnings: Vec<TeamWarning>,
    /// Platform admins and the team's admins may switch the download and rotate credentials.
    pub can_manage: bool,
    /// How long a rotated-out credential keeps working (`BERTH_ROTATION_GRACE`), in seconds.
    pub rotation_grace_secs: u64,
}

/// The forms in which a member may download the team's push secret, each its own audited route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DownloadFormat {
    /// Docker's `config.json`.
    DockerConfig,
    /// `auth.json` for podman, buildah and skopeo.
    ContainersAuth,
    /// A Kubernetes Secret manifest (`kubernetes.io/dockerconfigjson`).
    KubernetesSecret,
    /// The password alone, for `--password-stdin` and the copy button.
    Password,
}

impl DownloadFormat {
    pub const ALL: [DownloadFormat; 4] = [
        Self::DockerConfig,
        Self::ContainersAuth,
        Self::KubernetesSecret,
        Self::Password,
    ];

    /// The last path segment of the route.
    pub fn route_file(self) -> &'static str {
        match self {
            Self::DockerConfig => "docker-config.json",
            Self::ContainersAuth => "auth.json",
            Self::KubernetesSecret => "secret.yaml",
            Self::Password => "password.txt",
        }
    }

    pub fn from_route_file(file: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.route_file() == file)
    }

    /// The name the audit records use.
    pub fn audit_name(self) -> &'static str {
        match self {
            Self::DockerConfig => "docker-config",
            Self::ContainersAuth => "containers-auth",
            Self::KubernetesSecret => "kubernetes-secret",
            Self::Password => "password",
        }
    }

    /// The file name the browser saves.
    pub fn saved_as(self, team: &str) -> String {
        match self {
            Self::DockerConfig => format!("docker-config-{team}.json"),
            Self::ContainersAuth => format!("auth-{team}.json"),
            Self::KubernetesSecret => format!("harbor-pushsecret-{team}.yaml"),
            Self::Password => format!("password-{team}.txt"),
        }
    }

    pub fn path(self, team: &str) -> String {
        format!("/teams/{team}/downloads/{}", self.route_file())
    }
}

/// Where the push secret of a team is downloaded as a Docker `config.json`.
pub fn docker_config_download_path(team: &str) -> String {
    DownloadFormat::DockerConfig.path(team)
}

/// A how-to with the team's real names filled in. Never holds secret material: passwords come from
/// the CI system's secret store or from a downloaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snippet {
    pub id: String,
    pub title: String,
    pub intro: String,
    pub code: String,
}

/// Something on a team page a member should act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamWarning {
    pub kind: WarningKind,
    pub message: String,
    /// What to do about it.
    pub remedy: String,
}

/// One audit record: who did what to which team, when, with what result.
/// Never holds secret material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub time: String,
    pub actor: String,
    pub action: AuditAction,
    pub team: String,
    pub detail: String,
    pub result: AuditResult,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// Records matching the filter before the page limit.
    pub matching: usize,
    /// The teams the viewer may filter by (a team admin: their own).
    pub teams: Vec<String>,
    /// Platform admins see every team's records and Harbor user deletions.
    pub all_teams: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentView {
    pub name: String,
    pub status: String,
    pub error: Option<String>,
}

/// Harbor as Berth sees it; each call carries its own result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarborHealthView {
    pub url: String,
    pub ping_ms: Result<u64, AppError>,
    pub version: Result<Option<String>, AppError>,
    /// `status` and components of `/health`.
    pub health: Result<(String, Vec<ComponentView>), AppError>,
    /// Unreachable, too old for the robot v2 API, or unhealthy, said plainly.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubernetesHealthView {
    pub version: String,
    pub latency_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcilerView {
    /// This replica may reconcile (`BERTH_RECONCILE`).
    pub enabled: bool,
    pub this_replica: String,
    pub holder: Option<String>,
    pub renewed: Option<String>,
    pub last_pass: Option<String>,
    pub last_result: Option<String>,
    pub passes_ok: Option<String>,
    pub passes_failed: Option<String>,
    /// Teams whose last pass failed, with why: what the failed passes are about.
    pub not_ready: Vec<NotReadyTeam>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotReadyTeam {
    pub name: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemHealth {
    pub harbor: HarborHealthView,
    pub kubernetes: Result<KubernetesHealthView, AppError>,
    pub reconciler: Result<ReconcilerView, AppError>,
}

/// A Harbor account as the conflict fixer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HarborUserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub realname: String,
    pub created: Option<String>,
    /// Harbor admins cannot be removed here.
    pub is_admin: bool,
    /// Who the identity provider says this account is, read per account (`GET /users/{id}`).
    pub identity: HarborIdentity,
    /// Harbor's record of the account's last OIDC sign-in (its stored token's update time).
    pub last_sign_in: Option<String>,
}

/// How a Harbor account relates to the identity provider Berth trusts: what tells a stale account
/// (made under an identity provider since replaced) from a live one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HarborIdentity {
    /// Made by a sign-in through Berth's issuer, with this subject.
    Subject(String),
    /// Made through another issuer: Harbor's concatenated subject and issuer, as stored.
    OtherIssuer(String),
    /// No OIDC record: a local account, or Harbor is not in OIDC mode.
    Local,
    /// Not read: the search found more accounts than the page reads one by one.
    NotRead,
    /// Harbor failed to answer for this account (the failure is logged).
    Unreadable,
}

/// What the last form post did, shown once on the page it returned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// The element id the page gives the message (`rotate-result`, `create-result`, ...).
    pub id: String,
    pub ok: bool,
    pub message: String,
    /// Commands to run next (e.g. what a new team's namespace still needs), shown as a code block.
    #[serde(default)]
    pub commands: Vec<String>,
}

/// What onboarding a team did, and what the platform still has to do for it to become ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarded {
    pub message: String,
    /// `kubectl` commands that make the namespace ready for Berth; empty when it already is.
    pub commands: Vec<String>,
}
