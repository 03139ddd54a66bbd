//! The names Berth gives things, and the parsing of them back: robot names, the labels and
//! annotations it puts on Kubernetes objects, the rotation request, and the closed sets of words
//! its records and pages use (audit actions and results, readiness, warning kinds).
//!
//! It sits at the crate root, beside `names.rs` (the names that arrive from outside), rather than
//! under `server/`: the pages read some of these words too (readiness, warning kinds, audit actions
//! and results travel to the browser as these enums), and the rest is plain text that compiles
//! anywhere. Every `as_str()` here is a wire string: logs, Kubernetes Event reasons and labels, the
//! audit page's filter and the tests read them, so they never change.
use serde::{Deserialize, Serialize};
use std::fmt;

/// Set on everything Berth writes, so `kubectl get -l app.kubernetes.io/managed-by=berth` finds it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "berth";
pub const TEAM_LABEL: &str = "berth.dev/team";
pub const PURPOSE_ANNOTATION: &str = "berth.dev/purpose";
pub const ROBOT_ANNOTATION: &str = "berth.dev/robot";
pub const FINGERPRINT_ANNOTATION: &str = "berth.dev/token-fingerprint";
pub const ROTATED_AT_ANNOTATION: &str = "berth.dev/rotated-at";
/// A Team annotation whose new value asks for a rotation of that purpose's credentials.
pub const ROTATE_ANNOTATION_PREFIX: &str = "berth.dev/rotate-";

/// The reconciler's last pass, on its Lease (the health page reads them back).
pub const LAST_PASS_TIME_ANNOTATION: &str = "berth.dev/last-pass-time";
pub const LAST_PASS_RESULT_ANNOTATION: &str = "berth.dev/last-pass-result";
pub const PASSES_OK_ANNOTATION: &str = "berth.dev/passes-ok";
pub const PASSES_FAILED_ANNOTATION: &str = "berth.dev/passes-failed";

/// An audit record's Event: a label (`berth.dev/audit=true`) and annotations
/// with the record's fields.
pub const AUDIT_MARK: &str = "berth.dev/audit";
pub const AUDIT_ACTOR: &str = "berth.dev/actor";
pub const AUDIT_ACTION: &str = "berth.dev/action";
pub const AUDIT_TEAM: &str = "berth.dev/team";
pub const AUDIT_DETAIL: &str = "berth.dev/detail";
pub const AUDIT_RESULT: &str = "berth.dev/result";

/// The Team condition that sums up the others.
pub const READY_CONDITION: &str = "Ready";
/// The finalizer that holds a deleted Team until its robots and secrets are gone.
pub const FINALIZER: &str = "berth.dev/cleanup";

/// What a team's credentials are for: one robot and one secret each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Purpose {
    Pull,
    Push,
    Builds,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Pull, Purpose::Push, Purpose::Builds];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Pull => "pull",
            Purpose::Push => "push",
            Purpose::Builds => "builds",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// `berth.dev/rotate-<purpose>`: the Team annotation that asks for a rotation.
    pub fn rotate_annotation(self) -> String {
        format!("{ROTATE_ANNOTATION_PREFIX}{}", self.as_str())
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `berth-<team>-<purpose>`: the first robot of a purpose (Harbor adds its prefix).
pub fn robot_base_name(team: &str, purpose: Purpose) -> String {
    format!("berth-{team}-{}", purpose.as_str())
}

/// `<prefix>berth-<team>-<purpose>`: the robot's full name as Harbor shows it and logins use it.
pub fn robot_full_name(prefix: &str, team: &str, purpose: Purpose) -> String {
    format!("{prefix}{}", robot_base_name(team, purpose))
}

/// `berth-<team>-<purpose>-r<unix seconds>`: a robot made by a rotation.
pub fn rotated_robot_name(team: &str, purpose: Purpose, unix_seconds: i64) -> String {
    format!("{}-r{unix_seconds}", robot_base_name(team, purpose))
}

/// `berth-<team>-`: what every robot name of the team contains, for a Harbor name filter. A
/// substring match also finds team `<team>-x`'s robots; [`robot_purpose`] tells them apart.
pub fn robot_name_filter(team: &str) -> String {
    format!("berth-{team}-")
}

/// Which of `team`'s purposes a full robot name (prefix included) belongs to, if any. The
/// rotation suffix is `-r` and digits only, so `berth-a-push-pull` is team `a-push`'s
/// pull robot, never team `a`'s.
pub fn robot_purpose(full_name: &str, prefix: &str, team: &str) -> Option<Purpose> {
    let rest = full_name
        .strip_prefix(prefix)?
        .strip_prefix("berth-")?
        .strip_prefix(team)?
        .strip_prefix('-')?;
    let (purpose, suffix) = match rest.split_once('-') {
        Some((purpose, suffix)) => (purpose, Some(suffix)),
        None => (rest, None),
    };
    let purpose = Purpose::parse(purpose)?;
    match suffix {
        None => Some(purpose),
        Some(s)
            if s.len() > 1 && s.starts_with('r') && s[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(purpose)
        }
        Some(_) => None,
    }
}

/// The name Harbor wants at creation (without its prefix).
pub fn short_robot_name<'a>(full_name: &'a str, prefix: &str) -> &'a str {
    full_name.strip_prefix(prefix).unwrap_or(full_name)
}

