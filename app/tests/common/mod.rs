//! What every test file against the local stack needs, once: the stack's environment, clients for
//! Harbor (through Prism), the apiserver and Berth, waiting, and the fake Harbor's faults and
//! controls. Each test binary uses part of it.
#![allow(dead_code)]
use app::server::config::{HarborAuth, HarborConfig};
use app::server::harbor::HarborClient;
use kube::Client;
use secrecy::SecretString;
use std::future::Future;
use std::time::{Duration, Instant};

/// A variable `make test` sets for the stack it started.
pub fn env(key: &str) -> String {
    std::env::var(key)
        .unwrap_or_else(|_| panic!("{key} is not set: run these tests through `make test`"))
}

/// Berth's own Harbor settings for the stack, with `timeout`.
pub fn harbor_config(timeout: Duration) -> HarborConfig {
    let url: url::Url = env("BERTH_HARBOR_URL").parse().unwrap();
    HarborConfig {
        ui_url: url.clone(),
        url,
        username: "admin".into(),
        password: SecretString::from(env("BERTH_HARBOR_PASSWORD")),
        auth: HarborAuth::Session,
        timeout,
        registry_host: env("BERTH_REGISTRY_HOST"),
    }
}

/// Harbor as Berth reaches it (through Prism, every exchange checked against Harbor's spec).
pub fn harbor_with_timeout(timeout: Duration) -> HarborClient {
    HarborClient::new(&harbor_config(timeout)).unwrap()
}

/// A client of the apiserver with the kubeconfig named by the variable `kubeconfig_var`.
pub async fn kube_client(kubeconfig_var: &str) -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(env(kubeconfig_var)).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

/// The cluster admin's client (the platform's part: namespaces, RoleBindings, reading everything).
pub async fn admin() -> Client {
    kube_client("BERTH_STACK_ADMIN_KUBECONFIG").await
}

/// Polls `check` until it gives a value, or fails the test after `limit`.
pub async fn wait_for<T, F: Future<Output = Option<T>>>(
    what: &str,
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Posts `body` to the fake Harbor's control endpoint `path`
/// (`/__fake/faults`, `/__fake/system`, ...).
pub async fn fake(path: &str, body: serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", env("FAKE_HARBOR_URL")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// Sets the fake Harbor's faults: `latency_ms` on every request, and `status` for every answer.
pub async fn fault(latency_ms: u64, status: Option<u16>) {
    fake(
        "/__fake/faults",
        serde_json::json!({ "latency_ms": latency_ms, "status": status }),
    )
    .await;
}

/// Posts to a fake Harbor control endpoint that takes no body.
pub async fn fake_control(path: &str) {
    let url = format!("{}{path}", env("FAKE_HARBOR_URL"));
    let response = reqwest::Client::new().post(url).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// The fake Harbor's counters (requests, writes, credential checks).
pub async fn fake_stats() -> serde_json::Value {
    reqwest::get(format!("{}/__fake/stats", env("FAKE_HARBOR_URL")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Posts `body` to the fake Harbor's control endpoint `path` when dropped, so a test's change to
/// the fake (faults, auth mode, robot prefix) is undone even when an assertion fails.
pub struct Restore(pub &'static str, pub &'static str);
impl Drop for Restore {
    fn drop(&mut self) {
        let url = format!("{}{}", env("FAKE_HARBOR_URL"), self.0);
        let _ = std::process::Command::new("curl")
            .args([
                "-sf",
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
                self.1,
                &url,
            ])
            .status();
    }
}

/// The running Berth's public address.
pub fn berth() -> String {
    env("BERTH_PUBLIC_URL").trim_end_matches('/').to_owned()
}

/// An HTTP client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// A response header as text, empty when absent.
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
