//! The reconciler: keeps every Team's Harbor project, group members, robots and Kubernetes secrets in
//! shape, in kube-rs controller style (`reconcile` + `error_policy` over an `Arc<Context>`). It runs in
//! the server process; only the holder of a Lease reconciles, the other replicas serve the UI.
//!
//! Reads come from watch caches (Teams, Berth's secrets, `default` ServiceAccounts) and from a shared
//! view of Harbor checked with two probe requests, so a pass over teams that did not drift reads little
//! and writes nothing.
pub mod desired;
pub mod lease;
pub mod metrics;
pub mod snapshot;
mod team;

use crate::server::audit::Audit;
use crate::server::cluster::team::Team;
use crate::server::cluster::{Cluster, ClusterError};
use crate::server::config::Config;
use crate::server::harbor::{HarborClient, HarborError};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Api, ResourceExt};
use metrics::Metrics;
use snapshot::HarborSnapshot;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const FINALIZER: &str = "berth.dev/cleanup";

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Harbor(#[from] HarborError),
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The Team asks for something that cannot work; retrying will not help until it is edited.
    #[error("{0}")]
    Invalid(String),
    /// Something Berth does not create is missing (e.g. the namespace's default ServiceAccount).
    #[error("{message}")]
    Waiting { reason: &'static str, message: String },
    #[error("the Team's finalizer could not be {what}")]
    Finalizer {
        what: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error("the watch caches are not running")]
    CacheGone,
}

impl ReconcileError {
    /// A short stable reason for conditions and the errors metric.
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Harbor(HarborError::Timeout { .. }) => "HarborTimeout",
            ReconcileError::Harbor(HarborError::Unreachable { .. }) => "HarborUnreachable",
            ReconcileError::Harbor(HarborError::Status { status, .. }) if status.as_u16() == 401 => "HarborUnauthorized",
            ReconcileError::Harbor(HarborError::Status { .. }) => "HarborRefused",
            ReconcileError::Harbor(HarborError::Decode { .. }) => "HarborBadAnswer",
            ReconcileError::Cluster(e) => e.reason(),
            ReconcileError::Invalid(_) => "InvalidSpec",
            ReconcileError::Waiting { reason, .. } => reason,
            ReconcileError::Finalizer { .. } => "FinalizerFailed",
            ReconcileError::CacheGone => "CacheGone",
        }
    }
}

/// What outlives a leadership term: clients, settings, Harbor's view, metrics.
pub struct Reconciler {
    pub harbor: HarborClient,
    pub cluster: Cluster,
    /// For watches: without the read time-out of `cluster`'s client, which would cut them off.
    pub watch_client: kube::Client,
    pub config: Arc<Config>,
    pub audit: Audit,
    pub metrics: Arc<Metrics>,
    pub snapshot: HarborSnapshot,
    /// When each team's project members were last compared with Harbor's, and at which generation.
    members_checked: Mutex<HashMap<String, (Instant, Option<i64>)>>,
    /// By Team uid: the status last written by this process.
    written_status: Mutex<HashMap<String, crate::server::cluster::team::TeamStatus>>,
}

impl Reconciler {
    pub fn new(harbor: HarborClient, cluster: Cluster, watch_client: kube::Client, config: Arc<Config>, audit: Audit, metrics: Arc<Metrics>) -> Self {
        Self {
            harbor,
            cluster,
            watch_client,
            config,
            audit,
            metrics,
            snapshot: HarborSnapshot::default(),
            members_checked: Mutex::new(HashMap::new()),
            written_status: Mutex::new(HashMap::new()),
        }
    }

    /// The status this process last wrote for a Team, when it is newer than the cached Team's: the
    /// watch may not have delivered Berth's own write yet, and acting on the older one would repeat work.
    pub(crate) fn last_status(&self, team: &Team) -> Option<crate::server::cluster::team::TeamStatus> {
        let uid = team.metadata.uid.clone()?;
        self.written_status.lock().unwrap_or_else(|p| p.into_inner()).get(&uid).cloned()
    }

    pub(crate) fn remember_status(&self, team: &Team, status: &crate::server::cluster::team::TeamStatus) {
        if let Some(uid) = team.metadata.uid.clone() {
            self.written_status.lock().unwrap_or_else(|p| p.into_inner()).insert(uid, status.clone());
        }
    }

