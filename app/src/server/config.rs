//! Berth's settings: defaults, then a config file, then `BERTH_*` environment variables (see
//! `layers`). Each setting is declared once (`settings`); reading a configuration reports every
//! problem at once, each naming its setting.
pub mod check;
mod layers;
mod parse;
mod reader;
pub mod settings;

pub use layers::Layers;
use reader::Reader;
pub use reader::{About, Setting, Unset};
use secrecy::SecretString;
pub use settings::SETTINGS;
use settings::*;
use std::time::Duration;
use url::Url;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0} is required but not set")]
    Missing(&'static str),
    #[error("{setting} is invalid: {problem}")]
    Invalid {
        setting: &'static str,
        problem: String,
    },
}

/// How a group from the identity provider's claim is compared with the groups a Team names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupMatch {
    /// The claim value must equal the configured group: the full path where the identity provider
    /// sends paths (`/teams/team-alpha`), or the flat name. A top-level path (`/team-alpha`) is the
    /// flat name.
    Exact,
    /// Any group whose last path segment is the configured name: `/teams/team-alpha`, but also
    /// `/contractors/team-alpha` or any other group of that name that someone can create in the
    /// tree.
    LastSegment,
}

/// How Berth authenticates itself to Harbor. Harbor checks a user's password with 600,000 PBKDF2
/// iterations on every request that carries it; a session pays that once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HarborAuth {
    /// Sign in once (`POST /c/login`, as Harbor's UI does) and send the session cookie with the
    /// CSRF token Harbor asks for; sign in again when Harbor ends the session or refuses the token.
    Session,
    /// The password with every request (HTTP Basic), for a Harbor whose `/c/` paths are not
    /// reachable.
    Basic,
}

/// How Berth authenticates itself at the token endpoint (`token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// What the discovery document's `token_endpoint_auth_methods_supported` offers: HTTP Basic
    /// first, then the secret in the form body; Basic when the document says nothing (the spec's
    /// default).
    Auto,
    /// `client_secret_basic`.
    Basic,
    /// `client_secret_post`.
    Post,
}

impl GroupMatch {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupMatch::Exact => "exact",
            GroupMatch::LastSegment => "last-segment",
        }
    }
}

/// Logged at start-up when BERTH_GROUP_MATCH is not set: the default changed from `last-segment` to
/// `exact`, and a configuration that relied on the old default loses its members until it says
/// which.
pub const GROUP_MATCH_DEFAULT_CHANGED: &str = "\
    BERTH_GROUP_MATCH is not set, so groups match exactly (the default was last-segment before): \
    a claim /teams/team-alpha no longer makes its members members of a team whose group is \
    team-alpha. If your identity provider sends group paths, name the full paths in the Teams' \
    spec.groups, BERTH_ADMIN_GROUPS and BERTH_TEAM_ADMIN_GROUP; or set \
    BERTH_GROUP_MATCH=last-segment, knowing that any group of that name anywhere in the \
    provider's tree then grants the same rights. Set BERTH_GROUP_MATCH=exact to silence this.";

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
    pub groups_claim: String,
    pub admin_groups: Vec<String>,
    pub group_match: GroupMatch,
    /// Whether BERTH_GROUP_MATCH was set (else start-up says that its default changed).
    pub group_match_set: bool,
    pub client_auth: ClientAuth,
}

#[derive(Debug, Clone)]
pub struct HarborConfig {
    /// Base of Harbor's API, without `/api/v2.0`.
    pub url: Url,
    /// Where users open the Harbor UI (defaults to `url`).
    pub ui_url: Url,
    pub username: String,
    pub password: SecretString,
    pub auth: HarborAuth,
    pub timeout: Duration,
    /// The key of the `auths` map in docker configs (defaults to the host of `url`).
    pub registry_host: String,
}

#[derive(Debug, Clone)]
pub struct SecretNames {
    pub pull: String,
    pub push: String,
    pub builds: String,
}

