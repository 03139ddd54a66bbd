//! One team's reconcile, a step at a time: the namespace claim, project, members, robots with
//! Berth's tokens and their secrets, the pull secret on the `default` ServiceAccount and in the
//! team's further namespaces; and its clean-up when the Team is deleted.
mod cleanup;
mod credentials;
mod delivery;
mod kept;
mod members;
mod project;
mod robots;
mod rotation;
mod schedule;
mod service_account;
mod status;
mod validation;

pub(super) use cleanup::cleanup;
pub(super) use delivery::NAMESPACES_INCOMPLETE;

use super::{Context, ReconcileError};
use crate::server::cluster::crd::Team;
use kube::runtime::controller::Action;
use status::{Pass, Step};
use std::sync::Arc;

/// Runs the steps, then writes what they found as the Team's status (only when it changed), whether
/// they all succeeded or not.
pub(super) async fn apply(team: Arc<Team>, ctx: Arc<Context>) -> Result<Action, ReconcileError> {
    let remembered = ctx.memory.last_status(&team);
    let mut pass = Pass::new(&team, remembered.clone());
    let outcome = converge(&team, &ctx, &mut pass).await;
    status::publish(&ctx, &team, &pass, remembered, outcome.as_ref().err()).await?;
    outcome?;
    Ok(Action::requeue(schedule::next_pass(
        &team.team_name(),
        ctx.config.reconcile.resync,
        pass.requeue,
    )))
}

async fn converge(team: &Team, ctx: &Context, pass: &mut Pass) -> Result<(), ReconcileError> {
    validation::validate(team)?;
    delivery::check_home(ctx, team)?;
    let created = project::ensure(ctx, team, pass).await?;
    // A membership that cannot be made never keeps the robots and secrets from being made: its
    // error is the pass's outcome once they are done.
    let members = members::ensure(ctx, team, created, pass).await;
    credentials::ensure(ctx, team, pass).await?;
    service_account::ensure(ctx, team, pass).await?;
    delivery::ensure(ctx, team, pass).await?;
    if members.is_err() {
        pass.step = Step::Members;
    }
    members
}
