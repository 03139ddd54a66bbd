//! Berth's settings: defaults, then a config file, then `BERTH_*` environment variables (see `layers`).
//! Every problem names its setting.
pub mod check;
mod layers;

pub use layers::Layers;
use secrecy::SecretString;
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
    /// The claim value must equal the configured group: the full path where the identity provider sends
    /// paths (`/teams/team-alpha`), or the flat name. A top-level path (`/team-alpha`) is the flat name.
    Exact,
    /// Any group whose last path segment is the configured name: `/teams/team-alpha`, but also
    /// `/contractors/team-alpha` or any other group of that name that someone can create in the tree.
    LastSegment,
}

/// How Berth authenticates itself to Harbor. Harbor checks a user's password with 600,000 PBKDF2
/// iterations on every request that carries it; a session pays that once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HarborAuth {
    /// Sign in once (`POST /c/login`, as Harbor's UI does) and send the session cookie with the CSRF
    /// token Harbor asks for; sign in again when Harbor ends the session or refuses the token.
    Session,
    /// The password with every request (HTTP Basic), for a Harbor whose `/c/` paths are not reachable.
    Basic,
}

/// How Berth authenticates itself at the token endpoint (`token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// What the discovery document's `token_endpoint_auth_methods_supported` offers: HTTP Basic
    /// first, then the secret in the form body; Basic when the document says nothing (the spec's default).
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
/// `exact`, and a configuration that relied on the old default loses its members until it says which.
pub const GROUP_MATCH_DEFAULT_CHANGED: &str = "BERTH_GROUP_MATCH is not set, so groups match exactly (the default was last-segment before): a claim /teams/team-alpha no longer makes its members members of a team whose group is team-alpha. If your identity provider sends group paths, name the full paths in the Teams' spec.groups, BERTH_ADMIN_GROUPS and BERTH_TEAM_ADMIN_GROUP; or set BERTH_GROUP_MATCH=last-segment, knowing that any group of that name anywhere in the provider's tree then grants the same rights. Set BERTH_GROUP_MATCH=exact to silence this.";

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
    /// With Harbor in ldap_auth mode: the DN of a group named in a Team or BERTH_ADMIN_GROUPS, `{group}`
    /// standing for the name; unset, such groups must be DNs themselves.
    pub ldap_group_dn: Option<String>,
    /// How long a rotated-out robot keeps working before Berth deletes it.
    pub rotation_grace: Duration,
    /// Rotate credentials older than this on its own; `None`: only on request.
    pub rotate_after: Option<Duration>,
    /// Delete the Harbor project when its Team is deleted (kept by default).
    pub delete_project_on_offboard: bool,
    pub lease_namespace: String,
    pub lease_name: String,
    /// This process's name in the Lease.
    pub instance: String,
    /// Only Teams matching this label selector are reconciled (empty: all).
    pub team_selector: String,
}

