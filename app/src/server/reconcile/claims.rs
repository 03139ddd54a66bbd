//! Which Team holds a namespace several Teams name. Decided from the Teams alone (the watch
//! cache), so every pass of every Team comes to the same answer and two Teams never take turns
//! overwriting each other's pull secret: the Team already set up there keeps it, then the oldest
//! Team, then the first name.
use crate::server::cluster::crd::{Delivery, Team};
use k8s_openapi::jiff::Timestamp;

/// The Team holding `namespace` among `teams` (`None` when none names it).
pub fn holder<'a>(namespace: &str, teams: impl IntoIterator<Item = &'a Team>) -> Option<&'a Team> {
    teams
        .into_iter()
        .filter(|t| t.claimed_namespaces().iter().any(|n| n == namespace))
        .min_by_key(|t| {
            (
                !set_up_in(t, namespace),
                t.metadata
                    .creation_timestamp
                    .as_ref()
                    .map_or(Timestamp::MAX, |c| c.0),
                t.team_name(),
            )
        })
}

/// Whether the Team's status says its secrets are in `namespace`: its home once it has robots, a
/// further namespace once the pull secret was delivered there.
fn set_up_in(team: &Team, namespace: &str) -> bool {
    let Some(status) = &team.status else {
        return false;
    };
    if team.namespace_name() == namespace {
        return !status.robots.is_empty();
    }
    status
        .namespaces
        .iter()
        .any(|n| n.name == namespace && n.state == Delivery::Delivered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::cluster::crd::{NamespaceStatus, RobotStatus, TeamSpec, TeamStatus};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    fn team(name: &str, created: i64, home: Option<&str>, more: &[&str]) -> Team {
        let mut team = Team::new(
            name,
            TeamSpec {
                namespace: home.map(str::to_owned),
                namespaces: more.iter().map(|n| n.to_string()).collect(),
                ..Default::default()
            },
        );
        team.metadata.creation_timestamp = Some(Time(Timestamp::from_second(created).unwrap()));
        team
    }

    fn delivered(mut team: Team, namespace: &str) -> Team {
        team.status
            .get_or_insert_with(TeamStatus::default)
            .namespaces
            .push(NamespaceStatus {
                name: namespace.into(),
                state: Delivery::Delivered,
                message: String::new(),
            });
        team
    }

    fn name(team: Option<&Team>) -> Option<String> {
        team.map(Team::team_name)
    }

    #[test]
    fn the_oldest_then_the_first_name_holds_a_namespace_nobody_is_set_up_in() {
        let alpha = team("alpha", 200, None, &["shared"]);
        let beta = team("beta", 100, None, &["shared"]);
        let gamma = team("gamma", 100, None, &["shared"]);
        let teams = [alpha.clone(), beta.clone(), gamma.clone()];
        assert_eq!(name(holder("shared", &teams)), Some("beta".into()));
        assert_eq!(name(holder("team-alpha", &teams)), Some("alpha".into()));
        assert_eq!(name(holder("elsewhere", &teams)), None);
        // The answer does not depend on the order the cache lists them in.
        let reversed = [gamma, beta, alpha];
        assert_eq!(name(holder("shared", &reversed)), Some("beta".into()));
    }

    #[test]
    fn the_team_already_set_up_there_keeps_it_against_an_older_one() {
        let newer = delivered(team("newer", 300, None, &["shared"]), "shared");
        let older = team("older", 100, None, &["shared"]);
        assert_eq!(
            name(holder("shared", &[older.clone(), newer])),
            Some("newer".into())
        );
        // A home namespace counts once the Team has robots (its secrets are there).
        let mut home = team("home", 400, Some("shared"), &[]);
        home.status = Some(TeamStatus {
            robots: vec![RobotStatus::default()],
            ..Default::default()
        });
        assert_eq!(
            name(holder("shared", &[older.clone(), home])),
            Some("home".into())
        );
        // Not set up yet: age decides.
        let fresh = team("fresh", 400, Some("shared"), &[]);
        assert_eq!(
            name(holder("shared", &[fresh, older])),
            Some("older".into())
        );
    }
}
