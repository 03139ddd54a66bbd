use crate::api::admin::{admin_teams, SetPushSecretDownload};
use crate::components::{ErrorNote, Loading};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    let toggle = ServerAction::<SetPushSecretDownload>::new();
    // Reload the list after every toggle.
    let teams = Resource::new(move || toggle.version().get(), |_| admin_teams());
    view! {
        <Title text="Admin"/>
        <h1 class="text-2xl font-semibold">"Teams and download settings"</h1>
        {move || toggle.value().get().and_then(|r| r.err()).map(|error| view! { <div class="mt-4"><ErrorNote error/></div> })}
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match teams.await {
                    Err(error) => view! { <div class="mt-4"><ErrorNote error/></div> }.into_any(),
                    Ok(list) => view! {
                        <div class="mt-6 overflow-x-auto">
                            <table id="admin-teams" class="w-full text-left text-sm">
                                <thead><tr class="border-b border-slate-200 dark:border-slate-700">
                                    <th scope="col" class="py-2 pr-4">"Team"</th>
                                    <th scope="col" class="py-2 pr-4">"Namespace"</th>
                                    <th scope="col" class="py-2 pr-4">"Harbor project"</th>
                                    <th scope="col" class="py-2 pr-4">"Push secret download"</th>
                                    <th scope="col" class="py-2"><span class="sr-only">"Action"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|team| {
                                        let enable = !team.push_secret_download;
                                        let name = team.name.clone();
                                        view! {
                                            <tr class="border-b border-slate-100 dark:border-slate-800" data-team=team.name.clone()>
                                                <td class="py-2 pr-4"><a class="text-sky-700 underline dark:text-sky-400" href=format!("/teams/{}", team.name)>{team.name.clone()}</a></td>
                                                <td class="py-2 pr-4 font-mono">{team.namespace.clone()}</td>
                                                <td class="py-2 pr-4 font-mono">{team.harbor_project.clone()}</td>
                                                <td class="py-2 pr-4 download-state">{if team.push_secret_download { "enabled" } else { "disabled" }}</td>
                                                <td class="py-2">
                                                    <ActionForm action=toggle>
                                                        <input type="hidden" name="team" value=name/>
                                                        <input type="hidden" name="enabled" value=enable.to_string()/>
                                                        <button type="submit" class="toggle-download rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-100 focus:outline-none focus:ring-2 focus:ring-sky-500 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800"
                                                            disabled=move || toggle.pending().get()>
                                                            {if enable { "Enable download" } else { "Disable download" }}
                                                        </button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
