//! `berth check-config`: every problem of a configuration, each on its own line, and (with `--probe`)
//! whether the identity provider, Harbor and Kubernetes answer with it.
use super::layers::Layers;
use super::{Config, ConfigError, SETTINGS};
use std::collections::HashMap;

/// Every problem, not just the first: after each one the setting is put back to its default (or, for a
/// required one, to a stand-in) and the configuration is read again.
pub fn problems(layers: &Layers) -> Vec<ConfigError> {
    let mut overrides: HashMap<&'static str, Option<String>> = HashMap::new();
    let mut found = Vec::new();
    for _ in 0..=SETTINGS.len() {
        let lookup = |key: &str| match overrides.get(key) {
            Some(value) => value.clone(),
            None => layers.get(key),
        };
        let setting = match Config::from_lookup(lookup) {
            Ok(_) => return found,
            Err(error) => {
                let setting = match &error {
                    ConfigError::Missing(setting) => *setting,
                    ConfigError::Invalid { setting, .. } => *setting,
                };
                found.push(error);
                setting
            }
        };
        if overrides.contains_key(setting) {
            // Its stand-in is refused too (a rule across settings): nothing more can be learnt.
            return found;
        }
        let required = SETTINGS
            .iter()
            .any(|(name, default, _)| *name == setting && default.is_none());
        overrides.insert(setting, required.then(|| stand_in(setting)));
    }
    found
}

fn stand_in(setting: &str) -> String {
    if setting.ends_with("_URL") || setting.ends_with("_ISSUER") {
        "http://stand-in.invalid".into()
    } else {
        "stand-in".into()
    }
}

/// One reachability check's outcome, for `check-config --probe`.
pub struct Probe {
    pub what: &'static str,
    pub result: Result<String, String>,
}

/// Asks the identity provider for its discovery document, Harbor for `/ping` and, with Berth's
/// credentials, `/users/current`, and Kubernetes for its version.
pub async fn probe(config: &Config) -> Vec<Probe> {
    let http = match reqwest::Client::builder()
        .timeout(config.oidc_timeout.max(config.harbor.timeout))
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            return vec![Probe {
                what: "HTTP client",
                result: Err(error.to_string()),
            }]
        }
    };
    let discovery = async {
        let url = format!("{}/.well-known/openid-configuration", config.oidc.issuer);
        let response = http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {}", reason(&e)))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let document: serde_json::Value = response
            .json()
            .await
            .map_err(|_| format!("{url} is not a discovery document"))?;
        match document["issuer"].as_str() {
            Some(issuer) if issuer.trim_end_matches('/') == config.oidc.issuer => {
                Ok(format!("discovery at {url}"))
            }
            Some(issuer) => Err(format!(
                "the provider names itself {issuer:?}, not BERTH_OIDC_ISSUER {:?}",
                config.oidc.issuer
            )),
            None => Err(format!("{url} has no issuer")),
        }
    };
    let harbor = async {
        let client =
            crate::server::harbor::HarborClient::new(&config.harbor).map_err(|e| e.to_string())?;
        let ping = client.ping().await.map_err(|e| e.to_string())?;
        if let Some(problem) = client.identity_problem().await.map_err(|e| e.to_string())? {
            return Err(problem);
        }
        Ok(format!(
            "{} answered in {} ms and takes Berth's credentials for a system administrator",
            config.harbor.url,
            ping.as_millis()
        ))
    };
    let kubernetes = async {
        let kube = kube::Config::infer()
            .await
            .map_err(|e| format!("no kubeconfig or in-cluster ServiceAccount: {e}"))?;
        let client = kube::Client::try_from(kube).map_err(|e| e.to_string())?;
        let version = tokio::time::timeout(config.kube_timeout, client.apiserver_version())
            .await
            .map_err(|_| format!("no answer within {} s", config.kube_timeout.as_secs()))?
            .map_err(|e| e.to_string())?;
        Ok(format!("API server {}", version.git_version))
    };
    let (discovery, harbor, kubernetes) = tokio::join!(discovery, harbor, kubernetes);
    vec![
        Probe {
            what: "identity provider",
            result: discovery,
        },
        Probe {
            what: "Harbor",
            result: harbor,
        },
        Probe {
            what: "Kubernetes",
            result: kubernetes,
        },
    ]
}

fn reason(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "no answer in time"
    } else if error.is_connect() {
        "unreachable"
    } else {
        "request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_found_in_one_run() {
        let layers = Layers::from_pairs([
            ("BERTH_OIDC_ISSUER", "ftp://idp"),
            ("BERTH_HARBOR_TIMEOUT_SECS", "soon"),
            ("BERTH_GROUP_MATCH", "fuzzy"),
            ("BERTH_HARBOR_URL", "https://harbor.example"),
            ("BERTH_HARBOR_PASSWORD", "pw"),
        ]);
        let found: Vec<String> = problems(&layers).iter().map(ToString::to_string).collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found
            .iter()
            .any(|p| p.starts_with("BERTH_OIDC_ISSUER is invalid: scheme must be http or https")));
        assert!(found
            .iter()
            .any(|p| p.starts_with("BERTH_HARBOR_TIMEOUT_SECS is invalid")));
        assert!(found
            .iter()
            .any(|p| p.starts_with("BERTH_GROUP_MATCH is invalid")));
        assert!(found.contains(&"BERTH_OIDC_CLIENT_ID is required but not set".to_owned()));
        assert!(found.contains(&"BERTH_OIDC_CLIENT_SECRET is required but not set".to_owned()));
    }

    #[test]
    fn a_good_configuration_has_no_problems() {
        let layers = Layers::from_pairs([
            ("BERTH_OIDC_ISSUER", "https://idp.example"),
            ("BERTH_OIDC_CLIENT_ID", "berth"),
            ("BERTH_OIDC_CLIENT_SECRET", "s"),
            ("BERTH_HARBOR_URL", "https://harbor.example"),
            ("BERTH_HARBOR_PASSWORD", "pw"),
        ]);
        assert!(problems(&layers).is_empty());
    }
}
