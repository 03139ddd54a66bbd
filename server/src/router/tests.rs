//! The router as `serve` builds it, called in-process: the state points at addresses nothing
//! listens on, which no test reaches (the identity provider, Harbor and Kubernetes are contacted
//! only when a request needs them).
use super::router;
use crate::serve::app_state;
use app::server::config::Config;
use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use axum::response::Response;
use axum::Router;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use tower::ServiceExt;

const PUBLIC_URL: &str = "http://berth.test:3000";

fn test_router() -> Router {
    let settings = [
        ("BERTH_OIDC_ISSUER", "http://127.0.0.1:9/realms/test"),
        ("BERTH_OIDC_CLIENT_ID", "berth"),
        ("BERTH_OIDC_CLIENT_SECRET", "not-a-secret"),
        ("BERTH_HARBOR_URL", "http://127.0.0.1:9"),
        ("BERTH_HARBOR_PASSWORD", "not-a-password"),
        ("BERTH_PUBLIC_URL", PUBLIC_URL),
    ];
    let config = Config::from_lookup(|key| {
        settings
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, value)| (*value).to_owned())
    })
    .expect("the test configuration");
    // No site files: the fallback answers every path below it with the not-found page.
    let options = LeptosOptions::builder()
        .output_name("berth")
        .site_root(
            std::env::temp_dir()
                .join("berth-router-tests-no-site")
                .to_string_lossy()
                .into_owned(),
        )
        .build();
    let kube = kube::Client::try_from(kube::Config::new("http://127.0.0.1:9".parse().unwrap()))
        .expect("a Kubernetes client for an address");
    let (state, key) = app_state(Arc::new(config), options, kube).expect("the state");
    router(state, key)
}

async fn call(request: Request<Body>) -> Response {
    test_router().oneshot(request).await.expect("infallible")
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

async fn text(response: Response) -> String {
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn header_of<'a>(response: &'a Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn healthz_answers_ok_with_the_security_headers_and_a_request_id() {
    let response = call(get("/healthz")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header_of(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header_of(&response, "x-frame-options"), "DENY");
    assert_eq!(header_of(&response, "referrer-policy"), "same-origin");
    assert!(header_of(&response, "content-security-policy").contains("default-src"));
    // Plain http: no HSTS.
    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_none());
    assert!(!header_of(&response, "x-request-id").is_empty());
    assert_eq!(text(response).await, "ok");
}

#[tokio::test]
async fn a_request_id_from_a_proxy_is_kept() {
    let request = Request::get("/healthz")
        .header("x-request-id", "from-the-proxy")
        .body(Body::empty())
        .unwrap();
    let response = call(request).await;
    assert_eq!(header_of(&response, "x-request-id"), "from-the-proxy");
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused_before_sign_in() {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/auth/logout")
        .header(header::ORIGIN, "https://evil.test")
        .body(Body::empty())
        .unwrap();
    let response = call(request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The refusal passes the headers layer too.
    assert_eq!(header_of(&response, "x-frame-options"), "DENY");
    assert!(text(response)
        .await
        .contains("did not come from Berth's own pages"));
}

#[tokio::test]
async fn a_signed_out_server_function_call_from_berth_is_not_refused_as_cross_site() {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/teams/alpha")
        .header(header::ORIGIN, PUBLIC_URL)
        .body(Body::empty())
        .unwrap();
    // Past the CSRF layer, a signed-out write is told to sign in.
    assert_eq!(call(request).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_signed_out_page_request_goes_to_sign_in_and_back() {
    let response = call(get("/teams/alpha?tab=robots")).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(
        header_of(&response, "location"),
        "/auth/login?return_to=%2Fteams%2Falpha%3Ftab%3Drobots"
    );
}

#[tokio::test]
async fn an_unknown_path_signed_out_goes_to_sign_in_like_any_page() {
    let response = call(get("/no/such/page")).await;
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(
        header_of(&response, "location"),
        "/auth/login?return_to=%2Fno%2Fsuch%2Fpage"
    );
}

#[tokio::test]
async fn an_unknown_public_path_is_not_found() {
    let response = call(get("/pkg/no-such-file.js")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(header_of(&response, "x-content-type-options"), "nosniff");
}

#[tokio::test]
async fn the_signed_out_page_is_served_compressed_when_asked() {
    let request = Request::get("/signed-out")
        .header(header::ACCEPT_ENCODING, "br")
        .body(Body::empty())
        .unwrap();
    let response = call(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header_of(&response, "content-type").starts_with("text/html"));
    assert_eq!(header_of(&response, "content-encoding"), "br");
}

#[tokio::test]
async fn metrics_answer_in_prometheus_text_and_count_requests() {
    let router = test_router();
    let first = router.clone().oneshot(get("/healthz")).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let response = router.oneshot(get("/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header_of(&response, "content-type").starts_with("text/plain; version=0.0.4"));
    let body = text(response).await;
    assert!(body.contains("berth_harbor_sign_ins_total 0\n"), "{body}");
    assert!(
        body.contains("/healthz"),
        "the probe was not counted:\n{body}"
    );
}
