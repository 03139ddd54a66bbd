use crate::error::AppError;
use leptos::prelude::*;

/// Asks the reconciler to rotate one purpose's credentials (`pull`, `push` or `builds`): a new
/// robot with a new token, the secret switched to it, the old robot deleted after the grace period.
#[server(endpoint = "rotate_credentials")]
pub async fn rotate_credentials(team: String, purpose: String) -> Result<String, AppError> {
    crate::server::views::flash::after(
        "rotate-result",
        String::clone,
        crate::api::call::serve(async move {
            use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
            use crate::server::policy::can_manage;
            use crate::server::state::{app_state, signed_in_user, team_argument, visible_team};
            use crate::vocabulary::{Purpose, RotationRequest};
            let user = signed_in_user().await?;
            let state = app_state()?;
            let name = team_argument(&team)?;
            let Some(kind) = Purpose::parse(&purpose) else {
                return Err(AppError::BadRequest("Choose pull, push or builds.".into()).into());
            };
            let mode = state.config.oidc.group_match;
            let current = visible_team(&state, &user, &name, None).await?;
            let name = current.name();
            let record = |result| {
                AuditRecord::new(
                    &user.username,
                    AuditAction::RotationRequest,
                    kind.as_str().into(),
                    result,
                )
            };
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
                    "Only platform admins and the team's admins can rotate its credentials.".into(),
                )
                .into());
            }
            // No audit, no change: the record is stored before the request is.
            state
                .audit
                .record(&current, record(AuditResult::Allowed))
                .await?;
            // The value names the request; the reconciler acts once per new value
            // and records it as handled.
            let value = RotationRequest::new(k8s_openapi::jiff::Timestamp::now(), &user.username)
                .to_string();
            match state
                .cluster
                .annotate_team(&name, &kind.rotate_annotation(), &value)
                .await
            {
                Ok(_) => Ok(format!(
                    "Rotation of the {} credentials requested. Berth switches the secret to a \
                     new robot on its next pass; the robot in use keeps working for {} after \
                     that. Update copies outside the cluster (CI secret stores) with the new \
                     username and password before then.",
                    kind.as_str(),
                    crate::components::human_duration(
                        state.config.reconcile.rotation_grace.as_secs()
                    )
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
