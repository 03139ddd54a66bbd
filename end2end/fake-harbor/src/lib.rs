//! A stateful stand-in for Harbor's v2.0 API (the parts Berth uses) and its registry login,
//! behaving as Harbor's code does (goharbor/harbor v2.15.2): 404 for missing things, 409 for
//! duplicates, Harbor's name and secret rules, paginated lists with `X-Total-Count` and `Link`
//! (`page_size` over 100 is a 422), the creator as a project member, group members as the auth mode
//! makes them, and the admin left out of user lists. Callers are resolved in `auth` (only the
//! built-in admin may use a password in `oidc_auth` mode; anything else is anonymous), `q` is read
//! in `query` (decoded once more), and each resource has its module: `projects`, `members`,
//! `users`, `robots` (the robot v2 API), `system` (ping, system info, health) and `registry`
//! (`docker login`); faults and counts are in `control`. This file holds the state they share and
//! the router; `main.rs` serves it, tests may start it in process. Passwords and robot secrets are
//! stored and checked as Harbor does, at its PBKDF2 cost, in `credentials`; the UI session (`POST
//! /c/login`) and its CSRF check are in `session`. Tests put Prism in front of it to check every
//! exchange against Harbor's own spec.
//!
//! Control endpoints under `/__fake/` (never proxied through Prism) let tests inject latency or
//! failures, set the version, health, auth mode, robot prefix and session timeout, seed users, set
//! project usage, end every session or draw a new CSRF key, and read the hashing work
//! (`/__fake/stats`).
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

mod auth;
mod control;
mod credentials;
mod members;
mod projects;
mod query;
mod registry;
mod robots;
mod session;
mod system;
mod users;
use auth::AuthMode;
use control::{api_guard, get_stats, reset_stats, set_faults};
use credentials::{Hashed, Kind};
use members::{add_member, delete_member, list_members, update_member};
use projects::{
    create_project, delete_project, get_project, head_project, list_projects, project_summary,
    set_usage, UsageRequest,
};
use registry::registry_login;
use robots::{
    create_robot, delete_robot, dump_robot_secret, get_robot, list_robots, refresh_robot_secret,
    update_robot, Robot,
};
use system::{health, ping, set_system, systeminfo, DEFAULT_VERSION};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use users::{create_user, current_user, delete_user, get_user, list_users, seed_user};

/// What clients asked of the API (control endpoints excluded), for tests that
/// count requests and writes.
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
    /// The status fault hits only requests with this method and/or a path (with its query)
    /// containing this text.
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

/// A Harbor user. OIDC users appear on their first sign-in to Harbor; local
/// ones through `POST /users`.
struct User {
    id: i64,
    username: String,
    email: String,
    realname: String,
    sysadmin: bool,
    /// A local user's password (the built-in admin's included), as Harbor stores
    /// it; OIDC users have none.
    password: Option<credentials::Hashed>,
    created: String,
    updated: String,
    /// The `oidc_user` row an OIDC sign-in to Harbor makes.
    oidc: Option<OidcRecord>,
}

/// Harbor's `oidc_user` row: subject and issuer as one string, the CLI secret (returned in plain
/// text by `GET /users/{id}`), and when the row last changed (each sign-in rewrites its token).
struct OidcRecord {
    subiss: String,
    cli_secret: String,
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

/// The state; a handler that panicked mid-change leaves it as it was, which
/// is all a test double needs.
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

/// Numbers as text: serde's `flatten` (used by the list queries) cannot parse
/// them from a query string.
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

/// Who the fake is: its built-in admin and Harbor's robot name prefix.
pub struct Options {
    pub admin_user: String,
    pub admin_password: String,
    pub robot_prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            admin_user: "admin".into(),
            admin_password: "Harbor12345".into(),
            robot_prefix: "robot$".into(),
        }
    }
}

/// The whole fake, empty but for its admin: the API under `/api/v2.0`, the UI sign-in, the registry
/// login and the `/__fake/` controls. Serve it with `axum::serve` on any listener.
pub async fn router(options: Options) -> Router {
    let admin_password = Hashed::new(Kind::UserPassword, &options.admin_password).await;
    credentials::reset_cost();
    let fake: Shared = Arc::new(Mutex::new(Fake {
        users: vec![User {
            id: 1,
            username: options.admin_user.clone(),
            email: "admin@example.com".into(),
            realname: "system admin".into(),
            sysadmin: true,
            password: Some(admin_password),
            created: now(),
            updated: now(),
            oidc: None,
        }],
        next_user_id: 2,
        system: System {
            version: DEFAULT_VERSION.into(),
            unhealthy: Vec::new(),
            auth_mode: AuthMode::Oidc,
        },
        admin_user: options.admin_user,
        sessions: session::Sessions::default(),
        robot_prefix: options.robot_prefix,
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
    Router::new()
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
        .with_state(fake)
}

#[cfg(test)]
mod tests {
    use crate::projects::valid_name;
    use crate::robots::valid_robot_secret;

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
