//! The reconciler, tested from outside: `make test` runs Berth (BERTH_RESYNC_SECS=5,
//! BERTH_ROTATION_GRACE_SECS=5) against the stack; these tests change Teams, secrets and Harbor the
//! way people and accidents do, and check what Berth makes of it: through the admin's kubeconfig,
//! Harbor's API (through Prism, so every exchange is checked against Harbor's spec), the fake
//! Harbor's registry login and request counters, the apiserver's audit log and Berth's /metrics.
mod common;

use app::server::cluster::crd::{Team, TeamSpec, TeamStatus};

use app::server::harbor::{HarborClient, RobotCreate, RobotUpdate};
use app::server::reconcile::desired::{self, Purpose};
use common::*;
use k8s_openapi::api::core::v1::{Event, Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::Api;
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, Instant};

fn harbor() -> HarborClient {
    harbor_with_timeout(Duration::from_secs(10))
}

const PATIENCE: Duration = Duration::from_secs(60);

/// A namespace (its `default` ServiceAccount made by the controller-manager, here with a pull
/// secret someone else added), Berth's RoleBinding there (what the platform adds) and a Team.
async fn create_team(name: &str, groups: &[&str]) {
    create_team_with_access(name, groups, true).await
}

/// `create_team`, with or without Berth's RoleBinding in the namespace.
async fn create_team_with_access(name: &str, groups: &[&str], bound: bool) {
    create_team_with_label(name, groups, bound, None).await
}

async fn create_team_with_label(name: &str, groups: &[&str], bound: bool, label: Option<&str>) {
    create_namespace(&format!("team-{name}"), bound).await;
    let client = admin().await;
    let spec = TeamSpec {
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..Default::default()
    };
    let mut team = Team::new(name, spec);
    if let Some(label) = label {
        team.metadata.labels = Some([(label.to_owned(), "true".to_owned())].into());
    }
    Api::<Team>::all(client)
        .create(&PostParams::default(), &team)
        .await
        .unwrap();
}

/// `create_team`, the Team carrying the label `label=true` from its creation on.
async fn create_labelled_team(name: &str, groups: &[&str], label: &str) {
    create_team_with_label(name, groups, true, Some(label)).await
}

/// What the platform grants Berth in every team namespace (deploy/chart/templates/rbac.yaml).
async fn grant_namespace_access(ns: &str) {
    let client = admin().await;
    let pp = PatchParams::apply("reconcile-test").force();
    let binding: RoleBinding = serde_json::from_value(serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": { "name": "berth", "namespace": ns },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
            "name": "berth-team-namespace"
        },
        "subjects": [{ "kind": "ServiceAccount", "name": "berth", "namespace": "berth" }],
    }))
    .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .patch("berth", &pp, &Patch::Apply(&binding))
        .await
        .unwrap();
}

async fn team(name: &str) -> Option<Team> {
    Api::<Team>::all(admin().await).get_opt(name).await.unwrap()
}

async fn wait_ready(name: &str) -> TeamStatus {
    wait_for(&format!("team {name} Ready"), PATIENCE, || async {
        let status = team(name).await?.status?;
        (status.condition("Ready")?.status == "True").then_some(status)
    })
    .await
}

async fn secret(namespace: &str, name: &str) -> Option<Secret> {
    Api::<Secret>::namespaced(admin().await, namespace)
        .get_opt(name)
        .await
        .unwrap()
}

/// The credentials a team's secret of that purpose holds now.
async fn credentials(team: &str, purpose: Purpose) -> Option<desired::Credentials> {
    let name = match purpose {
        Purpose::Pull => "harbor-pullsecret",
        Purpose::Push => "harbor-pushsecret",
        Purpose::Builds => "harbor-pushsecret-builds",
    };
    desired::credentials_in(
        &secret(&format!("team-{team}"), name).await?,
        purpose,
        &env("BERTH_REGISTRY_HOST"),
    )
}

/// `docker login` against the fake registry: does Harbor accept these credentials?
async fn registry_accepts(creds: &desired::Credentials) -> bool {
    let url = format!("{}/v2/", env("FAKE_HARBOR_URL"));
    let response = reqwest::Client::new()
        .get(url)
        .basic_auth(&creds.username, Some(creds.token.expose_secret()))
        .send()
        .await
        .unwrap();
    response.status().is_success()
}

async fn every_secret_works(team: &str) -> bool {
    for purpose in Purpose::ALL {
        match credentials(team, purpose).await {
            Some(creds) if registry_accepts(&creds).await => {}
            _ => return false,
        }
    }
    true
}

async fn team_robots(team: &str) -> Vec<app::server::harbor::Robot> {
    let robots = harbor().list_robots().await.unwrap();
    robots
        .into_iter()
        .filter(|r| desired::robot_purpose(&r.name, "robot$", team).is_some())
        .collect()
}

async fn audit_events(team: &str, action: &str) -> Vec<Event> {
    let events = Api::<Event>::namespaced(admin().await, "default")
        .list(&ListParams::default().labels("berth.dev/audit=true"))
        .await
        .unwrap();
    let annotation = |e: &Event, key: &str| {
        e.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(key))
            .cloned()
            .unwrap_or_default()
    };
    events
        .items
        .into_iter()
        .filter(|e| {
            annotation(e, "berth.dev/team") == team && annotation(e, "berth.dev/action") == action
        })
        .collect()
}

/// Berth's /metrics as (name with labels, value) pairs.
async fn metrics(base: &str) -> Vec<(String, f64)> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(k, v)| Some((k.to_owned(), v.parse().ok()?)))
        .collect()
}

async fn metric_sum(base: &str, prefix: &str) -> f64 {
    metrics(base)
        .await
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| v)
        .sum()
}

