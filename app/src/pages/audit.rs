use super::admin::AdminNav;
use crate::api::team_admin::load_audit_log;
use crate::components::{col, short_time, DataTable, ErrorNote, Loading, BUTTON, INPUT};
use crate::model::AuditLog;
use crate::vocabulary::{AuditAction, AuditResult};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Who did what, when, with what result: from the audit Events, filterable by team and action. The
/// filter is a GET form, so it works the same without JavaScript.
#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        (
            q.get("team").filter(|t| !t.is_empty()),
            q.get("action").filter(|a| !a.is_empty()),
        )
    };
    let log = Resource::new(filter, |(team, action)| load_audit_log(team, action));
    view! {
        <Title text="Audit" />
        <h1 class="text-2xl font-semibold">"Audit"</h1>
        <p class="mt-1 text-sm text-slate-700 dark:text-slate-300">
            "Records come from the Kubernetes Events Berth writes (kept for the API server's event TTL); the JSON audit log is the durable record."
        </p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let (team, action) = filter();
                match log.await {
                    Err(error) => {
                        view! {
                            <div class="mt-4">
                                <ErrorNote error />
                            </div>
                        }
                            .into_any()
                    }
                    Ok(log) => {
                        view! {
                            <AdminNav platform_admin=log.all_teams />
                            <AuditFilter log=log.clone() team action />
                            <AuditTable log />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditFilter(log: AuditLog, team: Option<String>, action: Option<String>) -> impl IntoView {
    let team = team.unwrap_or_default();
    let action = action.unwrap_or_default();
    view! {
        <form
            method="get"
            action="/audit"
            id="audit-filter"
            class="mt-4 flex flex-wrap items-end gap-3"
        >
            <label class="grid min-w-0 grid-cols-1 gap-1 text-sm">
                "Team" <select name="team" class=INPUT>
                    <option value="" selected=team.is_empty()>
                        {if log.all_teams { "All teams" } else { "All my teams" }}
                    </option>
                    {log
                        .teams
                        .iter()
                        .map(|t| {
                            view! {
                                <option value=t.clone() selected=*t == team>
                                    {t.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="grid min-w-0 grid-cols-1 gap-1 text-sm">
                "Action" <select name="action" class=INPUT>
                    <option value="" selected=action.is_empty()>
                        "All actions"
                    </option>
                    {AuditAction::ALL
                        .map(|a| a.as_str())
                        .map(|a| {
                            view! {
                                <option value=a selected=a == action>
                                    {a}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class=BUTTON>
                "Filter"
            </button>
        </form>
    }
}

#[component]
fn AuditTable(log: AuditLog) -> impl IntoView {
    if log.entries.is_empty() {
        return view! {
            <p id="audit-empty" class="mt-6 text-sm">
                "No records match."
            </p>
        }
        .into_any();
    }
    let shown = log.entries.len();
    view! {
        <p class="mt-4 text-sm text-slate-700 dark:text-slate-300" id="audit-count">
            {if shown < log.matching {
                format!("The newest {shown} of {} records.", log.matching)
            } else {
                format!("{shown} records.")
            }}
        </p>
        <DataTable
            id="audit-records"
            columns=vec![
                col("When"),
                col("Who"),
                col("Action"),
                col("Team"),
                col("Detail"),
                col("Result"),
            ]
            class="mt-2"
        >
            {log
                .entries
                .into_iter()
                .map(|e| {
                    view! {
                        <tr
                            class="audit-record border-b border-slate-100 dark:border-slate-800"
                            data-action=e.action.as_str()
                            data-result=e.result.as_str()
                            data-team=e.team.clone()
                            data-actor=e.actor.clone()
                        >
                            <td class="whitespace-nowrap py-2 pr-4">{short_time(&e.time)}</td>
                            <td class="py-2 pr-4">{e.actor.clone()}</td>
                            <td class="py-2 pr-4 font-mono">{e.action.as_str()}</td>
                            <td class="py-2 pr-4">{e.team.clone()}</td>
                            <td class="py-2 pr-4">{e.detail.clone()}</td>
                            <td class=format!(
                                "py-2 font-medium {}",
                                match e.result {
                                    AuditResult::Allowed => "text-emerald-800 dark:text-emerald-300",
                                    AuditResult::Denied => "text-amber-800 dark:text-amber-300",
                                    AuditResult::Failed => "text-red-800 dark:text-red-300",
                                },
                            )>{e.result.as_str()}</td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
    .into_any()
}
