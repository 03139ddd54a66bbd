//! One team's reconcile: project, members, robots with Berth's tokens, secrets, the pull secret on the
//! `default` ServiceAccount; and its clean-up when the Team is deleted.
use super::desired::{self, Credentials, Purpose, SecretSpec};
use super::{Context, ReconcileError, Reconciler};
use crate::server::audit::{AuditRecord, AuditResult};
use crate::server::cluster::crd::{RetiringRobot, RobotStatus, Team, TeamCondition, TeamStatus};
use crate::server::cluster::named;
use crate::server::config::ReconcileConfig;
use crate::server::harbor::{
    generate_robot_token, AuthMode, HarborError, MemberGroup, Project, Robot, RobotCreate,
    RobotUpdate,
};
use k8s_openapi::api::core::v1::{LocalObjectReference, Secret};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::runtime::controller::Action;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    HarborProject,
    Members,
    Robots,
    Secrets,
}

impl Step {
    const ALL: [Step; 4] = [
        Step::HarborProject,
        Step::Members,
        Step::Robots,
        Step::Secrets,
    ];
    fn condition(self) -> &'static str {
        match self {
            Step::HarborProject => "HarborProject",
            Step::Members => "Members",
            Step::Robots => "Robots",
            Step::Secrets => "Secrets",
        }
    }
}

fn now() -> Timestamp {
    // Whole seconds: status and annotations stay short and compare equal across passes.
    Timestamp::from_second(Timestamp::now().as_second()).unwrap_or_else(|_| Timestamp::now())
}

fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// What one pass found and did; becomes the Team's status at the end, whether the pass finished or not.
struct Pass {
    previous: TeamStatus,
    /// The Harbor project's id, once the project step found or made it.
    project_id: Option<i64>,
    robots: BTreeMap<&'static str, RobotStatus>,
    retiring: Vec<RetiringRobot>,
    member_groups: Vec<String>,
    step: Step,
    done: BTreeMap<Step, (&'static str, String)>,
    requeue: Option<Duration>,
}

impl Pass {
    fn new(team: &Team, remembered: Option<TeamStatus>) -> Self {
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
            project_id: previous.harbor_project_id,
            previous,
            robots,
            step: Step::HarborProject,
            done: BTreeMap::new(),
            requeue: None,
        }
    }

    fn ok(&mut self, step: Step, reason: &'static str, message: String) {
        self.done.insert(step, (reason, message));
    }

    fn requeue_within(&mut self, after: Duration) {
        self.requeue = Some(self.requeue.map_or(after, |r| r.min(after)));
    }

