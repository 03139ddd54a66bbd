//! A robot in Harbor as Berth wants it: made, or brought back in line, with the secret's token.
use super::Context;
use crate::server::cluster::crd::{RobotStatus, Team};
use crate::server::harbor::{HarborError, Robot, RobotCreate, RobotUpdate};
use crate::server::reconcile::desired::{self, Credentials, Purpose};
use crate::server::reconcile::ReconcileError;

/// Makes Harbor hold a robot named as in `creds`, with this purpose's permissions, enabled, whose
/// token is `creds.token`. Writes only what differs: a token `PATCH` only when Berth has no record
/// of applying this token to this robot, or Harbor changed the robot since.
pub(super) async fn put_robot(
    r: &Context,
    team: &Team,
    purpose: Purpose,
    creds: &Credentials,
    applied: Option<&RobotStatus>,
) -> Result<Robot, ReconcileError> {
    let project = team.harbor_project();
    let permissions = desired::permissions(&project, purpose);
    let fingerprint = desired::fingerprint(&creds.token);
    let id = match r.snapshot.robot(&creds.username) {
        None => {
            let create = RobotCreate {
                name: desired::short_robot_name(&creds.username, &r.config.reconcile.robot_prefix)
                    .to_owned(),
                description: format!(
                    "Berth: {} robot of team {}",
                    purpose.as_str(),
                    team.team_name()
                ),
                level: "system".into(),
                duration: r.config.reconcile.robot_duration_days.unwrap_or(-1),
                disable: false,
                permissions,
            };
            let created = match r.harbor.create_robot(&create).await {
                Ok(created) => created,
                Err(e) if e.is_conflict() => {
                    // Harbor's names are unique without the prefix: a robot of this name under
                    // another prefix means BERTH_HARBOR_ROBOT_PREFIX is not Harbor's.
                    if let Some(harbor_prefix) =
                        other_prefix(r, &create.name, &creds.username).await?
                    {
                        return Err(prefix_mismatch(r, &creds.username, &harbor_prefix));
                    }
                    // It exists after all: Berth's view was behind. Read
                    // everything again next time.
                    r.snapshot.invalidate();
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            };
            r.metrics.write("harbor_robot_create");
            if created.name != creds.username {
                // Harbor's robot_name_prefix is not BERTH_HARBOR_ROBOT_PREFIX: the secrets would
                // name a user Harbor does not know, and the next pass would not find this robot and
                // make it again (409). Undo it and say what to set.
                r.harbor.delete_robot(created.id).await?;
                r.metrics.write("harbor_robot_delete");
                let harbor_prefix = created
                    .name
                    .strip_suffix(create.name.as_str())
                    .unwrap_or_default();
                return Err(prefix_mismatch(r, &creds.username, harbor_prefix));
            }
            r.harbor.set_robot_secret(created.id, &creds.token).await?;
            r.metrics.write("harbor_robot_secret");
            created.id
        }
        Some(robot) => {
            let drifted = !desired::permissions_match(&robot.permissions, &permissions)
                || robot.disable
                || robot.level.as_deref() != Some("system");
            if drifted {
                let update = RobotUpdate {
                    id: robot.id,
                    robot: RobotCreate {
                        name: robot.name.clone(),
                        description: robot.description.clone().unwrap_or_default(),
                        level: "system".into(),
                        duration: robot.duration.unwrap_or(-1),
                        disable: false,
                        permissions,
                    },
                };
                r.harbor.update_robot(&update).await?;
                r.metrics.write("harbor_robot_update");
            }
            let recorded = applied.is_some_and(|a| {
                a.id == robot.id
                    && a.token_fingerprint == fingerprint
                    && a.harbor_update_time == robot.update_time
            });
            if !drifted && recorded {
                return Ok(robot);
            }
            r.harbor.set_robot_secret(robot.id, &creds.token).await?;
            r.metrics.write("harbor_robot_secret");
            robot.id
        }
    };
    // Harbor's update_time after Berth's write is what the next pass compares with.
    let robot =
        r.harbor
            .get_robot(id)
            .await?
            .ok_or(ReconcileError::Harbor(HarborError::Status {
                operation: "reading a robot account",
                status: reqwest::StatusCode::NOT_FOUND,
            }))?;
    r.snapshot.put_robot(robot.clone());
    Ok(robot)
}

/// The prefix under which Harbor holds a system robot called `short`, when it is not Berth's.
async fn other_prefix(
    r: &Context,
    short: &str,
    wanted: &str,
) -> Result<Option<String>, ReconcileError> {
    let found = r.harbor.system_robots_named_like(short).await?;
    Ok(found
        .into_iter()
        .filter(|robot| robot.name != wanted)
        .find_map(|robot| robot.name.strip_suffix(short).map(str::to_owned)))
}

fn prefix_mismatch(r: &Context, wanted: &str, harbor_prefix: &str) -> ReconcileError {
    ReconcileError::Waiting {
        reason: "RobotPrefixMismatch",
        message: format!(
            "Harbor names robots with the prefix {harbor_prefix:?} (its robot_name_prefix \
             setting), not BERTH_HARBOR_ROBOT_PREFIX {:?}, so it would not know {wanted:?}: set \
             BERTH_HARBOR_ROBOT_PREFIX to {harbor_prefix:?}.",
            r.config.reconcile.robot_prefix
        ),
    }
}
