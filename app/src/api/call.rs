//! How a server function answers a failure: its body returns a [`ServerError`] that keeps the
//! cause, and [`serve`] turns it into the user's [`AppError`] in one place, logging it once (with
//! its stable `reason`) and setting the HTTP status once. Conversions into these errors neither log
//! nor set a status, so nothing is said twice.
use crate::error::AppError;
use crate::server::audit::{AuditError, AUDIT_DOWN};
use crate::server::auth::session::SESSION_STORE_DOWN;
use crate::server::cluster::ClusterError;
use crate::server::harbor::HarborError;
use crate::server::state::error_chain;
use leptos::prelude::use_context;
use leptos::server_fn::error::ServerFnErrorErr;
use std::future::Future;

/// Why a server function (or a plain route asking the same upstreams) did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Berth's own answer (a refusal, a bad argument, a team the user cannot see): the text is for
    /// the user as it is.
    #[error("{0}")]
    Answer(AppError),
    #[error("harbor call failed")]
    Harbor(#[from] HarborError),
    #[error("kubernetes call failed")]
    Cluster(#[from] ClusterError),
    /// No audit, no action: the user is told the action was not carried out.
    #[error("action refused: its audit record could not be stored")]
    Audit(#[from] AuditError),
    #[error("could not read the session")]
    Session(#[source] tower_sessions::session::Error),
    /// Something Berth's own router provides (its state, the session layer) was missing.
    #[error("{0}")]
    Wiring(&'static str),
    /// The call could not be read (missing or malformed arguments) or failed outside the body.
    #[error("the server function call failed")]
    Call(#[source] ServerFnErrorErr),
}

impl From<AppError> for ServerError {
    fn from(error: AppError) -> Self {
        ServerError::Answer(error)
    }
}

impl ServerError {
    /// A short stable identifier for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            ServerError::Answer(error) => error.reason(),
            ServerError::Harbor(error) => error.reason(),
            ServerError::Cluster(error) => error.reason(),
            ServerError::Audit(error) => error.reason(),
            ServerError::Session(_) => "session-store-failed",
            ServerError::Wiring(_) => "server-wiring",
            ServerError::Call(error) if is_malformed(error) => "malformed-call",
            ServerError::Call(_) => "call-failed",
        }
    }

    /// What the user is told: the upstream's failure in words, never its internals.
    fn user_error(&self) -> AppError {
        match self {
            ServerError::Answer(error) => error.clone(),
            ServerError::Harbor(error) => AppError::Upstream(format!("{error}.")),
            ServerError::Cluster(error) => AppError::Upstream(format!("{error}.")),
            ServerError::Audit(_) => AppError::Unavailable(AUDIT_DOWN.into()),
            ServerError::Session(_) => AppError::Upstream(SESSION_STORE_DOWN.into()),
            ServerError::Wiring(_) => AppError::Internal,
            ServerError::Call(error) if is_malformed(error) => {
                let path = request_path();
                let endpoint = path.rsplit('/').next().unwrap_or_default();
                AppError::BadRequest(match crate::api::expected_arguments(endpoint) {
                    Some(expected) => {
                        format!("This request is not one Berth understands: {expected}")
                    }
                    None => "This request is not one Berth understands.".to_owned(),
                })
            }
            ServerError::Call(_) => AppError::Internal,
        }
    }

    /// Logs the failure (once: here) and gives the user's error, for a part of a page that carries
    /// its own result or a plain route that words its own answer.
    pub fn logged(self) -> AppError {
        let path = request_path();
        let reason = self.reason();
        let error = error_chain(&self);
        match &self {
            // Berth's own refusals: audited where they matter, the caller's business otherwise.
            ServerError::Answer(_) => {
                tracing::debug!(path = %path, reason, error = %error, "server function refused")
            }
            ServerError::Call(e) if is_malformed(e) => {
                tracing::info!(
                    path = %path,
                    reason,
                    error = %error,
                    "server function called with arguments it does not take"
                )
            }
            ServerError::Harbor(_) | ServerError::Cluster(_) => {
                tracing::warn!(
                    path = %path,
                    reason,
                    error = %error,
                    "server function failed upstream"
                )
            }
            ServerError::Audit(_)
            | ServerError::Session(_)
            | ServerError::Wiring(_)
            | ServerError::Call(_) => {
                tracing::error!(path = %path, reason, error = %error, "server function failed")
            }
        }
        self.user_error()
    }

    /// [`ServerError::logged`], and the HTTP status of the current response set from it. Not for a
    /// browser's form post: leptos_axum answers it with a redirect back to the form's page (where
    /// the outcome is shown), which an error status would replace with a bare error body.
    pub fn answer(self) -> AppError {
        let error = self.logged();
        if !crate::server::views::flash::is_form_post() {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(
                    axum::http::StatusCode::from_u16(error.status())
                        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
        error
    }
}

/// Runs a server function's body; a failure is logged once and sets the response's status once.
/// Every server function in `api/` goes through it (a form's, inside `views::flash::after`).
pub async fn serve<T>(body: impl Future<Output = Result<T, ServerError>>) -> Result<T, AppError> {
    body.await.map_err(ServerError::answer)
}

/// The failure of one part of a page that carries its own result (the rest of the page still
/// shows): logged once, in the user's words, without touching the response's status.
pub fn part_failed(error: impl Into<ServerError>) -> AppError {
    error.into().logged()
}

/// A server-function call whose arguments could not be read: 400 naming what the function takes.
/// The decoder's message is logged, never shown.
pub fn malformed_call(error: ServerFnErrorErr) -> AppError {
    ServerError::Call(error).answer()
}

fn is_malformed(error: &ServerFnErrorErr) -> bool {
    matches!(
        error,
        ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_)
    )
}

fn request_path() -> String {
    use_context::<axum::http::request::Parts>()
        .map(|parts| parts.uri.path().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_keeps_its_message_and_status() {
        let audit = ServerError::Audit(AuditError::Store(
            kube::Error::LinesCodecMaxLineLengthExceeded,
        ));
        assert_eq!(audit.reason(), "audit-store-failed");
        let shown = audit.logged();
        assert_eq!(shown, AppError::Unavailable(AUDIT_DOWN.into()));
        assert_eq!(shown.status(), 503);
        let refused = ServerError::from(AppError::Forbidden("No.".into()));
        assert_eq!(refused.reason(), "forbidden");
        assert_eq!(refused.logged(), AppError::Forbidden("No.".into()));
        let wiring = ServerError::Wiring("AppState missing");
        assert_eq!(wiring.logged().status(), 500);
        let harbor = ServerError::from(HarborError::Status {
            operation: "listing robot accounts",
            status: reqwest::StatusCode::BAD_GATEWAY,
        });
        assert_eq!(harbor.reason(), "HarborRefused");
        assert_eq!(
            harbor.logged(),
            AppError::Upstream("Harbor answered 502 Bad Gateway to listing robot accounts.".into())
        );
        let malformed = ServerError::Call(ServerFnErrorErr::MissingArg("team".into()));
        assert_eq!(malformed.reason(), "malformed-call");
        assert_eq!(
            malformed.logged(),
            AppError::BadRequest("This request is not one Berth understands.".into())
        );
    }
}
