//! What operators rely on, against the running Berth of `make test`: security headers on every route
//! (a CSP whose nonce is on every inline script), `/healthz`, and `/readyz` going unready while
//! Kubernetes is stopped and ready again when it returns, with Harbor reported but never fatal.
use std::time::{Duration, Instant};

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| panic!("{key} is not set: run these tests through `make test`"))
}

fn berth() -> String {
    env("BERTH_PUBLIC_URL").trim_end_matches('/').to_owned()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(15)).build().unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn every_route_carries_the_security_headers() {
    let http = client();
    let base = berth();
    let routes: [(&str, &str); 11] = [
        ("GET", "/"),
        ("GET", "/teams/alpha"),
        ("GET", "/auth/login"),
        ("GET", "/signed-out"),
        ("GET", "/no-such-page"),
        ("GET", "/pkg/berth.css"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("POST", "/api/load_team"),
        ("GET", "/teams/alpha/downloads/docker-config.json"),
    ];
    let mut nonces = Vec::new();
    for (method, path) in routes {
        let request = match method {
            "POST" => http.post(format!("{base}{path}")).form(&[("name", "alpha")]),
            _ => http.get(format!("{base}{path}")),
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let policy = header(&response, "content-security-policy");
        assert!(policy.contains("script-src 'self' 'nonce-") && policy.contains("'wasm-unsafe-eval'"), "{path}: {policy}");
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"), "{path}: {policy}");
        assert!(!policy.contains("'unsafe-eval'") && !policy.contains("'unsafe-inline'"), "{path}: {policy}");
        assert_eq!(header(&response, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header(&response, "referrer-policy"), "same-origin", "{path}");
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        // Served over http here: no HSTS (it is set when BERTH_PUBLIC_URL is https).
        assert_eq!(header(&response, "strict-transport-security"), "", "{path}");
        let content_type = header(&response, "content-type");
        if content_type.starts_with("text/html") || content_type.starts_with("application/json") {
            assert_eq!(header(&response, "cache-control"), "no-store", "{path} ({status})");
        }
        let nonce = policy.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
        if path == "/signed-out" {
            // Every inline script of a rendered page carries this response's nonce, or the browser would
            // refuse to hydrate.
            let html = response.text().await.unwrap();
            let scripts = html.matches("<script").count();
            assert!(scripts > 0, "{path} has no scripts");
            assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts, true, "{path}: {scripts} scripts, nonce {nonce}:\n{html}");
        }
        nonces.push(nonce);
    }
    let distinct: std::collections::HashSet<&String> = nonces.iter().collect();
    assert_eq!(distinct.len(), nonces.len(), "every response has its own nonce");
}

/// Resumes the apiserver even when an assertion fails, so later tests find it running.
struct Stopped(String);

impl Stopped {
    fn apiserver() -> Self {
        let pid = std::fs::read_to_string(env("KUBE_APISERVER_PIDFILE")).unwrap().trim().to_owned();
        assert!(std::process::Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-CONT", &self.0]).status();
    }
}

async fn readiness() -> (u16, serde_json::Value) {
    let response = client().get(format!("{}/readyz", berth())).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn readyz_follows_kubernetes_and_only_reports_harbor() {
    let (status, body) = readiness().await;
    assert_eq!(status, 200, "{body}");
    for check in ["sessions", "oidc", "kubernetes", "harbor"] {
        assert_eq!(body["checks"][check]["ok"], true, "{check}: {body}");
    }
    assert_eq!(client().get(format!("{}/healthz", berth())).send().await.unwrap().status(), 200);

    {
        let _stopped = Stopped::apiserver();
        let started = Instant::now();
        let (status, body) = readiness().await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["ready"], false);
        assert_eq!(body["checks"]["kubernetes"]["ok"], false, "{body}");
        assert!(body["checks"]["kubernetes"]["detail"].as_str().unwrap().contains("did not answer"), "{body}");
        assert!(started.elapsed() < Duration::from_secs(6), "answered within the Kubernetes time-out: {:?}", started.elapsed());
        // The process itself is alive: liveness must not restart it for an upstream's outage.
        assert_eq!(client().get(format!("{}/healthz", berth())).send().await.unwrap().status(), 200);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = readiness().await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "not ready again 20 s after Kubernetes returned: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Harbor too slow to answer: reported, but the replica stays ready.
    let fake = env("FAKE_HARBOR_URL");
    let faults = |body: serde_json::Value| {
        let url = format!("{fake}/__fake/faults");
        async move { client().post(url).json(&body).send().await.unwrap() }
    };
    faults(serde_json::json!({ "latency_ms": 2500 })).await;
    let (status, body) = readiness().await;
    faults(serde_json::json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checks"]["harbor"]["ok"], false, "{body}");
    assert_eq!(body["checks"]["harbor"]["required"], false, "{body}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let http = client();
    for _ in 0..3 {
        http.get(format!("{}/teams/alpha", berth())).send().await.unwrap();
    }
    let text = http.get(format!("{}/metrics", berth())).send().await.unwrap().text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("berth_http_requests_total{route=\"/teams/{name}\",method=\"GET\",status=\"303\"}")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 3, "{line}");
    assert!(text.contains("berth_http_request_duration_seconds_bucket{route=\"/teams/{name}\",le=\"+Inf\"}"));
    assert!(text.contains("# TYPE berth_audit_records_total counter"));
    // Route patterns only: no concrete team name in an HTTP label.
    assert!(!text.lines().any(|l| l.starts_with("berth_http") && l.contains("alpha")), "{text}");
}