/// Writes by Berth's ServiceAccount in the apiserver's audit log, Lease renewals aside (leader
/// election renews every few seconds by design; it is not team state).
fn kubernetes_writes_by_berth() -> usize {
    let log = std::fs::read_to_string(env("BERTH_STACK_AUDIT_LOG")).unwrap();
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            e["stage"] == "ResponseComplete"
                && e["user"]["username"] == "system:serviceaccount:berth:berth"
        })
        .filter(|e| {
            matches!(
                e["verb"].as_str(),
                Some("create" | "update" | "patch" | "delete")
            )
        })
        .filter(|e| {
            e["objectRef"]["resource"] != "leases" && e["objectRef"]["resource"] != "events"
        })
        .count()
}

#[tokio::test]
async fn onboarding_from_zero() {
    create_team("it-onboard", &["it-onboard-devs"]).await;
    let status = wait_ready("it-onboard").await;
    for condition in [
        "Ready",
        "HarborProject",
        "Members",
        "Robots",
        "Secrets",
        "Namespaces",
    ] {
        assert_eq!(
            status.condition(condition).map(|c| c.status.as_str()),
            Some("True"),
            "{condition}: {status:?}"
        );
    }
    let harbor = harbor();
    let project = harbor
        .find_project("team-it-onboard")
        .await
        .unwrap()
        .expect("the project was created");
    assert_eq!(project.name, "team-it-onboard");
    let members = harbor.list_members("team-it-onboard").await.unwrap();
    let role_of = |group: &str| {
        members
            .iter()
            .find(|m| m.entity_name == group && m.entity_type == "g")
            .map(|m| m.role_id)
    };
    assert_eq!(
        role_of("it-onboard-devs"),
        Some(2),
        "the team's group is a Developer: {members:?}"
    );
    assert_eq!(
        role_of("berth-admins"),
        Some(1),
        "the platform admins are Project Admins"
    );

    let mut robots = team_robots("it-onboard").await;
    robots.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<_> = robots.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "robot$berth-it-onboard-builds",
            "robot$berth-it-onboard-pull",
            "robot$berth-it-onboard-push"
        ]
    );
    for robot in &robots {
        assert_eq!(robot.level.as_deref(), Some("system"));
        let purpose = desired::robot_purpose(&robot.name, "robot$", "it-onboard").unwrap();
        assert!(
            desired::permissions_match(
                &robot.permissions,
                &desired::permissions("team-it-onboard", purpose)
            ),
            "{robot:?}"
        );
    }
    for (name, kind) in [
        ("harbor-pullsecret", "kubernetes.io/dockerconfigjson"),
        ("harbor-pushsecret", "kubernetes.io/dockerconfigjson"),
        ("harbor-pushsecret-builds", "Opaque"),
    ] {
        let s = secret("team-it-onboard", name).await.expect(name);
        assert_eq!(s.type_.as_deref(), Some(kind));
        assert_eq!(
            s.metadata
                .labels
                .as_ref()
                .unwrap()
                .get("app.kubernetes.io/managed-by")
                .map(String::as_str),
            Some("berth")
        );
        assert!(
            s.metadata
                .managed_fields
                .iter()
                .flatten()
                .any(|m| m.manager.as_deref() == Some("berth")
                    && m.operation.as_deref() == Some("Apply")),
            "server-side apply by berth"
        );
    }
    assert!(
        secret("team-it-onboard", "harbor-pullsecret-next")
            .await
            .is_none(),
        "no pending secret is left"
    );
    assert!(
        every_secret_works("it-onboard").await,
        "Harbor accepts every secret's credentials"
    );
    let account = Api::<ServiceAccount>::namespaced(admin().await, "team-it-onboard")
        .get("default")
        .await
        .unwrap();
    let pulls: Vec<_> = account
        .image_pull_secrets
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(
        pulls,
        ["someone-elses-secret", "harbor-pullsecret"],
        "the pull secret is added, nothing else changes"
    );
    let text = serde_json::to_string(&status).unwrap();
    for purpose in Purpose::ALL {
        let token = credentials("it-onboard", purpose).await.unwrap().token;
        assert!(
            !text.contains(token.expose_secret()),
            "the status holds fingerprints, never tokens"
        );
    }
}

