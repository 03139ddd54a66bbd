use crate::error::AppError;
use crate::model::TeamDetail;
use leptos::prelude::*;

/// One team's page: its Harbor project, robots and secrets, fetched concurrently; each part carries
/// its own error so one failing upstream leaves the rest readable.
#[server(endpoint = "load_team")]
pub async fn load_team(name: String) -> Result<TeamDetail, AppError> {
    crate::server::http::timing::for_this_request(crate::api::call::serve(team_detail(name))).await
}

#[cfg(feature = "ssr")]
async fn team_detail(name: String) -> Result<TeamDetail, crate::api::call::ServerError> {
    use crate::api::call::{part_failed, ServerError};
    use crate::model::{docker_config_download_path, ProjectView, RobotView, SecretView};
    use crate::names::TeamName;
    use crate::server::cluster::ClusterError;
    use crate::server::policy::{
        can_manage, download_decision, summary, warnings, DownloadDecision, Warning,
    };
    use crate::server::state::{app_state, signed_in_user, visible_team};
    use crate::server::views::howto::{credential_snippets, usage_snippets, HowtoNames};
    use crate::vocabulary::{robot_full_name, Purpose};
    use k8s_openapi::jiff::Timestamp;

    let user = signed_in_user().await?;
    let state = app_state()?;
    let mode = state.config.oidc.group_match;
    // The name comes from the page's address: one that is not a team name is a
    // page that does not exist.
    let name = TeamName::parse(&name).map_err(|problem| AppError::NotFound(problem.to_string()))?;
    // Another team's page answers exactly like a missing one, so team names do not leak.
    let team = visible_team(&state, &user, &name, None).await?;
    let project_name = team.harbor_project();
    let namespace = team.namespace_name();
    let names = &state.config.secret_names;

    let project = async {
        let (project, summary) = tokio::join!(
            state.harbor.find_project(&project_name),
            state.harbor.project_summary(&project_name)
        );
        let Some(project) = project? else {
            // The summary of a missing project is a 404: nothing to show either way.
            return Ok::<_, ServerError>(None);
        };
        let summary = summary?;
        let quota = summary.quota.as_ref();
        Ok(Some(ProjectView {
            ui_url: format!(
                "{}/harbor/projects/{}/repositories",
                state.config.harbor.ui_url.as_str().trim_end_matches('/'),
                project.project_id
            ),
            name: project.name,
            project_id: project.project_id,
            repo_count: summary.repo_count.or(project.repo_count),
            storage_used_bytes: quota.and_then(|q| q.used.get("storage").copied()),
            storage_quota_bytes: quota.and_then(|q| q.hard.get("storage").copied()),
            created: project.creation_time,
        }))
    };
    let robots = async {
        // Harbor lists a project's own robots by the project's id, which the reconciler keeps in
        // the Team's status; a team it has not set up yet has its project looked up by name.
        let project_id = match team.status.as_ref().and_then(|s| s.harbor_project_id) {
            Some(id) => Some(id),
            None => state
                .harbor
                .find_project(&project_name)
                .await?
                .map(|p| p.project_id),
        };
        let Some(project_id) = project_id else {
            return Ok::<_, ServerError>(Vec::new());
        };
        let robots = state
            .harbor
            .robots_for_project(&project_name, project_id, &team.team_name())
            .await?;
        Ok::<_, ServerError>(
            robots
                .into_iter()
                .map(|r| RobotView {
                    permissions: r
                        .permissions
                        .iter()
                        .filter(|p| p.namespace == project_name)
                        .flat_map(|p| {
                            p.access
                                .iter()
                                .map(|a| format!("{} {}", a.action, a.resource))
                        })
                        .collect(),
                    expires: r.expires_at.filter(|t| *t > 0).map(format_unix),
                    retires: team.status.as_ref().and_then(|s| {
                        s.retiring
                            .iter()
                            .find(|x| x.id == r.id)
                            .map(|x| x.delete_after.clone())
                    }),
                    name: r.name,
                    description: r.description.unwrap_or_default(),
                    disabled: r.disable,
                    created: r.creation_time,
                })
                .collect(),
        )
    };
    let secrets = async {
        let wanted = [
            (names.pull.as_str(), "pull (on the default ServiceAccount)"),
            (names.push.as_str(), "push (download)"),
            (names.builds.as_str(), "push for in-cluster builds"),
        ];
        let states = state
            .cluster
            .secret_states(&namespace, &team.team_name(), &wanted.map(|w| w.0))
            .await?;
        Ok::<_, ServerError>(
            states
                .into_iter()
                .zip(wanted)
                .map(|(s, (_, purpose))| SecretView {
                    name: s.name,
                    purpose: purpose.to_owned(),
                    present: s.present,
                    secret_type: s.secret_type,
                    last_changed: s.last_changed,
                })
                .collect(),
        )
    };
    let (project, robots, secrets) = tokio::join!(project, robots, secrets);
    // Before its first robots, a refusal in the namespace is what "not set up yet" looks like
    // from here (no RoleBinding, or no namespace): said as such, not as a failure.
    let set_up = team.status.as_ref().is_some_and(|s| !s.robots.is_empty());
    let secrets = secrets.map_err(|error| match error {
        ServerError::Cluster(ClusterError::Forbidden { .. }) if !set_up => {
            AppError::NotFound(format!(
                "Not created yet: Berth writes the team's secrets into {namespace} once it may \
                 (the team's state says what is missing)."
            ))
        }
        other => part_failed(other),
    });
    let (project, robots) = (project.map_err(part_failed), robots.map_err(part_failed));
    // The push secret exists: only then can a download work.
    let push_secret_ready = secrets
        .as_ref()
        .is_ok_and(|list: &Vec<SecretView>| list.iter().any(|s| s.name == names.push && s.present));
    let team_name = team.team_name();
    let team_summary = summary(&user, &team, mode);
    // The robot the reconciler reports; before its first pass, the name it will give it.
    let push_username = team
        .status
        .as_ref()
        .and_then(|s| s.robot(Purpose::Push.as_str()))
        .map(|r| r.name.clone())
        .unwrap_or_else(|| {
            robot_full_name(
                &state.config.reconcile.robot_prefix,
                &team_name,
                Purpose::Push,
            )
        });
    let howto_names = HowtoNames {
        team: &team_name,
        registry_host: &state.config.harbor.registry_host,
        project: &project_name,
        namespace: &namespace,
        push_username: &push_username,
        pull_secret: &names.pull,
        builds_secret: &names.builds,
    };
    let warnings = warnings(
        team.status.as_ref(),
        secrets.as_ref().ok().map(Vec::as_slice),
        Timestamp::now(),
        state.config.expiry_warning,
    )
    .iter()
    .map(Warning::view)
    .collect();
    Ok(TeamDetail {
        credential_howto: credential_snippets(&howto_names),
        usage_howto: usage_snippets(&howto_names),
        push_username,
        warnings,
        can_download: download_decision(&user, &team, mode) == DownloadDecision::Allowed,
        can_manage: can_manage(
            &user,
            &team,
            &state.config.team_admin_group_of(&team.team_name()),
            mode,
        ),
        download_url: docker_config_download_path(&team.team_name()),
        push_secret_ready,
        rotation_grace_secs: state.config.reconcile.rotation_grace.as_secs(),
        registry_host: state.config.harbor.registry_host.clone(),
        team: team_summary,
        project,
        robots,
        secrets,
    })
}

#[cfg(feature = "ssr")]
fn format_unix(seconds: i64) -> String {
    k8s_openapi::jiff::Timestamp::from_second(seconds)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| seconds.to_string())
}
