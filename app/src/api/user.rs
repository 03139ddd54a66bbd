use crate::error::AppError;
use crate::model::UserView;
use leptos::prelude::*;

/// The signed-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<UserView>, AppError> {
    match crate::server::state::signed_in_user().await {
        Ok(user) => Ok(Some(user.view())),
        Err(AppError::Unauthenticated) => {
            // Not an error for this question: reset the 401 that signed_in_user set.
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::OK);
            }
            Ok(None)
        }
        Err(other) => Err(other),
    }
}
