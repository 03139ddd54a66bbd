//! Who may see and do what with a team. Every server function and route asks these rules.
use crate::model::{
    ConditionView, CredentialView, NamespaceView, RetiringView, SecretView, TeamState, TeamSummary,
    TeamWarning,
};
use crate::server::auth::groups::any_matches;
use crate::server::auth::session::SessionUser;
use crate::server::cluster::crd::{Team, TeamStatus};
use crate::server::config::GroupMatch;
use crate::vocabulary::{Purpose, Readiness, WarningKind, READY_CONDITION};
use k8s_openapi::jiff::{self, Timestamp};
use std::time::Duration;

pub fn is_member(user: &SessionUser, team: &Team, mode: GroupMatch) -> bool {
    any_matches(&user.groups, &team.groups(), mode)
}

/// Members see their team; platform admins see every team.
pub fn can_view(user: &SessionUser, team: &Team, mode: GroupMatch) -> bool {
    user.is_platform_admin || is_member(user, team, mode)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownloadDecision {
    Allowed,
    /// Neither a member nor a platform admin.
    NotMember,
    /// The team's `pushSecretDownload` is off; the secret must not even be read.
    Disabled,
}

pub fn download_decision(user: &SessionUser, team: &Team, mode: GroupMatch) -> DownloadDecision {
    if !can_view(user, team, mode) {
        DownloadDecision::NotMember
    } else if !team.spec.push_secret_download {
        DownloadDecision::Disabled
    } else {
        DownloadDecision::Allowed
    }
}

/// Only platform admins see every team and create or delete teams.
pub fn is_platform_admin(user: &SessionUser) -> bool {
    user.is_platform_admin
}

/// A member of the team's admin group (`BERTH_TEAM_ADMIN_GROUP`, default `team-<name>-admin`).
pub fn is_team_admin(user: &SessionUser, team: &Team, admin_group: &str, mode: GroupMatch) -> bool {
    any_matches(&user.groups, &[admin_group.to_owned()], mode) && !team.team_name().is_empty()
}

/// Platform admins and the team's admins switch its download setting and rotate its credentials.
pub fn can_manage(user: &SessionUser, team: &Team, admin_group: &str, mode: GroupMatch) -> bool {
    user.is_platform_admin || is_team_admin(user, team, admin_group, mode)
}

/// The reconciler's status as the pages show it.
pub fn state(team: &Team) -> Option<TeamState> {
    let status = team.status.as_ref()?;
    let ready = status.condition(READY_CONDITION);
    Some(TeamState {
        ready: ready.map_or(Readiness::Unknown, |c| Readiness::parse(&c.status)),
        reason: ready.map(|c| c.reason.clone()).unwrap_or_default(),
        message: ready.map(|c| c.message.clone()).unwrap_or_default(),
        stale: status.observed_generation < team.metadata.generation,
        conditions: status
            .conditions
            .iter()
            .filter(|c| c.type_ != READY_CONDITION)
            .map(|c| ConditionView {
                kind: c.type_.clone(),
                status: Readiness::parse(&c.status),
                reason: c.reason.clone(),
                message: c.message.clone(),
                since: c.last_transition_time.clone(),
            })
            .collect(),
        credentials: status
            .robots
            .iter()
            .map(|r| CredentialView {
                purpose: r.purpose.clone(),
                secret: r.secret.clone(),
                robot: r.name.clone(),
                since: r.since.clone(),
                expires: r.expires_at.clone(),
                rotation_requested: Purpose::parse(&r.purpose)
                    .and_then(|p| {
                        team.metadata
                            .annotations
                            .as_ref()?
                            .get(&p.rotate_annotation())
                    })
                    .is_some_and(|asked| r.rotation_handled.as_ref() != Some(asked)),
            })
            .collect(),
        next_expiry: status.next_expiry.clone(),
        retiring: status
            .retiring
            .iter()
            .map(|r| RetiringView {
                name: r.name.clone(),
                purpose: r.purpose.clone(),
                until: r.delete_after.clone(),
            })
            .collect(),
        namespaces: status
            .namespaces
            .iter()
            .map(|n| NamespaceView {
                name: n.name.clone(),
                state: n.state,
                message: n.message.clone(),
            })
            .collect(),
    })
}

/// Something on a team a member should act on, as found in the Team's status and its secrets;
/// [`Warning::view`] words it for the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    ReconcileFailed {
        reason: String,
        message: String,
    },
    Expired {
        purpose: String,
        robot: String,
        at: Timestamp,
    },
    Expiring {
        purpose: String,
        robot: String,
        at: Timestamp,
        days: i64,
    },
    SecretMissing {
        name: String,
        purpose: String,
    },
    Reissued {
        purpose: String,
        robot: String,
        at: Timestamp,
    },
}

