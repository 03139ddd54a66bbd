use super::admin::AdminNav;
use crate::api::platform_admin::{search_harbor_users, DeleteHarborUser, IDENTITIES_READ};
use crate::components::{
    col, short_time, DataTable, ErrorNote, FlashNote, Loading, SubmitButton, BUTTON, INPUT,
};
use crate::error::AppError;
use crate::model::{HarborIdentity, HarborUserView};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The OIDC user-conflict fixer: find the stale Harbor account that blocks a person's sign-in to
/// Harbor after an identity provider redeploy, and remove it after typing its username.
#[component]
pub fn HarborUsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let users = Resource::new(search, |q| async move {
        let searched = !q.trim().is_empty();
        search_harbor_users(q)
            .await
            .map(|found| searched.then_some(found))
    });
    view! {
        <Title text="Harbor users" />
        <FlashNote />
        // The search form shows only once the server has said this person may use it (admins get an
        // empty answer to the empty query the page starts with).
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match users.await {
                    Err(
                        error,
                    ) if !matches!(error, AppError::BadRequest(_) | AppError::Upstream(_)) => {
                        // Refused: the reason only. A bad query or a Harbor failure
                        // comes after the admin check.
                        view! {
                            <h1 class="text-2xl font-semibold">"Harbor users"</h1>
                            <div class="mt-4">
                                <ErrorNote error />
                            </div>
                        }
                            .into_any()
                    }
                    found => {
                        view! {
                            <AdminNav platform_admin=true />
                            <h1 class="text-2xl font-semibold">"Harbor users"</h1>
                            <p class="mt-1 max-w-3xl text-sm text-slate-700 dark:text-slate-300">
                                "When Harbor refuses a sign-in with \"the user with same username or email has been onboarded\" (typically after the identity provider was redeployed), "
                                "a stale Harbor account holds the name. Find it here and remove it; the person's next sign-in to Harbor creates a fresh account. "
                                "Their project memberships come from OIDC groups, so they come back on their own. "
                                "The stale account is usually the one made through another issuer, or the one whose last sign-in to Harbor predates the redeploy."
                            </p>
                            <form
                                method="get"
                                action="/admin/harbor-users"
                                id="user-search"
                                class="mt-4 flex flex-wrap items-end gap-3"
                            >
                                <label class="grid gap-1 text-sm">
                                    "Username or e-mail"
                                    <input
                                        name="q"
                                        class=INPUT
                                        required
                                        minlength="2"
                                        value=search
                                        autocomplete="off"
                                    />
                                </label>
                                <button type="submit" class=BUTTON>
                                    "Search"
                                </button>
                            </form>
                            {match found {
                                Err(error) => {
                                    view! {
                                        <div class="mt-4">
                                            <ErrorNote error />
                                        </div>
                                    }
                                        .into_any()
                                }
                                Ok(None) => ().into_any(),
                                Ok(Some(list)) if list.is_empty() => {
                                    view! {
                                        <p id="users-none" class="mt-6 text-sm">
                                            "No Harbor user matches."
                                        </p>
                                    }
                                        .into_any()
                                }
                                Ok(Some(list)) => view! { <UserTable list /> }.into_any(),
                            }}
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserTable(list: Vec<HarborUserView>) -> impl IntoView {
    let unread = list
        .iter()
        .any(|user| user.identity == HarborIdentity::NotRead);
    let columns = vec![
        col("Username"),
        col("E-mail"),
        col("Name"),
        col("Identity"),
        col("Last sign-in to Harbor"),
        col("Created"),
        col("Remove"),
    ];
    view! {
        {unread
            .then(|| {
                view! {
                    <p id="users-unread" class="mt-4 text-sm">
                        {format!(
                            "Identity and last sign-in are read for the first {IDENTITIES_READ} accounts only; search for more of the name to see the others'.",
                        )}
                    </p>
                }
            })}
        <DataTable id="harbor-users" columns class="mt-6">

            {list
                .into_iter()
                .map(|user| {
                    let confirm_id = format!("confirm-user-{}", user.id);
                    let confirm_label = format!(
                        "Type {} to confirm removing this Harbor user",
                        user.username,
                    );
                    let confirm_placeholder = format!("type {}", user.username);
                    let user_id = user.id.to_string();
                    view! {
                        <tr
                            class="harbor-user border-b border-slate-100 dark:border-slate-800"
                            data-username=user.username.clone()
                            data-user-id=user.id.to_string()
                        >
                            <td class="py-2 pr-4 font-mono">{user.username.clone()}</td>
                            <td class="py-2 pr-4">{user.email.clone()}</td>
                            <td class="py-2 pr-4">{user.realname.clone()}</td>
                            <td class="min-w-56 py-2 pr-4">
                                <Identity identity=user.identity.clone() />
                            </td>
                            <td class="last-sign-in py-2 pr-4">
                                {user
                                    .last_sign_in
                                    .as_deref()
                                    .map(short_time)
                                    .unwrap_or_else(|| "unknown".into())}
                            </td>
                            <td class="py-2 pr-4">
                                {user.created.as_deref().map(short_time).unwrap_or_default()}
                            </td>
                            <td class="py-2">
                                {if user.is_admin {
                                    view! {
                                        <span class="text-slate-700 dark:text-slate-300">
                                            "Harbor admin: not removable here"
                                        </span>
                                    }
                                        .into_any()
                                } else {
                                    view! {
                                        // Destructive: the username must be typed to
                                        // confirm (works without JavaScript).
                                        <form
                                            method="post"
                                            action=DeleteHarborUser::PATH
                                            class="delete-user flex flex-wrap gap-2"
                                        >
                                            <input type="hidden" name="user_id" value=user_id />
                                            <label class="sr-only" for=confirm_id.clone()>
                                                {confirm_label}
                                            </label>
                                            <input
                                                id=confirm_id
                                                class=format!("{INPUT} w-36")
                                                name="confirm"
                                                required
                                                autocomplete="off"
                                                placeholder=confirm_placeholder
                                            />
                                            <SubmitButton
                                                class=format!("{BUTTON} text-red-800 dark:text-red-300")
                                                pending="Removing…"
                                                label="Remove"
                                            />
                                        </form>
                                    }
                                        .into_any()
                                }}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
}

/// Who the identity provider says the account is; an account of another issuer is the likely stale
/// one after a redeploy.
#[component]
fn Identity(identity: HarborIdentity) -> impl IntoView {
    let (kind, said, code) = match identity {
        HarborIdentity::Subject(subject) => ("subject", "subject ", Some(subject)),
        HarborIdentity::OtherIssuer(subiss) => ("other-issuer", "", Some(subiss)),
        HarborIdentity::Local => ("local", "local account", None),
        HarborIdentity::NotRead => ("not-read", "not read", None),
        HarborIdentity::Unreadable => ("unreadable", "Harbor failed to read it", None),
    };
    let other = kind == "other-issuer";
    view! {
        <span class="identity" data-identity=kind>
            {other
                .then(|| {
                    view! {
                        <strong class="text-amber-800 dark:text-amber-300">"another issuer"</strong>
                        " (subject and issuer: "
                    }
                })}
            {said}
            {code.map(|code| view! { <code class="font-mono break-all">{code}</code> })}
            {other.then_some(")")}
        </span>
    }
}
