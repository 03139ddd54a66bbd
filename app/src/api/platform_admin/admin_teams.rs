use crate::error::AppError;
use crate::model::TeamSummary;
use leptos::prelude::*;

/// Every team with its download setting, for platform admins.
#[server(endpoint = "admin_teams")]
pub async fn admin_teams() -> Result<Vec<TeamSummary>, AppError> {
    crate::api::call::serve(async {
        use crate::server::policy::{is_platform_admin, summary};
        use crate::server::state::{app_state, signed_in_user};
        let user = signed_in_user().await?;
        if !is_platform_admin(&user) {
            return Err(
                AppError::Forbidden("Only platform admins can manage teams.".into()).into(),
            );
        }
        let state = app_state()?;
        let teams = state.cluster.list_teams().await?;
        Ok(teams
            .iter()
            .map(|t| summary(&user, t, state.config.oidc.group_match))
            .collect())
    })
    .await
}