/// How long the team page says that credentials were re-issued.
const REISSUE_NOTICE: jiff::SignedDuration = jiff::SignedDuration::from_hours(14 * 24);

/// What a member should act on: a failing last reconcile, credentials re-issued in the last two
/// weeks, robots expiring within `window` (or expired), missing secrets, in that order.
pub fn warnings(
    status: Option<&TeamStatus>,
    secrets: Option<&[SecretView]>,
    now: Timestamp,
    window: Duration,
) -> Vec<Warning> {
    let mut found = Vec::new();
    if let Some(status) = status {
        if let Some(ready) = status
            .condition(READY_CONDITION)
            .filter(|c| Readiness::parse(&c.status) == Readiness::False)
        {
            found.push(Warning::ReconcileFailed {
                reason: ready.reason.clone(),
                message: ready.message.clone(),
            });
        }
        for robot in &status.robots {
            let Some(at) = robot
                .reissued_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
            else {
                continue;
            };
            if now.duration_since(at) < REISSUE_NOTICE {
                found.push(Warning::Reissued {
                    purpose: robot.purpose.clone(),
                    robot: robot.name.clone(),
                    at,
                });
            }
        }
        let window = jiff::SignedDuration::try_from(window).unwrap_or(jiff::SignedDuration::MAX);
        for robot in &status.robots {
            // The reconciler writes RFC 3339; anything else is no expiry Berth can speak about.
            let Some(at) = robot
                .expires_at
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
            else {
                continue;
            };
            let left = at.duration_since(now);
            let (purpose, robot) = (robot.purpose.clone(), robot.name.clone());
            if left.is_negative() {
                found.push(Warning::Expired { purpose, robot, at });
            } else if left < window {
                let days = left.as_secs() / 86_400;
                found.push(Warning::Expiring {
                    purpose,
                    robot,
                    at,
                    days,
                });
            }
        }
    }
    // Only a secret Berth made and that has gone: before the first pass made it, the team's state
    // is what says why it is not there yet.
    let made = |name: &str| status.is_some_and(|s| s.robots.iter().any(|r| r.secret == name));
    for secret in secrets
        .unwrap_or_default()
        .iter()
        .filter(|s| !s.present && made(&s.name))
    {
        found.push(Warning::SecretMissing {
            name: secret.name.clone(),
            purpose: secret.purpose.clone(),
        });
    }
    found
}

impl Warning {
    pub fn kind(&self) -> WarningKind {
        match self {
            Warning::ReconcileFailed { .. } => WarningKind::ReconcileFailed,
            Warning::Expired { .. } => WarningKind::Expired,
            Warning::Expiring { .. } => WarningKind::Expiring,
            Warning::SecretMissing { .. } => WarningKind::SecretMissing,
            Warning::Reissued { .. } => WarningKind::Reissued,
        }
    }

