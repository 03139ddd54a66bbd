//! What a team's Harbor robots and Kubernetes secrets should look like: names, permissions, secret
//! contents. Pure functions, so the rules are tested without any upstream.
use crate::server::config::SecretNames;
use crate::server::harbor::{Access, RobotPermission};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "berth";
pub const TEAM_LABEL: &str = "berth.dev/team";
pub const PURPOSE_ANNOTATION: &str = "berth.dev/purpose";
pub const ROBOT_ANNOTATION: &str = "berth.dev/robot";
pub const FINGERPRINT_ANNOTATION: &str = "berth.dev/token-fingerprint";
pub const ROTATED_AT_ANNOTATION: &str = "berth.dev/rotated-at";
/// A Team annotation whose new value asks for a rotation of that purpose's credentials.
pub const ROTATE_ANNOTATION_PREFIX: &str = "berth.dev/rotate-";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Purpose {
    Pull,
    Push,
    Builds,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [Purpose::Pull, Purpose::Push, Purpose::Builds];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Pull => "pull",
            Purpose::Push => "push",
            Purpose::Builds => "builds",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }

    pub fn secret_name(self, names: &SecretNames) -> &str {
        match self {
            Purpose::Pull => &names.pull,
            Purpose::Push => &names.push,
            Purpose::Builds => &names.builds,
        }
    }

    /// The pull and push secrets are registry secrets; the builds secret is an Opaque `config.json`,
    /// the file build tools (kaniko, buildah) read.
    pub fn secret_type(self) -> &'static str {
        match self {
            Purpose::Pull | Purpose::Push => "kubernetes.io/dockerconfigjson",
            Purpose::Builds => "Opaque",
        }
    }

    pub fn data_key(self) -> &'static str {
        match self {
            Purpose::Pull | Purpose::Push => ".dockerconfigjson",
            Purpose::Builds => "config.json",
        }
    }

    fn actions(self) -> &'static [&'static str] {
        match self {
            Purpose::Pull => &["pull"],
            Purpose::Push | Purpose::Builds => &["pull", "push"],
        }
    }

    pub fn rotate_annotation(self) -> String {
        format!("{ROTATE_ANNOTATION_PREFIX}{}", self.as_str())
    }
}

/// `berth-<team>-<purpose>`: the first robot of a purpose (Harbor adds its prefix).
pub fn robot_base_name(team: &str, purpose: Purpose) -> String {
    format!("berth-{team}-{}", purpose.as_str())
}

/// `berth-<team>-<purpose>-r<unix seconds>`: a robot made by a rotation.
pub fn rotated_robot_name(team: &str, purpose: Purpose, unix_seconds: i64) -> String {
    format!("{}-r{unix_seconds}", robot_base_name(team, purpose))
}

/// Which of `team`'s purposes a full robot name (prefix included) belongs to, if any. The rotation
/// suffix is `-r` and digits only, so `berth-a-push-pull` is team `a-push`'s pull robot, never team `a`'s.
pub fn robot_purpose(full_name: &str, prefix: &str, team: &str) -> Option<Purpose> {
    let rest = full_name
        .strip_prefix(prefix)?
        .strip_prefix("berth-")?
        .strip_prefix(team)?
        .strip_prefix('-')?;
    let (purpose, suffix) = match rest.split_once('-') {
        Some((purpose, suffix)) => (purpose, Some(suffix)),
        None => (rest, None),
    };
    let purpose = Purpose::parse(purpose)?;
    match suffix {
        None => Some(purpose),
        Some(s)
            if s.len() > 1 && s.starts_with('r') && s[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(purpose)
        }
        Some(_) => None,
    }
}

/// The name Harbor wants at creation (without its prefix).
pub fn short_robot_name<'a>(full_name: &'a str, prefix: &str) -> &'a str {
    full_name.strip_prefix(prefix).unwrap_or(full_name)
}

pub fn permissions(project: &str, purpose: Purpose) -> Vec<RobotPermission> {
    vec![RobotPermission {
        kind: "project".into(),
        namespace: project.into(),
        access: purpose
            .actions()
            .iter()
            .map(|action| Access {
                resource: "repository".into(),
                action: (*action).into(),
                effect: None,
            })
            .collect(),
    }]
}

