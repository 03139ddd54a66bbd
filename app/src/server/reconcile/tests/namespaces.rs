//! A team over several namespaces: the pull secret delivered to each (on its `default`
//! ServiceAccount), taken back from one that leaves the list, each gap reported with its remedy,
//! and a namespace two Teams name held by one of them only.
use super::*;

/// A namespace with its `default` ServiceAccount, which carries somebody else's pull secret.
fn namespace(world: &World, name: &str) {
    world.api.put(
        NAMESPACES,
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name } }),
    );
    world.api.put(
        &accounts(name),
        json!({ "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": { "name": "default", "namespace": name },
                "imagePullSecrets": [{ "name": OTHERS_PULL_SECRET }] }),
    );
}

fn secrets(namespace: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/secrets")
}

fn accounts(namespace: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/serviceaccounts")
}

fn list(world: &World, names: &[&str]) {
    world.edit_team(|team| team["spec"]["namespaces"] = json!(names));
}

fn pull_secret_in(world: &World, namespace: &str) -> Option<Secret> {
    let name = world.secret_name(Purpose::Pull);
    let value = world.api.get(&secrets(namespace), &name)?;
    Some(serde_json::from_value(value).expect("a Secret"))
}

/// Each further namespace's state, as `"web Delivered"`.
fn states(world: &World) -> Vec<String> {
    world
        .status()
        .namespaces
        .iter()
        .map(|n| format!("{} {}", n.name, n.state.as_str()))
        .collect()
}

fn another_team(world: &World, name: &str, created: &str, spec: Value) {
    world.api.put(
        TEAMS,
        json!({ "apiVersion": "berth.dev/v1alpha1", "kind": "Team",
                "metadata": { "name": name, "uid": format!("uid-{name}"), "generation": 1,
                              "creationTimestamp": created,
                              "finalizers": [super::super::FINALIZER] },
                "spec": spec }),
    );
}

#[tokio::test]
async fn the_pull_secret_reaches_every_listed_namespace_and_only_the_pull_secret() {
    let world = World::new().await;
    namespace(&world, "web");
    namespace(&world, "jobs");
    list(&world, &["web", "jobs"]);

    world.converge().await;

    let home = world.secret(Purpose::Pull).expect("the home pull secret");
    for ns in ["web", "jobs"] {
        let copy = pull_secret_in(&world, ns).expect("a copy");
        assert_eq!(copy.data, home.data, "{ns}: the same login as at home");
        assert_eq!(
            copy.type_.as_deref(),
            Some("kubernetes.io/dockerconfigjson")
        );
        assert_eq!(
            world.pull_secrets_on_account_in(ns),
            vec![
                OTHERS_PULL_SECRET.to_owned(),
                world.secret_name(Purpose::Pull)
            ]
        );
        for purpose in [Purpose::Push, Purpose::Builds] {
            let name = world.secret_name(purpose);
            assert!(
                world.api.get(&secrets(ns), &name).is_none(),
                "{name} stays home"
            );
        }
    }
    assert_eq!(states(&world), vec!["jobs Delivered", "web Delivered"]);
    assert_eq!(world.condition("Namespaces"), "True Delivered");
    assert_eq!(world.condition("Ready"), "True Reconciled");

    // Nothing drifted: the next pass reads and writes nothing new.
    world.forget_requests().await;
    world.converge().await;
    let writes = world.api.writes();
    assert!(
        writes.is_empty(),
        "a steady pass writes nothing: {writes:?}"
    );

    // A rotated pull secret follows to every namespace in the same pass.
    world.request_rotation(Purpose::Pull, "2030-01-01T00:00:00Z by alice");
    world.converge().await;
    let rotated = world.secret(Purpose::Pull).expect("the home pull secret");
    assert_ne!(rotated.data, home.data);
    for ns in ["web", "jobs"] {
        assert_eq!(
            pull_secret_in(&world, ns).expect("a copy").data,
            rotated.data,
            "{ns}"
        );
    }
}

#[tokio::test]
async fn a_namespace_that_leaves_the_list_is_cleared_and_others_entries_stay() {
    let world = World::new().await;
    namespace(&world, "web");
    namespace(&world, "jobs");
    list(&world, &["web", "jobs"]);
    world.converge().await;

    list(&world, &["jobs"]);
    world.converge().await;

    assert!(pull_secret_in(&world, "web").is_none());
    assert_eq!(
        world.pull_secrets_on_account_in("web"),
        vec![OTHERS_PULL_SECRET.to_owned()]
    );
    assert!(pull_secret_in(&world, "jobs").is_some());
    assert_eq!(states(&world), vec!["jobs Delivered"]);

    // Offboarding takes it out of the rest.
    world.edit_team(|team| team["metadata"]["deletionTimestamp"] = json!("2026-12-08T00:00:00Z"));
    world.converge().await;
    assert!(pull_secret_in(&world, "jobs").is_none());
    assert_eq!(
        world.pull_secrets_on_account_in("jobs"),
        vec![OTHERS_PULL_SECRET.to_owned()]
    );
}