    pub(crate) fn forget_status(&self, team: &Team) {
        if let Some(uid) = &team.metadata.uid {
            self.written_status.lock().unwrap_or_else(|p| p.into_inner()).remove(uid);
        }
    }
}

/// One leadership term's context: the shared parts plus the watch caches of this term.
pub struct Context {
    pub shared: Arc<Reconciler>,
    pub secrets: Store<Secret>,
    pub accounts: Store<ServiceAccount>,
    /// Turns true once both caches hold their first full list. One task waits on the stores and tells
    /// everyone here: `Store::wait_until_ready` wakes only one of several concurrent waiters.
    caches_ready: tokio::sync::watch::Receiver<bool>,
}

impl Context {
    fn cached_secret(&self, namespace: &str, name: &str) -> Option<Arc<Secret>> {
        self.secrets.get(&ObjectRef::new(name).within(namespace))
    }

    fn cached_account(&self, namespace: &str) -> Option<Arc<ServiceAccount>> {
        self.accounts.get(&ObjectRef::new("default").within(namespace))
    }
}

pub async fn reconcile(team: Arc<Team>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    use kube::runtime::finalizer::{finalizer, Error as FinalizerError, Event};
    ctx.caches_ready.clone().wait_for(|ready| *ready).await.map_err(|_| ReconcileError::CacheGone)?;
    if team.metadata.deletion_timestamp.is_some() {
        // Deleting Berth's own secrets triggers reconciles that may find the Team still cached after its
        // clean-up already ran and its finalizer went: ask the API server before cleaning up (and
        // auditing) twice.
        let live = ctx.shared.cluster.get_team(&team.name_any()).await?;
        let ours = live.filter(|l| l.metadata.uid == team.metadata.uid && l.finalizers().iter().any(|f| f == FINALIZER));
        if ours.is_none() {
            return Ok(Action::await_change());
        }
    }
    let started = Instant::now();
    let api: Api<Team> = Api::all(ctx.shared.cluster.client());
    let adds_finalizer = !team.finalizers().iter().any(|f| f == FINALIZER) && team.metadata.deletion_timestamp.is_none();
    let result = finalizer(&api, FINALIZER, team, |event| async {
        match event {
            Event::Apply(team) => team::apply(team, ctx.clone()).await,
            Event::Cleanup(team) => team::cleanup(team, ctx.clone()).await,
        }
    })
    .await
    .map_err(|e| match e {
        FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e) => e,
        FinalizerError::AddFinalizer(source) => ReconcileError::Finalizer { what: "added", source },
        FinalizerError::RemoveFinalizer(source) => ReconcileError::Finalizer { what: "removed", source },
        FinalizerError::UnnamedObject | FinalizerError::InvalidFinalizer => ReconcileError::Invalid("the Team has no name".into()),
    });
    ctx.shared.metrics.pass(started.elapsed(), result.as_ref().err().map(ReconcileError::reason));
    // After adding the finalizer, come back on our own rather than only on the watch event it causes.
    result.map(|action| if adds_finalizer { Action::requeue(Duration::from_secs(1)) } else { action })
}

/// Retry soon after a failure; the status already says what failed.
pub fn error_policy(team: Arc<Team>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    tracing::warn!(team = %team.name_any(), reason = error.reason(), error = %crate::server::state::error_chain(error), "reconcile failed");
    if matches!(error, ReconcileError::Harbor(_)) {
        // What Harbor answered may have changed what Berth believes of it.
        ctx.shared.snapshot.invalidate();
    }
    match error {
        ReconcileError::Invalid(_) => Action::requeue(ctx.shared.config.reconcile.resync),
        _ => Action::requeue(Duration::from_secs(5)),
    }
}

