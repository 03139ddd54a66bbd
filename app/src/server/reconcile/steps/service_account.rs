//! The pull secret on the namespace's `default` ServiceAccount.
use super::status::{Pass, Step};
use super::Context;
use crate::server::cluster::crd::Team;
use crate::server::reconcile::ReconcileError;
use k8s_openapi::api::core::v1::{LocalObjectReference, ServiceAccount};

/// The secrets step: the pull secret on the account (the secrets themselves were
/// written with the robots).
pub(super) async fn ensure(
    ctx: &Context,
    team: &Team,
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    pass.step = Step::Secrets;
    let read = pass.account.take();
    ensure_pull_secret_on_account(ctx, team, read).await?;
    let s = &ctx.config.secret_names;
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
    Ok(())
}

/// The pull secret (only it) in the `default` ServiceAccount's `imagePullSecrets`; the push secrets
/// never. Other entries stay as they are. `read`: the account as this pass already read it.
async fn ensure_pull_secret_on_account(
    ctx: &Context,
    team: &Team,
    read: Option<ServiceAccount>,
) -> Result<(), ReconcileError> {
    let r = ctx;
    let namespace = team.namespace_name();
    let names = &r.config.secret_names;
    let account = match read {
        Some(account) => Some(account),
        None => r
            .cluster
            .get_default_service_account(&namespace)
            .await
            .map_err(|e| ReconcileError::namespace_access(&namespace, e))?,
    };
    let Some(account) = account else {
        return Err(ReconcileError::Waiting {
            reason: "ServiceAccountMissing",
            message: format!(
                "The namespace {namespace} has no default ServiceAccount yet (the \
                 controller-manager creates it); the pull secret is added when it appears."
            ),
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

/// Offboarding: the pull secret off the account (other entries stay).
pub(super) async fn remove_pull_secret(ctx: &Context, team: &Team) -> Result<(), ReconcileError> {
    let namespace = team.namespace_name();
    let account = ctx
        .cluster
        .get_default_service_account(&namespace)
        .await
        .map_err(|e| ReconcileError::namespace_access(&namespace, e))?;
    let Some(account) = account else {
        return Ok(());
    };
    let current = account.image_pull_secrets.clone().unwrap_or_default();
    let pull = &ctx.config.secret_names.pull;
    let wanted: Vec<LocalObjectReference> = current
        .iter()
        .filter(|s| &s.name != pull)
        .cloned()
        .collect();
    if wanted != current {
        ctx.cluster.set_image_pull_secrets(&account, wanted).await?;
        ctx.metrics.write("kube_serviceaccount_patch");
    }
    Ok(())
}
