//! Docker `config.json` documents (the `.dockerconfigjson` of registry
//! secrets): rendering and checking.
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DockerConfigError {
    #[error("the document is not JSON of the docker config shape")]
    NotDockerConfig,
    #[error("the document has no credentials for {0}")]
    NoEntryFor(String),
    #[error("the entry for {0} lacks a username or password")]
    Incomplete(String),
}

#[derive(serde::Deserialize)]
struct Document {
    auths: BTreeMap<String, Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    username: Option<String>,
    password: Option<String>,
    auth: Option<String>,
}

/// Renders `{"auths":{host:{username,password,auth}}}`; the result holds the
/// password, so it stays secret.
pub fn render(registry_host: &str, username: &str, password: &SecretString) -> SecretString {
    let auth = B64.encode(format!("{username}:{}", password.expose_secret()));
    let doc = serde_json::json!({
        "auths": {
            registry_host: {
                "username": username,
                "password": password.expose_secret(),
                "auth": auth
            }
        }
    });
    SecretString::from(doc.to_string())
}

/// A containers `auth.json` (podman, buildah, skopeo): only the `auth` field, which all three read.
pub fn render_containers_auth(
    registry_host: &str,
    username: &str,
    password: &SecretString,
) -> SecretString {
    let auth = B64.encode(format!("{username}:{}", password.expose_secret()));
    SecretString::from(
        serde_json::json!({ "auths": { registry_host: { "auth": auth } } }).to_string(),
    )
}

/// A Kubernetes Secret manifest (`kubernetes.io/dockerconfigjson`) holding
/// the docker config as it is.
pub fn render_kubernetes_secret(name: &str, namespace: &str, docker_config: &[u8]) -> SecretString {
    let manifest = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": { "name": name, "namespace": namespace },
        "type": "kubernetes.io/dockerconfigjson",
        "data": { ".dockerconfigjson": B64.encode(docker_config) },
    });
    // Plain JSON values always serialize to YAML; the empty fallback is never reached.
    SecretString::from(serde_yaml::to_string(&manifest).unwrap_or_default())
}

/// Checks that `raw` is a docker config with usable credentials for `registry_host` and returns the
/// username it holds (never the password).
pub fn check(raw: &[u8], registry_host: &str) -> Result<String, DockerConfigError> {
    credentials(raw, registry_host).map(|(user, _)| user)
}