    /// The warning as the page shows it: what is wrong, and what to do.
    pub fn view(&self) -> TeamWarning {
        let (message, remedy) = match self {
            Warning::ReconcileFailed { reason, message } => (
                format!("Berth's last pass over this team failed: {message} ({reason})."),
                "Berth retries on its own; if this stays, ask your platform team and quote the \
                 reason.",
            ),
            Warning::Expired { purpose, robot, at } => (
                format!("The {purpose} robot {robot} expired at {at}."),
                "Ask a team admin to rotate it (Manage, Rotate); Berth also replaces expired \
                 robots on its next pass.",
            ),
            Warning::Expiring {
                purpose,
                robot,
                at,
                days,
            } => (
                format!(
                    "The {purpose} robot {robot} expires in {days} day{} ({at}).",
                    if *days == 1 { "" } else { "s" }
                ),
                "Berth rotates robots before they expire; a team admin can rotate now (Manage, \
                 Rotate). Update any copy you keep outside the cluster (CI secrets) after the \
                 rotation.",
            ),
            Warning::Reissued { purpose, robot, at } => (
                format!(
                    "The {purpose} credentials were re-issued at {}: their secret had gone and \
                     Berth held no copy of its token, so {robot} got a new one.",
                    at.strftime("%Y-%m-%d %H:%M UTC")
                ),
                "Copies downloaded before then no longer work: download again and update them \
                 wherever you keep them (CI secret stores, local docker logins).",
            ),
            Warning::SecretMissing { name, purpose } => (
                format!("The secret {name} ({purpose}) is missing from the namespace."),
                "Berth puts it back with the same token on its next pass (within a resync \
                 period); if it stays missing, check the team's state.",
            ),
        };
        TeamWarning {
            kind: self.kind(),
            message,
            remedy: remedy.to_owned(),
        }
    }
}

