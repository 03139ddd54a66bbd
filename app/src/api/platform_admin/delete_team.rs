use crate::error::AppError;
use leptos::prelude::*;

/// Offboards a team: deletes its Team resource; the reconciler removes its robots and secrets (the
/// Harbor project stays unless configured otherwise). `confirm` must repeat the team's name.
#[server(endpoint = "delete_team")]
pub async fn delete_team(team: String, confirm: String) -> Result<String, AppError> {
    crate::server::views::flash::after(
        "delete-result",
        String::clone,
        crate::api::call::serve(async move {
            use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
            use crate::server::policy::is_platform_admin;
            use crate::server::state::{app_state, signed_in_user, team_argument};
            let user = signed_in_user().await?;
            let state = app_state()?;
            let name = team_argument(&team)?;
            let current = state.cluster.get_team(&name).await?;
            let record = |result| {
                AuditRecord::new(
                    &user.username,
                    AuditAction::TeamDelete,
                    String::new(),
                    result,
                )
            };
            // Refused alike whether the team exists or not, so the answer
            // tells a non-admin nothing.
            if !is_platform_admin(&user) {
                if let Some(current) = &current {
                    state.audit.note(current, record(AuditResult::Denied)).await;
                }
                return Err(
                    AppError::Forbidden("Only platform admins can delete teams.".into()).into(),
                );
            }
            let Some(current) = current else {
                return Err(AppError::NotFound(format!("There is no team named {name}.")).into());
            };
            let name = current.name();
            if confirm.trim() != name.as_str() {
                return Err(AppError::BadRequest(format!(
                    "To delete team {name}, type its name to confirm."
                ))
                .into());
            }
            // No audit, no change: the record is stored before the deletion.
            state
                .audit
                .record(&current, record(AuditResult::Allowed))
                .await?;
            match state.cluster.delete_team(&name).await {
                Ok(()) => Ok(format!(
                    "Team {name} is being deleted: its robots and secrets go, its Harbor project \
                     stays."
                )),
                Err(error) => {
                    state
                        .audit
                        .note(&current, record(AuditResult::Failed))
                        .await;
                    Err(error.into())
                }
            }
        }),
    )
    .await
}