    fn status(&self, team: &Team, error: Option<&ReconcileError>) -> TeamStatus {
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
                "Ready",
                "False",
                e.reason(),
                format!("{}: {e}", step.condition()),
            ),
            _ => condition(
                "Ready",
                "True",
                "Reconciled",
                "Harbor project, members, robots and secrets are in shape.".into(),
            ),
        });
        for step in Step::ALL {
            conditions.push(match (self.done.get(&step), error, failed) {
                (Some((reason, message)), _, _) => {
                    condition(step.condition(), "True", reason, message.clone())
                }
                (None, Some(e), Some(f)) if f == step => {
                    condition(step.condition(), "False", e.reason(), e.to_string())
                }
                (None, _, Some(f)) => condition(
                    step.condition(),
                    "Unknown",
                    "Waiting",
                    format!("Not checked this pass: {} failed first.", f.condition()),
                ),
                (None, _, None) => condition(
                    step.condition(),
                    "Unknown",
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
        }
    }
}

pub(super) async fn apply(team: Arc<Team>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let r = &ctx.shared;
    let remembered = r.last_status(&team);
    let mut pass = Pass::new(&team, remembered.clone());
    let outcome = converge(&team, &ctx, &mut pass).await;
    let status = pass.status(&team, outcome.as_ref().err());
    let known = remembered.as_ref().or(team.status.as_ref());
    if known != Some(&status) {
        r.cluster
            .replace_team_status(&team.team_name(), &status)
            .await?;
        r.metrics.write("kube_team_status");
    }
    r.remember_status(&team, &status);
    outcome?;
    let resync = resync_after(&team.team_name(), r.config.reconcile.resync, now_unix());
    Ok(Action::requeue(
        pass.requeue.map_or(resync, |d| d.min(resync)),
    ))
}

fn now_unix() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// When to look at a team again: at its own fixed point in each resync period, given by its name.
/// Teams created together (1,000 at once) would otherwise all come back together, one burst of passes
/// per period that starves the pages served meanwhile; this way the passes spread evenly over the
/// period from the second one on. No wait is longer than one period (the first may be shorter), so
/// every team is still looked at at least once per period.
fn resync_after(team: &str, period: Duration, now: Duration) -> Duration {
    use std::hash::{Hash, Hasher};
    let period_ms = period.as_millis() as u64;
    if period_ms < 2 {
        return period;
    }
    // SipHash with fixed keys: the same team gets the same point in every process and after restarts.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    team.hash(&mut hasher);
    let offset = hasher.finish() % period_ms;
    let phase = (now.as_millis() as u64 + offset) % period_ms;
    Duration::from_millis(period_ms - phase)
}

/// Harbor's and Kubernetes' naming rules, checked before anything is written.
fn validate(team: &Team) -> Result<(), ReconcileError> {
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    let name = team.team_name();
    if !dns_label(&name) {
        return Err(ReconcileError::Invalid(format!(
            "the team name {name:?} must be a DNS label (a-z, 0-9, -)"
        )));
    }
    let namespace = team.namespace_name();
    if !dns_label(&namespace) {
        return Err(ReconcileError::Invalid(format!(
            "spec.namespace {namespace:?} is not a valid namespace name"
        )));
    }
    let project = team.harbor_project();
    let ok = project.len() <= 255
        && project
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && project
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && project
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if !ok {
        return Err(ReconcileError::Invalid(format!("spec.harborProject {project:?} breaks Harbor's rule (lower case letters, digits, . _ -)")));
    }
    if team.groups().iter().any(|g| g.trim().is_empty()) {
        return Err(ReconcileError::Invalid(
            "spec.groups holds an empty group".into(),
        ));
    }
    Ok(())
}

async fn converge(team: &Team, ctx: &Context, pass: &mut Pass) -> Result<(), ReconcileError> {
    let r = &ctx.shared;
    validate(team)?;
    let project = team.harbor_project();
    pass.step = Step::HarborProject;
    let refresh = r
        .snapshot
        .refresh(&r.harbor, r.config.reconcile.full_read)
        .await?;
    r.metrics.harbor_refresh(match refresh {
        super::snapshot::Refresh::Trusted => "trusted",
        super::snapshot::Refresh::Probed => "probed",
        super::snapshot::Refresh::FullRead => "full_read",
    });
    let created = ensure_project(r, &project).await?;
    pass.project_id = r.snapshot.project(&project).map(|p| p.project_id);
    pass.ok(
        Step::HarborProject,
        "Exists",
        format!("Harbor project {project} exists."),
    );

    pass.step = Step::Members;
    // A membership that cannot be made never keeps the robots and secrets from being made: its error
    // is the pass's outcome once they are done.
    let members = ensure_members(r, team, &project, created, pass).await;
    match &members {
        Ok(Membership::InSync) => pass.ok(
            Step::Members,
            "InSync",
            format!(
                "The team's groups are {:?} in {project}; the platform admins are {:?}.",
                r.config.reconcile.member_role, r.config.reconcile.admin_group_role
            ),
        ),
        Ok(Membership::NoGroups(mode)) => pass.ok(
            Step::Members,
            "HarborHasNoGroups",
            format!(
                "Harbor's auth_mode is {mode}, which has no groups: the team's groups cannot be members of {project}. Give its people access in Harbor, or run Harbor with OIDC or LDAP."
            ),
        ),
        Err(_) => {}
    }

    pass.step = Step::Robots;
    let namespace = team.namespace_name();
    // One request for the team's registry and pending secrets; each purpose only writes its own. A
    // namespace that holds them exists; only when none is found, or the list is refused, is the
    // namespace itself read, so a missing one is reported as such.
    let names = Purpose::ALL.map(|p| p.secret_name(&r.config.secret_names));
    let listed = match r
        .cluster
        .list_team_secrets(&namespace, &team.team_name(), &names)
        .await
    {
        Ok(listed) if !listed.is_empty() => listed,
        outcome => {
            if !r.cluster.namespace_exists(&namespace).await? {
                return Err(ReconcileError::Waiting {
                    reason: "NamespaceMissing",
                    message: format!("The namespace {namespace} does not exist; Berth writes the team's secrets there once the platform has created it."),
                });
            }
            outcome.map_err(|e| ctx.namespace_access(&namespace, e))?
        }
    };
    for purpose in Purpose::ALL {
        ensure_credentials(ctx, team, purpose, &listed, pass).await?;
    }
    retire(r, team, pass).await?;
    let names: Vec<&str> = pass.robots.values().map(|r| r.name.as_str()).collect();
    pass.ok(
        Step::Robots,
        "InSync",
        format!(
            "Robots {} hold the tokens in the team's secrets.",
            names.join(", ")
        ),
    );

    pass.step = Step::Secrets;
    ensure_pull_secret_on_account(ctx, team).await?;
    let s = &r.config.secret_names;
    pass.ok(
        Step::Secrets,
        "InSync",
        format!(
            "{}, {} and {} are in {}; {} is on its default ServiceAccount.",
            s.pull,
            s.push,
            s.builds,
            team.namespace_name(),
            s.pull
        ),
    );
    if let Err(e) = members {
        pass.step = Step::Members;
        return Err(e);
    }
    Ok(())
}

/// Creates the project (private) when it is missing; `true` when it was created. The view says it is
/// missing; Harbor's 409 says when the view was behind.
async fn ensure_project(r: &Reconciler, project: &str) -> Result<bool, ReconcileError> {
    if r.snapshot.project(project).is_some() {
        return Ok(false);
    }
    let (made, id) = match r.harbor.create_project(project).await {
        Ok(id) => {
            r.metrics.write("harbor_project_create");
            (true, id)
        }
        Err(HarborError::Status { status, .. }) if status.as_u16() == 409 => (false, None),
        Err(e) => return Err(e.into()),
    };
    match id {
        Some(id) => r.snapshot.put_project(Project {
            project_id: id,
            name: project.to_owned(),
            creation_time: None,
            update_time: None,
            repo_count: None,
        }),
        // No id in `Location`, or it existed after all: read it.
        None => {
            if let Some(found) = r.harbor.find_project(project).await? {
                r.snapshot.put_project(found);
            }
        }
    }
    Ok(made)
}

/// How a pass left the project's members.
enum Membership {
    InSync,
    /// Harbor's auth mode (named) has no groups, so there is nothing to make.
    NoGroups(String),
}

/// A group from a Team or BERTH_ADMIN_GROUPS as Harbor's auth mode names it; `None` in a mode without
/// groups. In ldap_auth mode a group is a DN, or becomes one through BERTH_LDAP_GROUP_DN.
fn member_group(
    mode: &AuthMode,
    group: &str,
    ldap_template: Option<&str>,
) -> Result<Option<MemberGroup>, ReconcileError> {
    Ok(match mode {
        AuthMode::Oidc => Some(MemberGroup::Oidc(group.to_owned())),
        AuthMode::Http => Some(MemberGroup::Http(group.to_owned())),
        AuthMode::Ldap if group.contains('=') => Some(MemberGroup::Ldap { dn: group.to_owned() }),
        AuthMode::Ldap => match ldap_template {
            Some(template) => Some(MemberGroup::Ldap {
                dn: template.replace("{group}", group),
            }),
            None => {
                return Err(ReconcileError::Waiting {
                    reason: "LdapGroupWithoutDn",
                    message: format!(
                        "Harbor's auth_mode is ldap_auth, whose groups are named by DN, and {group:?} is none: name the group's DN in the Team's spec.groups, or set BERTH_LDAP_GROUP_DN (e.g. cn={{group}},ou=groups,dc=example,dc=com)."
                    ),
                })
            }
        },
        AuthMode::NoGroups(_) => None,
    })
}

/// The name Harbor lists a member group under: the name, or an LDAP group's first RDN value (its cn).
fn listed_name(group: &MemberGroup) -> &str {
    match group {
        MemberGroup::Oidc(name) | MemberGroup::Http(name) => name,
        MemberGroup::Ldap { dn } => dn
            .split(',')
            .next()
            .and_then(|rdn| rdn.split_once('='))
            .map_or(dn.as_str(), |(_, value)| value.trim()),
    }
}

/// Each team group with the member role and each platform-admin group with the admin role, as Harbor's
/// auth mode names groups (read each time members are compared). Compared with Harbor when the project
/// was just made, when the Team changed, and at least every full read.
async fn ensure_members(
    r: &Reconciler,
    team: &Team,
    project: &str,
    force: bool,
    pass: &mut Pass,
) -> Result<Membership, ReconcileError> {
    let key = team.team_name();
    let generation = team.metadata.generation;
    let recently = {
        let checked = r.members_checked.lock().unwrap_or_else(|p| p.into_inner());
        checked
            .get(&key)
            .is_some_and(|(at, g)| *g == generation && at.elapsed() < r.config.reconcile.full_read)
    };
    if recently && !force {
        return Ok(Membership::InSync);
    }
    let cfg = &r.config.reconcile;
    let mode = r.harbor.auth_mode().await?;
    if let AuthMode::NoGroups(name) = &mode {
        return Ok(Membership::NoGroups(name.clone()));
    }
    let template = cfg.ldap_group_dn.as_deref();
    let mut wanted = BTreeMap::new();
    for group in team.groups() {
        if let Some(member) = member_group(&mode, &group, template)? {
            wanted.insert(group, (member, cfg.member_role));
        }
    }
    for group in &r.config.oidc.admin_groups {
        if let Some(member) = member_group(&mode, group, template)? {
            wanted.insert(group.clone(), (member, cfg.admin_group_role));
        }
    }
    // A project made a moment ago holds only its creator: no need to read its members.
    let members = if force {
        Vec::new()
    } else {
        r.harbor.list_members(project).await?
    };
    let listed = |name: &str| {
        members
            .iter()
            .find(|m| m.entity_type == "g" && m.entity_name == name)
    };
    let managed: Vec<String> = wanted.keys().cloned().collect();
    for gone in pass
        .member_groups
        .iter()
        .filter(|g| !wanted.contains_key(*g))
    {
        let name = member_group(&mode, gone, template)
            .ok()
            .flatten()
            .map(|g| listed_name(&g).to_owned())
            .unwrap_or_else(|| gone.clone());
        if let Some(member) = listed(&name) {
            r.harbor.delete_member(project, member.id).await?;
            r.metrics.write("harbor_member_remove");
        }
    }
    pass.member_groups = managed;
    for (member_group, role) in wanted.values() {
        match listed(listed_name(member_group)) {
            None => match r
                .harbor
                .add_group_member(project, member_group, *role)
                .await
            {
                Ok(()) => r.metrics.write("harbor_member_add"),
                // Already a member (the project was older than it looked): compared on the next check.
                Err(HarborError::Status { status, .. }) if status.as_u16() == 409 => {
                    r.members_checked
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&key);
                    return Ok(Membership::InSync);
                }
                Err(e) => return Err(e.into()),
            },
            Some(member) if member.role_id != role.id() => {
                r.harbor.set_member_role(project, member.id, *role).await?;
                r.metrics.write("harbor_member_role");
            }
            Some(_) => {}
        }
    }
    r.members_checked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, (Instant::now(), generation));
    Ok(Membership::InSync)
}

