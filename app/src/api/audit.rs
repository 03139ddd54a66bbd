use crate::error::AppError;
use crate::model::AuditLog;
use leptos::prelude::*;

/// At most this many records per page (newest first).
pub const AUDIT_PAGE: usize = 200;

/// The audit records still held as Kubernetes Events, newest first, filtered by team and action.
/// Platform admins see all of them; a team's admins see their teams' records; anyone else is refused.
#[server(endpoint = "load_audit_log")]
pub async fn load_audit_log(team: Option<String>, action: Option<String>) -> Result<AuditLog, AppError> {
    use crate::model::AuditEntry;
    use crate::server::state::{app_state, fail, signed_in_user};
    use crate::server::teams::can_manage;
    let user = signed_in_user().await?;
    let state = app_state()?;
    let team = team.filter(|t| !t.is_empty());
    let action = action.filter(|a| !a.is_empty());
    let visible: Option<Vec<String>> = if user.is_platform_admin {
        None
    } else {
        let teams = state.cluster.list_teams().await.map_err(|e| fail(e.into()))?;
        let mode = state.config.oidc.group_match;
        let managed: Vec<String> = teams.iter().filter(|t| can_manage(&user, t, &state.config.team_admin_group_of(&t.team_name()), mode)).map(|t| t.team_name()).collect();
        if managed.is_empty() {
            return Err(fail(AppError::Forbidden("The audit records are for platform admins and team admins.".into())));
        }
        Some(managed)
    };
    if let (Some(wanted), Some(visible)) = (&team, &visible) {
        if !visible.contains(wanted) {
            return Err(fail(AppError::Forbidden(format!("You can see the records of the teams you administer, not of {wanted}."))));
        }
    }
    let records = state.audit.stored_records(&state.cluster).await.map_err(|e| fail(e.into()))?;
    let matching: Vec<AuditEntry> = records
        .into_iter()
        .filter(|r| visible.as_ref().is_none_or(|v| v.contains(&r.team)))
        .filter(|r| team.as_ref().is_none_or(|t| &r.team == t))
        .filter(|r| action.as_ref().is_none_or(|a| &r.action == a))
        .map(|r| AuditEntry { time: r.time, actor: r.actor, action: r.action, team: r.team, detail: r.detail, result: r.result })
        .collect();
    let teams = match visible {
        Some(v) => v,
        None => {
            let mut all: Vec<String> = state.cluster.list_teams().await.map_err(|e| fail(e.into()))?.iter().map(|t| t.team_name()).collect();
            all.sort();
            all
        }
    };
    Ok(AuditLog { matching: matching.len(), entries: matching.into_iter().take(AUDIT_PAGE).collect(), teams, all_teams: user.is_platform_admin })
}
