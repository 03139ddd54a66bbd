//! Berth's Harbor session. Harbor checks a user's password with 600,000 PBKDF2 iterations
//! on every request that carries it, so Berth signs in once, as Harbor's UI does, and
//! sends the session cookie:
//! - `POST /c/login` with `principal` and `password`. Harbor checks CSRF on `/c/` before anything
//!   else: the first attempt is refused (403) with a token (`X-Harbor-CSRF-Token`) and its cookie
//!   (`_gorilla_csrf`), the second one carries them and gets the session cookie `sid`.
//! - Every API request then carries both cookies and the token, which Harbor wants on writes once a
//!   request carries a session.
//! - Harbor ends idle sessions (`session_timeout`) and refuses CSRF cookies after a
//!   restart of its core (a new key): a 401, or a 403 naming the CSRF token, means one
//!   fresh sign-in and one retry.
//!
//! Concurrent requests share one session; the first that finds it stale signs in, the others wait
//! for that and use the result.
use super::{HarborClient, HarborError};
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use std::sync::{Arc, Mutex};

const CSRF_HEADER: &str = "x-harbor-csrf-token";
const SIGN_IN: &str = "signing in to Harbor";

/// One signed-in session: what each request carries. The cookie header holds the session id, which
/// is as good as the password while the session lasts.
pub(super) struct Login {
    cookie: SecretString,
    csrf: SecretString,
    generation: u64,
}

#[derive(Default)]
pub(super) struct SessionState {
    current: Mutex<Option<Arc<Login>>>,
    /// Held while signing in; counts sign-ins.
    signing_in: tokio::sync::Mutex<u64>,
}

impl SessionState {
    fn current(&self) -> Option<Arc<Login>> {
        self.current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// How many times Berth signed in (a metric and a test hook).
    pub(super) fn sign_ins(&self) -> u64 {
        self.current().map_or(0, |l| l.generation)
    }
}

impl Login {
    fn apply(&self, request: RequestBuilder) -> RequestBuilder {
        let mut cookie = HeaderValue::from_str(self.cookie.expose_secret())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        cookie.set_sensitive(true);
        let mut csrf = HeaderValue::from_str(self.csrf.expose_secret())
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        csrf.set_sensitive(true);
        request.header(COOKIE, cookie).header(CSRF_HEADER, csrf)
    }
}

/// `name=value` of each `Set-Cookie`, by name.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.split_once('=').is_some_and(|(k, _)| k.trim() == name))
        .map(|pair| pair.trim().to_owned())
}

impl HarborClient {
    /// Runs reads among which some are answered to anonymous callers too (`GET /projects` lists
    /// public projects, `/systeminfo` leaves out the version): in a session that went stale they
    /// come back 200 with less in them. When another read of the batch found the session stale and
    /// signed in again meanwhile, the batch is read once more, in the new session.
    pub async fn as_signed_in<T, F, Fut>(&self, read: F) -> Result<T, HarborError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, HarborError>>,
    {
        let before = self.session.sign_ins();
        let result = read().await;
        if self.session.sign_ins() != before {
            return read().await;
        }
        result
    }

    /// Sends a request in the session, signing in first when there is none, and once more when
    /// Harbor says the session or its CSRF cookie went stale.
    pub(super) async fn send_in_session(
        &self,
        operation: &'static str,
        request: RequestBuilder,
    ) -> Result<Response, HarborError> {
        let retry = request.try_clone();
        let login = self.login(operation, None).await?;
        let response = self.send_once(operation, login.apply(request)).await?;
        let (response, stale) = self.stale(operation, response).await?;
        match retry {
            Some(retry) if stale => {
                let login = self.login(operation, Some(login.generation)).await?;
                self.send_once(operation, login.apply(retry)).await
            }
            _ => Ok(response),
        }
    }

