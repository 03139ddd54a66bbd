//! What a pass makes of changes: a lost secret or robot repaired, a rotation
//! asked for, robots retired.
use super::*;
use crate::server::harbor::RobotCreate;

#[tokio::test]
async fn a_lost_secret_comes_back_with_the_token_people_downloaded() {
    let world = World::new().await;
    world.converge().await;
    let before = world.credentials(Purpose::Push);
    let since = world.status().robot("push").expect("push").since.clone();
    world
        .api
        .remove(SECRETS, &world.secret_name(Purpose::Push))
        .expect("the push secret");
    world.forget_requests().await;

    world.converge().await;

    let after = world.credentials(Purpose::Push);
    assert_eq!(after.username, before.username, "the robot of record");
    assert_eq!(
        after.token.expose_secret(),
        before.token.expose_secret(),
        "the same token: copies downloaded before keep working"
    );
    assert!(world.logs_in(&before).await);
    assert_eq!(world.harbor_writes().await, 0, "Harbor is not touched");
    assert_eq!(world.robot_names().await, first_robots(), "no robot made");
    let push = world.status().robot("push").cloned().expect("push");
    assert_eq!(push.since, since, "not a new credential");
    assert_eq!(push.reissued_at, None);
    assert_eq!(
        world.audit_records(),
        vec![("credentials-restored".into(), "berth-reconciler".into())]
    );
}

#[tokio::test]
async fn a_lost_secret_without_berths_copy_is_reissued_and_said_so() {
    let world = World::new().await;
    world.converge().await;
    let before = world.credentials(Purpose::Push);
    world
        .api
        .remove(SECRETS, &world.secret_name(Purpose::Push))
        .expect("the push secret");
    world
        .api
        .remove(KEPT, &desired::token_copy_name("alpha"))
        .expect("Berth's copy");
    world.forget_requests().await;

    world.converge().await;

    let after = world.credentials(Purpose::Push);
    assert_eq!(after.username, before.username, "the robot of record");
    assert_ne!(after.token.expose_secret(), before.token.expose_secret());
    assert!(world.logs_in(&after).await);
    assert!(!world.logs_in(&before).await, "the old token is void");
    assert_eq!(world.robot_names().await, first_robots(), "no robot made");
    let push = world.status().robot("push").cloned().expect("push");
    assert!(push.reissued_at.is_some(), "the team page says so");
    assert_eq!(
        push.kept_fingerprint.as_deref(),
        Some(desired::fingerprint(&after.token).as_str()),
        "kept again"
    );
    // The copy went for all three: the two tokens still in use are kept again with the new one.
    for purpose in [Purpose::Pull, Purpose::Builds] {
        assert_eq!(
            world
                .copied(purpose)
                .expect("kept again")
                .token
                .expose_secret(),
            world.credentials(purpose).token.expose_secret()
        );
    }
    assert_eq!(
        world.audit_records(),
        vec![("credentials-reissued".into(), "berth-reconciler".into())]
    );
    assert!(world.pending_secret(Purpose::Push).is_none());
}

#[tokio::test]
async fn berths_copy_is_kept_in_its_own_namespace_and_written_once() {
    let world = World::new().await;
    world.converge().await;
    for purpose in Purpose::ALL {
        let kept = world.copied(purpose).expect("Berth's copy");
        let current = world.credentials(purpose);
        assert_eq!(kept.username, current.username);
        assert_eq!(kept.token.expose_secret(), current.token.expose_secret());
        assert!(world.pending_secret(purpose).is_none());
    }
    world.forget_requests().await;

    world.converge().await;

    assert_eq!(world.api.writes().len(), 0, "{:?}", world.api.writes());
}

#[tokio::test]
async fn a_team_of_the_release_with_a_copy_per_purpose_gets_its_token_back() {
    let world = World::new().await;
    world.converge().await;
    let before = world.credentials(Purpose::Push);
    // As the previous release left it: one copy per purpose, none for the whole team.
    world
        .api
        .remove(KEPT, &desired::token_copy_name("alpha"))
        .expect("Berth's copy");
    for purpose in Purpose::ALL {
        let creds = world.credentials(purpose);
        world.api.put(
            KEPT,
            earlier_copy(&desired::kept_secret_name("alpha", purpose), &creds),
        );
    }
    world
        .api
        .remove(SECRETS, &world.secret_name(Purpose::Push))
        .expect("the push secret");

    world.converge().await;

    let after = world.credentials(Purpose::Push);
    assert_eq!(after.token.expose_secret(), before.token.expose_secret());
    assert_eq!(
        world.audit_records(),
        vec![("credentials-restored".into(), "berth-reconciler".into())]
    );
}

