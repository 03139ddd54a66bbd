//! Berth's settings, each declared once: its name, what leaving it unset means, its help and its
//! parser. The settings table (`berth settings`, the README), the config file's keys and the
//! reading of a configuration all come from here. In the table's order Berth reads them and reports
//! problems.
use super::parse;
use super::reader::{About, Setting, Unset};
use super::{ClientAuth, GroupMatch, HarborAuth};
use crate::server::harbor::ProjectRole;
use secrecy::SecretString;
use std::time::Duration;
use url::Url;

/// Every setting, in the order of the settings table.
pub const SETTINGS: &[&dyn About] = &[
    &PUBLIC_URL,
    &OIDC_ISSUER,
    &OIDC_CLIENT_ID,
    &OIDC_CLIENT_SECRET,
    &OIDC_SCOPES,
    &OIDC_GROUPS_CLAIM,
    &OIDC_CLIENT_AUTH,
    &ADMIN_GROUPS,
    &GROUP_MATCH,
    &HARBOR_URL,
    &HARBOR_UI_URL,
    &HARBOR_USERNAME,
    &HARBOR_PASSWORD,
    &HARBOR_AUTH,
    &HARBOR_TIMEOUT_SECS,
    &REGISTRY_HOST,
    &KUBE_TIMEOUT_SECS,
    &OIDC_TIMEOUT_SECS,
    &EVENTS_NAMESPACE,
    &PULL_SECRET_NAME,
    &PUSH_SECRET_NAME,
    &BUILDS_SECRET_NAME,
    &SESSION_INACTIVITY_MINS,
    &REDIS_URL,
    &REDIS_TIMEOUT_SECS,
    &SESSION_KEY,
    &TEAM_ADMIN_GROUP,
    &EXPIRY_WARNING_DAYS,
    &DOWNLOAD_LIMIT,
    &DOWNLOAD_WINDOW_SECS,
    &MAX_IN_FLIGHT,
    &SERVER_TIMING,
    &RECONCILE,
    &RESYNC_SECS,
    &FULL_READ_SECS,
    &ROBOT_DURATION_DAYS,
    &HARBOR_ROBOT_PREFIX,
    &MEMBER_ROLE,
    &ADMIN_GROUP_ROLE,
    &LDAP_GROUP_DN,
    &ROTATION_GRACE_SECS,
    &ROTATE_AFTER_DAYS,
    &OFFBOARD_DELETE_PROJECT,
    &LEASE_NAMESPACE,
    &LEASE_NAME,
    &SERVICE_ACCOUNT,
    &INSTANCE,
    &TEAM_SELECTOR,
];

pub const PUBLIC_URL: Setting<Url> = Setting {
    name: "BERTH_PUBLIC_URL",
    unset: Unset::Default("http://127.0.0.1:3000"),
    help: "URL users reach Berth at (redirect URI, Secure cookies when https)",
    parse: parse::http_url,
};

pub const OIDC_ISSUER: Setting<String> = Setting {
    name: "BERTH_OIDC_ISSUER",
    unset: Unset::Required,
    help: "OIDC issuer URL (discovery at /.well-known/openid-configuration)",
    parse: parse::issuer,
};

pub const OIDC_CLIENT_ID: Setting<String> = Setting {
    name: "BERTH_OIDC_CLIENT_ID",
    unset: Unset::Required,
    help: "OIDC client id",
    parse: parse::text,
};

pub const OIDC_CLIENT_SECRET: Setting<SecretString> = Setting {
    name: "BERTH_OIDC_CLIENT_SECRET",
    unset: Unset::Required,
    help: "OIDC client secret",
    parse: parse::secret,
};

pub const OIDC_SCOPES: Setting<Vec<String>> = Setting {
    name: "BERTH_OIDC_SCOPES",
    unset: Unset::Default("openid profile email groups"),
    help: "scopes requested at sign-in",
    parse: parse::scopes,
};

pub const OIDC_GROUPS_CLAIM: Setting<String> = Setting {
    name: "BERTH_OIDC_GROUPS_CLAIM",
    unset: Unset::Default("groups"),
    help: "ID-token claim holding the user's groups",
    parse: parse::text,
};

