//! Who is calling, as Harbor's security middleware decides it (src/server/middleware/security/,
//! src/core/auth/authenticator.go): basic auth with a user's password or a UI session (`session`),
//! where in `oidc_auth` mode only the built-in admin (user id 1, `IsSuperUser`) may use a password;
//! anything else (no credentials, wrong ones, a password Harbor does not take in this mode) carries
//! on as anonymous. Harbor answers 401 only where a handler needs a signed-in caller, and 403 where
//! the caller lacks the right.
use crate::session::{cookie, SESSION_COOKIE};
use crate::{basic_credentials, error, lock, Shared};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The caller of one API request (a request extension, for the handlers that answer by caller).
#[derive(Clone, Debug, PartialEq)]
pub enum Caller {
    Anonymous,
    User { id: i64, sysadmin: bool },
}

impl Caller {
    pub fn is_anonymous(&self) -> bool {
        *self == Caller::Anonymous
    }
}

/// Harbor's `auth_mode`: how users sign in, which decides who may use a password on the API and how
/// group members are made.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AuthMode {
    Db,
    Ldap,
    Http,
    Oidc,
}

impl AuthMode {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "db_auth" => Some(AuthMode::Db),
            "ldap_auth" => Some(AuthMode::Ldap),
            "http_auth" => Some(AuthMode::Http),
            "oidc_auth" => Some(AuthMode::Oidc),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::Db => "db_auth",
            AuthMode::Ldap => "ldap_auth",
            AuthMode::Http => "http_auth",
            AuthMode::Oidc => "oidc_auth",
        }
    }
}

/// What a request may reach without a signed-in caller; the handler then answers by caller. (Paths
/// here are below `/api/v2.0`.)
fn open_to_anonymous(method: &Method, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.ends_with("/ping")
        || path.ends_with("/systeminfo")
        || path.ends_with("/health")
        || (method == Method::GET && path.ends_with("/projects"))
}

/// What a signed-in caller who is no system admin may still read.
fn open_to_users(path: &str) -> bool {
    path.trim_end_matches('/').ends_with("/users/current")
}

/// Basic auth first (src/server/middleware/security/basic_auth.go), then the session cookie
/// (session.go), as Harbor's generators are ordered; a password costs its full PBKDF2 check.
pub async fn caller(fake: &Shared, headers: &HeaderMap) -> Caller {
    if let Some((username, password)) = basic_credentials(headers) {
        let stored = {
            let f = lock(fake);
            f.users
                .iter()
                .find(|u| u.username == username)
                // In OIDC mode Harbor checks a password only for its built-in
                // admin; others go unchecked.
                .filter(|u| u.id == 1 || f.system.auth_mode != AuthMode::Oidc)
                .and_then(|u| Some((u.password.clone()?, u.id, u.sysadmin)))
        };
        if let Some((hashed, id, sysadmin)) = stored {
            if hashed.matches(&password).await {
                return Caller::User { id, sysadmin };
            }
        }
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE) {
        if let Some((id, sysadmin)) = lock(fake).sessions.user(id) {
            return Caller::User { id, sysadmin };
        }
    }
    Caller::Anonymous
}

/// Resolves the caller, refuses what Harbor would refuse it, and hands it to the handler.
pub async fn guard(State(fake): State<Shared>, mut request: Request, next: Next) -> Response {
    let headers = request.headers().clone();
    let who = caller(&fake, &headers).await;
    let path = request.uri().path().to_owned();
    if !open_to_anonymous(request.method(), &path) {
        match &who {
            Caller::Anonymous => return error(StatusCode::UNAUTHORIZED, "unauthorized"),
            Caller::User {
                sysadmin: false,
                id,
            } if !open_to_users(&path) => {
                return error(StatusCode::FORBIDDEN, &format!("user {id} is not allowed"))
            }
            _ => {}
        }
    }
    request.extensions_mut().insert(who);
    next.run(request).await
}
