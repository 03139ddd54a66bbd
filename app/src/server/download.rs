//! `GET /teams/{team}/downloads/docker-config.json`: the team's push secret as a Docker `config.json`.
//! A file download is a plain route (a link works with JavaScript off); the rules are those of
//! `teams::download_decision`, and the secret is read only once they allow it.
use crate::server::audit::{AuditRecord, AuditResult};
use crate::server::auth::session::current_user;
use crate::server::docker_config;
use crate::server::plain::message_page;
use crate::server::state::AppState;
use crate::server::teams::{download_decision, DownloadDecision};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_sessions::Session;

pub const FORMAT_DOCKER_CONFIG: &str = "docker-config";

pub fn router() -> Router<AppState> {
    Router::new().route("/teams/{team}/downloads/docker-config.json", get(docker_config_download))
}

async fn docker_config_download(State(state): State<AppState>, session: Session, Path(team_name): Path<String>) -> Response {
    let back = (format!("/teams/{team_name}"), "Back to the team");
    let refuse = |status: StatusCode, title: &str, message: &str| message_page(status, title, message, (&back.0, back.1));
    let Some(user) = current_user(&session).await else {
        return refuse(StatusCode::UNAUTHORIZED, "Sign-in required", "Please sign in to download team credentials.");
    };
    let team = match state.cluster.get_team(&team_name).await {
        Ok(Some(team)) => team,
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "No such team", &format!("There is no team named {team_name}.")),
        Err(error) => {
            let message = crate::error::AppError::from(error).to_string();
            return refuse(StatusCode::BAD_GATEWAY, "Kubernetes unavailable", &message);
        }
    };
    let record = |result: AuditResult, detail: &str| AuditRecord {
        actor: user.username.clone(),
        action: "push-secret-download",
        team: team_name.clone(),
        detail: format!("{FORMAT_DOCKER_CONFIG}{detail}"),
        result,
    };
    match download_decision(&user, &team, state.config.oidc.group_match) {
        DownloadDecision::NotMember => {
            state.audit.record(&team, record(AuditResult::Denied, ", not a member")).await;
            return refuse(StatusCode::FORBIDDEN, "Not your team", &format!("You are not a member of team {team_name}."));
        }
        DownloadDecision::Disabled => {
            state.audit.record(&team, record(AuditResult::Denied, ", download disabled")).await;
            return refuse(
                StatusCode::FORBIDDEN,
                "Download disabled",
                &format!("Downloading the push secret is disabled for team {team_name}. A platform admin can enable it."),
            );
        }
        DownloadDecision::Allowed => {}
    }
    let namespace = team.namespace_name();
    let secret_name = &state.config.secret_names.push;
    let bytes = match state.cluster.docker_config_bytes(&namespace, secret_name).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            state.audit.record(&team, record(AuditResult::Failed, ", secret missing")).await;
            return refuse(
                StatusCode::NOT_FOUND,
                "Push secret missing",
                &format!("The secret {secret_name} in namespace {namespace} is missing or has no .dockerconfigjson."),
            );
        }
        Err(error) => {
            state.audit.record(&team, record(AuditResult::Failed, ", kubernetes error")).await;
            let message = crate::error::AppError::from(error).to_string();
            return refuse(StatusCode::BAD_GATEWAY, "Kubernetes unavailable", &message);
        }
    };
    if let Err(problem) = docker_config::check(&bytes, &state.config.harbor.registry_host) {
        state.audit.record(&team, record(AuditResult::Failed, ", secret malformed")).await;
        tracing::warn!(team = %team_name, problem = %problem, "push secret is not a usable docker config");
        return refuse(StatusCode::CONFLICT, "Push secret unusable", &format!("The push secret of team {team_name} is not usable: {problem}."));
    }
    state.audit.record(&team, record(AuditResult::Allowed, "")).await;
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"docker-config-{team_name}.json\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