pub fn summary(user: &SessionUser, team: &Team, mode: GroupMatch) -> TeamSummary {
    TeamSummary {
        name: team.team_name(),
        namespace: team.namespace_name(),
        harbor_project: team.harbor_project(),
        groups: team.groups(),
        push_secret_download: team.spec.push_secret_download,
        namespaces: team.delivery_namespaces(),
        is_member: is_member(user, team, mode),
        state: state(team),
        deleting: team.metadata.deletion_timestamp.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::cluster::crd::TeamSpec;

    fn user(groups: &[&str], admin: bool) -> SessionUser {
        SessionUser {
            subject: "s".into(),
            username: "u".into(),
            display_name: "U".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            is_platform_admin: admin,
        }
    }
    fn team(download: bool) -> Team {
        Team::new(
            "alpha",
            TeamSpec {
                push_secret_download: download,
                ..Default::default()
            },
        )
    }

    #[test]
    fn the_rules_as_a_table() {
        use DownloadDecision::*;
        let mode = GroupMatch::LastSegment;
        // (who, download enabled, can view, download decision, can manage (toggle, rotate))
        let cases = [
            (user(&["team-alpha"], false), true, true, Allowed, false),
            (user(&["team-alpha"], false), false, true, Disabled, false),
            (
                user(&["/teams/team-alpha"], false),
                true,
                true,
                Allowed,
                false,
            ),
            (
                user(&["team-alpha", "team-alpha-admin"], false),
                false,
                true,
                Disabled,
                true,
            ),
            (
                user(&["/teams/team-alpha", "/teams/team-alpha-admin"], false),
                true,
                true,
                Allowed,
                true,
            ),
            (
                user(&["team-beta", "team-beta-admin"], false),
                true,
                false,
                NotMember,
                false,
            ),
            (user(&["team-beta"], false), true, false, NotMember, false),
            (user(&[], false), false, false, NotMember, false),
            (user(&["berth-admins"], true), true, true, Allowed, true),
            (user(&["berth-admins"], true), false, true, Disabled, true),
        ];
        for (u, enabled, view, decision, manage) in cases {
            let t = team(enabled);
            assert_eq!(can_view(&u, &t, mode), view, "{u:?}");
            assert_eq!(
                download_decision(&u, &t, mode),
                decision,
                "{u:?} enabled={enabled}"
            );
            assert_eq!(
                can_manage(&u, &t, "team-alpha-admin", mode),
                manage,
                "{u:?}"
            );
            assert_eq!(is_platform_admin(&u), u.is_platform_admin);
        }
    }

    #[test]
    fn full_match_mode_needs_the_exact_path() {
        let t = team(true);
        assert!(!can_view(
            &user(&["/teams/team-alpha"], false),
            &t,
            GroupMatch::Exact
        ));
        assert!(can_view(
            &user(&["team-alpha"], false),
            &t,
            GroupMatch::Exact
        ));
    }

    #[test]
    fn warnings_say_what_is_wrong_and_what_to_do() {
        use crate::server::cluster::crd::{RobotStatus, TeamCondition};
        let now: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        let robot = |purpose: &str, expires: Option<&str>| RobotStatus {
            purpose: purpose.into(),
            name: format!("robot$berth-alpha-{purpose}"),
            secret: format!("harbor-{purpose}secret"),
            since: "2026-11-01T00:00:00Z".into(),
            expires_at: expires.map(str::to_owned),
            ..Default::default()
        };
        let status = TeamStatus {
            conditions: vec![TeamCondition {
                type_: "Ready".into(),
                status: "False".into(),
                reason: "HarborUnavailable".into(),
                message: "Harbor answered 500".into(),
                last_transition_time: "2026-11-22T00:00:00Z".into(),
            }],
            robots: vec![
                robot("pull", Some("2026-11-30T00:00:00Z")),
                robot("push", Some("2026-11-20T00:00:00Z")),
                robot("builds", None),
                robot("x", Some("2027-06-01T00:00:00Z")),
                robot("y", Some("not a time")),
            ],
            ..Default::default()
        };
        let secrets = [
            SecretView {
                name: "harbor-pullsecret".into(),
                purpose: "pull".into(),
                present: true,
                secret_type: None,
                last_changed: None,
            },
            SecretView {
                name: "harbor-pushsecret".into(),
                purpose: "push".into(),
                present: false,
                secret_type: None,
                last_changed: None,
            },
        ];
        let found = warnings(
            Some(&status),
            Some(&secrets),
            now,
            Duration::from_secs(14 * 86_400),
        );
        assert_eq!(
            found[1],
            Warning::Expiring {
                purpose: "pull".into(),
                robot: "robot$berth-alpha-pull".into(),
                at: "2026-11-30T00:00:00Z".parse().unwrap(),
                days: 7,
            }
        );
        let views: Vec<TeamWarning> = found.iter().map(Warning::view).collect();
        let kinds: Vec<&str> = views.iter().map(|w| w.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["reconcile-failed", "expiring", "expired", "secret-missing"]
        );
        assert_eq!(
            views[0].message,
            "Berth's last pass over this team failed: Harbor answered 500 (HarborUnavailable)."
        );
        assert_eq!(
            views[1].message,
            "The pull robot robot$berth-alpha-pull expires in 7 days (2026-11-30T00:00:00Z)."
        );
        assert_eq!(
            views[2].message,
            "The push robot robot$berth-alpha-push expired at 2026-11-20T00:00:00Z."
        );
        assert_eq!(
            views[3].message,
            "The secret harbor-pushsecret (push) is missing from the namespace."
        );
        assert!(views.iter().all(|w| !w.remedy.is_empty()));
        assert!(warnings(None, None, now, Duration::from_secs(0)).is_empty());
        let ready = TeamStatus {
            conditions: vec![TeamCondition {
                type_: "Ready".into(),
                status: "True".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert!(warnings(Some(&ready), None, now, Duration::from_secs(0)).is_empty());
    }

    #[test]
    fn a_reissue_is_said_for_two_weeks_and_unmade_secrets_are_not_missing() {
        use crate::server::cluster::crd::RobotStatus;
        let now: Timestamp = "2026-12-07T12:00:00Z".parse().unwrap();
        let status = TeamStatus {
            robots: vec![RobotStatus {
                purpose: "push".into(),
                name: "robot$berth-alpha-push".into(),
                secret: "harbor-pushsecret".into(),
                reissued_at: Some("2026-12-07T03:28:00Z".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let absent = |name: &str| SecretView {
            name: name.into(),
            purpose: "x".into(),
            present: false,
            secret_type: None,
            last_changed: None,
        };
        let secrets = [absent("harbor-pushsecret"), absent("harbor-pullsecret")];
        let found = warnings(Some(&status), Some(&secrets), now, Duration::ZERO);
        let kinds: Vec<WarningKind> = found.iter().map(Warning::kind).collect();
        // The pull secret was never made: the state says why, not a warning.
        assert_eq!(kinds, [WarningKind::Reissued, WarningKind::SecretMissing]);
        assert!(found[0].view().message.contains("2026-12-07 03:28 UTC"));
        let later = "2026-12-22T00:00:00Z".parse().unwrap();
        assert!(warnings(Some(&status), None, later, Duration::ZERO).is_empty());
        assert!(warnings(None, Some(&secrets), now, Duration::ZERO).is_empty());
    }
}
