//! Cross-site request refusal, on top of SameSite=Lax cookies: a request that changes
//! something (any method but GET, HEAD and OPTIONS: forms, server functions, sign-out) must
//! come from Berth's own origin whenever the browser says where it comes from (`Origin`, else
//! `Referer`). Browsers send `Origin` on every POST, with JavaScript or without; a request
//! naming neither (curl, scripts) carries no ambient browser credentials to abuse and is let
//! through to the usual sign-in checks.
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use url::Url;

/// Berth's own origin (`scheme://host[:port]` of `BERTH_PUBLIC_URL`).
#[derive(Clone, Debug)]
pub struct OwnOrigin(Arc<str>);

impl OwnOrigin {
    pub fn new(public_url: &Url) -> Self {
        Self(public_url.origin().ascii_serialization().into())
    }
}

/// Why a request is refused, if it is: the origin it came from.
pub fn cross_site(method: &Method, headers: &HeaderMap, own: &OwnOrigin) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let text = |name| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("(not text)").to_owned())
    };
    let claimed = match (text(header::ORIGIN), text(header::REFERER)) {
        // `null`: a sandboxed frame, a `data:` page or a cross-origin
        // redirect; never Berth's own page.
        (Some(origin), _) => origin,
        (None, Some(referer)) => Url::parse(&referer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or(referer),
        (None, None) => return None,
    };
    (claimed != *own.0).then_some(claimed)
}

pub async fn refuse_cross_site(
    State(own): State<OwnOrigin>,
    request: Request,
    next: Next,
) -> Response {
    match cross_site(request.method(), request.headers(), &own) {
        None => next.run(request).await,
        Some(from) => {
            // The origin is an attacker's choice: logged for the operator, cut to a sane length.
            let from: String = from.chars().take(200).collect();
            tracing::warn!(
                method = %request.method(),
                path = %request.uri().path(),
                origin = %from,
                "cross-site request refused"
            );
            (
                StatusCode::FORBIDDEN,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "Refused: this request did not come from Berth's own pages.\n",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own() -> OwnOrigin {
        OwnOrigin::new(&Url::parse("https://berth.example.test/").unwrap())
    }

    fn check(method: Method, pairs: &[(header::HeaderName, &str)]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), value.parse().unwrap());
        }
        cross_site(&method, &headers, &own())
    }

    #[test]
    fn reads_are_never_refused() {
        for method in [Method::GET, Method::HEAD, Method::OPTIONS] {
            assert_eq!(
                check(method, &[(header::ORIGIN, "https://evil.example")]),
                None
            );
        }
    }

    #[test]
    fn writes_from_berth_pass_and_from_elsewhere_are_refused() {
        assert_eq!(
            check(
                Method::POST,
                &[(header::ORIGIN, "https://berth.example.test")]
            ),
            None
        );
        assert_eq!(
            check(
                Method::POST,
                &[(header::REFERER, "https://berth.example.test/teams/alpha")]
            ),
            None
        );
        for (name, value) in [
            (header::ORIGIN, "https://evil.example"),
            (header::ORIGIN, "null"),
            (header::ORIGIN, "http://berth.example.test"),
            (header::ORIGIN, "https://berth.example.test.evil.example"),
            (header::ORIGIN, "https://berth.example.test:8443"),
            (
                header::REFERER,
                "https://evil.example/https://berth.example.test/",
            ),
            (header::REFERER, "not a url"),
        ] {
            assert!(
                check(Method::POST, &[(name.clone(), value)]).is_some(),
                "{name}: {value}"
            );
            assert!(
                check(Method::DELETE, &[(name.clone(), value)]).is_some(),
                "{name}: {value}"
            );
        }
        // Origin wins over a matching Referer.
        assert!(check(
            Method::POST,
            &[
                (header::ORIGIN, "https://evil.example"),
                (header::REFERER, "https://berth.example.test/")
            ]
        )
        .is_some());
    }

    #[test]
    fn requests_naming_no_origin_go_on_to_the_sign_in_checks() {
        assert_eq!(check(Method::POST, &[]), None);
    }
}
