//! Robot accounts (v2 API) as Harbor's code handles them (src/server/v2.0/handler/robot.go,
//! src/controller/robot/controller.go, src/common/rbac/const.go):
//! - `GET /robots` lists system robots unless `q` says `Level=project` with a positive `ProjectID`;
//! - `POST /robots` checks the name rule, duration, level, non-empty permissions and access, the
//!   resource:action pairs Harbor's policy list allows, and namespaces (a project robot has exactly
//!   one permission, on its own project); it ignores `secret` and `disable`;
//! - `PATCH /robots/{id}` sets a given secret without echoing it (a generated one is returned);
//! - `PUT /robots/{id}` wants the stored level and the full, prefixed name.
use crate::credentials::{Hashed, Kind};
use crate::projects::valid_name;
use crate::query::{self, Match};
use crate::{error, lock, now, paged, unix_now, Paging, Shared};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub struct Robot {
    pub id: i64,
    /// As Harbor stores it: without the prefix (`berth-a-pull`, `team-a+ci` for a
    /// project robot). Answers add the prefix configured at that moment, so changing the
    /// prefix renames every robot.
    pub name: String,
    pub description: String,
    pub level: String,
    /// The project of a project-level robot; 0 for system robots.
    pub project_id: i64,
    pub secret: Hashed,
    /// The secret in clear, for the control endpoint only (Harbor keeps just the hash).
    pub secret_for_tests: String,
    pub disable: bool,
    pub duration: i64,
    pub expires_at: i64,
    pub permissions: Value,
    pub created: String,
    pub updated: String,
}

impl Robot {
    pub fn full_name(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.name)
    }
}

/// Harbor answers a list without secrets; the secret is shown only on creation.
fn robot_json(r: &Robot, prefix: &str) -> Value {
    json!({
        "id": r.id, "name": r.full_name(prefix), "description": r.description, "level": r.level,
        "duration": r.duration, "editable": true, "disable": r.disable, "expires_at": r.expires_at,
        "permissions": r.permissions,
        "creation_time": r.created, "update_time": r.updated,
    })
}

/// Harbor's robot secret rule: 8-128 characters with an upper-case letter, a
/// lower-case letter and a digit.
pub fn valid_robot_secret(secret: &str) -> bool {
    (8..=128).contains(&secret.len())
        && secret.chars().any(|c| c.is_ascii_uppercase())
        && secret.chars().any(|c| c.is_ascii_lowercase())
        && secret.chars().any(|c| c.is_ascii_digit())
}

/// A random secret that meets Harbor's rule, as Harbor generates one; and how Harbor stores it.
async fn generated_secret() -> (String, Hashed) {
    let random: String = {
        use rand::distr::{Alphanumeric, SampleString};
        Alphanumeric.sample_string(&mut rand::rng(), 29)
    };
    let secret = format!("Gx7{random}");
    let hashed = Hashed::new(Kind::RobotSecret, &secret).await;
    (secret, hashed)
}

/// The (resource, action) pairs Harbor's policy list allows a robot, by permission kind.
fn allowed(kind: &str, resource: &str, action: &str) -> bool {
    let actions: &[&str] = match (kind, resource) {
        ("project", "log") => &["list"],
        ("project", "project") => &["read", "delete", "update"],
        (
            "project",
            "metadata" | "label" | "preheat-policy" | "notification-policy" | "tag-retention",
        ) => &["read", "create", "delete", "list", "update"],
        ("project", "repository") => &["read", "update", "delete", "list", "pull", "push"],
        ("project", "artifact") => &["read", "create", "list", "delete"],
        ("project", "scan") => &["create", "read", "stop"],
        ("project", "sbom") => &["create", "stop", "read"],
        ("project", "tag") => &["create", "list", "delete"],
        ("project", "accessory") => &["list"],
        ("project", "artifact-addition") => &["read"],
        ("project", "artifact-label") => &["create", "delete"],
        ("project", "scanner") => &["create", "read"],
        ("project", "immutable-tag") => &["create", "delete", "list", "update"],
        ("project", "quota") => &["read"],
        ("project", "robot") => &["create", "read", "list", "delete"],
        ("project", "export-cve") => &["create", "read"],
        ("project", "member") => &["create", "read", "update", "list", "delete"],
        ("system", "audit-log") => &["list"],
        ("system", "project") => &["list", "create"],
        ("system", "registry" | "preheat-instance" | "replication-policy" | "scanner") => {
            &["read", "create", "delete", "list", "update"]
        }
        ("system", "replication") => &["read", "create", "list"],
        ("system", "replication-adapter") => &["list"],
        ("system", "label") => &["read", "create", "delete", "update"],
        ("system", "robot") => &["create", "read", "list", "delete"],
        ("system", "user" | "user-group") => &["create", "read", "update", "list", "delete"],
        ("system", "quota") => &["read", "list", "update"],
        _ => &[],
    };
    actions.contains(&action)
}