/// A Secret holding `username` and `password`, as the previous release kept a token (and an
/// earlier one its pending secrets).
fn earlier_copy(name: &str, creds: &Credentials) -> Value {
    use base64::Engine;
    let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {
            "name": name,
            "labels": { "app.kubernetes.io/managed-by": "berth", "berth.dev/team": "alpha" },
        },
        "type": "Opaque",
        "data": {
            "username": encode(&creds.username),
            "password": encode(creds.token.expose_secret()),
        },
    })
}

#[tokio::test]
async fn a_pending_secret_of_an_earlier_release_is_finished_and_removed() {
    let world = World::new().await;
    world.converge().await;
    let name = world.secret_name(Purpose::Pull);
    let pending = Credentials {
        username: format!("robot${}", desired::robot_base_name("alpha", Purpose::Pull)),
        token: SecretString::from("Pend1ngPend1ngPend1ng"),
    };
    world.api.put(
        SECRETS,
        earlier_copy(&desired::pending_secret_name(&name), &pending),
    );

    world.converge().await;

    assert_eq!(
        world.credentials(Purpose::Pull).token.expose_secret(),
        "Pend1ngPend1ngPend1ng"
    );
    assert!(world.pending_secret(Purpose::Pull).is_none());
    assert_eq!(
        world
            .copied(Purpose::Pull)
            .expect("Berth's copy")
            .token
            .expose_secret(),
        "Pend1ngPend1ngPend1ng"
    );
}

#[tokio::test]
async fn a_robot_deleted_in_harbor_is_made_again_with_the_secrets_token() {
    let world = World::new().await;
    world.converge().await;
    let credentials = world.credentials(Purpose::Pull);
    let robot = world
        .robots()
        .await
        .into_iter()
        .find(|r| r.name == credentials.username)
        .expect("the pull robot");
    world.harbor.delete_robot(robot.id).await.expect("deleted");
    // Past the snapshot's trust window: Berth looks at Harbor again.
    world.ctx.snapshot.invalidate();
    world.forget_requests().await;

    world.converge().await;

    assert_eq!(world.robot_names().await, first_robots());
    assert!(
        world.logs_in(&credentials).await,
        "the secret's token works again"
    );
    assert_eq!(
        world.credentials(Purpose::Pull).username,
        credentials.username
    );
    let secret_writes: Vec<_> = world
        .api
        .writes()
        .into_iter()
        .filter(|c| c.path.starts_with(SECRETS))
        .collect();
    assert!(
        secret_writes.is_empty(),
        "the secret stays: {secret_writes:?}"
    );
}

#[tokio::test]
async fn a_requested_rotation_replaces_the_robot_and_retires_the_old_one_after_the_grace() {
    let world = World::new().await;
    world.converge().await;
    let old = world.credentials(Purpose::Push);
    world.request_rotation(Purpose::Push, "2030-01-01T00:00:00Z by carol");

    world.converge().await;

    let new = world.credentials(Purpose::Push);
    assert_ne!(new.username, old.username, "a new robot");
    assert!(world.logs_in(&new).await);
    assert!(
        world.logs_in(&old).await,
        "the old robot works through the grace period"
    );
    let status = world.status();
    assert_eq!(
        status
            .robot("push")
            .and_then(|r| r.rotation_handled.as_deref()),
        Some("2030-01-01T00:00:00Z by carol")
    );
    assert_eq!(status.retiring.len(), 1);
    assert_eq!(status.retiring[0].name, old.username);
    assert_eq!(
        world.audit_records(),
        vec![("rotation".to_owned(), "carol".to_owned())]
    );
    // Handled: the same request does not rotate again.
    world.converge().await;
    assert_eq!(world.credentials(Purpose::Push).username, new.username);

    // The grace period ends.
    let mut aged = world.status();
    aged.retiring[0].delete_after = "2000-01-01T00:00:00Z".into();
    world.ctx.memory.remember_status(&world.team(), &aged);
    world.converge().await;

    assert!(world.status().retiring.is_empty());
    assert!(!world.logs_in(&old).await, "the old robot is gone");
    assert!(!world.robot_names().await.contains(&old.username));
    assert!(world.logs_in(&new).await);
}

#[tokio::test]
async fn a_stray_team_robot_is_retired() {
    let world = World::new().await;
    world.converge().await;
    // Left by a crash between making a robot and recording it.
    let stray = RobotCreate {
        name: desired::rotated_robot_name("alpha", Purpose::Builds, 1),
        description: "left over".into(),
        level: "system".into(),
        duration: -1,
        disable: false,
        permissions: desired::permissions("team-alpha", Purpose::Builds),
    };
    world.harbor.create_robot(&stray).await.expect("made");
    world.ctx.snapshot.invalidate();

    world.converge().await;

    let retiring = world.status().retiring;
    assert_eq!(retiring.len(), 1);
    assert_eq!(retiring[0].name, format!("robot${}", stray.name));
    assert_eq!(retiring[0].purpose, "builds");
    assert_eq!(
        world.robots().await.len(),
        4,
        "kept through the grace period"
    );
}