/// Where sessions live. Memory: this process only (one replica). Redis: shared by every replica, so a
/// user stays signed in whichever replica answers and when one dies.
#[derive(Debug, Clone)]
pub struct SessionsConfig {
    /// `redis://[:password@]host[:port][/db]` or `rediss://…`; `None`: in memory.
    pub redis_url: Option<SecretString>,
    /// Signs the session cookie (64 bytes or more); every replica must share it. `None`: a random key
    /// per process, allowed only with the memory store.
    pub key: Option<SecretString>,
    pub redis_timeout: Duration,
    pub inactivity: Duration,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The URL users reach Berth at; the OIDC redirect URI and the cookies' `Secure` flag follow it.
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

/// Every setting with its default (`None`: required), for the README and `berth config-help`.
pub const SETTINGS: &[(&str, Option<&str>, &str)] = &[
    ("BERTH_PUBLIC_URL", Some("http://127.0.0.1:3000"), "URL users reach Berth at (redirect URI, Secure cookies when https)"),
    ("BERTH_OIDC_ISSUER", None, "OIDC issuer URL (discovery at /.well-known/openid-configuration)"),
    ("BERTH_OIDC_CLIENT_ID", None, "OIDC client id"),
    ("BERTH_OIDC_CLIENT_SECRET", None, "OIDC client secret"),
    ("BERTH_OIDC_SCOPES", Some("openid profile email groups"), "scopes requested at sign-in"),
    ("BERTH_OIDC_GROUPS_CLAIM", Some("groups"), "ID-token claim holding the user's groups"),
    ("BERTH_OIDC_CLIENT_AUTH", Some("auto"), "how Berth sends its client secret to the token endpoint: `basic` (HTTP Basic, client_secret_basic), `post` (in the form body, client_secret_post), or `auto`: what the discovery document's token_endpoint_auth_methods_supported offers, Basic first"),
    ("BERTH_ADMIN_GROUPS", Some("berth-admins"), "comma-separated groups whose members are platform admins"),
    ("BERTH_GROUP_MATCH", Some("exact"), "`exact`: a group matches only itself (the full path where the identity provider sends paths; /team-alpha, a top-level group, is team-alpha); `last-segment`: any group whose last segment matches (/teams/team-alpha, but also /contractors/team-alpha: whoever can create a group anywhere in the tree gains that team)"),
    ("BERTH_HARBOR_URL", None, "Harbor base URL (the API is under /api/v2.0)"),
    ("BERTH_HARBOR_UI_URL", Some("BERTH_HARBOR_URL"), "Harbor UI URL shown to users"),
    ("BERTH_HARBOR_USERNAME", Some("admin"), "Harbor account Berth uses"),
    ("BERTH_HARBOR_PASSWORD", None, "password of that account"),
    ("BERTH_HARBOR_AUTH", Some("session"), "how Berth authenticates to Harbor: `session` (signs in once at /c/login and sends the session cookie and CSRF token, as Harbor's UI does) or `basic` (the password on every request: Harbor then spends 600,000 PBKDF2 iterations on each)"),
    ("BERTH_HARBOR_TIMEOUT_SECS", Some("5"), "time-out of one Harbor request"),
    ("BERTH_REGISTRY_HOST", Some("host[:port] of BERTH_HARBOR_URL"), "registry host used as the `auths` key"),
    ("BERTH_KUBE_TIMEOUT_SECS", Some("5"), "time-out of one Kubernetes request"),
    ("BERTH_OIDC_TIMEOUT_SECS", Some("10"), "time-out of one request to the identity provider"),
    ("BERTH_EVENTS_NAMESPACE", Some("default"), "namespace of the audit Events written about Teams"),
    ("BERTH_PULL_SECRET_NAME", Some("harbor-pullsecret"), "name of the pull secret in team namespaces"),
    ("BERTH_PUSH_SECRET_NAME", Some("harbor-pushsecret"), "name of the push secret in team namespaces"),
    ("BERTH_BUILDS_SECRET_NAME", Some("harbor-pushsecret-builds"), "name of the builds secret in team namespaces"),
    ("BERTH_SESSION_INACTIVITY_MINS", Some("480"), "sessions end after this long without a request"),
    ("BERTH_REDIS_URL", Some("(sessions in memory)"), "redis:// or rediss:// URL of the session store shared by several replicas (may hold a password: use _FILE)"),
    ("BERTH_REDIS_TIMEOUT_SECS", Some("2"), "time-out of one request to Redis"),
    ("BERTH_SESSION_KEY", Some("(random per process)"), "key signing session cookies, 64 characters or more, the same on every replica; required with BERTH_REDIS_URL"),
    ("BERTH_TEAM_ADMIN_GROUP", Some("team-{team}-admin"), "group of a team's admins (toggle download, rotate); {team} is the team name"),
    ("BERTH_EXPIRY_WARNING_DAYS", Some("14"), "team pages warn when a robot expires within this many days"),
    ("BERTH_DOWNLOAD_LIMIT", Some("30"), "push-secret downloads (any format) one user may make per BERTH_DOWNLOAD_WINDOW_SECS, per replica; more are refused and audited"),
    ("BERTH_DOWNLOAD_WINDOW_SECS", Some("600"), "the window of BERTH_DOWNLOAD_LIMIT"),
    ("BERTH_MAX_IN_FLIGHT", Some("64"), "requests one replica works on at once (pages, server functions, downloads, sign-in); more wait their turn, which bounds memory under load; probes and metrics never wait"),
    ("BERTH_SERVER_TIMING", Some("off"), "`on`: every response carries a Server-Timing header (time waiting on Harbor/Kubernetes and Berth's own time); reveals upstream latency, for benchmarks"),
    ("BERTH_RECONCILE", Some("on"), "`on`: this process may hold the reconciler Lease; `off`: UI only"),
    ("BERTH_RESYNC_SECS", Some("600"), "every team is reconciled at least this often"),
    ("BERTH_FULL_READ_SECS", Some("3600"), "Harbor's lists are read in full at least this often (else only when a change probe sees a change)"),
    ("BERTH_ROBOT_DURATION_DAYS", Some("never"), "lifetime of the robots Berth creates, in days, or `never`"),
    ("BERTH_HARBOR_ROBOT_PREFIX", Some("robot$"), "Harbor's robot name prefix (its robot_name_prefix setting)"),
    ("BERTH_MEMBER_ROLE", Some("developer"), "Harbor role of a team's groups in its project"),
    ("BERTH_ADMIN_GROUP_ROLE", Some("projectAdmin"), "Harbor role of BERTH_ADMIN_GROUPS in every team project"),
    ("BERTH_LDAP_GROUP_DN", Some("(groups are DNs)"), "with Harbor in ldap_auth mode: the DN of a group that a Team or BERTH_ADMIN_GROUPS names, {group} standing for its name (cn={group},ou=groups,dc=example,dc=com); unset, those groups must be DNs"),
    ("BERTH_ROTATION_GRACE_SECS", Some("3600"), "how long a rotated-out robot keeps working before it is deleted"),
    ("BERTH_ROTATE_AFTER_DAYS", Some("never"), "rotate credentials older than this many days on their own, or `never`"),
    ("BERTH_OFFBOARD_DELETE_PROJECT", Some("false"), "delete the Harbor project when its Team is deleted"),
    ("BERTH_LEASE_NAMESPACE", Some("berth"), "namespace of the reconciler's Lease (Berth's own)"),
    ("BERTH_LEASE_NAME", Some("berth-reconciler"), "name of the reconciler's Lease"),
    ("BERTH_INSTANCE", Some("$HOSTNAME"), "this process's identity in the Lease"),
    ("BERTH_TEAM_SELECTOR", Some("(all)"), "label selector of the Teams this Berth reconciles"),
];

/// A Redis URL's shape, without ever echoing it (it may carry a password).
fn check_redis_url(value: &str) -> Result<(), ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        setting: "BERTH_REDIS_URL",
        problem,
    };
    let parsed = Url::parse(value).map_err(|e| invalid(format!("not a URL ({e})")))?;
    match parsed.scheme() {
        "redis" | "rediss" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        "redis" | "rediss" => Err(invalid("names no host".into())),
        other => Err(invalid(format!(
            "scheme must be redis or rediss, not {other}"
        ))),
    }
}