/// `<secret>-next`: where Berth before this release kept new credentials until Harbor accepted
/// them, in the team's namespace; still honoured (and removed) when one is found.
pub fn pending_secret_name(secret_name: &str) -> String {
    format!("{secret_name}-next")
}

/// `berth-tokens-<team>`: Berth's own copy of the team's newest token of each purpose, in Berth's
/// namespace where team members cannot reach it. New tokens wait there until Harbor has accepted
/// them, and a registry secret that went missing is put back from it with the same token. (Its own
/// prefix: no team's name can make it another team's earlier copy.)
pub fn token_copy_name(team: &str) -> String {
    format!("berth-tokens-{team}")
}

/// `berth-kept-<team>-<purpose>`: where the previous release kept one copy per purpose; still read
/// for a purpose the team's copy lacks, and removed with the team.
pub fn kept_secret_name(team: &str, purpose: Purpose) -> String {
    format!("berth-kept-{team}-{}", purpose.as_str())
}

/// The value of a `berth.dev/rotate-<purpose>` annotation: `<at> by <by>`. A new value is a new
/// request, so the value is also the request's identity (the reconciler records it as handled).
///
/// `at` is kept as written: Berth writes an RFC 3339 time ([`RotationRequest::new`]), but any new
/// value asks for a rotation (`kubectl annotate ... berth.dev/rotate-push="again by alice"`), so
/// [`RotationRequest::parse`] takes whatever precedes the first ` by `, exactly as the reconciler
/// reads it, and `parse(v).to_string() == v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationRequest {
    pub at: String,
    /// The username of who asked; may be empty in a hand-written value.
    pub by: String,
}

impl RotationRequest {
    /// A request made now, as the rotate buttons make it.
    #[cfg(feature = "ssr")]
    pub fn new(at: k8s_openapi::jiff::Timestamp, by: &str) -> Self {
        Self {
            at: at.to_string(),
            by: by.to_owned(),
        }
    }

    /// `None` for a value without ` by ` (still a request, from nobody in particular).
    pub fn parse(value: &str) -> Option<Self> {
        let (at, by) = value.split_once(" by ")?;
        Some(Self {
            at: at.to_owned(),
            by: by.to_owned(),
        })
    }

    /// When it was asked, if `at` is a time (it is in every request Berth writes).
    #[cfg(feature = "ssr")]
    pub fn time(&self) -> Option<k8s_openapi::jiff::Timestamp> {
        self.at.parse().ok()
    }
}

impl fmt::Display for RotationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} by {}", self.at, self.by)
    }
}

/// Every audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// A member downloaded (or was refused) the push secret.
    PushSecretDownload,
    PushDownloadToggle,
    /// A team admin asked for a rotation.
    RotationRequest,
    /// The reconciler rotated credentials.
    Rotation,
    TeamCreate,
    TeamDelete,
    /// The reconciler removed a deleted team's robots and secrets.
    Offboard,
    HarborUserDelete,
    /// A registry secret had gone; the reconciler put it back with the same token.
    CredentialsRestored,
    /// A registry secret had gone and its token could not be restored: copies held elsewhere
    /// stopped working.
    CredentialsReissued,
}

