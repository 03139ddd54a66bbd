//! `berth check-config --probe`: whether the identity provider, Harbor and Kubernetes answer with a
//! configuration. Its problems come from `Config::from_lookup`, which finds them all in one pass.
use super::Config;

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
