use crate::error::AppError;
use crate::model::AuditLog;
use leptos::prelude::*;

/// At most this many records per page (newest first).
pub const AUDIT_PAGE: usize = 200;

/// The audit records still held as Kubernetes Events, newest first, filtered by team
/// and action. Platform admins see all of them; a team's admins see their teams'
/// records; anyone else is refused.
#[server(endpoint = "load_audit_log")]
pub async fn load_audit_log(
    team: Option<String>,
    action: Option<String>,
) -> Result<AuditLog, AppError> {
    crate::api::call::serve(async move {
        use crate::model::AuditEntry;
        use crate::server::policy::can_manage;
        use crate::server::state::{app_state, signed_in_user, team_argument};
        use crate::vocabulary::AuditAction;
        let user = signed_in_user().await?;
        let state = app_state()?;
        // Filters from the address are checked like every other name before they
        // are compared with anything.
        let team = match team.filter(|t| !t.is_empty()) {
            Some(raw) => Some(team_argument(&raw)?.to_string()),
            None => None,
        };
        let action = match action.filter(|a| !a.is_empty()) {
            None => None,
            Some(raw) => match AuditAction::parse(&raw) {
                Some(action) => Some(action),
                None => {
                    return Err(AppError::BadRequest(format!(
                        "{:?} is not an audited action; choose one of {}.",
                        raw.chars().take(40).collect::<String>(),
                        AuditAction::ALL.map(AuditAction::as_str).join(", ")
                    ))
                    .into())
                }
            },
        };
        // The teams (for the filter and a team admin's scope) and the records, read together.
        let (teams, records) = tokio::join!(
            state.cluster.list_teams(),
            state.audit.stored_records(&state.cluster)
        );
        let teams = teams?;
        let mode = state.config.oidc.group_match;
        let teams: Vec<String> = teams
            .iter()
            .filter(|t| {
                user.is_platform_admin
                    || can_manage(
                        &user,
                        t,
                        &state.config.team_admin_group_of(&t.team_name()),
                        mode,
                    )
            })
            .map(|t| t.team_name())
            .collect();
        if !user.is_platform_admin && teams.is_empty() {
            return Err(AppError::Forbidden(
                "The audit records are for platform admins and team admins.".into(),
            )
            .into());
        }
        if let Some(wanted) = &team {
            if !user.is_platform_admin && !teams.contains(wanted) {
                return Err(AppError::Forbidden(format!(
                    "You can see the records of the teams you administer, not of {wanted}."
                ))
                .into());
            }
        }
        let matching: Vec<AuditEntry> = records?
            .into_iter()
            .filter(|r| user.is_platform_admin || teams.contains(&r.team))
            .filter(|r| team.as_ref().is_none_or(|t| &r.team == t))
            .filter(|r| action.is_none_or(|a| r.action == a))
            .collect();
        Ok(AuditLog {
            matching: matching.len(),
            entries: matching.into_iter().take(AUDIT_PAGE).collect(),
            teams,
            all_teams: user.is_platform_admin,
        })
    })
    .await
}
