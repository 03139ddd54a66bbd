//! The project's group members: the team's groups and the platform admins, as
//! Harbor's auth mode names groups.
use super::status::{Pass, Step};
use super::Context;
use crate::server::cluster::crd::Team;
use crate::server::harbor::{AuthMode, MemberGroup};
use crate::server::reconcile::ReconcileError;
use std::collections::BTreeMap;

/// The members step. Its error does not stop the pass: the caller reports it
/// once the other steps ran.
pub(super) async fn ensure(
    ctx: &Context,
    team: &Team,
    created: bool,
    pass: &mut Pass,
) -> Result<(), ReconcileError> {
    let project = team.harbor_project();
    pass.step = Step::Members;
    match ensure_members(ctx, team, &project, created, pass).await? {
        Membership::InSync => pass.ok(
            Step::Members,
            "InSync",
            format!(
                "The team's groups are {:?} in {project}; the platform admins are {:?}.",
                ctx.config.reconcile.member_role, ctx.config.reconcile.admin_group_role
            ),
        ),
        Membership::NoGroups(mode) => pass.ok(
            Step::Members,
            "HarborHasNoGroups",
            format!(
                "Harbor's auth_mode is {mode}, which has no groups: the team's groups cannot be \
                 members of {project}. Give its people access in Harbor, or run Harbor with OIDC \
                 or LDAP."
            ),
        ),
    }
    Ok(())
}

/// How a pass left the project's members.
enum Membership {
    InSync,
    /// Harbor's auth mode (named) has no groups, so there is nothing to make.
    NoGroups(String),
}

/// A group from a Team or BERTH_ADMIN_GROUPS as Harbor's auth mode names it; `None` in a mode
/// without groups. In ldap_auth mode a group is a DN, or becomes one through BERTH_LDAP_GROUP_DN.
fn member_group(
    mode: &AuthMode,
    group: &str,
    ldap_template: Option<&str>,
) -> Result<Option<MemberGroup>, ReconcileError> {
    Ok(match mode {
        AuthMode::Oidc => Some(MemberGroup::Oidc(group.to_owned())),
        AuthMode::Http => Some(MemberGroup::Http(group.to_owned())),
        AuthMode::Ldap if group.contains('=') => Some(MemberGroup::Ldap {
            dn: group.to_owned(),
        }),
        AuthMode::Ldap => match ldap_template {
            Some(template) => Some(MemberGroup::Ldap {
                dn: template.replace("{group}", group),
            }),
            None => {
                return Err(ReconcileError::Waiting {
                    reason: "LdapGroupWithoutDn",
                    message: format!(
                        "Harbor's auth_mode is ldap_auth, whose groups are named by DN, and \
                         {group:?} is none: name the group's DN in the Team's spec.groups, or set \
                         BERTH_LDAP_GROUP_DN (e.g. cn={{group}},ou=groups,dc=example,dc=com)."
                    ),
                })
            }
        },
        AuthMode::NoGroups(_) => None,
    })
}

/// The name Harbor lists a member group under: the name, or an LDAP group's
/// first RDN value (its cn).
fn listed_name(group: &MemberGroup) -> &str {
    match group {
        MemberGroup::Oidc(name) | MemberGroup::Http(name) => name,
        MemberGroup::Ldap { dn } => dn
            .split(',')
            .next()
            .and_then(|rdn| rdn.split_once('='))
            .map_or(dn.as_str(), |(_, value)| value.trim()),
    }
}

/// Each team group with the member role and each platform-admin group with the admin role, as
/// Harbor's auth mode names groups (read each time members are compared). Compared with Harbor when
/// the project was just made, when the Team changed, and at least every full read.
async fn ensure_members(
    r: &Context,
    team: &Team,
    project: &str,
    force: bool,
    pass: &mut Pass,
) -> Result<Membership, ReconcileError> {
    let key = team.team_name();
    let generation = team.metadata.generation;
    let recently = r
        .memory
        .members_checked_within(&key, generation, r.config.reconcile.full_read);
    if recently && !force {
        return Ok(Membership::InSync);
    }
    let cfg = &r.config.reconcile;
    let mode = r.harbor.auth_mode().await?;
    if let AuthMode::NoGroups(name) = &mode {
        return Ok(Membership::NoGroups(name.clone()));
    }
    let template = cfg.ldap_group_dn.as_deref();
    let mut wanted = BTreeMap::new();
    for group in team.groups() {
        if let Some(member) = member_group(&mode, &group, template)? {
            wanted.insert(group, (member, cfg.member_role));
        }
    }
    for group in &r.config.oidc.admin_groups {
        if let Some(member) = member_group(&mode, group, template)? {
            wanted.insert(group.clone(), (member, cfg.admin_group_role));
        }
    }
    // A project made a moment ago holds only its creator: no need to read its members.
    let members = if force {
        Vec::new()
    } else {
        r.harbor.list_members(project).await?
    };
    let listed = |name: &str| {
        members
            .iter()
            .find(|m| m.entity_type == "g" && m.entity_name == name)
    };
    let managed: Vec<String> = wanted.keys().cloned().collect();
    for gone in pass
        .member_groups
        .iter()
        .filter(|g| !wanted.contains_key(*g))
    {
        let name = member_group(&mode, gone, template)
            .ok()
            .flatten()
            .map(|g| listed_name(&g).to_owned())
            .unwrap_or_else(|| gone.clone());
        if let Some(member) = listed(&name) {
            r.harbor.delete_member(project, member.id).await?;
            r.metrics.write("harbor_member_remove");
        }
    }
    pass.member_groups = managed;
    for (member_group, role) in wanted.values() {
        match listed(listed_name(member_group)) {
            None => match r
                .harbor
                .add_group_member(project, member_group, *role)
                .await
            {
                Ok(()) => r.metrics.write("harbor_member_add"),
                // Already a member (the project was older than it looked):
                // compared on the next check.
                Err(e) if e.is_conflict() => {
                    r.memory.recheck_members(&key);
                    return Ok(Membership::InSync);
                }
                Err(e) => return Err(e.into()),
            },
            Some(member) if member.role_id != role.id() => {
                r.harbor.set_member_role(project, member.id, *role).await?;
                r.metrics.write("harbor_member_role");
            }
            Some(_) => {}
        }
    }
    r.memory.members_checked(&key, generation);
    Ok(Membership::InSync)
}
