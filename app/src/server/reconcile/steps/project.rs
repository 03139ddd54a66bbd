//! The team's Harbor project: made private when missing, found when Harbor says it exists.
use super::status::{Pass, Step};
use super::Context;
use crate::server::cluster::crd::Team;
use crate::server::harbor::Project;
use crate::server::reconcile::snapshot::Refresh;
use crate::server::reconcile::ReconcileError;

/// The first step: Harbor's view brought up to date, then the project;
/// `true` when it was just made.
pub(super) async fn ensure(
    ctx: &Context,
    team: &Team,
    pass: &mut Pass,
) -> Result<bool, ReconcileError> {
    let project = team.harbor_project();
    pass.step = Step::HarborProject;
    let refresh = ctx
        .snapshot
        .refresh(&ctx.harbor, ctx.config.reconcile.full_read)
        .await?;
    ctx.metrics.harbor_refresh(match refresh {
        Refresh::Trusted => "trusted",
        Refresh::Probed => "probed",
        Refresh::FullRead => "full_read",
    });
    let created = ensure_project(ctx, &project).await?;
    pass.project_id = ctx.snapshot.project(&project).map(|p| p.project_id);
    pass.ok(
        Step::HarborProject,
        "Exists",
        format!("Harbor project {project} exists."),
    );
    Ok(created)
}

/// Creates the project (private) when it is missing; `true` when it was created. The view says it
/// is missing; Harbor's 409 says when the view was behind.
async fn ensure_project(r: &Context, project: &str) -> Result<bool, ReconcileError> {
    if r.snapshot.project(project).is_some() {
        return Ok(false);
    }
    let (made, id) = match r.harbor.create_project(project).await {
        Ok(id) => {
            r.metrics.write("harbor_project_create");
            (true, id)
        }
        Err(e) if e.is_conflict() => (false, None),
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