    /// Whether the answer says the session is gone (401) or its CSRF cookie is refused (403 naming
    /// the token); a 403 for anything else is handed back as it came.
    async fn stale(
        &self,
        operation: &'static str,
        response: Response,
    ) -> Result<(Response, bool), HarborError> {
        match response.status() {
            StatusCode::UNAUTHORIZED => Ok((response, true)),
            StatusCode::FORBIDDEN => {
                let status = response.status();
                let headers = response.headers().clone();
                let body = crate::server::http::timing::upstream_call(response.bytes())
                    .await
                    .map_err(|source| self.transport_error(operation, source))?;
                let csrf = String::from_utf8_lossy(&body).contains("CSRF");
                let mut rebuilt = axum::http::Response::new(body);
                *rebuilt.status_mut() = status;
                *rebuilt.headers_mut() = headers;
                Ok((Response::from(rebuilt), csrf))
            }
            _ => Ok((response, false)),
        }
    }

    /// The current session, or a new one when there is none or `stale` names the current one. A
    /// sign-in Harbor refuses is an error of its own; one that never got an answer counts as the
    /// `operation` it was for.
    async fn login(
        &self,
        operation: &'static str,
        stale: Option<u64>,
    ) -> Result<Arc<Login>, HarborError> {
        let usable = |login: &Arc<Login>| Some(login.generation) != stale;
        if let Some(login) = self.session.current().filter(usable) {
            return Ok(login);
        }
        let mut generation = self.session.signing_in.lock().await;
        if let Some(login) = self.session.current().filter(usable) {
            return Ok(login);
        }
        let login = Arc::new(self.sign_in(operation, *generation + 1).await?);
        *generation += 1;
        *self
            .session
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(login.clone());
        tracing::info!(sign_in = *generation, "signed in to Harbor");
        Ok(login)
    }

    async fn sign_in(
        &self,
        operation: &'static str,
        generation: u64,
    ) -> Result<Login, HarborError> {
        let url = self.login.clone();
        let form = [
            ("principal", self.username.as_str()),
            ("password", self.password.expose_secret()),
        ];
        let mut csrf: Option<(String, String)> = None;
        for _ in 0..2 {
            let mut request = self.http.request(Method::POST, url.clone()).form(&form);
            if let Some((cookie, token)) = &csrf {
                request = request.header(COOKIE, cookie).header(CSRF_HEADER, token);
            }
            let response = self.send_once(operation, request).await?;
            let headers = response.headers();
            let token = headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let csrf_cookie = set_cookie(headers, "_gorilla_csrf")
                .or_else(|| csrf.as_ref().map(|(cookie, _)| cookie.clone()));
            match response.status() {
                StatusCode::OK => {
                    let sid = set_cookie(headers, "sid").ok_or(HarborError::Status {
                        operation: SIGN_IN,
                        status: StatusCode::OK,
                    })?;
                    let (csrf_cookie, token) = match (csrf_cookie, token) {
                        (Some(cookie), Some(token)) => (cookie, token),
                        // A Harbor that asked for no token: the session alone.
                        _ => (String::new(), String::new()),
                    };
                    let cookie = [sid, csrf_cookie]
                        .into_iter()
                        .filter(|c| !c.is_empty())
                        .collect::<Vec<_>>()
                        .join("; ");
                    return Ok(Login {
                        cookie: SecretString::from(cookie),
                        csrf: SecretString::from(token),
                        generation,
                    });
                }
                StatusCode::FORBIDDEN if csrf.is_none() => match (csrf_cookie, token) {
                    (Some(cookie), Some(token)) => csrf = Some((cookie, token)),
                    _ => break,
                },
                status => {
                    return Err(HarborError::Status {
                        operation: SIGN_IN,
                        status,
                    })
                }
            }
        }
        Err(HarborError::Status {
            operation: SIGN_IN,
            status: StatusCode::FORBIDDEN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_cookie_takes_the_named_pair_only() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("_gorilla_csrf=abc.def; Path=/; Max-Age=43200; HttpOnly"),
        );
        headers.append(
            SET_COOKIE,
            HeaderValue::from_static("sid=123; Path=/; HttpOnly"),
        );
        assert_eq!(set_cookie(&headers, "sid").as_deref(), Some("sid=123"));
        assert_eq!(
            set_cookie(&headers, "_gorilla_csrf").as_deref(),
            Some("_gorilla_csrf=abc.def")
        );
        assert_eq!(set_cookie(&headers, "missing"), None);
    }
}
