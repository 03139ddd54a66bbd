//! The built `berth` binary from an empty environment: `berth crd` is the committed CRD, a
//! serve that cannot start says why on one line (exit 2), and `check-config` reads the file
//! and the environment and names every problem. (`check-config --probe` needs the running
//! stack: `make test` runs it.)
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A serve that unexpectedly starts is stopped after this and fails its test.
const DEADLINE: Duration = Duration::from_secs(60);

/// The required settings, pointed at ports nothing listens on.
const GOOD: [(&str, &str); 5] = [
    ("BERTH_OIDC_ISSUER", "http://127.0.0.1:1"),
    ("BERTH_OIDC_CLIENT_ID", "berth"),
    ("BERTH_OIDC_CLIENT_SECRET", "x"),
    ("BERTH_HARBOR_URL", "http://127.0.0.1:2"),
    ("BERTH_HARBOR_PASSWORD", "x"),
];

/// The required settings and `more`.
fn good_and(more: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    GOOD.iter().chain(more).copied().collect()
}

/// A folder of its own under the system's temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("berth-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temporary folder");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `berth ARGS` with only PATH and `vars` in its environment, run in `dir`.
fn berth(dir: &Path, vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(vars.iter().copied())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("berth starts");
    let started = Instant::now();
    while child.try_wait().expect("berth is waited for").is_none() {
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "berth {args:?} still ran after {DEADLINE:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("berth's output")
}

/// `berth` must exit 2 with one line on standard error that starts with `want`.
fn expect_refusal(name: &str, want: &str, vars: &[(&str, &str)]) {
    let dir = TempDir::new(name);
    let output = berth(&dir.0, vars, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stderr = stderr.strip_suffix('\n').unwrap_or(&stderr);
    assert!(
        output.status.code() == Some(2) && stderr.starts_with(want) && !stderr.contains('\n'),
        "wanted exit 2 and '{want}', got {} and '{stderr}'",
        output.status
    );
}

/// `berth check-config ARGS` must exit `want_code` with `want` somewhere in its output.
fn expect_check(
    dir: &Path,
    vars: &[(&str, &str)],
    args: &[&str],
    want_code: i32,
    want: &str,
) -> String {
    let mut all = vec!["check-config"];
    all.extend_from_slice(args);
    let output = berth(dir, vars, &all);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.code() == Some(want_code) && text.contains(want),
        "wanted exit {want_code} and '{want}', got {} and:\n{text}",
        output.status
    );
    text
}

#[test]
fn crd_prints_the_committed_crd() {
    let dir = TempDir::new("crd");
    let output = berth(&dir.0, &[], &["crd"]);
    assert!(output.status.success(), "berth crd: {}", output.status);
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/chart/crds/teams.berth.dev.yaml");
    let committed = std::fs::read_to_string(&committed).expect("the committed CRD");
    assert!(
        String::from_utf8_lossy(&output.stdout) == committed,
        "deploy/chart/crds/teams.berth.dev.yaml differs from `berth crd`: regenerate it with \
         target/release/berth crd > deploy/chart/crds/teams.berth.dev.yaml, then \
         end2end/scripts/manifests.sh"
    );
}

#[test]
fn serve_refuses_without_the_oidc_issuer() {
    expect_refusal(
        "no-issuer",
        "berth: configuration: BERTH_OIDC_ISSUER is required but not set",
        &[],
    );
}

#[test]
fn serve_refuses_without_the_harbor_password() {
    expect_refusal(
        "no-password",
        "berth: configuration: BERTH_HARBOR_PASSWORD is required but not set",
        &GOOD[..4],
    );
}

#[test]
fn serve_refuses_a_timeout_that_is_no_number() {
    expect_refusal(
        "timeout",
        "berth: configuration: BERTH_HARBOR_TIMEOUT_SECS is invalid: expected a whole number of \
         seconds above 0, got \"soon\"",
        &good_and(&[("BERTH_HARBOR_TIMEOUT_SECS", "soon")]),
    );
}

#[test]
fn serve_refuses_an_unknown_group_match() {
    expect_refusal(
        "group-match",
        "berth: configuration: BERTH_GROUP_MATCH is invalid: expected `exact` or `last-segment`, \
         got \"prefix\"",
        &good_and(&[("BERTH_GROUP_MATCH", "prefix")]),
    );
}

#[test]
fn serve_refuses_without_a_kubeconfig() {
    expect_refusal(
        "kubeconfig",
        "berth: configuration: KUBECONFIG: no usable kubeconfig or in-cluster service account",
        &good_and(&[("KUBECONFIG", "/nonexistent"), ("HOME", "/nonexistent")]),
    );
}

/// A config file naming the Harbor password's file, beside the client secret from the environment.
fn config_files(dir: &TempDir) -> (PathBuf, PathBuf) {
    let password = dir.0.join("harbor-password");
    std::fs::write(&password, "Harb0rFromAFile\n").unwrap();
    let file = dir.0.join("berth.yaml");
    std::fs::write(
        &file,
        format!(
            "oidc_issuer: http://127.0.0.1:1\
             \noidc_client_id: berth\
             \nadmin_groups: [ops, sre]\
             \nharbor_url: http://127.0.0.1:2\
             \nharbor_password_file: {}\n",
            password.display()
        ),
    )
    .unwrap();
    (file, password)
}

#[test]
fn check_config_accepts_a_file_plus_the_environment() {
    let dir = TempDir::new("file");
    let (file, password) = config_files(&dir);
    expect_check(
        &dir.0,
        &[("BERTH_OIDC_CLIENT_SECRET", "x")],
        &["--config", file.to_str().unwrap()],
        0,
        &format!(
            "set: BERTH_HARBOR_PASSWORD from config file (harbor_password_file): {}",
            password.display()
        ),
    );
}

#[test]
fn check_config_takes_berth_config_and_lets_the_environment_win() {
    let dir = TempDir::new("env-wins");
    let (file, _) = config_files(&dir);
    expect_check(
        &dir.0,
        &[
            ("BERTH_CONFIG", file.to_str().unwrap()),
            ("BERTH_OIDC_CLIENT_SECRET", "x"),
            ("BERTH_HARBOR_URL", "http://127.0.0.1:3"),
        ],
        &[],
        0,
        "set: BERTH_HARBOR_URL from environment",
    );
}

#[test]
fn check_config_names_all_7_problems_one_per_line() {
    let dir = TempDir::new("bad");
    let text = expect_check(
        &dir.0,
        &[
            ("BERTH_OIDC_ISSUER", "ftp://x"),
            ("BERTH_HARBOR_TIMEOUT_SECS", "soon"),
            ("BERTH_GROUP_MATCH", "prefix"),
        ],
        &[],
        1,
        "problem: ",
    );
    let problems = text.lines().filter(|l| l.starts_with("problem: ")).count();
    assert_eq!(problems, 7, "{text}");
}
