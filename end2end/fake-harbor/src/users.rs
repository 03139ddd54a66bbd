//! Users (src/server/v2.0/handler/user.go): the admin left out of lists, search by `q` decoded as
//! Harbor decodes it, the caller's own account, local users with passwords stored as Harbor stores
//! them, and OIDC users seeded by tests as a first sign-in to Harbor would make them.
use crate::auth::AuthMode;
use crate::auth::Caller;
use crate::credentials::{Hashed, Kind};
use crate::query;
use crate::robots::valid_robot_secret;
use crate::{error, lock, now, paged, OidcRecord, Paging, Shared, User};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub(crate) fn user_json(u: &User) -> Value {
    json!({
        "user_id": u.id, "username": u.username, "email": u.email, "realname": u.realname,
        "comment": "", "sysadmin_flag": u.sysadmin, "admin_role_in_auth": false,
        "creation_time": u.created, "update_time": u.updated,
    })
}

#[derive(Deserialize)]
pub(crate) struct UserListQuery {
    q: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// Harbor lists users other than its built-in admin (`user_id > 1`), filtered by `q` on `username`
/// and `email` (other keys of the user model are ignored here).
pub(crate) async fn list_users(
    State(fake): State<Shared>,
    Query(query): Query<UserListQuery>,
) -> Response {
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

pub(crate) fn url_escape(text: &str) -> String {
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
pub(crate) async fn current_user(
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

/// One account; in OIDC mode, for any account but the built-in admin, with its `oidc_user` row,
/// CLI secret included. Harbor answers 500 when that row is missing (its controller wraps the
/// lookup's not-found as an unknown error).
pub(crate) async fn get_user(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
    let f = lock(&fake);
    let Some(u) = f.users.iter().find(|u| u.id == id) else {
        return error(StatusCode::NOT_FOUND, &format!("user {id} not found"));
    };
    let mut body = user_json(u);
    if f.system.auth_mode == AuthMode::Oidc && id > 1 {
        let Some(oidc) = &u.oidc else {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unknown: <nil>: failed to get oidc user info",
            );
        };
        body["oidc_user_meta"] = json!({
            "id": u.id, "user_id": u.id, "subiss": oidc.subiss, "secret": oidc.cli_secret,
            "creation_time": oidc.created, "update_time": oidc.updated,
        });
    }
    Json(body).into_response()
}

/// Harbor marks the user deleted (its name and e-mail are freed, so the person can be onboarded
/// again); the admin account (id 1) cannot be deleted.
pub(crate) async fn delete_user(State(fake): State<Shared>, Path(id): Path<i64>) -> Response {
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

/// Creates a local user; 409 when the username or e-mail is taken: the same conflict an OIDC
/// sign-in to Harbor meets when a stale account holds them.
pub(crate) async fn create_user(State(fake): State<Shared>, body: Bytes) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request body");
    };
    let text = |k: &str| req[k].as_str().unwrap_or_default().to_owned();
    let (username, email) = (text("username"), text("email"));
    if username.is_empty() || !valid_robot_secret(&text("password")) {
        return error(
            StatusCode::BAD_REQUEST,
            "username and a password of 8-128 characters with upper, lower case and a digit are \
             required",
        );
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
        oidc: None,
    });
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v2.0/users/{id}"))],
    )
        .into_response()
}

/// A user as Harbor records an OIDC user on first sign-in, with a chosen creation time (seeding the
/// stale account of an identity provider that was redeployed): `subiss` (subject then issuer) makes
/// its `oidc_user` row, `last_sign_in` the time that row last changed. With a `password` instead
/// it is a local user.
pub(crate) async fn seed_user(State(fake): State<Shared>, Json(req): Json<Value>) -> Response {
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
        oidc: req["subiss"].as_str().map(|subiss| OidcRecord {
            subiss: subiss.to_owned(),
            cli_secret: cli_secret(),
            created: created.clone(),
            updated: req["last_sign_in"]
                .as_str()
                .map_or_else(|| created.clone(), str::to_owned),
        }),
        updated: created.clone(),
        created,
    });
    Json(json!({ "user_id": id })).into_response()
}

/// A CLI secret as Harbor makes one at onboarding: 32 random letters and digits.
fn cli_secret() -> String {
    use rand::distr::{Alphanumeric, SampleString};
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}
