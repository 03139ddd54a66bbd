//! Who may see and do what with a team. Every server function and route asks these rules.
use crate::model::{
    ConditionView, CredentialView, SecretView, TeamState, TeamSummary, TeamWarning,
};
use crate::server::auth::groups::any_matches;
use crate::server::auth::session::SessionUser;
use crate::server::cluster::crd::Team;
use crate::server::config::GroupMatch;
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
    let ready = status.condition("Ready");
    Some(TeamState {
        ready: ready.map_or("Unknown".into(), |c| c.status.clone()),
        reason: ready.map(|c| c.reason.clone()).unwrap_or_default(),
        message: ready.map(|c| c.message.clone()).unwrap_or_default(),
        stale: status.observed_generation < team.metadata.generation,
        conditions: status
            .conditions
            .iter()
            .filter(|c| c.type_ != "Ready")
            .map(|c| ConditionView {
                kind: c.type_.clone(),
                status: c.status.clone(),
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
            })
            .collect(),
        next_expiry: status.next_expiry.clone(),
        retiring: status.retiring.iter().map(|r| r.name.clone()).collect(),
    })
}

/// What a member should act on: robots expiring within `window` (or expired), missing secrets, a failing
/// last reconcile. Each warning says what to do.
pub fn warnings(
    state: Option<&TeamState>,
    secrets: Option<&[SecretView]>,
    now: Timestamp,
    window: Duration,
) -> Vec<TeamWarning> {
    let mut found = Vec::new();
    let warn = |kind: &str, message: String, remedy: &str| TeamWarning {
        kind: kind.to_owned(),
        message,
        remedy: remedy.to_owned(),
    };
    if let Some(state) = state {
        if state.ready == "False" {
            found.push(warn(
                "reconcile-failed",
                format!("Berth's last pass over this team failed: {} ({}).", state.message, state.reason),
                "Berth retries on its own; if this stays, ask your platform team and quote the reason.",
            ));
        }
        for credential in &state.credentials {
            let Some(expires) = credential
                .expires
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok())
            else {
                continue;
            };
            let left = expires.duration_since(now);
            if left.is_negative() {
                found.push(warn("expired", format!("The {} robot {} expired at {expires}.", credential.purpose, credential.robot), "Ask a team admin to rotate it (Manage, Rotate); Berth also replaces expired robots on its next pass."));
            } else if left
                < jiff::SignedDuration::try_from(window).unwrap_or(jiff::SignedDuration::MAX)
            {
                let days = left.as_secs() / 86_400;
                found.push(warn(
                    "expiring",
                    format!("The {} robot {} expires in {days} day{} ({expires}).", credential.purpose, credential.robot, if days == 1 { "" } else { "s" }),
                    "Berth rotates robots before they expire; a team admin can rotate now (Manage, Rotate). Update any copy you keep outside the cluster (CI secrets) after the rotation.",
                ));
            }
        }
    }
    for secret in secrets.unwrap_or_default().iter().filter(|s| !s.present) {
        found.push(warn(
            "secret-missing",
            format!("The secret {} ({}) is missing from the namespace.", secret.name, secret.purpose),
            "Berth recreates it on its next pass (within a resync period); if it stays missing, check the team's state above.",
        ));
    }
    found
}

pub fn summary(user: &SessionUser, team: &Team, mode: GroupMatch) -> TeamSummary {
    TeamSummary {
        name: team.team_name(),
        namespace: team.namespace_name(),
        harbor_project: team.harbor_project(),
        groups: team.groups(),
        push_secret_download: team.spec.push_secret_download,
        is_member: is_member(user, team, mode),
        state: state(team),
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
        let now: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        let credential = |purpose: &str, expires: Option<&str>| CredentialView {
            purpose: purpose.into(),
            secret: format!("harbor-{purpose}secret"),
            robot: format!("robot$berth-alpha-{purpose}"),
            since: "2026-11-01T00:00:00Z".into(),
            expires: expires.map(str::to_owned),
        };
        let state = TeamState {
            ready: "False".into(),
            reason: "HarborUnavailable".into(),
            message: "Harbor answered 500".into(),
            stale: false,
            conditions: vec![],
            credentials: vec![
                credential("pull", Some("2026-11-30T00:00:00Z")),
                credential("push", Some("2026-11-20T00:00:00Z")),
                credential("builds", None),
                credential("x", Some("2027-06-01T00:00:00Z")),
            ],
            next_expiry: None,
            retiring: vec![],
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
            Some(&state),
            Some(&secrets),
            now,
            Duration::from_secs(14 * 86_400),
        );
        let kinds: Vec<&str> = found.iter().map(|w| w.kind.as_str()).collect();
        assert_eq!(
            kinds,
            ["reconcile-failed", "expiring", "expired", "secret-missing"]
        );
        assert!(
            found[1].message.contains("in 7 days"),
            "{}",
            found[1].message
        );
        assert!(found.iter().all(|w| !w.remedy.is_empty()));
        assert!(warnings(None, None, now, Duration::from_secs(0)).is_empty());
    }
}