/// What the reconciler does and how often.
#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    /// Off: this process only serves the UI (another deployment reconciles).
    pub enabled: bool,
    /// Every team is reconciled at least this often.
    pub resync: Duration,
    /// Harbor's lists are read in full at least this often even when the change probes see nothing.
    pub full_read: Duration,
    /// Robot lifetime in days; `None` for never.
    pub robot_duration_days: Option<i64>,
    /// Harbor's robot name prefix (Harbor's `robot_name_prefix` setting).
    pub robot_prefix: String,
    pub member_role: crate::server::harbor::ProjectRole,
    pub admin_group_role: crate::server::harbor::ProjectRole,
    /// With Harbor in ldap_auth mode: the DN of a group named in a Team or BERTH_ADMIN_GROUPS,
    /// `{group}` standing for the name; unset, such groups must be DNs themselves.
    pub ldap_group_dn: Option<String>,
    /// How long a rotated-out robot keeps working before Berth deletes it.
    pub rotation_grace: Duration,
    /// Rotate credentials older than this on its own; `None`: only on request.
    pub rotate_after: Option<Duration>,
    /// Delete the Harbor project when its Team is deleted (kept by default).
    pub delete_project_on_offboard: bool,
    pub lease_namespace: String,
    pub lease_name: String,
    /// Berth's ServiceAccount (in `lease_namespace`), for the RoleBinding commands Berth prints.
    pub service_account: String,
    /// This process's name in the Lease.
    pub instance: String,
    /// Only Teams matching this label selector are reconciled (empty: all).
    pub team_selector: String,
}

/// Where sessions live. Memory: this process only (one replica). Redis: shared by every replica, so
/// a user stays signed in whichever replica answers and when one dies.
#[derive(Debug, Clone)]
pub struct SessionsConfig {
    /// `redis://[:password@]host[:port][/db]` or `rediss://…`; `None`: in memory.
    pub redis_url: Option<SecretString>,
    /// Signs the session cookie (64 bytes or more); every replica must share it. `None`: a random
    /// key per process, allowed only with the memory store.
    pub key: Option<SecretString>,
    pub redis_timeout: Duration,
    pub inactivity: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The URL users reach Berth at; the OIDC redirect URI and the cookies' `Secure` flag follow
    /// it.
    pub public_url: Url,
    pub oidc: OidcConfig,
    pub harbor: HarborConfig,
    pub kube_timeout: Duration,
    pub oidc_timeout: Duration,
    /// Where the audit Events of the cluster-scoped Teams are written.
    pub events_namespace: String,
    pub secret_names: SecretNames,
    pub sessions: SessionsConfig,
    /// The group whose members administer a team; `{team}` is replaced by the team's name.
    pub team_admin_group: String,
    pub reconcile: ReconcileConfig,
    /// Team pages warn when a robot expires within this long.
    pub expiry_warning: Duration,
    /// Push-secret downloads one user may make per `download_window` (per replica).
    pub download_limit: u32,
    pub download_window: Duration,
    /// `Server-Timing` on every response (upstream waiting vs Berth's own time), for benchmarks.
    pub server_timing: bool,
    /// Requests handled at once (probes and metrics aside); more wait their turn.
    pub max_in_flight: u32,
}

impl Config {
    /// The configuration from every layer: the file (`config_file`, else `BERTH_CONFIG`) and the
    /// environment. All layer problems are reported at once; then the first problem of the values,
    /// so that start-up names one (`check-config` lists them all).
    pub fn load(
        config_file: Option<std::path::PathBuf>,
    ) -> Result<(Self, Layers), Vec<ConfigError>> {
        let layers = Layers::load(|key| std::env::var(key).ok(), config_file)?;
        let config = Self::from_lookup(|key| layers.get(key)).map_err(|mut problems| {
            problems.truncate(1);
            problems
        })?;
        Ok((config, layers))
    }

