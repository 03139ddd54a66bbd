//! What a team's Harbor robots and Kubernetes secrets should look like: permissions, secret
//! contents (their names are in `crate::vocabulary`). Pure functions, so the rules are tested
//! without any upstream.
use crate::server::config::SecretNames;
use crate::server::harbor::{Access, RobotPermission};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

// The names live in the vocabulary; re-exported here for the reconciler's steps, which read them as
// `desired::...`.
pub use crate::vocabulary::{
    kept_secret_name, pending_secret_name, robot_base_name, robot_purpose, rotated_robot_name,
    short_robot_name, token_copy_name, Purpose, FINGERPRINT_ANNOTATION, MANAGED_BY,
    MANAGED_BY_LABEL, PURPOSE_ANNOTATION, ROBOT_ANNOTATION, ROTATED_AT_ANNOTATION,
    ROTATE_ANNOTATION_PREFIX, TEAM_LABEL,
};

/// What each purpose's secret holds and how Harbor grants it.
impl Purpose {
    pub fn secret_name(self, names: &SecretNames) -> &str {
        match self {
            Purpose::Pull => &names.pull,
            Purpose::Push => &names.push,
            Purpose::Builds => &names.builds,
        }
    }

    /// The pull and push secrets are registry secrets; the builds secret is an Opaque
    /// `config.json`, the file build tools (kaniko, buildah) read.
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

/// SHA-256 of the token, first 16 bytes in hex: enough to tell tokens
/// apart, useless to an attacker.
pub fn fingerprint(token: &SecretString) -> String {
    let digest = Sha256::digest(token.expose_secret().as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// A robot's credentials as a secret holds them.
pub struct Credentials {
    pub username: String,
    pub token: SecretString,
}

impl Credentials {
    /// A second copy (deliberately not `Clone`: every copy of a token is written out).
    pub fn duplicate(&self) -> Self {
        Self {
            username: self.username.clone(),
            token: self.token.clone(),
        }
    }
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

/// The credentials in Berth's own copy ([`kept_secret_name`]) or in a pending secret of an earlier
/// release ([`pending_secret_name`]): both hold `username` and `password`.
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

/// Berth's own copy of the team's newest tokens ([`token_copy_name`]), in Berth's namespace: the
/// username and token of each purpose under `<purpose>.username` and `<purpose>.password`. A new
/// token is kept before Harbor learns it (so a crash in between loses nothing) and stays after, so
/// a registry secret that goes missing comes back with the token people hold.
pub fn token_copy(
    team: &str,
    own_namespace: &str,
    tokens: &BTreeMap<Purpose, Credentials>,
) -> Secret {
    let mut data = BTreeMap::new();
    for (purpose, credentials) in tokens {
        let key = |field: &str| format!("{}.{field}", purpose.as_str());
        data.insert(
            key("username"),
            ByteString(credentials.username.as_bytes().to_vec()),
        );
        data.insert(
            key("password"),
            ByteString(credentials.token.expose_secret().as_bytes().to_vec()),
        );
    }
    Secret {
        metadata: ObjectMeta {
            name: Some(token_copy_name(team)),
            namespace: Some(own_namespace.to_owned()),
            labels: Some(labels(team)),
            ..Default::default()
        },
        type_: Some("Opaque".into()),
        data: Some(data),
        ..Default::default()
    }
}

/// The tokens in Berth's copy ([`token_copy`]), by purpose.
pub fn copied_tokens(secret: &Secret) -> BTreeMap<Purpose, Credentials> {
    let Some(data) = secret.data.as_ref() else {
        return BTreeMap::new();
    };
    let text = |key: String| {
        data.get(&key)
            .and_then(|v| String::from_utf8(v.0.clone()).ok())
            .filter(|v| !v.is_empty())
    };
    Purpose::ALL
        .into_iter()
        .filter_map(|purpose| {
            let field = |name: &str| text(format!("{}.{name}", purpose.as_str()));
            Some((
                purpose,
                Credentials {
                    username: field("username")?,
                    token: SecretString::from(field("password")?),
                },
            ))
        })
        .collect()
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
        let copy = token_copy(
            "alpha",
            "berth",
            &BTreeMap::from([(Purpose::Pull, creds.duplicate())]),
        );
        assert_eq!(copy.metadata.name.as_deref(), Some("berth-tokens-alpha"));
        assert_eq!(copy.metadata.namespace.as_deref(), Some("berth"));
        let back = copied_tokens(&copy);
        assert_eq!(back.len(), 1);
        assert_eq!(back[&Purpose::Pull].username, creds.username);
        assert_eq!(
            fingerprint(&back[&Purpose::Pull].token),
            fingerprint(&creds.token)
        );
        assert!(!format!("{creds:?}").contains("Tok3n"));
    }
}
