//! Who may see and do what with a team. Every server function and route asks these rules.
use crate::model::TeamSummary;
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

/// Only platform admins switch a team's download setting.
pub fn can_toggle_download(user: &SessionUser) -> bool {
    user.is_platform_admin
}

pub fn summary(user: &SessionUser, team: &Team, mode: GroupMatch) -> TeamSummary {
    TeamSummary {
        name: team.team_name(),
        namespace: team.namespace_name(),
        harbor_project: team.harbor_project(),
        groups: team.groups(),
        push_secret_download: team.spec.push_secret_download,
        is_member: is_member(user, team, mode),
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
        // (who, download enabled, can view, download decision, can toggle)
        let cases = [
            (user(&["team-alpha"], false), true, true, Allowed, false),
            (user(&["team-alpha"], false), false, true, Disabled, false),
            (user(&["/teams/team-alpha"], false), true, true, Allowed, false),
            (user(&["team-beta"], false), true, false, NotMember, false),
            (user(&[], false), false, false, NotMember, false),
            (user(&["berth-admins"], true), true, true, Allowed, true),
            (user(&["berth-admins"], true), false, true, Disabled, true),
        ];
        for (u, enabled, view, decision, toggle) in cases {
            let t = team(enabled);
            assert_eq!(can_view(&u, &t, mode), view, "{u:?}");
            assert_eq!(download_decision(&u, &t, mode), decision, "{u:?} enabled={enabled}");
            assert_eq!(can_toggle_download(&u), toggle, "{u:?}");
        }
    }

    #[test]
    fn full_match_mode_needs_the_exact_path() {
        let t = team(true);
        assert!(!can_view(&user(&["/teams/team-alpha"], false), &t, GroupMatch::Full));
        assert!(can_view(&user(&["team-alpha"], false), &t, GroupMatch::Full));
    }
}