    /// Reads every setting once through `lookup` (so tests need not touch the process environment),
    /// in the settings table's order; every problem is reported, in that order.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Vec<ConfigError>> {
        let mut read = Reader::new(lookup);
        let public_url = read.value(&PUBLIC_URL);
        let oidc = OidcConfig::read(&mut read);
        let harbor = HarborConfig::read(&mut read);
        let kube_timeout = read.value(&KUBE_TIMEOUT_SECS);
        let oidc_timeout = read.value(&OIDC_TIMEOUT_SECS);
        let events_namespace = read.value(&EVENTS_NAMESPACE);
        let secret_names = SecretNames {
            pull: read.value(&PULL_SECRET_NAME),
            push: read.value(&PUSH_SECRET_NAME),
            builds: read.value(&BUILDS_SECRET_NAME),
        };
        let sessions = SessionsConfig::read(&mut read);
        let team_admin_group = read.value(&TEAM_ADMIN_GROUP);
        let expiry_warning = read.value(&EXPIRY_WARNING_DAYS);
        let download_limit = read.value(&DOWNLOAD_LIMIT);
        let download_window = read.value(&DOWNLOAD_WINDOW_SECS);
        let max_in_flight = read.value(&MAX_IN_FLIGHT);
        let server_timing = read.value(&SERVER_TIMING);
        let reconcile = ReconcileConfig::read(&mut read);
        match (oidc, harbor) {
            (Some(oidc), Some(harbor)) if read.problems.is_empty() => Ok(Config {
                public_url,
                oidc,
                harbor,
                kube_timeout,
                oidc_timeout,
                events_namespace,
                secret_names,
                sessions,
                team_admin_group,
                reconcile,
                expiry_warning,
                download_limit,
                download_window,
                server_timing,
                max_in_flight,
            }),
            _ => Err(read.problems),
        }
    }

    pub fn redirect_uri(&self) -> String {
        format!(
            "{}/auth/callback",
            self.public_url.as_str().trim_end_matches('/')
        )
    }

    /// The admin group of one team.
    pub fn team_admin_group_of(&self, team: &str) -> String {
        self.team_admin_group.replace("{team}", team)
    }

    pub fn serves_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

impl OidcConfig {
    /// `None` when a required setting is missing or refused.
    fn read(read: &mut Reader<impl Fn(&str) -> Option<String>>) -> Option<Self> {
        let issuer = read.get(&OIDC_ISSUER);
        let client_id = read.get(&OIDC_CLIENT_ID);
        let client_secret = read.get(&OIDC_CLIENT_SECRET);
        let scopes = read.value(&OIDC_SCOPES);
        let groups_claim = read.value(&OIDC_GROUPS_CLAIM);
        let client_auth = read.value(&OIDC_CLIENT_AUTH);
        let admin_groups = read.value(&ADMIN_GROUPS);
        let group_match = read.value(&GROUP_MATCH);
        Some(OidcConfig {
            issuer: issuer?,
            client_id: client_id?,
            client_secret: client_secret?,
            scopes,
            groups_claim,
            admin_groups,
            group_match,
            group_match_set: read.was_set(&GROUP_MATCH),
            client_auth,
        })
    }
}

impl HarborConfig {
    /// `None` when a required setting is missing or refused.
    fn read(read: &mut Reader<impl Fn(&str) -> Option<String>>) -> Option<Self> {
        let url = read.get(&HARBOR_URL);
        let ui_url = read.get(&HARBOR_UI_URL);
        let username = read.value(&HARBOR_USERNAME);
        let password = read.get(&HARBOR_PASSWORD);
        let auth = read.value(&HARBOR_AUTH);
        let timeout = read.value(&HARBOR_TIMEOUT_SECS);
        let registry_host = read.get(&REGISTRY_HOST);
        let url = url?;
        let registry_host = registry_host.unwrap_or_else(|| {
            let host = url.host_str().unwrap_or_default();
            url.port()
                .map_or(host.to_owned(), |port| format!("{host}:{port}"))
        });
        Some(HarborConfig {
            ui_url: ui_url.unwrap_or_else(|| url.clone()),
            url,
            username,
            password: password?,
            auth,
            timeout,
            registry_host,
        })
    }
}