impl Config {
    /// The configuration from every layer: the file (`config_file`, else `BERTH_CONFIG`) and the
    /// environment. All layer problems are reported at once; then the first problem of the values.
    pub fn load(
        config_file: Option<std::path::PathBuf>,
    ) -> Result<(Self, Layers), Vec<ConfigError>> {
        let layers = Layers::load(|key| std::env::var(key).ok(), config_file)?;
        let config = Self::from_lookup(|key| layers.get(key)).map_err(|e| vec![e])?;
        Ok((config, layers))
    }

    /// Reads the settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &'static str| {
            lookup(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let required = |key: &'static str| get(key).ok_or(ConfigError::Missing(key));
        let url = |key: &'static str, value: String| {
            let parsed = Url::parse(&value).map_err(|e| ConfigError::Invalid {
                setting: key,
                problem: format!("{e} ({value:?})"),
            })?;
            match parsed.scheme() {
                "http" | "https" => Ok(parsed),
                other => Err(ConfigError::Invalid {
                    setting: key,
                    problem: format!("scheme must be http or https, not {other}"),
                }),
            }
        };
        let seconds = |key: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(key) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => match v.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
                    _ => Err(ConfigError::Invalid {
                        setting: key,
                        problem: format!("expected a whole number of seconds above 0, got {v:?}"),
                    }),
                },
            }
        };
        let list = |v: String| {
            v.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };

        let public_url = url(
            "BERTH_PUBLIC_URL",
            get("BERTH_PUBLIC_URL").unwrap_or_else(|| "http://127.0.0.1:3000".into()),
        )?;
        let group_match_set = get("BERTH_GROUP_MATCH").is_some();
        let group_match = match get("BERTH_GROUP_MATCH").as_deref() {
            // `full` is this setting's earlier name for `exact`.
            None | Some("exact") | Some("full") => GroupMatch::Exact,
            Some("last-segment") => GroupMatch::LastSegment,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "BERTH_GROUP_MATCH",
                    problem: format!("expected `exact` or `last-segment`, got {other:?}"),
                })
            }
        };
        let client_auth = match get("BERTH_OIDC_CLIENT_AUTH").as_deref() {
            None | Some("auto") => ClientAuth::Auto,
            Some("basic") | Some("client_secret_basic") => ClientAuth::Basic,
            Some("post") | Some("client_secret_post") => ClientAuth::Post,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "BERTH_OIDC_CLIENT_AUTH",
                    problem: format!("expected `auto`, `basic` or `post`, got {other:?}"),
                })
            }
        };
        let scopes =
            list(get("BERTH_OIDC_SCOPES").unwrap_or_else(|| "openid profile email groups".into()));
        if !scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError::Invalid {
                setting: "BERTH_OIDC_SCOPES",
                problem: "must include `openid`".into(),
            });
        }
        let oidc = OidcConfig {
            issuer: url("BERTH_OIDC_ISSUER", required("BERTH_OIDC_ISSUER")?)?
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            client_id: required("BERTH_OIDC_CLIENT_ID")?,
            client_secret: SecretString::from(required("BERTH_OIDC_CLIENT_SECRET")?),
            scopes,
            groups_claim: get("BERTH_OIDC_GROUPS_CLAIM").unwrap_or_else(|| "groups".into()),
            admin_groups: list(get("BERTH_ADMIN_GROUPS").unwrap_or_else(|| "berth-admins".into())),
            group_match,
            group_match_set,
            client_auth,
        };
        let harbor_url = url("BERTH_HARBOR_URL", required("BERTH_HARBOR_URL")?)?;
        let registry_host = match get("BERTH_REGISTRY_HOST") {
            Some(host) if host.contains('/') => {
                return Err(ConfigError::Invalid {
                    setting: "BERTH_REGISTRY_HOST",
                    problem: format!("expected host[:port], got {host:?}"),
                })
            }
            Some(host) => host,
            None => {
                let host = harbor_url.host_str().unwrap_or_default().to_owned();
                harbor_url
                    .port()
                    .map_or(host.clone(), |p| format!("{host}:{p}"))
            }
        };
        let harbor_auth = match get("BERTH_HARBOR_AUTH").as_deref() {
            None | Some("session") => HarborAuth::Session,
            Some("basic") => HarborAuth::Basic,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    setting: "BERTH_HARBOR_AUTH",
                    problem: format!("expected `session` or `basic`, got {other:?}"),
                })
            }
        };
        let harbor = HarborConfig {
            ui_url: match get("BERTH_HARBOR_UI_URL") {
                Some(v) => url("BERTH_HARBOR_UI_URL", v)?,
                None => harbor_url.clone(),
            },
            url: harbor_url,
            username: get("BERTH_HARBOR_USERNAME").unwrap_or_else(|| "admin".into()),
            password: SecretString::from(required("BERTH_HARBOR_PASSWORD")?),
            auth: harbor_auth,
            timeout: seconds("BERTH_HARBOR_TIMEOUT_SECS", 5)?,
            registry_host,
        };
        let days_or_never = |key: &'static str| -> Result<Option<i64>, ConfigError> {
            match get(key).as_deref() {
                None | Some("never") => Ok(None),
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if n > 0 => Ok(Some(n)),
                    _ => Err(ConfigError::Invalid {
                        setting: key,
                        problem: format!(
                            "expected a whole number of days above 0 or `never`, got {v:?}"
                        ),
                    }),
                },
            }
        };
        let role = |key: &'static str, default: &str| {
            let value = get(key).unwrap_or_else(|| default.to_owned());
            crate::server::harbor::ProjectRole::parse(&value).ok_or_else(|| ConfigError::Invalid {
                setting: key,
                problem: format!("expected projectAdmin, maintainer, developer, guest or limitedGuest, got {value:?}"),
            })
        };
        let flag = |key: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(key).as_deref().map(str::to_ascii_lowercase).as_deref() {
                None => Ok(default),
                Some("on" | "true" | "yes" | "1") => Ok(true),
                Some("off" | "false" | "no" | "0") => Ok(false),
                Some(other) => Err(ConfigError::Invalid {
                    setting: key,
                    problem: format!("expected on/off or true/false, got {other:?}"),
                }),
            }
        };
        let team_admin_group =
            get("BERTH_TEAM_ADMIN_GROUP").unwrap_or_else(|| "team-{team}-admin".into());
        if !team_admin_group.contains("{team}") {
            return Err(ConfigError::Invalid {
                setting: "BERTH_TEAM_ADMIN_GROUP",
                problem: "must contain {team}".into(),
            });
        }
        let robot_prefix = get("BERTH_HARBOR_ROBOT_PREFIX").unwrap_or_else(|| "robot$".into());
        let reconcile = ReconcileConfig {
            enabled: flag("BERTH_RECONCILE", true)?,
            resync: seconds("BERTH_RESYNC_SECS", 600)?,
            full_read: seconds("BERTH_FULL_READ_SECS", 3600)?,
            robot_duration_days: days_or_never("BERTH_ROBOT_DURATION_DAYS")?,
            robot_prefix,
            member_role: role("BERTH_MEMBER_ROLE", "developer")?,
            admin_group_role: role("BERTH_ADMIN_GROUP_ROLE", "projectAdmin")?,
            ldap_group_dn: match get("BERTH_LDAP_GROUP_DN") {
                Some(template) if !template.contains("{group}") => {
                    return Err(ConfigError::Invalid {
                        setting: "BERTH_LDAP_GROUP_DN",
                        problem: "must contain {group}, where the group's name goes".into(),
                    })
                }
                other => other,
            },
            rotation_grace: seconds("BERTH_ROTATION_GRACE_SECS", 3600)?,
            rotate_after: days_or_never("BERTH_ROTATE_AFTER_DAYS")?
                .map(|d| Duration::from_secs(d as u64 * 86_400)),
            delete_project_on_offboard: flag("BERTH_OFFBOARD_DELETE_PROJECT", false)?,
            lease_namespace: get("BERTH_LEASE_NAMESPACE").unwrap_or_else(|| "berth".into()),
            lease_name: get("BERTH_LEASE_NAME").unwrap_or_else(|| "berth-reconciler".into()),
            instance: get("BERTH_INSTANCE")
                .or_else(|| lookup("HOSTNAME"))
                .unwrap_or_else(|| format!("berth-{}", std::process::id())),
            team_selector: get("BERTH_TEAM_SELECTOR").unwrap_or_default(),
        };
        let expiry_warning = match get("BERTH_EXPIRY_WARNING_DAYS") {
            None => Duration::from_secs(14 * 86_400),
            Some(v) => match v.parse::<u64>() {
                Ok(days) if days <= 3650 => Duration::from_secs(days * 86_400),
                _ => {
                    return Err(ConfigError::Invalid {
                        setting: "BERTH_EXPIRY_WARNING_DAYS",
                        problem: format!("expected a whole number of days up to 3650, got {v:?}"),
                    })
                }
            },
        };
        let sessions = SessionsConfig {
            redis_url: get("BERTH_REDIS_URL").map(|value| check_redis_url(&value).map(|()| SecretString::from(value))).transpose()?,
            key: get("BERTH_SESSION_KEY")
                .map(|key| {
                    // Never the key itself in the message: only its length.
                    if key.len() >= 64 { Ok(SecretString::from(key)) } else {
                        Err(ConfigError::Invalid { setting: "BERTH_SESSION_KEY", problem: format!("must be 64 characters or more, has {} (try `openssl rand -base64 48`)", key.len()) })
                    }
                })
                .transpose()?,
            redis_timeout: seconds("BERTH_REDIS_TIMEOUT_SECS", 2)?,
            inactivity: seconds("BERTH_SESSION_INACTIVITY_MINS", 480).map(|d| d * 60).map_err(|_| ConfigError::Invalid {
                setting: "BERTH_SESSION_INACTIVITY_MINS",
                problem: "expected a whole number of minutes above 0".into(),
            })?,
        };
        if sessions.redis_url.is_some() && sessions.key.is_none() {
            return Err(ConfigError::Invalid {
                setting: "BERTH_SESSION_KEY",
                problem: "required with BERTH_REDIS_URL: every replica must sign session cookies with the same key".into(),
            });
        }
        let positive = |setting: &'static str, default: u32| match get(setting) {
            None => Ok(default),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(ConfigError::Invalid {
                    setting,
                    problem: format!("expected a whole number above 0, got {v:?}"),
                }),
            },
        };
        let download_limit = positive("BERTH_DOWNLOAD_LIMIT", 30)?;
        let max_in_flight = positive("BERTH_MAX_IN_FLIGHT", 64)?;
        let server_timing = flag("BERTH_SERVER_TIMING", false)?;
        Ok(Config {
            max_in_flight,
            server_timing,
            download_limit,
            download_window: seconds("BERTH_DOWNLOAD_WINDOW_SECS", 600)?,
            expiry_warning,
            team_admin_group,
            reconcile,
            public_url,
            oidc,
            harbor,
            kube_timeout: seconds("BERTH_KUBE_TIMEOUT_SECS", 5)?,
            oidc_timeout: seconds("BERTH_OIDC_TIMEOUT_SECS", 10)?,
            events_namespace: get("BERTH_EVENTS_NAMESPACE").unwrap_or_else(|| "default".into()),
            secret_names: SecretNames {
                pull: get("BERTH_PULL_SECRET_NAME").unwrap_or_else(|| "harbor-pullsecret".into()),
                push: get("BERTH_PUSH_SECRET_NAME").unwrap_or_else(|| "harbor-pushsecret".into()),
                builds: get("BERTH_BUILDS_SECRET_NAME")
                    .unwrap_or_else(|| "harbor-pushsecret-builds".into()),
            },
            sessions,
        })
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
    fn parse(vars: &HashMap<&'static str, &'static str>) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
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
            assert_eq!(parse(&vars).unwrap_err(), ConfigError::Missing(key));
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
            let err = parse(&vars).unwrap_err().to_string();
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
        let err = parse(&vars).unwrap_err().to_string();
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
        let err = parse(&vars).unwrap_err().to_string();
        assert!(
            err.starts_with("BERTH_REDIS_URL is invalid") && !err.contains("Red1sPassw0rd"),
            "{err}"
        );
        vars.insert("BERTH_REDIS_URL", "ftp://:Red1sPassw0rd@redis");
        let err = parse(&vars).unwrap_err().to_string();
        assert!(!err.contains("Red1sPassw0rd"), "{err}");
    }

    #[test]
    fn the_readme_documents_every_setting() {
        let readme = include_str!("../../../README.md");
        for (name, default, _) in SETTINGS {
            let row = format!("| `{name}` | `{}` |", default.unwrap_or("(required)"));
            let required_row = format!("| `{name}` | (required) |");
            assert!(
                readme.contains(&row) || readme.contains(&required_row),
                "README has no settings row for {name}"
            );
        }
    }

    #[test]
    fn the_chart_takes_every_setting() {
        let values = include_str!("../../../deploy/chart/values.yaml");
        let schema = include_str!("../../../deploy/chart/values.schema.json");
        // Set by the chart itself: secrets from its Secret, the Lease in its namespace, the pod's name.
        let by_the_chart = [
            "BERTH_OIDC_CLIENT_SECRET",
            "BERTH_HARBOR_PASSWORD",
            "BERTH_SESSION_KEY",
            "BERTH_REDIS_URL",
            "BERTH_LEASE_NAMESPACE",
            "BERTH_INSTANCE",
        ];
        for (name, _, _) in SETTINGS {
            if by_the_chart.contains(name) {
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
}
