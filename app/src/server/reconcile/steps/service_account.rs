//! The pull secret on the namespace's `default` ServiceAccount.
use super::status::{Pass, Step};
use super::Context;
use crate::server::cluster::crd::Team;
use crate::server::cluster::ClusterError;
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
    let namespace = team.namespace_name();
    match add_pull_secret(ctx, &namespace, read).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ReconcileError::Waiting {
            reason: "ServiceAccountMissing",
            message: format!(
                "The namespace {namespace} has no default ServiceAccount yet (the \
                 controller-manager creates it); the pull secret is added when it appears."
            ),
        }),
        Err(e) => Err(ReconcileError::namespace_access(&namespace, e)),
    }
}

/// The pull secret on `namespace`'s `default` ServiceAccount (the push secrets taken off it; other
/// entries stay); false when the namespace has no such account. `read`: the account as this pass
/// already read it.
pub(super) async fn add_pull_secret(
    ctx: &Context,
    namespace: &str,
    read: Option<ServiceAccount>,
) -> Result<bool, ClusterError> {
    let names = &ctx.config.secret_names;
    let account = match read {
        Some(account) => Some(account),
        None => ctx.cluster.get_default_service_account(namespace).await?,
    };
    let Some(account) = account else {
        return Ok(false);
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
        ctx.cluster.set_image_pull_secrets(&account, wanted).await?;
        ctx.metrics.write("kube_serviceaccount_patch");
    }
    Ok(true)
}

/// Offboarding: the pull secret off the account (other entries stay).
pub(super) async fn remove_pull_secret(ctx: &Context, team: &Team) -> Result<(), ReconcileError> {
    let namespace = team.namespace_name();
    drop_pull_secret(ctx, &namespace)
        .await
        .map_err(|e| ReconcileError::namespace_access(&namespace, e))
}

/// The pull secret's entry off `namespace`'s `default` ServiceAccount (other entries stay).
pub(super) async fn drop_pull_secret(ctx: &Context, namespace: &str) -> Result<(), ClusterError> {
    let Some(account) = ctx.cluster.get_default_service_account(namespace).await? else {
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
