//! The outcome of a form post, kept for the page the browser is sent back to. Every action form is
//! a plain HTML form (with JavaScript or without): the server function answers with a redirect to
//! the page it came from, and that page shows what happened once, then forgets it.
use crate::error::AppError;
use crate::model::Flash;
use leptos::prelude::*;
use std::future::Future;
use tower_sessions::Session;

const FLASH_KEY: &str = "berth.flash";

/// True for a browser's form post to a server function, which leptos_axum answers with a
/// redirect to the Referer: the outcome then has to travel in the session, and an error
/// status would stop the redirect.
pub fn is_form_post() -> bool {
    use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts.method == axum::http::Method::POST
            && parts.uri.path().starts_with("/api/")
            && parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Runs an action; after a form post, keeps its outcome (`ok` words a
/// success) under `id` for the page.
pub async fn after<T>(
    id: &'static str,
    ok: impl FnOnce(&T) -> String,
    action: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    after_with_commands(id, |value| (ok(value), Vec::new()), action).await
}

/// [`after`], for a success that also says which commands to run next.
pub async fn after_with_commands<T>(
    id: &'static str,
    ok: impl FnOnce(&T) -> (String, Vec<String>),
    action: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let result = action.await;
    if is_form_post() {
        let (message, commands) = match &result {
            Ok(value) => ok(value),
            Err(error) => (error.to_string(), Vec::new()),
        };
        let flash = Flash {
            id: id.to_owned(),
            ok: result.is_ok(),
            message,
            commands,
        };
        if let Ok(session) = leptos_axum::extract::<Session>().await {
            if let Err(error) = session.insert(FLASH_KEY, flash).await {
                tracing::warn!(
                    error = %error,
                    "could not keep an action's outcome for the next page"
                );
            }
        }
    }
    result
}

/// The outcome left for this page, removed as it is read (so a reload does not repeat it).
pub async fn take(session: &Session) -> Option<Flash> {
    // Read first: removing an absent key would still mark the session as
    // changed and cost a store write.
    match session.get::<Flash>(FLASH_KEY).await {
        Ok(Some(flash)) => {
            let _ = session.remove::<Flash>(FLASH_KEY).await;
            Some(flash)
        }
        _ => None,
    }
}