/// Same grants, in any order, with Harbor's default `allow` effect spelled out or not.
pub fn permissions_match(actual: &[RobotPermission], desired: &[RobotPermission]) -> bool {
    let key = |perms: &[RobotPermission]| {
        let mut keys: Vec<(String, String, String, String)> = perms
            .iter()
            .flat_map(|p| {
                p.access
                    .iter()
                    .filter(|a| a.effect.as_deref().unwrap_or("allow") == "allow")
                    .map(|a| {
                        (
                            p.kind.clone(),
                            p.namespace.clone(),
                            a.resource.clone(),
                            a.action.clone(),
                        )
                    })
            })
            .collect();
        keys.sort();
        keys.dedup();
        keys
    };
    key(actual) == key(desired)
}

/// SHA-256 of the token, first 16 bytes in hex: enough to tell tokens apart, useless to an attacker.
pub fn fingerprint(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose_secret().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A robot's credentials as a secret holds them.
pub struct Credentials {
    pub username: String,
    pub token: SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The credentials in one of Berth's secrets for `registry_host`, if it holds usable ones.
pub fn credentials_in(
    secret: &Secret,
    purpose: Purpose,
    registry_host: &str,
) -> Option<Credentials> {
    let raw = secret.data.as_ref()?.get(purpose.data_key())?;
    let (username, token) =
        crate::server::cluster::docker_config::credentials(&raw.0, registry_host).ok()?;
    Some(Credentials { username, token })
}

/// The pending-credentials secret: new credentials are written here before Harbor learns them, so a
/// crash between the two steps loses nothing, and the secret workloads use is switched only once
/// Harbor accepts the new token.
pub fn pending_secret_name(secret_name: &str) -> String {
    format!("{secret_name}-next")
}

pub fn pending_credentials(secret: &Secret) -> Option<Credentials> {
    let data = secret.data.as_ref()?;
    let text = |key: &str| {
        data.get(key)
            .and_then(|v| String::from_utf8(v.0.clone()).ok())
            .filter(|v| !v.is_empty())
    };
    Some(Credentials {
        username: text("username")?,
        token: SecretString::from(text("password")?),
    })
}

fn labels(team: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
        (TEAM_LABEL.to_owned(), team.to_owned()),
    ])
}

pub struct SecretSpec<'a> {
    pub team: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub purpose: Purpose,
    pub registry_host: &'a str,
    pub rotated_at: &'a str,
}

/// The whole secret as Berth applies it (server-side apply owns exactly these fields).
pub fn registry_secret(spec: &SecretSpec<'_>, credentials: &Credentials) -> Secret {
    let config = crate::server::cluster::docker_config::render(
        spec.registry_host,
        &credentials.username,
        &credentials.token,
    );
    Secret {
        metadata: ObjectMeta {
            name: Some(spec.name.to_owned()),
            namespace: Some(spec.namespace.to_owned()),
            labels: Some(labels(spec.team)),
            annotations: Some(BTreeMap::from([
                (
                    PURPOSE_ANNOTATION.to_owned(),
                    spec.purpose.as_str().to_owned(),
                ),
                (ROBOT_ANNOTATION.to_owned(), credentials.username.clone()),
                (
                    FINGERPRINT_ANNOTATION.to_owned(),
                    fingerprint(&credentials.token),
                ),
                (ROTATED_AT_ANNOTATION.to_owned(), spec.rotated_at.to_owned()),
            ])),
            ..Default::default()
        },
        type_: Some(spec.purpose.secret_type().to_owned()),
        data: Some(BTreeMap::from([(
            spec.purpose.data_key().to_owned(),
            ByteString(config.expose_secret().as_bytes().to_vec()),
        )])),
        ..Default::default()
    }
}

pub fn pending_secret(
    team: &str,
    namespace: &str,
    name: &str,
    purpose: Purpose,
    credentials: &Credentials,
) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(labels(team)),
            annotations: Some(BTreeMap::from([(
                PURPOSE_ANNOTATION.to_owned(),
                format!("{}-pending", purpose.as_str()),
            )])),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(BTreeMap::from([
            (
                "username".to_owned(),
                ByteString(credentials.username.as_bytes().to_vec()),
            ),
            (
                "password".to_owned(),
                ByteString(credentials.token.expose_secret().as_bytes().to_vec()),
            ),
        ])),
        ..Default::default()
    }
}

