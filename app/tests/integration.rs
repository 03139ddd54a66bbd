//! Integration tests against the local stack's real parts: the fake Harbor through Prism
//! (every exchange checked against Harbor's v2.15.2 spec) and the real kube-apiserver, where
//! Berth runs under the RBAC that deploy/ grants its ServiceAccount. `make test` starts the
//! stack and sets the environment.
mod common;

use app::names::TeamName;
use app::server::audit::{Audit, AuditAction, AuditRecord, AuditResult};
use app::server::cluster::crd::Team;
use app::server::cluster::{Cluster, ClusterError};
use app::server::config::HarborAuth;
use app::server::harbor::{HarborClient, HarborError};
use common::*;
use k8s_openapi::api::core::v1::{Event, Namespace, Secret};
use kube::api::{ListParams, PostParams};
use kube::{Api, Client};
use secrecy::SecretString;
use std::time::{Duration, Instant};

fn harbor() -> HarborClient {
    harbor_with_timeout(Duration::from_secs(5))
}

async fn berth_cluster() -> Cluster {
    Cluster::new(kube_client("KUBECONFIG").await, Duration::from_secs(5))
}

#[tokio::test]
async fn harbor_finds_the_seeded_project_and_its_summary() {
    let harbor = harbor();
    assert!(harbor.find_project("team-nobody").await.unwrap().is_none());
    let project = harbor
        .find_project("team-alpha")
        .await
        .unwrap()
        .expect("team-alpha is seeded");
    assert_eq!(project.name, "team-alpha");
    assert!(
        harbor.find_project("team-alph").await.unwrap().is_none(),
        "the fuzzy name filter must not give a near match"
    );
    let summary = harbor.project_summary(&project.name).await.unwrap();
    assert_eq!(summary.repo_count, Some(3));
    let quota = summary.quota.unwrap();
    assert_eq!(quota.hard.get("storage"), Some(&10_737_418_240));
}

async fn project_id(name: &str) -> i64 {
    harbor()
        .find_project(name)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("project {name} exists"))
        .project_id
}

#[tokio::test]
async fn harbor_lists_the_team_robots_with_their_prefix_and_permissions() {
    let id = project_id("team-alpha").await;
    let robots = harbor()
        .robots_for_project("team-alpha", id, "alpha")
        .await
        .unwrap();
    let mut names: Vec<_> = robots.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "robot$berth-alpha-builds",
            "robot$berth-alpha-pull",
            "robot$berth-alpha-push"
        ]
    );
    let push = robots.iter().find(|r| r.name.ends_with("-push")).unwrap();
    let actions: Vec<_> = push.permissions[0]
        .access
        .iter()
        .map(|a| a.action.as_str())
        .collect();
    assert_eq!(actions, ["pull", "push"]);
    assert_eq!(push.expires_at, Some(-1));
}