/// Runs the controller until `stop` completes: watches Teams, Berth's secrets and `default`
/// ServiceAccounts, resyncs every team each `resync`.
pub async fn run_controller(shared: Arc<Reconciler>, stop: impl Future<Output = ()> + Send + Sync + 'static) {
    let client = shared.watch_client.clone();
    let selector = shared.config.reconcile.team_selector.clone();
    // Consistent lists (not `any_semantic`): a just-created CRD's watch cache can lag behind etcd.
    let mut team_watch = watcher::Config::default();
    if !selector.is_empty() {
        team_watch = team_watch.labels(&selector);
    }
    let managed = format!("{}={}", desired::MANAGED_BY_LABEL, desired::MANAGED_BY);
    let (secrets, secret_writer) = reflector::store::<Secret>();
    let secret_events = watcher(Api::<Secret>::all(client.clone()), watcher::Config::default().labels(&managed))
        .default_backoff()
        .reflect(secret_writer)
        .touched_objects();
    let (accounts, account_writer) = reflector::store::<ServiceAccount>();
    let account_events = watcher(Api::<ServiceAccount>::all(client.clone()), watcher::Config::default().fields("metadata.name=default"))
        .default_backoff()
        .reflect(account_writer)
        .touched_objects();
    let controller = Controller::new(Api::<Team>::all(client), team_watch);
    let teams = controller.store();
    let (ready_tx, caches_ready) = tokio::sync::watch::channel(false);
    let waiting = (secrets.clone(), accounts.clone());
    tokio::spawn(async move {
        if waiting.0.wait_until_ready().await.is_ok() && waiting.1.wait_until_ready().await.is_ok() {
            let _ = ready_tx.send(true);
        }
    });
    let ctx = Arc::new(Context { shared: shared.clone(), secrets, accounts, caches_ready });
    controller
        .watches_stream(secret_events, |secret: Secret| secret.labels().get(desired::TEAM_LABEL).map(|team| ObjectRef::new(team)))
        .watches_stream(account_events, move |account: ServiceAccount| {
            let namespace = account.namespace().unwrap_or_default();
            teams.state().into_iter().filter(|t| t.namespace_name() == namespace).map(|t| ObjectRef::from_obj(&*t)).collect::<Vec<_>>()
        })
        .with_config(kube::runtime::controller::Config::default().concurrency(16))
        .graceful_shutdown_on(stop)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(error = %error, "controller event");
            }
        })
        .await;
}

/// Runs for the process's life: waits for the Lease, reconciles while holding it, hands it back at
/// shutdown. `shutdown` turns true when the process is stopping.
pub async fn run(shared: Arc<Reconciler>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let cfg = &shared.config.reconcile;
    let lock = lease::LeaseLock::new(shared.cluster.client(), &cfg.lease_namespace, &cfg.lease_name, &cfg.instance, Some(shared.metrics.clone()));
    loop {
        if *shutdown.borrow() {
            return;
        }
        match lock.try_acquire_or_renew().await {
            Ok(true) => {}
            Ok(false) => {
                tokio::select! {
                    _ = tokio::time::sleep(lease::RETRY_PERIOD) => continue,
                    _ = shutdown.changed() => return,
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot read or take the reconciler Lease");
                tokio::select! {
                    _ = tokio::time::sleep(lease::RETRY_PERIOD) => continue,
                    _ = shutdown.changed() => return,
                }
            }
        }
        tracing::info!(holder = lock.holder(), lease = %cfg.lease_name, "reconciler Lease taken; reconciling");
        shared.metrics.set_leader(true);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let controller = tokio::spawn(run_controller(shared.clone(), async move {
            let _ = stop_rx.await;
        }));
        let stopping = hold(&lock, &mut shutdown).await;
        let _ = stop_tx.send(());
        let _ = controller.await;
        shared.metrics.set_leader(false);
        if stopping {
            if let Err(error) = lock.release().await {
                tracing::warn!(error = %error, "could not hand the reconciler Lease back");
            }
            tracing::info!("reconciler stopped; Lease handed back");
            return;
        }
        tracing::warn!("reconciler Lease lost; reconciling stopped");
    }
}

/// Renews the Lease until it is lost (false) or the process stops (true). A holder that cannot renew
/// stops before its Lease can expire, so two replicas never reconcile at once.
async fn hold(lock: &lease::LeaseLock, shutdown: &mut tokio::sync::watch::Receiver<bool>) -> bool {
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(lease::RETRY_PERIOD) => {}
            _ = shutdown.changed() => return true,
        }
        match lock.try_acquire_or_renew().await {
            Ok(true) => renewed = Instant::now(),
            Ok(false) => return false,
            Err(error) => {
                tracing::warn!(error = %error, "cannot renew the reconciler Lease");
                if renewed.elapsed() + lease::RETRY_PERIOD >= lease::LEASE_DURATION {
                    return false;
                }
            }
        }
    }
}