/// Harbor's `validate` for a robot's duration, level and permissions; the 400 message on failure.
fn check_robot(level: &str, duration: i64, perms: &Value) -> Result<(), String> {
    if duration != -1 && !(1..i64::from(i32::MAX)).contains(&duration) {
        return Err(format!("bad request error duration input: {duration}"));
    }
    if level != "system" && level != "project" {
        return Err(format!("bad request error level input: {level}"));
    }
    let Some(perms) = perms.as_array().filter(|p| !p.is_empty()) else {
        return Err("bad request empty permission".into());
    };
    if level == "project" && perms.len() != 1 {
        return Err("bad request permission".into());
    }
    for perm in perms {
        let kind = perm["kind"].as_str().unwrap_or_default();
        if kind != "system" && kind != "project" {
            return Err(format!("bad request permission level: {kind}"));
        }
        let Some(access) = perm["access"].as_array().filter(|a| !a.is_empty()) else {
            return Err("bad request empty access".into());
        };
        for a in access {
            let (resource, action) = (
                a["resource"].as_str().unwrap_or_default(),
                a["action"].as_str().unwrap_or_default(),
            );
            if !allowed(kind, resource, action) {
                return Err(format!("bad request permission: {resource}:{action}"));
            }
        }
    }
    Ok(())
}

/// The namespaces of `perms` as Harbor resolves them: the project id of a project robot (0 for a
/// system robot), or the status and message Harbor answers.
fn resolve_namespaces(
    projects: &[(i64, String)],
    level: &str,
    perms: &[Value],
) -> Result<i64, (StatusCode, String)> {
    let project_id = |name: &str| {
        projects
            .iter()
            .find(|(_, n)| n == name)
            .map(|(id, _)| *id)
            .ok_or_else(|| (StatusCode::NOT_FOUND, format!("project {name} not found")))
    };
    if level == "project" {
        return project_id(perms[0]["namespace"].as_str().unwrap_or_default());
    }
    for perm in perms {
        let ns = perm["namespace"].as_str().unwrap_or_default();
        match perm["kind"].as_str() {
            Some("system") if ns != "/" => {
                return Err((StatusCode::BAD_REQUEST, format!("unknown namespace: {ns}")))
            }
            Some("project") if ns != "*" => drop(project_id(ns)?),
            _ => {}
        }
    }
    Ok(0)
}

#[derive(Deserialize)]
pub struct RobotListQuery {
    q: Option<String>,
    sort: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

pub async fn list_robots(
    State(fake): State<Shared>,
    Query(query): Query<RobotListQuery>,
) -> Response {
    let filters = match query::parse(query.q.as_deref()) {
        Ok(filters) => filters,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let keyword = |key: &str| filters.iter().find(|(k, _)| k == key).map(|(_, m)| m);
    // Without `Level`, Harbor lists system robots only (and sets ProjectID to 0).
    let (level, project_id) = match keyword("Level").and_then(Match::exact) {
        None => ("system", 0),
        Some("system") => ("system", 0),
        Some("project") => match keyword("ProjectID").map(|m| m.exact().map(str::parse::<i64>)) {
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "must with project ID when to query project robots",
                )
            }
            Some(Some(Ok(id))) if id > 0 => ("project", id),
            Some(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "ProjectID must be a positive integer",
                )
            }
        },
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("bad request error level input: {other}"),
            )
        }
    };
    let f = lock(&fake);
    let mut robots: Vec<&Robot> = f
        .robots
        .iter()
        .filter(|r| r.level == level && r.project_id == project_id)
        .filter(|r| {
            filters.iter().all(|(key, m)| match key.as_str() {
                "name" => m.accepts(&r.name),
                "description" => m.accepts(&r.description),
                _ => true,
            })
        })
        .collect();
    // Harbor's default order is by name.
    robots.sort_by(|a, b| a.name.cmp(&b.name));
    let items: Vec<Value> = robots
        .into_iter()
        .map(|r| robot_json(r, &f.robot_prefix))
        .collect();
    paged(
        "/api/v2.0/robots",
        "",
        &query.paging,
        crate::sorted(items, query.sort.as_deref()),
    )
}