#[tokio::test]
async fn harbor_lists_follow_pagination_past_100() {
    // 130 robots on a project of their own, named as Berth names a team's robots (the team page
    // finds them by name), created on the fake directly (setup, not what is tested).
    let fake = reqwest::Client::new();
    let base = env("FAKE_HARBOR_URL");
    let password = env("BERTH_HARBOR_PASSWORD");
    let project = "paging-check";
    let _ = fake
        .post(format!("{base}/api/v2.0/projects"))
        .basic_auth("admin", Some(&password))
        .json(&serde_json::json!({ "project_name": project }))
        .send()
        .await
        .unwrap();
    let id = project_id(project).await;
    let existing = harbor()
        .robots_for_project(project, id, project)
        .await
        .unwrap()
        .len();
    for i in existing..130 {
        let body = serde_json::json!({
            "name": format!("berth-{project}-paging-{i}"), "level": "system", "duration": -1,
            "permissions": [{
                "kind": "project", "namespace": project,
                "access": [{ "resource": "repository", "action": "pull" }]
            }],
        });
        let response = fake
            .post(format!("{base}/api/v2.0/robots"))
            .basic_auth("admin", Some(&password))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    assert_eq!(
        harbor()
            .robots_for_project(project, id, project)
            .await
            .unwrap()
            .len(),
        130
    );
}

#[tokio::test]
async fn harbor_failures_become_typed_errors() {
    let _guard = Restore("/__fake/faults", "{}");
    fault(0, Some(500)).await;
    match harbor().find_project("team-alpha").await {
        Err(HarborError::Status { status, .. }) => assert_eq!(status.as_u16(), 500),
        other => panic!("expected a 500 status error, got {other:?}"),
    }
    fault(1500, None).await;
    let quick = HarborClient::new(&harbor_config(Duration::from_millis(500))).unwrap();
    let started = Instant::now();
    match quick.list_robots().await {
        Err(HarborError::Timeout { .. }) => {
            assert!(started.elapsed() < Duration::from_millis(1400))
        }
        other => panic!("expected a time-out, got {other:?}"),
    }
    fault(0, None).await;
    let mut wrong = harbor_config(Duration::from_secs(5));
    wrong.password = SecretString::from("wrong-password".to_string());
    match HarborClient::new(&wrong).unwrap().list_robots().await {
        Err(HarborError::Status { status, .. }) => assert_eq!(status.as_u16(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    wrong.auth = HarborAuth::Basic;
    match HarborClient::new(&wrong).unwrap().list_robots().await {
        Err(HarborError::Status { status, .. }) => assert_eq!(status.as_u16(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
}

#[tokio::test]
async fn harbor_unreachable_is_said_so() {
    let mut config = harbor_config(Duration::from_secs(2));
    config.url = "http://127.0.0.1:9".parse().unwrap();
    let error = HarborClient::new(&config)
        .unwrap()
        .list_robots()
        .await
        .unwrap_err();
    assert!(
        matches!(error, HarborError::Unreachable { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Harbor is unreachable (listing robot accounts)"
    );
}

#[tokio::test]
async fn kubernetes_teams_and_secrets_under_berths_rbac() {
    let cluster = berth_cluster().await;
    let names: Vec<_> = cluster
        .list_teams()
        .await
        .unwrap()
        .iter()
        .map(Team::team_name)
        .collect();
    assert!(
        names.contains(&"alpha".to_string()) && names.contains(&"beta".to_string()),
        "{names:?}"
    );
    let alpha = cluster
        .get_team(&TeamName::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alpha.namespace_name(), "team-alpha");
    assert!(cluster
        .get_team(&TeamName::parse("nobody").unwrap())
        .await
        .unwrap()
        .is_none());

    let states = cluster
        .secret_states(
            "team-alpha",
            "alpha",
            &[
                "harbor-pullsecret",
                "harbor-pushsecret",
                "harbor-pushsecret-builds",
                "absent",
            ],
        )
        .await
        .unwrap();
    let types: Vec<_> = states
        .iter()
        .map(|s| (s.present, s.secret_type.as_deref()))
        .collect();
    assert_eq!(
        types,
        [
            (true, Some("kubernetes.io/dockerconfigjson")),
            (true, Some("kubernetes.io/dockerconfigjson")),
            (true, Some("Opaque")),
            (false, None)
        ]
    );
    assert!(states[0].last_changed.is_some());
    let push = cluster
        .docker_config_bytes("team-alpha", "harbor-pushsecret")
        .await
        .unwrap()
        .unwrap();
    let user =
        app::server::cluster::docker_config::check(&push, &env("BERTH_REGISTRY_HOST")).unwrap();
    assert_eq!(user, "robot$berth-alpha-push");
}

#[tokio::test]
async fn kubernetes_toggle_patches_only_the_download_flag() {
    let cluster = berth_cluster().await;
    let before = cluster
        .get_team(&TeamName::parse("beta").unwrap())
        .await
        .unwrap()
        .unwrap();
    let on = cluster
        .set_push_secret_download(&TeamName::parse("beta").unwrap(), true)
        .await
        .unwrap();
    assert!(on.spec.push_secret_download);
    assert_eq!(on.spec.groups, before.spec.groups);
    let off = cluster
        .set_push_secret_download(&TeamName::parse("beta").unwrap(), false)
        .await
        .unwrap();
    assert!(!off.spec.push_secret_download);
}

#[tokio::test]
async fn berth_is_not_cluster_admin() {
    let client = kube_client("KUBECONFIG").await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let refused = namespaces.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 403),
        "{refused:?}"
    );
    let config_maps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), "team-alpha");
    let refused = config_maps
        .create(&PostParams::default(), &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 403),
        "{refused:?}"
    );
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), "team-alpha");
    let refused = leases.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 403),
        "Leases only in Berth's namespace: {refused:?}"
    );
    // Secrets only in team namespaces that bind berth-team-namespace: none
    // cluster-wide, none elsewhere; in Berth's own namespace only by name (its kept copies of the
    // teams' tokens), never a list.
    let own_secrets: Api<Secret> = Api::namespaced(client.clone(), "berth");
    let refused = own_secrets.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 403),
        "no list of Berth's own namespace's secrets: {refused:?}"
    );
    let all_secrets: Api<Secret> = Api::all(client.clone());
    let refused = all_secrets.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&refused, kube::Error::Api(s) if s.code == 403),
        "no cluster-wide secrets: {refused:?}"
    );
    let cluster = Cluster::new(client, Duration::from_secs(5));
    let error = cluster
        .secret_states("kube-system", "x", &["x"])
        .await
        .map(|_| ());
    assert!(
        matches!(error, Err(ClusterError::Forbidden { .. })),
        "{error:?}"
    );
    assert!(cluster
        .secret_states("team-alpha", "alpha", &["harbor-pullsecret"])
        .await
        .is_ok());
    assert!(
        cluster.namespace_exists("team-alpha").await.unwrap()
            && !cluster.namespace_exists("team-nowhere").await.unwrap()
    );
}

