//! Projects as Harbor's handlers answer them (src/server/v2.0/handler/project.go): the name rule,
//! private by default, the creator as a member, `X-Is-Resource-Name`, public projects for anonymous
//! callers, the summary with quota usage (set by tests through `/__fake/projects/{name}/usage`).
use crate::auth::Caller;
use crate::{error, lock, now, paged, sorted, Fake, Member, Paging, Project, Shared};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub(crate) fn project_json(p: &Project) -> Value {
    json!({
        "project_id": p.id, "name": p.name, "owner_id": 1, "owner_name": "admin",
        "creation_time": p.created, "update_time": p.updated, "deleted": false,
        "repo_count": p.repo_count, "metadata": { "public": p.public.to_string() },
    })
}

pub(crate) fn find_project<'a>(
    f: &'a mut Fake,
    name_or_id: &str,
    is_name: Option<&HeaderValue>,
) -> Option<&'a mut Project> {
    // Harbor reads a numeric value as an id unless X-Is-Resource-Name says it is a name.
    let by_name = is_name.and_then(|v| v.to_str().ok()) == Some("true");
    match name_or_id.parse::<i64>() {
        Ok(id) if !by_name => f.projects.iter_mut().find(|p| p.id == id),
        _ => f.projects.iter_mut().find(|p| p.name == name_or_id),
    }
}

/// Harbor's answer for a project a path names that does not exist.
pub(crate) fn project_not_found(name_or_id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("project {name_or_id} not found"),
    )
}

/// Harbor's rule for project and robot names, `^[a-z0-9]+(?:[._-][a-z0-9]+)*$`: runs of lower-case
/// letters and digits joined by single separators (`a--b` is refused).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split(['.', '_', '-']).all(|run| {
            !run.is_empty()
                && run
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[derive(Deserialize)]
pub(crate) struct ProjectListQuery {
    name: Option<String>,
    sort: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// Anonymous callers (wrong credentials among them) see the public projects only, with a 200.
pub(crate) async fn list_projects(
    State(fake): State<Shared>,
    axum::Extension(caller): axum::Extension<Caller>,
    Query(q): Query<ProjectListQuery>,
) -> Response {
    let f = lock(&fake);
    let items = sorted(
        f.projects
            .iter()
            .filter(|p| p.public || !caller.is_anonymous())
            .filter(|p| q.name.as_deref().is_none_or(|n| p.name.contains(n)))
            .map(project_json)
            .collect(),
        q.sort.as_deref(),
    );
    let extra = q
        .name
        .as_deref()
        .map(|n| format!("&name={n}"))
        .unwrap_or_default();
    paged("/api/v2.0/projects", &extra, &q.paging, items)
}

#[derive(Deserialize)]
pub(crate) struct HeadQuery {
    project_name: Option<String>,
}

pub(crate) async fn head_project(
    State(fake): State<Shared>,
    Query(q): Query<HeadQuery>,
) -> Response {
    let Some(name) = q.project_name else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let exists = lock(&fake).projects.iter().any(|p| p.name == name);
    // Harbor answers HEAD like GET, error body headers included (the server drops the body itself).
    if exists {
        StatusCode::OK.into_response()
    } else {
        error(StatusCode::NOT_FOUND, &format!("project {name} not found"))
    }
}

pub(crate) async fn create_project(State(fake): State<Shared>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let name = req["project_name"].as_str().unwrap_or_default().to_owned();
    if !valid_name(&name) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("project name is not in lower case or contains illegal characters: {name}"),
        );
    }
    let mut f = lock(&fake);
    if f.projects.iter().any(|p| p.name == name) {
        return error(
            StatusCode::CONFLICT,
            &format!("The project named {name} already exists"),
        );
    }
    f.next_id += 2;
    let id = f.next_id - 1;
    let public =
        req["metadata"]["public"].as_str() == Some("true") || req["public"].as_bool() == Some(true);
    let created = now();
    // Harbor makes the creator (here always the admin) a project admin in the same transaction.
    let creator = Member {
        id: f.next_id,
        role_id: 1,
        group_name: f.admin_user.clone(),
        group_type: 0,
    };
    f.projects.push(Project {
        id,
        name,
        public,
        updated: created.clone(),
        created,
        repo_count: 0,
        storage_used: 0,
        storage_limit: req["storage_limit"].as_i64().unwrap_or(-1),
        members: vec![creator],
    });
    let usage = f
        .future_usage
        .get(
            &f.projects
                .last()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
        )
        .copied();
    if let (Some(usage), Some(p)) = (usage, f.projects.last_mut()) {
        apply_usage(p, usage);
    }
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v2.0/projects/{id}"))],
    )
        .into_response()
}

pub(crate) async fn get_project(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    match find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) {
        Some(p) => Json(project_json(p)).into_response(),
        None => project_not_found(&name_or_id),
    }
}

pub(crate) async fn project_summary(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return project_not_found(&name_or_id);
    };
    let count = |role: i64| p.members.iter().filter(|m| m.role_id == role).count();
    Json(json!({
        "repo_count": p.repo_count,
        "project_admin_count": count(1), "developer_count": count(2), "guest_count": count(3),
        "maintainer_count": count(4),
        "quota": { "hard": { "storage": p.storage_limit }, "used": { "storage": p.storage_used } },
    }))
    .into_response()
}

pub(crate) async fn delete_project(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return project_not_found(&name_or_id);
    };
    if p.repo_count > 0 {
        return error(
            StatusCode::PRECONDITION_FAILED,
            "the project contains repositories, can not be deleted",
        );
    }
    let id = p.id;
    f.projects.retain(|p| p.id != id);
    StatusCode::OK.into_response()
}

#[derive(Deserialize, Clone, Copy)]
pub(crate) struct UsageRequest {
    repo_count: i64,
    storage_used: i64,
    storage_limit: Option<i64>,
}

pub(crate) fn apply_usage(p: &mut Project, usage: UsageRequest) {
    p.repo_count = usage.repo_count;
    p.storage_used = usage.storage_used;
    if let Some(limit) = usage.storage_limit {
        p.storage_limit = limit;
    }
}

/// Sets a project's usage figures; for a project not created yet, they apply when it is.
pub(crate) async fn set_usage(
    State(fake): State<Shared>,
    Path(name): Path<String>,
    Json(req): Json<UsageRequest>,
) -> StatusCode {
    let mut f = lock(&fake);
    match f.projects.iter_mut().find(|p| p.name == name) {
        Some(p) => apply_usage(p, req),
        None => {
            f.future_usage.insert(name, req);
        }
    }
    StatusCode::NO_CONTENT
}
