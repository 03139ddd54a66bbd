//! `GET /teams/{team}/downloads/{file}`: the team's push secret as a Docker `config.json`, a
//! containers `auth.json`, a Kubernetes Secret manifest or the password alone. File downloads are
//! plain routes (a link works with JavaScript off); the rules are those of
//! `policy::download_decision`, the secret is read only once they allow it, and every answer about
//! an existing team (refusals included) is audited with its format. An address that names no team
//! by the team-name rule is refused before anything is read; the secret leaves Berth only once its
//! audit record is stored.
use crate::api::call::ServerError;
use crate::model::DownloadFormat;
use crate::names::TeamName;
use crate::server::audit::{AuditAction, AuditRecord, AuditResult, AUDIT_DOWN};
use crate::server::auth::session::{read_user, SESSION_STORE_DOWN};
use crate::server::cluster::docker_config;
use crate::server::policy::{download_decision, DownloadDecision};
use crate::server::state::{no_visible_team, visible_team, AppState};
use crate::server::views::plain::message_page;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use secrecy::ExposeSecret;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new().route("/teams/{team}/downloads/{file}", get(download))
}

#[derive(serde::Deserialize)]
struct DownloadQuery {
    /// For the Secret manifest: the namespace it is meant for (the team's own when absent).
    namespace: Option<String>,
    /// `copy` when the page's copy button fetched the password (audited as such, apart from a
    /// saved password file).
    via: Option<String>,
}

