//! When credentials are replaced (on request, by age, before the robot expires), and the retirement
//! of rotated-out robots once their grace period ends.
use super::status::{now, parse_time, Pass};
use super::Context;
use crate::server::cluster::crd::{RetiringRobot, RobotStatus, Team};
use crate::server::config::ReconcileConfig;
use crate::server::harbor::Robot;
use crate::server::reconcile::desired::{self, Purpose};
use crate::server::reconcile::ReconcileError;
use crate::vocabulary::RotationRequest;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// Why the credentials of a purpose must be replaced now, if they must.
pub(super) fn rotation_due(
    cfg: &ReconcileConfig,
    team: &Team,
    purpose: Purpose,
    secret: Option<&Secret>,
    robot: Option<&Robot>,
    previous: Option<&RobotStatus>,
) -> Option<String> {
    let now = now();
    if let Some(asked) = team
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(&purpose.rotate_annotation()))
    {
        if previous.and_then(|p| p.rotation_handled.as_ref()) != Some(asked) {
            return Some(match RotationRequest::parse(asked) {
                Some(request) => match request.time() {
                    Some(at) => format!(
                        "asked for by {} at {}",
                        request.by,
                        at.strftime("%Y-%m-%d %H:%M UTC")
                    ),
                    None => format!("asked for by {} ({})", request.by, request.at),
                },
                None => format!("asked for ({asked})"),
            });
        }
    }
    if let Some(max_age) = cfg.rotate_after {
        let rotated = secret.and_then(|s| {
            s.metadata
                .annotations
                .as_ref()?
                .get(desired::ROTATED_AT_ANNOTATION)?
                .parse::<Timestamp>()
                .ok()
        });
        if rotated.is_some_and(|t| {
            now.duration_since(t) > SignedDuration::try_from(max_age).unwrap_or(SignedDuration::MAX)
        }) {
            return Some("older than BERTH_ROTATE_AFTER_DAYS".into());
        }
    }
    let expires = robot.and_then(|r| r.expires_at).filter(|e| *e > 0)?;
    let left = expires - now.as_second();
    if left < expiry_margin(cfg).as_secs() as i64 {
        return Some(format!(
            "the robot expires in {} min",
            (left.max(0) + 59) / 60
        ));
    }
    None
}

/// Rotate this long before a robot expires: enough for the grace period and two resyncs, but never
/// more than a fifth of a robot's lifetime (so short-lived robots are not rotated all the time).
pub(super) fn expiry_margin(cfg: &ReconcileConfig) -> Duration {
    let margin = cfg.rotation_grace + cfg.resync * 2;
    match cfg.robot_duration_days {
        Some(days) => margin.min(Duration::from_secs(days as u64 * 86_400 / 5)),
        None => margin,
    }
}