pub const OIDC_CLIENT_AUTH: Setting<ClientAuth> = Setting {
    name: "BERTH_OIDC_CLIENT_AUTH",
    unset: Unset::Default("auto"),
    help: "how Berth sends its client secret to the token endpoint: `basic` (HTTP Basic, \
        client_secret_basic), `post` (in the form body, client_secret_post), or `auto`: what the \
        discovery document's `token_endpoint_auth_methods_supported` offers, Basic first",
    parse: parse::client_auth,
};

pub const ADMIN_GROUPS: Setting<Vec<String>> = Setting {
    name: "BERTH_ADMIN_GROUPS",
    unset: Unset::Default("berth-admins"),
    help: "comma-separated groups whose members are platform admins",
    parse: parse::list,
};

pub const GROUP_MATCH: Setting<GroupMatch> = Setting {
    name: "BERTH_GROUP_MATCH",
    unset: Unset::Default("exact"),
    help: "`exact`: a group matches only itself (the full path where the identity provider sends \
        paths; /team-alpha, a top-level group, is team-alpha); `last-segment`: any group whose \
        last segment matches (/teams/team-alpha, but also /contractors/team-alpha: whoever can \
        create a group anywhere in the tree gains that team)",
    parse: parse::group_match,
};

pub const HARBOR_URL: Setting<Url> = Setting {
    name: "BERTH_HARBOR_URL",
    unset: Unset::Required,
    help: "Harbor base URL (the API is under /api/v2.0)",
    parse: parse::http_url,
};

pub const HARBOR_UI_URL: Setting<Url> = Setting {
    name: "BERTH_HARBOR_UI_URL",
    unset: Unset::Means("BERTH_HARBOR_URL"),
    help: "Harbor UI URL shown to users",
    parse: parse::http_url,
};

pub const HARBOR_USERNAME: Setting<String> = Setting {
    name: "BERTH_HARBOR_USERNAME",
    unset: Unset::Default("admin"),
    help: "Harbor account Berth uses",
    parse: parse::text,
};

pub const HARBOR_PASSWORD: Setting<SecretString> = Setting {
    name: "BERTH_HARBOR_PASSWORD",
    unset: Unset::Required,
    help: "password of that account",
    parse: parse::secret,
};

pub const HARBOR_AUTH: Setting<HarborAuth> = Setting {
    name: "BERTH_HARBOR_AUTH",
    unset: Unset::Default("session"),
    help: "how Berth authenticates to Harbor: `session` (signs in once at `/c/login` and sends \
        the session cookie and CSRF token, as Harbor's UI does) or `basic` (the password on \
        every request: Harbor then spends 600,000 PBKDF2 iterations on each)",
    parse: parse::harbor_auth,
};

pub const HARBOR_TIMEOUT_SECS: Setting<Duration> = Setting {
    name: "BERTH_HARBOR_TIMEOUT_SECS",
    unset: Unset::Default("5"),
    help: "time-out of one Harbor request",
    parse: parse::seconds,
};

pub const REGISTRY_HOST: Setting<String> = Setting {
    name: "BERTH_REGISTRY_HOST",
    unset: Unset::Means("host[:port] of BERTH_HARBOR_URL"),
    help: "registry host used as the `auths` key",
    parse: parse::registry_host,
};

pub const KUBE_TIMEOUT_SECS: Setting<Duration> = Setting {
    name: "BERTH_KUBE_TIMEOUT_SECS",
    unset: Unset::Default("5"),
    help: "time-out of one Kubernetes request",
    parse: parse::seconds,
};

pub const OIDC_TIMEOUT_SECS: Setting<Duration> = Setting {
    name: "BERTH_OIDC_TIMEOUT_SECS",
    unset: Unset::Default("10"),
    help: "time-out of one request to the identity provider",
    parse: parse::seconds,
};

pub const EVENTS_NAMESPACE: Setting<String> = Setting {
    name: "BERTH_EVENTS_NAMESPACE",
    unset: Unset::Default("default"),
    help: "namespace of the audit Events written about Teams",
    parse: parse::text,
};

pub const PULL_SECRET_NAME: Setting<String> = Setting {
    name: "BERTH_PULL_SECRET_NAME",
    unset: Unset::Default("harbor-pullsecret"),
    help: "name of the pull secret in team namespaces",
    parse: parse::text,
};

