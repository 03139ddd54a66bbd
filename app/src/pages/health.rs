use super::admin::AdminNav;
use crate::api::platform_admin::load_system_health;
use crate::components::{col, short_time, Card, DataTable, ErrorNote, Loading};
use crate::model::{HarborHealthView, KubernetesHealthView, ReconcilerView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HealthPage() -> impl IntoView {
    let health = Resource::new(|| (), |_| load_system_health());
    view! {
        <Title text="System health" />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match health.await {
                    Err(error) => {
                        view! {
                            <h1 class="text-2xl font-semibold">"System health"</h1>
                            <div class="mt-4">
                                <ErrorNote error />
                            </div>
                        }
                            .into_any()
                    }
                    Ok(health) => {
                        view! {
                            <AdminNav platform_admin=true />
                            <div class="flex flex-wrap items-baseline gap-4">
                                <h1 class="text-2xl font-semibold">"System health"</h1>
                                <a
                                    href="/admin/health"
                                    class="text-sm text-sky-700 underline dark:text-sky-400"
                                    id="health-refresh"
                                >
                                    "Check again"
                                </a>
                            </div>
                            <div class="mt-6 grid grid-cols-1 gap-6">
                                <HarborCard harbor=health.harbor />
                                <Card title="Kubernetes" id="kube-health">
                                    {match health.kubernetes {
                                        Ok(KubernetesHealthView { version, latency_ms }) => {
                                            view! {
                                                <p class="text-sm" data-state="up">
                                                    "The API server "
                                                    <code>{version}</code>
                                                    " answered in "
                                                    {latency_ms}
                                                    " ms."
                                                </p>
                                            }
                                                .into_any()
                                        }
                                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                                    }}
                                </Card>
                                <Card title="Reconciler" id="reconciler-health">
                                    {match health.reconciler {
                                        Ok(view) => view! { <ReconcilerFacts view /> }.into_any(),
                                        Err(error) => view! { <ErrorNote error /> }.into_any(),
                                    }}
                                </Card>
                            </div>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn HarborCard(harbor: HarborHealthView) -> impl IntoView {
    let warnings = harbor.warnings.clone();
    view! {
        <Card title="Harbor" id="harbor-health">
            <p class="text-sm">"API at " <code>{harbor.url.clone()}</code></p>
            {(!warnings.is_empty())
                .then(|| {
                    view! {
                        <ul id="health-warnings" class="mt-3 grid grid-cols-1 gap-2">
                            {warnings
                                .into_iter()
                                .map(|w| {
                                    view! {
                                        <li
                                            role="alert"
                                            class="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
                                        >
                                            {w}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            <dl class="mt-3 grid grid-cols-[max-content_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
                <dt class="font-medium">"Ping"</dt>
                <dd id="harbor-ping">
                    {match &harbor.ping_ms {
                        Ok(ms) => format!("{ms} ms"),
                        Err(e) => e.to_string(),
                    }}
                </dd>
                <dt class="font-medium">"Version"</dt>
                <dd id="harbor-version">
                    {match &harbor.version {
                        Ok(Some(v)) => v.clone(),
                        Ok(None) => "not reported".into(),
                        Err(e) => e.to_string(),
                    }}
                </dd>
                <dt class="font-medium">"Health"</dt>
                <dd id="harbor-status">
                    {match &harbor.health {
                        Ok((status, _)) => status.clone(),
                        Err(e) => e.to_string(),
                    }}
                </dd>
            </dl>
            {harbor
                .health
                .clone()
                .ok()
                .map(|(_, components)| {
                    view! {
                        <DataTable
                            id="harbor-components"
                            columns=vec![col("Component"), col("Status"), col("Error")]
                            class="mt-3"
                        >
                            {components
                                .into_iter()
                                .map(|c| {
                                    view! {
                                        <tr
                                            class="component border-b border-slate-100 dark:border-slate-800"
                                            data-component=c.name.clone()
                                            data-status=c.status.clone()
                                        >
                                            <td class="py-2 pr-4">{c.name.clone()}</td>
                                            <td class="py-2 pr-4">{c.status.clone()}</td>
                                            <td class="py-2">{c.error.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </DataTable>
                    }
                })}
        </Card>
    }
}

#[component]
fn ReconcilerFacts(view: ReconcilerView) -> impl IntoView {
    let leader = match &view.holder {
        Some(holder) if *holder == view.this_replica => format!("{holder} (this replica)"),
        Some(holder) => holder.clone(),
        None => "nobody: no replica holds the Lease".to_owned(),
    };
    view! {
        <dl class="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
            <dt class="font-medium">"Leader"</dt>
            <dd id="reconciler-leader">{leader}</dd>
            <dt class="font-medium">"Lease renewed"</dt>
            <dd>{view.renewed.as_deref().map(short_time).unwrap_or_else(|| "never".into())}</dd>
            <dt class="font-medium">"Last team pass"</dt>
            <dd id="reconciler-last-pass">
                {match (&view.last_pass, &view.last_result) {
                    (Some(time), Some(result)) => format!("{} ({result})", short_time(time)),
                    _ => "none reported yet".to_owned(),
                }}
            </dd>
            <dt class="font-medium">"Passes by the leader"</dt>
            <dd>
                {format!(
                    "{} succeeded, {} failed",
                    view.passes_ok.unwrap_or_else(|| "0".into()),
                    view.passes_failed.unwrap_or_else(|| "0".into()),
                )}
            </dd>
            <dt class="font-medium">"Teams not ready"</dt>
            <dd id="not-ready-teams">
                {if view.not_ready.is_empty() {
                    view! { "none" }.into_any()
                } else {
                    view! {
                        <ul class="grid gap-1">
                            {view
                                .not_ready
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <li class="not-ready" data-team=t.name.clone()>
                                            <a
                                                class="text-sky-700 underline dark:text-sky-400"
                                                href=format!("/teams/{}", t.name)
                                            >
                                                {t.name.clone()}
                                            </a>
                                            ": "
                                            {t.message.clone()}
                                            <span class="text-slate-600 dark:text-slate-400">
                                                " (" {t.reason.clone()} ")"
                                            </span>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
            </dd>
            <dt class="font-medium">"This replica"</dt>
            <dd>
                {view.this_replica.clone()}
                {if view.enabled { " (may reconcile)" } else { " (UI only: BERTH_RECONCILE=off)" }}
            </dd>
        </dl>
    }
}
