//! The OIDC user-conflict fixer: after an identity provider is redeployed, Harbor refuses
//! the person's next sign-in ("the user with same username or email has been onboarded")
//! because a stale account holds the name. A platform admin finds that account and removes
//! it with `DELETE /users/{id}`.
use crate::error::AppError;
use crate::model::HarborUserView;
use leptos::prelude::*;

/// Harbor accounts whose username or e-mail contains `query`. An empty query finds nobody without
/// asking Harbor: the page sends it before any search, so a non-admin is refused (403) at once.
#[server(endpoint = "search_harbor_users")]
pub async fn search_harbor_users(query: String) -> Result<Vec<HarborUserView>, AppError> {
    crate::api::call::serve(async move {
        use crate::server::harbor::valid_user_search;
        use crate::server::state::{app_state, signed_in_user};
        let user = signed_in_user().await?;
        if !user.is_platform_admin {
            return Err(AppError::Forbidden(
                "Only platform admins can manage Harbor users.".into(),
            )
            .into());
        }
        let query = query.trim().to_owned();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        if !valid_user_search(&query) {
            return Err(AppError::BadRequest(
                "Search for at least 2 characters of a username or e-mail, without spaces, \
                 commas, quotes, brackets, '=' or '~'."
                    .into(),
            )
            .into());
        }
        let state = app_state()?;
        let users = state.harbor.search_users(&query).await?;
        with_identities(&state, users).await
    })
    .await
}

/// Accounts read one by one for their OIDC record; a broader search shows the rest without it.
pub const IDENTITIES_READ: usize = 20;

/// Harbor's list leaves out the OIDC record, so the first [`IDENTITIES_READ`] accounts are read
/// one by one (four at a time). An account gone meanwhile is left out; one Harbor cannot read
/// is shown without it (this page is for a Harbor in trouble, and one bad row must not hide it).
#[cfg(feature = "ssr")]
async fn with_identities(
    state: &crate::server::state::AppState,
    users: Vec<crate::server::harbor::HarborUser>,
) -> Result<Vec<HarborUserView>, crate::api::call::ServerError> {
    use crate::model::HarborIdentity;
    use futures::stream::{self, StreamExt};
    let issuer = state.config.oidc.issuer.as_str();
    let views: Vec<Option<HarborUserView>> = stream::iter(users.into_iter().enumerate())
        .map(|(index, listed)| async move {
            if index >= IDENTITIES_READ {
                return Some(view_of(listed, HarborIdentity::NotRead));
            }
            match state.harbor.get_user(listed.user_id).await {
                Ok(None) => None,
                Ok(Some(user)) => {
                    let identity = identity_of(&user, issuer);
                    Some(view_of(user, identity))
                }
                Err(error) => {
                    let _logged = crate::api::call::part_failed(error);
                    Some(view_of(listed, HarborIdentity::Unreadable))
                }
            }
        })
        .buffered(4)
        .collect()
        .await;
    Ok(views.into_iter().flatten().collect())
}

#[cfg(feature = "ssr")]
fn identity_of(
    user: &crate::server::harbor::HarborUser,
    issuer: &str,
) -> crate::model::HarborIdentity {
    use crate::model::HarborIdentity;
    match &user.oidc_user_meta {
        None => HarborIdentity::Local,
        Some(meta) => match meta.subject_under(issuer) {
            Ok(subject) => HarborIdentity::Subject(subject),
            Err(subiss) => HarborIdentity::OtherIssuer(subiss),
        },
    }
}

/// Removes a Harbor account; `confirm` must repeat its username. Harbor
/// admins are refused. Audited.
#[server(endpoint = "delete_harbor_user")]
pub async fn delete_harbor_user(user_id: i64, confirm: String) -> Result<String, AppError> {
    crate::server::views::flash::after(
        "user-delete-result",
        String::clone,
        crate::api::call::serve(async move {
            use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
            use crate::server::state::{app_state, signed_in_user};
            let user = signed_in_user().await?;
            let state = app_state()?;
            let record = |result, detail: String| {
                AuditRecord::new(
                    &user.username,
                    AuditAction::HarborUserDelete,
                    detail,
                    result,
                )
            };
            // Harbor's user ids are positive; anything else names nobody and is not sent to Harbor.
            if user_id <= 0 {
                return Err(AppError::BadRequest(format!(
                    "A Harbor user id is a whole number above 0, not {user_id}."
                ))
                .into());
            }
            if !user.is_platform_admin {
                state
                    .audit
                    .note_harbor_user(
                        &format!("id-{user_id}"),
                        record(AuditResult::Denied, format!("user id {user_id}")),
                    )
                    .await;
                return Err(AppError::Forbidden(
                    "Only platform admins can manage Harbor users.".into(),
                )
                .into());
            }
            // Read it again: the confirmation must match the account being
            // removed now, not a stale list.
            let Some(target) = state.harbor.get_user(user_id).await? else {
                return Err(AppError::NotFound(format!(
                    "Harbor has no user with id {user_id} (already removed?)."
                ))
                .into());
            };
            let detail = format!(
                "user {} (id {user_id}, created {})",
                target.username,
                target.creation_time.as_deref().unwrap_or("unknown")
            );
            if confirm.trim() != target.username {
                return Err(AppError::BadRequest(format!(
                    "To remove {}, type the username to confirm.",
                    target.username
                ))
                .into());
            }
            if target.sysadmin_flag || user_id == 1 {
                state
                    .audit
                    .note_harbor_user(
                        &target.username,
                        record(AuditResult::Denied, format!("{detail}, a Harbor admin")),
                    )
                    .await;
                return Err(AppError::Forbidden(format!(
                    "{} is a Harbor admin; Berth does not remove admins.",
                    target.username
                ))
                .into());
            }
            // No audit, no change: the record is stored before the account is removed.
            state
                .audit
                .record_harbor_user(
                    &target.username,
                    record(AuditResult::Allowed, detail.clone()),
                )
                .await?;
            match state.harbor.delete_user(user_id).await {
                Ok(()) => Ok(format!(
                    "Harbor user {} removed. They can sign in to Harbor again; Harbor creates a \
                     fresh account.",
                    target.username
                )),
                Err(error) => {
                    state
                        .audit
                        .note_harbor_user(&target.username, record(AuditResult::Failed, detail))
                        .await;
                    Err(error.into())
                }
            }
        }),
    )
    .await
}

#[cfg(feature = "ssr")]
fn view_of(
    user: crate::server::harbor::HarborUser,
    identity: crate::model::HarborIdentity,
) -> HarborUserView {
    HarborUserView {
        id: user.user_id,
        is_admin: user.sysadmin_flag || user.user_id == 1,
        identity,
        last_sign_in: user.oidc_user_meta.and_then(|meta| meta.update_time),
        username: user.username,
        email: user.email.unwrap_or_default(),
        realname: user.realname.unwrap_or_default(),
        created: user.creation_time,
    }
}
