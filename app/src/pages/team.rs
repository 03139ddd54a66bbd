use crate::api::member::load_team;
use crate::api::team_admin::RotateCredentials;
use crate::api::team_admin::SetPushSecretDownload;
use crate::components::{
    col, human_bytes, human_duration, short_time, Card, CodeBlock, CopyButton, DataTable,
    ErrorNote, FlashNote, Loading, SubmitButton, BUTTON, PRIMARY,
};
use crate::error::AppError;
use crate::model::{
    DownloadFormat, NamespaceView, ProjectView, RobotView, SecretView, TeamDetail, TeamState,
    TeamWarning,
};
use crate::pages::not_found::NotFoundBody;
use crate::vocabulary::{Delivery, Readiness};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let detail = Resource::new(name, load_team);
    view! {
        // At the top of the page, not inside the team's Suspense: read there, the flash
        // was now and then taken from the session yet missing from the page (seen in
        // the JS-off end-to-end test).
        <FlashNote />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <TeamView detail /> }.into_any(),
                    Err(AppError::NotFound(message)) => {
                        view! { <NotFoundBody message /> }.into_any()
                    }
                    Err(error) => {
                        view! {
                            <Title text="Team" />
                            <ErrorNote error />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn TeamView(detail: TeamDetail) -> impl IntoView {
    let team = detail.team.clone();
    let manage = detail.can_manage.then(|| {
        view! {
            <ManageCard
                team=team.name.clone()
                download=team.push_secret_download
                grace=detail.rotation_grace_secs
            />
        }
    });
    let found = team
        .state
        .as_ref()
        .map(|s| s.namespaces.clone())
        .unwrap_or_default();
    let (home, listed) = (team.namespace.clone(), team.namespaces.clone());
    let namespaces = (!listed.is_empty() || !found.is_empty()).then(|| {
        view! {
            <Card title="Namespaces" id="namespaces">
                <NamespaceList home listed found />
            </Card>
        }
    });
    let usage_howto = detail.usage_howto.clone();
    let registry_path = format!("{}/{}", detail.registry_host, team.harbor_project);
    let downloadable = detail.can_download.then(|| detail.clone());
    let activity = detail.can_manage.then(|| {
        view! {
            <a
                id="team-activity"
                class="text-sm text-sky-700 underline dark:text-sky-400"
                href=format!("/audit?team={}", team.name)
            >
                "Activity"
            </a>
        }
    });
    view! {
        <Title text=format!("Team {}", team.name) />
        <h1 class="text-2xl font-semibold">
            "Team " <span id="team-name">{team.name.clone()}</span>
        </h1>
        <p class="mt-1 flex flex-wrap gap-x-3 text-sm text-slate-600 dark:text-slate-400">
            <span class="min-w-0">
                "Namespace " <code>{team.namespace.clone()}</code> " · groups "
                {team.groups.join(", ")}
            </span>
            {activity}
        </p>
        <Warnings warnings=detail.warnings.clone() />
        // What a developer came for first (credentials and how to use them); the state, the
        // project and its robots after, for whoever needs them.
        <div class="mt-6 grid grid-cols-1 gap-6">
            <Card title="Push credentials" id="download">
                {match (downloadable, detail.push_secret_ready) {
                    (Some(detail), true) => view! { <CredentialDownloads detail /> }.into_any(),
                    (Some(_), false) => {
                        view! {
                            <p
                                id="download-not-ready"
                                class="text-sm text-slate-700 dark:text-slate-300"
                            >
                                "The push secret has not been created yet, so there is nothing to download. Berth creates it when it sets the team up; the team's state below says what it is waiting for."
                            </p>
                        }
                            .into_any()
                    }
                    (None, _) => {
                        view! {
                            <p
                                id="download-disabled"
                                class="text-sm text-slate-700 dark:text-slate-300"
                            >
                                "Downloading the push secret is disabled for this team. A platform admin or a team admin can enable it."
                            </p>
                        }
                            .into_any()
                    }
                }}
            </Card>
            <Card title="Using the registry" id="howto">
                <p class="mb-3 text-sm">
                    "Your images live at "
                    <code id="registry-path" class="rounded bg-slate-100 px-1 dark:bg-slate-800">
                        {registry_path}
                    </code> "."
                </p>
                <div class="grid grid-cols-1 gap-2">
                    {usage_howto
                        .into_iter()
                        .map(|snippet| view! { <CodeBlock snippet /> })
                        .collect_view()}
                </div>
            </Card>
            {namespaces}
            {manage}
            <Card title="State" id="status">
                <StateFacts state=team.state.clone() />
            </Card>
            <Card title="Harbor project" id="project">
                {match detail.project.clone() {
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                    Ok(None) => {
                        view! {
                            <p class="text-sm" id="project-missing">
                                "The Harbor project "
                                <code>{team.harbor_project.clone()}</code>
                                " does not exist yet."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(Some(project)) => view! { <ProjectFacts project /> }.into_any(),
                }}
            </Card>
            <Card title="Robot accounts" id="robots">
                {match detail.robots.clone() {
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                    Ok(robots) if robots.is_empty() => {
                        view! { <p class="text-sm">"No robot accounts reach this project."</p> }
                            .into_any()
                    }
                    Ok(robots) => view! { <RobotTable robots /> }.into_any(),
                }}
            </Card>
            <Card title="Secrets in the namespace" id="secrets">
                {match detail.secrets.clone() {
                    Err(AppError::NotFound(message)) => {
                        // Before the team is set up: what is true, not a failure.
                        view! {
                            <p class="text-sm" id="secrets-not-created">
                                {message}
                            </p>
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorNote error /> }.into_any(),
                    Ok(secrets) => view! { <SecretTable secrets /> }.into_any(),
                }}
            </Card>
        </div>
    }
}

/// Where the team's secrets are: all three at home, the pull secret in each further namespace
/// (with what keeps it out of one, and the remedy).
#[component]
fn NamespaceList(home: String, listed: Vec<String>, found: Vec<NamespaceView>) -> impl IntoView {
    // Listed but not reported yet: Berth's next pass gets to it.
    let mut rows: Vec<(String, Option<NamespaceView>)> = listed
        .iter()
        .map(|name| {
            (
                name.clone(),
                found.iter().find(|f| &f.name == name).cloned(),
            )
        })
        .collect();
    rows.extend(
        found
            .iter()
            .filter(|f| !listed.contains(&f.name))
            .map(|f| (f.name.clone(), Some(f.clone()))),
    );
    view! {
        <ul class="grid grid-cols-1 gap-2 text-sm">
            <li class="namespace" data-namespace=home.clone() data-state="home">
                <code class="font-mono">{home.clone()}</code>
                " · home: the pull, push and builds secrets"
            </li>
            {rows
                .into_iter()
                .map(|(name, view)| {
                    let (state, words, message) = match view {
                        Some(v) => (v.state.as_str(), v.state.words(), v.message),
                        None => ("Pending", "not set up yet", String::new()),
                    };
                    let delivered = state == Delivery::Delivered.as_str();
                    view! {
                        <li class="namespace" data-namespace=name.clone() data-state=state>
                            <code class="font-mono">{name.clone()}</code>
                            " · pull secret "
                            <span class=if delivered {
                                "text-emerald-800 dark:text-emerald-300"
                            } else {
                                "font-medium text-amber-800 dark:text-amber-300"
                            }>{words}</span>
                            {(!message.is_empty())
                                .then(|| {
                                    view! {
                                        <span class="block break-words text-slate-600 dark:text-slate-400">
                                            {message}
                                        </span>
                                    }
                                })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// Expiring or expired robots, missing secrets, a failing last pass: each with what to do.
#[component]
fn Warnings(warnings: Vec<TeamWarning>) -> impl IntoView {
    (!warnings.is_empty()).then(|| view! {
        <ul id="warnings" class="mt-4 grid grid-cols-1 gap-2" aria-label="Warnings">
            {warnings
                .into_iter()
                .map(|w| {
                    view! {
                        <li
                            class="warning rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
                            data-kind=w.kind.as_str()
                        >
                            <strong class="font-semibold">{w.message.clone()}</strong>
                            " "
                            {w.remedy.clone()}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    })
}

/// Every download format of the push secret, the login snippets and the copy button.
#[component]
fn CredentialDownloads(detail: TeamDetail) -> impl IntoView {
    let team = detail.team.name.clone();
    let link = |format: DownloadFormat, id: &'static str, label: &'static str| {
        view! {
            <a id=id href=format.path(&team) download class=PRIMARY>
                {label}
            </a>
        }
    };
    view! {
        <p class="mb-3 text-sm">
            "Push to " <code>{detail.registry_host.clone()}</code> " as "
            <code id="push-username" class="rounded bg-slate-100 px-1 dark:bg-slate-800">
                {detail.push_username.clone()}
            </code> ". Each download is recorded; keep the files private and delete them when done."
        </p>
        <div class="flex flex-wrap items-center gap-2">
            {link(DownloadFormat::DockerConfig, "download-docker-config", "Docker config.json")}
            {link(
                DownloadFormat::ContainersAuth,
                "download-containers-auth",
                "auth.json (podman, buildah, skopeo)",
            )} {link(DownloadFormat::Password, "download-password", "Password file")}
            <CopyButton
                id="copy-password"
                label="Copy password"
                fetch_url=format!("{}?via=copy", DownloadFormat::Password.path(&team))
                done="Password copied to the clipboard. Paste it into --password-stdin or your CI secret store, then clear the clipboard."
            />
        </div>
        <form
            method="get"
            action=DownloadFormat::KubernetesSecret.path(&team)
            class="mt-4 flex flex-wrap items-end gap-2"
            id="secret-manifest-form"
        >
            <label class="grid gap-1 text-sm">
                <span>"Kubernetes Secret manifest for namespace"</span>
                <input
                    name="namespace"
                    value=detail.team.namespace.clone()
                    required
                    // Valid under the `v` flag browsers compile `pattern` with (a bare `-` in a
                    // class is not).
                    pattern="[a-z0-9]([a-z0-9\\-]*[a-z0-9])?"
                    maxlength="63"
                    class="rounded-md border border-slate-300 bg-white px-2 py-1 font-mono text-sm dark:border-slate-600 dark:bg-slate-900"
                />
            </label>
            <button type="submit" id="download-kubernetes-secret" class=BUTTON>
                "Download Secret YAML"
            </button>
        </form>
        <div class="mt-4 grid grid-cols-1 gap-2">
            {detail
                .credential_howto
                .into_iter()
                .map(|snippet| view! { <CodeBlock snippet /> })
                .collect_view()}
        </div>
    }
}

/// The reconciler's report: ready or not and why, each part, which robot each secret holds.
#[component]
fn StateFacts(state: Option<TeamState>) -> impl IntoView {
    let Some(state) = state else {
        return view! {
            <p id="state-pending" class="text-sm">
                "Berth has not set this team up yet; it does within seconds of the team's creation."
            </p>
        }
        .into_any();
    };
    let ok = state.ready == Readiness::True;
    let badge = if ok {
        "rounded bg-emerald-100 px-2 py-0.5 text-emerald-900 dark:bg-emerald-900 \
         dark:text-emerald-100"
    } else {
        "rounded bg-amber-100 px-2 py-0.5 text-amber-900 dark:bg-amber-900 dark:text-amber-100"
    };
    view! {
        <p
            class="text-sm"
            id="state-ready"
            data-ready=state.ready.as_str()
            data-reason=state.reason.clone()
        >
            <span class=badge>{if ok { "Ready" } else { "Needs attention" }}</span>
            " "
            {state.message.clone()}
            {state
                .stale
                .then(|| {
                    view! {
                        <span class="ml-1 text-slate-600 dark:text-slate-400">
                            "(the latest change is being applied)"
                        </span>
                    }
                })}
        </p>
        // The parts in detail, on demand: open when something needs attention.
        <details class="mt-3" id="state-details" open=!ok>
            <summary class="cursor-pointer text-sm font-medium">
                "Each part of the team's setup"
            </summary>
            // Narrow screens: the state goes under the part's name, leaving the width to the details.
            <DataTable
                columns=vec![col("Part"), col("State").wide_only(), col("Details")]
                class="mt-2"
            >
                {state
                    .conditions
                    .into_iter()
                    .map(|c| {
                        let shape = match c.status.as_str() {
                            "True" => "in shape",
                            "False" => "failing",
                            _ => "not checked",
                        };
                        view! {
                            <tr
                                class="condition border-b border-slate-100 dark:border-slate-800"
                                data-condition=c.kind.clone()
                                data-status=c.status.as_str()
                            >
                                <td class="py-2 pr-4">
                                    {c.kind.clone()}
                                    <span class="block text-slate-600 sm:hidden dark:text-slate-400">
                                        {shape}
                                    </span>
                                </td>
                                <td class="py-2 pr-4 max-sm:hidden">{shape}</td>
                                <td class="py-2">
                                    {c.message.clone()}
                                    <span class="text-slate-600 dark:text-slate-400">
                                        " (" {c.reason.clone()} ", since " {short_time(&c.since)}
                                        ")"
                                    </span>
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </details>
        <ul class="mt-3 text-sm" id="credentials">
            {state
                .credentials
                .into_iter()
                .map(|c| {
                    view! {
                        <li class="credential" data-purpose=c.purpose.clone()>
                            <code>{c.secret.clone()}</code>
                            " holds "
                            <code>{c.robot.clone()}</code>
                            " since "
                            {short_time(&c.since)}
                            {match c.expires.as_deref() {
                                Some(t) => format!(", expires {}", short_time(t)),
                                None => ", never expires".to_owned(),
                            }}
                            {c
                                .rotation_requested
                                .then(|| {
                                    view! {
                                        <span class="rotation-pending ml-1 font-medium text-amber-800 dark:text-amber-300">
                                            "· rotation requested: the new robot replaces it on Berth's next pass"
                                        </span>
                                    }
                                })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {(!state.retiring.is_empty())
            .then(|| {
                view! {
                    <p class="mt-2 text-sm" id="retiring">
                        "Rotated out, still working until their grace period ends: "
                        {state
                            .retiring
                            .iter()
                            .map(|r| format!("{} (until {})", r.name, short_time(&r.until)))
                            .collect::<Vec<_>>()
                            .join(", ")}
                    </p>
                }
            })}
    }
    .into_any()
}

/// For platform admins and the team's admins: the download switch and credential rotation. Each
/// rotation asks to be confirmed (a `<details>`, so it works without JavaScript) and says when
/// the credential in use stops working.
#[component]
fn ManageCard(team: String, download: bool, grace: u64) -> impl IntoView {
    let grace = human_duration(grace);
    view! {
        <Card title="Manage" id="manage">
            <form method="post" action=SetPushSecretDownload::PATH>
                <input type="hidden" name="team" value=team.clone() />
                <input type="hidden" name="enabled" value=(!download).to_string() />
                <SubmitButton
                    id="team-toggle-download"
                    class=BUTTON
                    pending="Saving…"
                    label=if download {
                        "Disable push-secret download"
                    } else {
                        "Enable push-secret download"
                    }
                />
            </form>
            <p class="mt-4 text-sm">
                "Rotate credentials: a new robot with a new name and token; the secret switches to it; the old robot keeps working for "
                {grace.clone()} ", then is deleted."
            </p>
            <div class="mt-2 flex flex-wrap items-start gap-2">
                {["pull", "push", "builds"]
                    .into_iter()
                    .map(|purpose| {
                        let consequence = format!(
                            "The {purpose} robot in use stops working {grace} after the rotation. Copies outside the cluster (CI secret stores, docker logins) need the new username and password before then.",
                        );
                        view! {
                            <details class="rotate-confirm" data-purpose=purpose>
                                <summary class=format!(
                                    "cursor-pointer {BUTTON}",
                                )>{format!("Rotate {purpose}…")}</summary>
                                <form
                                    method="post"
                                    action=RotateCredentials::PATH
                                    class="mt-2 max-w-sm rounded-md border border-amber-300 bg-amber-50 p-3 text-sm dark:border-amber-700 dark:bg-amber-950"
                                >
                                    <p>{consequence}</p>
                                    <input type="hidden" name="team" value=team.clone() />
                                    <input type="hidden" name="purpose" value=purpose />
                                    <SubmitButton
                                        class=format!("rotate mt-2 {BUTTON}")
                                        purpose=purpose
                                        pending="Requesting…"
                                        label=format!("Confirm: rotate {purpose}")
                                    />
                                </form>
                            </details>
                        }
                    })
                    .collect_view()}
            </div>
        </Card>
    }
}

#[component]
fn ProjectFacts(project: ProjectView) -> impl IntoView {
    let storage = match (project.storage_used_bytes, project.storage_quota_bytes) {
        (Some(used), Some(quota)) if quota >= 0 => {
            format!("{} of {}", human_bytes(used), human_bytes(quota))
        }
        (Some(used), _) => format!("{} (no quota)", human_bytes(used)),
        _ => "not reported".to_owned(),
    };
    view! {
        <dl class="grid grid-cols-[max-content_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
            <dt class="font-medium">"Name"</dt>
            <dd>
                <a
                    id="project-link"
                    class="text-sky-700 underline dark:text-sky-400"
                    href=project.ui_url.clone()
                >
                    {project.name.clone()}
                </a>
            </dd>
            <dt class="font-medium">"Repositories"</dt>
            <dd id="project-repos">
                {project.repo_count.map_or("not reported".to_owned(), |c| c.to_string())}
            </dd>
            <dt class="font-medium">"Storage"</dt>
            <dd id="project-storage">{storage}</dd>
            <dt class="font-medium">"Created"</dt>
            <dd>{project.created.as_deref().map_or("unknown".to_owned(), short_time)}</dd>
        </dl>
    }
}

#[component]
fn RobotTable(robots: Vec<RobotView>) -> impl IntoView {
    view! {
        <DataTable columns=vec![
            col("Name"),
            col("Permissions"),
            col("Expires"),
            col("State"),
            col("Created"),
        ]>
            {robots
                .into_iter()
                .map(|robot| {
                    view! {
                        <tr class="robot border-b border-slate-100 dark:border-slate-800">
                            <td class="py-2 pr-4 font-mono">{robot.name.clone()}</td>
                            <td class="py-2 pr-4">{robot.permissions.join(", ")}</td>
                            <td class="py-2 pr-4">
                                {match (robot.retires.as_deref(), robot.expires.as_deref()) {
                                    (Some(retires), _) => format!("retires {}", short_time(retires)),
                                    (None, Some(expires)) => short_time(expires),
                                    (None, None) => "never".to_owned(),
                                }}
                            </td>
                            <td class="py-2 pr-4">
                                {if robot.disabled { "disabled" } else { "enabled" }}
                            </td>
                            <td class="py-2">
                                {robot.created.as_deref().map(short_time).unwrap_or_default()}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
}

#[component]
fn SecretTable(secrets: Vec<SecretView>) -> impl IntoView {
    view! {
        <DataTable columns=vec![
            col("Secret"),
            col("Purpose"),
            col("State"),
            col("Type"),
            col("Last changed"),
        ]>
            {secrets
                .into_iter()
                .map(|secret| {
                    view! {
                        <tr
                            class="secret border-b border-slate-100 dark:border-slate-800"
                            data-secret=secret.name.clone()
                        >
                            <td class="py-2 pr-4 font-mono">{secret.name.clone()}</td>
                            <td class="py-2 pr-4">{secret.purpose.clone()}</td>
                            <td class="py-2 pr-4">
                                {if secret.present { "present" } else { "missing" }}
                            </td>
                            <td class="py-2 pr-4 font-mono">
                                {secret.secret_type.clone().unwrap_or_default()}
                            </td>
                            <td class="py-2">
                                {secret.last_changed.as_deref().map(short_time).unwrap_or_default()}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
}
