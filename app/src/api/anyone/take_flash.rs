use crate::error::AppError;
use crate::model::Flash;
use leptos::prelude::*;

/// The outcome of the last form post, for the page it returned to; read once.
#[server(endpoint = "take_flash")]
pub async fn take_flash() -> Result<Option<Flash>, AppError> {
    crate::api::call::serve(async {
        let session = crate::server::state::request_session().await?;
        Ok(crate::server::views::flash::take(&session).await)
    })
    .await
}
