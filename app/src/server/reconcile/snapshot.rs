//! Berth's view of Harbor's projects and robots, shared by every team's reconcile.
//!
//! Reading every robot of every team each pass would cost hundreds of requests at 1,000 teams.
//! Instead, the lists are read in full once, then checked with two cheap probes (`page_size=1`,
//! newest `update_time` first, with `X-Total-Count`): a creation, deletion, secret refresh or
//! permission change in Harbor changes a list's total or its newest entry, and only then are the
//! lists read again. They are read in full at least every `full_read` regardless. Berth's own
//! writes update the view in place.
use crate::server::harbor::{HarborClient, HarborError, ListProbe, Project, Robot};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Within this long after a check, the view is trusted without probing (one pass over many teams
/// then costs two requests, not two per team).
const TRUST_FOR: Duration = Duration::from_secs(10);

#[derive(Default)]
struct View {
    projects: HashMap<String, Project>,
    robots: HashMap<String, Robot>,
    probes: Option<(ListProbe, ListProbe)>,
    full_read_at: Option<Instant>,
    checked_at: Option<Instant>,
    /// Berth wrote to Harbor since the last full read: the stored probes no longer describe it.
    written: bool,
}

#[derive(Default)]
pub struct HarborSnapshot {
    view: Mutex<View>,
    /// One refresh at a time; the others wait for it and use its result.
    refreshing: tokio::sync::Mutex<()>,
}

/// How a refresh went, for the metrics and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    Trusted,
    Probed,
    FullRead,
}

impl HarborSnapshot {
    fn view(&self) -> std::sync::MutexGuard<'_, View> {
        self.view
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes the view current enough for one team's reconcile.
    pub async fn refresh(
        &self,
        harbor: &HarborClient,
        full_read: Duration,
    ) -> Result<Refresh, HarborError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let (trusted, probe_enough, known) = {
            let v = self.view();
            let fresh =
                |t: Option<Instant>, within: Duration| t.is_some_and(|t| t.elapsed() < within);
            (
                fresh(v.checked_at, TRUST_FOR),
                fresh(v.full_read_at, full_read) && !v.written,
                v.probes.clone(),
            )
        };
        if trusted {
            return Ok(Refresh::Trusted);
        }
        // Robots need a signed-in caller, projects do not: a stale session
        // shows in the robots' read.
        let (robots_probe, projects_probe) = harbor
            .as_signed_in(|| async {
                tokio::try_join!(harbor.probe_robots(), harbor.probe_projects())
            })
            .await?;
        if probe_enough && known.as_ref() == Some(&(robots_probe.clone(), projects_probe.clone())) {
            self.view().checked_at = Some(Instant::now());
            return Ok(Refresh::Probed);
        }
        // Probes first, lists second: a change between the two shows in the next probe.
        let (robots, projects) = harbor
            .as_signed_in(|| async {
                tokio::try_join!(harbor.list_robots(), harbor.list_projects())
            })
            .await?;
        let mut v = self.view();
        v.robots = robots.into_iter().map(|r| (r.name.clone(), r)).collect();
        v.projects = projects.into_iter().map(|p| (p.name.clone(), p)).collect();
        v.probes = Some((robots_probe, projects_probe));
        v.full_read_at = Some(Instant::now());
        v.checked_at = v.full_read_at;
        v.written = false;
        Ok(Refresh::FullRead)
    }

    /// Forget the view: the next refresh reads everything (after an error
    /// that may mean it is wrong).
    pub fn invalidate(&self) {
        let mut v = self.view();
        v.full_read_at = None;
        v.checked_at = None;
    }

    pub fn project(&self, name: &str) -> Option<Project> {
        self.view().projects.get(name).cloned()
    }

    pub fn robot(&self, full_name: &str) -> Option<Robot> {
        self.view().robots.get(full_name).cloned()
    }

    /// Every robot whose name satisfies `keep`.
    pub fn robots_where(&self, keep: impl Fn(&str) -> bool) -> Vec<Robot> {
        self.view()
            .robots
            .values()
            .filter(|r| keep(&r.name))
            .cloned()
            .collect()
    }

    pub fn put_project(&self, project: Project) {
        let mut v = self.view();
        v.written = true;
        v.projects.insert(project.name.clone(), project);
    }

    pub fn remove_project(&self, name: &str) {
        let mut v = self.view();
        v.written = true;
        v.projects.remove(name);
    }

    pub fn put_robot(&self, robot: Robot) {
        let mut v = self.view();
        v.written = true;
        v.robots.insert(robot.name.clone(), robot);
    }

    pub fn remove_robot(&self, full_name: &str) {
        let mut v = self.view();
        v.written = true;
        v.robots.remove(full_name);
    }
}
