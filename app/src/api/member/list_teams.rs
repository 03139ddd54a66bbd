use crate::error::AppError;
use crate::model::TeamSummary;
use leptos::prelude::*;

/// The teams the user belongs to; platform admins get every team.
#[server(endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<TeamSummary>, AppError> {
    crate::api::call::serve(async {
        use crate::server::policy::{can_view, summary};
        use crate::server::state::{app_state, signed_in_user};
        let user = signed_in_user().await?;
        let state = app_state()?;
        let mode = state.config.oidc.group_match;
        let teams = state.cluster.list_teams().await?;
        if mode == crate::server::config::GroupMatch::Exact {
            for team in teams.iter().filter(|t| !can_view(&user, t, mode)) {
                let near =
                    crate::server::auth::groups::last_segment_only(&user.groups, &team.groups());
                if !near.is_empty() {
                    tracing::warn!(
                        user = %user.username,
                        team = %team.team_name(),
                        groups = ?near,
                        "a group of this user ends like one of the team's but is not it, so it \
                         grants nothing with BERTH_GROUP_MATCH=exact; name the full path in the \
                         Team's spec.groups (or, knowing the risk, set \
                         BERTH_GROUP_MATCH=last-segment)"
                    );
                }
            }
        }
        Ok(teams
            .iter()
            .filter(|t| can_view(&user, t, mode))
            .map(|t| summary(&user, t, mode))
            .collect())
    })
    .await
}
