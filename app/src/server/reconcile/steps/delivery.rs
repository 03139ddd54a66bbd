//! The pull secret in the team's further namespaces (`spec.namespaces`), on each one's `default`
//! ServiceAccount; taken back from a namespace that left the list. The push secrets never leave
//! the home namespace. A namespace another Team holds, or where a secret of that name is not
//! Berth's, is left alone and reported, never overwritten.
use super::service_account::{add_pull_secret, drop_pull_secret};
use super::status::{Pass, Step};
use super::Context;
use crate::server::cluster::crd::{Delivery, NamespaceStatus, Team};
use crate::server::cluster::ClusterError;
use crate::server::cluster::{setup_commands, NamespaceGap};
use crate::server::reconcile::claims;
use crate::server::reconcile::desired::{self, Purpose, SecretSpec};
use crate::server::reconcile::ReconcileError;
use crate::vocabulary::{MANAGED_BY, MANAGED_BY_LABEL, ROTATED_AT_ANNOTATION, TEAM_LABEL};
use k8s_openapi::api::core::v1::Secret;

/// The reason when a further namespace did not get the pull secret.
pub(crate) const NAMESPACES_INCOMPLETE: &str = "NamespacesIncomplete";

/// Before anything is made: the home namespace is this Team's, not another's.
pub(super) fn check_home(ctx: &Context, team: &Team) -> Result<(), ReconcileError> {
    let home = team.namespace_name();
    match held_by_another(ctx, team, &home) {
        Some(other) => Err(ReconcileError::Claimed(format!(
            "The namespace {home} is team {other}'s; Berth sets this Team up once it names a \
             namespace of its own in spec.namespace (or team {other} leaves {home})."
        ))),
        None => Ok(()),
    }
}

/// The name of the other Team that holds `namespace`, if one does.
fn held_by_another(ctx: &Context, team: &Team, namespace: &str) -> Option<String> {
    let cached = ctx.teams.state();
    // This pass's Team instead of its cached copy, which may be older.
    let teams = cached
        .iter()
        .map(|t| t.as_ref())
        .filter(|t| t.metadata.uid != team.metadata.uid)
        .chain([team]);
    claims::holder(namespace, teams)
        .filter(|h| h.metadata.uid != team.metadata.uid)
        .map(Team::team_name)
}

/// The namespaces step: every listed namespace is tried, then the pass fails (`Namespaces` and
/// `Ready` False, naming each namespace and its remedy) when one of them did not get the secret.
pub(super) async fn ensure(
    ctx: &Context,
    team: &Team,
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    pass.step = Step::Namespaces;
    let wanted = team.delivery_namespaces();
    let mut states = Vec::new();
    // Namespaces that left the list (or another Team now holds): the secret and its entry go.
    for left in pass.namespaces.iter().filter(|n| !wanted.contains(&n.name)) {
        if let Some(state) = withdraw(ctx, team, &left.name).await? {
            states.push(state);
        }
    }
    if !wanted.is_empty() {
        let source = home_pull_secret(ctx, team).await?;
        for namespace in &wanted {
            let state = match held_by_another(ctx, team, namespace) {
                Some(other) => {
                    // It may have been ours before the other Team was set up there.
                    withdraw(ctx, team, namespace).await?;
                    state(
                        namespace,
                        Delivery::Claimed,
                        format!(
                            "team {other} holds {namespace}; Berth leaves it to that team \
                             (remove {namespace} from one of the two Teams)"
                        ),
                    )
                }
                None => deliver(ctx, team, namespace, &source).await?,
            };
            states.push(state);
        }
    }
    pass.namespaces = states;
    let short: Vec<&NamespaceStatus> = pass
        .namespaces
        .iter()
        .filter(|n| n.state != Delivery::Delivered)
        .collect();
    if !short.is_empty() {
        let each: Vec<String> = short
            .iter()
            .map(|n| format!("{} ({}): {}", n.name, n.state.as_str(), n.message))
            .collect();
        return Err(ReconcileError::Waiting {
            reason: NAMESPACES_INCOMPLETE,
            message: format!(
                "The pull secret is not in every namespace of the team: {}.",
                each.join("; ")
            ),
        });
    }
    let delivered: Vec<&str> = pass.namespaces.iter().map(|n| n.name.as_str()).collect();
    match delivered.as_slice() {
        [] => pass.ok(
            Step::Namespaces,
            "NoneListed",
            format!(
                "The team deploys only to {}; spec.namespaces lists no other.",
                team.namespace_name()
            ),
        ),
        names => pass.ok(
            Step::Namespaces,
            "Delivered",
            format!(
                "{} is in {} too, on each one's default ServiceAccount.",
                ctx.config.secret_names.pull,
                names.join(", ")
            ),
        ),
    }
    Ok(())
}

/// The home namespace's pull secret, which each further namespace gets a copy of (the credentials
/// step made or checked it earlier in the pass).
async fn home_pull_secret(ctx: &Context, team: &Team) -> Result<Secret, ReconcileError> {
    let home = team.namespace_name();
    let name = &ctx.config.secret_names.pull;
    ctx.cluster
        .get_secret(&home, name)
        .await
        .map_err(|e| ReconcileError::namespace_access(&home, e))?
        .ok_or_else(|| ReconcileError::Waiting {
            reason: "SecretMissing",
            message: format!(
                "{name} went missing from {home} during the pass; the next pass repairs it"
            ),
        })
}

fn state(namespace: &str, state: Delivery, message: String) -> NamespaceStatus {
    NamespaceStatus {
        name: namespace.to_owned(),
        state,
        message,
    }
}

