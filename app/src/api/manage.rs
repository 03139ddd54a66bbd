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
        use crate::server::state::{app_state, fail, signed_in_user};
        use crate::server::teams::{can_manage, can_view};
        let user = signed_in_user().await?;
        let state = app_state()?;
        let Some(kind) = Purpose::parse(&purpose) else {
            return Err(fail(AppError::BadRequest(
                "Choose pull, push or builds.".into(),
            )));
        };
        let mode = state.config.oidc.group_match;
        let current = state
            .cluster
            .get_team(&team)
            .await
            .map_err(|e| fail(e.into()))?;
        let Some(current) = current.filter(|t| can_view(&user, t, mode)) else {
            return Err(fail(AppError::NotFound(format!(
                "There is no team named {team} that you can see."
            ))));
        };
        let record = |result, detail: String| AuditRecord {
            actor: user.username.clone(),
            action: "rotation-request",
            team: team.clone(),
            detail,
            result,
        };
        if !can_manage(
            &user,
            &current,
            &state.config.team_admin_group_of(&team),
            mode,
        ) {
            state
                .audit
                .record(&current, record(AuditResult::Denied, kind.as_str().into()))
                .await;
            return Err(fail(AppError::Forbidden(
                "Only platform admins and the team's admins can rotate its credentials.".into(),
            )));
        }
        // The value names the request; the reconciler acts once per new value and records it as handled.
        let value = format!(
            "{} by {}",
            k8s_openapi::jiff::Timestamp::now(),
            user.username
        );
        match state
            .cluster
            .annotate_team(&team, &kind.rotate_annotation(), &value)
            .await
        {
            Ok(updated) => {
                state
                    .audit
                    .record(&updated, record(AuditResult::Allowed, kind.as_str().into()))
                    .await;
                Ok(format!("Rotation of the {} credentials requested; the secret switches within seconds, the old robot keeps working for {} s.", kind.as_str(), state.config.reconcile.rotation_grace.as_secs()))
            }
            Err(error) => {
                state
                    .audit
                    .record(&current, record(AuditResult::Failed, kind.as_str().into()))
                    .await;
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
        use crate::server::cluster::team::TeamSpec;
        use crate::server::state::{app_state, fail, signed_in_user};
        use crate::server::teams::{is_platform_admin, valid_team_name};
        let user = signed_in_user().await?;
        let state = app_state()?;
        let name = name.trim().to_owned();
        if !is_platform_admin(&user) {
            tracing::info!(target: "berth::audit", audit = true, actor = %user.username, action = "team-create", team = %name, result = "denied", "audit");
            return Err(fail(AppError::Forbidden(
                "Only platform admins can create teams.".into(),
            )));
        }
        if !valid_team_name(&name) {
            return Err(fail(AppError::BadRequest("A team name is 1-40 lower-case letters, digits and dashes, not starting or ending with a dash.".into())));
        }
        let groups: Vec<String> = groups
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        let download = push_secret_download.is_some_and(|v| v == "on" || v == "true");
        let spec = TeamSpec {
            groups: groups.clone(),
            push_secret_download: download,
            ..Default::default()
        };
        match state.cluster.create_team(&name, spec).await {
            Ok(team) => {
                let detail = format!("groups={} download={download}", team.groups().join(","));
                state
                    .audit
                    .record(
                        &team,
                        AuditRecord {
                            actor: user.username.clone(),
                            action: "team-create",
                            team: name.clone(),
                            detail,
                            result: AuditResult::Allowed,
                        },
                    )
                    .await;
                Ok(format!("Team {name} created. Berth sets up its Harbor project, robots and secrets in namespace {} within seconds.", team.namespace_name()))
            }
            Err(error) if error.is_conflict() => Err(fail(AppError::BadRequest(format!(
                "A team named {name} already exists."
            )))),
            Err(error) => Err(fail(error.into())),
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
        use crate::server::state::{app_state, fail, signed_in_user};
        use crate::server::teams::is_platform_admin;
        let user = signed_in_user().await?;
        let state = app_state()?;
        let current = state
            .cluster
            .get_team(&team)
            .await
            .map_err(|e| fail(e.into()))?;
        let record = |result| AuditRecord {
            actor: user.username.clone(),
            action: "team-delete",
            team: team.clone(),
            detail: String::new(),
            result,
        };
        // Refused alike whether the team exists or not, so the answer tells a non-admin nothing.
        if !is_platform_admin(&user) {
            if let Some(current) = &current {
                state
                    .audit
                    .record(current, record(AuditResult::Denied))
                    .await;
            }
            return Err(fail(AppError::Forbidden(
                "Only platform admins can delete teams.".into(),
            )));
        }
        let Some(current) = current else {
            return Err(fail(AppError::NotFound(format!(
                "There is no team named {team}."
            ))));
        };
        if confirm.trim() != team {
            return Err(fail(AppError::BadRequest(format!(
                "To delete team {team}, type its name to confirm."
            ))));
        }
        match state.cluster.delete_team(&team).await {
            Ok(()) => {
                state
                    .audit
                    .record(&current, record(AuditResult::Allowed))
                    .await;
                Ok(format!("Team {team} is being deleted: its robots and secrets go, its Harbor project stays."))
            }
            Err(error) => {
                state
                    .audit
                    .record(&current, record(AuditResult::Failed))
                    .await;
                Err(fail(error.into()))
            }
        }
        },
    )
    .await
}