/// Why the credentials of a purpose must be replaced now, if they must.
fn rotation_due(
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
            return Some(format!("requested ({asked})"));
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
            return Some("max-age".into());
        }
    }
    let expires = robot.and_then(|r| r.expires_at).filter(|e| *e > 0)?;
    let left = expires - now.as_second();
    if left < expiry_margin(cfg).as_secs() as i64 {
        return Some(format!("expires in {left} s"));
    }
    None
}

/// Rotate this long before a robot expires: enough for the grace period and two resyncs, but never
/// more than a fifth of a robot's lifetime (so short-lived robots are not rotated all the time).
fn expiry_margin(cfg: &ReconcileConfig) -> Duration {
    let margin = cfg.rotation_grace + cfg.resync * 2;
    match cfg.robot_duration_days {
        Some(days) => margin.min(Duration::from_secs(days as u64 * 86_400 / 5)),
        None => margin,
    }
}

async fn ensure_credentials(
    ctx: &Context,
    team: &Team,
    purpose: Purpose,
    listed: &[Secret],
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    let r = &ctx.shared;
    let cfg = &r.config;
    let prefix = cfg.reconcile.robot_prefix.as_str();
    let team_name = team.team_name();
    let namespace = team.namespace_name();
    let secret_name = purpose.secret_name(&cfg.secret_names).to_owned();
    let pending_name = desired::pending_secret_name(&secret_name);
    let host = cfg.harbor.registry_host.as_str();
    let belongs =
        |c: &Credentials| desired::robot_purpose(&c.username, prefix, &team_name) == Some(purpose);
    let read_current = |s: Option<&Secret>| {
        s.and_then(|s| desired::credentials_in(s, purpose, host))
            .filter(belongs)
    };
    let read_pending =
        |s: Option<&Secret>| s.and_then(desired::pending_credentials).filter(belongs);

    // A pending secret is only ever Berth's own, so the list by label is enough for it.
    let secret = named(listed, &secret_name).cloned();
    let pending_secret = named(listed, &pending_name).cloned();
    let current = read_current(secret.as_ref());
    let pending = read_pending(pending_secret.as_ref());
    let previous = pass.robots.get(purpose.as_str()).cloned();
    let current_robot = current.as_ref().and_then(|c| r.snapshot.robot(&c.username));
    let due = rotation_due(
        &cfg.reconcile,
        team,
        purpose,
        secret.as_ref(),
        current_robot.as_ref(),
        previous.as_ref(),
    );

    if current.is_none() || pending.is_some() || due.is_some() {
        let rotating = due.is_some() && current.is_some();
        let next = match pending {
            Some(p) => p,
            None => {
                let username = if rotating {
                    format!(
                        "{prefix}{}",
                        desired::rotated_robot_name(&team_name, purpose, now().as_second())
                    )
                } else {
                    // A lost secret: keep the robot of record when it still exists, else the first name.
                    previous
                        .as_ref()
                        .map(|p| p.name.clone())
                        .filter(|n| r.snapshot.robot(n).is_some())
                        .unwrap_or_else(|| {
                            format!("{prefix}{}", desired::robot_base_name(&team_name, purpose))
                        })
                };
                let creds = Credentials {
                    username,
                    token: generate_robot_token(),
                };
                // Written before Harbor learns the token, so a crash in between loses nothing.
                r.cluster
                    .apply_secret(&desired::pending_secret(
                        &team_name,
                        &namespace,
                        &pending_name,
                        purpose,
                        &creds,
                    ))
                    .await?;
                r.metrics.write("kube_secret_apply");
                creds
            }
        };
        let robot = put_robot(r, team, purpose, &next, None).await?;
        let since = now().to_string();
        let spec = SecretSpec {
            team: &team_name,
            namespace: &namespace,
            name: &secret_name,
            purpose,
            registry_host: host,
            rotated_at: &since,
        };
        // Harbor accepts the new token now; only then do workloads get it.
        r.cluster
            .apply_secret(&desired::registry_secret(&spec, &next))
            .await?;
        r.metrics.write("kube_secret_apply");
        if let Some(old) = current.as_ref().filter(|c| c.username != next.username) {
            if let Some(old_robot) = r.snapshot.robot(&old.username) {
                let delete_after = now()
                    + SignedDuration::try_from(cfg.reconcile.rotation_grace)
                        .unwrap_or(SignedDuration::ZERO);
                pass.retiring.retain(|x| x.id != old_robot.id);
                pass.retiring.push(RetiringRobot {
                    purpose: purpose.as_str().into(),
                    name: old_robot.name.clone(),
                    id: old_robot.id,
                    delete_after: delete_after.to_string(),
                });
            }
        }
        r.cluster.delete_secret(&namespace, &pending_name).await?;
        r.metrics.write("kube_secret_delete");
        let asked = team
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(&purpose.rotate_annotation()))
            .cloned();
        let handled = asked.or_else(|| previous.as_ref().and_then(|p| p.rotation_handled.clone()));
        pass.robots.insert(
            purpose.as_str(),
            robot_status(purpose, &robot, &next, &secret_name, since, handled),
        );
        r.metrics
            .set_robot_expiry(&team_name, &robot.name, seconds_left(&robot));
        if rotating {
            let by = team
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(&purpose.rotate_annotation()))
                .and_then(|v| v.split_once(" by ").map(|(_, who)| who.to_owned()))
                .unwrap_or_else(|| "berth-reconciler".into());
            let detail = format!(
                "{} secret {secret_name}: {} -> {} ({})",
                purpose.as_str(),
                current.as_ref().map(|c| c.username.as_str()).unwrap_or("-"),
                next.username,
                due.unwrap_or_default()
            );
            r.audit
                .note(
                    team,
                    AuditRecord {
                        actor: by,
                        action: "rotation",
                        detail,
                        result: AuditResult::Allowed,
                    },
                )
                .await;
        }
        return Ok(());
    }

    // Steady state: the secret is the source of truth; Harbor is brought in line with it.
    let (Some(creds), Some(secret)) = (current, secret) else {
        return Ok(());
    };
    let robot = put_robot(r, team, purpose, &creds, previous.as_ref()).await?;
    let since = secret
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(desired::ROTATED_AT_ANNOTATION).cloned())
        .or_else(|| previous.as_ref().map(|p| p.since.clone()))
        .unwrap_or_else(|| now().to_string());
    let spec = SecretSpec {
        team: &team_name,
        namespace: &namespace,
        name: &secret_name,
        purpose,
        registry_host: host,
        rotated_at: &since,
    };
    let wanted = desired::registry_secret(&spec, &creds);
    if !desired::secret_matches(&secret, &wanted) {
        r.cluster.apply_secret(&wanted).await?;
        r.metrics.write("kube_secret_apply");
    }
    let handled = previous.as_ref().and_then(|p| p.rotation_handled.clone());
    pass.robots.insert(
        purpose.as_str(),
        robot_status(purpose, &robot, &creds, &secret_name, since, handled),
    );
    r.metrics
        .set_robot_expiry(&team_name, &robot.name, seconds_left(&robot));
    if let Some(expires) = robot.expires_at.filter(|e| *e > 0) {
        let rotate_in =
            expires - now().as_second() - expiry_margin(&cfg.reconcile).as_secs() as i64;
        pass.requeue_within(Duration::from_secs(rotate_in.max(1) as u64));
    }
    Ok(())
}

