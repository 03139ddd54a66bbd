//! Security headers on every response. The Content-Security-Policy allows scripts only from
//! Berth itself and inline scripts carrying this response's nonce (Leptos puts it on its
//! hydration and resource scripts), WebAssembly compilation (`wasm-unsafe-eval`, not
//! `unsafe-eval`), and no framing.
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use std::sync::Arc;

/// What the policy depends on: forms may end at the identity provider (sign-out redirects there).
#[derive(Clone)]
pub struct SecurityHeaders {
    idp_origin: Arc<str>,
    https: bool,
}

impl SecurityHeaders {
    pub fn new(issuer: &str, https: bool) -> Self {
        let idp_origin = url::Url::parse(issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Self {
            idp_origin: idp_origin.into(),
            https,
        }
    }

    pub fn policy(&self, nonce: &str) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src \
             'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; \
             base-uri 'none'; form-action 'self' {idp}; frame-ancestors 'none'",
            idp = self.idp_origin
        )
    }
}

/// Mints the response's nonce (handed to the Leptos render through the request's extensions) and
/// sets the headers on whatever the inner service answers.
pub async fn security_headers(
    State(headers): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    let policy = headers.policy(&nonce);
    request.extensions_mut().insert(nonce);
    let mut response = next.run(request).await;
    let set = response.headers_mut();
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), clipboard-write=(self)",
        ),
    ];
    for (name, value) in fixed {
        set.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(value) = HeaderValue::from_str(&policy) {
        set.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if headers.https {
        set.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    // Pages and server-function answers are per user: never stored by shared caches. Downloads
    // already say `no-store`; static files keep their own caching.
    if !set.contains_key(header::CACHE_CONTROL) {
        let content_type = set
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if content_type.starts_with("text/html") || content_type.starts_with("application/json") {
            set.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

/// For the Leptos render: the nonce minted for this request, if the middleware ran.
pub fn provide_request_nonce() {
    if let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() {
        if let Some(nonce) = parts.extensions.get::<Nonce>() {
            leptos::prelude::provide_context(nonce.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_policy_names_the_nonce_and_the_identity_provider() {
        let policy =
            super::SecurityHeaders::new("https://idp.example:8443/realms/x", true).policy("abc");
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(policy.contains("form-action 'self' https://idp.example:8443;"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("'unsafe-eval'") && !policy.contains("'unsafe-inline'"));
    }
}
