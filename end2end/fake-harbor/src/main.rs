//! A stateful stand-in for Harbor's v2.0 API (the parts Berth uses) and its registry login, behaving as
//! Harbor's code does (goharbor/harbor v2.15.2): 404 for missing things, 409 for duplicates, Harbor's
//! name and secret rules, paginated lists with `X-Total-Count` and `Link` (`page_size` over 100 is a
//! 422), the creator as a project member, group members as the auth mode makes them, and the admin
//! left out of user lists. Callers are resolved in `auth` (only the built-in admin may use a password
//! in `oidc_auth` mode; anything else is anonymous), `q` is read in `query` (decoded once more), and
//! the robot v2 API lives in `robots`. Passwords and robot secrets are stored and checked as Harbor
//! does, at its PBKDF2 cost, in `credentials`; the UI session (`POST /c/login`) and its CSRF check are
//! in `session`. Tests put Prism in front of it to check every exchange against Harbor's own spec.
//!
//! Control endpoints under `/__fake/` (never proxied through Prism) let tests inject latency or
//! failures, set the version, health, auth mode, robot prefix and session timeout, seed users, set
//! project usage, end every session or draw a new CSRF key, and read the hashing work (`/__fake/stats`).
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

mod auth;
mod credentials;
mod query;
mod robots;
mod session;
use auth::{AuthMode, Caller};
use credentials::{Hashed, Kind};
use robots::{
    create_robot, delete_robot, dump_robot_secret, get_robot, list_robots, refresh_robot_secret,
    update_robot, valid_robot_secret, Robot,
};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What clients asked of the API (control endpoints excluded), for tests that count requests and writes.
#[derive(Default, Clone, serde::Serialize)]
struct Stats {
    requests: u64,
    writes: u64,
    by_method: std::collections::BTreeMap<String, u64>,
    /// Harbor's hashing work for the credentials it was given (filled in when read).
    authentication: credentials::CostReport,
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

/// A project member: a group (`group_type` 1 LDAP, 2 HTTP, 3 OIDC) or, for the creator, a user (0).
struct Member {
    id: i64,
    role_id: i64,
    group_name: String,
    group_type: i64,
}

/// A Harbor user. OIDC users appear on their first sign-in to Harbor; local ones through `POST /users`.
struct User {
    id: i64,
    username: String,
    email: String,
    realname: String,
    sysadmin: bool,
    /// A local user's password (the built-in admin's included), as Harbor stores it; OIDC users have none.
    password: Option<credentials::Hashed>,
    created: String,
    updated: String,
}

/// What `/systeminfo` and `/health` report; tests change it through `/__fake/system`.
struct System {
    version: String,
    unhealthy: Vec<String>,
    auth_mode: AuthMode,
}

struct Fake {
    users: Vec<User>,
    next_user_id: i64,
    system: System,
    admin_user: String,
    sessions: session::Sessions,
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
        StatusCode::UNPROCESSABLE_ENTITY => "UNPROCESSABLE_ENTITY",
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

/// Faults first (as a broken Harbor would answer); who is calling is `auth::guard`'s.
async fn api_guard(State(fake): State<Shared>, request: Request, next: Next) -> Response {
    let (latency, status) = {
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
        (f.faults.latency_ms, f.faults.status.filter(|_| hit))
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    if let Some(status) = status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return error(status, "injected fault");
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
    let size = number(&paging.page_size, 10);
    if size > 100 {
        // Harbor's framework checks the spec's maximum before the handler runs.
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "page_size in query should be less than or equal to 100",
        );
    }
    let total = items.len();
    // page_size=0 is every row, without Link.
    let size = if size == 0 { total.max(1) } else { size };
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

/// Harbor's rule for project and robot names, `^[a-z0-9]+(?:[._-][a-z0-9]+)*$`: runs of lower-case
/// letters and digits joined by single separators (`a--b` is refused).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.split(['.', '_', '-']).all(|run| {
            !run.is_empty()
                && run
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[derive(Deserialize)]
struct ProjectListQuery {
    name: Option<String>,
    sort: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// Anonymous callers (wrong credentials among them) see the public projects only, with a 200.
async fn list_projects(
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
        .map(|m| json!({ "id": m.id, "project_id": project_id, "entity_name": m.group_name, "role_id": m.role_id, "entity_id": m.id, "entity_type": if m.group_type > 0 { "g" } else { "u" } }))
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
    let ldap_dn = req["member_group"]["ldap_group_dn"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut f = lock(&fake);
    // A group is made as Harbor's auth mode makes groups (src/controller/member/controller.go): OIDC
    // groups by name (type 3), HTTP groups by name (type 2, with skip_search on), LDAP groups by DN
    // (type 1, named by their cn); db_auth has none.
    let (group_name, group_type) = match f.system.auth_mode {
        AuthMode::Oidc => (group_name, 3),
        AuthMode::Http => (group_name, 2),
        AuthMode::Ldap if !ldap_dn.is_empty() => {
            let cn = ldap_dn
                .split(',')
                .next()
                .and_then(|rdn| rdn.split_once('='))
                .map_or(ldap_dn.as_str(), |(_, v)| v.trim())
                .to_owned();
            (cn, 1)
        }
        // Harbor's LDAP search for a name that is no DN fails inside: a 500.
        AuthMode::Ldap => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
        AuthMode::Db => {
            return error(
                StatusCode::NOT_FOUND,
                &format!("group {group_name} not found: not supported"),
            )
        }
    };
    if group_name.is_empty() {
        return error(StatusCode::BAD_REQUEST, "invalid member group");
    }
    if !(1..=5).contains(&role_id) {
        return error(StatusCode::BAD_REQUEST, "invalid role_id");
    }
    f.next_id += 1;
    let id = f.next_id;
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    if p.members
        .iter()
        .any(|m| m.group_name == group_name && m.group_type == group_type)
    {
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
    // Harbor does not check the role here (only POST does).
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return error(
            StatusCode::NOT_FOUND,
            &format!("project {name_or_id} not found"),
        );
    };
    // Harbor updates by id without looking first: a missing member is a 200 that changes nothing.
    if let Some(m) = p.members.iter_mut().find(|m| m.id == mid) {
        m.role_id = role_id;
    }
    StatusCode::OK.into_response()
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
    let mut stats = lock(&fake).stats.clone();
    stats.authentication = credentials::cost();
    Json(stats)
}

async fn reset_stats(State(fake): State<Shared>) -> StatusCode {
    lock(&fake).stats = Stats::default();
    credentials::reset_cost();
    StatusCode::NO_CONTENT
}

async fn ping() -> &'static str {
    "Pong"
}

/// Harbor tells anonymous callers only how to sign in; its version and the rest need a signed-in caller.
async fn systeminfo(
    State(fake): State<Shared>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Json<Value> {
    let f = lock(&fake);
    let mut info = json!({ "auth_mode": f.system.auth_mode.as_str(), "primary_auth_mode": false, "self_registration": false, "banner_message": "" });
    if !caller.is_anonymous() {
        info["harbor_version"] = json!(f.system.version);
        info["has_ca_root"] = json!(false);
    }
    Json(info)
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

#[derive(Deserialize)]
struct UserListQuery {
    q: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// Harbor lists users other than its built-in admin (`user_id > 1`), filtered by `q` on `username`
/// and `email` (other keys of the user model are ignored here).
async fn list_users(State(fake): State<Shared>, Query(query): Query<UserListQuery>) -> Response {
    let filters = match query::parse(query.q.as_deref()) {
        Ok(filters) => filters,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let f = lock(&fake);
    let items = f
        .users
        .iter()
        .filter(|u| u.id > 1)
        .filter(|u| {
            filters.iter().all(|(key, m)| match key.as_str() {
                "username" => m.accepts(&u.username),
                "email" => m.accepts(&u.email),
                _ => true,
            })
        })
        .map(user_json)
        .collect();
    let extra = match query.q.as_deref() {
        Some(q) if !q.is_empty() => format!("&q={}", url_escape(q)),
        _ => String::new(),
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
async fn current_user(
    State(fake): State<Shared>,
    axum::Extension(caller): axum::Extension<Caller>,
) -> Response {
    let f = lock(&fake);
    let id = match caller {
        Caller::User { id, .. } => id,
        Caller::Anonymous => return error(StatusCode::UNAUTHORIZED, "unauthorized"),
    };
    match f.users.iter().find(|u| u.id == id) {
        Some(u) => Json(user_json(u)).into_response(),
        None => error(StatusCode::UNAUTHORIZED, "unauthorized"),
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
    let password = Hashed::new(Kind::UserPassword, &text("password")).await;
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
        password: Some(password),
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
    /// Harbor's robot_name_prefix setting (kept when absent); every robot's name changes with it.
    robot_prefix: Option<String>,
    /// `db_auth`, `ldap_auth`, `http_auth` or `oidc_auth` (the default).
    auth_mode: Option<String>,
    /// Harbor's `session_timeout` (kept when absent).
    session_timeout_secs: Option<u64>,
}

/// Sets the version `/systeminfo` reports and the components `/health` calls unhealthy.
async fn set_system(State(fake): State<Shared>, Json(req): Json<SystemRequest>) -> StatusCode {
    let mut f = lock(&fake);
    if let Some(prefix) = req.robot_prefix {
        f.robot_prefix = prefix;
    }
    if let Some(secs) = req.session_timeout_secs {
        f.sessions.timeout = Duration::from_secs(secs);
    }
    f.system = System {
        version: req.version.unwrap_or_else(|| DEFAULT_VERSION.to_owned()),
        unhealthy: req.unhealthy,
        auth_mode: req
            .auth_mode
            .as_deref()
            .and_then(AuthMode::parse)
            .unwrap_or(AuthMode::Oidc),
    };
    StatusCode::NO_CONTENT
}

/// A user as Harbor records an OIDC user on first sign-in, with a chosen creation time (seeding the stale
/// account of an identity provider that was redeployed).
async fn seed_user(State(fake): State<Shared>, Json(req): Json<Value>) -> Response {
    let password = match req["password"].as_str() {
        Some(p) => Some(Hashed::new(Kind::UserPassword, p).await),
        None => None,
    };
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
        sysadmin: req["sysadmin_flag"].as_bool().unwrap_or(false),
        password,
        updated: created.clone(),
        created,
    });
    Json(json!({ "user_id": id })).into_response()
}

const DEFAULT_VERSION: &str = "v2.15.2-fake";

/// The registry's login check (`docker login` does `GET /v2/` with basic auth): robots by name and
/// current secret (4,096 iterations), refused when disabled or expired; the admin by password.
async fn registry_login(State(fake): State<Shared>, headers: HeaderMap) -> Response {
    let stored = basic_credentials(&headers).and_then(|(user, pass)| {
        let f = lock(&fake);
        let hashed = if user == f.admin_user {
            f.users.iter().find(|u| u.id == 1)?.password.clone()
        } else {
            f.robots
                .iter()
                .find(|r| {
                    r.full_name(&f.robot_prefix) == user
                        && !r.disable
                        && (r.expires_at == -1 || r.expires_at > unix_now())
                })
                .map(|r| r.secret.clone())
        };
        Some((hashed?, pass))
    });
    let ok = match stored {
        Some((hashed, pass)) => hashed.matches(&pass).await,
        None => false,
    };
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

#[tokio::main]
async fn main() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let addr = env("FAKE_HARBOR_ADDR", "127.0.0.1:8089");
    let admin_password = Hashed::new(
        Kind::UserPassword,
        &env("FAKE_HARBOR_ADMIN_PASSWORD", "Harbor12345"),
    )
    .await;
    credentials::reset_cost();
    let fake: Shared = Arc::new(Mutex::new(Fake {
        users: vec![User {
            id: 1,
            username: env("FAKE_HARBOR_ADMIN_USER", "admin"),
            email: "admin@example.com".into(),
            realname: "system admin".into(),
            sysadmin: true,
            password: Some(admin_password),
            created: now(),
            updated: now(),
        }],
        next_user_id: 2,
        system: System {
            version: DEFAULT_VERSION.into(),
            unhealthy: Vec::new(),
            auth_mode: AuthMode::Oidc,
        },
        admin_user: env("FAKE_HARBOR_ADMIN_USER", "admin"),
        sessions: session::Sessions::default(),
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
        // Layers run last-added first: faults and counts, then the caller.
        .layer(middleware::from_fn_with_state(fake.clone(), auth::guard))
        .layer(middleware::from_fn_with_state(fake.clone(), api_guard));
    let ui = Router::new()
        .route("/c/login", post(session::login))
        .route("/c/log_out", get(session::log_out))
        .layer(middleware::from_fn_with_state(fake.clone(), api_guard));
    let app = Router::new()
        .nest("/api/v2.0", api)
        .merge(ui)
        .route("/v2/", get(registry_login))
        .route("/__fake/sessions/expire", post(session::expire_all))
        .route("/__fake/csrf-key", post(session::new_csrf_key))
        .route("/__fake/faults", post(set_faults))
        .route("/__fake/system", post(set_system))
        .route("/__fake/users", post(seed_user))
        .route("/__fake/projects/{name}/usage", post(set_usage))
        .route("/__fake/robots/{id}", get(dump_robot_secret))
        .route("/__fake/stats", get(get_stats).delete(reset_stats))
        .route("/__fake/healthz", get(|| async { "ok" }))
        // Harbor's CSRF check is global middleware: it runs before any route is matched.
        .layer(middleware::from_fn_with_state(fake.clone(), session::csrf))
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
        assert!(valid_name("team-alpha"));
        assert!(valid_name("a.b_c-1"));
        assert!(!valid_name("Team-Alpha"));
        assert!(!valid_name("-alpha"));
        assert!(!valid_name("a--b"));
        assert!(!valid_name("alpha."));
        assert!(valid_robot_secret("Abcdefg1"));
        assert!(!valid_robot_secret("abcdefg1"));
        assert!(!valid_robot_secret("Abc1"));
    }
}
