use crate::error::AppError;
use crate::model::Onboarded;
use leptos::prelude::*;

/// Onboards a team: creates its Team resource; the reconciler makes the Harbor project, robots and
/// secrets. Berth does not create namespaces: when the team's is missing, or lacks Berth's
/// RoleBinding or a default ServiceAccount, the answer says so and gives the `kubectl` commands
/// that fix it (the Team is created all the same and set up once they have run). Platform admins
/// only.
#[server(endpoint = "create_team")]
pub async fn create_team(
    name: String,
    groups: String,
    push_secret_download: Option<String>,
    namespaces: Option<String>,
) -> Result<Onboarded, AppError> {
    crate::server::views::flash::after_with_commands(
        "create-result",
        |done: &Onboarded| (done.message.clone(), done.commands.clone()),
        crate::api::call::serve(async move {
            use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
            use crate::server::cluster::crd::{Team, TeamSpec};
            use crate::server::cluster::setup_commands;
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
            let namespaces: Vec<String> = namespaces
                .unwrap_or_default()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            if let Some(bad) = namespaces.iter().find(|n| !crate::names::is_dns_label(n)) {
                return Err(AppError::BadRequest(format!(
                    "Each further namespace is a Kubernetes namespace name (a-z, 0-9 and -, at \
                     most 63 characters); {:?} is not.",
                    bad.chars().take(70).collect::<String>()
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
                namespaces,
                ..Default::default()
            };
            // No audit, no change: the record (about the Team about to be made) is stored first.
            let planned = Team::new(name.as_str(), spec.clone());
            let record = |result| {
                AuditRecord::new(
                    &user.username,
                    AuditAction::TeamCreate,
                    format!(
                        "groups {}; push-secret download {}{}",
                        planned.groups().join(", "),
                        if download { "on" } else { "off" },
                        match planned.delivery_namespaces() {
                            further if further.is_empty() => String::new(),
                            further => format!("; pull secret also in {}", further.join(", ")),
                        }
                    ),
                    result,
                )
            };
            state
                .audit
                .record(&planned, record(AuditResult::Allowed))
                .await?;
            match state.cluster.create_team(&name, spec).await {
                Ok(team) => {
                    let namespace = team.namespace_name();
                    let reconcile = &state.config.reconcile;
                    // The Team exists now: a failed check is said, not an error.
                    let gaps = match state.cluster.namespace_gaps(&namespace).await {
                        Ok(gaps) => gaps,
                        Err(error) => {
                            tracing::warn!(
                                namespace = %namespace,
                                reason = error.reason(),
                                error = %error,
                                "could not check a new team's namespace"
                            );
                            return Ok(Onboarded {
                                message: format!(
                                    "Team {} created. Berth could not check namespace \
                                     {namespace} ({}); the team's state below says what its \
                                     reconciler finds there.",
                                    team.name(),
                                    error.reason()
                                ),
                                commands: Vec::new(),
                            });
                        }
                    };
                    if gaps.is_empty() {
                        return Ok(Onboarded {
                            message: format!(
                                "Team {} created. Berth sets up its Harbor project, robots and \
                                 secrets in namespace {namespace} on its next pass; the team's \
                                 state below turns ready.",
                                team.name()
                            ),
                            commands: Vec::new(),
                        });
                    }
                    let lacking: Vec<String> =
                        gaps.iter().map(|g| g.describe(&namespace)).collect();
                    Ok(Onboarded {
                        message: format!(
                            "Team {} created, but Berth cannot set it up yet: {}. A cluster \
                             admin runs the commands below; Berth then finishes on its own.",
                            team.name(),
                            lacking.join("; ")
                        ),
                        commands: setup_commands(
                            &gaps,
                            &namespace,
                            &reconcile.lease_namespace,
                            &reconcile.service_account,
                        ),
                    })
                }
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
