//! The reconciler: keeps every Team's Harbor project, group members, robots and Kubernetes
//! secrets in shape, in kube-rs controller style (`reconcile` + `error_policy` over an
//! `Arc<Context>`). It runs in the server process; only the holder of a Lease reconciles, the
//! other replicas serve the UI.
//!
//! Teams come from a watch cache; a team's secrets and `default` ServiceAccount are read
//! live in its namespace (Berth holds no cluster-wide right on secrets, so it cannot watch
//! them); Harbor from a shared view checked with two probe requests. A pass over teams that
//! did not drift writes nothing.
mod claims;
mod context;
pub mod desired;
mod error;
pub mod lease;
pub mod snapshot;
mod steps;
#[cfg(test)]
mod tests;

pub use context::{Context, Memory, Reconciler};
pub use error::ReconcileError;

use crate::server::cluster::crd::Team;
use futures::StreamExt;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::{predicates, watcher, Predicate, WatchStreamExt};
use kube::{Api, ResourceExt};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::vocabulary::FINALIZER;

pub async fn reconcile(team: Arc<Team>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    use kube::runtime::finalizer::{finalizer, Error as FinalizerError, Event};
    if team.metadata.deletion_timestamp.is_some() {
        // Deleting Berth's own secrets triggers reconciles that may find the Team still cached
        // after its clean-up already ran and its finalizer went: ask the API server before cleaning
        // up (and auditing) twice.
        let live = ctx.cluster.get_team(&team.name()).await?;
        let ours = live.filter(|l| {
            l.metadata.uid == team.metadata.uid && l.finalizers().iter().any(|f| f == FINALIZER)
        });
        if ours.is_none() {
            return Ok(Action::await_change());
        }
    }
    let started = Instant::now();
    let api: Api<Team> = Api::all(ctx.cluster.client());
    let result = finalizer(&api, FINALIZER, team, |event| async {
        match event {
            Event::Apply(team) => steps::apply(team, ctx.clone()).await,
            Event::Cleanup(team) => steps::cleanup(team, ctx.clone()).await,
        }
    })
    .await
    .map_err(|e| match e {
        FinalizerError::ApplyFailed(e) | FinalizerError::CleanupFailed(e) => e,
        FinalizerError::AddFinalizer(source) => ReconcileError::Finalizer {
            what: "added",
            source,
        },
        FinalizerError::RemoveFinalizer(source) => ReconcileError::Finalizer {
            what: "removed",
            source,
        },
        FinalizerError::UnnamedObject | FinalizerError::InvalidFinalizer => {
            ReconcileError::Invalid("the Team has no name".into())
        }
    });
    ctx.metrics.pass(
        started.elapsed(),
        result.as_ref().err().map(ReconcileError::reason),
    );
    // After adding the finalizer the pass waits for the change it made: the watch event (the
    // finalizers are part of the filter) starts the next pass. A timer as well would start a
    // second one, as the scheduler keeps the earlier of two requeues.
    result
}

/// Retry soon after a failure; the status already says what failed.
pub fn error_policy(team: Arc<Team>, error: &ReconcileError, ctx: Arc<Context>) -> Action {
    tracing::warn!(
        team = %team.name_any(),
        reason = error.reason(),
        error = %crate::server::state::error_chain(error),
        "reconcile failed"
    );
    if matches!(error, ReconcileError::Harbor(_)) {
        // What Harbor answered may have changed what Berth believes of it.
        ctx.snapshot.invalidate();
    }
    match error {
        ReconcileError::Invalid(_) | ReconcileError::Claimed(_) => {
            Action::requeue(ctx.config.reconcile.resync)
        }
        // A namespace the platform has yet to create or bind: soon, but not in a tight loop.
        ReconcileError::Waiting {
            reason: steps::NAMESPACES_INCOMPLETE,
            ..
        } => Action::requeue(ctx.config.reconcile.resync.min(Duration::from_secs(30))),
        _ => Action::requeue(Duration::from_secs(5)),
    }
}

/// Runs the controller until `stop` completes: watches Teams and resyncs every team each `resync`
/// (which is also when a secret deleted by hand comes back).
pub async fn run_controller(
    shared: Arc<Reconciler>,
    stop: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let client = shared.watch_client.clone();
    let selector = shared.config.reconcile.team_selector.clone();
    // Consistent lists (not `any_semantic`): a just-created CRD's watch cache can lag behind etcd.
    let mut team_watch = watcher::Config::default();
    if !selector.is_empty() {
        team_watch = team_watch.labels(&selector);
    }
    // Berth's own status writes change neither the spec (generation), the annotations (rotation
    // requests), the finalizers nor the labels: without this filter each status write would start
    // one more pass over the team. Deletion bumps the generation; the periodic resync covers
    // anything else. Labels count, and so do objects leaving the selection (touched, not only
    // applied), so a Team whose labels take it out of the selection and back in is reconciled again
    // when it returns.
    let (reader, writer) = kube::runtime::reflector::store();
    let changes = kube::runtime::reflector(writer, watcher(Api::<Team>::all(client), team_watch))
        .touched_objects()
        .predicate_filter(
            predicates::generation
                .combine(predicates::annotations)
                .combine(predicates::finalizers)
                .combine(predicates::labels),
            Default::default(),
        );
    let ctx = Arc::new(shared.context(reader.clone()));
    let controller = Controller::for_stream(changes, reader);
    controller
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
    let lock = lease::LeaseLock::new(
        shared.cluster.client(),
        &cfg.lease_namespace,
        &cfg.lease_name,
        &cfg.instance,
        Some(shared.metrics.clone()),
    );
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
        tracing::info!(
            holder = lock.holder(),
            lease = %cfg.lease_name,
            "reconciler Lease taken; reconciling"
        );
        shared.metrics.set_leader(true);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let controller = tokio::spawn(run_controller(shared.clone(), async move {
            let _ = stop_rx.await;
        }));
        let stopping = hold(&lock, &mut shutdown).await;
        shared.metrics.set_leader(false);
        let grace = if stopping {
            STOP_GRACE
        } else {
            lease::RETRY_PERIOD
        };
        if !stop_within(controller, stop_tx, grace).await {
            tracing::warn!(
                grace_secs = grace.as_secs(),
                "reconcile passes still running after the grace period were stopped"
            );
        }
        if stopping {
            match lock.release().await {
                Ok(()) => tracing::info!("reconciler stopped; Lease handed back"),
                // Another replica takes it over once it expires.
                Err(error) => tracing::warn!(
                    error = %error,
                    "reconciler stopped; could not hand the Lease back"
                ),
            }
            return;
        }
        tracing::warn!("reconciler Lease lost; reconciling stopped");
    }
}

/// How long passes in flight may take to finish at shutdown.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Asks the controller to stop and waits up to `grace` for the passes in flight; then drops them
/// (true when they finished in time). A holder that lost its Lease must not reconcile beside the
/// next one, and the controller's own graceful shutdown waits for every pass without a bound.
async fn stop_within(
    mut controller: tokio::task::JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
    grace: Duration,
) -> bool {
    let _ = stop.send(());
    if tokio::time::timeout(grace, &mut controller).await.is_ok() {
        return true;
    }
    controller.abort();
    let _ = controller.await;
    false
}

/// Renews the Lease until it is lost (false) or the process stops (true). A holder that cannot
/// renew stops before its Lease can expire, so two replicas never reconcile at once.
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
