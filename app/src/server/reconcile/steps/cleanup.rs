//! Offboarding a deleted Team: the pull secret off the ServiceAccount, Berth's secrets (its kept
//! copies too, and the pull secret in the further namespaces), the team's robots; the project only
//! when configured. Secrets go before robots, so no secret is ever left naming a deleted robot.
use super::service_account;
use super::Context;
use crate::server::audit::{AuditAction, AuditRecord, AuditResult};
use crate::server::cluster::crd::Team;
use crate::server::reconcile::desired::{self, Purpose};
use crate::server::reconcile::ReconcileError;
use kube::runtime::controller::Action;
use std::sync::Arc;

pub(in crate::server::reconcile) async fn cleanup(
    team: Arc<Team>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let team_name = team.team_name();
    // A namespace deleted before its Team took the secrets and the ServiceAccount with it.
    let namespace_exists = ctx.cluster.namespace_exists(&team.namespace_name()).await?;
    let deleted_secrets = if namespace_exists {
        service_account::remove_pull_secret(&ctx, &team).await?;
        delete_secrets(&ctx, &team).await?
    } else {
        0
    };
    let mut further: Vec<String> = team.delivery_namespaces();
    further.extend(
        team.status
            .iter()
            .flat_map(|s| s.namespaces.iter().map(|n| n.name.clone())),
    );
    further.sort();
    further.dedup();
    let mut left_behind = Vec::new();
    for namespace in &further {
        // Berth lost its access there: the secret stays, and the record says where.
        if super::delivery::withdraw(&ctx, &team, namespace)
            .await?
            .is_some()
        {
            left_behind.push(namespace.as_str());
        }
    }
    let deleted_secrets = deleted_secrets + super::kept::delete_all(&ctx, &team_name).await?;
    let deleted_robots = delete_robots(&ctx, &team).await?;
    let project_note = offboard_project(&ctx, &team).await?;
    ctx.metrics.forget_team(&team_name);
    ctx.memory.forget(&team);
    let mut detail = format!(
        "{deleted_robots} robot(s) and {deleted_secrets} secret(s) deleted; {project_note}"
    );
    if !left_behind.is_empty() {
        detail.push_str(&format!(
            "; the pull secret left in {} (Berth may no longer delete it there)",
            left_behind.join(", ")
        ));
    }
    tracing::info!(team = %team_name, %detail, "team offboarded");
    ctx.audit
        .note(
            &team,
            AuditRecord::new(
                "berth-reconciler",
                AuditAction::Offboard,
                detail,
                AuditResult::Allowed,
            ),
        )
        .await;
    Ok(Action::await_change())
}

/// Berth's registry and pending secrets; how many were there.
async fn delete_secrets(ctx: &Context, team: &Team) -> Result<usize, ReconcileError> {
    let namespace = team.namespace_name();
    let mut deleted = 0;
    for purpose in Purpose::ALL {
        let name = purpose.secret_name(&ctx.config.secret_names).to_owned();
        for secret in [desired::pending_secret_name(&name), name] {
            match ctx.cluster.delete_secret(&namespace, &secret).await {
                Ok(true) => {
                    deleted += 1;
                    ctx.metrics.write("kube_secret_delete");
                }
                Ok(false) => {}
                // The namespace went while Berth was cleaning up.
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(ReconcileError::namespace_access(&namespace, e)),
            }
        }
    }
    Ok(deleted)
}

/// Every robot of the team Harbor holds or the status names (current and retiring); how many went.
async fn delete_robots(ctx: &Context, team: &Team) -> Result<usize, ReconcileError> {
    let team_name = team.team_name();
    ctx.snapshot
        .refresh(&ctx.harbor, ctx.config.reconcile.full_read)
        .await?;
    let prefix = &ctx.config.reconcile.robot_prefix;
    let mut ids: Vec<(i64, String)> = ctx
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
    let mut deleted = 0;
    for (id, name) in &ids {
        match ctx.harbor.delete_robot(*id).await {
            Ok(()) => {
                deleted += 1;
                ctx.metrics.write("harbor_robot_delete");
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        ctx.snapshot.remove_robot(name);
    }
    Ok(deleted)
}

/// Deletes the project when so configured; says what became of it.
async fn offboard_project(ctx: &Context, team: &Team) -> Result<String, ReconcileError> {
    let project = team.harbor_project();
    if !ctx.config.reconcile.delete_project_on_offboard {
        return Ok(format!("project {project} kept"));
    }
    match ctx.harbor.delete_project(&project).await {
        Ok(()) => {
            ctx.metrics.write("harbor_project_delete");
            ctx.snapshot.remove_project(&project);
            Ok(format!("project {project} deleted"))
        }
        Err(e) if e.is_not_found() => Ok(format!("project {project} was already gone")),
        Err(e) => Err(e.into()),
    }
}
