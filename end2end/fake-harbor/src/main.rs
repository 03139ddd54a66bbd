//! A stateful stand-in for Harbor's v2.0 API (the parts Berth uses) and its registry login, behaving as
//! Harbor does: 404 for missing things, 409 for duplicates, Harbor's name and secret rules, the robot v2
//! API (creation ignores a given secret; `PATCH /robots/{id}` sets it), `robot$` name prefixes, and
//! paginated lists with `X-Total-Count` and `Link`. Tests put Prism in front of it to check every exchange
//! against Harbor's own spec.
//!
//! Control endpoints under `/__fake/` (never proxied through Prism) let tests inject latency or
//! failures and set project usage figures.
//!
//! Env: FAKE_HARBOR_ADDR (127.0.0.1:8089), FAKE_HARBOR_ADMIN_USER (admin), FAKE_HARBOR_ADMIN_PASSWORD,
//! FAKE_HARBOR_ROBOT_PREFIX (robot$).
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What clients asked of the API (control endpoints excluded), for tests that count requests and writes.
#[derive(Default, Clone, serde::Serialize)]
struct Stats {
    requests: u64,
    writes: u64,
    by_method: std::collections::BTreeMap<String, u64>,
}

#[derive(Default)]
struct Faults {
    latency_ms: u64,
    status: Option<u16>,
    /// The status fault hits only requests with this method and/or a path (with its query) containing this text.
    method: Option<String>,
    path: Option<String>,
}

struct Project {
    id: i64,
    name: String,
    public: bool,
    created: String,
    updated: String,
    repo_count: i64,
    storage_used: i64,
    storage_limit: i64,
    members: Vec<Member>,
}

struct Member {
    id: i64,
    role_id: i64,
    group_name: String,
    group_type: i64,
}

struct Robot {
    id: i64,
    name: String,
    description: String,
    level: String,
    secret: String,
    disable: bool,
    duration: i64,
    expires_at: i64,
    permissions: Value,
    created: String,
    updated: String,
}

/// A Harbor user. OIDC users appear on their first sign-in to Harbor; local ones through `POST /users`.
struct User {
    id: i64,
    username: String,
    email: String,
    realname: String,
    sysadmin: bool,
    created: String,
    updated: String,
}

/// What `/systeminfo` and `/health` report; tests change it through `/__fake/system`.
struct System {
    version: String,
    unhealthy: Vec<String>,
}

struct Fake {
    users: Vec<User>,
    next_user_id: i64,
    system: System,
    admin_user: String,
    admin_password: String,
    robot_prefix: String,
    next_id: i64,
    projects: Vec<Project>,
    robots: Vec<Robot>,
    faults: Faults,
    stats: Stats,
    future_usage: std::collections::HashMap<String, UsageRequest>,
}

type Shared = Arc<Mutex<Fake>>;

/// The state; a handler that panicked mid-change leaves it as it was, which is all a test double needs.
fn lock(fake: &Shared) -> std::sync::MutexGuard<'_, Fake> {
    fake.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// Harbor's error body.
fn error(status: StatusCode, message: &str) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::CONFLICT => "CONFLICT",
        StatusCode::UNAUTHORIZED => "UNAUTHORIZED",
        StatusCode::FORBIDDEN => "FORBIDDEN",
        StatusCode::BAD_REQUEST => "BAD_REQUEST",
        _ => "UNKNOWN",
    };
    (
        status,
        Json(json!({ "errors": [{ "code": code, "message": message }] })),
    )
        .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(B64.decode(encoded).ok()?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Faults first (as a broken Harbor would answer), then Harbor's admin basic auth.
async fn api_guard(State(fake): State<Shared>, request: Request, next: Next) -> Response {
    let (latency, status, admin) = {
        let mut f = lock(&fake);
        let hit = f
            .faults
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(request.method().as_str()))
            && f.faults.path.as_deref().is_none_or(|p| {
                request
                    .uri()
                    .path_and_query()
                    .is_some_and(|pq| pq.as_str().contains(p))
            });
        let method = request.method().as_str().to_owned();
        f.stats.requests += 1;
        if !matches!(method.as_str(), "GET" | "HEAD") {
            f.stats.writes += 1;
        }
        *f.stats.by_method.entry(method).or_default() += 1;
        (
            f.faults.latency_ms,
            f.faults.status.filter(|_| hit),
            (f.admin_user.clone(), f.admin_password.clone()),
        )
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(status) = status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, "injected fault");
    }
    let path = request.uri().path();
    let anonymous_ok =
        path.ends_with("/ping") || path.ends_with("/systeminfo") || path.ends_with("/health");
    if !anonymous_ok && basic_credentials(request.headers()) != Some(admin) {
        return error(StatusCode::UNAUTHORIZED, "UnAuthorize");
    }
    next.run(request).await
}