/// Deletes rotated-out robots whose grace period ended, and adopts strays (a team robot that is
/// neither current nor retiring, e.g. left by a crash) into the retiring list.
pub(super) async fn retire(
    r: &Context,
    team: &Team,
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    let prefix = &r.config.reconcile.robot_prefix;
    let team_name = team.team_name();
    let current: Vec<i64> = pass.robots.values().map(|s| s.id).collect();
    for stray in r
        .snapshot
        .robots_where(|name| desired::robot_purpose(name, prefix, &team_name).is_some())
    {
        if !current.contains(&stray.id) && !pass.retiring.iter().any(|x| x.id == stray.id) {
            let purpose = desired::robot_purpose(&stray.name, prefix, &team_name)
                .map(Purpose::as_str)
                .unwrap_or_default();
            let delete_after = now()
                + SignedDuration::try_from(r.config.reconcile.rotation_grace)
                    .unwrap_or(SignedDuration::ZERO);
            pass.retiring.push(RetiringRobot {
                purpose: purpose.into(),
                name: stray.name.clone(),
                id: stray.id,
                delete_after: delete_after.to_string(),
            });
        }
    }
    let now = now();
    let mut kept = Vec::new();
    let due: Vec<RetiringRobot> = std::mem::take(&mut pass.retiring);
    let mut failure = None;
    for entry in due {
        let when = parse_time(&entry.delete_after).unwrap_or(now);
        if when > now || failure.is_some() {
            if when > now {
                pass.requeue_within(Duration::from_secs(
                    now.duration_until(when).as_secs().max(1) as u64,
                ));
            }
            kept.push(entry);
            continue;
        }
        match r.harbor.delete_robot(entry.id).await {
            Ok(()) => {
                r.metrics.write("harbor_robot_delete");
                r.snapshot.remove_robot(&entry.name);
                r.metrics.set_robot_expiry(&team_name, &entry.name, None);
            }
            Err(e) if e.is_not_found() => r.snapshot.remove_robot(&entry.name),
            Err(e) => {
                failure = Some(e);
                kept.push(entry);
            }
        }
    }
    pass.retiring = kept;
    match failure {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::cluster::crd::{TeamSpec, TeamStatus};
    use crate::server::harbor::ProjectRole;
    use std::collections::BTreeMap;

    fn config() -> ReconcileConfig {
        ReconcileConfig {
            enabled: true,
            resync: Duration::from_secs(600),
            full_read: Duration::from_secs(3600),
            robot_duration_days: None,
            robot_prefix: "robot$".into(),
            member_role: ProjectRole::Developer,
            admin_group_role: ProjectRole::ProjectAdmin,
            ldap_group_dn: None,
            rotation_grace: Duration::from_secs(3600),
            rotate_after: None,
            delete_project_on_offboard: false,
            lease_namespace: "berth".into(),
            service_account: "berth".into(),
            lease_name: "berth-reconciler".into(),
            instance: "test".into(),
            team_selector: String::new(),
        }
    }

    fn team_with(annotations: &[(&str, &str)], status: Option<TeamStatus>) -> Team {
        let mut team = Team::new("alpha", TeamSpec::default());
        team.metadata.generation = Some(3);
        team.metadata.annotations = Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        );
        team.status = status;
        team
    }

    fn robot(expires_at: i64) -> Robot {
        serde_json::from_value(serde_json::json!({
            "id": 7, "name": "robot$berth-alpha-push", "expires_at": expires_at
        }))
        .unwrap()
    }

    fn handled(value: &str) -> RobotStatus {
        RobotStatus {
            purpose: "push".into(),
            rotation_handled: Some(value.into()),
            ..Default::default()
        }
    }

    #[test]
    fn rotation_is_due_on_a_new_request_only() {
        let cfg = config();
        let team = team_with(&[("berth.dev/rotate-push", "t1 by carol")], None);
        assert!(rotation_due(&cfg, &team, Purpose::Push, None, None, None).is_some());
        assert!(
            rotation_due(
                &cfg,
                &team,
                Purpose::Push,
                None,
                None,
                Some(&handled("t1 by carol"))
            )
            .is_none(),
            "already handled"
        );
        assert!(
            rotation_due(
                &cfg,
                &team,
                Purpose::Push,
                None,
                None,
                Some(&handled("t0 by bob"))
            )
            .is_some(),
            "a newer request"
        );
        assert!(
            rotation_due(&cfg, &team, Purpose::Pull, None, None, None).is_none(),
            "asked for push, not pull"
        );
    }

    #[test]
    fn rotation_is_due_by_age_and_before_expiry() {
        let mut cfg = config();
        let team = team_with(&[], None);
        let now = Timestamp::now().as_second();
        assert!(
            rotation_due(&cfg, &team, Purpose::Push, None, Some(&robot(-1)), None).is_none(),
            "never expires"
        );
        assert!(rotation_due(
            &cfg,
            &team,
            Purpose::Push,
            None,
            Some(&robot(now + 30 * 86_400)),
            None
        )
        .is_none());
        // Within the grace period plus two resyncs of expiring: rotate now.
        assert!(rotation_due(
            &cfg,
            &team,
            Purpose::Push,
            None,
            Some(&robot(now + 3600)),
            None
        )
        .is_some());
        cfg.rotate_after = Some(Duration::from_secs(86_400));
        let mut secret = Secret::default();
        let two_days_ago = Timestamp::from_second(now - 2 * 86_400)
            .unwrap()
            .to_string();
        secret.metadata.annotations = Some(BTreeMap::from([(
            desired::ROTATED_AT_ANNOTATION.to_owned(),
            two_days_ago,
        )]));
        assert_eq!(
            rotation_due(&cfg, &team, Purpose::Push, Some(&secret), None, None).as_deref(),
            Some("older than BERTH_ROTATE_AFTER_DAYS")
        );
        // Short-lived robots are not rotated all the time: the margin is at
        // most a fifth of their life.
        assert_eq!(expiry_margin(&cfg), Duration::from_secs(3600 + 2 * 600));
        cfg.robot_duration_days = Some(1);
        cfg.rotation_grace = Duration::from_secs(86_400);
        assert_eq!(expiry_margin(&cfg), Duration::from_secs(86_400 / 5));
    }
}