pub async fn create_robot(State(fake): State<Shared>, body: Bytes) -> Response {
    // Creation ignores `secret` and `disable` in the request, as Harbor does.
    let (secret, hashed) = generated_secret().await;
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let name = req["name"].as_str().unwrap_or_default().to_owned();
    let level = req["level"].as_str().unwrap_or_default().to_owned();
    let duration = req["duration"].as_i64().unwrap_or(0);
    let permissions = req["permissions"].clone();
    if !valid_name(&name) {
        return error(
            StatusCode::BAD_REQUEST,
            "robot name is not in lower case or contains illegal characters",
        );
    }
    if let Err(message) = check_robot(&level, duration, &permissions) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    let perms = permissions.as_array().cloned().unwrap_or_default();
    let mut f = lock(&fake);
    let projects: Vec<(i64, String)> = f.projects.iter().map(|p| (p.id, p.name.clone())).collect();
    let project_id = match resolve_namespaces(&projects, &level, &perms) {
        Ok(id) => id,
        Err((status, message)) => return error(status, &message),
    };
    let stored_name = if level == "project" {
        format!(
            "{}+{}",
            perms[0]["namespace"].as_str().unwrap_or_default(),
            name
        )
    } else {
        name.clone()
    };
    let full_name = format!("{}{stored_name}", f.robot_prefix);
    // Harbor's unique key is (name, project_id), without the prefix.
    if f.robots
        .iter()
        .any(|r| r.name == stored_name && r.project_id == project_id)
    {
        // Real Harbor answers 409 here; the spec does not list it for POST /robots.
        return error(
            StatusCode::CONFLICT,
            &format!("robot account {project_id}:{name} already exists"),
        );
    }
    f.next_id += 1;
    let id = f.next_id;
    let created = now();
    let expires_at = if duration == -1 {
        -1
    } else {
        unix_now() + duration * 86_400
    };
    f.robots.push(Robot {
        id,
        name: stored_name,
        description: req["description"].as_str().unwrap_or_default().to_owned(),
        level,
        project_id,
        secret: hashed,
        secret_for_tests: secret.clone(),
        disable: false,
        duration,
        expires_at,
        permissions,
        created: created.clone(),
        updated: created.clone(),
    });
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v2.0/robots/{id}"))],
        Json(json!({
            "id": id, "name": full_name, "secret": secret, "creation_time": created,
            "expires_at": expires_at
        })),
    )
        .into_response()
}

pub async fn get_robot(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let f = lock(&fake);
    match f.robots.iter().find(|r| r.id == id) {
        Some(r) => Json(robot_json(r, &f.robot_prefix)).into_response(),
        None => error(StatusCode::NOT_FOUND, &format!("robot {id} not found")),
    }
}

/// `PATCH /robots/{id}`: a given secret is set and not echoed (`{}`); without one Harbor generates
/// a secret and returns it.
pub async fn refresh_robot_secret(
    State(fake): State<Shared>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let (secret, hashed, answer) = match req["secret"].as_str().filter(|s| !s.is_empty()) {
        Some(s) if valid_robot_secret(s) => {
            let hashed = Hashed::new(Kind::RobotSecret, s).await;
            (s.to_owned(), hashed, json!({}))
        }
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "the secret must be 8-128, inclusively, characters long with at least 1 \
                 uppercase letter, 1 lowercase letter and 1 number",
            )
        }
        None => {
            let (secret, hashed) = generated_secret().await;
            let answer = json!({ "secret": secret });
            (secret, hashed, answer)
        }
    };
    let mut f = lock(&fake);
    let Some(robot) = f.robots.iter_mut().find(|r| r.id == id) else {
        return error(StatusCode::NOT_FOUND, &format!("robot {id} not found"));
    };
    robot.secret = hashed;
    robot.secret_for_tests = secret;
    robot.updated = now();
    Json(answer).into_response()
}