/// Numbers as text: serde's `flatten` (used by the list queries) cannot parse them from a query string.
#[derive(Deserialize)]
struct Paging {
    page: Option<String>,
    page_size: Option<String>,
}

/// Harbor's `sort` parameter for the one ordering Berth uses: newest `update_time` first.
fn sorted(mut items: Vec<Value>, sort: Option<&str>) -> Vec<Value> {
    match sort {
        Some("-update_time") => {
            items.sort_by(|a, b| b["update_time"].as_str().cmp(&a["update_time"].as_str()))
        }
        Some("update_time") => {
            items.sort_by(|a, b| a["update_time"].as_str().cmp(&b["update_time"].as_str()))
        }
        _ => {}
    }
    items
}

/// One page of `items`, with Harbor's `X-Total-Count` and `Link` headers.
fn paged(path: &str, extra_query: &str, paging: &Paging, items: Vec<Value>) -> Response {
    let number = |v: &Option<String>, default: usize| {
        v.as_deref()
            .and_then(|s| s.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let page = number(&paging.page, 1).max(1);
    let size = number(&paging.page_size, 10).clamp(1, 100);
    let total = items.len();
    let chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let mut links = Vec::new();
    let link = |p: usize, rel: &str| {
        format!("<{path}?page={p}&page_size={size}{extra_query}>; rel=\"{rel}\"")
    };
    if page > 1 {
        links.push(link(page - 1, "prev"));
    }
    if page * size < total {
        links.push(link(page + 1, "next"));
    }
    let mut response = Json(Value::Array(chunk)).into_response();
    response
        .headers_mut()
        .insert("x-total-count", HeaderValue::from(total));
    if !links.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    response
}

fn project_json(p: &Project) -> Value {
    json!({
        "project_id": p.id, "name": p.name, "owner_id": 1, "owner_name": "admin",
        "creation_time": p.created, "update_time": p.updated, "deleted": false,
        "repo_count": p.repo_count, "metadata": { "public": p.public.to_string() },
    })
}

fn robot_json(r: &Robot) -> Value {
    json!({
        "id": r.id, "name": r.name, "description": r.description, "level": r.level, "duration": r.duration,
        "editable": true, "disable": r.disable, "expires_at": r.expires_at, "permissions": r.permissions,
        "creation_time": r.created, "update_time": r.updated,
    })
}

fn find_project<'a>(
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

/// Harbor's project name rule.
fn valid_project_name(name: &str) -> bool {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    let first_last =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !name.is_empty()
        && name.len() <= 255
        && ok_chars
        && first_last(name.chars().next())
        && first_last(name.chars().last())
}

/// Harbor's robot secret rule: 8-128 characters with an upper-case letter, a lower-case letter and a digit.
fn valid_robot_secret(secret: &str) -> bool {
    (8..=128).contains(&secret.len())
        && secret.chars().any(|c| c.is_ascii_uppercase())
        && secret.chars().any(|c| c.is_ascii_lowercase())
        && secret.chars().any(|c| c.is_ascii_digit())
}

fn generated_secret(seed: i64) -> String {
    // Harbor generates a random secret; uniqueness is all this stand-in needs.
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    format!("Gen{}x{:x}Z", seed, nanos)
}

#[derive(Deserialize)]
struct ProjectListQuery {
    name: Option<String>,
    sort: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

async fn list_projects(State(fake): State<Shared>, Query(q): Query<ProjectListQuery>) -> Response {
    let f = lock(&fake);
    let items = sorted(
        f.projects
            .iter()
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
struct HeadQuery {
    project_name: Option<String>,
}

async fn head_project(State(fake): State<Shared>, Query(q): Query<HeadQuery>) -> Response {
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

async fn create_project(State(fake): State<Shared>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let name = req["project_name"].as_str().unwrap_or_default().to_owned();
    if !valid_project_name(&name) {
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
    f.next_id += 1;
    let id = f.next_id;
    let public =
        req["metadata"]["public"].as_str() == Some("true") || req["public"].as_bool() == Some(true);
    let created = now();
    f.projects.push(Project {
        id,
        name,
        public,
        updated: created.clone(),
        created,
        repo_count: 0,
        storage_used: 0,
        storage_limit: req["storage_limit"].as_i64().unwrap_or(-1),
        members: Vec::new(),
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

async fn get_project(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    match find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) {
        Some(p) => Json(project_json(p)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        ),
    }
}

async fn project_summary(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    let count = |role: i64| p.members.iter().filter(|m| m.role_id == role).count();
    Json(json!({
        "repo_count": p.repo_count,
        "project_admin_count": count(1), "developer_count": count(2), "guest_count": count(3), "maintainer_count": count(4),
        "quota": { "hard": { "storage": p.storage_limit }, "used": { "storage": p.storage_used } },
    }))
    .into_response()
}

async fn list_members(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
    Query(paging): Query<Paging>,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    let project_id = p.id;
    let items = p
        .members
        .iter()
        .map(|m| json!({ "id": m.id, "project_id": project_id, "entity_name": m.group_name, "role_id": m.role_id, "entity_id": m.id, "entity_type": if m.group_type == 3 { "g" } else { "u" } }))
        .collect();
    paged(
        &format!("/api/v2.0/projects/{name_or_id}/members"),
        "",
        &paging,
        items,
    )
}

async fn add_member(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let role_id = req["role_id"].as_i64().unwrap_or(0);
    let group_name = req["member_group"]["group_name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let group_type = req["member_group"]["group_type"].as_i64().unwrap_or(0);
    if !(1..=5).contains(&role_id) || group_name.is_empty() || group_type != 3 {
        // This stand-in is configured as an OIDC-authenticated Harbor: only OIDC groups (type 3).
        return error(
            StatusCode::BAD_REQUEST,
            "invalid member: need role_id 1-5 and an OIDC group (group_type 3)",
        );
    }
    let mut f = lock(&fake);
    f.next_id += 1;
    let id = f.next_id;
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    if p.members.iter().any(|m| m.group_name == group_name) {
        return error(
            StatusCode::CONFLICT,
            "The project member specified already exist",
        );
    }
    p.members.push(Member {
        id,
        role_id,
        group_name,
        group_type,
    });
    let location = format!("/api/v2.0/projects/{}/members/{id}", p.id);
    (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
}

#[derive(Deserialize)]
struct RobotListQuery {
    q: Option<String>,
    sort: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

async fn list_robots(State(fake): State<Shared>, Query(query): Query<RobotListQuery>) -> Response {
    let f = lock(&fake);
    // Supports the exact-match form Harbor documents, e.g. q=Level=system or q=name=robot$x, and its
    // fuzzy `name=~part` (a substring of the name).
    let filters: Vec<(String, String)> = query
        .q
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    let items = f
        .robots
        .iter()
        .filter(|r| {
            filters.iter().all(|(k, v)| match k.as_str() {
                "level" => &r.level == v,
                "name" => match v.strip_prefix('~') {
                    Some(part) => r.name.contains(part),
                    None => &r.name == v,
                },
                _ => true,
            })
        })
        .map(robot_json)
        .collect();
    paged(
        "/api/v2.0/robots",
        "",
        &query.paging,
        sorted(items, query.sort.as_deref()),
    )
}

async fn create_robot(State(fake): State<Shared>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let name = req["name"].as_str().unwrap_or_default().to_owned();
    let level = req["level"].as_str().unwrap_or_default().to_owned();
    let duration = req["duration"].as_i64().unwrap_or(-1);
    let permissions = req["permissions"].clone();
    let Some(perms) = permissions.as_array().filter(|p| !p.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad request: permissions are required",
        );
    };
    if name.is_empty()
        || !(level == "system" || level == "project")
        || (duration != -1 && duration <= 0)
    {
        return error(
            StatusCode::BAD_REQUEST,
            "bad request: name, level (system|project) and duration (-1 or > 0) are required",
        );
    }
    let mut f = lock(&fake);
    for perm in perms {
        let ns = perm["namespace"].as_str().unwrap_or_default();
        if perm["kind"] == "project" && ns != "*" && !f.projects.iter().any(|p| p.name == ns) {
            return error(StatusCode::NOT_FOUND, &format!("project {ns} not found"));
        }
    }
    let full_name = if level == "project" {
        format!(
            "{}{}+{}",
            f.robot_prefix,
            perms[0]["namespace"].as_str().unwrap_or_default(),
            name
        )
    } else {
        format!("{}{}", f.robot_prefix, name)
    };
    if f.robots.iter().any(|r| r.name == full_name) {
        // Real Harbor answers 409 here; the spec does not list it for POST /robots.
        return error(
            StatusCode::CONFLICT,
            &format!("robot account {full_name} already exists"),
        );
    }
    f.next_id += 1;
    let id = f.next_id;
    // Creation ignores any `secret` in the request, as Harbor does.
    let secret = generated_secret(id);
    let created = now();
    let expires_at = if duration == -1 {
        -1
    } else {
        unix_now() + duration * 86_400
    };
    f.robots.push(Robot {
        id,
        name: full_name.clone(),
        description: req["description"].as_str().unwrap_or_default().to_owned(),
        level,
        secret: secret.clone(),
        disable: req["disable"].as_bool().unwrap_or(false),
        duration,
        expires_at,
        permissions,
        created: created.clone(),
        updated: created.clone(),
    });
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v2.0/robots/{id}"))],
        Json(json!({ "id": id, "name": full_name, "secret": secret, "creation_time": created, "expires_at": expires_at })),
    )
        .into_response()
}

async fn get_robot(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let f = lock(&fake);
    match f.robots.iter().find(|r| r.id == id) {
        Some(r) => Json(robot_json(r)).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("robot {id} not found")),
    }
}

async fn refresh_robot_secret(
    State(fake): State<Shared>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let mut f = lock(&fake);
    let Some(robot) = f.robots.iter_mut().find(|r| r.id == id) else {
        return error(StatusCode::NOT_FOUND, &format!("robot {id} not found"));
    };
    let secret = match req["secret"].as_str() {
        Some(s) if valid_robot_secret(s) => s.to_owned(),
        Some(_) => return error(StatusCode::BAD_REQUEST, "the secret must be 8-128 characters with at least one uppercase letter, one lowercase letter and one number"),
        None => generated_secret(id),
    };
    robot.secret = secret.clone();
    robot.updated = now();
    Json(json!({ "secret": secret })).into_response()
}

/// `PUT /robots/{id}`: Harbor replaces description, permissions, disable and duration; the name and
/// level must stay (given with or without the prefix); the secret is untouched.
async fn update_robot(State(fake): State<Shared>, Path(id): Path<i64>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let mut f = lock(&fake);
    let prefix = f.robot_prefix.clone();
    let projects: Vec<String> = f.projects.iter().map(|p| p.name.clone()).collect();
    let Some(robot) = f.robots.iter_mut().find(|r| r.id == id) else {
        return error(StatusCode::NOT_FOUND, &format!("robot {id} not found"));
    };
    let name = req["name"].as_str().unwrap_or_default();
    if name != robot.name && format!("{prefix}{name}") != robot.name {
        return error(StatusCode::BAD_REQUEST, "cannot update the robot name");
    }
    if req["level"].as_str() != Some(robot.level.as_str()) {
        return error(StatusCode::BAD_REQUEST, "cannot update the robot level");
    }
    let Some(perms) = req["permissions"].as_array().filter(|p| !p.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "bad request: permissions are required",
        );
    };
    for perm in perms {
        let ns = perm["namespace"].as_str().unwrap_or_default();
        if perm["kind"] == "project" && ns != "*" && !projects.iter().any(|p| p == ns) {
            return error(StatusCode::NOT_FOUND, &format!("project {ns} not found"));
        }
    }
    robot.permissions = req["permissions"].clone();
    robot.description = req["description"].as_str().unwrap_or_default().to_owned();
    robot.disable = req["disable"].as_bool().unwrap_or(false);
    robot.updated = now();
    StatusCode::OK.into_response()
}

async fn delete_project(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
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

async fn update_member(
    State(fake): State<Shared>,
    Path((name_or_id, mid)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let role_id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["role_id"].as_i64())
        .unwrap_or(0);
    if !(1..=5).contains(&role_id) {
        return error(StatusCode::BAD_REQUEST, "invalid role_id");
    }
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    match p.members.iter_mut().find(|m| m.id == mid) {
        Some(m) => {
            m.role_id = role_id;
            StatusCode::OK.into_response()
        }
        None => error(StatusCode::NOT_FOUND, &format!("member {mid} not found")),
    }
}

async fn delete_member(
    State(fake): State<Shared>,
    Path((name_or_id, mid)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    p.members.retain(|m| m.id != mid);
    StatusCode::OK.into_response()
}

async fn get_stats(State(fake): State<Shared>) -> Json<Stats> {
    Json(lock(&fake).stats.clone())
}

async fn reset_stats(State(fake): State<Shared>) -> StatusCode {
    lock(&fake).stats = Stats::default();
    StatusCode::NO_CONTENT
}

async fn delete_robot(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let mut f = lock(&fake);
    let before = f.robots.len();
    f.robots.retain(|r| r.id != id);
    if f.robots.len() == before {
        error(StatusCode::NOT_FOUND, &format!("robot {id} not found"))
    } else {
        StatusCode::OK.into_response()
    }
}

async fn ping() -> &'static str {
    "Pong"
}

async fn systeminfo(State(fake): State<Shared>) -> Json<Value> {
    let f = lock(&fake);
    Json(
        json!({ "harbor_version": f.system.version, "auth_mode": "oidc_auth", "primary_auth_mode": false, "self_registration": false, "has_ca_root": false }),
    )
}

async fn health(State(fake): State<Shared>) -> Json<Value> {
    let f = lock(&fake);
    let components = [
        "core",
        "database",
        "jobservice",
        "portal",
        "redis",
        "registry",
        "registryctl",
    ];
    let listed: Vec<Value> = components
        .iter()
        .map(|c| match f.system.unhealthy.iter().any(|u| u == c) {
            true => json!({ "name": c, "status": "unhealthy", "error": format!("failed to connect to {c}") }),
            false => json!({ "name": c, "status": "healthy" }),
        })
        .collect();
    let status = if f.system.unhealthy.is_empty() {
        "healthy"
    } else {
        "unhealthy"
    };
    Json(json!({ "status": status, "components": listed }))
}

fn user_json(u: &User) -> Value {
    json!({
        "user_id": u.id, "username": u.username, "email": u.email, "realname": u.realname, "comment": "",
        "sysadmin_flag": u.sysadmin, "admin_role_in_auth": false, "creation_time": u.created, "update_time": u.updated,
    })
}

/// Harbor's `q` for users: `username=~x`, `email=~x` (fuzzy) or `username=x` (exact), comma-separated.
fn user_matches(u: &User, q: &str) -> bool {
    q.split(',').filter(|c| !c.is_empty()).all(|condition| {
        let (key, fuzzy, value) = match condition.split_once("=~") {
            Some((k, v)) => (k, true, v),
            None => match condition.split_once('=') {
                Some((k, v)) => (k, false, v),
                None => return false,
            },
        };
        let field = match key {
            "username" => &u.username,
            "email" => &u.email,
            _ => return false,
        };
        if fuzzy {
            field.to_lowercase().contains(&value.to_lowercase())
        } else {
            field == value
        }
    })
}

#[derive(Deserialize)]
struct UserListQuery {
    q: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

async fn list_users(State(fake): State<Shared>, Query(query): Query<UserListQuery>) -> Response {
    let f = lock(&fake);
    let q = query.q.unwrap_or_default();
    let items = f
        .users
        .iter()
        .filter(|u| user_matches(u, &q))
        .map(user_json)
        .collect();
    let extra = if q.is_empty() {
        String::new()
    } else {
        format!("&q={}", url_escape(&q))
    };
    paged("/api/v2.0/users", &extra, &query.paging, items)
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The admin account (the only caller the fake authenticates).
async fn current_user(State(fake): State<Shared>) -> Response {
    let f = lock(&fake);
    match f.users.iter().find(|u| u.id == 1) {
        Some(u) => Json(user_json(u)).into_response(),
        None => error(StatusCode::UNAUTHORIZED, "UnAuthorize"),
    }
}

async fn get_user(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let f = lock(&fake);
    match f.users.iter().find(|u| u.id == id) {
        Some(u) => Json(user_json(u)).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("user {id} not found")),
    }
}

/// Harbor marks the user deleted (its name and e-mail are freed, so the person can be onboarded again);
/// the admin account (id 1) cannot be deleted.
async fn delete_user(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let mut f = lock(&fake);
    if id == 1 {
        return error(StatusCode::FORBIDDEN, "can not delete the admin user");
    }
    let before = f.users.len();
    f.users.retain(|u| u.id != id);
    if f.users.len() == before {
        return error(StatusCode::NOT_FOUND, &format!("user {id} not found"));
    }
    StatusCode::OK.into_response()
}

/// Creates a local user; 409 when the username or e-mail is taken: the same conflict an OIDC sign-in to
/// Harbor meets when a stale account holds them.
async fn create_user(State(fake): State<Shared>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let text = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let (username, email) = (text("username"), text("email"));
    if username.is_empty() || !valid_robot_secret(&text("password")) {
        return error(StatusCode::BAD_REQUEST, "username and a password of 8-128 characters with upper, lower case and a digit are required");
    }
    let mut f = lock(&fake);
    if f.users.iter().any(|u| {
        u.username.eq_ignore_ascii_case(&username)
            || (!email.is_empty() && u.email.eq_ignore_ascii_case(&email))
    }) {
        return error(
            StatusCode::CONFLICT,
            "the user with same username or email has been onboarded",
        );
    }
    f.next_user_id += 1;
    let id = f.next_user_id;
    let created = req["creation_time"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(now);
    f.users.push(User {
        id,
        username,
        email,
        realname: text("realname"),
        sysadmin: false,
        updated: created.clone(),
        created,
    });
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v2.0/users/{id}"))],
    )
        .into_response()
}

#[derive(Deserialize)]
struct SystemRequest {
    version: Option<String>,
    #[serde(default)]
    unhealthy: Vec<String>,
}

/// Sets the version `/systeminfo` reports and the components `/health` calls unhealthy.
async fn set_system(State(fake): State<Shared>, Json(req): Json<SystemRequest>) -> StatusCode {
    let mut f = lock(&fake);
    f.system = System {
        version: req.version.unwrap_or_else(|| DEFAULT_VERSION.to_owned()),
        unhealthy: req.unhealthy,
    };
    StatusCode::NO_CONTENT
}

/// A user as Harbor records an OIDC user on first sign-in, with a chosen creation time (seeding the stale
/// account of an identity provider that was redeployed).
async fn seed_user(State(fake): State<Shared>, Json(req): Json<Value>) -> Response {
    let mut f = lock(&fake);
    f.next_user_id += 1;
    let id = f.next_user_id;
    let text = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let created = req["creation_time"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(now);
    f.users.push(User {
        id,
        username: text("username"),
        email: text("email"),
        realname: text("realname"),
        sysadmin: false,
        updated: created.clone(),
        created,
    });
    Json(json!({ "user_id": id })).into_response()
}

const DEFAULT_VERSION: &str = "v2.15.2-fake";

/// The registry's login check (`docker login` does `GET /v2/` with basic auth): robots by name and
/// current secret, refused when disabled or expired.
async fn registry_login(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    let f = lock(&fake);
    let ok = basic_credentials(&headers).is_some_and(|(user, pass)| {
        (user == f.admin_user && pass == f.admin_password)
            || f.robots.iter().any(|r| {
                r.name == user
                    && r.secret == pass
                    && !r.disable
                    && (r.expires_at == -1 || r.expires_at > unix_now())
            })
    });
    if ok {
        Json(json!({})).into_response()
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"harbor\"")],
            Json(json!({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})),
        )
            .into_response()
    }
}

#[derive(Deserialize)]
struct FaultRequest {
    latency_ms: Option<u64>,
    status: Option<u16>,
    method: Option<String>,
    path: Option<String>,
}

async fn set_faults(State(fake): State<Shared>, Json(req): Json<FaultRequest>) -> StatusCode {
    let mut f = lock(&fake);
    f.faults = Faults {
        latency_ms: req.latency_ms.unwrap_or(0),
        status: req.status,
        method: req.method,
        path: req.path,
    };
    StatusCode::NO_CONTENT
}

#[derive(Deserialize, Clone, Copy)]
struct UsageRequest {
    repo_count: i64,
    storage_used: i64,
    storage_limit: Option<i64>,
}

fn apply_usage(p: &mut Project, usage: UsageRequest) {
    p.repo_count = usage.repo_count;
    p.storage_used = usage.storage_used;
    if let Some(limit) = usage.storage_limit {
        p.storage_limit = limit;
    }
}

/// Sets a project's usage figures; for a project not created yet, they apply when it is.
async fn set_usage(
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

/// Robots with their current secrets, for tests that check what Berth wrote.
async fn dump_robot_secret(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let f = lock(&fake);
    match f.robots.iter().find(|r| r.id == id) {
        Some(r) => Json(json!({ "name": r.name, "secret": r.secret })).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let addr = env("FAKE_HARBOR_ADDR", "127.0.0.1:8089");
    let fake: Shared = Arc::new(Mutex::new(Fake {
        users: vec![User {
            id: 1,
            username: env("FAKE_HARBOR_ADMIN_USER", "admin"),
            email: "admin@example.com".into(),
            realname: "system admin".into(),
            sysadmin: true,
            created: now(),
            updated: now(),
        }],
        next_user_id: 2,
        system: System {
            version: DEFAULT_VERSION.into(),
            unhealthy: Vec::new(),
        },
        admin_user: env("FAKE_HARBOR_ADMIN_USER", "admin"),
        admin_password: env("FAKE_HARBOR_ADMIN_PASSWORD", "Harbor12345"),
        robot_prefix: env("FAKE_HARBOR_ROBOT_PREFIX", "robot$"),
        next_id: 0,
        projects: Vec::new(),
        robots: Vec::new(),
        faults: Faults::default(),
        stats: Stats::default(),
        future_usage: Default::default(),
    }));
    let api = Router::new()
        .route("/ping", get(ping))
        .route("/systeminfo", get(systeminfo))
        .route("/health", get(health))
        .route(
            "/projects",
            get(list_projects).head(head_project).post(create_project),
        )
        .route(
            "/projects/{project}",
            get(get_project).delete(delete_project),
        )
        .route("/projects/{project}/summary", get(project_summary))
        .route(
            "/projects/{project}/members",
            get(list_members).post(add_member),
        )
        .route(
            "/projects/{project}/members/{mid}",
            axum::routing::put(update_member).delete(delete_member),
        )
        .route("/users", get(list_users).post(create_user))
        .route("/users/current", get(current_user))
        .route("/users/{id}", get(get_user).delete(delete_user))
        .route("/robots", get(list_robots).post(create_robot))
        .route(
            "/robots/{id}",
            get(get_robot)
                .put(update_robot)
                .patch(refresh_robot_secret)
                .delete(delete_robot),
        )
        .layer(middleware::from_fn_with_state(fake.clone(), api_guard));
    let app = Router::new()
        .nest("/api/v2.0", api)
        .route("/v2/", get(registry_login))
        .route("/__fake/faults", post(set_faults))
        .route("/__fake/system", post(set_system))
        .route("/__fake/users", post(seed_user))
        .route("/__fake/projects/{name}/usage", post(set_usage))
        .route("/__fake/robots/{id}", get(dump_robot_secret))
        .route("/__fake/stats", get(get_stats).delete(reset_stats))
        .route("/__fake/healthz", get(|| async { "ok" }))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| panic!("fake-harbor: cannot listen on {addr}: {e}"));
    println!("fake-harbor listening on http://{addr}");
    axum::serve(listener, app)
        .await
        .expect("fake-harbor server failed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harbor_rules() {
        assert!(valid_project_name("team-alpha"));
        assert!(!valid_project_name("Team-Alpha"));
        assert!(!valid_project_name("-alpha"));
        assert!(valid_robot_secret("Abcdefg1"));
        assert!(!valid_robot_secret("abcdefg1"));
        assert!(!valid_robot_secret("Abc1"));
    }
}
