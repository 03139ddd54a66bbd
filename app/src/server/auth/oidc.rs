//! The OIDC relying party. Discovery happens on first use and is cached, so Berth starts (and
//! serves its status) while the identity provider is down.
use crate::server::auth::groups::{any_matches, groups_from_claim};
use crate::server::auth::session::{PendingSignIn, SessionUser};
use crate::server::config::ClientAuth;
use crate::server::config::OidcConfig;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IdTokenFields, IssuerUrl, LogoutRequest, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::RwLock;

/// Claims beyond the standard ones; the groups claim's name is configuration, so all are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub other: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for ExtraClaims {}

type Fields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the identity provider's discovery document could not be read")]
    Discovery(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("no sign-in is in progress in this browser")]
    NoPendingSignIn,
    #[error(
        "the sign-in answer does not belong to the sign-in this browser started (state mismatch)"
    )]
    StateMismatch,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the authorization code could not be exchanged for tokens")]
    TokenExchange(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the identity provider could not be reached to finish the sign-in")]
    ProviderUnreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the identity provider sent no ID token")]
    NoIdToken,
    #[error("the ID token failed verification")]
    IdToken(#[source] openidconnect::ClaimsVerificationError),
    #[error("the ID token is not valid yet (its nbf lies ahead)")]
    NotYetValid,
    #[error("the identity provider has no token endpoint")]
    Configuration(#[source] openidconnect::ConfigurationError),
    #[error("the sign-in URLs could not be built")]
    Url(#[source] openidconnect::url::ParseError),
}

/// How far (seconds) the IdP's clock may run ahead of Berth's.
const CLOCK_SKEW_SECS: i64 = 60;

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether an `nbf` claim (seconds since the epoch) lies beyond `latest` (now plus the clock skew);
/// an `nbf` that is no number cannot be honoured, so it counts as not valid either.
fn not_yet_valid(nbf: Option<&serde_json::Value>, latest: i64) -> bool {
    nbf.is_some_and(|nbf| nbf.as_f64().is_none_or(|nbf| nbf > latest as f64))
}

struct Discovered {
    client: OidcClient,
    end_session: Option<EndSessionUrl>,
    /// When the discovery document and its keys were fetched.
    at: std::time::Instant,
}

/// How often an ID token signed with a key Berth does not know may make it fetch the provider's
/// keys again: a provider that rotated its keys is seen within one sign-in, and forged tokens
/// naming random keys cannot make Berth hammer the provider.
const KEY_REFRESH_INTERVAL: Duration = Duration::from_secs(10);

pub struct Oidc {
    config: OidcConfig,
    redirect_uri: String,
    http: openidconnect::reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

impl Oidc {
    pub fn new(
        config: OidcConfig,
        redirect_uri: String,
        timeout: Duration,
    ) -> Result<Self, openidconnect::reqwest::Error> {
        // No redirects: following them from the token endpoint would open Berth to SSRF.
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()?;
        Ok(Self {
            config,
            redirect_uri,
            http,
            discovered: RwLock::new(None),
        })
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, AuthError> {
        if let Some(d) = self.discovered.read().await.as_ref() {
            return Ok(d.clone());
        }
        self.discover().await
    }

    /// The provider's keys again, when the cached ones are older than KEY_REFRESH_INTERVAL; `None`
    /// when they are not (the caller keeps its answer).
    async fn refreshed(&self, stale: &Discovered) -> Result<Option<Arc<Discovered>>, AuthError> {
        if stale.at.elapsed() < KEY_REFRESH_INTERVAL {
            return Ok(None);
        }
        tracing::info!(
            "an ID token names a key the identity provider's cached keys lack: fetching its \
             discovery document and keys again"
        );
        self.discover().await.map(Some)
    }

    async fn discover(&self) -> Result<Arc<Discovered>, AuthError> {
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(AuthError::Url)?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| AuthError::Discovery(Box::new(e)))?;
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let auth_type = auth_type(
            self.config.client_auth,
            metadata.token_endpoint_auth_methods_supported(),
        );
        let client = Client::from_provider_metadata(
            metadata,
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(
                self.config.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(RedirectUrl::new(self.redirect_uri.clone()).map_err(AuthError::Url)?)
        .set_auth_type(auth_type);
        let discovered = Arc::new(Discovered {
            client,
            end_session,
            at: std::time::Instant::now(),
        });
        *self.discovered.write().await = Some(discovered.clone());
        Ok(discovered)
    }

    /// Fetches the discovery document unless it is cached (readiness); the error names the cause.
    pub async fn ensure_discovered(&self) -> Result<(), String> {
        self.discovered()
            .await
            .map(drop)
            .map_err(|e| crate::server::state::error_chain(&e))
    }

    /// Whether discovery has succeeded (for readiness reporting).
    pub async fn is_discovered(&self) -> bool {
        self.discovered.read().await.is_some()
    }

    /// Starts a sign-in: the URL to send the browser to, and what the callback
    /// must find in the session.
    pub async fn begin(&self, return_to: String) -> Result<(String, PendingSignIn), AuthError> {
        let discovered = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in self.config.scopes.iter().filter(|s| s.as_str() != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = PendingSignIn {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to,
        };
        Ok((url.to_string(), pending))
    }

    /// Completes a sign-in: exchanges the code (with the PKCE verifier) and verifies the
    /// ID token (signature, issuer, audience, expiry, nonce). Returns the user and the raw
    /// ID token (the logout hint).
    pub async fn finish(
        &self,
        pending: PendingSignIn,
        state: &str,
        code: &str,
    ) -> Result<(SessionUser, String), AuthError> {
        if !constant_time_eq(pending.state.as_bytes(), state.as_bytes()) {
            return Err(AuthError::StateMismatch);
        }
        let discovered = self.discovered().await?;
        let tokens = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(AuthError::Configuration)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                // No answer (refused, reset, timed out): the provider's outage, not a bad sign-in.
                openidconnect::RequestTokenError::Request(_) => {
                    AuthError::ProviderUnreachable(Box::new(e))
                }
                _ => AuthError::TokenExchange(Box::new(e)),
            })?;
        let id_token = tokens.id_token().ok_or(AuthError::NoIdToken)?;
        // openidconnect checks signature, issuer, audience, expiry and nonce; a token from the
        // future (iat or nbf beyond the clock skew) is refused here too.
        let latest = unix_now() + CLOCK_SKEW_SECS;
        let verify = |discovered: &Discovered| {
            let verifier = discovered
                .client
                .id_token_verifier()
                .set_issue_time_verifier_fn(move |issued| {
                    if issued.timestamp() > latest {
                        Err(format!("issued at {issued}, in the future"))
                    } else {
                        Ok(())
                    }
                });
            id_token.claims(&verifier, &Nonce::new(pending.nonce.clone()))
        };
        let claims = match verify(&discovered) {
            // Signed with a key Berth has not seen: the provider may have rotated its keys.
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => match self.refreshed(&discovered).await? {
                Some(fresh) => verify(&fresh),
                None => verify(&discovered),
            },
            other => other,
        }
        .map_err(AuthError::IdToken)?;
        if not_yet_valid(claims.additional_claims().other.get("nbf"), latest) {
            return Err(AuthError::NotYetValid);
        }
        let groups = groups_from_claim(
            claims
                .additional_claims()
                .other
                .get(&self.config.groups_claim),
        );
        let username = claims
            .preferred_username()
            .map(|u| u.to_string())
            .unwrap_or_else(|| claims.subject().to_string());
        let display_name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .unwrap_or_else(|| username.clone());
        if self.config.group_match == crate::server::config::GroupMatch::Exact {
            let near =
                crate::server::auth::groups::last_segment_only(&groups, &self.config.admin_groups);
            if !near.is_empty() {
                tracing::warn!(
                    user = %username,
                    groups = ?near,
                    "groups that end like BERTH_ADMIN_GROUPS but are not them grant nothing with \
                     BERTH_GROUP_MATCH=exact; name their full paths in BERTH_ADMIN_GROUPS (or, \
                     knowing the risk, set BERTH_GROUP_MATCH=last-segment)"
                );
            }
        }
        let user = SessionUser {
            subject: claims.subject().to_string(),
            is_platform_admin: any_matches(
                &groups,
                &self.config.admin_groups,
                self.config.group_match,
            ),
            username,
            display_name,
            groups,
        };
        Ok((user, id_token.to_string()))
    }

    /// The identity provider's end-session URL for this sign-out, when it has one.
    pub async fn end_session_url(
        &self,
        id_token_hint: Option<&str>,
        post_logout_redirect: &str,
    ) -> Option<String> {
        let discovered = self.discovered().await.ok()?;
        let endpoint = discovered.end_session.clone()?;
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.config.client_id.clone()));
        if let Ok(url) = PostLogoutRedirectUrl::new(post_logout_redirect.to_owned()) {
            request = request.set_post_logout_redirect_uri(url);
        }
        let mut url = request.http_get_url();
        if let Some(hint) = id_token_hint {
            url.query_pairs_mut().append_pair("id_token_hint", hint);
        }
        Some(url.to_string())
    }
}

/// How the client secret goes to the token endpoint: as configured, or what the provider offers
/// (HTTP Basic first, then the form body; Basic when it says nothing, the spec's default).
fn auth_type(wanted: ClientAuth, offered: Option<&Vec<CoreClientAuthMethod>>) -> AuthType {
    match wanted {
        ClientAuth::Basic => AuthType::BasicAuth,
        ClientAuth::Post => AuthType::RequestBody,
        ClientAuth::Auto => match offered {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        },
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::{auth_type, not_yet_valid};
    use crate::server::config::ClientAuth;
    use openidconnect::core::CoreClientAuthMethod as M;
    use openidconnect::AuthType;
    use serde_json::json;

    #[test]
    fn the_client_secret_goes_where_the_provider_takes_it() {
        let basic_only = vec![M::ClientSecretBasic];
        let post_only = vec![M::ClientSecretPost];
        let both = vec![M::ClientSecretPost, M::ClientSecretBasic];
        let is_post = |a: AuthType| matches!(a, AuthType::RequestBody);
        assert!(!is_post(auth_type(ClientAuth::Auto, None)));
        assert!(!is_post(auth_type(ClientAuth::Auto, Some(&basic_only))));
        assert!(!is_post(auth_type(ClientAuth::Auto, Some(&both))));
        assert!(is_post(auth_type(ClientAuth::Auto, Some(&post_only))));
        assert!(is_post(auth_type(ClientAuth::Post, Some(&basic_only))));
        assert!(!is_post(auth_type(ClientAuth::Basic, Some(&post_only))));
    }

    #[test]
    fn nbf_beyond_the_skew_is_not_yet_valid() {
        assert!(!not_yet_valid(None, 1_000));
        assert!(!not_yet_valid(Some(&json!(1_000)), 1_000));
        assert!(!not_yet_valid(Some(&json!(999.5)), 1_000));
        assert!(not_yet_valid(Some(&json!(1_001)), 1_000));
        assert!(not_yet_valid(Some(&json!("soon")), 1_000));
    }
}
