use crate::error::AppError;
use leptos::prelude::*;

/// The groups the identity provider gave the signed-in person at sign-in, as Berth matches them:
/// what a person in no team quotes when asking to be added. Asked only by the page that shows
/// them, not by the header on every page.
#[server(endpoint = "my_groups")]
pub async fn my_groups() -> Result<Vec<String>, AppError> {
    crate::api::call::serve(async {
        let user = crate::server::state::signed_in_user().await?;
        Ok(user.groups)
    })
    .await
}
