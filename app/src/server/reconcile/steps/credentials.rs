//! Each purpose's credentials: the robot in Harbor and the registry secret in the team's namespace,
//! made, repaired or replaced. A new token goes first into Berth's own copy (`kept`), so a crash
//! never loses one, and a lost secret comes back with the token people hold.
use super::kept::{self, TokenCopy};
use super::robots::put_robot;
use super::rotation::{expiry_margin, retire, rotation_due};
use super::status::{now, Pass, Step};
use super::Context;
use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
use crate::server::cluster::crd::{RetiringRobot, RobotStatus, Team};
use crate::server::cluster::named;
use crate::server::harbor::{generate_robot_token, Robot};
use crate::server::reconcile::desired::{self, Credentials, Purpose, SecretSpec};
use crate::server::reconcile::ReconcileError;
use crate::vocabulary::RotationRequest;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use std::time::Duration;

/// The robots step: each purpose's credentials, then the retirement of rotated-out robots.
pub(super) async fn ensure(
    ctx: &Context,
    team: &Team,
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    pass.step = Step::Robots;
    let listed = team_secrets(ctx, team, pass).await?;
    let team_name = team.team_name();
    let mut copy = TokenCopy::new(&team_name);
    // A team with no secret, no robot of record and no robot in Harbor (a new one): its first
    // three tokens are kept in one write, before Harbor learns any of them.
    let prefix = ctx.config.reconcile.robot_prefix.as_str();
    let nothing_issued = listed.is_empty()
        && pass.robots.is_empty()
        && ctx
            .snapshot
            .robots_where(|name| desired::robot_purpose(name, prefix, &team_name).is_some())
            .is_empty();
    if nothing_issued {
        let first = Purpose::ALL.map(|purpose| {
            let username = format!("{prefix}{}", desired::robot_base_name(&team_name, purpose));
            let token = generate_robot_token();
            (purpose, Credentials { username, token })
        });
        copy.start(ctx, first.into_iter().collect()).await?;
    }
    for purpose in Purpose::ALL {
        ensure_credentials(ctx, team, purpose, &listed, &mut copy, pass).await?;
    }
    let host = ctx.config.harbor.registry_host.as_str();
    let in_use = Purpose::ALL.into_iter().filter_map(|purpose| {
        let secret = named(&listed, purpose.secret_name(&ctx.config.secret_names))?;
        let creds = desired::credentials_in(secret, purpose, host)?;
        (desired::robot_purpose(&creds.username, prefix, &team_name) == Some(purpose))
            .then_some((purpose, creds))
    });
    copy.fill_in(ctx, in_use).await?;
    retire(ctx, team, pass).await?;
    let names: Vec<&str> = pass.robots.values().map(|r| r.name.as_str()).collect();
    pass.ok(
        Step::Robots,
        "InSync",
        format!(
            "Robots {} hold the tokens in the team's secrets.",
            names.join(", ")
        ),
    );
    Ok(())
}

/// One request for the team's registry and pending secrets; each purpose only writes its own. A
/// namespace that holds them exists; when none is found, the `default` ServiceAccount (which the
/// secrets step reads anyway, and then takes from the pass) tells that it exists too; only without
/// it, or when the list is refused, is the namespace itself read, so a missing one is reported as
/// such. Only a purpose with a robot of record can have a secret of Berth's whose labels were
/// edited away, so only its secret missing from the list is read by name (a new team's onboarding
/// reads none).
async fn team_secrets(
    ctx: &Context,
    team: &Team,
    pass: &mut Pass,
) -> Result<Vec<Secret>, ReconcileError> {
    let namespace = team.namespace_name();
    let names: Vec<&str> = Purpose::ALL
        .into_iter()
        .filter(|p| pass.robots.contains_key(p.as_str()))
        .map(|p| p.secret_name(&ctx.config.secret_names))
        .collect();
    match ctx
        .cluster
        .list_team_secrets(&namespace, &team.team_name(), &names)
        .await
    {
        Ok(listed) if !listed.is_empty() => Ok(listed),
        Ok(listed) => {
            if let Ok(Some(account)) = ctx.cluster.get_default_service_account(&namespace).await {
                pass.account = Some(account);
                return Ok(listed);
            }
            if !ctx.cluster.namespace_exists(&namespace).await? {
                return Err(missing_namespace(&namespace));
            }
            Ok(listed)
        }
        Err(refused) => {
            if !ctx.cluster.namespace_exists(&namespace).await? {
                return Err(missing_namespace(&namespace));
            }
            Err(ReconcileError::namespace_access(&namespace, refused))
        }
    }
}

fn missing_namespace(namespace: &str) -> ReconcileError {
    ReconcileError::Waiting {
        reason: "NamespaceMissing",
        message: format!(
            "The namespace {namespace} does not exist; Berth writes the team's secrets there once \
             the platform has created it."
        ),
    }
}