#[tokio::test]
async fn each_gap_is_reported_with_its_remedy_and_the_rest_is_delivered() {
    let world = World::new().await;
    namespace(&world, "web");
    namespace(&world, "locked");
    world.api.forbid("locked");
    namespace(&world, "bare");
    world.api.remove(&accounts("bare"), "default");
    namespace(&world, "taken");
    let name = world.secret_name(Purpose::Pull);
    world.api.put(
        &secrets("taken"),
        json!({ "apiVersion": "v1", "kind": "Secret",
                "metadata": { "name": name, "namespace": "taken" },
                "data": { "x": "eA==" } }),
    );
    list(&world, &["web", "locked", "bare", "gone", "taken"]);

    let error = world.pass().await.expect_err("not every namespace got it");

    assert_eq!(error.reason(), "NamespacesIncomplete");
    assert_eq!(
        states(&world),
        vec![
            "bare NoDefaultAccount",
            "gone Missing",
            "locked NoAccess",
            "taken NameTaken",
            "web Delivered"
        ]
    );
    assert!(
        pull_secret_in(&world, "web").is_some(),
        "the others are not held up"
    );
    let status = world.status();
    let message = |ns: &str| {
        status
            .namespaces
            .iter()
            .find(|n| n.name == ns)
            .expect(ns)
            .message
            .clone()
    };
    assert!(
        message("locked").contains("kubectl -n locked create rolebinding berth"),
        "{status:?}"
    );
    assert!(message("bare").contains("kubectl -n bare create serviceaccount default"));
    assert!(message("gone").contains("kubectl create namespace gone"));
    // Somebody else's secret is left as it was.
    let taken = pull_secret_in(&world, "taken").expect("still there");
    assert!(taken.data.unwrap().contains_key("x"));
    assert_eq!(world.condition("Ready"), "False NamespacesIncomplete");
    assert_eq!(world.condition("Namespaces"), "False NamespacesIncomplete");
    assert!(
        world.condition("Secrets").starts_with("True "),
        "the home namespace is fine"
    );

    // Once the platform created it, the next pass delivers there too.
    namespace(&world, "gone");
    let _ = world.pass().await;
    assert!(states(&world).contains(&"gone Delivered".to_owned()));
}

#[tokio::test]
async fn two_teams_naming_one_namespace_never_take_turns() {
    let world = World::new().await;
    namespace(&world, "shared");
    // alpha is older, but beta was set up in `shared` first: beta keeps it.
    world.edit_team(|team| {
        team["metadata"]["creationTimestamp"] = json!("2026-01-01T00:00:00Z");
    });
    another_team(
        &world,
        "beta",
        "2026-06-01T00:00:00Z",
        json!({ "namespaces": ["shared"] }),
    );
    world.api.put(
        NAMESPACES,
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "team-beta" } }),
    );
    namespace(&world, "team-beta");
    let beta = || reconcile(world.team_named("beta"), world.ctx.clone());
    beta().await.expect("beta's first pass");
    let beta_copy = pull_secret_in(&world, "shared").expect("beta's pull secret");

    list(&world, &["shared"]);
    let error = world.pass().await.expect_err("alpha does not get shared");

    assert_eq!(error.reason(), "NamespacesIncomplete");
    assert_eq!(states(&world), vec!["shared Claimed"]);
    let status = world.status();
    assert!(
        status.namespaces[0]
            .message
            .contains("team beta holds shared"),
        "{status:?}"
    );
    // Both sides again: the secret stays beta's, untouched.
    beta().await.expect("beta again");
    let _ = world.pass().await;
    let now = pull_secret_in(&world, "shared").expect("still beta's");
    assert_eq!(now.data, beta_copy.data);
    assert_eq!(
        now.metadata
            .labels
            .unwrap()
            .get("berth.dev/team")
            .map(String::as_str),
        Some("beta")
    );
}

#[tokio::test]
async fn a_home_namespace_another_team_holds_stops_the_later_team_before_harbor() {
    let world = World::new().await;
    world.converge().await;
    // gamma, newer, names alpha's home.
    another_team(
        &world,
        "gamma",
        "2026-12-01T00:00:00Z",
        json!({ "namespace": "team-alpha" }),
    );
    world.forget_requests().await;

    let error = reconcile(world.team_named("gamma"), world.ctx.clone())
        .await
        .expect_err("team-alpha is alpha's");

    assert_eq!(error.reason(), "NamespaceClaimed");
    assert!(error.to_string().contains("team alpha's"), "{error}");
    assert_eq!(world.harbor_writes().await, 0);
    let writes: Vec<String> = world.api.writes().into_iter().map(|c| c.path).collect();
    assert_eq!(writes, vec!["/apis/berth.dev/v1alpha1/teams/gamma/status"]);
    // alpha is not disturbed by it.
    world.converge().await;
    assert_eq!(world.condition("Ready"), "True Reconciled");
}
