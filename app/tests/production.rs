//! What operators rely on, against the running Berth of `make test`: security headers on
//! every route (a CSP whose nonce is on every inline script), `/healthz`, and `/readyz`
//! going unready while Kubernetes is stopped and ready again when it returns, with Harbor
//! reported but never fatal.
mod common;

use common::*;
use std::time::{Duration, Instant};

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
            "POST" => http
                .post(format!("{base}{path}"))
                .form(&[("name", "alpha")]),
            _ => http.get(format!("{base}{path}")),
        };
        let response = request.send().await.unwrap();
        let status = response.status();
        let policy = header(&response, "content-security-policy");
        assert!(
            policy.contains("script-src 'self' 'nonce-") && policy.contains("'wasm-unsafe-eval'"),
            "{path}: {policy}"
        );
        assert!(
            policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"),
            "{path}: {policy}"
        );
        assert!(
            !policy.contains("'unsafe-eval'") && !policy.contains("'unsafe-inline'"),
            "{path}: {policy}"
        );
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(
            header(&response, "referrer-policy"),
            "same-origin",
            "{path}"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        // Served over http here: no HSTS (it is set when BERTH_PUBLIC_URL is https).
        assert_eq!(header(&response, "strict-transport-security"), "", "{path}");
        let content_type = header(&response, "content-type");
        if content_type.starts_with("text/html") || content_type.starts_with("application/json") {
            assert_eq!(
                header(&response, "cache-control"),
                "no-store",
                "{path} ({status})"
            );
        }
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_owned();
        if path == "/signed-out" {
            // Every inline script of a rendered page carries this response's nonce, or the browser
            // would refuse to hydrate.
            let html = response.text().await.unwrap();
            let scripts = html.matches("<script").count();
            assert!(scripts > 0, "{path} has no scripts");
            assert!(
                html.matches(&format!("nonce=\"{nonce}\"")).count() >= scripts,
                "{path}: {scripts} scripts, nonce {nonce}:\n{html}"
            );
        }
        nonces.push(nonce);
    }
    let distinct: std::collections::HashSet<&String> = nonces.iter().collect();
    assert_eq!(
        distinct.len(),
        nonces.len(),
        "every response has its own nonce"
    );
}

/// Resumes the apiserver even when an assertion fails, so later tests find it running.
struct Stopped(String);

impl Stopped {
    fn apiserver() -> Self {
        let pid = std::fs::read_to_string(env("KUBE_APISERVER_PIDFILE"))
            .unwrap()
            .trim()
            .to_owned();
        assert!(std::process::Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success());
        Stopped(pid)
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-CONT", &self.0])
            .status();
    }
}

async fn readiness() -> (u16, serde_json::Value) {
    let response = client()
        .get(format!("{}/readyz", berth()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Sets the fake Harbor's faults (latency, failures); `{}` clears them.
async fn faults(body: serde_json::Value) {
    client()
        .post(format!("{}/__fake/faults", env("FAKE_HARBOR_URL")))
        .json(&body)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn readyz_follows_kubernetes_and_only_reports_harbor() {
    let (status, body) = readiness().await;
    assert_eq!(status, 200, "{body}");
    for check in ["sessions", "oidc", "kubernetes", "harbor"] {
        assert_eq!(body["checks"][check]["ok"], true, "{check}: {body}");
    }
    assert_eq!(
        client()
            .get(format!("{}/healthz", berth()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    {
        let _stopped = Stopped::apiserver();
        let started = Instant::now();
        let (status, body) = readiness().await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["ready"], false);
        assert_eq!(body["checks"]["kubernetes"]["ok"], false, "{body}");
        assert!(
            body["checks"]["kubernetes"]["detail"]
                .as_str()
                .unwrap()
                .contains("did not answer"),
            "{body}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "answered within the Kubernetes time-out: {:?}",
            started.elapsed()
        );
        // The process itself is alive: liveness must not restart it for an upstream's outage.
        assert_eq!(
            client()
                .get(format!("{}/healthz", berth()))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = readiness().await;
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not ready again 20 s after Kubernetes returned: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // Harbor too slow to answer: reported, but the replica stays ready.
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
        http.get(format!("{}/teams/alpha", berth()))
            .send()
            .await
            .unwrap();
    }
    let text = http
        .get(format!("{}/metrics", berth()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with(
                "berth_http_requests_total{route=\"/teams/{name}\",method=\"GET\",status=\"303\"}",
            )
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 3,
        "{line}"
    );
    assert!(text.contains(
        "berth_http_request_duration_seconds_bucket{route=\"/teams/{name}\",le=\"+Inf\"}"
    ));
    assert!(text.contains("# TYPE berth_audit_records_total counter"));
    // Route patterns only: no concrete team name in an HTTP label.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("berth_http") && l.contains("alpha")),
        "{text}"
    );
}

/// SIGTERM (what Kubernetes sends before it kills a pod): requests already in flight are
/// answered, then the process exits cleanly. A second, UI-only Berth is started for
/// this, so the suite's stays up.
#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let port = 3198;
    let binary = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/berth");
    let log = std::fs::File::create(format!("{}/sigterm-berth.log", env("STACK"))).unwrap();
    let mut berth = std::process::Command::new(binary)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("BERTH_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("BERTH_RECONCILE", "off")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while client()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the second Berth did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // `/readyz` waits on Harbor's ping: 1.5 s with this latency (inside the 2 s Harbor time-out).
    faults(serde_json::json!({ "latency_ms": 1500 })).await;
    let in_flight = tokio::spawn({
        let url = format!("{base}/readyz");
        async move {
            let response = client().get(url).send().await?;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await?;
            Ok::<_, reqwest::Error>((status, body))
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    let signalled = Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &berth.id().to_string()])
        .status()
        .unwrap()
        .success());
    let answer = in_flight.await.unwrap();
    faults(serde_json::json!({})).await;
    let (status, body) = answer.expect("the request in flight at SIGTERM was answered");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["checks"]["harbor"]["ok"], true,
        "Harbor's slow answer was waited for: {body}"
    );
    let exit_deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = berth.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < exit_deadline,
            "Berth did not exit within 10 s of SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "{exit:?}");
    println!(
        "SIGTERM: the in-flight request was answered and Berth exited {:.1} s after the signal",
        signalled.elapsed().as_secs_f64()
    );
    assert!(
        client()
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_err(),
        "nothing listens after the exit"
    );
}
