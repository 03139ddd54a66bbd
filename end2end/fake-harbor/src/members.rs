//! Project members (src/controller/member/controller.go): groups as Harbor's auth mode makes them
//! (OIDC by name, LDAP by DN, HTTP by name, none in `db_auth`), role changes and removal.
use crate::auth::AuthMode;
use crate::projects::{find_project, project_not_found};
use crate::{error, lock, paged, Member, Paging, Shared};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

pub(crate) async fn list_members(
    State(fake): State<Shared>,
    Path(name_or_id): Path<String>,
    headers: HeaderMap,
    Query(paging): Query<Paging>,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return project_not_found(&name_or_id);
    };
    let project_id = p.id;
    let items = p
        .members
        .iter()
        .map(|m| json!({
            "id": m.id, "project_id": project_id, "entity_name": m.group_name, "role_id": m.role_id,
            "entity_id": m.id, "entity_type": if m.group_type > 0 { "g" } else { "u" }
        }))
        .collect();
    paged(
        &format!("/api/v2.0/projects/{name_or_id}/members"),
        "",
        &paging,
        items,
    )
}

pub(crate) async fn add_member(
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
    // A group is made as Harbor's auth mode makes groups (src/controller/member/controller.go):
    // OIDC groups by name (type 3), HTTP groups by name (type 2, with skip_search on), LDAP groups
    // by DN (type 1, named by their cn); db_auth has none.
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
        return project_not_found(&name_or_id);
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

pub(crate) async fn update_member(
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
        return project_not_found(&name_or_id);
    };
    // Harbor updates by id without looking first: a missing member is a 200 that changes nothing.
    if let Some(m) = p.members.iter_mut().find(|m| m.id == mid) {
        m.role_id = role_id;
    }
    StatusCode::OK.into_response()
}

pub(crate) async fn delete_member(
    State(fake): State<Shared>,
    Path((name_or_id, mid)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Response {
    let mut f = lock(&fake);
    let Some(p) = find_project(&mut f, &name_or_id, headers.get("x-is-resource-name")) else {
        return project_not_found(&name_or_id);
    };
    p.members.retain(|m| m.id != mid);
    StatusCode::OK.into_response()
}
