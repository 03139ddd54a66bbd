//! A client for the parts of Harbor's v2.0 API Berth uses. Lists are read 100 at a time, following
//! `X-Total-Count`; the robot v2 API (`/robots`) is used throughout.
mod types;

pub use types::*;

use crate::server::config::HarborConfig;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

const PAGE_SIZE: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum HarborError {
    #[error("Harbor did not answer {operation} within {} s", timeout.as_secs())]
    Timeout { operation: &'static str, timeout: Duration },
    #[error("Harbor is unreachable ({operation})")]
    Unreachable {
        operation: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("Harbor answered {status} to {operation}")]
    Status { operation: &'static str, status: StatusCode },
    #[error("Harbor's answer to {operation} could not be read")]
    Decode {
        operation: &'static str,
        #[source]
        source: reqwest::Error,
    },
}

#[derive(Clone)]
pub struct HarborClient {
    http: reqwest::Client,
    api: Url,
    username: String,
    password: SecretString,
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
        api.set_path(&format!("{}/api/v2.0/", config.url.path().trim_end_matches('/')));
        Ok(Self { http, api, username: config.username.clone(), password: config.password.clone(), timeout: config.timeout })
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let url = self.api.join(path.trim_start_matches('/')).expect("API paths are relative URLs");
        self.http.request(method, url).basic_auth(&self.username, Some(self.password.expose_secret()))
    }

    async fn send(&self, operation: &'static str, request: reqwest::RequestBuilder) -> Result<reqwest::Response, HarborError> {
        request.send().await.map_err(|source| {
            if source.is_timeout() {
                HarborError::Timeout { operation, timeout: self.timeout }
            } else {
                HarborError::Unreachable { operation, source }
            }
        })
    }

    async fn json<T: DeserializeOwned>(operation: &'static str, response: reqwest::Response) -> Result<T, HarborError> {
        if !response.status().is_success() {
            return Err(HarborError::Status { operation, status: response.status() });
        }
        response.json().await.map_err(|source| HarborError::Decode { operation, source })
    }

    /// Reads every page of a list endpoint (`page_size=100`), stopping at `X-Total-Count`.
    async fn list_all<T: DeserializeOwned>(&self, operation: &'static str, path: &str, query: &[(&str, &str)]) -> Result<Vec<T>, HarborError> {
        let mut all = Vec::new();
        for page in 1.. {
            let page_str = page.to_string();
            let size = PAGE_SIZE.to_string();
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("page", &page_str));
            q.push(("page_size", &size));
            let response = self.send(operation, self.request(Method::GET, path).query(&q)).await?;
            let total = response.headers().get("x-total-count").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
            let items: Vec<T> = Self::json(operation, response).await?;
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
        Ok(all)
    }

    /// The project of that exact name, if any (Harbor's `name` filter is a fuzzy match).
    pub async fn find_project(&self, name: &str) -> Result<Option<Project>, HarborError> {
        let projects: Vec<Project> = self.list_all("listing projects", "projects", &[("name", name)]).await?;
        Ok(projects.into_iter().find(|p| p.name == name))
    }

    pub async fn project_summary(&self, project_id: i64) -> Result<ProjectSummary, HarborError> {
        let op = "reading the project summary";
        let response = self.send(op, self.request(Method::GET, &format!("projects/{project_id}/summary")).header("X-Is-Resource-Name", "false")).await?;
        Self::json(op, response).await
    }

    /// Every robot account (system and project level).
    pub async fn list_robots(&self) -> Result<Vec<Robot>, HarborError> {
        self.list_all("listing robot accounts", "robots", &[]).await
    }

    /// The robots whose permissions reach `project`.
    pub async fn robots_for_project(&self, project: &str) -> Result<Vec<Robot>, HarborError> {
        let robots = self.list_robots().await?;
        Ok(robots.into_iter().filter(|r| r.permissions.iter().any(|p| p.kind == "project" && p.namespace == project)).collect())
    }
}
