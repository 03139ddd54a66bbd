use crate::error::AppError;
use crate::model::Flash;
use leptos::prelude::*;

/// The outcome of the last form post, for the page it returned to; read once.
#[server(endpoint = "take_flash")]
pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer on a server function request");
        AppError::Internal
    })?;
    Ok(crate::server::views::flash::take(&session).await)
}
