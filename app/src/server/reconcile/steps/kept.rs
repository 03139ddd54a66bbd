//! Berth's own copy of the team's newest token of each purpose, one Secret per team in Berth's
//! namespace (team members cannot read or delete it there): where a new token waits until Harbor
//! has accepted it, and from which a registry secret that went missing is put back with the same
//! token, so the copies people downloaded keep working.
use super::robots::put_robot;
use super::Context;
use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
use crate::server::cluster::crd::{RobotStatus, Team};
use crate::server::cluster::ClusterError;
use crate::server::harbor::Robot;
use crate::server::reconcile::desired::{self, Credentials, Purpose, SecretSpec};
use crate::server::reconcile::ReconcileError;
use std::collections::BTreeMap;

/// Berth's own namespace: the one its Lease lives in.
fn own_namespace(ctx: &Context) -> &str {
    &ctx.config.reconcile.lease_namespace
}

/// One pass's view of the team's copy: read at most once, and only when a purpose needs it; each
/// change written at once (the whole copy, so no purpose's entry is lost).
pub(super) struct TokenCopy {
    team: String,
    tokens: Option<BTreeMap<Purpose, Credentials>>,
}

impl TokenCopy {
    pub(super) fn new(team: &str) -> Self {
        Self {
            team: team.to_owned(),
            tokens: None,
        }
    }

    /// Whether the copy was read (or made) in this pass, so that asking it costs nothing.
    pub(super) fn known(&self) -> bool {
        self.tokens.is_some()
    }

    /// Keeps the first tokens of a team that never had one, all in one write, before Harbor learns
    /// any of them (nothing of the team's can be in a copy yet, so none is read).
    pub(super) async fn start(
        &mut self,
        ctx: &Context,
        tokens: BTreeMap<Purpose, Credentials>,
    ) -> Result<(), ReconcileError> {
        self.tokens = Some(tokens);
        self.write(ctx).await
    }

    async fn tokens(
        &mut self,
        ctx: &Context,
    ) -> Result<&mut BTreeMap<Purpose, Credentials>, ReconcileError> {
        if self.tokens.is_none() {
            let copy = ctx
                .cluster
                .get_secret(own_namespace(ctx), &desired::token_copy_name(&self.team))
                .await
                .map_err(|e| refused(ctx, e))?;
            let mut tokens = copy
                .as_ref()
                .map(desired::copied_tokens)
                .unwrap_or_default();
            // A team from the release that kept one copy per purpose.
            for purpose in Purpose::ALL {
                if tokens.contains_key(&purpose) {
                    continue;
                }
                let name = desired::kept_secret_name(&self.team, purpose);
                let earlier = ctx
                    .cluster
                    .get_secret(own_namespace(ctx), &name)
                    .await
                    .map_err(|e| refused(ctx, e))?;
                if let Some(creds) = earlier.as_ref().and_then(desired::pending_credentials) {
                    tokens.insert(purpose, creds);
                }
            }
            self.tokens = Some(tokens);
        }
        Ok(self.tokens.get_or_insert_with(BTreeMap::new))
    }

    /// The purpose's token in the copy, if there is one.
    pub(super) async fn get(
        &mut self,
        ctx: &Context,
        purpose: Purpose,
    ) -> Result<Option<Credentials>, ReconcileError> {
        Ok(self
            .tokens(ctx)
            .await?
            .get(&purpose)
            .map(Credentials::duplicate))
    }

    /// Makes the copy hold `creds` for `purpose` (written now, when it did not); returns their
    /// fingerprint, as the status records it.
    pub(super) async fn keep(
        &mut self,
        ctx: &Context,
        purpose: Purpose,
        creds: &Credentials,
    ) -> Result<String, ReconcileError> {
        let fingerprint = desired::fingerprint(&creds.token);
        let tokens = self.tokens(ctx).await?;
        let held = tokens.get(&purpose).is_some_and(|c| {
            c.username == creds.username && desired::fingerprint(&c.token) == fingerprint
        });
        if !held {
            tokens.insert(purpose, creds.duplicate());
            self.write(ctx).await?;
        }
        Ok(fingerprint)
    }

    /// When the copy was read in this pass: gives the purposes it lacks the token in use (a copy
    /// deleted by hand, then remade for one purpose), in one write. Costs nothing otherwise.
    pub(super) async fn fill_in(
        &mut self,
        ctx: &Context,
        in_use: impl IntoIterator<Item = (Purpose, Credentials)>,
    ) -> Result<(), ReconcileError> {
        let Some(tokens) = self.tokens.as_mut() else {
            return Ok(());
        };
        let mut added = false;
        for (purpose, creds) in in_use {
            if let std::collections::btree_map::Entry::Vacant(entry) = tokens.entry(purpose) {
                entry.insert(creds);
                added = true;
            }
        }
        if added {
            self.write(ctx).await?;
        }
        Ok(())
    }

    async fn write(&self, ctx: &Context) -> Result<(), ReconcileError> {
        let tokens = self.tokens.as_ref().expect("read or made before writing");
        let secret = desired::token_copy(&self.team, own_namespace(ctx), tokens);
        ctx.cluster
            .apply_secret(&secret)
            .await
            .map_err(|e| refused(ctx, e))?;
        ctx.metrics.write("kube_secret_apply");
        Ok(())
    }
}

/// Removes a deleted team's copy (and the per-purpose copies of the previous release); how many
/// there were.
pub(super) async fn delete_all(ctx: &Context, team: &str) -> Result<usize, ReconcileError> {
    let names = std::iter::once(desired::token_copy_name(team))
        .chain(Purpose::ALL.map(|purpose| desired::kept_secret_name(team, purpose)));
    let mut deleted = 0;
    for name in names {
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