/// The username and password for `registry_host` in a docker config.
pub fn credentials(
    raw: &[u8],
    registry_host: &str,
) -> Result<(String, SecretString), DockerConfigError> {
    let doc: Document =
        serde_json::from_slice(raw).map_err(|_| DockerConfigError::NotDockerConfig)?;
    let entry = doc
        .auths
        .get(registry_host)
        .ok_or_else(|| DockerConfigError::NoEntryFor(registry_host.to_owned()))?;
    let incomplete = || DockerConfigError::Incomplete(registry_host.to_owned());
    match (&entry.username, &entry.password) {
        (Some(user), Some(pass)) if !user.is_empty() && !pass.is_empty() => {
            Ok((user.clone(), SecretString::from(pass.clone())))
        }
        _ => {
            // Some tools write only `auth` (base64 of user:password).
            let decoded = entry
                .auth
                .as_deref()
                .and_then(|a| B64.decode(a).ok())
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(incomplete)?;
            match decoded.split_once(':') {
                Some((user, pass)) if !user.is_empty() && !pass.is_empty() => {
                    Ok((user.to_owned(), SecretString::from(pass.to_owned())))
                }
                _ => Err(incomplete()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any username without `:` and any non-empty password survive the docker
        /// config, the containers auth.json and the Secret manifest unchanged (JSON
        /// and base64 escape them all).
        #[test]
        fn every_credential_round_trips(
            host in "[a-z0-9.-]{1,30}(:[0-9]{1,5})?",
            username in "[^:]{1,64}",
            password in ".{1,128}",
        ) {
            let secret = SecretString::from(password.clone());
            let doc = render(&host, &username, &secret);
            let (user, pass) = credentials(doc.expose_secret().as_bytes(), &host).unwrap();
            proptest::prop_assert_eq!(&user, &username);
            proptest::prop_assert_eq!(pass.expose_secret(), password.as_str());
            let auth_only = render_containers_auth(&host, &username, &secret);
            let (user, pass) = credentials(auth_only.expose_secret().as_bytes(), &host).unwrap();
            proptest::prop_assert_eq!(&user, &username);
            proptest::prop_assert_eq!(pass.expose_secret(), password.as_str());
            let manifest = render_kubernetes_secret(
                "harbor-pushsecret",
                "team-x",
                doc.expose_secret().as_bytes(),
            );
            let parsed: serde_yaml::Value = serde_yaml::from_str(manifest.expose_secret()).unwrap();
            let data = B64.decode(parsed["data"][".dockerconfigjson"].as_str().unwrap()).unwrap();
            proptest::prop_assert_eq!(credentials(&data, &host).unwrap().0, username);
        }

        /// Arbitrary bytes are refused or read, never a panic.
        #[test]
        fn arbitrary_input_never_panics(
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
        ) {
            let _ = credentials(&raw, "h");
        }
    }

    #[test]
    fn render_then_check_round_trips() {
        let secret = SecretString::from("Sup3rSecretToken".to_string());
        let doc = render(
            "harbor.example.test:8443",
            "robot$berth-alpha-push",
            &secret,
        );
        let value: serde_json::Value = serde_json::from_str(doc.expose_secret()).unwrap();
        let entry = &value["auths"]["harbor.example.test:8443"];
        assert_eq!(entry["username"], "robot$berth-alpha-push");
        assert_eq!(entry["password"], "Sup3rSecretToken");
        let auth = B64.decode(entry["auth"].as_str().unwrap()).unwrap();
        assert_eq!(auth, b"robot$berth-alpha-push:Sup3rSecretToken");
        assert_eq!(
            check(doc.expose_secret().as_bytes(), "harbor.example.test:8443").unwrap(),
            "robot$berth-alpha-push"
        );
    }

    #[test]
    fn containers_auth_holds_only_the_auth_field() {
        let doc = render_containers_auth(
            "h:8443",
            "robot$x",
            &SecretString::from("Pw1abcdefg".to_string()),
        );
        let value: serde_json::Value = serde_json::from_str(doc.expose_secret()).unwrap();
        assert_eq!(value["auths"]["h:8443"].as_object().unwrap().len(), 1);
        assert_eq!(
            check(doc.expose_secret().as_bytes(), "h:8443").unwrap(),
            "robot$x"
        );
    }

    #[test]
    fn kubernetes_secret_parses_back_to_the_same_docker_config() {
        let config = render(
            "h",
            "robot$berth-alpha-push",
            &SecretString::from("Pw1abcdefg".to_string()),
        );
        let yaml =
            render_kubernetes_secret("harbor-pushsecret", "ci", config.expose_secret().as_bytes());
        let secret: k8s_openapi::api::core::v1::Secret =
            serde_yaml::from_str(yaml.expose_secret()).unwrap();
        let value: serde_yaml::Value = serde_yaml::from_str(yaml.expose_secret()).unwrap();
        assert_eq!(value["apiVersion"], "v1");
        assert_eq!(value["kind"], "Secret");
        assert_eq!(secret.metadata.namespace.as_deref(), Some("ci"));
        assert_eq!(
            secret.type_.as_deref(),
            Some("kubernetes.io/dockerconfigjson")
        );
        let data = &secret.data.unwrap()[".dockerconfigjson"].0;
        assert_eq!(data.as_slice(), config.expose_secret().as_bytes());
    }

    #[test]
    fn auth_only_entries_are_accepted() {
        let raw = format!(
            r#"{{"auths":{{"h":{{"auth":"{}"}}}}}}"#,
            B64.encode("robot$x:pw")
        );
        assert_eq!(check(raw.as_bytes(), "h").unwrap(), "robot$x");
    }

    #[test]
    fn broken_documents_are_refused() {
        assert_eq!(
            check(b"not json", "h"),
            Err(DockerConfigError::NotDockerConfig)
        );
        assert_eq!(
            check(
                br#"{"auths":{"other":{"username":"u","password":"p"}}}"#,
                "h"
            ),
            Err(DockerConfigError::NoEntryFor("h".into()))
        );
        assert_eq!(
            check(br#"{"auths":{"h":{"username":"u"}}}"#, "h"),
            Err(DockerConfigError::Incomplete("h".into()))
        );
        assert_eq!(
            check(br#"{"auths":{"h":{"auth":"!!"}}}"#, "h"),
            Err(DockerConfigError::Incomplete("h".into()))
        );
    }

    #[test]
    fn errors_never_carry_the_password() {
        let raw = br#"{"auths":{"h":{"username":"","password":"Pa55wordX"}}}"#;
        let err = check(raw, "h").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("Pa55wordX"));
    }
}
