use crate::api::member::{list_teams, my_groups};
use crate::components::{ErrorNote, Loading};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TeamsPage() -> impl IntoView {
    let teams = Resource::new(|| (), |_| list_teams());
    view! {
        <Title text="Teams" />
        <h1 class="text-2xl font-semibold">"Your teams"</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match teams.await {
                    Err(error) => {
                        view! {
                            <div class="mt-4">
                                <ErrorNote error />
                            </div>
                        }
                            .into_any()
                    }
                    Ok(list) if list.is_empty() => view! { <NoTeams /> }.into_any(),
                    Ok(list) => {
                        view! {
                            <ul id="team-list" class="mt-6 grid grid-cols-1 gap-4 sm:grid-cols-2">
                                {list
                                    .into_iter()
                                    .map(|team| {
                                        view! {
                                            <li>
                                                <a
                                                    href=format!("/teams/{}", team.name)
                                                    data-team=team.name.clone()
                                                    class="block rounded-lg border border-slate-200 bg-white p-5 shadow-sm hover:border-sky-400 focus:outline-none focus:ring-2 focus:ring-sky-500 dark:border-slate-800 dark:bg-slate-900"
                                                >
                                                    <span class="text-lg font-semibold">
                                                        {team.name.clone()}
                                                    </span>
                                                    <span class="mt-1 block text-sm text-slate-600 dark:text-slate-400">
                                                        "Namespace " {team.namespace.clone()} " · Harbor project "
                                                        {team.harbor_project.clone()}
                                                    </span>
                                                    <span class="mt-2 block text-sm">
                                                        {if team.push_secret_download {
                                                            "Push secret download enabled"
                                                        } else {
                                                            "Push secret download disabled"
                                                        }}
                                                        {(!team.is_member)
                                                            .then_some(" · not a member (admin view)")}
                                                    </span>
                                                </a>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// For a person in no team: what to ask for, with the groups the identity provider gave them to
/// quote (a team is matched by group).
#[component]
fn NoTeams() -> impl IntoView {
    let groups = Resource::new(|| (), |_| my_groups());
    view! {
        <p id="no-teams" class="mt-4 text-slate-600 dark:text-slate-400">
            "You are not in any team yet. Ask your platform team to add one of your groups to a team."
        </p>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let groups = groups.await.unwrap_or_default();
                view! {
                    <p id="your-groups" class="mt-2 text-sm">
                        {if groups.is_empty() {
                            "Your sign-in carried no groups: ask your identity provider's admins to put you in one."
                                .to_owned()
                        } else {
                            format!("Your groups: {}", groups.join(", "))
                        }}
                    </p>
                }
            })}
        </Suspense>
    }
}