#[tokio::test]
async fn steady_state_makes_no_writes() {
    let berth = env("BERTH_PUBLIC_URL");
    let berth = berth.trim_end_matches('/');
    // The teams the stack's Berth reconciles (BERTH_TEAM_SELECTOR): those of the Kubernetes fault
    // test belong to the Berth that test started and stopped.
    let teams = Api::<Team>::all(admin().await)
        .list(&ListParams::default().labels("!berth.dev/kube-faults"))
        .await
        .unwrap()
        .items;
    for t in &teams {
        wait_ready(&t.team_name()).await;
    }
    // Let the last writes settle (a status written by an earlier test, a robot retiring).
    let settling = Instant::now();
    let mut quiet_since = Instant::now();
    let mut last = metric_sum(berth, "berth_reconcile_writes_total").await;
    loop {
        assert!(
            settling.elapsed() < PATIENCE,
            "Berth kept writing for {PATIENCE:?}"
        );
        let now = metric_sum(berth, "berth_reconcile_writes_total").await;
        if now == last && quiet_since.elapsed() > Duration::from_secs(6) {
            break;
        }
        if now != last {
            last = now;
            quiet_since = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    reqwest::Client::new()
        .delete(format!("{}/__fake/stats", env("FAKE_HARBOR_URL")))
        .send()
        .await
        .unwrap();
    let passes_before = metric_sum(berth, "berth_reconcile_passes_total").await;
    let writes_before = metric_sum(berth, "berth_reconcile_writes_total").await;
    let kube_before = kubernetes_writes_by_berth();
    // Two resync periods: every team is reconciled at least twice.
    tokio::time::sleep(Duration::from_secs(12)).await;
    let stats: serde_json::Value = reqwest::get(format!("{}/__fake/stats", env("FAKE_HARBOR_URL")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let passes = metric_sum(berth, "berth_reconcile_passes_total").await - passes_before;
    let writes = metric_sum(berth, "berth_reconcile_writes_total").await - writes_before;
    let kube_writes = kubernetes_writes_by_berth() - kube_before;
    println!(
        "steady state over {} teams: {passes} passes, Harbor {} requests / {} writes, \
         Berth-counted writes {writes}, apiserver-audited writes {kube_writes}",
        teams.len(),
        stats["requests"],
        stats["writes"]
    );
    assert!(
        passes >= 2.0 * teams.len() as f64,
        "every team was reconciled twice ({passes} passes)"
    );
    assert_eq!(stats["writes"], 0, "no write to Harbor: {stats}");
    assert_eq!(writes, 0.0);
    assert_eq!(kube_writes, 0, "no write to Kubernetes");
    // Two probes per check of Harbor's view, at most one check per 10 s (plus one full read of 4
    // when the view was written to just before).
    assert!(
        stats["requests"].as_u64().unwrap() <= 8,
        "Harbor reads stay a handful: {stats}"
    );
}

#[tokio::test]
async fn a_deleted_secret_is_restored_with_the_token_people_hold() {
    create_team("it-secret", &["it-secret-devs"]).await;
    wait_ready("it-secret").await;
    let before = credentials("it-secret", Purpose::Push).await.unwrap();
    Api::<Secret>::namespaced(admin().await, "team-it-secret")
        .delete("harbor-pushsecret", &DeleteParams::default())
        .await
        .unwrap();
    let after = wait_for("the push secret back", PATIENCE, || async {
        credentials("it-secret", Purpose::Push).await
    })
    .await;
    assert_eq!(
        after.username, before.username,
        "the same robot keeps serving"
    );
    assert_eq!(
        after.token.expose_secret(),
        before.token.expose_secret(),
        "put back from Berth's copy"
    );
    assert!(
        registry_accepts(&before).await,
        "a copy downloaded before the loss still works"
    );
}

#[tokio::test]
async fn a_deleted_secret_without_berths_copy_gets_a_new_token_and_says_so() {
    create_team("it-reissue", &["it-reissue-devs"]).await;
    wait_ready("it-reissue").await;
    let before = credentials("it-reissue", Purpose::Push).await.unwrap();
    Api::<Secret>::namespaced(admin().await, "berth")
        .delete(
            &desired::token_copy_name("it-reissue"),
            &DeleteParams::default(),
        )
        .await
        .unwrap();
    Api::<Secret>::namespaced(admin().await, "team-it-reissue")
        .delete("harbor-pushsecret", &DeleteParams::default())
        .await
        .unwrap();
    let after = wait_for("the push secret back", PATIENCE, || async {
        credentials("it-reissue", Purpose::Push).await
    })
    .await;
    assert_eq!(after.username, before.username, "the same robot");
    assert!(registry_accepts(&after).await);
    assert!(
        !registry_accepts(&before).await,
        "the lost token no longer works"
    );
    let reissued = wait_for("the status to say so", PATIENCE, || async {
        let team = Api::<Team>::all(admin().await)
            .get("it-reissue")
            .await
            .ok()?;
        team.status?.robot("push")?.reissued_at.clone()
    })
    .await;
    assert!(!reissued.is_empty());
}

#[tokio::test]
async fn a_secret_whose_labels_were_removed_keeps_its_token() {
    // Berth lists a team's secrets by its labels; one edited out of that list is still Berth's to
    // keep, not a lost secret to replace with a new token.
    create_team("it-labels", &["it-labels-devs"]).await;
    wait_ready("it-labels").await;
    let before = credentials("it-labels", Purpose::Push).await.unwrap();
    let secrets = Api::<Secret>::namespaced(admin().await, "team-it-labels");
    let unlabel = serde_json::json!({ "metadata": { "labels": {
        desired::MANAGED_BY_LABEL: null, desired::TEAM_LABEL: null } } });
    secrets
        .patch(
            "harbor-pushsecret",
            &PatchParams::default(),
            &Patch::Merge(&unlabel),
        )
        .await
        .unwrap();
    wait_for(
        "Berth's labels back on the push secret",
        PATIENCE,
        || async {
            let secret = secrets.get("harbor-pushsecret").await.ok()?;
            let labels = secret.metadata.labels.unwrap_or_default();
            (labels.get(desired::TEAM_LABEL).map(String::as_str) == Some("it-labels")).then_some(())
        },
    )
    .await;
    let after = credentials("it-labels", Purpose::Push).await.unwrap();
    assert_eq!(after.username, before.username);
    assert_eq!(
        after.token.expose_secret(),
        before.token.expose_secret(),
        "the same token, not a new one"
    );
    assert!(registry_accepts(&after).await);
}

#[tokio::test]
async fn a_deleted_robot_is_recreated_with_the_secrets_token() {
    create_team("it-robot", &["it-robot-devs"]).await;
    wait_ready("it-robot").await;
    let creds = credentials("it-robot", Purpose::Pull).await.unwrap();
    let robot = team_robots("it-robot")
        .await
        .into_iter()
        .find(|r| r.name == creds.username)
        .unwrap();
    harbor().delete_robot(robot.id).await.unwrap();
    assert!(!registry_accepts(&creds).await);
    wait_for("the pull robot recreated", PATIENCE, || async {
        registry_accepts(&creds).await.then_some(())
    })
    .await;
    assert_eq!(
        credentials("it-robot", Purpose::Pull)
            .await
            .unwrap()
            .token
            .expose_secret(),
        creds.token.expose_secret(),
        "the secret did not change"
    );
}

#[tokio::test]
async fn a_token_refreshed_in_harbor_is_set_back() {
    create_team("it-refresh", &["it-refresh-devs"]).await;
    wait_ready("it-refresh").await;
    let creds = credentials("it-refresh", Purpose::Builds).await.unwrap();
    let robot = team_robots("it-refresh")
        .await
        .into_iter()
        .find(|r| r.name == creds.username)
        .unwrap();
    // What "refresh secret" in Harbor's UI does.
    harbor()
        .set_robot_secret(robot.id, &SecretString::from("Someb0dyElsesToken"))
        .await
        .unwrap();
    assert!(!registry_accepts(&creds).await);
    wait_for("the secret's token set back", PATIENCE, || async {
        registry_accepts(&creds).await.then_some(())
    })
    .await;
}

#[tokio::test]
async fn drifted_permissions_are_corrected() {
    create_team("it-perms", &["it-perms-devs"]).await;
    wait_ready("it-perms").await;
    let robot = team_robots("it-perms")
        .await
        .into_iter()
        .find(|r| r.name.ends_with("-push"))
        .unwrap();
    let pull_only = desired::permissions("team-it-perms", Purpose::Pull);
    let robot_now = RobotCreate {
        name: robot.name.clone(),
        description: "changed by hand".into(),
        level: "system".into(),
        duration: -1,
        disable: true,
        permissions: pull_only,
    };
    let update = RobotUpdate {
        id: robot.id,
        robot: robot_now,
    };
    harbor().update_robot(&update).await.unwrap();
    wait_for("push permissions back", PATIENCE, || async {
        let r = team_robots("it-perms")
            .await
            .into_iter()
            .find(|r| r.id == robot.id)?;
        (desired::permissions_match(
            &r.permissions,
            &desired::permissions("team-it-perms", Purpose::Push),
        ) && !r.disable)
            .then_some(())
    })
    .await;
    assert!(registry_accepts(&credentials("it-perms", Purpose::Push).await.unwrap()).await);
}

#[tokio::test]
async fn changing_the_groups_moves_the_harbor_membership() {
    create_team("it-groups", &["it-groups-old"]).await;
    wait_ready("it-groups").await;
    // Somebody adds a group by hand in Harbor: not Berth's to remove.
    harbor()
        .add_group_member(
            "team-it-groups",
            &app::server::harbor::MemberGroup::Oidc("hand-added".into()),
            app::server::harbor::ProjectRole::Guest,
        )
        .await
        .unwrap();
    let patch = serde_json::json!({ "spec": { "groups": ["it-groups-new"] } });
    Api::<Team>::all(admin().await)
        .patch("it-groups", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let names = wait_for("the new group in, the old one out", PATIENCE, || async {
        let members = harbor().list_members("team-it-groups").await.ok()?;
        let names: Vec<String> = members
            .iter()
            .filter(|m| m.entity_type == "g")
            .map(|m| m.entity_name.clone())
            .collect();
        (names.contains(&"it-groups-new".to_string())
            && !names.contains(&"it-groups-old".to_string()))
        .then_some(names)
    })
    .await;
    assert!(
        names.contains(&"hand-added".to_string()) && names.contains(&"berth-admins".to_string()),
        "{names:?}"
    );
}

#[tokio::test]
async fn a_deleted_project_is_recreated_with_its_members() {
    create_team("it-project", &["it-project-devs"]).await;
    wait_ready("it-project").await;
    harbor().delete_project("team-it-project").await.unwrap();
    wait_for("the project back with its members", PATIENCE, || async {
        harbor().find_project("team-it-project").await.unwrap()?;
        let members = harbor().list_members("team-it-project").await.ok()?;
        members
            .iter()
            .any(|m| m.entity_name == "it-project-devs" && m.role_id == 2)
            .then_some(())
    })
    .await;
    wait_ready("it-project").await;
}

#[tokio::test]
async fn rotation_has_no_moment_of_rejected_logins() {
    create_team("it-rotate", &["it-rotate-devs"]).await;
    wait_ready("it-rotate").await;
    let old = credentials("it-rotate", Purpose::Push).await.unwrap();
    let old_robot = team_robots("it-rotate")
        .await
        .into_iter()
        .find(|r| r.name == old.username)
        .unwrap();
    // A workload logging in continuously with whatever the secret holds at that moment.
    let poller = tokio::spawn(async move {
        let (mut ok, mut rejected, mut users) = (0u32, 0u32, std::collections::BTreeSet::new());
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(25) {
            if let Some(creds) = credentials("it-rotate", Purpose::Push).await {
                if registry_accepts(&creds).await {
                    ok += 1;
                } else {
                    rejected += 1;
                }
                users.insert(creds.username);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (ok, rejected, users)
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let api = Api::<Team>::all(admin().await);
    let patch = serde_json::json!({
        "metadata": {
            "annotations": { "berth.dev/rotate-push": "2026-11-23T00:00:00Z by it-tester" }
        }
    });
    api.patch("it-rotate", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let new = wait_for("the push secret switched", PATIENCE, || async {
        credentials("it-rotate", Purpose::Push)
            .await
            .filter(|c| c.username != old.username)
    })
    .await;
    assert!(
        new.username.starts_with("robot$berth-it-rotate-push-r"),
        "{}",
        new.username
    );
    // The old robot works through the grace period (5 s in the tests), then goes.
    wait_for("the old robot deleted", PATIENCE, || async {
        (!team_robots("it-rotate")
            .await
            .iter()
            .any(|r| r.id == old_robot.id))
        .then_some(())
    })
    .await;
    let (ok, rejected, users) = poller.await.unwrap();
    println!("rotation: {ok} logins accepted, {rejected} rejected, robots seen {users:?}");
    assert_eq!(rejected, 0, "no login was rejected during the rotation");
    assert!(users.contains(&old.username) && users.contains(&new.username));
    assert!(
        !registry_accepts(&old).await,
        "the old token is gone with its robot"
    );
    let status = wait_ready("it-rotate").await;
    assert!(status.retiring.is_empty(), "{status:?}");
    assert_eq!(
        status.robot("push").unwrap().rotation_handled.as_deref(),
        Some("2026-11-23T00:00:00Z by it-tester")
    );
    let events = audit_events("it-rotate", "rotation").await;
    assert_eq!(events.len(), 1, "one rotation record");
    assert_eq!(
        events[0]
            .metadata
            .annotations
            .as_ref()
            .unwrap()
            .get("berth.dev/actor")
            .map(String::as_str),
        Some("it-tester")
    );
}

#[tokio::test]
async fn offboarding_removes_robots_and_secrets_and_keeps_the_project() {
    create_team("it-offboard", &["it-offboard-devs"]).await;
    wait_ready("it-offboard").await;
    assert_eq!(team_robots("it-offboard").await.len(), 3);
    Api::<Team>::all(admin().await)
        .delete("it-offboard", &DeleteParams::default())
        .await
        .unwrap();
    wait_for("the Team gone (finalizer done)", PATIENCE, || async {
        team("it-offboard").await.is_none().then_some(())
    })
    .await;
    assert!(
        team_robots("it-offboard").await.is_empty(),
        "robots deleted"
    );
    for name in [
        "harbor-pullsecret",
        "harbor-pushsecret",
        "harbor-pushsecret-builds",
    ] {
        assert!(
            secret("team-it-offboard", name).await.is_none(),
            "{name} deleted"
        );
    }
    let account = Api::<ServiceAccount>::namespaced(admin().await, "team-it-offboard")
        .get("default")
        .await
        .unwrap();
    let pulls: Vec<_> = account
        .image_pull_secrets
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(pulls, ["someone-elses-secret"]);
    assert!(
        harbor()
            .find_project("team-it-offboard")
            .await
            .unwrap()
            .is_some(),
        "the project is kept by default"
    );
    assert_eq!(audit_events("it-offboard", "offboard").await.len(), 1);
}

/// A namespace with a `default` ServiceAccount carrying somebody else's pull secret; with Berth's
/// RoleBinding when `bound`.
async fn create_namespace(ns: &str, bound: bool) {
    let client = admin().await;
    let pp = PatchParams::apply("reconcile-test").force();
    let namespace: Namespace = serde_json::from_value(
        serde_json::json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": ns } }),
    )
    .unwrap();
    Api::<Namespace>::all(client.clone())
        .patch(ns, &pp, &Patch::Apply(&namespace))
        .await
        .unwrap();
    let account: ServiceAccount = serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": { "name": "default", "namespace": ns },
        "imagePullSecrets": [{ "name": "someone-elses-secret" }],
    }))
    .unwrap();
    Api::<ServiceAccount>::namespaced(client, ns)
        .patch("default", &pp, &Patch::Apply(&account))
        .await
        .unwrap();
    if bound {
        grant_namespace_access(ns).await;
    }
}

async fn list_namespaces(team: &str, namespaces: &[&str]) {
    let patch = serde_json::json!({ "spec": { "namespaces": namespaces } });
    Api::<Team>::all(admin().await)
        .patch(team, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}

/// Waits until the Team reports exactly these namespace states (`"web Delivered"`, sorted).
async fn wait_namespace_states(team_name: &str, wanted: &[&str]) -> TeamStatus {
    let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
    wait_for(
        &format!("{team_name}'s namespaces {wanted:?}"),
        PATIENCE,
        || async {
            let status = team(team_name).await?.status?;
            let states: Vec<String> = status
                .namespaces
                .iter()
                .map(|n| format!("{} {}", n.name, n.state.as_str()))
                .collect();
            (states == wanted).then_some(status)
        },
    )
    .await
}

async fn pull_entries(ns: &str) -> Vec<String> {
    let account = Api::<ServiceAccount>::namespaced(admin().await, ns)
        .get("default")
        .await
        .unwrap();
    account
        .image_pull_secrets
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[tokio::test]
async fn a_team_over_several_namespaces_and_a_namespace_two_teams_name() {
    create_team("it-spread", &["it-spread-devs"]).await;
    for (ns, bound) in [
        ("it-spread-web", true),
        ("it-spread-jobs", true),
        ("it-spread-locked", false),
    ] {
        create_namespace(ns, bound).await;
    }
    wait_ready("it-spread").await;
    list_namespaces(
        "it-spread",
        &["it-spread-web", "it-spread-jobs", "it-spread-locked"],
    )
    .await;

    // Without Berth's RoleBinding: reported with the command that grants it; the rest delivered.
    let status = wait_namespace_states(
        "it-spread",
        &[
            "it-spread-jobs Delivered",
            "it-spread-locked NoAccess",
            "it-spread-web Delivered",
        ],
    )
    .await;
    let locked = status
        .namespaces
        .iter()
        .find(|n| n.name == "it-spread-locked")
        .unwrap();
    assert!(
        locked
            .message
            .contains("kubectl -n it-spread-locked create rolebinding berth"),
        "{locked:?}"
    );
    assert_eq!(
        status.condition("Ready").unwrap().reason,
        "NamespacesIncomplete"
    );
    let home = secret("team-it-spread", "harbor-pullsecret").await.unwrap();
    for ns in ["it-spread-web", "it-spread-jobs"] {
        let copy = secret(ns, "harbor-pullsecret")
            .await
            .expect("the pull secret");
        assert_eq!(copy.data, home.data, "{ns}");
        let creds = desired::credentials_in(&copy, Purpose::Pull, &env("BERTH_REGISTRY_HOST"))
            .expect("a login");
        assert!(
            registry_accepts(&creds).await,
            "{ns}: the registry takes its login"
        );
        assert_eq!(
            pull_entries(ns).await,
            ["someone-elses-secret", "harbor-pullsecret"]
        );
        for push in ["harbor-pushsecret", "harbor-pushsecret-builds"] {
            assert!(secret(ns, push).await.is_none(), "{push} stays home");
        }
    }

    // The platform binds Berth there: delivered on a later pass, and the team is Ready.
    grant_namespace_access("it-spread-locked").await;
    wait_namespace_states(
        "it-spread",
        &[
            "it-spread-jobs Delivered",
            "it-spread-locked Delivered",
            "it-spread-web Delivered",
        ],
    )
    .await;
    wait_ready("it-spread").await;

    // One namespace leaves the list: the secret and its entry go, the other entry stays.
    list_namespaces("it-spread", &["it-spread-jobs", "it-spread-locked"]).await;
    wait_namespace_states(
        "it-spread",
        &["it-spread-jobs Delivered", "it-spread-locked Delivered"],
    )
    .await;
    assert!(secret("it-spread-web", "harbor-pullsecret").await.is_none());
    assert_eq!(
        pull_entries("it-spread-web").await,
        ["someone-elses-secret"]
    );

    // One is deleted: reported as missing.
    Api::<Namespace>::all(admin().await)
        .delete("it-spread-jobs", &DeleteParams::default())
        .await
        .unwrap();
    wait_namespace_states(
        "it-spread",
        &["it-spread-jobs Missing", "it-spread-locked Delivered"],
    )
    .await;

    // A later Team naming it-spread-locked: refused there, the secret stays it-spread's.
    create_team("it-rival", &["it-rival-devs"]).await;
    list_namespaces("it-rival", &["it-spread-locked"]).await;
    let rival = wait_namespace_states("it-rival", &["it-spread-locked Claimed"]).await;
    assert!(
        rival.namespaces[0].message.contains("team it-spread holds"),
        "{rival:?}"
    );
    assert_eq!(rival.condition("Ready").unwrap().status, "False");
    let kept = secret("it-spread-locked", "harbor-pullsecret")
        .await
        .unwrap();
    assert_eq!(kept.metadata.labels.unwrap()["berth.dev/team"], "it-spread");

    // Offboarding takes the pull secret out of the further namespaces too.
    for name in ["it-rival", "it-spread"] {
        Api::<Team>::all(admin().await)
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
    }
    wait_for("both Teams gone", PATIENCE, || async {
        (team("it-rival").await.is_none() && team("it-spread").await.is_none()).then_some(())
    })
    .await;
    assert!(secret("it-spread-locked", "harbor-pullsecret")
        .await
        .is_none());
    assert_eq!(
        pull_entries("it-spread-locked").await,
        ["someone-elses-secret"]
    );
}

#[tokio::test]
async fn harbor_failing_mid_pass_leaves_nothing_half_written() {
    let guard = Restore("/__fake/faults", "{}");
    // Projects and members work; creating robots fails, as a Harbor with a broken database might.
    fake(
        "/__fake/faults",
        serde_json::json!({ "status": 500, "method": "POST", "path": "/robots" }),
    )
    .await;
    create_team("it-fault", &["it-fault-devs"]).await;
    let status = wait_for("the failure reported", PATIENCE, || async {
        let status = team("it-fault").await?.status?;
        (status.condition("Ready")?.status == "False").then_some(status)
    })
    .await;
    let robots = status.condition("Robots").unwrap();
    assert_eq!(
        (robots.status.as_str(), robots.reason.as_str()),
        ("False", "HarborRefused"),
        "{status:?}"
    );
    assert!(
        robots.message.contains("creating a robot account"),
        "{}",
        robots.message
    );
    assert_eq!(status.condition("HarborProject").unwrap().status, "True");
    for name in [
        "harbor-pullsecret",
        "harbor-pushsecret",
        "harbor-pushsecret-builds",
    ] {
        assert!(
            secret("team-it-fault", name).await.is_none(),
            "no secret naming a robot that does not exist: {name}"
        );
    }
    assert!(team_robots("it-fault").await.is_empty());
    drop(guard);
    wait_ready("it-fault").await;
    assert!(every_secret_works("it-fault").await);
    assert_eq!(
        team_robots("it-fault").await.len(),
        3,
        "exactly one robot per secret"
    );
    assert!(secret("team-it-fault", "harbor-pullsecret-next")
        .await
        .is_none());
}

/// While a fault holds: Ready is False for `reason` (with a message) and no team secret was
/// written.
async fn fault_reported_with_no_secret(name: &str, reason: &str) {
    let status = wait_for(&format!("{reason} reported"), PATIENCE, || async {
        let status = team(name).await?.status?;
        let ready = status.condition("Ready")?;
        (ready.status == "False" && ready.reason == reason).then_some(status)
    })
    .await;
    assert!(!status.condition("Ready").unwrap().message.is_empty());
    for secret_name in [
        "harbor-pullsecret",
        "harbor-pushsecret",
        "harbor-pushsecret-builds",
    ] {
        assert!(
            secret(&format!("team-{name}"), secret_name).await.is_none(),
            "{reason}: no secret was half-written: {secret_name}"
        );
    }
}

/// After a fault cleared: Ready, every secret logs in, one robot per secret.
async fn converged_with_one_robot_per_secret(name: &str, reason: &str) {
    wait_ready(name).await;
    assert!(every_secret_works(name).await, "{reason}: converged");
    assert_eq!(
        team_robots(name).await.len(),
        3,
        "{reason}: one robot per secret"
    );
}

/// One row of the fault matrix: `fault` is set in the fake Harbor, a new team must then report
/// `reason` on its Ready condition with nothing half-written (no robot in Harbor, no secret), and
/// once the fault is cleared the next pass must converge: three robots, every secret logging in.
async fn fault_then_convergence(name: &str, fault: serde_json::Value, reason: &str) {
    let guard = Restore("/__fake/faults", "{}");
    fake("/__fake/faults", fault).await;
    create_team(name, &[&format!("{name}-devs")]).await;
    fault_reported_with_no_secret(name, reason).await;
    drop(guard);
    assert!(
        team_robots(name).await.is_empty(),
        "{reason}: no robot was made"
    );
    converged_with_one_robot_per_secret(name, reason).await;
}

#[tokio::test]
async fn harbor_refusing_to_create_the_project_409() {
    // Harbor's 409 on POST /projects: a project by that name appeared between
    // Berth's check and its create.
    fault_then_convergence(
        "it-f409",
        serde_json::json!({ "status": 409, "method": "POST", "path": "/projects" }),
        "HarborRefused",
    )
    .await;
}

/// Harbor's robot_name_prefix is not BERTH_HARBOR_ROBOT_PREFIX: Harbor names the new robot
/// otherwise than the secret Berth wrote (src/controller/robot/controller.go adds the prefix it is
/// configured with). Berth deletes that robot and says which setting to change, instead of writing
/// secrets with a username Harbor does not know and then meeting its 409 on every pass.
#[tokio::test]
async fn a_robot_prefix_unlike_harbors_is_named_and_undone() {
    let name = "it-prefix";
    let guard = Restore("/__fake/system", r#"{"robot_prefix":"robot$"}"#);
    fake(
        "/__fake/system",
        serde_json::json!({ "robot_prefix": "bot$" }),
    )
    .await;
    create_team(name, &["it-prefix-devs"]).await;
    fault_reported_with_no_secret(name, "RobotPrefixMismatch").await;
    let message = team(name)
        .await
        .and_then(|t| t.status)
        .and_then(|s| s.condition("Ready").map(|c| c.message.clone()))
        .unwrap();
    assert!(
        message.contains("BERTH_HARBOR_ROBOT_PREFIX") && message.contains(r#""bot$""#),
        "{message}"
    );
    let left: Vec<_> = harbor()
        .list_robots()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.name.contains("berth-it-prefix-"))
        .map(|r| r.name)
        .collect();
    assert!(
        left.is_empty(),
        "the misnamed robots were deleted: {left:?}"
    );
    drop(guard);
    converged_with_one_robot_per_secret(name, "RobotPrefixMismatch").await;
}

/// Harbor in db_auth mode has no groups (src/controller/member/controller.go answers 404 for a
/// group it cannot find): Berth makes no members, says why on the Members condition, and the team
/// is Ready with its robots and secrets.
#[tokio::test]
async fn a_harbor_without_groups_gets_robots_and_secrets_and_a_reason() {
    let name = "it-dbauth";
    let _mode = Restore("/__fake/system", "{}");
    fake(
        "/__fake/system",
        serde_json::json!({ "auth_mode": "db_auth" }),
    )
    .await;
    create_team(name, &["it-dbauth-devs"]).await;
    let status = wait_ready(name).await;
    let members = status.condition("Members").unwrap();
    assert_eq!(
        (members.status.as_str(), members.reason.as_str()),
        ("True", "HarborHasNoGroups")
    );
    assert!(members.message.contains("db_auth"), "{}", members.message);
    assert!(every_secret_works(name).await);
    let groups: Vec<_> = harbor()
        .list_members("team-it-dbauth")
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.entity_type == "g")
        .collect();
    assert!(groups.is_empty(), "no group was made: {groups:?}");
}

/// Harbor in ldap_auth mode names groups by DN, and Berth cannot make one of a plain name without
/// BERTH_LDAP_GROUP_DN: the Members condition says what to set, and the robots and secrets are made
/// all the same (a membership failure used to end the pass before them).
#[tokio::test]
async fn a_membership_that_cannot_be_made_does_not_stop_robots_and_secrets() {
    let name = "it-ldap";
    let _mode = Restore("/__fake/system", "{}");
    fake(
        "/__fake/system",
        serde_json::json!({ "auth_mode": "ldap_auth" }),
    )
    .await;
    create_team(name, &["it-ldap-devs"]).await;
    let status = wait_for("the Members condition refused", PATIENCE, || async {
        let status = team(name).await?.status?;
        (status.condition("Members")?.reason == "LdapGroupWithoutDn"
            && status.condition("Secrets")?.status == "True")
            .then_some(status)
    })
    .await;
    let ready = status.condition("Ready").unwrap();
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", "LdapGroupWithoutDn")
    );
    assert!(status
        .condition("Members")
        .unwrap()
        .message
        .contains("BERTH_LDAP_GROUP_DN"));
    assert!(
        every_secret_works(name).await,
        "robots and secrets were made"
    );
}

#[tokio::test]
async fn harbor_rejecting_berths_credentials_401() {
    // Only this team's project paths (its members, where the spec documents 401), so the other
    // teams' passes go on. A membership Harbor refuses is reported, and the robots and secrets are
    // made all the same.
    let name = "it-f401";
    let guard = Restore("/__fake/faults", "{}");
    fake(
        "/__fake/faults",
        serde_json::json!({ "status": 401, "path": "/projects/team-it-f401/" }),
    )
    .await;
    create_team(name, &["it-f401-devs"]).await;
    let status = wait_for(
        "HarborUnauthorized on Members, secrets made",
        PATIENCE,
        || async {
            let status = team(name).await?.status?;
            let ready = status.condition("Ready")?;
            (ready.status == "False"
                && ready.reason == "HarborUnauthorized"
                && status.condition("Secrets")?.status == "True")
                .then_some(status)
        },
    )
    .await;
    assert_eq!(status.condition("Members").unwrap().status, "False");
    assert!(
        every_secret_works(name).await,
        "robots and secrets were made"
    );
    drop(guard);
    converged_with_one_robot_per_secret(name, "HarborUnauthorized").await;
}

#[tokio::test]
async fn harbor_timing_out() {
    // Past BERTH_HARBOR_TIMEOUT_SECS (2 s in the tests).
    fault_then_convergence(
        "it-ftimeout",
        serde_json::json!({ "latency_ms": 2600 }),
        "HarborTimeout",
    )
    .await;
}

#[tokio::test]
async fn harbor_answering_slowly_still_converges() {
    let guard = Restore("/__fake/faults", "{}");
    fake("/__fake/faults", serde_json::json!({ "latency_ms": 400 })).await;
    create_team("it-fslow", &["it-fslow-devs"]).await;
    wait_ready("it-fslow").await;
    assert!(every_secret_works("it-fslow").await);
    assert_eq!(team_robots("it-fslow").await.len(), 3);
    drop(guard);
}

#[tokio::test]
async fn kubernetes_refusing_berth_in_the_namespace_403() {
    // The namespace exists but the platform has not bound Berth's role there: every read is a 403.
    create_team_with_access("it-f403", &["it-f403-devs"], false).await;
    let status = wait_for("NoNamespaceAccess reported", PATIENCE, || async {
        let status = team("it-f403").await?.status?;
        let ready = status.condition("Ready")?;
        (ready.status == "False" && ready.reason == "NoNamespaceAccess").then_some(status)
    })
    .await;
    assert!(
        status
            .condition("Ready")
            .unwrap()
            .message
            .contains("RoleBinding"),
        "{status:?}"
    );
    assert!(
        team_robots("it-f403").await.is_empty(),
        "no robot whose secret could not be written"
    );
    grant_namespace_access("team-it-f403").await;
    wait_ready("it-f403").await;
    assert!(every_secret_works("it-f403").await);
    assert_eq!(team_robots("it-f403").await.len(), 3);
}

/// A second Berth process, on its own port, reconciling no Team (a selector nothing matches) but
/// taking part in the election for the Lease `lease`.
fn spawn_berth(port: u16, instance: &str, lease: &str) -> std::process::Child {
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/berth");
    std::process::Command::new(binary)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("BERTH_INSTANCE", instance)
        .env("BERTH_LEASE_NAME", lease)
        .env("BERTH_TEAM_SELECTOR", "berth.dev/none=true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn one_of_two_berths_reconciles_and_the_lease_moves_when_it_dies() {
    let lease = format!("it-lease-{}", std::process::id());
    let mut first = spawn_berth(3101, "it-first", &lease);
    let mut second = spawn_berth(3102, "it-second", &lease);
    let leader = |port: u16| async move {
        metrics(&format!("http://127.0.0.1:{port}"))
            .await
            .iter()
            .find(|(k, _)| k == "berth_reconciler_leader")
            .map(|(_, v)| *v)
    };
    let leaders = wait_for("one leader", PATIENCE, || async {
        let (a, b) = (
            reqwest::get("http://127.0.0.1:3101/healthz").await.ok()?,
            reqwest::get("http://127.0.0.1:3102/healthz").await.ok()?,
        );
        if !(a.status().is_success() && b.status().is_success()) {
            return None;
        }
        let (a, b) = (leader(3101).await?, leader(3102).await?);
        (a + b == 1.0).then_some((a, b))
    })
    .await;
    // Still exactly one a few renewals later.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        leader(3101).await.unwrap() + leader(3102).await.unwrap(),
        1.0
    );
    let (dead, survivor_port, survivor) = if leaders.0 == 1.0 {
        (&mut first, 3102, &mut second)
    } else {
        (&mut second, 3101, &mut first)
    };
    // SIGKILL: no chance to hand the Lease back; the survivor must wait for it to expire.
    dead.kill().unwrap();
    dead.wait().unwrap();
    let killed = Instant::now();
    wait_for("the survivor leading", PATIENCE, || async {
        (leader(survivor_port).await? == 1.0).then_some(())
    })
    .await;
    let handover = killed.elapsed();
    println!(
        "Lease hand-over after SIGKILL of the holder: {:.1} s",
        handover.as_secs_f64()
    );
    assert!(handover < Duration::from_secs(30), "{handover:?}");
    survivor.kill().unwrap();
    survivor.wait().unwrap();
}

/// Rules for the Kubernetes fault proxy (end2end/stack/kube-faults.mjs); `[]` clears them.
async fn kube_faults(rules: serde_json::Value) {
    let ca = std::fs::read(format!("{}/kube/pki/ca.crt", env("STACK"))).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let response = client
        .post(format!("{}/__faults", env("KUBE_FAULTS_URL")))
        .json(&serde_json::json!({ "rules": rules }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// A Berth that reconciles only the Teams labelled `berth.dev/kube-faults` (the stack's Berth
/// leaves them alone) and reaches Kubernetes through the fault proxy. Killed when dropped.
struct FaultBerth(std::process::Child);

impl FaultBerth {
    fn start(port: u16) -> Self {
        let binary =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/berth");
        let child = std::process::Command::new(binary)
            .env("KUBECONFIG", env("BERTH_STACK_FAULTS_KUBECONFIG"))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("BERTH_INSTANCE", "it-kube-faults")
            .env(
                "BERTH_LEASE_NAME",
                format!("it-kube-faults-{}", std::process::id()),
            )
            .env("BERTH_TEAM_SELECTOR", "berth.dev/kube-faults")
            .env("BERTH_RESYNC_SECS", "5")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        FaultBerth(child)
    }
}

impl Drop for FaultBerth {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One Kubernetes row of the fault matrix: while `rules` hold, a new team (reconciled by a
/// Berth behind the fault proxy) must report `reason` with nothing half-written (no
/// secret, no robot, Ready not True); once they are cleared the next pass converges: three
/// robots, every secret logging in.
async fn kube_fault_then_convergence(name: &str, rules: serde_json::Value, reason: &str) {
    kube_faults(rules).await;
    create_labelled_team(name, &[&format!("{name}-devs")], "berth.dev/kube-faults").await;
    fault_reported_with_no_secret(name, reason).await;
    // A robot may exist before its secret could be written, but never with a token Berth lost: its
    // own copy holds it, and the next pass finishes with that token.
    for robot in team_robots(name).await {
        let purpose = desired::robot_purpose(&robot.name, "robot$", name).expect("a team robot");
        let kept = Api::<Secret>::namespaced(admin().await, "berth")
            .get_opt(&desired::token_copy_name(name))
            .await
            .unwrap();
        assert_eq!(
            kept.as_ref()
                .and_then(|copy| desired::copied_tokens(copy).remove(&purpose))
                .map(|c| c.username),
            Some(robot.name.clone()),
            "{reason}: no robot without Berth's copy of its token"
        );
    }
    kube_faults(serde_json::json!([])).await;
    converged_with_one_robot_per_secret(name, reason).await;
}

#[tokio::test]
async fn kubernetes_faults_409_500_and_unreachable() {
    // One Berth for the three rows (they run one after another: the proxy's rules are global).
    let _berth = FaultBerth::start(3103);
    // 409 on writing a secret: another field manager holds it (server-side apply without force).
    kube_fault_then_convergence(
        "it-k409",
        serde_json::json!([
            { "method": "PATCH", "path": "/namespaces/team-it-k409/secrets", "status": 409 }
        ]),
        "KubernetesConflict",
    )
    .await;
    kube_fault_then_convergence(
        "it-k500",
        serde_json::json!([{ "path": "/namespaces/team-it-k500/secrets", "status": 500 }]),
        "KubernetesError",
    )
    .await;
    // The apiserver unreachable for everything in the team's namespace (connections dropped).
    kube_fault_then_convergence(
        "it-kdown",
        serde_json::json!([{ "path": "/namespaces/team-it-kdown/", "drop": true }]),
        "KubernetesUnreachable",
    )
    .await;
    kube_faults(serde_json::json!([])).await;
}
