//! How-tos for the team page with the team's real names filled in. None holds a secret: passwords
//! come from a downloaded file, the copy button or the CI system's secret store.
use crate::model::{DownloadFormat, Snippet};

/// The names a how-to needs.
pub struct HowtoNames<'a> {
    pub team: &'a str,
    pub registry_host: &'a str,
    pub project: &'a str,
    pub namespace: &'a str,
    /// The push robot's full name, Harbor's prefix included (`robot$...`).
    pub push_username: &'a str,
    pub pull_secret: &'a str,
    pub builds_secret: &'a str,
}

/// Quotes a word for POSIX shells: inside single quotes nothing expands, so `robot$x` stays itself.
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:@".contains(&b))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A YAML string that never reinterprets `$`, `:` or `#`.
fn yaml_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn snippet(id: &str, title: &str, intro: &str, code: String) -> Snippet {
    Snippet {
        id: id.to_owned(),
        title: title.to_owned(),
        intro: intro.to_owned(),
        code,
    }
}

/// Ways to use the push credentials (download formats, logins, CI).
pub fn credential_snippets(n: &HowtoNames) -> Vec<Snippet> {
    let host = shell_quote(n.registry_host);
    let user = shell_quote(n.push_username);
    let password_file = DownloadFormat::Password.saved_as(n.team);
    let auth_file = DownloadFormat::ContainersAuth.saved_as(n.team);
    let config_file = DownloadFormat::DockerConfig.saved_as(n.team);
    let manifest_file = DownloadFormat::KubernetesSecret.saved_as(n.team);
    let image = format!("{}/{}/app", n.registry_host, n.project);
    vec![
        snippet(
            "docker-login",
            "docker login",
            "The robot name is quoted: unquoted, a shell would expand its $. --password-stdin \
             keeps the password out of your shell history and process list. Paste the copied \
             password, then press Ctrl-D, or read the downloaded password file.",
            format!(
                "docker login {host} --username {user} --password-stdin < {password_file}\
                 \n\
                 \n# or use the downloaded docker config without signing in (docker reads \
                 <dir>/config.json):\
                 \nmkdir -p ~/.berth/{team} && install -m 600 {config_file} \
                 ~/.berth/{team}/config.json\
                 \ndocker --config ~/.berth/{team} push {image}:1.0",
                team = n.team
            ),
        ),
        snippet(
            "containers",
            "podman, buildah, skopeo",
            "All three read auth.json: by default ${XDG_RUNTIME_DIR}/containers/auth.json, or \
             the file named by --authfile or REGISTRY_AUTH_FILE. Keep the file private (mode 600).",
            format!(
                "install -m 600 {auth_file} ~/.config/berth-{team}-auth.json\
                 \nexport REGISTRY_AUTH_FILE=~/.config/berth-{team}-auth.json\
                 \npodman push {image}:1.0\
                 \nbuildah push {image}:1.0\
                 \nskopeo inspect docker://{image}:1.0\
                 \n\
                 \n# or sign in instead of using the file:\
                 \npodman login {host} --username {user} --password-stdin < {password_file}",
                team = n.team
            ),
        ),
        snippet(
            "kubernetes-secret",
            "Kubernetes Secret",
            "The manifest carries the namespace you chose when downloading; apply it where your \
             build runs, then reference it as an image pull secret or mount it as a docker config.",
            format!(
                "kubectl apply -f {manifest_file}\nkubectl get secret {} -o jsonpath='{{.type}}'",
                shell_quote("harbor-pushsecret")
            ),
        ),
        snippet(
            "github-actions",
            "GitHub Actions",
            &format!(
                "Store the username ({}) and the password as the repository secrets \
                 HARBOR_PUSH_USERNAME and HARBOR_PUSH_PASSWORD (Settings, Secrets and variables, \
                 Actions), and update both together: a rotation changes the robot's name too. \
                 The workflow reads them from there and never holds them.",
                n.push_username
            ),
            format!(
                "jobs:\
                 \n  image:\
                 \n    runs-on: ubuntu-latest\
                 \n    steps:\
                 \n      - uses: actions/checkout@v4\
                 \n      - uses: docker/login-action@v3\
                 \n        with:\
                 \n          registry: {host}\
                 \n          username: ${{{{ secrets.HARBOR_PUSH_USERNAME }}}}\
                 \n          password: ${{{{ secrets.HARBOR_PUSH_PASSWORD }}}}\
                 \n      - uses: docker/build-push-action@v6\
                 \n        with:\
                 \n          push: true\
                 \n          tags: {image}:${{{{ github.sha }}}}",
                host = yaml_quote(n.registry_host),
            ),
        ),
        snippet(
            "gitlab-ci",
            "GitLab CI",
            &format!(
                "Store the username ({}) as the protected CI/CD variable HARBOR_PUSH_USERNAME with \
                 \"Expand variable reference\" off (the name holds a $), and the password as the \
                 masked, protected variable HARBOR_PUSH_PASSWORD (Settings, CI/CD, Variables). \
                 Update both together: a rotation changes the robot's name too.",
                n.push_username
            ),
            format!(
                "build-image:\
                 \n  image: docker:27\
                 \n  services: [\"docker:27-dind\"]\
                 \n  script:\
                 \n    - printf '%s' \"$HARBOR_PUSH_PASSWORD\" | docker login {host} --username \
                 \"$HARBOR_PUSH_USERNAME\" --password-stdin\
                 \n    - docker build -t \"{image}:$CI_COMMIT_SHORT_SHA\" .\
                 \n    - docker push \"{image}:$CI_COMMIT_SHORT_SHA\""
            ),
        ),
    ]
}

