//! Team management: rotation requests (platform admins and team admins), onboarding and offboarding
//! (platform admins). Each action is audited, refusals included; the reconciler does the work.
use crate::error::AppError;
use leptos::prelude::*;

/// Asks the reconciler to rotate one purpose's credentials (`pull`, `push` or `builds`): a new robot
/// with a new token, the secret switched to it, the old robot deleted after the grace period.
#[server(endpoint = "rotate_credentials")]
pub async fn rotate_credentials(team: String, purpose: String) -> Result<String, AppError> {
    crate::server::flash::after(
        "rotate-result",
        String::clone,
        async move {
        use crate::server::audit::{AuditRecord, AuditResult};
        use crate::server::reconcile::desired::Purpose;
        use crate::server::state::{app_state, fail, signed_in_user, team_argument, visible_team};
        use crate::server::teams::can_manage;
        let user = signed_in_user().await?;
        let state = app_state()?;
        let name = team_argument(&team)?;
        let Some(kind) = Purpose::parse(&purpose) else {
            return Err(fail(AppError::BadRequest(
                "Choose pull, push or builds.".into(),
            )));
        };
        let mode = state.config.oidc.group_match;
        let current = visible_team(&state, &user, &name, None).await?;
        let name = current.name();
        let record = |result| AuditRecord {
            actor: user.username.clone(),
            action: "rotation-request",
            detail: kind.as_str().into(),
            result,
        };
        if !can_manage(
            &user,
            &current,
            &state.config.team_admin_group_of(name.as_str()),
            mode,
        ) {
            state.audit.note(&current, record(AuditResult::Denied)).await;
            return Err(fail(AppError::Forbidden(
                "Only platform admins and the team's admins can rotate its credentials.".into(),
            )));
        }
        // No audit, no change: the record is stored before the request is.
        state
            .audit
            .record(&current, record(AuditResult::Allowed))
            .await
            .map_err(|e| fail(e.into()))?;
        // The value names the request; the reconciler acts once per new value and records it as handled.
        let value = format!(
            "{} by {}",
            k8s_openapi::jiff::Timestamp::now(),
            user.username
        );
        match state
            .cluster
            .annotate_team(&name, &kind.rotate_annotation(), &value)
            .await
        {
            Ok(_) => Ok(format!("Rotation of the {} credentials requested; the secret switches within seconds, the old robot keeps working for {} s.", kind.as_str(), state.config.reconcile.rotation_grace.as_secs())),
            Err(error) => {
                state.audit.note(&current, record(AuditResult::Failed)).await;
                Err(fail(error.into()))
            }
        }
        },
    )
    .await
}

/// Onboards a team: creates its Team resource. Its namespace must exist (Berth does not create
/// namespaces); the reconciler makes the Harbor project, robots and secrets. Platform admins only.
#[server(endpoint = "create_team")]
pub async fn create_team(
    name: String,
    groups: String,
    push_secret_download: Option<String>,
) -> Result<String, AppError> {
    crate::server::flash::after(
        "create-result",
        String::clone,
        async move {
        use crate::server::audit::{AuditRecord, AuditResult};
        use crate::server::cluster::team::{Team, TeamSpec};
        use crate::server::state::{app_state, fail, signed_in_user, team_argument};
        use crate::server::teams::is_platform_admin;
        let user = signed_in_user().await?;
        let state = app_state()?;
        if !is_platform_admin(&user) {
            // No Team is involved (none is created): the log line is the record.
            tracing::info!(target: "berth::audit", audit = true, actor = %user.username, action = "team-create", result = "denied", "audit");
            return Err(fail(AppError::Forbidden(
                "Only platform admins can create teams.".into(),
            )));
        }
        let name = team_argument(name.trim())?;
        let groups: Vec<String> = groups
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(bad) = groups.iter().find(|g| g.len() > 256 || g.chars().any(char::is_control)) {
            return Err(fail(AppError::BadRequest(format!(
                "A group is at most 256 characters without control characters; {:?} is not.",
                bad.chars().take(40).collect::<String>()
            ))));
        }
        let download = match push_secret_download.as_deref() {
            None | Some("") | Some("off") | Some("false") => false,
            Some("on") | Some("true") => true,
            Some(_) => {
                return Err(fail(AppError::BadRequest(
                    "push_secret_download is on, true, off or false (or absent).".into(),
                )))
            }
        };
        let spec = TeamSpec {
            groups: groups.clone(),
            push_secret_download: download,
            ..Default::default()
        };
        // No audit, no change: the record (about the Team about to be made) is stored first.
        let planned = Team::new(name.as_str(), spec.clone());
        let record = |result| AuditRecord {
            actor: user.username.clone(),
            action: "team-create",
            detail: format!("groups={} download={download}", planned.groups().join(",")),
            result,
        };
        state
            .audit
            .record(&planned, record(AuditResult::Allowed))
            .await
            .map_err(|e| fail(e.into()))?;
        match state.cluster.create_team(&name, spec).await {
            Ok(team) => Ok(format!("Team {} created. Berth sets up its Harbor project, robots and secrets in namespace {} within seconds.", team.name(), team.namespace_name())),
            Err(error) if error.is_conflict() => {
                state.audit.note(&planned, record(AuditResult::Failed)).await;
                Err(fail(AppError::BadRequest(format!("A team named {name} already exists."))))
            }
            Err(error) => {
                state.audit.note(&planned, record(AuditResult::Failed)).await;
                Err(fail(error.into()))
            }
        }
        },
    )
    .await
}

/// Offboards a team: deletes its Team resource; the reconciler removes its robots and secrets (the
/// Harbor project stays unless configured otherwise). `confirm` must repeat the team's name.
#[server(endpoint = "delete_team")]
pub async fn delete_team(team: String, confirm: String) -> Result<String, AppError> {
    crate::server::flash::after(
        "delete-result",
        String::clone,
        async move {
        use crate::server::audit::{AuditRecord, AuditResult};
        use crate::server::state::{app_state, fail, signed_in_user, team_argument};
        use crate::server::teams::is_platform_admin;
        let user = signed_in_user().await?;
        let state = app_state()?;
        let name = team_argument(&team)?;
        let current = state
            .cluster
            .get_team(&name)
            .await
            .map_err(|e| fail(e.into()))?;
        let record = |result| AuditRecord {
            actor: user.username.clone(),
            action: "team-delete",
            detail: String::new(),
            result,
        };
        // Refused alike whether the team exists or not, so the answer tells a non-admin nothing.
        if !is_platform_admin(&user) {
            if let Some(current) = &current {
                state.audit.note(current, record(AuditResult::Denied)).await;
            }
            return Err(fail(AppError::Forbidden(
                "Only platform admins can delete teams.".into(),
            )));
        }
        let Some(current) = current else {
            return Err(fail(AppError::NotFound(format!(
                "There is no team named {name}."
            ))));
        };
        let name = current.name();
        if confirm.trim() != name.as_str() {
            return Err(fail(AppError::BadRequest(format!(
                "To delete team {name}, type its name to confirm."
            ))));
        }
        // No audit, no change: the record is stored before the deletion.
        state
            .audit
            .record(&current, record(AuditResult::Allowed))
            .await
            .map_err(|e| fail(e.into()))?;
        match state.cluster.delete_team(&name).await {
            Ok(()) => Ok(format!("Team {name} is being deleted: its robots and secrets go, its Harbor project stays.")),
            Err(error) => {
                state.audit.note(&current, record(AuditResult::Failed)).await;
                Err(fail(error.into()))
            }
        }
        },
    )
    .await
}
