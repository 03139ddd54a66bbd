//! The one application state, handed to the router and (as context) to every server function.
use crate::error::AppError;
use crate::names::TeamName;
use crate::server::audit::{Audit, AuditRecord};
use crate::server::auth::oidc::Oidc;
use crate::server::auth::session::{read_user, SessionUser};
use crate::server::cluster::crd::Team;
use crate::server::cluster::{Cluster, ClusterError};
use crate::server::config::Config;
use crate::server::harbor::{HarborClient, HarborError};
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
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The signed-in user of the current request, if any, from a server function.
pub async fn session_user() -> Result<Option<SessionUser>, AppError> {
    let session: Session = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer on a server function request");
        AppError::Internal
    })?;
    read_user(&session).await.map_err(|e| {
        tracing::error!(error = %e, "could not read the session");
        fail(AppError::Upstream(
            crate::server::auth::session::SESSION_STORE_DOWN.into(),
        ))
    })
}

/// The signed-in user of the current request; 401 when there is none.
pub async fn signed_in_user() -> Result<SessionUser, AppError> {
    session_user()
        .await?
        .ok_or_else(|| fail(AppError::Unauthenticated))
}

/// A team name given as a server function's argument; 400 with the rule when it is not one, before
/// anything is asked of Kubernetes or Harbor.
pub fn team_argument(raw: &str) -> Result<TeamName, AppError> {
    TeamName::parse(raw).map_err(|problem| fail(AppError::BadRequest(problem.to_string())))
}

/// The Team `name` when `user` may see it. A missing team and another team's answer alike (404), so
/// team names do not leak; `hidden` is audited (as a refusal) when the team exists but is not theirs.
pub async fn visible_team(
    state: &AppState,
    user: &SessionUser,
    name: &TeamName,
    hidden: Option<AuditRecord>,
) -> Result<Team, AppError> {
    let team = state
        .cluster
        .get_team(name)
        .await
        .map_err(|e| fail(e.into()))?;
    match team {
        Some(team) if can_view(user, &team, state.config.oidc.group_match) => Ok(team),
        found => {
            if let (Some(team), Some(record)) = (found, hidden) {
                state.audit.note(&team, record).await;
            }
            Err(fail(AppError::NotFound(format!(
                "There is no team named {name} that you can see."
            ))))
        }
    }
}

/// A server-function call whose arguments could not be read: 400 naming what the function takes. The
/// decoder's message is logged, never shown.
pub fn malformed_call(error: leptos::server_fn::error::ServerFnErrorErr) -> AppError {
    use leptos::server_fn::error::ServerFnErrorErr as E;
    let path = use_context::<axum::http::request::Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default();
    match error {
        E::Args(_) | E::MissingArg(_) | E::Deserialization(_) => {
            tracing::info!(path = %path, error = %error, "server function called with arguments it does not take");
            let endpoint = path.rsplit('/').next().unwrap_or_default();
            fail(AppError::BadRequest(
                match crate::api::expected_arguments(endpoint) {
                    Some(expected) => {
                        format!("This request is not one Berth understands: {expected}")
                    }
                    None => "This request is not one Berth understands.".to_owned(),
                },
            ))
        }
        other => {
            tracing::error!(path = %path, error = %other, "server function failed outside its body");
            fail(AppError::Internal)
        }
    }
}

/// Sets the HTTP status of the current server-function response from the error, and returns it.
/// Not for a browser's form post: leptos_axum answers it with a redirect back to the form's page (where
/// the outcome is shown), which an error status would replace with a bare error body.
pub fn fail(error: AppError) -> AppError {
    if crate::server::views::flash::is_form_post() {
        return error;
    }
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            axum::http::StatusCode::from_u16(error.status())
                .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    error
}

/// An error with all its causes, for the log (the errors of every layer are built to hold no secrets).
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

impl From<HarborError> for AppError {
    fn from(error: HarborError) -> Self {
        tracing::warn!(error = %error_chain(&error), "harbor call failed");
        AppError::Upstream(format!("{error}."))
    }
}

/// No audit, no action: the user is told the action was not carried out.
impl From<crate::server::audit::AuditError> for AppError {
    fn from(error: crate::server::audit::AuditError) -> Self {
        tracing::error!(error = %error_chain(&error), reason = error.reason(), "action refused: its audit record could not be stored");
        AppError::Unavailable(crate::server::audit::AUDIT_DOWN.into())
    }
}

impl From<ClusterError> for AppError {
    fn from(error: ClusterError) -> Self {
        tracing::warn!(error = %error_chain(&error), "kubernetes call failed");
        AppError::Upstream(format!("{error}."))
    }
}