fn seconds_left(robot: &Robot) -> Option<i64> {
    robot
        .expires_at
        .filter(|e| *e > 0)
        .map(|e| e - now().as_second())
}

fn robot_status(
    purpose: Purpose,
    robot: &Robot,
    creds: &Credentials,
    secret: &str,
    since: String,
    rotation_handled: Option<String>,
) -> RobotStatus {
    RobotStatus {
        purpose: purpose.as_str().into(),
        name: robot.name.clone(),
        id: robot.id,
        token_fingerprint: desired::fingerprint(&creds.token),
        harbor_update_time: robot.update_time.clone(),
        secret: secret.to_owned(),
        since,
        expires_at: robot
            .expires_at
            .filter(|e| *e > 0)
            .and_then(|e| Timestamp::from_second(e).ok())
            .map(|t| t.to_string()),
        rotation_handled,
    }
}

/// Makes Harbor hold a robot named as in `creds`, with this purpose's permissions, enabled, whose
/// token is `creds.token`. Writes only what differs: a token `PATCH` only when Berth has no record of
/// applying this token to this robot, or Harbor changed the robot since.
async fn put_robot(
    r: &Reconciler,
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
                Err(e @ HarborError::Status { status, .. }) if status.as_u16() == 409 => {
                    // Harbor's names are unique without the prefix: a robot of this name under
                    // another prefix means BERTH_HARBOR_ROBOT_PREFIX is not Harbor's.
                    if let Some(harbor_prefix) =
                        other_prefix(r, &create.name, &creds.username).await?
                    {
                        return Err(prefix_mismatch(r, &creds.username, &harbor_prefix));
                    }
                    // It exists after all: Berth's view was behind. Read everything again next time.
                    r.snapshot.invalidate();
                    return Err(e.into());
                }
                Err(e) => return Err(e.into()),
            };
            r.metrics.write("harbor_robot_create");
            if created.name != creds.username {
                // Harbor's robot_name_prefix is not BERTH_HARBOR_ROBOT_PREFIX: the secrets would name
                // a user Harbor does not know, and the next pass would not find this robot and make it
                // again (409). Undo it and say what to set.
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
    r: &Reconciler,
    short: &str,
    wanted: &str,
) -> Result<Option<String>, ReconcileError> {
    let found = r.harbor.system_robots_named_like(short).await?;
    Ok(found
        .into_iter()
        .filter(|robot| robot.name != wanted)
        .find_map(|robot| robot.name.strip_suffix(short).map(str::to_owned)))
}

