use crate::api::platform_admin::admin_teams;
use crate::api::platform_admin::{CreateTeam, DeleteTeam};
use crate::api::team_admin::SetPushSecretDownload;
use crate::components::{
    col, DataTable, ErrorNote, FlashNote, Loading, SubmitButton, BUTTON, INPUT,
};
use crate::names::{TEAM_NAME_HTML_PATTERN, TEAM_NAME_MAX, TEAM_NAME_RULE};
use crate::vocabulary::Readiness;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    let teams = Resource::new(|| (), |_| admin_teams());
    let (input, button) = (INPUT, BUTTON);
    view! {
        <Title text="Admin" />
        <FlashNote />
        // Nothing of the admin page (its tabs, the onboarding form) shows before the
        // server said who may see it.
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match teams.await {
                    Err(error) => {
                        view! {
                            <h1 class="text-2xl font-semibold">"Teams"</h1>
                            <div class="mt-4">
                                <ErrorNote error />
                            </div>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        view! {
                            <AdminNav platform_admin=true />
                            <h1 class="text-2xl font-semibold">"Teams"</h1>
                            <section
                                class="mt-6 rounded-lg border border-slate-200 p-4 dark:border-slate-800"
                                aria-labelledby="create-heading"
                            >
                                <h2 id="create-heading" class="text-lg font-semibold">
                                    "Onboard a team"
                                </h2>
                                <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                                    "Berth creates the Harbor project, robots and secrets in the namespace "
                                    <code>"team-<name>"</code>
                                    ", which the platform makes; if it is not ready yet, creating the team says which commands it still needs."
                                </p>
                                <form
                                    method="post"
                                    action=CreateTeam::PATH
                                    id="create-team"
                                    class="mt-3 flex flex-wrap items-end gap-3"
                                >
                                    <label class="text-sm">
                                        "Name" <br />
                                        <input
                                            class=input
                                            name="name"
                                            required
                                            maxlength=TEAM_NAME_MAX.to_string()
                                            pattern=TEAM_NAME_HTML_PATTERN
                                            title=TEAM_NAME_RULE
                                            placeholder="payments"
                                        />
                                    </label>
                                    <label class="text-sm">
                                        "OIDC groups (comma-separated; default team-<name>)" <br />
                                        <input
                                            class=input
                                            name="groups"
                                            placeholder="team-payments"
                                        />
                                    </label>
                                    <label class="text-sm">
                                        "Further namespaces for the pull secret (comma-separated; optional)"
                                        <br />
                                        <input
                                            class=input
                                            name="namespaces"
                                            placeholder="payments-web, payments-jobs"
                                        />
                                    </label>
                                    <label class="text-sm">
                                        <input type="checkbox" name="push_secret_download" />
                                        " Members may download the push secret"
                                    </label>
                                    <SubmitButton
                                        class=button
                                        pending="Creating..."
                                        label="Create team"
                                    />
                                </form>
                            </section>
                            <DataTable
                                id="admin-teams"
                                columns=vec![
                                    col("Team"),
                                    col("Namespace"),
                                    col("Harbor project"),
                                    col("State"),
                                    col("Push secret download"),
                                    col("Download action").unseen(),
                                    col("Delete").unseen(),
                                ]
                                class="mt-6"
                            >
                                {list
                                    .into_iter()
                                    .map(|team| {
                                        let enable = !team.push_secret_download;
                                        let deleting = team.deleting;
                                        let name = team.name.clone();
                                        let delete_name = team.name.clone();
                                        let confirm_id = format!("confirm-{}", team.name);
                                        let confirm_label = format!(
                                            "Type {} to confirm deleting it",
                                            team.name,
                                        );
                                        let confirm_placeholder = format!("type {}", team.name);
                                        view! {
                                            <tr
                                                class="border-b border-slate-100 dark:border-slate-800"
                                                data-team=team.name.clone()
                                            >
                                                <td class="py-2 pr-4">
                                                    <a
                                                        class="text-sky-700 underline dark:text-sky-400"
                                                        href=format!("/teams/{}", team.name)
                                                    >
                                                        {team.name.clone()}
                                                    </a>
                                                </td>
                                                <td class="py-2 pr-4 font-mono">
                                                    {team.namespace.clone()}
                                                </td>
                                                <td class="py-2 pr-4 font-mono">
                                                    {team.harbor_project.clone()}
                                                </td>
                                                <td
                                                    class="py-2 pr-4 team-state"
                                                    data-ready=team
                                                        .state
                                                        .as_ref()
                                                        .map(|s| s.ready.as_str())
                                                        .unwrap_or_default()
                                                >
                                                    {match &team.state {
                                                        _ if team.deleting => {
                                                            "being deleted: Berth is removing its robots and secrets"
                                                                .to_owned()
                                                        }
                                                        None => {
                                                            "not set up yet: Berth's reconciler has not reported on it"
                                                                .to_owned()
                                                        }
                                                        Some(s) if s.ready == Readiness::True => "ready".to_owned(),
                                                        Some(s) => format!("{}: {}", s.reason, s.message),
                                                    }}
                                                </td>
                                                <td class="py-2 pr-4 download-state">
                                                    {if team.push_secret_download {
                                                        "enabled"
                                                    } else {
                                                        "disabled"
                                                    }}
                                                </td>
                                                <td class="py-2">
                                                    {(!deleting)
                                                        .then(|| {
                                                            view! {
                                                                <form method="post" action=SetPushSecretDownload::PATH>
                                                                    <input type="hidden" name="team" value=name />
                                                                    <input
                                                                        type="hidden"
                                                                        name="enabled"
                                                                        value=enable.to_string()
                                                                    />
                                                                    <SubmitButton
                                                                        class=format!("toggle-download {BUTTON}")
                                                                        pending="Saving…"
                                                                        label=if enable {
                                                                            "Enable download"
                                                                        } else {
                                                                            "Disable download"
                                                                        }
                                                                    />
                                                                </form>
                                                            }
                                                        })}
                                                </td>
                                                <td class="py-2">
                                                    {(!deleting)
                                                        .then(|| {
                                                            view! {
                                                                // A destructive action: the team's name
                                                                // must be typed to confirm (works
                                                                // without JavaScript).
                                                                <form
                                                                    method="post"
                                                                    action=DeleteTeam::PATH
                                                                    class="delete-team flex gap-2"
                                                                >
                                                                    <input type="hidden" name="team" value=delete_name />
                                                                    <label class="sr-only" for=confirm_id.clone()>
                                                                        {confirm_label}
                                                                    </label>
                                                                    <input
                                                                        id=confirm_id
                                                                        class=format!("{input} w-28")
                                                                        name="confirm"
                                                                        required
                                                                        placeholder=confirm_placeholder
                                                                        autocomplete="off"
                                                                    />
                                                                    <SubmitButton
                                                                        class=format!("{button} text-red-700 dark:text-red-400")
                                                                        pending="Deleting…"
                                                                        label="Delete"
                                                                    />
                                                                </form>
                                                            }
                                                        })}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </DataTable>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The admin area's sections.
#[component]
pub fn AdminNav(
    /// Platform admins see every section; a team admin only the audit of their teams.
    platform_admin: bool,
) -> impl IntoView {
    let link = "rounded-md px-3 py-1 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 \
                focus-visible:ring-sky-500 dark:hover:bg-slate-800 \
                aria-[current=page]:bg-slate-200 aria-[current=page]:font-semibold \
                dark:aria-[current=page]:bg-slate-800";
    view! {
        <nav aria-label="Admin" class="mb-6 flex flex-wrap gap-2 text-sm" id="admin-nav">
            {platform_admin
                .then(|| {
                    view! {
                        <leptos_router::components::A href="/admin" attr:class=link exact=true>
                            "Teams"
                        </leptos_router::components::A>
                    }
                })}
            <leptos_router::components::A href="/audit" attr:class=link>
                "Audit"
            </leptos_router::components::A>
            {platform_admin
                .then(|| {
                    view! {
                        <leptos_router::components::A href="/admin/health" attr:class=link>
                            "System health"
                        </leptos_router::components::A>
                        <leptos_router::components::A href="/admin/harbor-users" attr:class=link>
                            "Harbor users"
                        </leptos_router::components::A>
                    }
                })}
        </nav>
    }
}
