use crate::error::AppError;
use leptos::prelude::*;

/// Onboards a team: creates its Team resource. Its namespace must exist (Berth does not create
/// namespaces); the reconciler makes the Harbor project, robots and secrets. Platform admins only.
#[server(endpoint = "create_team")]
pub async fn create_team(
    name: String,
    groups: String,
    push_secret_download: Option<String>,
) -> Result<String, AppError> {
    crate::server::views::flash::after(
        "create-result",
        String::clone,
        crate::api::call::serve(async move {
            use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
            use crate::server::cluster::crd::{Team, TeamSpec};
            use crate::server::policy::is_platform_admin;
            use crate::server::state::{app_state, signed_in_user, team_argument};
            let user = signed_in_user().await?;
            let state = app_state()?;
            if !is_platform_admin(&user) {
                // No Team is involved (none is created): the log line is the record.
                tracing::info!(
                    target: "berth::audit",
                    audit = true,
                    actor = %user.username,
                    action = AuditAction::TeamCreate.as_str(),
                    result = AuditResult::Denied.as_str(),
                    "audit"
                );
                return Err(
                    AppError::Forbidden("Only platform admins can create teams.".into()).into(),
                );
            }
            let name = team_argument(name.trim())?;
            let groups: Vec<String> = groups
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(bad) = groups
                .iter()
                .find(|g| g.len() > 256 || g.chars().any(char::is_control))
            {
                return Err(AppError::BadRequest(format!(
                    "A group is at most 256 characters without control characters; {:?} is not.",
                    bad.chars().take(40).collect::<String>()
                ))
                .into());
            }
            let download = match push_secret_download.as_deref() {
                None | Some("") | Some("off") | Some("false") => false,
                Some("on") | Some("true") => true,
                Some(_) => {
                    return Err(AppError::BadRequest(
                        "push_secret_download is on, true, off or false (or absent).".into(),
                    )
                    .into())
                }
            };
            let spec = TeamSpec {
                groups: groups.clone(),
                push_secret_download: download,
                ..Default::default()
            };
            // No audit, no change: the record (about the Team about to be made) is stored first.
            let planned = Team::new(name.as_str(), spec.clone());
            let record = |result| {
                AuditRecord::new(
                    &user.username,
                    AuditAction::TeamCreate,
                    format!("groups={} download={download}", planned.groups().join(",")),
                    result,
                )
            };
            state
                .audit
                .record(&planned, record(AuditResult::Allowed))
                .await?;
            match state.cluster.create_team(&name, spec).await {
                Ok(team) => Ok(format!(
                    "Team {} created. Berth sets up its Harbor project, robots and secrets in \
                     namespace {} within seconds.",
                    team.name(),
                    team.namespace_name()
                )),
                Err(error) if error.is_conflict() => {
                    state
                        .audit
                        .note(&planned, record(AuditResult::Failed))
                        .await;
                    Err(AppError::BadRequest(format!("A team named {name} already exists.")).into())
                }
                Err(error) => {
                    state
                        .audit
                        .note(&planned, record(AuditResult::Failed))
                        .await;
                    Err(error.into())
                }
            }
        }),
    )
    .await
}
