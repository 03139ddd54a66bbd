//! Harbor's UI session as an API credential, and the CSRF check that comes with it.
//! - `POST /c/login` (form `principal`, `password`; src/core/controllers/base.go `Login`): in
//!   `oidc_auth` mode anyone but the built-in admin is sent to the IdP (403 with
//!   `redirect_location`); otherwise the password is checked as on every basic-auth request
//!   (600,000 PBKDF2 iterations), and a session cookie `sid` is set. `GET /c/log_out` ends it.
//! - A request carrying `sid` is the session's user (src/server/middleware/security/session.go)
//!   until the session times out (Harbor's `session_timeout`, 60 minutes, renewed by each request).
//! - CSRF (src/server/middleware/csrf/csrf.go over gorilla/csrf v1.7.2): `/c/` always, and `/api/`,
//!   `/v2/`, `/service/` when the request carries `sid`. Unsafe methods need `X-Harbor-CSRF-Token`
//!   matching the `_gorilla_csrf` cookie, else 403 "CSRF token invalid"; every checked answer
//!   carries a fresh masked token. The cookie is sealed with a key Harbor draws at start-up unless
//!   `CSRF_KEY` is set, so a restarted core refuses old cookies: `POST /__fake/csrf-key` does that.
use crate::auth::AuthMode;
use crate::{error, lock, Shared};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub const SESSION_COOKIE: &str = "sid";
const CSRF_COOKIE: &str = "_gorilla_csrf";
pub const CSRF_HEADER: &str = "x-harbor-csrf-token";
const TOKEN_LENGTH: usize = 32;

pub struct Sessions {
    by_id: HashMap<String, Session>,
    pub timeout: Duration,
    csrf_key: [u8; 32],
}

struct Session {
    user_id: i64,
    sysadmin: bool,
    expires: Instant,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            by_id: HashMap::new(),
            timeout: Duration::from_secs(60 * 60),
            csrf_key: rand::rng().random(),
        }
    }
}

impl Sessions {
    /// The session's user, its lifetime renewed; `None` once it timed out.
    pub fn user(&mut self, id: &str) -> Option<(i64, bool)> {
        let timeout = self.timeout;
        let now = Instant::now();
        self.by_id.retain(|_, s| s.expires > now);
        let session = self.by_id.get_mut(id)?;
        session.expires = now + timeout;
        Some((session.user_id, session.sysadmin))
    }

    fn seal(&self, token: &[u8; TOKEN_LENGTH]) -> String {
        let mac = Sha256::new()
            .chain_update(self.csrf_key)
            .chain_update(token)
            .finalize();
        format!("{}.{}", hex(token), hex(&mac))
    }

    fn open(&self, cookie: &str) -> Option<[u8; TOKEN_LENGTH]> {
        let (token, _) = cookie.split_once('.')?;
        let bytes: [u8; TOKEN_LENGTH] = unhex(token)?.try_into().ok()?;
        (self.seal(&bytes) == cookie).then_some(bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    text.len().is_multiple_of(2).then_some(())?;
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// gorilla/csrf's one-time pad: the token sent to clients differs each time, the real one does not.
fn mask(real: &[u8; TOKEN_LENGTH]) -> String {
    let pad: [u8; TOKEN_LENGTH] = rand::rng().random();
    let mut out = pad.to_vec();
    out.extend(pad.iter().zip(real).map(|(p, r)| p ^ r));
    B64.encode(out)
}

fn unmask(token: &str) -> Option<[u8; TOKEN_LENGTH]> {
    let bytes = B64.decode(token).ok()?;
    (bytes.len() == 2 * TOKEN_LENGTH).then_some(())?;
    let (pad, masked) = bytes.split_at(TOKEN_LENGTH);
    let mut real = [0u8; TOKEN_LENGTH];
    for (i, (p, m)) in pad.iter().zip(masked).enumerate() {
        real[i] = p ^ m;
    }
    Some(real)
}

fn checked(path: &str, headers: &HeaderMap) -> bool {
    if path.starts_with("/__fake/") {
        return false;
    }
    let api_like = ["/api/", "/v2/", "/service/"]
        .iter()
        .any(|p| path.starts_with(p));
    !api_like || cookie(headers, SESSION_COOKIE).is_some()
}

/// The CSRF middleware (the whole app: it runs before routing, as Harbor's global middleware does).
pub async fn csrf(State(fake): State<Shared>, request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    if !checked(&path, request.headers()) {
        return next.run(request).await;
    }
    let (real, new_cookie) = {
        let f = lock(&fake);
        match cookie(request.headers(), CSRF_COOKIE).and_then(|c| f.sessions.open(c)) {
            Some(real) => (real, None),
            None => {
                let real: [u8; TOKEN_LENGTH] = rand::rng().random();
                (real, Some(f.sessions.seal(&real)))
            }
        }
    };
    let safe = matches!(
        method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let sent = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(unmask);
    let mut response = if safe || sent == Some(real) {
        next.run(request).await
    } else {
        error(StatusCode::FORBIDDEN, "CSRF token invalid")
    };
    let headers = response.headers_mut();
    if let Ok(token) = HeaderValue::from_str(&mask(&real)) {
        headers.insert(CSRF_HEADER, token);
    }
    if let Some(sealed) = new_cookie {
        let value =
            format!("{CSRF_COOKIE}={sealed}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    principal: String,
    #[serde(default)]
    password: String,
}

/// `POST /c/login`.
pub async fn login(State(fake): State<Shared>, Form(form): Form<LoginForm>) -> Response {
    let (stored, user_id, sysadmin) = {
        let f = lock(&fake);
        let user = f.users.iter().find(|u| u.username == form.principal);
        let oidc = f.system.auth_mode == AuthMode::Oidc;
        // Harbor sends OIDC users, and names it does not know, to the IdP's login page.
        let to_idp = oidc && user.is_none_or(|u| u.id != 1 && u.password.is_none());
        if to_idp {
            return (
                StatusCode::FORBIDDEN,
                Json(json!({ "redirect_location": "/c/oidc/login" })),
            )
                .into_response();
        }
        // In OIDC mode only the admin is checked against the database; others fail without a check.
        match user {
            Some(u) if u.id == 1 || !oidc => (u.password.clone(), u.id, u.sysadmin),
            _ => return StatusCode::UNAUTHORIZED.into_response(),
        }
    };
    let Some(stored) = stored else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if !stored.matches(&form.password).await {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let id = hex(&rand::rng().random::<[u8; 16]>());
    {
        let mut f = lock(&fake);
        let expires = Instant::now() + f.sessions.timeout;
        f.sessions.by_id.insert(
            id.clone(),
            Session {
                user_id,
                sysadmin,
                expires,
            },
        );
    }
    let cookie = format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly");
    (StatusCode::OK, [(header::SET_COOKIE, cookie)]).into_response()
}

/// `GET /c/log_out`.
pub async fn log_out(State(fake): State<Shared>, headers: HeaderMap) -> StatusCode {
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        lock(&fake).sessions.by_id.remove(id);
    }
    StatusCode::OK
}

/// Control: every session ends, as when they time out.
pub async fn expire_all(State(fake): State<Shared>) -> StatusCode {
    lock(&fake).sessions.by_id.clear();
    StatusCode::NO_CONTENT
}

/// Control: a new CSRF key, as a restarted core draws one: every `_gorilla_csrf` cookie is refused.
pub async fn new_csrf_key(State(fake): State<Shared>) -> StatusCode {
    lock(&fake).sessions.csrf_key = rand::rng().random();
    StatusCode::NO_CONTENT
}