/// Everyday use: where images go, pushing, pulling in the cluster, Helm charts, in-cluster builds.
pub fn usage_snippets(n: &HowtoNames) -> Vec<Snippet> {
    let host = shell_quote(n.registry_host);
    let user = shell_quote(n.push_username);
    let repository = format!("{}/{}", n.registry_host, n.project);
    let password_file = DownloadFormat::Password.saved_as(n.team);
    vec![
        snippet(
            "push-image",
            "Tag and push an image",
            "Your images live under the project path below. Sign in first (see the credentials).",
            format!("docker tag app:1.0 {repository}/app:1.0\ndocker push {repository}/app:1.0"),
        ),
        snippet(
            "pull-in-cluster",
            "Pull from the cluster",
            "The pull secret is already on the default ServiceAccount of your namespace, so pods \
             using it pull without further setup. Pods with another ServiceAccount name it \
             themselves.",
            format!(
                "apiVersion: v1\
                 \nkind: Pod\
                 \nmetadata:\
                 \n  name: app\
                 \n  namespace: {namespace}\
                 \nspec:\
                 \n  # serviceAccountName: default already carries {pull}\
                 \n  # imagePullSecrets: [{{ name: {pull} }}]   # only for other ServiceAccounts\
                 \n  containers:\
                 \n    - name: app\
                 \n      image: {repository}/app:1.0",
                namespace = n.namespace,
                pull = n.pull_secret,
            ),
        ),
        snippet(
            "helm-oci",
            "Helm charts (OCI)",
            "Harbor stores charts as OCI artifacts in the same project.",
            format!(
                "helm registry login {host} --username {user} --password-stdin < {password_file}\
                 \nhelm push app-0.1.0.tgz oci://{repository}\
                 \nhelm install app oci://{repository}/app --version 0.1.0 --namespace {namespace}",
                namespace = n.namespace
            ),
        ),
        snippet(
            "in-cluster-builds",
            "Builds inside the cluster",
            "The builds secret holds a config.json with push rights for build pods (kaniko, \
             BuildKit).",
            format!(
                "# kaniko: mount the secret where kaniko reads its docker config\
                 \nvolumes:\
                 \n  - name: docker-config\
                 \n    secret:\
                 \n      secretName: {builds}\
                 \nvolumeMounts:\
                 \n  - name: docker-config\
                 \n    mountPath: /kaniko/.docker\
                 \nargs: [\"--destination={repository}/app:1.0\"]",
                builds = n.builds_secret,
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> HowtoNames<'static> {
        HowtoNames {
            team: "alpha",
            registry_host: "harbor.example.test:8443",
            project: "team-alpha",
            namespace: "team-alpha",
            push_username: "robot$berth-alpha-push",
            pull_secret: "harbor-pullsecret",
            builds_secret: "harbor-pushsecret-builds",
        }
    }

    /// Runs `command` in `sh` with `docker` and friends replaced by a function that prints each
    /// argument on its own line, and returns what the first such call received.
    fn arguments_seen_by_the_shell(command: &str) -> Vec<String> {
        let script = format!(
            "docker() {{ printf '%s\\n' \"$@\"; exit 0; }}\
             \nhelm() {{ docker \"$@\"; }}\
             \npodman() {{ docker \"$@\"; }}\
             \n{command}"
        );
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .output()
            .unwrap();
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn robot_names_survive_the_shell() {
        assert_eq!(
            shell_quote("robot$berth-alpha-push"),
            "'robot$berth-alpha-push'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("harbor.example:8443"), "harbor.example:8443");
        let snippets = credential_snippets(&names());
        let login = snippets
            .iter()
            .find(|s| s.id == "docker-login")
            .unwrap()
            .code
            .lines()
            .next()
            .unwrap()
            .replace(" < password-alpha.txt", "");
        assert_eq!(
            arguments_seen_by_the_shell(&login),
            [
                "login",
                "harbor.example.test:8443",
                "--username",
                "robot$berth-alpha-push",
                "--password-stdin"
            ]
        );
        let helm = usage_snippets(&names())
            .into_iter()
            .find(|s| s.id == "helm-oci")
            .unwrap()
            .code
            .lines()
            .next()
            .unwrap()
            .replace(" < password-alpha.txt", "");
        assert!(arguments_seen_by_the_shell(&helm).contains(&"robot$berth-alpha-push".to_owned()));
        // A prefix with a quote in it is still one word.
        let odd = shell_quote("robot$it's");
        assert_eq!(
            arguments_seen_by_the_shell(&format!("docker {odd}")),
            ["robot$it's"]
        );
    }

    #[test]
    fn ci_snippets_are_yaml_that_reads_the_password_from_the_secret_store() {
        for id in ["github-actions", "gitlab-ci"] {
            let snippet = credential_snippets(&names())
                .into_iter()
                .find(|s| s.id == id)
                .unwrap();
            let yaml: serde_yaml::Value = serde_yaml::from_str(&snippet.code)
                .unwrap_or_else(|e| panic!("{id}: {e}\n{}", snippet.code));
            assert!(snippet.code.contains("HARBOR_PUSH_PASSWORD"), "{id}");
            assert!(
                snippet.code.contains("HARBOR_PUSH_USERNAME"),
                "{id}: the username lives beside the password, since rotation changes both"
            );
            assert!(
                !snippet.code.contains("robot$"),
                "{id}: no name in the file"
            );
            assert!(snippet.intro.contains("robot$berth-alpha-push"), "{id}");
            yaml.as_mapping().expect("a YAML document");
        }
        let github: serde_yaml::Value =
            serde_yaml::from_str(&credential_snippets(&names())[3].code).unwrap();
        assert_eq!(
            github["jobs"]["image"]["steps"][1]["with"]["password"],
            "${{ secrets.HARBOR_PUSH_PASSWORD }}"
        );
        assert_eq!(
            github["jobs"]["image"]["steps"][1]["with"]["username"],
            "${{ secrets.HARBOR_PUSH_USERNAME }}"
        );
        let gitlab: serde_yaml::Value =
            serde_yaml::from_str(&credential_snippets(&names())[4].code).unwrap();
        let login = gitlab["build-image"]["script"][0]
            .as_str()
            .unwrap()
            .replace("printf '%s' \"$HARBOR_PUSH_PASSWORD\" | ", "");
        assert!(
            login.contains("--username \"$HARBOR_PUSH_USERNAME\" --password-stdin"),
            "{login}"
        );
    }

    #[test]
    fn usage_names_the_real_places() {
        let pod = usage_snippets(&names())
            .into_iter()
            .find(|s| s.id == "pull-in-cluster")
            .unwrap();
        let yaml: serde_yaml::Value = serde_yaml::from_str(&pod.code).unwrap();
        assert_eq!(
            yaml["spec"]["containers"][0]["image"],
            "harbor.example.test:8443/team-alpha/app:1.0"
        );
        assert_eq!(yaml["metadata"]["namespace"], "team-alpha");
    }
}