async fn ensure_credentials(
    ctx: &Context,
    team: &Team,
    purpose: Purpose,
    listed: &[Secret],
    copy: &mut TokenCopy,
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    let r = ctx;
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
        // No robot of record and none in Harbor for this purpose: no token exists that anyone
        // could hold, so there is no copy worth reading (a new team's onboarding skips the GET).
        let nothing_issued = previous.is_none()
            && current.is_none()
            && r.snapshot
                .robots_where(|name| {
                    desired::robot_purpose(name, prefix, &team_name) == Some(purpose)
                })
                .is_empty();
        let kept = match pending {
            Some(_) => None,
            None if nothing_issued && !copy.known() => None,
            None => copy.get(r, purpose).await?.filter(belongs),
        };
        let applied = |c: &Credentials| kept::applied(previous.as_ref(), c);
        // A lost secret whose token Berth kept: put back as it was.
        if let (None, None, Some(previous)) = (&current, &due, previous.as_ref()) {
            if let Some(kept) = kept.as_ref().filter(|k| applied(k)) {
                let (status, robot) =
                    kept::restore(r, team, purpose, kept.duplicate(), previous).await?;
                r.metrics
                    .set_robot_expiry(&team_name, &robot.name, seconds_left(&robot));
                pass.robots.insert(purpose.as_str(), status);
                return Ok(());
            }
        }
        // A token a pass left half-way (kept, but never in the registry secret): finish with it.
        let unfinished = kept.filter(|k| {
            !applied(k)
                && current.as_ref().is_none_or(|c| {
                    desired::fingerprint(&c.token) != desired::fingerprint(&k.token)
                })
        });
        let reissued = current.is_none() && due.is_none() && previous.is_some();
        let legacy_pending = pending.is_some();
        let next = match pending.or(unfinished) {
            Some(p) => p,
            None => {
                let username = if rotating {
                    format!(
                        "{prefix}{}",
                        desired::rotated_robot_name(&team_name, purpose, now().as_second())
                    )
                } else {
                    // A lost secret: keep the robot of record when it still
                    // exists, else the first name.
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
                // Kept before Harbor learns the token, so a crash in between loses nothing.
                copy.keep(r, purpose, &creds).await?;
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
        if legacy_pending {
            copy.keep(r, purpose, &next).await?;
            r.cluster.delete_secret(&namespace, &pending_name).await?;
            r.metrics.write("kube_secret_delete");
        }
        let asked = team
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(&purpose.rotate_annotation()))
            .cloned();
        let handled = asked.or_else(|| previous.as_ref().and_then(|p| p.rotation_handled.clone()));
        let mut status = robot_status(purpose, &robot, &next, &secret_name, since.clone(), handled);
        status.kept_fingerprint = Some(desired::fingerprint(&next.token));
        status.reissued_at = match (reissued, due.is_some()) {
            (true, _) => Some(since),
            (false, true) => None,
            (false, false) => previous.as_ref().and_then(|p| p.reissued_at.clone()),
        };
        pass.robots.insert(purpose.as_str(), status);
        r.metrics
            .set_robot_expiry(&team_name, &robot.name, seconds_left(&robot));
        if reissued {
            let detail = format!(
                "{purpose} secret {secret_name} was missing and Berth held no copy of its token: \
                 robot {} has a new token; copies downloaded before stopped working",
                next.username
            );
            tracing::warn!(team = %team_name, %detail, "credentials re-issued");
            r.audit
                .note(
                    team,
                    AuditRecord::new(
                        "berth-reconciler",
                        AuditAction::CredentialsReissued,
                        detail,
                        AuditResult::Allowed,
                    ),
                )
                .await;
        }
        if rotating {
            let by = team
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(&purpose.rotate_annotation()))
                .and_then(|v| RotationRequest::parse(v).map(|request| request.by))
                .unwrap_or_else(|| "berth-reconciler".into());
            let detail = format!(
                "{purpose} credentials rotated: {} replaced by {} in {secret_name}, {}",
                current.as_ref().map(|c| c.username.as_str()).unwrap_or("-"),
                next.username,
                due.unwrap_or_default()
            );
            r.audit
                .note(
                    team,
                    AuditRecord::new(&by, AuditAction::Rotation, detail, AuditResult::Allowed),
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
    // Teams from before Berth kept copies, or a copy Berth could not write last time.
    let fingerprint = desired::fingerprint(&creds.token);
    let kept_fingerprint = match previous.as_ref().and_then(|p| p.kept_fingerprint.clone()) {
        Some(kept) if kept == fingerprint => kept,
        _ => copy.keep(r, purpose, &creds).await?,
    };
    let handled = previous.as_ref().and_then(|p| p.rotation_handled.clone());
    let mut status = robot_status(purpose, &robot, &creds, &secret_name, since, handled);
    status.kept_fingerprint = Some(kept_fingerprint);
    status.reissued_at = previous.as_ref().and_then(|p| p.reissued_at.clone());
    pass.robots.insert(purpose.as_str(), status);
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
        kept_fingerprint: None,
        reissued_at: None,
    }
}
