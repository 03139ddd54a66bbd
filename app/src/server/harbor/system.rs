//! Harbor's own state (version, component health, liveness) and its user
//! accounts, for the admin pages.
use super::{HarborClient, HarborError};
use crate::server::config::HarborAuth;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Deserialize)]
pub struct SystemInfo {
    pub harbor_version: Option<String>,
    pub auth_mode: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HealthReport {
    pub status: String,
    #[serde(default)]
    pub components: Vec<ComponentHealth>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ComponentHealth {
    pub name: String,
    pub status: String,
    pub error: Option<String>,
}

/// A Harbor account. `UserResp` may also carry `oidc_user_meta` with the user's CLI secret; it is
/// not read, so it never enters Berth's memory beyond the response buffer.
#[derive(Debug, Clone, Deserialize)]
pub struct HarborUser {
    pub user_id: i64,
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub realname: Option<String>,
    #[serde(default)]
    pub sysadmin_flag: bool,
    pub creation_time: Option<String>,
    /// Only in `GET /users/{id}`, only in OIDC mode and for accounts other than the built-in admin.
    #[serde(default)]
    pub oidc_user_meta: Option<OidcUserMeta>,
}

/// Harbor's record of an OIDC account. Harbor also sends the person's CLI secret in plain text
/// beside these fields; it is deliberately not declared, so it is dropped while parsing.
#[derive(Debug, Clone, Deserialize)]
pub struct OidcUserMeta {
    /// The subject and the issuer, concatenated without a separator, as Harbor stores them.
    #[serde(default)]
    pub subiss: String,
    /// Harbor rewrites the stored token at every sign-in to its UI, which moves this time.
    pub update_time: Option<String>,
}

impl OidcUserMeta {
    /// Splits `subiss` with the issuer Berth trusts: `Ok(subject)` when the account came from it,
    /// `Err(subiss)` when it came from another issuer (an identity provider since replaced).
    pub fn subject_under(&self, issuer: &str) -> Result<String, String> {
        let issuer = issuer.trim_end_matches('/');
        for candidate in [issuer.to_owned(), format!("{issuer}/")] {
            if let Some(subject) = self.subiss.strip_suffix(&candidate) {
                if !subject.is_empty() {
                    return Ok(subject.to_owned());
                }
            }
        }
        Err(self.subiss.clone())
    }
}

/// Why Berth cannot work with a Harbor of this version (`v2.1.4-abc` is too old: no robot v2 API).
pub fn version_problem(version: Option<&str>) -> Option<String> {
    let Some(version) = version else {
        return Some(
            "Harbor did not report its version (Berth needs 2.2 or newer for the robot v2 API)."
                .into(),
        );
    };
    let mut numbers = version
        .trim_start_matches('v')
        .split(['.', '-'])
        .map(|p| p.parse::<u32>());
    match (numbers.next(), numbers.next()) {
        (Some(Ok(major)), Some(Ok(minor))) if (major, minor) < (2, 2) => Some(format!(
            "Harbor {version} is older than 2.2: it has no robot v2 API, so Berth cannot manage \
             robots. Upgrade Harbor."
        )),
        (Some(Ok(_)), Some(Ok(_))) => None,
        _ => Some(format!(
            "Harbor reports the version {version:?}, which Berth cannot read (it needs 2.2 or \
             newer)."
        )),
    }
}

/// What may go into Harbor's `q` filter: its syntax uses `,`, `=`, `~`,
/// quotes, brackets and spaces.
pub fn valid_user_search(text: &str) -> bool {
    (2..=255).contains(&text.chars().count())
        && !text
            .chars()
            .any(|c| ",=~\"'()[]{} \\".contains(c) || c.is_control())
}

impl HarborClient {
    /// `GET /ping`: how long Harbor's API took to answer.
    pub async fn ping(&self) -> Result<Duration, HarborError> {
        let op = "ping";
        let started = Instant::now();
        self.expect_status(op, self.request(Method::GET, "ping"), StatusCode::OK)
            .await?;
        Ok(started.elapsed())
    }

    /// `GET /users/current`: the account Harbor takes Berth's credentials for.
    pub async fn current_user(&self) -> Result<HarborUser, HarborError> {
        let op = "checking Berth's credentials";
        let response = self
            .expect_status(
                op,
                self.request(Method::GET, "users/current"),
                StatusCode::OK,
            )
            .await?;
        self.json(op, response).await
    }

    /// Why Berth's Harbor account cannot do Berth's work, in words an operator can act on; `None`
    /// when it can. Harbor treats credentials it does not take as anonymous, so a refusal shows as
    /// a 401 here (and elsewhere as a `/systeminfo` without version, or public projects only).
    pub async fn identity_problem(&self) -> Result<Option<String>, HarborError> {
        let user = &self.username;
        match self.current_user().await {
            Ok(account) if account.sysadmin_flag => Ok(None),
            Ok(account) => Ok(Some(format!(
                "Harbor takes Berth's credentials for {:?}, which is not a Harbor system \
                 administrator: Berth creates projects, robot accounts and members, which needs \
                 one. Make {:?} an administrator in Harbor, or set BERTH_HARBOR_USERNAME and \
                 BERTH_HARBOR_PASSWORD to one.",
                account.username, account.username
            ))),
            // Harbor's sign-in page sends OIDC users to the identity provider (403).
            Err(HarborError::Status {
                status,
                operation: "signing in to Harbor",
            }) if status == StatusCode::FORBIDDEN => Ok(Some(format!(
                "Harbor sends {user:?} to its OIDC provider instead of taking a password: in \
                 oidc_auth mode it takes one only from its built-in admin (user id 1, `admin` \
                 unless renamed). Set BERTH_HARBOR_USERNAME and BERTH_HARBOR_PASSWORD to that \
                 account."
            ))),
            Err(HarborError::Status { status, .. }) if status == StatusCode::UNAUTHORIZED => {
                let mode = self
                    .anonymous_system_info()
                    .await
                    .ok()
                    .and_then(|i| i.auth_mode);
                Ok(Some(match mode.as_deref() {
                    Some("oidc_auth") => format!(
                        "Harbor does not take a password for {user:?} on its API: in oidc_auth \
                         mode it takes one only from its built-in admin (user id 1, `admin` unless \
                         renamed). Set BERTH_HARBOR_USERNAME and BERTH_HARBOR_PASSWORD to that \
                         account."
                    ),
                    _ => format!(
                        "Harbor refused the credentials of {user:?}: check BERTH_HARBOR_USERNAME \
                         and BERTH_HARBOR_PASSWORD."
                    ),
                }))
            }
            Err(e) => Err(e),
        }
    }

    pub async fn system_info(&self) -> Result<SystemInfo, HarborError> {
        let read = || async {
            let op = "reading the system info";
            let response = self
                .send(op, self.request(Method::GET, "systeminfo"))
                .await?;
            let info: SystemInfo = self.json(op, response).await?;
            // Harbor tells its version only to signed-in callers: without one,
            // the session may be stale.
            if info.harbor_version.is_none() && self.auth == HarborAuth::Session {
                self.current_user().await?;
            }
            Ok(info)
        };
        self.as_signed_in(read).await
    }

    /// What Harbor tells anyone (its auth mode, no version): readable when
    /// Berth's own sign-in fails.
    async fn anonymous_system_info(&self) -> Result<SystemInfo, HarborError> {
        let op = "reading the system info";
        let response = self
            .send_once(op, self.request(Method::GET, "systeminfo"))
            .await?;
        self.json(op, response).await
    }

    pub async fn health(&self) -> Result<HealthReport, HarborError> {
        let op = "reading component health";
        let response = self.send(op, self.request(Method::GET, "health")).await?;
        self.json(op, response).await
    }

    /// Accounts whose username or e-mail contains `text` (Harbor's fuzzy match), each once.
    pub async fn search_users(&self, text: &str) -> Result<Vec<HarborUser>, HarborError> {
        let by_name = super::Q::new().fuzzy("username", text).build();
        let by_email = super::Q::new().fuzzy("email", text).build();
        let (name_query, email_query) = ([("q", by_name.as_str())], [("q", by_email.as_str())]);
        let (names, emails) = tokio::join!(
            self.list_all::<HarborUser>("searching users", "users", &name_query),
            self.list_all::<HarborUser>("searching users", "users", &email_query),
        );
        let mut users = names?;
        for user in emails? {
            if !users.iter().any(|u| u.user_id == user.user_id) {
                users.push(user);
            }
        }
        users.sort_by_key(|u| u.user_id);
        Ok(users)
    }

    pub async fn get_user(&self, user_id: i64) -> Result<Option<HarborUser>, HarborError> {
        let op = "reading a user";
        let response = self
            .send(op, self.request(Method::GET, &format!("users/{user_id}")))
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.json(op, response).await.map(Some)
    }

    /// `DELETE /users/{id}` (Harbor >= 2.4): frees the username and e-mail of a stale account.
    pub async fn delete_user(&self, user_id: i64) -> Result<(), HarborError> {
        self.expect_status(
            "deleting a user",
            self.request(Method::DELETE, &format!("users/{user_id}")),
            StatusCode::OK,
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subject_is_split_off_the_trusted_issuer_only() {
        let meta = |subiss: &str| super::OidcUserMeta {
            subiss: subiss.into(),
            update_time: None,
        };
        let issuer = "http://127.0.0.1:9090/realms/berth";
        assert_eq!(
            meta("f81d4fae-7dec-11d0http://127.0.0.1:9090/realms/berth").subject_under(issuer),
            Ok("f81d4fae-7dec-11d0".into())
        );
        assert_eq!(
            meta("abchttp://127.0.0.1:9090/realms/berth/").subject_under(&format!("{issuer}/")),
            Ok("abc".into())
        );
        assert_eq!(
            meta("abchttps://old.example/realms/berth").subject_under(issuer),
            Err("abchttps://old.example/realms/berth".into())
        );
        assert!(meta(issuer).subject_under(issuer).is_err());
    }

    #[test]
    fn the_cli_secret_is_not_kept() {
        let user: super::HarborUser = serde_json::from_str(
            r#"{"user_id":3,"username":"bob","oidc_user_meta":{"id":1,"user_id":3,
            "subiss":"bobhttps://idp","secret":"CliSecret123",
            "update_time":"2026-01-01T00:00:00Z"}}"#,
        )
        .unwrap();
        assert!(!format!("{user:?}").contains("CliSecret123"));
    }

    #[test]
    fn old_and_unreadable_versions_are_named() {
        assert_eq!(super::version_problem(Some("v2.15.2-fake")), None);
        assert_eq!(super::version_problem(Some("v2.2.0")), None);
        assert!(super::version_problem(Some("v2.1.4-abc"))
            .unwrap()
            .contains("older than 2.2"));
        assert!(super::version_problem(Some("v1.10.0"))
            .unwrap()
            .contains("robot v2"));
        assert!(super::version_problem(Some("dev")).is_some());
        assert!(super::version_problem(None).is_some());
    }

    #[test]
    fn searches_cannot_inject_harbor_query_syntax() {
        assert!(super::valid_user_search("dave"));
        assert!(super::valid_user_search("dave@example.test"));
        assert!(!super::valid_user_search("d"));
        assert!(!super::valid_user_search("dave,sysadmin_flag=true"));
        assert!(!super::valid_user_search("a=~b"));
        assert!(!super::valid_user_search("two words"));
    }
}
