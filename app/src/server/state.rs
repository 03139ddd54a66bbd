//! The one application state, handed to the router and (as context) to every server function.
use crate::api::call::ServerError;
use crate::error::AppError;
use crate::names::TeamName;
use crate::server::audit::{Audit, AuditRecord};
use crate::server::auth::oidc::Oidc;
use crate::server::auth::session::{read_user, SessionUser};
use crate::server::cluster::crd::Team;
use crate::server::cluster::Cluster;
use crate::server::config::Config;
use crate::server::harbor::HarborClient;
use crate::server::policy::can_view;
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;
use tower_sessions::Session;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub config: Arc<Config>,
    pub harbor: HarborClient,
    pub cluster: Cluster,
    pub oidc: Arc<Oidc>,
    pub audit: Audit,
    pub metrics: Arc<crate::server::metrics::Metrics>,
    pub sessions: crate::server::http::sessions::SessionBackend,
    pub download_limiter: Arc<crate::server::http::ratelimit::DownloadLimiter>,
}

/// The state, from a server function.
pub fn app_state() -> Result<AppState, ServerError> {
    use_context::<AppState>().ok_or(ServerError::Wiring(
        "AppState missing from the server function context",
    ))
}

/// The current request's session, from a server function.
pub async fn request_session() -> Result<Session, ServerError> {
    leptos_axum::extract()
        .await
        .map_err(|_| ServerError::Wiring("no session layer on a server function request"))
}

/// The signed-in user of the current request, if any, from a server function.
pub async fn session_user() -> Result<Option<SessionUser>, ServerError> {
    read_user(&request_session().await?)
        .await
        .map_err(ServerError::Session)
}

/// The signed-in user of the current request; 401 when there is none.
pub async fn signed_in_user() -> Result<SessionUser, ServerError> {
    Ok(session_user().await?.ok_or(AppError::Unauthenticated)?)
}

/// A team name given as a server function's argument; 400 with the rule when it is not one, before
/// anything is asked of Kubernetes or Harbor.
pub fn team_argument(raw: &str) -> Result<TeamName, ServerError> {
    Ok(TeamName::parse(raw).map_err(|problem| AppError::BadRequest(problem.to_string()))?)
}

/// The answer about a team that is missing or not the user's: the same words for both, so team
/// names do not leak.
pub fn no_visible_team(name: &TeamName) -> AppError {
    AppError::NotFound(format!("There is no team named {name} that you can see."))
}

/// The Team `name` when `user` may see it. A missing team and another team's answer
/// alike ([`no_visible_team`], 404); `hidden` is audited (as a refusal) when the team
/// exists but is not theirs.
pub async fn visible_team(
    state: &AppState,
    user: &SessionUser,
    name: &TeamName,
    hidden: Option<AuditRecord>,
) -> Result<Team, ServerError> {
    match state.cluster.get_team(name).await? {
        Some(team) if can_view(user, &team, state.config.oidc.group_match) => Ok(team),
        found => {
            if let (Some(team), Some(record)) = (found, hidden) {
                state.audit.note(&team, record).await;
            }
            Err(no_visible_team(name).into())
        }
    }
}

/// An error with all its causes, for the log (the errors of every layer are
/// built to hold no secrets).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_team_out_of_sight_is_one_message() {
        let name = crate::names::TeamName::parse("alpha").unwrap();
        let error = super::no_visible_team(&name);
        assert_eq!(error.status(), 404);
        assert_eq!(
            error.to_string(),
            "There is no team named alpha that you can see."
        );
    }
}
