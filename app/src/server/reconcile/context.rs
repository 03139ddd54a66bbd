//! What the reconciler works with: the long-lived [`Reconciler`] (clients, settings, Harbor's view
//! and what this process remembers of its own writes, all outliving a leadership term) and the
//! [`Context`] one term's controller hands to every reconcile.
use super::snapshot::HarborSnapshot;
use crate::server::audit::Audit;
use crate::server::cluster::crd::{Team, TeamStatus};
use crate::server::cluster::Cluster;
use crate::server::config::Config;
use crate::server::harbor::HarborClient;
use crate::server::metrics::Metrics;
use kube::runtime::reflector::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What outlives a leadership term: clients, settings, Harbor's view, metrics.
pub struct Reconciler {
    pub harbor: HarborClient,
    pub cluster: Cluster,
    /// For watches: without the read time-out of `cluster`'s client, which would cut them off.
    pub watch_client: kube::Client,
    pub config: Arc<Config>,
    pub audit: Audit,
    pub metrics: Arc<Metrics>,
    pub snapshot: Arc<HarborSnapshot>,
    memory: Arc<Memory>,
}

impl Reconciler {
    pub fn new(
        harbor: HarborClient,
        cluster: Cluster,
        watch_client: kube::Client,
        config: Arc<Config>,
        audit: Audit,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            harbor,
            cluster,
            watch_client,
            config,
            audit,
            metrics,
            snapshot: Arc::default(),
            memory: Arc::default(),
        }
    }

    /// The context of one leadership term; Harbor's view and the memory are shared with the next.
    /// `teams`: the term's watch cache of Teams.
    pub fn context(&self, teams: Store<Team>) -> Context {
        Context {
            teams,
            harbor: self.harbor.clone(),
            cluster: self.cluster.clone(),
            config: self.config.clone(),
            audit: self.audit.clone(),
            metrics: self.metrics.clone(),
            snapshot: self.snapshot.clone(),
            memory: self.memory.clone(),
        }
    }
}

/// One leadership term's context. Team namespaces are read live (Berth may read and write
/// secrets only in the namespaces that grant it the ClusterRole `berth-team-namespace`, so
/// it cannot watch them all).
pub struct Context {
    /// Every Team Berth reconciles, as the watch last delivered them (which Team holds a
    /// namespace several name).
    pub teams: Store<Team>,
    pub harbor: HarborClient,
    pub cluster: Cluster,
    pub config: Arc<Config>,
    pub audit: Audit,
    pub metrics: Arc<Metrics>,
    /// Berth's view of Harbor's projects and robots.
    pub snapshot: Arc<HarborSnapshot>,
    pub memory: Arc<Memory>,
}

/// What this process remembers of its own work between passes.
#[derive(Default)]
pub struct Memory {
    /// When each team's project members were last compared with Harbor's, and at which generation.
    members_checked: Mutex<HashMap<String, (Instant, Option<i64>)>>,
    /// By Team uid: the status last written by this process.
    written_status: Mutex<HashMap<String, TeamStatus>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Memory {
    /// The status this process last wrote for a Team, when it is newer than the cached
    /// Team's: the watch may not have delivered Berth's own write yet, and acting on the
    /// older one would repeat work.
    pub(crate) fn last_status(&self, team: &Team) -> Option<TeamStatus> {
        let uid = team.metadata.uid.as_ref()?;
        lock(&self.written_status).get(uid).cloned()
    }

    pub(crate) fn remember_status(&self, team: &Team, status: &TeamStatus) {
        if let Some(uid) = team.metadata.uid.clone() {
            lock(&self.written_status).insert(uid, status.clone());
        }
    }

    /// Whether the team's members were compared with Harbor's at this generation within `within`.
    pub(crate) fn members_checked_within(
        &self,
        team: &str,
        generation: Option<i64>,
        within: Duration,
    ) -> bool {
        lock(&self.members_checked)
            .get(team)
            .is_some_and(|(at, g)| *g == generation && at.elapsed() < within)
    }

    pub(crate) fn members_checked(&self, team: &str, generation: Option<i64>) {
        lock(&self.members_checked).insert(team.to_owned(), (Instant::now(), generation));
    }

    /// The next pass compares the members again.
    pub(crate) fn recheck_members(&self, team: &str) {
        lock(&self.members_checked).remove(team);
    }

    /// Forget an offboarded team.
    pub(crate) fn forget(&self, team: &Team) {
        if let Some(uid) = &team.metadata.uid {
            lock(&self.written_status).remove(uid);
        }
        self.recheck_members(&team.team_name());
    }
}