/// A Kubernetes namespace name: an RFC 1123 label.
pub fn valid_namespace(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

async fn download(
    State(state): State<AppState>,
    session: Session,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<DownloadQuery>, QueryRejection>,
) -> Response {
    // Every part of the address is checked before anything is read: a path that does not decode, an
    // unknown file, a name that is not a team name.
    let home = ("/", "Back to your teams");
    let Ok(Path((raw_team, file))) = path else {
        return message_page(
            StatusCode::NOT_FOUND,
            "No such download",
            "This address is not a download Berth offers.",
            home,
        );
    };
    let Some(format) = DownloadFormat::from_route_file(&file) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "No such download",
            &format!(
                "Berth offers these downloads: {}.",
                DownloadFormat::ALL
                    .map(DownloadFormat::route_file)
                    .join(", ")
            ),
            home,
        );
    };
    let team_name = match TeamName::parse(&raw_team) {
        Ok(name) => name,
        Err(problem) => {
            return message_page(
                StatusCode::NOT_FOUND,
                "No such team",
                &problem.to_string(),
                home,
            )
        }
    };
    let Ok(Query(query)) = query else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Invalid address",
            "The only option of a download is namespace=<name>, for the Secret manifest.",
            home,
        );
    };
    let back = (format!("/teams/{team_name}"), "Back to the team");
    let refuse = |status: StatusCode, title: &str, message: &str| {
        message_page(status, title, message, (&back.0, back.1))
    };
    let user = match read_user(&session).await {
        Ok(Some(user)) => user,
        Ok(None) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "Sign-in required",
                "Please sign in to download team credentials.",
            )
        }
        Err(error) => {
            tracing::error!(error = %error, "could not read the session");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sessions unavailable",
                SESSION_STORE_DOWN,
            );
        }
    };
    let record = |result: AuditResult, detail: &str| {
        AuditRecord::new(
            &user.username,
            AuditAction::PushSecretDownload,
            format!("{}{detail}", format.audit_name()),
            result,
        )
    };
    // Someone else's team answers like a missing one (and is audited), so team names do not leak.
    let hidden = record(AuditResult::Denied, ", not a member");
    let team = match visible_team(&state, &user, &team_name, Some(hidden)).await {
        Ok(team) => team,
        Err(ServerError::Answer(error)) => {
            return refuse(StatusCode::NOT_FOUND, "No such team", &error.to_string())
        }
        Err(error) => {
            let message = error.logged().to_string();
            return refuse(StatusCode::BAD_GATEWAY, "Kubernetes unavailable", &message);
        }
    };
    // From here on the team's name is the one the apiserver holds it under.
    let team_name = team.name();
    match download_decision(&user, &team, state.config.oidc.group_match) {
        DownloadDecision::NotMember => {
            // `visible_team` let only a team this user may see through.
            return refuse(
                StatusCode::NOT_FOUND,
                "No such team",
                &no_visible_team(&team_name).to_string(),
            );
        }
        DownloadDecision::Disabled => {
            state
                .audit
                .note(&team, record(AuditResult::Denied, ", download disabled"))
                .await;
            return refuse(
                StatusCode::FORBIDDEN,
                "Download disabled",
                &format!(
                    "Downloading the push secret is disabled for team {team_name}. A platform \
                     admin can enable it."
                ),
            );
        }
        DownloadDecision::Allowed => {}
    }
    if let Err(retry_after) = state
        .download_limiter
        .take(&user.subject, std::time::Instant::now())
    {
        state
            .audit
            .note(&team, record(AuditResult::Denied, ", rate limited"))
            .await;
        let mut response = refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many downloads",
            &format!(
                "You downloaded the push secret {} times within {} minutes. Try again in {} s.",
                state.config.download_limit,
                state.config.download_window.as_secs().div_ceil(60),
                retry_after.as_secs()
            ),
        );
        if let Ok(value) = retry_after.as_secs().to_string().parse() {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return response;
    }
    let manifest_namespace = query
        .namespace
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| team.namespace_name());
    if format == DownloadFormat::KubernetesSecret && !valid_namespace(&manifest_namespace) {
        state
            .audit
            .note(&team, record(AuditResult::Denied, ", invalid namespace"))
            .await;
        return refuse(
            StatusCode::BAD_REQUEST,
            "Invalid namespace",
            "A namespace name is lowercase letters, digits and '-', at most 63 characters.",
        );
    }
    let namespace = team.namespace_name();
    let secret_name = &state.config.secret_names.push;
    let bytes = match state
        .cluster
        .docker_config_bytes(&namespace, secret_name)
        .await
    {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            state
                .audit
                .note(&team, record(AuditResult::Failed, ", secret missing"))
                .await;
            return refuse(
                StatusCode::NOT_FOUND,
                "Push secret missing",
                &format!(
                    "The secret {secret_name} in namespace {namespace} is missing or has no \
                     .dockerconfigjson. Berth recreates it within a resync period; try again \
                     shortly."
                ),
            );
        }
        Err(error) => {
            state
                .audit
                .note(&team, record(AuditResult::Failed, ", kubernetes error"))
                .await;
            let message = ServerError::from(error).logged().to_string();
            return refuse(StatusCode::BAD_GATEWAY, "Kubernetes unavailable", &message);
        }
    };
    let host = &state.config.harbor.registry_host;
    let (username, password) = match docker_config::credentials(&bytes, host) {
        Ok(credentials) => credentials,
        Err(problem) => {
            state
                .audit
                .note(&team, record(AuditResult::Failed, ", secret malformed"))
                .await;
            tracing::warn!(
                team = %team_name,
                problem = %problem,
                "push secret is not a usable docker config"
            );
            return refuse(
                StatusCode::CONFLICT,
                "Push secret unusable",
                &format!("The push secret of team {team_name} is not usable: {problem}."),
            );
        }
    };
    let (content_type, body) = match format {
        DownloadFormat::DockerConfig => ("application/json", bytes),
        DownloadFormat::ContainersAuth => (
            "application/json",
            docker_config::render_containers_auth(host, &username, &password)
                .expose_secret()
                .as_bytes()
                .to_vec(),
        ),
        DownloadFormat::KubernetesSecret => {
            let manifest =
                docker_config::render_kubernetes_secret(secret_name, &manifest_namespace, &bytes);
            (
                "application/yaml",
                manifest.expose_secret().as_bytes().to_vec(),
            )
        }
        DownloadFormat::Password => (
            "text/plain; charset=utf-8",
            password.expose_secret().as_bytes().to_vec(),
        ),
    };
    let detail = match format {
        DownloadFormat::KubernetesSecret => format!(", namespace {manifest_namespace}"),
        DownloadFormat::Password if query.via.as_deref() == Some("copy") => {
            ", copied to the clipboard".to_owned()
        }
        _ => String::new(),
    };
    // No audit, no secret: the body leaves Berth only once its record is stored.
    if let Err(error) = state
        .audit
        .record(&team, record(AuditResult::Allowed, &detail))
        .await
    {
        tracing::error!(
            team = %team_name,
            reason = error.reason(),
            "push secret not sent: its download could not be audited"
        );
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "Download not recorded",
            AUDIT_DOWN,
        );
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}\"",
                    format.saved_as(team_name.as_str())
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn namespaces_are_rfc1123_labels() {
        assert!(super::valid_namespace("team-alpha"));
        assert!(super::valid_namespace(&"a".repeat(63)));
        assert!(!super::valid_namespace(&"a".repeat(64)));
        assert!(!super::valid_namespace("Team"));
        assert!(!super::valid_namespace("-a"));
        assert!(!super::valid_namespace("a/b"));
        assert!(!super::valid_namespace(""));
    }
}
