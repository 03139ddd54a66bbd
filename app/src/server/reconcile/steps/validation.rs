//! Harbor's and Kubernetes' naming rules, checked before anything is written.
use crate::server::cluster::crd::Team;
use crate::server::reconcile::ReconcileError;

/// Harbor's and Kubernetes' naming rules, checked before anything is written.
pub(super) fn validate(team: &Team) -> Result<(), ReconcileError> {
    let dns_label = crate::names::is_dns_label;
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
    if let Some(bad) = team.spec.namespaces.iter().find(|n| !dns_label(n)) {
        return Err(ReconcileError::Invalid(format!(
            "spec.namespaces holds {bad:?}, which is not a valid namespace name"
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
        return Err(ReconcileError::Invalid(format!(
            "spec.harborProject {project:?} breaks Harbor's rule (lower case letters, digits, . \
             _ -)"
        )));
    }
    if team.groups().iter().any(|g| g.trim().is_empty()) {
        return Err(ReconcileError::Invalid(
            "spec.groups holds an empty group".into(),
        ));
    }
    Ok(())
}
