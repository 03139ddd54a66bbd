use crate::error::AppError;
use leptos::prelude::*;

/// Switches a team's push-secret download on or off (patches the Team resource). Platform admins
/// and the team's admins.
#[server(endpoint = "set_push_secret_download")]
pub async fn set_push_secret_download(team: String, enabled: bool) -> Result<bool, AppError> {
    crate::server::views::flash::after(
        "toggle-result",
        |enabled: &bool| {
            if *enabled {
                "Download enabled.".to_owned()
            } else {
                "Download disabled.".to_owned()
            }
        },
        crate::api::call::serve(async move {
            use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
            use crate::server::policy::can_manage;
            use crate::server::state::{app_state, signed_in_user, team_argument, visible_team};
            let user = signed_in_user().await?;
            let state = app_state()?;
            let name = team_argument(&team)?;
            let record = |result| {
                AuditRecord::new(
                    &user.username,
                    AuditAction::PushDownloadToggle,
                    if enabled {
                        "push-secret download switched on".to_owned()
                    } else {
                        "push-secret download switched off".to_owned()
                    },
                    result,
                )
            };
            let mode = state.config.oidc.group_match;
            // Someone else's team answers like a missing one (the refusal is still audited), so
            // names do not leak.
            let current =
                visible_team(&state, &user, &name, Some(record(AuditResult::Denied))).await?;
            let name = current.name();
            if !can_manage(
                &user,
                &current,
                &state.config.team_admin_group_of(name.as_str()),
                mode,
            ) {
                state
                    .audit
                    .note(&current, record(AuditResult::Denied))
                    .await;
                return Err(AppError::Forbidden(
                    "Only platform admins and the team's admins can change whether a team may \
                     download its push secret."
                        .into(),
                )
                .into());
            }
            // No audit, no change: the record is stored before the Team is.
            state
                .audit
                .record(&current, record(AuditResult::Allowed))
                .await?;
            match state.cluster.set_push_secret_download(&name, enabled).await {
                Ok(updated) => Ok(updated.spec.push_secret_download),
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
