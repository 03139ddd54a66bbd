//! The fake Harbor as a server of its own, for local runs and the end-to-end tests.
//!
//! Env: FAKE_HARBOR_ADDR (127.0.0.1:8089), FAKE_HARBOR_ADMIN_USER (admin),
//! FAKE_HARBOR_ADMIN_PASSWORD, FAKE_HARBOR_ROBOT_PREFIX (robot$).
#[tokio::main]
async fn main() {
    let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
    let addr = env("FAKE_HARBOR_ADDR", "127.0.0.1:8089");
    let app = fake_harbor::router(fake_harbor::Options {
        admin_user: env("FAKE_HARBOR_ADMIN_USER", "admin"),
        admin_password: env("FAKE_HARBOR_ADMIN_PASSWORD", "Harbor12345"),
        robot_prefix: env("FAKE_HARBOR_ROBOT_PREFIX", "robot$"),
    })
    .await;
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .unwrap_or_else(|e| panic!("fake-harbor: cannot listen on {addr}: {e}"));
    println!("fake-harbor listening on http://{addr}");
    axum::serve(listener, app)
        .await
        .expect("fake-harbor server failed");
}
