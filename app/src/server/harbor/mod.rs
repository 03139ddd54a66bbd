//! A client for the parts of Harbor's v2.0 API Berth uses. Lists are read 100 at a time, following
//! `X-Total-Count`; the robot v2 API (`/robots`) is used throughout.
mod query;
mod session;
mod system;
mod token;
mod types;

pub use query::Q;

pub use system::{
    valid_user_search, version_problem, ComponentHealth, HarborUser, HealthReport, SystemInfo,
};

pub use token::{generate_robot_token, meets_harbor_rules};

pub use types::*;

use crate::server::config::{HarborAuth, HarborConfig};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

const PAGE_SIZE: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum HarborError {
    #[error("Harbor did not answer {operation} within {} s", timeout.as_secs())]
    Timeout {
        operation: &'static str,
        timeout: Duration,
    },
    #[error("Harbor is unreachable ({operation})")]
    Unreachable {
        operation: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("Harbor answered {status} to {operation}")]
    Status {
        operation: &'static str,
        status: StatusCode,
    },
    #[error("Harbor's answer to {operation} could not be read")]
    Decode {
        operation: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl HarborError {
    /// Harbor's 404: the thing is not there (deleting it again is no error).
    pub fn is_not_found(&self) -> bool {
        matches!(self, HarborError::Status { status, .. } if *status == StatusCode::NOT_FOUND)
    }

    /// Harbor's 409: the thing exists already.
    pub fn is_conflict(&self) -> bool {
        matches!(self, HarborError::Status { status, .. } if *status == StatusCode::CONFLICT)
    }

    /// A short stable reason for logs and conditions.
    pub fn reason(&self) -> &'static str {
        match self {
            HarborError::Timeout { .. } => "HarborTimeout",
            HarborError::Unreachable { .. } => "HarborUnreachable",
            HarborError::Status { status, .. } if status.as_u16() == 401 => "HarborUnauthorized",
            HarborError::Status { .. } => "HarborRefused",
            HarborError::Decode { .. } => "HarborBadAnswer",
        }
    }
}

#[derive(Clone)]
pub struct HarborClient {
    http: reqwest::Client,
    /// Harbor's UI sign-in (`/c/login` below the base URL).
    login: Url,
    api: Url,
    username: String,
    password: SecretString,
    auth: HarborAuth,
    /// Shared by every clone: one session for the whole process.
    session: std::sync::Arc<session::SessionState>,
    timeout: Duration,
}

impl HarborClient {
    pub fn new(config: &HarborConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut api = config.url.clone();
        api.set_path(&format!(
            "{}/api/v2.0/",
            config.url.path().trim_end_matches('/')
        ));
        let mut login = config.url.clone();
        login.set_path(&format!(
            "{}/c/login",
            config.url.path().trim_end_matches('/')
        ));
        Ok(Self {
            http,
            login,
            api,
            username: config.username.clone(),
            password: config.password.clone(),
            auth: config.auth,
            session: Default::default(),
            timeout: config.timeout,
        })
    }

    /// How many times this process signed in to Harbor (0 with `BERTH_HARBOR_AUTH=basic`).
    pub fn sign_ins(&self) -> u64 {
        self.session.sign_ins()
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = self
            .api
            .join(path.trim_start_matches('/'))
            .expect("API paths are relative URLs");
        self.http.request(method, url)
    }

    /// Sends an API request with Berth's credentials: in its Harbor session, or with the password.
    async fn send(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, HarborError> {
        match self.auth {
            HarborAuth::Session => self.send_in_session(operation, request).await,
            HarborAuth::Basic => {
                let request =
                    request.basic_auth(&self.username, Some(self.password.expose_secret()));
                self.send_once(operation, request).await
            }
        }
    }

    async fn send_once(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, HarborError> {
        crate::server::http::timing::upstream_call(request.send())
            .await
            .map_err(|source| self.transport_error(operation, source))
    }

    /// A request that failed on the wire, before or while its answer came: past the client's
    /// time-out (which covers the body too), or a connection refused or dropped.
    fn transport_error(&self, operation: &'static str, source: reqwest::Error) -> HarborError {
        if source.is_timeout() {
            HarborError::Timeout {
                operation,
                timeout: self.timeout,
            }
        } else {
            HarborError::Unreachable { operation, source }
        }
    }

    async fn json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        response: reqwest::Response,
    ) -> Result<T, HarborError> {
        if !response.status().is_success() {
            return Err(HarborError::Status {
                operation,
                status: response.status(),
            });
        }
        self.decode(operation, response).await
    }

    /// The body of an answer whose status was checked. Receiving it is upstream time, like the
    /// headers; parsing it is Berth's own.
    async fn decode<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        response: reqwest::Response,
    ) -> Result<T, HarborError> {
        let body = crate::server::http::timing::upstream_call(response.bytes())
            .await
            .map_err(|source| self.transport_error(operation, source))?;
        serde_json::from_slice(&body).map_err(|source| HarborError::Decode { operation, source })
    }

    async fn list_all<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, HarborError> {
        self.list_all_with(operation, path, query, None).await
    }

    /// Reads every page of a list endpoint (`page_size=100`), stopping at `X-Total-Count`. A list
    /// that changed size while it was paged (a robot made or deleted meanwhile shifts the pages, so
    /// one would be skipped or seen twice) is read again, up to three times.
    async fn list_all_with<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        query: &[(&str, &str)],
        header: Option<(&str, &str)>,
    ) -> Result<Vec<T>, HarborError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (items, totals) = self.read_pages(operation, path, query, header).await?;
            let steady = totals.windows(2).all(|w| w[0] == w[1]);
            if steady || attempt == 3 {
                return Ok(items);
            }
        }
    }

    /// One pass over the pages: the items and each page's `X-Total-Count`.
    async fn read_pages<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        query: &[(&str, &str)],
        header: Option<(&str, &str)>,
    ) -> Result<(Vec<T>, Vec<Option<usize>>), HarborError> {
        let mut all = Vec::new();
        let mut totals = Vec::new();
        for page in 1.. {
            let page_str = page.to_string();
            let size = PAGE_SIZE.to_string();
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("page", &page_str));
            q.push(("page_size", &size));
            let mut request = self.request(Method::GET, path).query(&q);
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let response = self.send(operation, request).await?;
            let total = response
                .headers()
                .get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            totals.push(total);
            let items: Vec<T> = self.json(operation, response).await?;
            let got = items.len();
            all.extend(items);
            let done = match total {
                Some(total) => all.len() >= total,
                None => got < PAGE_SIZE,
            };
            if done || got == 0 {
                break;
            }
        }
        Ok((all, totals))
    }

    /// The project of that exact name, if any (Harbor's `name` filter is a fuzzy match).
    /// Harbor lists public projects to callers whose credentials it does not take, with a
    /// 200: a project not found is only believed once Harbor still takes Berth's credentials
    /// (else the answer is its 401).
    pub async fn find_project(&self, name: &str) -> Result<Option<Project>, HarborError> {
        let find = || async {
            let projects: Vec<Project> = self
                .list_all("listing projects", "projects", &[("name", name)])
                .await?;
            match projects.into_iter().find(|p| p.name == name) {
                Some(project) => Ok(Some(project)),
                // The check signs in again when the session went stale;
                // then the list is read again.
                None => self.current_user().await.map(|_| None),
            }
        };
        self.as_signed_in(find).await
    }

    /// By name, so it can run beside `find_project` instead of after it.
    pub async fn project_summary(&self, project: &str) -> Result<ProjectSummary, HarborError> {
        let op = "reading the project summary";
        let response = self
            .send(
                op,
                self.request(Method::GET, &format!("projects/{project}/summary"))
                    .header("X-Is-Resource-Name", "true"),
            )
            .await?;
        self.json(op, response).await
    }

    async fn expect_status(
        &self,
        operation: &'static str,
        request: reqwest::RequestBuilder,
        wanted: StatusCode,
    ) -> Result<reqwest::Response, HarborError> {
        let response = self.send(operation, request).await?;
        if response.status() == wanted {
            Ok(response)
        } else {
            Err(HarborError::Status {
                operation,
                status: response.status(),
            })
        }
    }

    /// Creates a private project; its id when Harbor's `Location` header gives it.
    pub async fn create_project(&self, name: &str) -> Result<Option<i64>, HarborError> {
        let body = serde_json::json!({ "project_name": name, "metadata": { "public": "false" } });
        let response = self
            .expect_status(
                "creating the project",
                self.request(Method::POST, "projects").json(&body),
                StatusCode::CREATED,
            )
            .await?;
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Ok(location.rsplit('/').next().and_then(|id| id.parse().ok()))
    }

    pub async fn list_members(&self, project: &str) -> Result<Vec<ProjectMember>, HarborError> {
        let path = format!("projects/{project}/members");
        self.list_all_with(
            "listing project members",
            &path,
            &[],
            Some(("X-Is-Resource-Name", "true")),
        )
        .await
    }

    /// Adds a group to the project with a role, as Harbor's auth mode names groups.
    pub async fn add_group_member(
        &self,
        project: &str,
        group: &MemberGroup,
        role: ProjectRole,
    ) -> Result<(), HarborError> {
        let member_group = match group {
            MemberGroup::Oidc(name) => serde_json::json!({ "group_name": name, "group_type": 3 }),
            MemberGroup::Http(name) => serde_json::json!({ "group_name": name, "group_type": 2 }),
            MemberGroup::Ldap { dn } => serde_json::json!({ "ldap_group_dn": dn, "group_type": 1 }),
        };
        let body = serde_json::json!({ "role_id": role.id(), "member_group": member_group });
        let request = self
            .request(Method::POST, &format!("projects/{project}/members"))
            .header("X-Is-Resource-Name", "true")
            .json(&body);
        self.expect_status("adding a project member", request, StatusCode::CREATED)
            .await
            .map(drop)
    }

    /// Harbor's `auth_mode` (told to anyone, signed in or not).
    pub async fn auth_mode(&self) -> Result<AuthMode, HarborError> {
        let info = self.system_info().await?;
        Ok(AuthMode::parse(
            info.auth_mode.as_deref().unwrap_or_default(),
        ))
    }

    /// Creates a robot account; Harbor gives it a secret of its own, which Berth replaces at once
    /// with `set_robot_secret`.
    pub async fn create_robot(&self, robot: &RobotCreate) -> Result<RobotCreated, HarborError> {
        let op = "creating a robot account";
        let response = self
            .expect_status(
                op,
                self.request(Method::POST, "robots").json(robot),
                StatusCode::CREATED,
            )
            .await?;
        self.decode(op, response).await
    }

    /// Sets the robot's secret to the one Berth generated (`PATCH /robots/{id}`).
    pub async fn set_robot_secret(
        &self,
        robot_id: i64,
        secret: &SecretString,
    ) -> Result<(), HarborError> {
        let body = serde_json::json!({ "secret": secret.expose_secret() });
        let request = self
            .request(Method::PATCH, &format!("robots/{robot_id}"))
            .json(&body);
        self.expect_status("setting a robot secret", request, StatusCode::OK)
            .await
            .map(drop)
    }

    pub async fn delete_robot(&self, robot_id: i64) -> Result<(), HarborError> {
        self.expect_status(
            "deleting a robot account",
            self.request(Method::DELETE, &format!("robots/{robot_id}")),
            StatusCode::OK,
        )
        .await
        .map(drop)
    }

    /// Replaces a robot's name, permissions and settings (`PUT /robots/{id}`); its secret stays.
    pub async fn update_robot(&self, robot: &RobotUpdate) -> Result<(), HarborError> {
        let request = self
            .request(Method::PUT, &format!("robots/{}", robot.id))
            .json(robot);
        self.expect_status("updating a robot account", request, StatusCode::OK)
            .await
            .map(drop)
    }

    pub async fn get_robot(&self, robot_id: i64) -> Result<Option<Robot>, HarborError> {
        let op = "reading a robot account";
        let response = self
            .send(op, self.request(Method::GET, &format!("robots/{robot_id}")))
            .await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        self.json(op, response).await.map(Some)
    }

    /// `PUT /projects/{project}/members/{id}` with a new role.
    pub async fn set_member_role(
        &self,
        project: &str,
        member_id: i64,
        role: ProjectRole,
    ) -> Result<(), HarborError> {
        let body = serde_json::json!({ "role_id": role.id() });
        let request = self
            .request(
                Method::PUT,
                &format!("projects/{project}/members/{member_id}"),
            )
            .header("X-Is-Resource-Name", "true")
            .json(&body);
        self.expect_status("changing a project member's role", request, StatusCode::OK)
            .await
            .map(drop)
    }

    pub async fn delete_member(&self, project: &str, member_id: i64) -> Result<(), HarborError> {
        let request = self
            .request(
                Method::DELETE,
                &format!("projects/{project}/members/{member_id}"),
            )
            .header("X-Is-Resource-Name", "true");
        self.expect_status("removing a project member", request, StatusCode::OK)
            .await
            .map(drop)
    }

    /// Deletes a project (Harbor refuses with 412 while it still holds repositories).
    pub async fn delete_project(&self, project: &str) -> Result<(), HarborError> {
        let request = self
            .request(Method::DELETE, &format!("projects/{project}"))
            .header("X-Is-Resource-Name", "true");
        self.expect_status("deleting the project", request, StatusCode::OK)
            .await
            .map(drop)
    }

    /// Every project (all pages).
    pub async fn list_projects(&self) -> Result<Vec<Project>, HarborError> {
        self.list_all("listing projects", "projects", &[]).await
    }

    /// One request telling whether a list changed: its total and its most recently updated entry.
    async fn probe(&self, operation: &'static str, path: &str) -> Result<ListProbe, HarborError> {
        let request = self.request(Method::GET, path).query(&[
            ("sort", "-update_time"),
            ("page", "1"),
            ("page_size", "1"),
        ]);
        let response = self.send(operation, request).await?;
        let total = response
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let items: Vec<serde_json::Value> = self.json(operation, response).await?;
        let newest = items.first();
        Ok(ListProbe {
            total: total.unwrap_or(items.len()),
            newest_update: newest
                .and_then(|v| v["update_time"].as_str())
                .map(str::to_owned),
            newest_id: newest.and_then(|v| v["id"].as_i64().or_else(|| v["project_id"].as_i64())),
        })
    }

    pub async fn probe_robots(&self) -> Result<ListProbe, HarborError> {
        self.probe("checking robot accounts for changes", "robots")
            .await
    }

    pub async fn probe_projects(&self) -> Result<ListProbe, HarborError> {
        self.probe("checking projects for changes", "projects")
            .await
    }

    /// Every robot account (system and project level).
    pub async fn list_robots(&self) -> Result<Vec<Robot>, HarborError> {
        self.list_all("listing robot accounts", "robots", &[]).await
    }

    /// System robots whose name (as Harbor stores it, without the prefix) contains `text`.
    pub async fn system_robots_named_like(&self, text: &str) -> Result<Vec<Robot>, HarborError> {
        let q = Q::new()
            .exact("Level", "system")
            .fuzzy("name", text)
            .build();
        self.list_all("listing robot accounts", "robots", &[("q", q.as_str())])
            .await
    }

    /// The robots whose permissions reach the project `project_id`, found by filter so a team page
    /// never reads every robot in Harbor (3,000 with 1,000 teams): Berth's system robots of the
    /// team (`berth-<team>-...`) and the project's own robots. Harbor lists system robots unless
    /// `q` says `Level=project` with the project's id. Its `=~` is a substring match (`berth-a-`
    /// also finds team `a-b`'s), so the permissions decide.
    pub async fn robots_for_project(
        &self,
        project: &str,
        project_id: i64,
        team: &str,
    ) -> Result<Vec<Robot>, HarborError> {
        let berths = Q::new()
            .exact("Level", "system")
            .fuzzy("name", &crate::vocabulary::robot_name_filter(team))
            .build();
        let projects = Q::new()
            .exact("Level", "project")
            .exact("ProjectID", &project_id.to_string())
            .build();
        let (berths_query, projects_query) = ([("q", berths.as_str())], [("q", projects.as_str())]);
        let (berths, projects) = tokio::join!(
            self.list_all::<Robot>("listing the team's robot accounts", "robots", &berths_query),
            self.list_all::<Robot>(
                "listing the project's robot accounts",
                "robots",
                &projects_query
            ),
        );
        let mut robots = berths?;
        for robot in projects? {
            if robots.iter().all(|r| r.id != robot.id) {
                robots.push(robot);
            }
        }
        Ok(robots
            .into_iter()
            .filter(|r| {
                r.permissions
                    .iter()
                    .any(|p| p.kind == "project" && p.namespace == project)
            })
            .collect())
    }
}
