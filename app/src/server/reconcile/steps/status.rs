//! What one pass found and did, and the Team status it becomes: a condition per step and `Ready`.
use crate::server::cluster::crd::{
    NamespaceStatus, RetiringRobot, RobotStatus, Team, TeamCondition, TeamStatus,
};
use crate::server::reconcile::desired::Purpose;
use crate::server::reconcile::{Context, ReconcileError};
use crate::vocabulary::{Readiness, READY_CONDITION};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::jiff::Timestamp;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Step {
    HarborProject,
    Members,
    Robots,
    Secrets,
    Namespaces,
}

impl Step {
    pub(super) const ALL: [Step; 5] = [
        Step::HarborProject,
        Step::Members,
        Step::Robots,
        Step::Secrets,
        Step::Namespaces,
    ];
    fn condition(self) -> &'static str {
        match self {
            Step::HarborProject => "HarborProject",
            Step::Members => "Members",
            Step::Robots => "Robots",
            Step::Secrets => "Secrets",
            Step::Namespaces => "Namespaces",
        }
    }
}

pub(super) fn now() -> Timestamp {
    // Whole seconds: status and annotations stay short and compare equal across passes.
    Timestamp::from_second(Timestamp::now().as_second()).unwrap_or_else(|_| Timestamp::now())
}

pub(super) fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// What one pass found and did; becomes the Team's status at the end, whether
/// the pass finished or not.
pub(super) struct Pass {
    pub(super) previous: TeamStatus,
    /// The Harbor project's id, once the project step found or made it.
    pub(super) project_id: Option<i64>,
    pub(super) robots: BTreeMap<&'static str, RobotStatus>,
    pub(super) retiring: Vec<RetiringRobot>,
    pub(super) member_groups: Vec<String>,
    pub(super) step: Step,
    pub(super) done: BTreeMap<Step, (&'static str, String)>,
    pub(super) requeue: Option<Duration>,
    /// The namespace's `default` ServiceAccount, when an earlier step of this pass read it (its
    /// `resourceVersion` guards the later patch).
    pub(super) account: Option<ServiceAccount>,
    /// The further namespaces and what became of the pull secret in each (the last pass's until
    /// the namespaces step runs).
    pub(super) namespaces: Vec<NamespaceStatus>,
}

impl Pass {
    pub(super) fn new(team: &Team, remembered: Option<TeamStatus>) -> Self {
        let previous = remembered
            .or_else(|| team.status.clone())
            .unwrap_or_default();
        let robots = previous
            .robots
            .iter()
            .filter_map(|r| Purpose::parse(&r.purpose).map(|p| (p.as_str(), r.clone())))
            .collect();
        Self {
            retiring: previous.retiring.clone(),
            member_groups: previous.member_groups.clone(),
            namespaces: previous.namespaces.clone(),
            project_id: previous.harbor_project_id,
            previous,
            robots,
            step: Step::HarborProject,
            done: BTreeMap::new(),
            account: None,
            requeue: None,
        }
    }

    pub(super) fn ok(&mut self, step: Step, reason: &'static str, message: String) {
        self.done.insert(step, (reason, message));
    }

    pub(super) fn requeue_within(&mut self, after: Duration) {
        self.requeue = Some(self.requeue.map_or(after, |r| r.min(after)));
    }