impl SessionsConfig {
    fn read(read: &mut Reader<impl Fn(&str) -> Option<String>>) -> Self {
        let inactivity = read.value(&SESSION_INACTIVITY_MINS);
        let redis_url = read.get(&REDIS_URL);
        let redis_timeout = read.value(&REDIS_TIMEOUT_SECS);
        let key = read.get(&SESSION_KEY);
        if redis_url.is_some() && key.is_none() && !read.was_set(&SESSION_KEY) {
            read.invalid(
                SESSION_KEY.name,
                "required with BERTH_REDIS_URL: every replica must sign session cookies with the \
                 same key"
                    .into(),
            );
        }
        SessionsConfig {
            redis_url,
            key,
            redis_timeout,
            inactivity,
        }
    }
}

impl ReconcileConfig {
    fn read(read: &mut Reader<impl Fn(&str) -> Option<String>>) -> Self {
        ReconcileConfig {
            enabled: read.value(&RECONCILE),
            resync: read.value(&RESYNC_SECS),
            full_read: read.value(&FULL_READ_SECS),
            robot_duration_days: read.value(&ROBOT_DURATION_DAYS),
            robot_prefix: read.value(&HARBOR_ROBOT_PREFIX),
            member_role: read.value(&MEMBER_ROLE),
            admin_group_role: read.value(&ADMIN_GROUP_ROLE),
            ldap_group_dn: read.get(&LDAP_GROUP_DN),
            rotation_grace: read.value(&ROTATION_GRACE_SECS),
            rotate_after: read.value(&ROTATE_AFTER_DAYS),
            delete_project_on_offboard: read.value(&OFFBOARD_DELETE_PROJECT),
            lease_namespace: read.value(&LEASE_NAMESPACE),
            lease_name: read.value(&LEASE_NAME),
            service_account: read.value(&SERVICE_ACCOUNT),
            instance: read
                .get(&INSTANCE)
                .or_else(|| read.other("HOSTNAME"))
                .unwrap_or_else(|| format!("berth-{}", std::process::id())),
            team_selector: read.get(&TEAM_SELECTOR).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn minimal() -> HashMap<&'static str, &'static str> {
        HashMap::from([
            ("BERTH_OIDC_ISSUER", "http://127.0.0.1:9090/"),
            ("BERTH_OIDC_CLIENT_ID", "berth"),
            ("BERTH_OIDC_CLIENT_SECRET", "s3cret"),
            ("BERTH_HARBOR_URL", "https://harbor.example.test:8443"),
            ("BERTH_HARBOR_PASSWORD", "Harbor12345"),
        ])
    }
    fn parse(vars: &HashMap<&'static str, &'static str>) -> Result<Config, Vec<ConfigError>> {
        Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
    }

    /// The problem of a configuration that has exactly one.
    fn problem(vars: &HashMap<&'static str, &'static str>) -> String {
        let problems = parse(vars).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        problems[0].to_string()
    }

    #[test]
    fn defaults_fill_everything_optional() {
        let c = parse(&minimal()).unwrap();
        assert_eq!(c.oidc.issuer, "http://127.0.0.1:9090");
        assert_eq!(c.oidc.groups_claim, "groups");
        assert_eq!(c.oidc.admin_groups, vec!["berth-admins"]);
        assert_eq!(c.oidc.group_match, GroupMatch::Exact);
        assert!(!c.oidc.group_match_set);
        assert_eq!(c.harbor.registry_host, "harbor.example.test:8443");
        assert_eq!(
            c.harbor.ui_url.as_str(),
            "https://harbor.example.test:8443/"
        );
        assert_eq!(c.harbor.timeout, Duration::from_secs(5));
        assert_eq!(c.secret_names.push, "harbor-pushsecret");
        assert_eq!(c.redirect_uri(), "http://127.0.0.1:3000/auth/callback");
        assert!(!c.serves_https());
        assert_eq!(c.harbor.password.expose_secret(), "Harbor12345");
        assert_eq!(c.team_admin_group_of("alpha"), "team-alpha-admin");
        let r = &c.reconcile;
        assert!(r.enabled);
        assert_eq!(r.resync, Duration::from_secs(600));
        assert_eq!(r.robot_duration_days, None);
        assert_eq!(r.robot_prefix, "robot$");
        assert_eq!(r.member_role, crate::server::harbor::ProjectRole::Developer);
        assert_eq!(
            r.admin_group_role,
            crate::server::harbor::ProjectRole::ProjectAdmin
        );
        assert_eq!(r.rotate_after, None);
        assert!(!r.delete_project_on_offboard);
        assert_eq!(
            (r.lease_namespace.as_str(), r.lease_name.as_str()),
            ("berth", "berth-reconciler")
        );
    }

    #[test]
    fn reconciler_settings_parse() {
        let mut vars = minimal();
        vars.insert("BERTH_ROBOT_DURATION_DAYS", "90");
        vars.insert("BERTH_ROTATE_AFTER_DAYS", "30");
        vars.insert("BERTH_MEMBER_ROLE", "maintainer");
        vars.insert("BERTH_RECONCILE", "off");
        vars.insert("BERTH_OFFBOARD_DELETE_PROJECT", "true");
        let r = parse(&vars).unwrap().reconcile;
        assert_eq!(r.robot_duration_days, Some(90));
        assert_eq!(r.rotate_after, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(
            r.member_role,
            crate::server::harbor::ProjectRole::Maintainer
        );
        assert!(!r.enabled && r.delete_project_on_offboard);
    }

    #[test]
    fn each_missing_required_setting_is_named() {
        for key in [
            "BERTH_OIDC_ISSUER",
            "BERTH_OIDC_CLIENT_ID",
            "BERTH_OIDC_CLIENT_SECRET",
            "BERTH_HARBOR_URL",
            "BERTH_HARBOR_PASSWORD",
        ] {
            let mut vars = minimal();
            vars.remove(key);
            assert_eq!(parse(&vars).unwrap_err(), vec![ConfigError::Missing(key)]);
        }
    }

    #[test]
    fn bad_values_name_their_setting() {
        for (key, value) in [
            ("BERTH_HARBOR_URL", "not a url"),
            ("BERTH_HARBOR_URL", "ftp://harbor"),
            ("BERTH_HARBOR_TIMEOUT_SECS", "0"),
            ("BERTH_KUBE_TIMEOUT_SECS", "soon"),
            ("BERTH_GROUP_MATCH", "prefix"),
            ("BERTH_OIDC_SCOPES", "profile email"),
            ("BERTH_REGISTRY_HOST", "https://harbor"),
            ("BERTH_PUBLIC_URL", "localhost:3000"),
            ("BERTH_ROBOT_DURATION_DAYS", "0"),
            ("BERTH_MEMBER_ROLE", "owner"),
            ("BERTH_RECONCILE", "maybe"),
            ("BERTH_TEAM_ADMIN_GROUP", "admins"),
            ("BERTH_RESYNC_SECS", "-5"),
            ("BERTH_REDIS_URL", "http://redis:6379"),
            ("BERTH_DOWNLOAD_LIMIT", "0"),
            ("BERTH_DOWNLOAD_WINDOW_SECS", "never"),
            ("BERTH_MAX_IN_FLIGHT", "0"),
            ("BERTH_SESSION_KEY", "short"),
        ] {
            let mut vars = minimal();
            vars.insert(key, value);
            let err = problem(&vars);
            assert!(err.starts_with(key), "{key}={value}: {err}");
        }
    }

    #[test]
    fn lists_accept_commas_and_spaces() {
        let mut vars = minimal();
        vars.insert("BERTH_ADMIN_GROUPS", "platform, /org/admins");
        vars.insert("BERTH_GROUP_MATCH", "full");
        vars.insert("BERTH_PUBLIC_URL", "https://berth.example.test");
        let c = parse(&vars).unwrap();
        assert_eq!(c.oidc.admin_groups, vec!["platform", "/org/admins"]);
        // `full`, the setting's earlier name for `exact`, still works.
        assert_eq!(c.oidc.group_match, GroupMatch::Exact);
        assert!(c.oidc.group_match_set);
        vars.insert("BERTH_GROUP_MATCH", "last-segment");
        assert_eq!(
            parse(&vars).unwrap().oidc.group_match,
            GroupMatch::LastSegment
        );
        assert!(c.serves_https());
    }

    #[test]
    fn redis_sessions_need_a_shared_key_and_never_echo_the_url() {
        let mut vars = minimal();
        vars.insert(
            "BERTH_REDIS_URL",
            "redis://:Red1sPassw0rd@redis.berth.svc:6379/0",
        );
        let err = problem(&vars);
        assert!(
            err.starts_with("BERTH_SESSION_KEY is invalid: required with BERTH_REDIS_URL"),
            "{err}"
        );
        vars.insert(
            "BERTH_SESSION_KEY",
            "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-",
        );
        let c = parse(&vars).unwrap();
        assert_eq!(
            c.sessions.redis_url.as_ref().unwrap().expose_secret(),
            "redis://:Red1sPassw0rd@redis.berth.svc:6379/0"
        );
        assert!(
            !format!("{c:?}").contains("Red1sPassw0rd") && !format!("{c:?}").contains("k3y-k3y")
        );
        vars.insert("BERTH_REDIS_URL", "rediss//:Red1sPassw0rd@redis");
        let err = problem(&vars);
        assert!(
            err.starts_with("BERTH_REDIS_URL is invalid") && !err.contains("Red1sPassw0rd"),
            "{err}"
        );
        vars.insert("BERTH_REDIS_URL", "ftp://:Red1sPassw0rd@redis");
        let err = problem(&vars);
        assert!(!err.contains("Red1sPassw0rd"), "{err}");
    }

    #[test]
    fn the_readme_documents_every_setting() {
        let readme = include_str!("../../../README.md");
        for setting in SETTINGS {
            let default = match setting.unset() {
                Unset::Required => "(required)".to_owned(),
                Unset::Default(text) | Unset::Means(text) => format!("`{text}`"),
            };
            let row = format!("| `{}` | {default} | {} |", setting.name(), setting.help());
            assert!(
                readme.lines().any(|line| line == row),
                "README's settings table has no row\n{row}"
            );
        }
    }

    #[test]
    fn the_chart_takes_every_setting() {
        let values = include_str!("../../../deploy/chart/values.yaml");
        let schema = include_str!("../../../deploy/chart/values.schema.json");
        // Set by the chart itself: secrets from its Secret, the Lease in its namespace, its own
        // ServiceAccount, the pod's name.
        let by_the_chart = [
            "BERTH_OIDC_CLIENT_SECRET",
            "BERTH_HARBOR_PASSWORD",
            "BERTH_SESSION_KEY",
            "BERTH_REDIS_URL",
            "BERTH_LEASE_NAMESPACE",
            "BERTH_SERVICE_ACCOUNT",
            "BERTH_INSTANCE",
        ];
        for name in SETTINGS.iter().map(|setting| setting.name()) {
            if by_the_chart.contains(&name) {
                continue;
            }
            let key = name.trim_start_matches("BERTH_").to_lowercase();
            assert!(
                values.contains(&format!("\n  {key}:")),
                "deploy/chart/values.yaml has no config.{key} for {name}"
            );
            assert!(
                schema.contains(&format!("\"{key}\": {{")),
                "deploy/chart/values.schema.json does not check config.{key}"
            );
        }
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let c = parse(&minimal()).unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("Harbor12345"),
            "{debug}"
        );
    }

    #[test]
    fn every_setting_has_help_and_a_default_that_parses() {
        let mut names: Vec<&str> = SETTINGS.iter().map(|setting| setting.name()).collect();
        for setting in SETTINGS {
            let name = setting.name();
            assert!(name.starts_with("BERTH_"), "{name}");
            assert!(!setting.help().trim().is_empty(), "{name} has no help");
            match setting.unset() {
                Unset::Required => {}
                Unset::Default(value) => assert_eq!(setting.check(value), Ok(()), "{name}"),
                Unset::Means(text) => assert!(!text.is_empty(), "{name} says nothing unset"),
            }
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SETTINGS.len(), "a setting is declared twice");
    }

    #[test]
    fn a_default_is_what_leaving_the_setting_unset_means() {
        let unset = format!("{:?}", parse(&minimal()).unwrap());
        for setting in SETTINGS {
            if let Unset::Default(value) = setting.unset() {
                let mut vars = minimal();
                vars.insert(setting.name(), value);
                let set = format!("{:?}", parse(&vars).unwrap());
                // Only the record that the setting was set may differ.
                let set = set.replace("group_match_set: true", "group_match_set: false");
                assert_eq!(set, unset, "{}={value}", setting.name());
            }
        }
    }

    #[test]
    fn one_pass_reads_each_setting_once_in_the_tables_order() {
        let read = std::cell::RefCell::new(Vec::new());
        let vars = minimal();
        Config::from_lookup(|key| {
            read.borrow_mut().push(key.to_owned());
            vars.get(key).map(|v| v.to_string())
        })
        .unwrap();
        let mut read = read.into_inner();
        // BERTH_INSTANCE's fallback, not a setting.
        read.retain(|key| key != "HOSTNAME");
        let table: Vec<&str> = SETTINGS.iter().map(|setting| setting.name()).collect();
        assert_eq!(read, table);
    }

    #[test]
    fn one_parse_reports_every_problem() {
        let vars = HashMap::from([
            ("BERTH_OIDC_ISSUER", "ftp://idp"),
            ("BERTH_HARBOR_TIMEOUT_SECS", "soon"),
            ("BERTH_GROUP_MATCH", "fuzzy"),
            ("BERTH_HARBOR_URL", "https://harbor.example"),
            ("BERTH_HARBOR_PASSWORD", "pw"),
            ("BERTH_REDIS_URL", "redis://redis:6379"),
        ]);
        let found: Vec<String> = parse(&vars)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            found,
            [
                "BERTH_OIDC_ISSUER is invalid: scheme must be http or https, not ftp",
                "BERTH_OIDC_CLIENT_ID is required but not set",
                "BERTH_OIDC_CLIENT_SECRET is required but not set",
                "BERTH_GROUP_MATCH is invalid: expected `exact` or `last-segment`, got \"fuzzy\"",
                "BERTH_HARBOR_TIMEOUT_SECS is invalid: \
                 expected a whole number of seconds above 0, got \"soon\"",
                "BERTH_SESSION_KEY is invalid: required with BERTH_REDIS_URL: \
                 every replica must sign session cookies with the same key",
            ]
        );
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let mut vars = minimal();
        let mut bad = 0;
        for setting in SETTINGS {
            // A value no setting with a parser takes; plain text settings take anything.
            if setting.check("not/valid").is_err() {
                vars.insert(setting.name(), "not/valid");
                bad += 1;
            }
        }
        let problems = parse(&vars).unwrap_err();
        assert!(bad > 20, "{bad}");
        assert_eq!(problems.len(), bad, "{problems:#?}");
    }
}