pub const PUSH_SECRET_NAME: Setting<String> = Setting {
    name: "BERTH_PUSH_SECRET_NAME",
    unset: Unset::Default("harbor-pushsecret"),
    help: "name of the push secret in team namespaces",
    parse: parse::text,
};

pub const BUILDS_SECRET_NAME: Setting<String> = Setting {
    name: "BERTH_BUILDS_SECRET_NAME",
    unset: Unset::Default("harbor-pushsecret-builds"),
    help: "name of the builds secret in team namespaces",
    parse: parse::text,
};

pub const SESSION_INACTIVITY_MINS: Setting<Duration> = Setting {
    name: "BERTH_SESSION_INACTIVITY_MINS",
    unset: Unset::Default("480"),
    help: "sessions end after this long without a request",
    parse: parse::minutes,
};

pub const REDIS_URL: Setting<SecretString> = Setting {
    name: "BERTH_REDIS_URL",
    unset: Unset::Means("(sessions in memory)"),
    help: "redis:// or rediss:// URL of the session store shared by several replicas (may hold a \
        password: use _FILE)",
    parse: parse::redis_url,
};

pub const REDIS_TIMEOUT_SECS: Setting<Duration> = Setting {
    name: "BERTH_REDIS_TIMEOUT_SECS",
    unset: Unset::Default("2"),
    help: "time-out of one request to Redis",
    parse: parse::seconds,
};

pub const SESSION_KEY: Setting<SecretString> = Setting {
    name: "BERTH_SESSION_KEY",
    unset: Unset::Means("(random per process)"),
    help: "key signing session cookies, 64 characters or more, the same on every replica; \
        required with BERTH_REDIS_URL",
    parse: parse::session_key,
};

pub const TEAM_ADMIN_GROUP: Setting<String> = Setting {
    name: "BERTH_TEAM_ADMIN_GROUP",
    unset: Unset::Default("team-{team}-admin"),
    help: "group of a team's admins (toggle download, rotate); {team} is the team name",
    parse: parse::team_admin_group,
};

pub const EXPIRY_WARNING_DAYS: Setting<Duration> = Setting {
    name: "BERTH_EXPIRY_WARNING_DAYS",
    unset: Unset::Default("14"),
    help: "team pages warn when a robot expires within this many days",
    parse: parse::warning_days,
};

pub const DOWNLOAD_LIMIT: Setting<u32> = Setting {
    name: "BERTH_DOWNLOAD_LIMIT",
    unset: Unset::Default("30"),
    help: "push-secret downloads (any format) one user may make per BERTH_DOWNLOAD_WINDOW_SECS, \
        per replica; more are refused and audited",
    parse: parse::positive,
};

pub const DOWNLOAD_WINDOW_SECS: Setting<Duration> = Setting {
    name: "BERTH_DOWNLOAD_WINDOW_SECS",
    unset: Unset::Default("600"),
    help: "the window of BERTH_DOWNLOAD_LIMIT",
    parse: parse::seconds,
};

pub const MAX_IN_FLIGHT: Setting<u32> = Setting {
    name: "BERTH_MAX_IN_FLIGHT",
    unset: Unset::Default("64"),
    help: "requests one replica works on at once (pages, server functions, downloads, sign-in); \
        more wait their turn, which bounds memory under load; probes and metrics never wait",
    parse: parse::positive,
};

pub const SERVER_TIMING: Setting<bool> = Setting {
    name: "BERTH_SERVER_TIMING",
    unset: Unset::Default("off"),
    help: "`on`: every response carries a Server-Timing header (time waiting on \
        Harbor/Kubernetes and Berth's own time); reveals upstream latency, for benchmarks",
    parse: parse::flag,
};

pub const RECONCILE: Setting<bool> = Setting {
    name: "BERTH_RECONCILE",
    unset: Unset::Default("on"),
    help: "`on`: this process may hold the reconciler Lease; `off`: UI only",
    parse: parse::flag,
};

pub const RESYNC_SECS: Setting<Duration> = Setting {
    name: "BERTH_RESYNC_SECS",
    unset: Unset::Default("600"),
    help: "every team is reconciled at least this often",
    parse: parse::seconds,
};

