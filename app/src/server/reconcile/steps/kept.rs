//! Berth's own copy of each purpose's newest token, in Berth's namespace (team members cannot
//! read or delete it there): where a new token waits until Harbor has accepted it, and from which
//! a registry secret that went missing is put back with the same token, so the copies people
//! downloaded keep working.
use super::robots::put_robot;
use super::Context;
use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
use crate::server::cluster::crd::{RobotStatus, Team};
use crate::server::cluster::ClusterError;
use crate::server::harbor::Robot;
use crate::server::reconcile::desired::{self, Credentials, Purpose, SecretSpec};
use crate::server::reconcile::ReconcileError;

/// Berth's own namespace: the one its Lease lives in.
fn own_namespace(ctx: &Context) -> &str {
    &ctx.config.reconcile.lease_namespace
}

/// The credentials in the team's kept copy for `purpose`, if there is one.
pub(super) async fn read(
    ctx: &Context,
    team: &str,
    purpose: Purpose,
) -> Result<Option<Credentials>, ReconcileError> {
    let name = desired::kept_secret_name(team, purpose);
    let secret = ctx
        .cluster
        .get_secret(own_namespace(ctx), &name)
        .await
        .map_err(|e| refused(ctx, e))?;
    Ok(secret.as_ref().and_then(desired::pending_credentials))
}

/// Makes the kept copy hold `creds`; returns their fingerprint, as the status records it.
pub(super) async fn write(
    ctx: &Context,
    team: &str,
    purpose: Purpose,
    creds: &Credentials,
) -> Result<String, ReconcileError> {
    let secret = desired::kept_secret(team, own_namespace(ctx), purpose, creds);
    ctx.cluster
        .apply_secret(&secret)
        .await
        .map_err(|e| refused(ctx, e))?;
    ctx.metrics.write("kube_secret_apply");
    Ok(desired::fingerprint(&creds.token))
}

/// Removes a deleted team's kept copies; how many there were.
pub(super) async fn delete_all(ctx: &Context, team: &str) -> Result<usize, ReconcileError> {
    let mut deleted = 0;
    for purpose in Purpose::ALL {
        let name = desired::kept_secret_name(team, purpose);
        if ctx
            .cluster
            .delete_secret(own_namespace(ctx), &name)
            .await
            .map_err(|e| refused(ctx, e))?
        {
            deleted += 1;
            ctx.metrics.write("kube_secret_delete");
        }
    }
    Ok(deleted)
}

/// Whether `creds` are the ones Berth last set on the robot of record.
pub(super) fn applied(previous: Option<&RobotStatus>, creds: &Credentials) -> bool {
    previous.is_some_and(|p| {
        p.name == creds.username && p.token_fingerprint == desired::fingerprint(&creds.token)
    })
}

/// Puts a missing registry secret back with the kept token, which Harbor holds (or is given
/// again, should its robot have gone too): nothing changes for anyone holding a copy.
pub(super) async fn restore(
    ctx: &Context,
    team: &Team,
    purpose: Purpose,
    kept: Credentials,
    previous: &RobotStatus,
) -> Result<(RobotStatus, Robot), ReconcileError> {
    let robot = put_robot(ctx, team, purpose, &kept, Some(previous)).await?;
    let team_name = team.team_name();
    let secret_name = purpose.secret_name(&ctx.config.secret_names).to_owned();
    let spec = SecretSpec {
        team: &team_name,
        namespace: &team.namespace_name(),
        name: &secret_name,
        purpose,
        registry_host: &ctx.config.harbor.registry_host,
        rotated_at: &previous.since,
    };
    ctx.cluster
        .apply_secret(&desired::registry_secret(&spec, &kept))
        .await
        .map_err(|e| ReconcileError::namespace_access(&team.namespace_name(), e))?;
    ctx.metrics.write("kube_secret_apply");
    let detail = format!(
        "{purpose} secret {secret_name} was missing: put back with robot {}'s token from \
         Berth's copy; copies downloaded before keep working",
        kept.username
    );
    tracing::info!(team = %team_name, %detail, "registry secret restored");
    ctx.audit
        .note(
            team,
            AuditRecord::new(
                "berth-reconciler",
                AuditAction::CredentialsRestored,
                detail,
                AuditResult::Allowed,
            ),
        )
        .await;
    let status = RobotStatus {
        name: robot.name.clone(),
        id: robot.id,
        harbor_update_time: robot.update_time.clone(),
        expires_at: robot
            .expires_at
            .filter(|e| *e > 0)
            .and_then(|e| k8s_openapi::jiff::Timestamp::from_second(e).ok())
            .map(|t| t.to_string()),
        kept_fingerprint: Some(desired::fingerprint(&kept.token)),
        ..previous.clone()
    };
    Ok((status, robot))
}

/// A refusal in Berth's own namespace names the Role that grants it.
fn refused(ctx: &Context, error: ClusterError) -> ReconcileError {
    match error {
        ClusterError::Forbidden { .. } => ReconcileError::Waiting {
            reason: "NoOwnNamespaceAccess",
            message: format!(
                "Berth may not keep its copy of the team's tokens in its own namespace {}: the \
                 chart's Role berth-kept-tokens grants it (secrets: get, create, patch, delete).",
                own_namespace(ctx)
            ),
        },
        other => other.into(),
    }
}