fn prefix_mismatch(r: &Reconciler, wanted: &str, harbor_prefix: &str) -> ReconcileError {
    ReconcileError::Waiting {
        reason: "RobotPrefixMismatch",
        message: format!(
            "Harbor names robots with the prefix {harbor_prefix:?} (its robot_name_prefix setting), not BERTH_HARBOR_ROBOT_PREFIX {:?}, so it would not know {wanted:?}: set BERTH_HARBOR_ROBOT_PREFIX to {harbor_prefix:?}.",
            r.config.reconcile.robot_prefix
        ),
    }
}

/// Deletes rotated-out robots whose grace period ended, and adopts strays (a team robot that is
/// neither current nor retiring, e.g. left by a crash) into the retiring list.
async fn retire(r: &Reconciler, team: &Team, pass: &mut Pass) -> Result<(), ReconcileError> {
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
            Err(HarborError::Status { status, .. }) if status.as_u16() == 404 => {
                r.snapshot.remove_robot(&entry.name)
            }
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

/// The pull secret (only it) in the `default` ServiceAccount's `imagePullSecrets`; the push secrets
/// never. Other entries stay as they are.
async fn ensure_pull_secret_on_account(ctx: &Context, team: &Team) -> Result<(), ReconcileError> {
    let r = &ctx.shared;
    let namespace = team.namespace_name();
    let names = &r.config.secret_names;
    let Some(account) = r
        .cluster
        .get_default_service_account(&namespace)
        .await
        .map_err(|e| ctx.namespace_access(&namespace, e))?
    else {
        return Err(ReconcileError::Waiting {
            reason: "ServiceAccountMissing",
            message: format!("The namespace {namespace} has no default ServiceAccount yet (the controller-manager creates it); the pull secret is added when it appears."),
        });
    };
    let current = account.image_pull_secrets.clone().unwrap_or_default();
    let mut wanted: Vec<LocalObjectReference> = current
        .iter()
        .filter(|s| s.name != names.push && s.name != names.builds)
        .cloned()
        .collect();
    if !wanted.iter().any(|s| s.name == names.pull) {
        wanted.push(LocalObjectReference {
            name: names.pull.clone(),
        });
    }
    if wanted != current {
        r.cluster.set_image_pull_secrets(&account, wanted).await?;
        r.metrics.write("kube_serviceaccount_patch");
    }
    Ok(())
}

/// Offboarding: the pull secret off the ServiceAccount, Berth's secrets, the team's robots; the project
/// only when configured. Secrets go before robots, so no secret is ever left naming a deleted robot.
pub(super) async fn cleanup(team: Arc<Team>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let r = &ctx.shared;
    let team_name = team.team_name();
    let namespace = team.namespace_name();
    let names = &r.config.secret_names;
    // A namespace deleted before its Team took the secrets and the ServiceAccount with it.
    let namespace_exists = r.cluster.namespace_exists(&namespace).await?;
    let account = if namespace_exists {
        r.cluster
            .get_default_service_account(&namespace)
            .await
            .map_err(|e| ctx.namespace_access(&namespace, e))?
    } else {
        None
    };
    if let Some(account) = account {
        let current = account.image_pull_secrets.clone().unwrap_or_default();
        let wanted: Vec<LocalObjectReference> = current
            .iter()
            .filter(|s| s.name != names.pull)
            .cloned()
            .collect();
        if wanted != current {
            r.cluster.set_image_pull_secrets(&account, wanted).await?;
            r.metrics.write("kube_serviceaccount_patch");
        }
    }
    let mut deleted_secrets = 0;
    for purpose in Purpose::ALL {
        let name = purpose.secret_name(names).to_owned();
        for secret in [desired::pending_secret_name(&name), name] {
            if !namespace_exists {
                break;
            }
            match r.cluster.delete_secret(&namespace, &secret).await {
                Ok(true) => {
                    deleted_secrets += 1;
                    r.metrics.write("kube_secret_delete");
                }
                Ok(false) => {}
                // The namespace went while Berth was cleaning up.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(ctx.namespace_access(&namespace, e)),
            }
        }
    }
    r.snapshot
        .refresh(&r.harbor, r.config.reconcile.full_read)
        .await?;
    let prefix = &r.config.reconcile.robot_prefix;
    let mut ids: Vec<(i64, String)> = r
        .snapshot
        .robots_where(|n| desired::robot_purpose(n, prefix, &team_name).is_some())
        .into_iter()
        .map(|x| (x.id, x.name))
        .collect();
    if let Some(status) = &team.status {
        ids.extend(status.robots.iter().map(|x| (x.id, x.name.clone())));
        ids.extend(status.retiring.iter().map(|x| (x.id, x.name.clone())));
    }
    ids.sort();
    ids.dedup();
    let mut deleted_robots = 0;
    for (id, name) in &ids {
        match r.harbor.delete_robot(*id).await {
            Ok(()) => {
                deleted_robots += 1;
                r.metrics.write("harbor_robot_delete");
            }
            Err(HarborError::Status { status, .. }) if status.as_u16() == 404 => {}
            Err(e) => return Err(e.into()),
        }
        r.snapshot.remove_robot(name);
    }
    let project = team.harbor_project();
    let project_note = if r.config.reconcile.delete_project_on_offboard {
        match r.harbor.delete_project(&project).await {
            Ok(()) => {
                r.metrics.write("harbor_project_delete");
                r.snapshot.remove_project(&project);
                format!("project {project} deleted")
            }
            Err(HarborError::Status { status, .. }) if status.as_u16() == 404 => {
                format!("project {project} was already gone")
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        format!("project {project} kept")
    };
    r.metrics.forget_team(&team_name);
    r.forget_status(&team);
    r.members_checked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&team_name);
    let detail = format!(
        "{deleted_robots} robot(s) and {deleted_secrets} secret(s) deleted; {project_note}"
    );
    tracing::info!(team = %team_name, %detail, "team offboarded");
    r.audit
        .note(
            &team,
            AuditRecord {
                actor: "berth-reconciler".into(),
                action: "offboard",
                detail,
                result: AuditResult::Allowed,
            },
        )
        .await;
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::cluster::crd::TeamSpec;
    use crate::server::harbor::ProjectRole;
    use std::collections::BTreeMap;

    #[test]
    fn resyncs_of_teams_created_together_spread_over_the_period() {
        let period = Duration::from_secs(30);
        let finished = Duration::from_secs(1_700_000_000);
        let mut second_pass_at: Vec<u64> = (0..1000)
            .map(|i| {
                let team = format!("bench-{i:04}");
                let first = resync_after(&team, period, finished);
                assert!(!first.is_zero() && first <= period, "{first:?}");
                // A pass of 40 ms later, the team comes back one period after its first resync.
                let again =
                    resync_after(&team, period, finished + first + Duration::from_millis(40));
                assert!(
                    again.abs_diff(period) <= Duration::from_millis(41),
                    "{again:?}"
                );
                (finished + first).as_millis() as u64 % 30_000
            })
            .collect();
        second_pass_at.sort_unstable();
        // 1,000 teams over 30 one-second slots: none holds more than twice its share.
        let busiest = (0..30)
            .map(|s| second_pass_at.iter().filter(|&&t| t / 1000 == s).count())
            .max();
        assert!(busiest.is_some_and(|n| n <= 67), "{busiest:?}");
    }

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
        serde_json::from_value(serde_json::json!({ "id": 7, "name": "robot$berth-alpha-push", "expires_at": expires_at })).unwrap()
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
            Some("max-age")
        );
        // Short-lived robots are not rotated all the time: the margin is at most a fifth of their life.
        assert_eq!(expiry_margin(&cfg), Duration::from_secs(3600 + 2 * 600));
        cfg.robot_duration_days = Some(1);
        cfg.rotation_grace = Duration::from_secs(86_400);
        assert_eq!(expiry_margin(&cfg), Duration::from_secs(86_400 / 5));
    }

    #[test]
    fn the_status_is_the_same_when_nothing_changed_and_says_what_failed() {
        let team = team_with(&[], None);
        let mut pass = Pass::new(&team, None);
        for step in Step::ALL {
            pass.ok(step, "InSync", format!("{step:?} fine"));
        }
        let first = pass.status(&team, None);
        assert_eq!(first.observed_generation, Some(3));
        assert_eq!(first.condition("Ready").unwrap().status, "True");
        // The next pass, with the same findings, yields an equal status: nothing to write.
        let team = team_with(&[], Some(first.clone()));
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
