//! Failures: the pass stops at the step that failed, says so in the conditions, and the next pass
//! after the fault finishes the work.
use super::*;

#[tokio::test]
async fn harbor_refusing_robots_fails_the_robots_step_and_the_next_pass_recovers() {
    let world = World::new().await;
    world
        .harbor_fault(Some(
            json!({ "status": 503, "method": "POST", "path": "/robots" }),
        ))
        .await;

    let error = world.pass().await.expect_err("Harbor refuses");

    assert_eq!(error.reason(), "HarborRefused");
    assert_eq!(world.condition("Ready"), "False HarborRefused");
    assert_eq!(world.condition("HarborProject"), "True Exists");
    assert!(world.condition("Members").starts_with("True "));
    assert_eq!(world.condition("Robots"), "False HarborRefused");
    assert_eq!(world.condition("Secrets"), "Unknown Waiting");
    assert!(world.secret(Purpose::Pull).is_none());
    // The token was kept before Harbor was asked.
    assert!(world.copied(Purpose::Pull).is_some());

    world.harbor_fault(None).await;
    world.ctx.snapshot.invalidate();
    world.converge().await;

    assert!(world.condition("Ready").starts_with("True "));
    assert!(world.pending_secret(Purpose::Pull).is_none());
    // Harbor never made that robot, so nobody held its token: the next pass issued a new one
    // without reading the old copy, and the copy now holds the token in use.
    let kept = world.copied(Purpose::Pull).expect("Berth's copy");
    let kept = kept.token.expose_secret().to_owned();
    assert_eq!(world.credentials(Purpose::Pull).token.expose_secret(), kept);
}

#[tokio::test]
async fn harbor_failing_everything_fails_the_project_step() {
    let world = World::new().await;
    world.harbor_fault(Some(json!({ "status": 500 }))).await;

    let error = world.pass().await.expect_err("Harbor fails");

    assert_eq!(error.reason(), "HarborRefused");
    assert_eq!(world.condition("HarborProject"), "False HarborRefused");
    assert_eq!(world.condition("Robots"), "Unknown Waiting");
    assert!(world
        .api
        .writes()
        .iter()
        .all(|c| !c.path.starts_with(SECRETS)));
}

#[tokio::test]
async fn a_namespace_that_refuses_berth_says_which_binding_is_missing() {
    let world = World::new().await;
    world.api.forbid("team-alpha");

    let error = world.pass().await.expect_err("forbidden");

    assert_eq!(error.reason(), "NoNamespaceAccess");
    assert!(
        error.to_string().contains("berth-team-namespace"),
        "{error}"
    );
    assert_eq!(world.condition("Ready"), "False NoNamespaceAccess");
    assert_eq!(world.condition("Robots"), "False NoNamespaceAccess");
    // The project and members do not depend on the namespace.
    assert!(world.condition("HarborProject").starts_with("True "));
}

#[tokio::test]
async fn a_missing_namespace_is_waited_for() {
    let world = World::new().await;
    // With its objects, as the apiserver removes them (the mock does not cascade).
    world.api.remove(NAMESPACES, "team-alpha");
    world.api.remove(ACCOUNTS, "default");

    let error = world.pass().await.expect_err("no namespace");

    assert_eq!(error.reason(), "NamespaceMissing");
    assert_eq!(world.condition("Ready"), "False NamespaceMissing");
}

#[tokio::test]
async fn a_namespace_without_its_default_service_account_is_waited_for() {
    let world = World::new().await;
    world.api.remove(ACCOUNTS, "default");

    let error = world.pass().await.expect_err("no ServiceAccount");

    assert_eq!(error.reason(), "ServiceAccountMissing");
    assert_eq!(world.condition("Secrets"), "False ServiceAccountMissing");
    assert!(world.condition("Robots").starts_with("True "));
}

#[tokio::test]
async fn an_invalid_team_is_not_written_anywhere() {
    let world = World::new().await;
    world.edit_team(|team| team["spec"]["harborProject"] = json!("Not_Valid!"));
    world.forget_requests().await;

    let error = world.pass().await.expect_err("invalid");

    assert_eq!(error.reason(), "InvalidSpec");
    assert_eq!(world.harbor_writes().await, 0);
    let writes = world.api.writes();
    assert_eq!(writes.len(), 1, "only the status: {writes:?}");
    assert!(writes[0].path.ends_with("/teams/alpha/status"));
}