pub const FULL_READ_SECS: Setting<Duration> = Setting {
    name: "BERTH_FULL_READ_SECS",
    unset: Unset::Default("3600"),
    help: "Harbor's lists are read in full at least this often (else only when a change probe \
        sees a change)",
    parse: parse::seconds,
};

pub const ROBOT_DURATION_DAYS: Setting<Option<i64>> = Setting {
    name: "BERTH_ROBOT_DURATION_DAYS",
    unset: Unset::Default("never"),
    help: "lifetime of the robots Berth creates, in days, or `never`",
    parse: parse::days_or_never,
};

pub const HARBOR_ROBOT_PREFIX: Setting<String> = Setting {
    name: "BERTH_HARBOR_ROBOT_PREFIX",
    unset: Unset::Default("robot$"),
    help: "Harbor's robot name prefix (its robot_name_prefix setting)",
    parse: parse::text,
};

pub const MEMBER_ROLE: Setting<ProjectRole> = Setting {
    name: "BERTH_MEMBER_ROLE",
    unset: Unset::Default("developer"),
    help: "Harbor role of a team's groups in its project",
    parse: parse::role,
};

pub const ADMIN_GROUP_ROLE: Setting<ProjectRole> = Setting {
    name: "BERTH_ADMIN_GROUP_ROLE",
    unset: Unset::Default("projectAdmin"),
    help: "Harbor role of BERTH_ADMIN_GROUPS in every team project",
    parse: parse::role,
};

pub const LDAP_GROUP_DN: Setting<String> = Setting {
    name: "BERTH_LDAP_GROUP_DN",
    unset: Unset::Means("(groups are DNs)"),
    help: "with Harbor in `ldap_auth` mode: the DN of a group that a Team or BERTH_ADMIN_GROUPS \
        names, `{group}` standing for its name (`cn={group},ou=groups,dc=example,dc=com`); \
        unset, those groups must be DNs",
    parse: parse::ldap_group_dn,
};

pub const ROTATION_GRACE_SECS: Setting<Duration> = Setting {
    name: "BERTH_ROTATION_GRACE_SECS",
    unset: Unset::Default("3600"),
    help: "how long a rotated-out robot keeps working before it is deleted",
    parse: parse::seconds,
};

pub const ROTATE_AFTER_DAYS: Setting<Option<Duration>> = Setting {
    name: "BERTH_ROTATE_AFTER_DAYS",
    unset: Unset::Default("never"),
    help: "rotate credentials older than this many days on their own, or `never`",
    parse: parse::duration_or_never,
};

pub const OFFBOARD_DELETE_PROJECT: Setting<bool> = Setting {
    name: "BERTH_OFFBOARD_DELETE_PROJECT",
    unset: Unset::Default("false"),
    help: "delete the Harbor project when its Team is deleted",
    parse: parse::flag,
};

pub const LEASE_NAMESPACE: Setting<String> = Setting {
    name: "BERTH_LEASE_NAMESPACE",
    unset: Unset::Default("berth"),
    help: "Berth's own namespace: the reconciler's Lease, and its copies of the teams' tokens",
    parse: parse::text,
};

pub const LEASE_NAME: Setting<String> = Setting {
    name: "BERTH_LEASE_NAME",
    unset: Unset::Default("berth-reconciler"),
    help: "name of the reconciler's Lease",
    parse: parse::text,
};

pub const SERVICE_ACCOUNT: Setting<String> = Setting {
    name: "BERTH_SERVICE_ACCOUNT",
    unset: Unset::Default("berth"),
    help:
        "Berth's ServiceAccount in the Lease's namespace; <name>-team-namespace is the ClusterRole \
           a team namespace binds to it (the chart's names), as the commands Berth prints say",
    parse: parse::text,
};

pub const INSTANCE: Setting<String> = Setting {
    name: "BERTH_INSTANCE",
    unset: Unset::Means("$HOSTNAME"),
    help: "this process's identity in the Lease",
    parse: parse::text,
};

pub const TEAM_SELECTOR: Setting<String> = Setting {
    name: "BERTH_TEAM_SELECTOR",
    unset: Unset::Means("(all)"),
    help: "label selector of the Teams this Berth reconciles",
    parse: parse::text,
};