impl AuditAction {
    /// In the order of the audit page's filter.
    pub const ALL: [AuditAction; 10] = [
        AuditAction::PushSecretDownload,
        AuditAction::PushDownloadToggle,
        AuditAction::RotationRequest,
        AuditAction::Rotation,
        AuditAction::TeamCreate,
        AuditAction::TeamDelete,
        AuditAction::Offboard,
        AuditAction::HarborUserDelete,
        AuditAction::CredentialsRestored,
        AuditAction::CredentialsReissued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::PushSecretDownload => "push-secret-download",
            AuditAction::PushDownloadToggle => "push-download-toggle",
            AuditAction::RotationRequest => "rotation-request",
            AuditAction::Rotation => "rotation",
            AuditAction::TeamCreate => "team-create",
            AuditAction::TeamDelete => "team-delete",
            AuditAction::Offboard => "offboard",
            AuditAction::HarborUserDelete => "harbor-user-delete",
            AuditAction::CredentialsRestored => "credentials-restored",
            AuditAction::CredentialsReissued => "credentials-reissued",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditResult {
    Allowed,
    Denied,
    Failed,
}

impl AuditResult {
    pub const ALL: [AuditResult; 3] = [
        AuditResult::Allowed,
        AuditResult::Denied,
        AuditResult::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditResult::Allowed => "allowed",
            AuditResult::Denied => "denied",
            AuditResult::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// A condition's status, as Kubernetes spells it (`Ready` and the other Team conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Readiness {
    True,
    False,
    Unknown,
}

impl Readiness {
    pub const ALL: [Readiness; 3] = [Readiness::True, Readiness::False, Readiness::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Readiness::True => "True",
            Readiness::False => "False",
            Readiness::Unknown => "Unknown",
        }
    }

    /// A status Kubernetes does not define reads as `Unknown`, as Kubernetes itself treats it.
    pub fn parse(text: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .unwrap_or(Readiness::Unknown)
    }
}

/// What became of the pull secret in a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub enum Delivery {
    /// The pull secret is there and on the `default` ServiceAccount.
    Delivered,
    /// The namespace does not exist (Berth never creates namespaces).
    Missing,
    /// No RoleBinding lets Berth manage secrets there.
    NoAccess,
    /// The namespace has no `default` ServiceAccount to carry the pull secret.
    NoDefaultAccount,
    /// Another Team holds the namespace.
    Claimed,
    /// A secret of that name that Berth did not write is there; Berth leaves it alone.
    NameTaken,
    /// Left the list; Berth could not clear it yet.
    Leaving,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Delivered => "Delivered",
            Delivery::Missing => "Missing",
            Delivery::NoAccess => "NoAccess",
            Delivery::NoDefaultAccount => "NoDefaultAccount",
            Delivery::Claimed => "Claimed",
            Delivery::NameTaken => "NameTaken",
            Delivery::Leaving => "Leaving",
        }
    }

    /// The state in a few words, for the team page.
    pub fn words(self) -> &'static str {
        match self {
            Delivery::Delivered => "delivered",
            Delivery::Missing => "namespace missing",
            Delivery::NoAccess => "Berth not allowed in",
            Delivery::NoDefaultAccount => "no default ServiceAccount",
            Delivery::Claimed => "held by another team",
            Delivery::NameTaken => "name taken by another secret",
            Delivery::Leaving => "being cleared",
        }
    }
}

/// What a team-page warning is about (the page marks each with it, as `data-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    Expiring,
    Expired,
    SecretMissing,
    ReconcileFailed,
    Reissued,
}

