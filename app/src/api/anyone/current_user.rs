use crate::error::AppError;
use crate::model::UserView;
use leptos::prelude::*;

/// The signed-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    crate::api::call::serve(async {
        Ok(crate::server::state::session_user()
            .await?
            .map(|user| user.view()))
    })
    .await
}