#[tokio::test]
async fn kubernetes_unreachable_times_out_as_configured() {
    let mut config = kube::Config::new("https://127.0.0.1:9".parse().unwrap());
    config.connect_timeout = Some(Duration::from_millis(500));
    let cluster = Cluster::new(Client::try_from(config).unwrap(), Duration::from_secs(1));
    let error = cluster.list_teams().await.unwrap_err();
    assert!(
        matches!(error, ClusterError::Unreachable { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "Kubernetes is unreachable (listing teams)"
    );
}

#[tokio::test]
async fn audit_records_become_events_on_the_team() {
    let client = kube_client("KUBECONFIG").await;
    let cluster = Cluster::new(client.clone(), Duration::from_secs(5));
    let team = cluster
        .get_team(&TeamName::parse("alpha").unwrap())
        .await
        .unwrap()
        .unwrap();
    let audit = Audit::new(client, "default".into());
    let marker = format!("it-{}", std::process::id());
    audit
        .record(
            &team,
            AuditRecord::new(
                &marker,
                AuditAction::PushSecretDownload,
                "docker-config".into(),
                AuditResult::Allowed,
            ),
        )
        .await
        .expect("the audit Event is stored");
    let admin = kube_client("BERTH_STACK_ADMIN_KUBECONFIG").await;
    let events: Api<Event> = Api::namespaced(admin, "default");
    let found = events
        .list(&ListParams::default().labels("berth.dev/audit=true"))
        .await
        .unwrap();
    let event = found
        .items
        .iter()
        .find(|e| {
            e.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("berth.dev/actor"))
                == Some(&marker)
        })
        .expect("the audit Event was written");
    assert_eq!(event.reason.as_deref(), Some("PushSecretDownloadAllowed"));
    assert_eq!(event.involved_object.name.as_deref(), Some("alpha"));
    assert_eq!(event.involved_object.kind.as_deref(), Some("Team"));
}

#[tokio::test]
async fn harbor_writes_project_members_and_robots_with_berths_own_token() {
    use app::server::harbor::{
        generate_robot_token, Access, MemberGroup, ProjectRole, RobotCreate, RobotPermission,
    };
    use secrecy::ExposeSecret;
    let harbor = harbor();
    let project = format!("it-writes-{}", std::process::id());
    let id = harbor.create_project(&project).await.unwrap().unwrap();
    match harbor.create_project(&project).await {
        Err(HarborError::Status { status, .. }) => assert_eq!(status.as_u16(), 409),
        other => panic!("a second create must conflict, got {other:?}"),
    }
    harbor
        .add_group_member(
            &project,
            &MemberGroup::Oidc("team-writes".into()),
            ProjectRole::Developer,
        )
        .await
        .unwrap();
    harbor
        .add_group_member(
            &project,
            &MemberGroup::Oidc("/org/berth-admins".into()),
            ProjectRole::ProjectAdmin,
        )
        .await
        .unwrap();
    let members = harbor.list_members(&project).await.unwrap();
    let mut seen: Vec<_> = members
        .iter()
        .map(|m| (m.entity_name.as_str(), m.entity_type.as_str(), m.role_id))
        .collect();
    seen.sort();
    // Harbor makes the project's creator (Berth's account) a project admin too.
    assert_eq!(
        seen,
        [
            ("/org/berth-admins", "g", 1),
            ("admin", "u", 1),
            ("team-writes", "g", 2)
        ]
    );

    let robot = RobotCreate {
        name: format!("berth-{project}-push"),
        description: "integration test".into(),
        level: "system".into(),
        duration: -1,
        disable: false,
        permissions: vec![RobotPermission {
            kind: "project".into(),
            namespace: project.clone(),
            access: vec![
                Access {
                    resource: "repository".into(),
                    action: "pull".into(),
                    effect: None,
                },
                Access {
                    resource: "repository".into(),
                    action: "push".into(),
                    effect: None,
                },
            ],
        }],
    };
    let created = harbor.create_robot(&robot).await.unwrap();
    assert_eq!(created.name, format!("robot$berth-{project}-push"));
    assert_eq!(
        harbor
            .robots_for_project(&project, id, &project)
            .await
            .unwrap()
            .len(),
        1
    );
    let token = generate_robot_token();
    harbor.set_robot_secret(created.id, &token).await.unwrap();
    // The registry accepts Berth's token, and only it.
    let login = |password: String| {
        let name = created.name.clone();
        async move {
            reqwest::Client::new()
                .get(format!("{}/v2/", env("FAKE_HARBOR_URL")))
                .basic_auth(name, Some(password))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(login(token.expose_secret().to_owned()).await, 200);
    assert_eq!(login("Wrong-token-1".into()).await, 401);
    // Harbor's secret rule is enforced.
    let weak = SecretString::from("short".to_string());
    assert!(matches!(
        harbor.set_robot_secret(created.id, &weak).await,
        Err(HarborError::Status { status, .. }) if status.as_u16() == 400
    ));
    harbor.delete_robot(created.id).await.unwrap();
    assert_eq!(login(token.expose_secret().to_owned()).await, 401);
    assert!(harbor
        .robots_for_project(&project, id, &project)
        .await
        .unwrap()
        .is_empty());
}

/// Harbor lists a project's own robots only for `Level=project` with the project's id (without
/// `Level` it lists system robots); src/server/v2.0/handler/robot.go.
#[tokio::test]
async fn harbor_lists_a_projects_own_robots_by_level_and_id() {
    let harbor = harbor();
    let project = format!("it-own-robots-{}", std::process::id());
    let id = harbor.create_project(&project).await.unwrap().unwrap();
    let body = serde_json::json!({
        "name": "ci", "level": "project", "duration": -1,
        "permissions": [{
            "kind": "project", "namespace": project,
            "access": [{ "resource": "repository", "action": "pull" }]
        }],
    });
    let response = reqwest::Client::new()
        .post(format!("{}/api/v2.0/robots", env("BERTH_HARBOR_URL")))
        .basic_auth("admin", Some(env("BERTH_HARBOR_PASSWORD")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let robots = harbor
        .robots_for_project(&project, id, "nobody")
        .await
        .unwrap();
    let names: Vec<_> = robots.iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, [format!("robot${project}+ci")]);
}

/// Harbor decodes `q` once more than the transport does (src/lib/q/builder.go): a `+` in a search
/// must reach it escaped twice, or it searches for a space.
#[tokio::test]
async fn harbor_user_search_keeps_a_plus() {
    let fake = format!("{}/__fake/users", env("FAKE_HARBOR_URL"));
    let user = serde_json::json!({
        "username": "plus+user", "email": "plus+user@example.test", "realname": "Plus"
    });
    reqwest::Client::new()
        .post(fake)
        .json(&user)
        .send()
        .await
        .unwrap();
    let found = harbor().search_users("plus+us").await.unwrap();
    assert!(found.iter().any(|u| u.username == "plus+user"), "{found:?}");
}

/// Who Berth is in Harbor (src/core/auth/authenticator.go,
/// src/server/middleware/security/): in oidc_auth mode only the built-in admin may use a
/// password on the API; another account is anonymous (a 401 where a caller is needed,
/// public projects only where not); in db_auth mode a local account works but must be a
/// system admin. Each case is said in words that name the settings.
#[tokio::test]
async fn harbor_says_who_berth_must_be() {
    let _restore = Restore("/__fake/system", "{}");
    let fake = reqwest::Client::new();
    let base = env("FAKE_HARBOR_URL");
    for (name, admin) in [("berth-local", false), ("berth-sysadmin", true)] {
        let user = serde_json::json!({
            "username": name, "email": format!("{name}@example.test"), "password": "Local-passw0rd",
            "sysadmin_flag": admin
        });
        fake.post(format!("{base}/__fake/users"))
            .json(&user)
            .send()
            .await
            .unwrap();
    }
    let as_user = |name: &str, password: &str| {
        let mut config = harbor_config(Duration::from_secs(5));
        config.username = name.into();
        config.password = SecretString::from(password.to_owned());
        HarborClient::new(&config).unwrap()
    };
    let set_mode = |mode: &'static str| {
        let fake = fake.clone();
        let url = format!("{base}/__fake/system");
        async move {
            fake.post(url)
                .json(&serde_json::json!({ "auth_mode": mode }))
                .send()
                .await
                .unwrap();
        }
    };

    set_mode("oidc_auth").await;
    assert_eq!(harbor().identity_problem().await.unwrap(), None);
    let sysadmin = as_user("berth-sysadmin", "Local-passw0rd");
    let problem = sysadmin.identity_problem().await.unwrap().unwrap();
    assert!(
        problem.contains("in oidc_auth mode") && problem.contains("BERTH_HARBOR_USERNAME"),
        "{problem}"
    );
    // Refused credentials are not "no such project": Harbor shows them public projects only.
    match sysadmin.find_project("team-alpha").await {
        Err(HarborError::Status { status, .. }) => assert_eq!(status.as_u16(), 401),
        other => panic!("wanted Harbor's 401, got {other:?}"),
    }
    // Nor an old Harbor: with the password on each request (basic), refused credentials make an
    // anonymous caller, who gets no version; in a session, the sign-in itself is refused.
    let mut basic = harbor_config(Duration::from_secs(5));
    basic.username = "berth-sysadmin".into();
    basic.password = SecretString::from("Local-passw0rd".to_owned());
    basic.auth = HarborAuth::Basic;
    let basic = HarborClient::new(&basic).unwrap();
    assert_eq!(basic.system_info().await.unwrap().harbor_version, None);
    match sysadmin.system_info().await {
        Err(HarborError::Status { status, operation }) => {
            assert_eq!((status.as_u16(), operation), (401, "signing in to Harbor"))
        }
        other => panic!("wanted the sign-in's 401, got {other:?}"),
    }
    // src/core/controllers/base.go `redirectForOIDC`: a name Harbor knows as an OIDC user, or does
    // not know, is sent to the IdP (403) instead of having its password checked.
    let problem = as_user("berth", "Local-passw0rd")
        .identity_problem()
        .await
        .unwrap()
        .unwrap();
    assert!(problem.contains("to its OIDC provider"), "{problem}");

    set_mode("db_auth").await;
    assert_eq!(sysadmin.identity_problem().await.unwrap(), None);
    let local = as_user("berth-local", "Local-passw0rd");
    let problem = local.identity_problem().await.unwrap().unwrap();
    assert!(
        problem.contains("not a Harbor system administrator"),
        "{problem}"
    );
    let wrong = as_user("berth-sysadmin", "Wrong-passw0rd");
    let problem = wrong.identity_problem().await.unwrap().unwrap();
    assert!(problem.contains("refused the credentials"), "{problem}");
}

/// The fake answers as Harbor's handlers do where Berth's client must not rely on more,
/// asked directly (Prism would refuse the out-of-spec requests before they reach it). Each
/// line names Harbor's file.
#[tokio::test]
async fn the_fake_harbor_answers_as_harbors_code_does() {
    let http = reqwest::Client::new();
    let base = format!("{}/api/v2.0", env("FAKE_HARBOR_URL"));
    let password = env("BERTH_HARBOR_PASSWORD");
    let admin = |request: reqwest::RequestBuilder| request.basic_auth("admin", Some(&password));
    let json = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        (
            status,
            response
                .json::<serde_json::Value>()
                .await
                .unwrap_or_default(),
        )
    };

    // src/server/v2.0/handler/systeminfo.go: anonymous callers learn how to
    // sign in, not the version.
    let (status, info) = json(http.get(format!("{base}/systeminfo")).send().await.unwrap()).await;
    assert_eq!((status, info.get("harbor_version")), (200, None));
    assert_eq!(info["auth_mode"], "oidc_auth");
    // src/server/middleware/security/: wrong credentials carry on as anonymous; GET /projects then
    // lists public projects only, with a 200 (team-alpha is private).
    let (status, projects) = json(
        http.get(format!("{base}/projects?name=team-alpha"))
            .basic_auth("admin", Some("Wrong-passw0rd"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, projects), (200, serde_json::json!([])));
    // src/server/v2.0/handler/user.go: the built-in admin is never listed.
    let (_, users) = json(
        admin(http.get(format!("{base}/users?page_size=100")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        users.as_array().unwrap().iter().all(|u| u["user_id"] != 1),
        "{users}"
    );
    // go-swagger's validation of the spec's maximum, before the handler: 422.
    let status = admin(http.get(format!("{base}/robots?page_size=101")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 422);

    // src/server/v2.0/handler/robot.go CreateRobot: Harbor's name rule, and an access list that its
    // policy list allows.
    let project = format!("it-fake-rules-{}", std::process::id());
    let response = admin(http.post(format!("{base}/projects")))
        .json(&serde_json::json!({ "project_name": project }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let robot = |name: &str, action: &str| {
        serde_json::json!({ "name": name, "level": "system", "duration": -1,
            "permissions": [{
                "kind": "project", "namespace": project,
                "access": [{ "resource": "repository", "action": action }]
            }] })
    };
    for (body, why) in [
        (robot("a--b", "pull"), "name rule"),
        (robot("ok", "*"), "repository:* is no policy"),
        (robot("ok", "update-everything"), "unknown action"),
    ] {
        let status = admin(http.post(format!("{base}/robots")))
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 400, "{why}");
    }
    let (status, created) = json(
        admin(http.post(format!("{base}/robots")))
            .json(&robot("fake-rules", "pull"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 201);
    let id = created["id"].as_i64().unwrap();
    // RefreshSec: a secret Berth sets is not echoed.
    let (status, body) = json(
        admin(http.patch(format!("{base}/robots/{id}")))
            .json(&serde_json::json!({ "secret": "Berth-set-s3cret" }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body), (200, serde_json::json!({})));
    // UpdateRobot: the name must be the full, prefixed one.
    let mut update = robot("fake-rules", "pull");
    let status = admin(http.put(format!("{base}/robots/{id}")))
        .json(&update)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400, "a name without the prefix is refused");
    update["name"] = serde_json::json!("robot$fake-rules");
    let status = admin(http.put(format!("{base}/robots/{id}")))
        .json(&update)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    // src/controller/member/controller.go: PUT on a member that does not
    // exist changes nothing, 200.
    let status = admin(http.put(format!("{base}/projects/{project}/members/999999")))
        .header("X-Is-Resource-Name", "true")
        .json(&serde_json::json!({ "role_id": 2 }))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    admin(http.delete(format!("{base}/robots/{id}")))
        .send()
        .await
        .unwrap();
}

/// The apiserver itself refuses a Team Berth could not serve (the CRD's name pattern and CEL
/// rules), and says what to change; a good one is accepted.
#[tokio::test]
async fn the_apiserver_refuses_bad_teams_and_says_what_to_change() {
    use kube::api::{ApiResource, DynamicObject};
    let client = kube_client("BERTH_STACK_ADMIN_KUBECONFIG").await;
    let teams: Api<DynamicObject> = Api::all_with(client, &ApiResource::erase::<Team>(&()));
    let team = |name: &str, spec: serde_json::Value| -> DynamicObject {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "berth.dev/v1alpha1", "kind": "Team", "metadata": { "name": name },
            "spec": spec,
        }))
        .unwrap()
    };
    let dry_run = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let cases = [
        ("a--b", serde_json::json!({}), "metadata.name"),
        (
            "cel-project",
            serde_json::json!({ "harborProject": "a--b" }),
            "spec.harborProject must be a name Harbor accepts",
        ),
        (
            "cel-project-upper",
            serde_json::json!({ "harborProject": "Team" }),
            "spec.harborProject must be a name Harbor accepts",
        ),
        (
            "cel-namespace",
            serde_json::json!({ "namespace": "Bad_NS" }),
            "spec.namespace must be a Kubernetes namespace name",
        ),
        (
            "cel-namespaces",
            serde_json::json!({ "namespaces": ["web", "Bad_NS"] }),
            "each of spec.namespaces must be a Kubernetes namespace name",
        ),
        (
            "cel-groups",
            serde_json::json!({ "groups": [] }),
            "spec.groups names at least one group",
        ),
        (
            "cel-group-empty",
            serde_json::json!({ "groups": [""] }),
            "spec.groups names at least one group",
        ),
    ];
    for (name, spec, wanted) in cases {
        match teams.create(&dry_run, &team(name, spec.clone())).await {
            Err(kube::Error::Api(status)) => {
                assert_eq!(status.code, 422, "{name} {spec}: {status:?}");
                assert!(
                    status.message.contains(wanted),
                    "{name} {spec}: {}",
                    status.message
                );
            }
            other => panic!("{name} {spec} was not refused: {other:?}"),
        }
    }
    teams
        .create(
            &dry_run,
            &team(
                "cel-good",
                serde_json::json!({
                    "harborProject": "shared.base_images", "namespace": "apps-1",
                    "groups": ["/teams/x"], "namespaces": ["apps-2", "jobs"]
                }),
            ),
        )
        .await
        .expect("a good Team is accepted");
}

/// src/common/utils/encrypt.go, src/pkg/user/manager.go, src/server/middleware/security/robot.go:
/// Harbor derives PBKDF2-HMAC-SHA256 keys to check credentials, 600,000 iterations for a user's
/// password on every basic-auth request and 4,096 for a robot's secret. The fake pays the same.
#[tokio::test]
async fn the_fake_harbor_hashes_credentials_as_harbor_does() {
    let fake = env("FAKE_HARBOR_URL");
    let http = reqwest::Client::new();
    let user = |stats: &serde_json::Value| stats["authentication"]["user_password"].clone();
    let robot = |stats: &serde_json::Value| stats["authentication"]["robot_secret"].clone();
    let before = fake_stats().await;
    let answer = http
        .get(format!("{fake}/api/v2.0/users/current"))
        .basic_auth("admin", Some(env("BERTH_HARBOR_PASSWORD")))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let after = fake_stats().await;
    let checks = after["authentication"]["user_password"]["checks"]
        .as_u64()
        .unwrap()
        - before["authentication"]["user_password"]["checks"]
            .as_u64()
            .unwrap();
    let iterations = user(&after)["iterations"].as_u64().unwrap()
        - user(&before)["iterations"].as_u64().unwrap();
    assert!(checks >= 1, "{after}");
    assert_eq!(iterations, checks * 600_000, "{after}");

    // The team's pull robot signs in to the registry with the secret Berth set.
    let harbor = harbor();
    let id = project_id("team-alpha").await;
    let robots = harbor
        .robots_for_project("team-alpha", id, "alpha")
        .await
        .unwrap();
    let pull = robots.iter().find(|r| r.name.ends_with("-pull")).unwrap();
    let dump: serde_json::Value = http
        .get(format!("{fake}/__fake/robots/{}", pull.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let before = fake_stats().await;
    let login = http
        .get(format!("{fake}/v2/"))
        .basic_auth(
            dump["name"].as_str().unwrap(),
            Some(dump["secret"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let after = fake_stats().await;
    let checks =
        robot(&after)["checks"].as_u64().unwrap() - robot(&before)["checks"].as_u64().unwrap();
    let iterations = robot(&after)["iterations"].as_u64().unwrap()
        - robot(&before)["iterations"].as_u64().unwrap();
    assert_eq!((checks, iterations), (1, 4_096), "{after}");
    assert!(robot(&after)["cpu_ns"].as_u64().unwrap() > 0);
}

/// src/core/controllers/base.go `Login`, src/server/middleware/csrf/csrf.go (gorilla/csrf),
/// src/server/middleware/security/session.go: Harbor's UI session, asked directly.
#[tokio::test]
async fn the_fake_harbor_signs_in_as_harbor_does() {
    let _mode = Restore("/__fake/system", r#"{"auth_mode":"oidc_auth"}"#);
    let fake = env("FAKE_HARBOR_URL");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let password = env("BERTH_HARBOR_PASSWORD");
    let login = |cookie: &str, token: &str, principal: &str, password: &str| {
        http.post(format!("{fake}/c/login"))
            .header("Cookie", cookie)
            .header("X-Harbor-CSRF-Token", token)
            .form(&[("principal", principal), ("password", password)])
            .send()
    };
    let pair = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next())
            .find(|p| p.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    };
    // CSRF comes first on /c/: no token, no check of the password.
    let first = login("", "", "admin", &password).await.unwrap();
    assert_eq!(first.status(), 403);
    let csrf_cookie = pair(&first, "_gorilla_csrf").expect("a CSRF cookie");
    let token = first.headers()["x-harbor-csrf-token"]
        .to_str()
        .unwrap()
        .to_owned();
    // A wrong password: 401.
    let wrong = login(&csrf_cookie, &token, "admin", "Wrong-passw0rd")
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // In oidc_auth mode a name Harbor does not know is sent to the IdP.
    let oidc = login(&csrf_cookie, &token, "nobody", "Wrong-passw0rd")
        .await
        .unwrap();
    assert_eq!(oidc.status(), 403);
    let body: serde_json::Value = oidc.json().await.unwrap();
    assert!(body["redirect_location"].as_str().is_some(), "{body}");
    // The admin: a session.
    let ok = login(&csrf_cookie, &token, "admin", &password)
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let sid = pair(&ok, "sid").expect("a session cookie");
    let cookies = format!("{sid}; {csrf_cookie}");
    let current: serde_json::Value = http
        .get(format!("{fake}/api/v2.0/users/current"))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["user_id"], 1);
    // Writes in a session need the token; /api/ is exempt only for requests without a session.
    let create = |token: &str| {
        http.post(format!("{fake}/api/v2.0/projects"))
            .header("Cookie", &cookies)
            .header("X-Harbor-CSRF-Token", token)
            .json(&serde_json::json!({ "project_name": "csrf-check" }))
            .send()
    };
    let refused = create("").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.text().await.unwrap().contains("CSRF token invalid"));
    assert_eq!(create(&token).await.unwrap().status(), 201);
    let deleted = http
        .delete(format!("{fake}/api/v2.0/projects/csrf-check"))
        .header("Cookie", &cookies)
        .header("X-Harbor-CSRF-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    // Signed out: the cookie is nobody.
    http.get(format!("{fake}/c/log_out"))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap();
    let gone = http
        .get(format!("{fake}/api/v2.0/users/current"))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);
}

/// Berth signs in once and keeps its session: Harbor pays one password check, not one per
/// request. When Harbor ends the session (its `session_timeout`) or refuses the CSRF
/// cookie (a core restarted with a new key), Berth signs in once more, and concurrent
/// callers share that one sign-in.
#[tokio::test]
async fn berth_signs_in_to_harbor_once_per_session() {
    let harbor = harbor();
    assert_eq!(harbor.sign_ins(), 0);
    for _ in 0..10 {
        harbor.find_project("team-alpha").await.unwrap().unwrap();
    }
    assert_eq!(harbor.sign_ins(), 1);
    harbor.create_project("session-check").await.unwrap();
    harbor.delete_project("session-check").await.unwrap();
    assert_eq!(harbor.sign_ins(), 1);

    fake_control("/__fake/sessions/expire").await;
    harbor.find_project("team-alpha").await.unwrap().unwrap();
    assert_eq!(harbor.sign_ins(), 2);

    fake_control("/__fake/csrf-key").await;
    harbor.find_project("team-alpha").await.unwrap().unwrap();
    assert_eq!(harbor.sign_ins(), 2, "reads need no CSRF token");
    harbor.create_project("session-check").await.unwrap();
    assert_eq!(harbor.sign_ins(), 3);
    harbor.delete_project("session-check").await.unwrap();

    fake_control("/__fake/sessions/expire").await;
    let reads = (0..20).map(|_| harbor.find_project("team-alpha"));
    for read in futures::future::join_all(reads).await {
        read.unwrap().unwrap();
    }
    assert_eq!(harbor.sign_ins(), 4);
}