/// The copy of `source` in `namespace` and its entry on the `default` ServiceAccount.
async fn deliver(
    ctx: &Context,
    team: &Team,
    namespace: &str,
    source: &Secret,
) -> Result<NamespaceStatus, ReconcileError> {
    let team_name = team.team_name();
    let name = ctx.config.secret_names.pull.as_str();
    let host = ctx.config.harbor.registry_host.as_str();
    let Some(credentials) = desired::credentials_in(source, Purpose::Pull, host) else {
        return Err(ReconcileError::Waiting {
            reason: "SecretMissing",
            message: format!("{name} in {} holds no usable login", team.namespace_name()),
        });
    };
    let rotated_at = source
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ROTATED_AT_ANNOTATION))
        .cloned()
        .unwrap_or_default();
    let wanted = desired::registry_secret(
        &SecretSpec {
            team: &team_name,
            namespace,
            name,
            purpose: Purpose::Pull,
            registry_host: host,
            rotated_at: &rotated_at,
        },
        &credentials,
    );
    let existing = match ctx.cluster.get_secret(namespace, name).await {
        Ok(existing) => existing,
        Err(e) => return gap(ctx, namespace, e).await,
    };
    match existing.as_ref().map(owner) {
        Some(Owner::Team(other)) if other != team_name => {
            return Ok(state(
                namespace,
                Delivery::Claimed,
                format!("{name} there is team {other}'s; Berth leaves it to that team"),
            ))
        }
        Some(Owner::Somebody) => {
            return Ok(state(
                namespace,
                Delivery::NameTaken,
                format!(
                    "a secret {name} that Berth did not write is there; Berth leaves it alone \
                     (kubectl -n {namespace} delete secret {name}, if it is not needed)"
                ),
            ))
        }
        _ => {}
    }
    if !existing
        .as_ref()
        .is_some_and(|e| desired::secret_matches(e, &wanted))
    {
        if let Err(e) = ctx.cluster.apply_secret(&wanted).await {
            return gap(ctx, namespace, e).await;
        }
        ctx.metrics.write("kube_secret_apply");
    }
    match add_pull_secret(ctx, namespace, None).await {
        Ok(true) => Ok(state(namespace, Delivery::Delivered, String::new())),
        Ok(false) => Ok(state(
            namespace,
            Delivery::NoDefaultAccount,
            remedy(ctx, namespace, NamespaceGap::NoDefaultAccount),
        )),
        Err(e) => gap(ctx, namespace, e).await,
    }
}

/// Whose a secret of the pull secret's name is.
enum Owner {
    Team(String),
    /// Not written by Berth.
    Somebody,
}

fn owner(secret: &Secret) -> Owner {
    let labels = secret.metadata.labels.clone().unwrap_or_default();
    match (labels.get(MANAGED_BY_LABEL), labels.get(TEAM_LABEL)) {
        (Some(by), Some(team)) if by == MANAGED_BY => Owner::Team(team.clone()),
        _ => Owner::Somebody,
    }
}

/// A refusal in `namespace` as its state: gone, or no RoleBinding for Berth.
async fn gap(
    ctx: &Context,
    namespace: &str,
    error: ClusterError,
) -> Result<NamespaceStatus, ReconcileError> {
    match error {
        // Without a RoleBinding, a namespace that does not exist is refused too.
        ClusterError::Forbidden { .. } if !ctx.cluster.namespace_exists(namespace).await? => {
            Ok(state(
                namespace,
                Delivery::Missing,
                remedy(ctx, namespace, NamespaceGap::Missing),
            ))
        }
        ClusterError::Forbidden { .. } => Ok(state(
            namespace,
            Delivery::NoAccess,
            remedy(ctx, namespace, NamespaceGap::NoAccess),
        )),
        e if e.is_not_found() => Ok(state(
            namespace,
            Delivery::Missing,
            remedy(ctx, namespace, NamespaceGap::Missing),
        )),
        e => Err(e.into()),
    }
}

/// What is missing and the commands that make it, as the admin page prints them.
fn remedy(ctx: &Context, namespace: &str, gap: NamespaceGap) -> String {
    let reconcile = &ctx.config.reconcile;
    let commands = setup_commands(
        &[gap],
        namespace,
        &reconcile.lease_namespace,
        &reconcile.service_account,
    );
    format!("{}: {}", gap.describe(namespace), commands.join("; "))
}

/// Takes the team's pull secret out of `namespace`: the entry on the `default` ServiceAccount,
/// then the secret, only when it is this team's. `None` when nothing is left there; a
/// [`Delivery::Leaving`] state while Berth may not clear it yet (kept in the status, so a later
/// pass tries again).
pub(super) async fn withdraw(
    ctx: &Context,
    team: &Team,
    namespace: &str,
) -> Result<Option<NamespaceStatus>, ReconcileError> {
    let name = ctx.config.secret_names.pull.as_str();
    let ours = |s: &Secret| matches!(owner(s), Owner::Team(t) if t == team.team_name());
    let result = async {
        let Some(secret) = ctx.cluster.get_secret(namespace, name).await? else {
            return Ok(());
        };
        if ours(&secret) {
            drop_pull_secret(ctx, namespace).await?;
            if ctx.cluster.delete_secret(namespace, name).await? {
                ctx.metrics.write("kube_secret_delete");
            }
        }
        Ok::<_, ClusterError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(None),
        Err(e) if e.is_not_found() => Ok(None),
        Err(ClusterError::Forbidden { .. }) if !ctx.cluster.namespace_exists(namespace).await? => {
            Ok(None)
        }
        Err(ClusterError::Forbidden { .. }) => Ok(Some(state(
            namespace,
            Delivery::Leaving,
            format!(
                "left spec.namespaces, but Berth may no longer clear {name} there; delete it \
                 (kubectl -n {namespace} delete secret {name}) or bind Berth's ClusterRole again"
            ),
        ))),
        Err(e) => Err(e.into()),
    }
}
