//! The reconciler's decisions, fast: each test runs real passes (`reconcile` over a [`Context`])
//! against the fake apiserver in `apiserver` and the fake Harbor started in process on a free port,
//! and checks what each side was asked and holds afterwards. The black-box tests against the
//! running stack stay in `app/tests/reconcile.rs`.
mod apiserver;
mod changes;
mod faults;
mod lifecycle;
mod namespaces;
mod stopping;

use super::desired::{self, Credentials, Purpose};
use super::{reconcile, Context, ReconcileError, Reconciler};
use crate::server::audit::Audit;
use crate::server::cluster::crd::{Team, TeamStatus};
use crate::server::cluster::Cluster;
use crate::server::config::Config;
use crate::server::harbor::{HarborClient, Robot};
use crate::server::metrics::Metrics;
use apiserver::ApiServer;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::runtime::controller::Action;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const NAMESPACES: &str = "/api/v1/namespaces";
const TEAMS: &str = "/apis/berth.dev/v1alpha1/teams";
const SECRETS: &str = "/api/v1/namespaces/team-alpha/secrets";
/// Berth's own namespace, where it keeps its copies of the tokens.
const KEPT: &str = "/api/v1/namespaces/berth/secrets";
const ACCOUNTS: &str = "/api/v1/namespaces/team-alpha/serviceaccounts";
const EVENTS: &str = "/api/v1/namespaces/default/events";
/// A pull secret somebody else put on the ServiceAccount; Berth leaves it there.
const OTHERS_PULL_SECRET: &str = "mirror-pullsecret";

/// One cluster and one Harbor with the Team `alpha` (namespace `team-alpha`, its `default`
/// ServiceAccount, Berth's finalizer already on), and Berth's context for them.
struct World {
    api: ApiServer,
    harbor_url: String,
    /// Berth's own client; the tests also use it to change Harbor behind Berth's back.
    harbor: HarborClient,
    http: reqwest::Client,
    ctx: Arc<Context>,
    /// The controller's watch cache of Teams, as `team()` last filled it.
    cache: std::sync::Mutex<kube::runtime::reflector::store::Writer<Team>>,
}

impl World {
    async fn new() -> World {
        World::with(&[]).await
    }