    pub(super) fn status(&self, team: &Team, error: Option<&ReconcileError>) -> TeamStatus {
        let now = now().to_string();
        let condition = |type_: &str, status: &str, reason: &str, message: String| TeamCondition {
            last_transition_time: self
                .previous
                .condition(type_)
                .filter(|c| c.status == status)
                .map(|c| c.last_transition_time.clone())
                .unwrap_or_else(|| now.clone()),
            type_: type_.to_owned(),
            status: status.to_owned(),
            reason: reason.to_owned(),
            message,
        };
        // A Kubernetes error while the robots step writes secrets is a secrets problem.
        let failed = error.map(|e| match (self.step, e) {
            (Step::Robots, ReconcileError::Cluster(_)) => Step::Secrets,
            (step, _) => step,
        });
        let mut conditions = Vec::new();
        conditions.push(match (error, failed) {
            (Some(e), Some(step)) => condition(
                READY_CONDITION,
                Readiness::False.as_str(),
                e.reason(),
                format!("{}: {e}", step.condition()),
            ),
            _ => condition(
                READY_CONDITION,
                Readiness::True.as_str(),
                "Reconciled",
                "Harbor project, members, robots and secrets are in shape.".into(),
            ),
        });
        for step in Step::ALL {
            conditions.push(match (self.done.get(&step), error, failed) {
                (Some((reason, message)), _, _) => condition(
                    step.condition(),
                    Readiness::True.as_str(),
                    reason,
                    message.clone(),
                ),
                (None, Some(e), Some(f)) if f == step => condition(
                    step.condition(),
                    Readiness::False.as_str(),
                    e.reason(),
                    e.to_string(),
                ),
                (None, _, Some(f)) => condition(
                    step.condition(),
                    Readiness::Unknown.as_str(),
                    "Waiting",
                    format!("Not checked this pass: {} failed first.", f.condition()),
                ),
                (None, _, None) => condition(
                    step.condition(),
                    Readiness::Unknown.as_str(),
                    "Waiting",
                    "Not checked yet.".into(),
                ),
            });
        }
        let robots: Vec<RobotStatus> = Purpose::ALL
            .iter()
            .filter_map(|p| self.robots.get(p.as_str()).cloned())
            .collect();
        let next_expiry = robots
            .iter()
            .filter_map(|r| r.expires_at.as_deref().and_then(parse_time))
            .min()
            .map(|t| t.to_string());
        TeamStatus {
            observed_generation: team.metadata.generation,
            conditions,
            robots,
            retiring: self.retiring.clone(),
            member_groups: self.member_groups.clone(),
            harbor_project_id: self.project_id,
            next_expiry,
            namespaces: self.namespaces.clone(),
        }
    }
}

/// Writes the pass's status when it differs from the one last known (written by this process, or
/// the cached Team's), and remembers it.
pub(super) async fn publish(
    ctx: &Context,
    team: &Team,
    pass: &Pass,
    remembered: Option<TeamStatus>,
    error: Option<&ReconcileError>,
) -> Result<(), ReconcileError> {
    let status = pass.status(team, error);
    let known = remembered.as_ref().or(team.status.as_ref());
    if known != Some(&status) {
        ctx.cluster
            .replace_team_status(&team.team_name(), &status)
            .await?;
        ctx.metrics.write("kube_team_status");
    }
    ctx.memory.remember_status(team, &status);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::cluster::crd::TeamSpec;

    fn team_with(status: Option<TeamStatus>) -> Team {
        let mut team = Team::new("alpha", TeamSpec::default());
        team.metadata.generation = Some(3);
        team.status = status;
        team
    }

    #[test]
    fn the_status_is_the_same_when_nothing_changed_and_says_what_failed() {
        let team = team_with(None);
        let mut pass = Pass::new(&team, None);
        for step in Step::ALL {
            pass.ok(step, "InSync", format!("{step:?} fine"));
        }
        let first = pass.status(&team, None);
        assert_eq!(first.observed_generation, Some(3));
        assert_eq!(first.condition("Ready").unwrap().status, "True");
        // The next pass, with the same findings, yields an equal status: nothing to write.
        let team = team_with(Some(first.clone()));
        let mut again = Pass::new(&team, None);
        for step in Step::ALL {
            again.ok(step, "InSync", format!("{step:?} fine"));
        }
        assert_eq!(again.status(&team, None), first);

        // Harbor failing while robots are made: Robots False, Secrets not checked, Ready False.
        let mut failing = Pass::new(&team, None);
        failing.ok(Step::HarborProject, "Exists", "ok".into());
        failing.ok(Step::Members, "InSync", "ok".into());
        failing.step = Step::Robots;
        let error = ReconcileError::Waiting {
            reason: "HarborRefused",
            message: "Harbor answered 500".into(),
        };
        let status = failing.status(&team, Some(&error));
        let get = |t: &str| {
            status
                .condition(t)
                .map(|c| (c.status.as_str(), c.reason.as_str()))
                .unwrap()
        };
        assert_eq!(get("Ready"), ("False", "HarborRefused"));
        assert_eq!(get("Robots"), ("False", "HarborRefused"));
        assert_eq!(get("Secrets"), ("Unknown", "Waiting"));
        assert_eq!(get("HarborProject"), ("True", "Exists"));
        assert_eq!(
            status.condition("Ready").unwrap().last_transition_time,
            status.condition("Robots").unwrap().last_transition_time
        );
        assert_ne!(status.condition("Ready").unwrap().message, "");
    }
}