impl WarningKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningKind::Expiring => "expiring",
            WarningKind::Expired => "expired",
            WarningKind::SecretMissing => "secret-missing",
            WarningKind::ReconcileFailed => "reconcile-failed",
            WarningKind::Reissued => "reissued",
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn robot_names_parse_back_to_their_team_and_purpose() {
        assert_eq!(
            robot_purpose("robot$berth-alpha-push", "robot$", "alpha"),
            Some(Purpose::Push)
        );
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-r1700000000", "robot$", "alpha"),
            Some(Purpose::Push)
        );
        assert_eq!(
            robot_purpose(
                &format!("robot${}", rotated_robot_name("alpha", Purpose::Builds, 5)),
                "robot$",
                "alpha"
            ),
            Some(Purpose::Builds)
        );
        assert_eq!(
            robot_purpose(
                &robot_full_name("robot$", "alpha", Purpose::Pull),
                "robot$",
                "alpha"
            ),
            Some(Purpose::Pull)
        );
        // Team `alpha-push`'s pull robot is not team `alpha`'s.
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-pull", "robot$", "alpha"),
            None
        );
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-pull", "robot$", "alpha-push"),
            Some(Purpose::Pull)
        );
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-rx", "robot$", "alpha"),
            None
        );
        assert_eq!(
            robot_purpose("robot$berth-alphabet-pull", "robot$", "alpha"),
            None
        );
        assert_eq!(
            robot_purpose("bot_berth-alpha-pull", "bot_", "alpha"),
            Some(Purpose::Pull)
        );
        assert_eq!(robot_purpose("robot$someone-else", "robot$", "alpha"), None);
        assert_eq!(
            short_robot_name("robot$berth-alpha-pull", "robot$"),
            "berth-alpha-pull"
        );
        assert!(robot_base_name("alpha", Purpose::Push).starts_with(&robot_name_filter("alpha")));
    }

    #[test]
    fn the_wire_strings_stay_as_they_are() {
        let actions: Vec<&str> = AuditAction::ALL.map(AuditAction::as_str).to_vec();
        assert_eq!(
            actions,
            [
                "push-secret-download",
                "push-download-toggle",
                "rotation-request",
                "rotation",
                "team-create",
                "team-delete",
                "offboard",
                "harbor-user-delete",
                "credentials-restored",
                "credentials-reissued",
            ]
        );
        assert_eq!(
            AuditResult::ALL.map(AuditResult::as_str),
            ["allowed", "denied", "failed"]
        );
        assert_eq!(
            Readiness::ALL.map(Readiness::as_str),
            ["True", "False", "Unknown"]
        );
        assert_eq!(Purpose::Push.rotate_annotation(), "berth.dev/rotate-push");
        assert_eq!(
            pending_secret_name("harbor-pushsecret"),
            "harbor-pushsecret-next"
        );
    }

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn serde_speaks_the_same_words_as_as_str() {
        for action in AuditAction::ALL {
            assert_eq!(json(&action), format!("\"{action}\""));
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        for result in AuditResult::ALL {
            assert_eq!(json(&result), format!("\"{}\"", result.as_str()));
            assert_eq!(AuditResult::parse(result.as_str()), Some(result));
        }
        for readiness in Readiness::ALL {
            assert_eq!(json(&readiness), format!("\"{}\"", readiness.as_str()));
            assert_eq!(Readiness::parse(readiness.as_str()), readiness);
        }
        for kind in [
            WarningKind::Expiring,
            WarningKind::Expired,
            WarningKind::SecretMissing,
            WarningKind::ReconcileFailed,
            WarningKind::Reissued,
        ] {
            assert_eq!(json(&kind), format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(Readiness::parse("Maybe"), Readiness::Unknown);
        assert_eq!(AuditAction::parse("toggle"), None);
    }

    #[test]
    fn rotation_requests_read_as_the_reconciler_reads_them() {
        let asked = "2026-11-23T00:00:00Z by it-tester";
        let request = RotationRequest::parse(asked).unwrap();
        assert_eq!(request.by, "it-tester");
        assert_eq!(
            request.time(),
            Some("2026-11-23T00:00:00Z".parse().unwrap())
        );
        // Hand-written values: whatever follows the first ` by ` is who asked,
        // as `split_once` reads it.
        for value in ["t1 by carol", "now by ", "x by a by b", " by "] {
            let by = value.split_once(" by ").map(|(_, who)| who.to_owned());
            assert_eq!(RotationRequest::parse(value).map(|r| r.by), by, "{value}");
        }
        assert_eq!(RotationRequest::parse("t1 by carol").unwrap().time(), None);
        assert_eq!(RotationRequest::parse("again"), None);
    }

    proptest! {
        #[test]
        fn rotation_requests_round_trip(
            seconds in 0i64..4_000_000_000,
            nanos in 0i32..1_000_000_000,
            by in "\\PC{0,40}",
        ) {
            let at = k8s_openapi::jiff::Timestamp::new(seconds, nanos).unwrap();
            let request = RotationRequest::new(at, &by);
            let text = request.to_string();
            prop_assert_eq!(RotationRequest::parse(&text), Some(request.clone()));
            prop_assert_eq!(request.time(), Some(at));
            prop_assert_eq!(
                text.split_once(" by ").map(|(_, who)| who.to_owned()),
                Some(by)
            );
        }

        #[test]
        fn any_request_value_reads_back_as_written(value in "\\PC{0,60}") {
            if let Some(request) = RotationRequest::parse(&value) {
                prop_assert_eq!(request.to_string(), value);
            }
        }
    }
}