    /// With settings beyond the defaults (`BERTH_*` variables).
    async fn with(settings: &[(&str, &str)]) -> World {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let harbor_url = format!("http://{}", listener.local_addr().expect("an address"));
        let fake = fake_harbor::router(fake_harbor::Options::default()).await;
        tokio::spawn(async move { axum::serve(listener, fake).await });

        let mut vars: HashMap<String, String> = [
            ("BERTH_OIDC_ISSUER", "http://127.0.0.1:9/"),
            ("BERTH_OIDC_CLIENT_ID", "berth"),
            ("BERTH_OIDC_CLIENT_SECRET", "s3cret"),
            ("BERTH_HARBOR_URL", harbor_url.as_str()),
            ("BERTH_HARBOR_PASSWORD", "Harbor12345"),
            ("BERTH_INSTANCE", "test"),
        ]
        .into_iter()
        .chain(settings.iter().copied())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        vars.entry("BERTH_HARBOR_TIMEOUT_SECS".into())
            .or_insert_with(|| "5".into());
        let config = Arc::new(Config::from_lookup(|k| vars.get(k).cloned()).expect("settings"));

        let api = ApiServer::default();
        // The team's, Berth's own (its copies of the tokens) and the audit Events'.
        for namespace in ["team-alpha", "berth", "default"] {
            api.put(
                NAMESPACES,
                json!({
                    "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": namespace }
                }),
            );
        }
        api.put(
            ACCOUNTS,
            json!({ "apiVersion": "v1", "kind": "ServiceAccount",
                    "metadata": { "name": "default", "namespace": "team-alpha" },
                    "imagePullSecrets": [{ "name": OTHERS_PULL_SECRET }] }),
        );
        api.put(
            TEAMS,
            json!({ "apiVersion": "berth.dev/v1alpha1", "kind": "Team",
                    "metadata": { "name": "alpha", "uid": "uid-alpha", "generation": 1,
                                  "finalizers": [super::FINALIZER] },
                    "spec": {} }),
        );
        let client = api.client();
        let harbor = HarborClient::new(&config.harbor).expect("a Harbor client");
        let reconciler = Reconciler::new(
            harbor.clone(),
            Cluster::new(client.clone(), Duration::from_secs(5)),
            client.clone(),
            config,
            Audit::new(client, "default".into()),
            Arc::new(Metrics::default()),
        );
        let (teams, cache) = kube::runtime::reflector::store();
        World {
            api,
            harbor_url,
            harbor,
            http: reqwest::Client::new(),
            ctx: Arc::new(reconciler.context(teams)),
            cache: std::sync::Mutex::new(cache),
        }
    }

    /// The Team as the watch would deliver it now (and every Team, into the watch cache).
    fn team(&self) -> Arc<Team> {
        self.team_named("alpha")
    }

    fn team_named(&self, name: &str) -> Arc<Team> {
        use kube::runtime::watcher::Event;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.apply_watcher_event(&Event::Init);
        for value in self.api.list(TEAMS) {
            let team: Team = serde_json::from_value(value).expect("a Team");
            cache.apply_watcher_event(&Event::InitApply(team));
        }
        cache.apply_watcher_event(&Event::InitDone);
        let value = self.api.get(TEAMS, name).expect("the Team");
        Arc::new(serde_json::from_value(value).expect("a Team"))
    }

    fn edit_team(&self, edit: impl FnOnce(&mut Value)) {
        let mut team = self.api.get(TEAMS, "alpha").expect("the Team");
        edit(&mut team);
        self.api.put(TEAMS, team);
    }

    /// One reconcile of the Team, as the controller runs it.
    async fn pass(&self) -> Result<Action, ReconcileError> {
        reconcile(self.team(), self.ctx.clone()).await
    }

    /// A pass that must succeed.
    async fn converge(&self) {
        if let Err(error) = self.pass().await {
            panic!("the pass failed: {} ({error})", error.reason());
        }
    }

    fn status(&self) -> TeamStatus {
        self.team().status.clone().expect("a status")
    }

    /// A condition's status and reason, as `"False HarborRefused"`.
    fn condition(&self, type_: &str) -> String {
        let status = self.status();
        let c = status.condition(type_).expect("the condition");
        format!("{} {}", c.status, c.reason)
    }

    /// Asks for a rotation as the team page does.
    fn request_rotation(&self, purpose: Purpose, value: &str) {
        self.edit_team(|team| {
            let mut annotations = serde_json::Map::new();
            annotations.insert(purpose.rotate_annotation(), json!(value));
            team["metadata"]["annotations"] = Value::Object(annotations);
        });
    }

    fn secret_name(&self, purpose: Purpose) -> String {
        purpose
            .secret_name(&self.ctx.config.secret_names)
            .to_owned()
    }

    fn secret(&self, purpose: Purpose) -> Option<Secret> {
        let value = self.api.get(SECRETS, &self.secret_name(purpose))?;
        Some(serde_json::from_value(value).expect("a Secret"))
    }

    fn pending_secret(&self, purpose: Purpose) -> Option<Value> {
        self.api.get(
            SECRETS,
            &desired::pending_secret_name(&self.secret_name(purpose)),
        )
    }

    /// The token Berth's own copy holds for `purpose`.
    fn copied(&self, purpose: Purpose) -> Option<Credentials> {
        let copy = self.api.get(KEPT, &desired::token_copy_name("alpha"))?;
        let copy: Secret = serde_json::from_value(copy).expect("a Secret");
        desired::copied_tokens(&copy).remove(&purpose)
    }

    fn credentials(&self, purpose: Purpose) -> Credentials {
        let secret = self.secret(purpose).expect("the secret");
        desired::credentials_in(&secret, purpose, &self.ctx.config.harbor.registry_host)
            .expect("credentials in the secret")
    }

    fn pull_secrets_on_account(&self) -> Vec<String> {
        self.pull_secrets_on_account_in("team-alpha")
    }

    /// The `imagePullSecrets` of `namespace`'s `default` ServiceAccount, by name.
    fn pull_secrets_on_account_in(&self, namespace: &str) -> Vec<String> {
        let accounts = format!("/api/v1/namespaces/{namespace}/serviceaccounts");
        let value = self
            .api
            .get(&accounts, "default")
            .expect("the ServiceAccount");
        let account: ServiceAccount = serde_json::from_value(value).expect("a ServiceAccount");
        account
            .image_pull_secrets
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    /// What `docker login` would say to these credentials.
    async fn logs_in(&self, credentials: &Credentials) -> bool {
        self.http
            .get(format!("{}/v2/", self.harbor_url))
            .basic_auth(
                &credentials.username,
                Some(credentials.token.expose_secret()),
            )
            .send()
            .await
            .expect("the registry answers")
            .status()
            .is_success()
    }

    async fn robots(&self) -> Vec<Robot> {
        let mut robots = self.harbor.list_robots().await.expect("Harbor's robots");
        robots.sort_by(|a, b| a.name.cmp(&b.name));
        robots
    }

    async fn robot_names(&self) -> Vec<String> {
        self.robots().await.into_iter().map(|r| r.name).collect()
    }

    /// Harbor's write count since the last reset (`/__fake/stats`).
    async fn harbor_writes(&self) -> u64 {
        let stats: Value = self
            .http
            .get(format!("{}/__fake/stats", self.harbor_url))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats as JSON");
        stats["writes"].as_u64().unwrap_or_default()
    }

    /// Forgets what both sides were asked so far.
    async fn forget_requests(&self) {
        self.http
            .delete(format!("{}/__fake/stats", self.harbor_url))
            .send()
            .await
            .expect("stats reset");
        self.api.forget_calls();
    }

    /// Makes Harbor answer `status` to the requests that match (`/__fake/faults`); `None` heals it.
    async fn harbor_fault(&self, fault: Option<Value>) {
        self.http
            .post(format!("{}/__fake/faults", self.harbor_url))
            .json(&fault.unwrap_or_else(|| json!({})))
            .send()
            .await
            .expect("faults set");
    }

    /// The audit records posted, as `(action, actor)`.
    fn audit_records(&self) -> Vec<(String, String)> {
        self.api
            .calls()
            .into_iter()
            .filter(|c| c.method == http::Method::POST && c.path == EVENTS)
            .filter_map(|c| {
                let annotations = &c.body?["metadata"]["annotations"];
                Some((
                    annotations["berth.dev/action"].as_str()?.to_owned(),
                    annotations["berth.dev/actor"].as_str()?.to_owned(),
                ))
            })
            .collect()
    }
}

/// The three robots a team starts with.
fn first_robots() -> Vec<String> {
    let mut names: Vec<String> = Purpose::ALL
        .iter()
        .map(|p| format!("robot${}", desired::robot_base_name("alpha", *p)))
        .collect();
    names.sort();
    names
}
