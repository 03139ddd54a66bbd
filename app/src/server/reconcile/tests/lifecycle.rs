//! A Team's life: the finalizer, the first pass, passes with nothing to do, offboarding.
use super::*;
use http::Method;

#[tokio::test]
async fn a_new_team_gets_the_finalizer_before_anything_else() {
    let world = World::new().await;
    world.edit_team(|team| team["metadata"]["finalizers"] = Value::Null);
    world.forget_requests().await;

    let action = world.pass().await.expect("the finalizer is added");

    // The watch event of the finalizer's patch starts the next pass; no timer beside it.
    assert_eq!(action, Action::await_change());
    let writes = world.api.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert_eq!(
        (&writes[0].method, writes[0].path.as_str()),
        (&Method::PATCH, "/apis/berth.dev/v1alpha1/teams/alpha")
    );
    assert_eq!(
        world.team().metadata.finalizers,
        Some(vec![super::super::FINALIZER.to_owned()])
    );
    assert_eq!(world.harbor_writes().await, 0, "Harbor is not touched yet");
}

#[tokio::test]
async fn a_new_team_reads_no_copy_and_keeps_its_tokens_in_one_write() {
    let world = World::new().await;

    world.converge().await;

    let calls = world.api.calls();
    let reads: Vec<_> = calls
        .iter()
        .filter(|c| c.method == Method::GET && c.path.starts_with(KEPT))
        .collect();
    assert!(reads.is_empty(), "{reads:?}");
    let copies = calls
        .iter()
        .filter(|c| c.is_write() && c.path.starts_with(KEPT))
        .count();
    assert_eq!(copies, 1, "the three first tokens are kept in one write");
    // The ServiceAccount, read once, also tells that the namespace exists.
    let gets = |path: &str| {
        calls
            .iter()
            .filter(|c| c.method == Method::GET && c.path == path)
            .count()
    };
    assert_eq!(gets("/api/v1/namespaces/team-alpha"), 0);
    assert_eq!(gets(&format!("{ACCOUNTS}/default")), 1);
    for purpose in Purpose::ALL {
        let kept = world.copied(purpose).expect("Berth's copy");
        assert_eq!(
            kept.token.expose_secret(),
            world.credentials(purpose).token.expose_secret()
        );
    }
}

#[tokio::test]
async fn the_first_pass_makes_the_project_members_robots_and_secrets() {
    let world = World::new().await;

    world.converge().await;

    let project = world
        .harbor
        .find_project("team-alpha")
        .await
        .expect("Harbor answers")
        .expect("the project");
    let mut members: Vec<(String, i64)> = world
        .harbor
        .list_members("team-alpha")
        .await
        .expect("the members")
        .into_iter()
        .filter(|m| m.entity_type == "g")
        .map(|m| (m.entity_name, m.role_id))
        .collect();
    members.sort();
    // Developer (2) for the team's group, projectAdmin (1) for the platform admins.
    assert_eq!(
        members,
        vec![("berth-admins".into(), 1), ("team-alpha".into(), 2)]
    );
    assert_eq!(world.robot_names().await, first_robots());
    for purpose in Purpose::ALL {
        let credentials = world.credentials(purpose);
        assert_eq!(
            credentials.username,
            format!("robot${}", desired::robot_base_name("alpha", purpose))
        );
        assert!(
            world.logs_in(&credentials).await,
            "{purpose:?} logs in to the registry"
        );
        assert!(world.pending_secret(purpose).is_none());
    }
    assert_eq!(
        world.pull_secrets_on_account(),
        vec![
            OTHERS_PULL_SECRET.to_owned(),
            world.secret_name(Purpose::Pull)
        ]
    );
    let status = world.status();
    assert_eq!(status.harbor_project_id, Some(project.project_id));
    assert_eq!(status.robots.len(), 3);
    assert_eq!(status.observed_generation, Some(1));
    for condition in [
        "Ready",
        "HarborProject",
        "Members",
        "Robots",
        "Secrets",
        "Namespaces",
    ] {
        let found = world.condition(condition);
        assert!(found.starts_with("True "), "{condition}: {found}");
    }
}

#[tokio::test]
async fn a_pass_over_a_team_that_did_not_drift_writes_nothing() {
    let world = World::new().await;
    world.converge().await;
    world.forget_requests().await;

    world.converge().await;

    assert_eq!(world.api.writes().len(), 0, "{:?}", world.api.writes());
    assert_eq!(world.harbor_writes().await, 0);
    // Reads: the team's secrets (one list) and the ServiceAccount.
    let reads: Vec<String> = world.api.calls().into_iter().map(|c| c.path).collect();
    assert_eq!(
        reads,
        vec![SECRETS.to_owned(), format!("{ACCOUNTS}/default")]
    );
}

#[tokio::test]
async fn a_deleted_team_is_offboarded_and_its_finalizer_removed() {
    let world = World::new().await;
    world.converge().await;
    world.edit_team(|team| team["metadata"]["deletionTimestamp"] = json!("2030-01-01T00:00:00Z"));

    let action = world.pass().await.expect("offboarded");

    assert_eq!(action, Action::await_change());
    for purpose in Purpose::ALL {
        assert!(world.secret(purpose).is_none(), "{purpose:?} secret gone");
    }
    assert!(
        world
            .api
            .get(KEPT, &desired::token_copy_name("alpha"))
            .is_none(),
        "Berth's copy of the tokens gone"
    );
    assert_eq!(world.robot_names().await, Vec::<String>::new());
    assert_eq!(
        world.pull_secrets_on_account(),
        vec![OTHERS_PULL_SECRET.to_owned()]
    );
    assert!(world
        .team()
        .metadata
        .finalizers
        .as_ref()
        .is_none_or(|f| f.is_empty()));
    assert_eq!(
        world.audit_records(),
        vec![("offboard".to_owned(), "berth-reconciler".to_owned())]
    );
    assert!(
        world
            .harbor
            .find_project("team-alpha")
            .await
            .expect("Harbor answers")
            .is_some(),
        "the project is kept by default"
    );

    // The watch may deliver the Team again after its clean-up: nothing is done twice.
    let mut cached = (*world.team()).clone();
    cached.metadata.finalizers = Some(vec![super::super::FINALIZER.to_owned()]);
    world.api.remove(TEAMS, "alpha");
    world.forget_requests().await;
    assert_eq!(
        reconcile(Arc::new(cached), world.ctx.clone())
            .await
            .expect("no error"),
        Action::await_change()
    );
    assert_eq!(world.api.writes().len(), 0);
    assert_eq!(world.harbor_writes().await, 0);
}

#[tokio::test]
async fn offboarding_deletes_the_project_when_so_configured() {
    let world = World::with(&[("BERTH_OFFBOARD_DELETE_PROJECT", "true")]).await;
    world.converge().await;
    world.edit_team(|team| team["metadata"]["deletionTimestamp"] = json!("2030-01-01T00:00:00Z"));

    world.pass().await.expect("offboarded");

    assert!(world
        .harbor
        .find_project("team-alpha")
        .await
        .expect("Harbor answers")
        .is_none());
}
