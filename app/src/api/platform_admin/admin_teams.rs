use crate::error::AppError;
use crate::model::TeamSummary;
use leptos::prelude::*;

/// Every team with its download setting, for platform admins.
#[server(endpoint = "admin_teams")]
pub async fn admin_teams() -> Result<Vec<TeamSummary>, AppError> {
    use crate::server::policy::{is_platform_admin, summary};
    use crate::server::state::{app_state, fail, signed_in_user};
    let user = signed_in_user().await?;
    if !is_platform_admin(&user) {
        return Err(fail(AppError::Forbidden(
            "Only platform admins can manage teams.".into(),
        )));
    }
    let state = app_state()?;
    let teams = state
        .cluster
        .list_teams()
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(teams
        .iter()
        .map(|t| summary(&user, t, state.config.oidc.group_match))
        .collect())
}