/// Whether `actual` already is what `registry_secret` would apply (type, data, Berth's labels and
/// annotations; anything else on it is somebody else's business).
pub fn secret_matches(actual: &Secret, desired: &Secret) -> bool {
    let subset = |want: &Option<BTreeMap<String, String>>,
                  have: &Option<BTreeMap<String, String>>| {
        want.iter()
            .flatten()
            .all(|(k, v)| have.as_ref().and_then(|h| h.get(k)) == Some(v))
    };
    actual.type_ == desired.type_
        && actual.data == desired.data
        && subset(&desired.metadata.labels, &actual.metadata.labels)
        && subset(&desired.metadata.annotations, &actual.metadata.annotations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robot_names_parse_back_to_their_team_and_purpose() {
        assert_eq!(
            robot_purpose("robot$berth-alpha-push", "robot$", "alpha"),
            Some(Purpose::Push)
        );
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-r1700000000", "robot$", "alpha"),
            Some(Purpose::Push)
        );
        assert_eq!(
            robot_purpose(
                &format!("robot${}", rotated_robot_name("alpha", Purpose::Builds, 5)),
                "robot$",
                "alpha"
            ),
            Some(Purpose::Builds)
        );
        // Team `alpha-push`'s pull robot is not team `alpha`'s.
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-pull", "robot$", "alpha"),
            None
        );
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-pull", "robot$", "alpha-push"),
            Some(Purpose::Pull)
        );
        assert_eq!(
            robot_purpose("robot$berth-alpha-push-rx", "robot$", "alpha"),
            None
        );
        assert_eq!(
            robot_purpose("robot$berth-alphabet-pull", "robot$", "alpha"),
            None
        );
        assert_eq!(
            robot_purpose("bot_berth-alpha-pull", "bot_", "alpha"),
            Some(Purpose::Pull)
        );
        assert_eq!(robot_purpose("robot$someone-else", "robot$", "alpha"), None);
        assert_eq!(
            short_robot_name("robot$berth-alpha-pull", "robot$"),
            "berth-alpha-pull"
        );
    }

    #[test]
    fn permissions_compare_as_sets() {
        let want = permissions("team-alpha", Purpose::Push);
        let mut reordered = want.clone();
        reordered[0].access.reverse();
        reordered[0].access[0].effect = Some("allow".into());
        assert!(permissions_match(&reordered, &want));
        assert!(!permissions_match(
            &permissions("team-alpha", Purpose::Pull),
            &want
        ));
        assert!(!permissions_match(
            &permissions("team-beta", Purpose::Push),
            &want
        ));
    }

    #[test]
    fn fingerprints_differ_per_token_and_hide_it() {
        let a = SecretString::from("Abcdefgh12345678");
        let fp = fingerprint(&a);
        assert_eq!(fp.len(), 32);
        assert_eq!(fp, fingerprint(&SecretString::from("Abcdefgh12345678")));
        assert_ne!(fp, fingerprint(&SecretString::from("Abcdefgh12345679")));
        assert!(!fp.contains("Abcdefgh"));
    }

    #[test]
    fn secrets_render_read_back_and_compare() {
        let creds = Credentials {
            username: "robot$berth-alpha-pull".into(),
            token: SecretString::from("Tok3nTok3nTok3n"),
        };
        let spec = SecretSpec {
            team: "alpha",
            namespace: "team-alpha",
            name: "harbor-pullsecret",
            purpose: Purpose::Pull,
            registry_host: "harbor:443",
            rotated_at: "2026-01-01T00:00:00Z",
        };
        let secret = registry_secret(&spec, &creds);
        assert_eq!(
            secret.type_.as_deref(),
            Some("kubernetes.io/dockerconfigjson")
        );
        let back = credentials_in(&secret, Purpose::Pull, "harbor:443").unwrap();
        assert_eq!(back.username, creds.username);
        assert_eq!(back.token.expose_secret(), "Tok3nTok3nTok3n");
        assert!(credentials_in(&secret, Purpose::Pull, "other:443").is_none());
        assert!(secret_matches(&secret, &secret));
        let mut extra = secret.clone();
        extra
            .metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("someone".into(), "else".into());
        assert!(
            secret_matches(&extra, &secret),
            "labels of others do not count as drift"
        );
        let other = registry_secret(
            &spec,
            &Credentials {
                username: creds.username.clone(),
                token: SecretString::from("Oth3rOth3rOth3r"),
            },
        );
        assert!(!secret_matches(&other, &secret));
        let builds = registry_secret(
            &SecretSpec {
                purpose: Purpose::Builds,
                ..spec
            },
            &creds,
        );
        assert_eq!(builds.type_.as_deref(), Some("Opaque"));
        assert!(builds.data.as_ref().unwrap().contains_key("config.json"));
        let pending = pending_secret(
            "alpha",
            "team-alpha",
            "harbor-pullsecret-next",
            Purpose::Pull,
            &creds,
        );
        assert_eq!(
            pending_credentials(&pending).unwrap().username,
            creds.username
        );
        assert!(!format!("{creds:?}").contains("Tok3n"));
    }
}