/// `PUT /robots/{id}`: Harbor replaces description, permissions, disable and duration; the level
/// and the full name (prefix included) must be the stored ones; the secret is untouched.
pub async fn update_robot(
    State(fake): State<Shared>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let mut f = lock(&fake);
    let projects: Vec<(i64, String)> = f.projects.iter().map(|p| (p.id, p.name.clone())).collect();
    let prefix = f.robot_prefix.clone();
    let Some(robot) = f.robots.iter_mut().find(|r| r.id == id) else {
        return error(StatusCode::NOT_FOUND, &format!("robot {id} not found"));
    };
    let duration = req["duration"].as_i64().unwrap_or(robot.duration);
    let level = req["level"].as_str().unwrap_or_default();
    if let Err(message) = check_robot(level, duration, &req["permissions"]) {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    let perms = req["permissions"].as_array().cloned().unwrap_or_default();
    match resolve_namespaces(&projects, level, &perms) {
        Ok(project_id) if level == "project" && project_id != robot.project_id => {
            return error(
                StatusCode::BAD_REQUEST,
                "cannot update the project id of robot",
            )
        }
        Ok(_) => {}
        Err((status, message)) => return error(status, &message),
    }
    if level != robot.level || req["name"].as_str() != Some(robot.full_name(&prefix).as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "cannot update the level or name of robot",
        );
    }
    if duration != robot.duration {
        robot.duration = duration;
        robot.expires_at = if duration == -1 {
            -1
        } else {
            unix_now() + duration * 86_400
        };
    }
    robot.permissions = req["permissions"].clone();
    robot.description = req["description"].as_str().unwrap_or_default().to_owned();
    robot.disable = req["disable"].as_bool().unwrap_or(false);
    robot.updated = now();
    StatusCode::OK.into_response()
}

pub async fn delete_robot(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let mut f = lock(&fake);
    let before = f.robots.len();
    f.robots.retain(|r| r.id != id);
    if f.robots.len() == before {
        error(StatusCode::NOT_FOUND, &format!("robot {id} not found"))
    } else {
        StatusCode::OK.into_response()
    }
}

/// Control endpoint: a robot's current secret, for tests that check what Berth set.
pub async fn dump_robot_secret(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let f = lock(&fake);
    match f.robots.iter().find(|r| r.id == id) {
        Some(r) => {
            Json(json!({ "name": r.full_name(&f.robot_prefix), "secret": r.secret_for_tests }))
                .into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(kind: &str, ns: &str, access: &[(&str, &str)]) -> Value {
        json!({
            "kind": kind, "namespace": ns,
            "access": access
                .iter()
                .map(|(r, a)| json!({"resource": r, "action": a}))
                .collect::<Vec<_>>()
        })
    }

    #[test]
    fn harbor_checks_robots_before_anything_else() {
        let pull = perm("project", "team-a", &[("repository", "pull")]);
        assert!(check_robot("system", -1, &json!([pull])).is_ok());
        assert!(check_robot("system", 0, &json!([pull])).is_err());
        assert!(check_robot("global", -1, &json!([pull])).is_err());
        assert!(check_robot("system", -1, &json!([])).is_err());
        assert!(check_robot("system", -1, &json!([perm("project", "team-a", &[])])).is_err());
        assert!(check_robot("project", -1, &json!([pull, pull])).is_err());
        assert!(check_robot(
            "system",
            -1,
            &json!([perm("project", "team-a", &[("repository", "*")])])
        )
        .is_err());
        assert!(check_robot(
            "system",
            -1,
            &json!([perm("project", "team-a", &[("robot", "update")])])
        )
        .is_err());
        assert!(check_robot(
            "system",
            -1,
            &json!([perm("cluster", "/", &[("user", "list")])])
        )
        .is_err());
    }

    #[test]
    fn namespaces_resolve_as_harbor_resolves_them() {
        let projects = vec![(7, "team-a".to_owned())];
        let on = |ns: &str| perm("project", ns, &[("repository", "pull")]);
        assert_eq!(
            resolve_namespaces(&projects, "project", &[on("team-a")]),
            Ok(7)
        );
        assert_eq!(
            resolve_namespaces(&projects, "system", &[on("team-a")]),
            Ok(0)
        );
        assert_eq!(resolve_namespaces(&projects, "system", &[on("*")]), Ok(0));
        assert_eq!(
            resolve_namespaces(&projects, "system", &[on("team-b")])
                .unwrap_err()
                .0,
            StatusCode::NOT_FOUND
        );
        let system = perm("system", "team-a", &[("user", "list")]);
        assert_eq!(
            resolve_namespaces(&projects, "system", &[system])
                .unwrap_err()
                .0,
            StatusCode::BAD_REQUEST
        );
    }
}
