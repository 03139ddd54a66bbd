//! Who may see and do what with a team. Every server function and route asks these rules.
use crate::model::{ConditionView, CredentialView, TeamState, TeamSummary};
use crate::server::auth::groups::any_matches;
use crate::server::auth::session::SessionUser;
use crate::server::cluster::team::Team;
use crate::server::config::GroupMatch;

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

/// Team names become namespace, project and robot names: a DNS label, short enough for all three.
pub fn valid_team_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
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
            .map(|c| ConditionView { kind: c.type_.clone(), status: c.status.clone(), reason: c.reason.clone(), message: c.message.clone(), since: c.last_transition_time.clone() })
            .collect(),
        credentials: status
            .robots
            .iter()
            .map(|r| CredentialView { purpose: r.purpose.clone(), secret: r.secret.clone(), robot: r.name.clone(), since: r.since.clone(), expires: r.expires_at.clone() })
            .collect(),
        next_expiry: status.next_expiry.clone(),
        retiring: status.retiring.iter().map(|r| r.name.clone()).collect(),
    })
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
    use crate::server::cluster::team::TeamSpec;

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
        Team::new("alpha", TeamSpec { push_secret_download: download, ..Default::default() })
    }

    #[test]
    fn the_rules_as_a_table() {
        use DownloadDecision::*;
        let mode = GroupMatch::LastSegment;
        // (who, download enabled, can view, download decision, can manage (toggle, rotate))
        let cases = [
            (user(&["team-alpha"], false), true, true, Allowed, false),
            (user(&["team-alpha"], false), false, true, Disabled, false),
            (user(&["/teams/team-alpha"], false), true, true, Allowed, false),
            (user(&["team-alpha", "team-alpha-admin"], false), false, true, Disabled, true),
            (user(&["/teams/team-alpha", "/teams/team-alpha-admin"], false), true, true, Allowed, true),
            (user(&["team-beta", "team-beta-admin"], false), true, false, NotMember, false),
            (user(&["team-beta"], false), true, false, NotMember, false),
            (user(&[], false), false, false, NotMember, false),
            (user(&["berth-admins"], true), true, true, Allowed, true),
            (user(&["berth-admins"], true), false, true, Disabled, true),
        ];
        for (u, enabled, view, decision, manage) in cases {
            let t = team(enabled);
            assert_eq!(can_view(&u, &t, mode), view, "{u:?}");
            assert_eq!(download_decision(&u, &t, mode), decision, "{u:?} enabled={enabled}");
            assert_eq!(can_manage(&u, &t, "team-alpha-admin", mode), manage, "{u:?}");
            assert_eq!(is_platform_admin(&u), u.is_platform_admin);
        }
    }

    #[test]
    fn team_names_fit_every_place_they_go() {
        for good in ["alpha", "a", "team-42", "x-y-z"] {
            assert!(valid_team_name(good), "{good}");
        }
        for bad in ["", "Alpha", "-a", "a-", "a_b", "a.b", "a b", &"x".repeat(41), "ä"] {
            assert!(!valid_team_name(bad), "{bad}");
        }
    }

    #[test]
    fn full_match_mode_needs_the_exact_path() {
        let t = team(true);
        assert!(!can_view(&user(&["/teams/team-alpha"], false), &t, GroupMatch::Full));
        assert!(can_view(&user(&["team-alpha"], false), &t, GroupMatch::Full));
    }
}
