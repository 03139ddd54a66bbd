//! Where settings come from, weakest first: Berth's defaults, a YAML config file (`--config` or
//! `BERTH_CONFIG`), then `BERTH_*` environment variables. Any setting may instead name a file
//! holding its value with `<SETTING>_FILE` (mounted Secrets); the value is read from it, trailing
//! newline dropped.
//!
//! In the file, a setting is written lowercase without `BERTH_`: `BERTH_HARBOR_URL` is
//! `harbor_url`, `BERTH_HARBOR_PASSWORD_FILE` is `harbor_password_file`. Lists may be YAML
//! sequences.
use super::{ConfigError, SETTINGS};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The settings as resolved from all layers, by their environment names.
#[derive(Debug, Default, Clone)]
pub struct Layers {
    values: HashMap<String, String>,
    /// Where each value came from (`env`, `env file /run/x`, `config file`), for `check-config`.
    origins: BTreeMap<String, String>,
}

impl Layers {
    /// Resolves every known setting. `env` reads the process environment (a closure, so tests need
    /// not touch it); `config_file` is the file from `--config`, else `BERTH_CONFIG` is used.
    pub fn load(
        env: impl Fn(&str) -> Option<String>,
        config_file: Option<PathBuf>,
    ) -> Result<Self, Vec<ConfigError>> {
        let env = |key: &str| env(key).filter(|v| !v.trim().is_empty());
        let mut problems = Vec::new();
        let file_path = config_file.or_else(|| env("BERTH_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            None => BTreeMap::new(),
            Some(path) => match read_config_file(path) {
                Ok(map) => map,
                Err(problem) => {
                    problems.push(problem);
                    BTreeMap::new()
                }
            },
        };
        let known: Vec<&str> = SETTINGS.iter().map(|setting| setting.name()).collect();
        for key in file.keys() {
            let setting = file_key_to_setting(key);
            let base = setting.strip_suffix("_FILE").unwrap_or(&setting);
            if !known.contains(&base) {
                problems.push(ConfigError::Invalid {
                    setting: "BERTH_CONFIG",
                    problem: format!("unknown setting `{key}` in the config file"),
                });
            }
        }
        let mut layers = Layers::default();
        for name in known {
            let file_name = format!("{name}_FILE");
            let key = setting_to_file_key(name);
            let file_key = format!("{key}_file");
            let candidates = [
                (env(name), None, "environment".to_owned()),
                (None, env(&file_name), format!("environment ({file_name})")),
                (file.get(&key).cloned(), None, "config file".to_owned()),
                (
                    None,
                    file.get(&file_key).cloned(),
                    format!("config file ({file_key})"),
                ),
            ];
            // Within one layer a value and a file for it contradict each other.
            if env(name).is_some() && env(&file_name).is_some() {
                problems.push(ConfigError::Invalid {
                    setting: name,
                    problem: format!("set either {name} or {file_name}, not both"),
                });
                continue;
            }
            if file.contains_key(&key) && file.contains_key(&file_key) {
                problems.push(ConfigError::Invalid {
                    setting: name,
                    problem: format!("the config file sets both `{key}` and `{file_key}`"),
                });
                continue;
            }
            for (value, path, origin) in candidates {
                if let Some(value) = value {
                    layers.values.insert(name.to_owned(), value);
                    layers.origins.insert(name.to_owned(), origin);
                    break;
                }
                if let Some(path) = path {
                    match std::fs::read_to_string(&path) {
                        Ok(content) => {
                            layers.values.insert(
                                name.to_owned(),
                                content.trim_end_matches(['\n', '\r']).to_owned(),
                            );
                            layers
                                .origins
                                .insert(name.to_owned(), format!("{origin}: {path}"));
                        }
                        // The error names the file, never its content.
                        Err(error) => problems.push(ConfigError::Invalid {
                            setting: name,
                            problem: format!("cannot read {path}: {}", error.kind()),
                        }),
                    }
                    break;
                }
            }
        }
        // Settings Berth reads that are not `BERTH_*` (its instance name falls back to HOSTNAME).
        if let Some(host) = env("HOSTNAME") {
            layers.values.insert("HOSTNAME".into(), host);
        }
        if problems.is_empty() {
            Ok(layers)
        } else {
            Err(problems)
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }

    /// Where each set value came from.
    pub fn origins(&self) -> &BTreeMap<String, String> {
        &self.origins
    }

    /// Layers holding exactly these values (tests).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            origins: BTreeMap::new(),
        }
    }
}

fn setting_to_file_key(setting: &str) -> String {
    setting.trim_start_matches("BERTH_").to_ascii_lowercase()
}

fn file_key_to_setting(key: &str) -> String {
    format!("BERTH_{}", key.to_ascii_uppercase())
}

/// A flat YAML map of settings; scalars become text, sequences comma-separated text.
fn read_config_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        setting: "BERTH_CONFIG",
        problem,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(format!("cannot read {}: {}", path.display(), e.kind())))?;
    let document: serde_yaml::Value = serde_yaml::from_str(&text)
        .map_err(|e| invalid(format!("{} is not YAML: {e}", path.display())))?;
    let serde_yaml::Value::Mapping(map) = document else {
        return Err(invalid(format!(
            "{} must be a map of settings",
            path.display()
        )));
    };
    let scalar = |value: &serde_yaml::Value| match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut settings = BTreeMap::new();
    for (key, value) in map {
        let Some(key) = key.as_str().map(str::to_owned) else {
            return Err(invalid(format!(
                "{}: every key must be a setting name",
                path.display()
            )));
        };
        let text = match &value {
            serde_yaml::Value::Sequence(items) => items
                .iter()
                .map(scalar)
                .collect::<Option<Vec<_>>>()
                .map(|v| v.join(",")),
            serde_yaml::Value::Null => continue,
            other => scalar(other),
        };
        let text = text.ok_or_else(|| {
            invalid(format!(
                "`{key}` must be text, a number, true/false or a list of them"
            ))
        })?;
        settings.insert(key, text);
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp(name: &str, content: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("berth-config-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        path
    }

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn environment_beats_the_file_which_beats_the_defaults() {
        let secret = temp("harbor-password", "Fr0mAFile\n");
        let file = temp(
            "berth.yaml",
            &format!(
                concat!(
                    "harbor_url: https://harbor.example\n",
                    "harbor_timeout_secs: 9\n",
                    "admin_groups: [ops, sre]\n",
                    "harbor_password_file: {}\n",
                    "public_url: https://from-file\n",
                ),
                secret.display()
            ),
        );
        let pairs = [("BERTH_PUBLIC_URL", "https://from-env")];
        let layers = Layers::load(env(&pairs), Some(file)).unwrap();
        assert_eq!(
            layers.get("BERTH_PUBLIC_URL").as_deref(),
            Some("https://from-env")
        );
        assert_eq!(
            layers.get("BERTH_HARBOR_URL").as_deref(),
            Some("https://harbor.example")
        );
        assert_eq!(
            layers.get("BERTH_HARBOR_TIMEOUT_SECS").as_deref(),
            Some("9")
        );
        assert_eq!(layers.get("BERTH_ADMIN_GROUPS").as_deref(), Some("ops,sre"));
        assert_eq!(
            layers.get("BERTH_HARBOR_PASSWORD").as_deref(),
            Some("Fr0mAFile")
        );
        assert_eq!(layers.get("BERTH_OIDC_ISSUER"), None);
        assert_eq!(layers.origins()["BERTH_PUBLIC_URL"], "environment");
        assert!(layers.origins()["BERTH_HARBOR_PASSWORD"]
            .starts_with("config file (harbor_password_file): "));
    }

    #[test]
    fn file_settings_come_from_the_environment_too_and_never_leak_into_errors() {
        let secret = temp("client-secret", "s3cr3t-from-file\r\n");
        let path = secret.display().to_string();
        let pairs = [
            ("BERTH_OIDC_CLIENT_SECRET_FILE", path.as_str()),
            ("BERTH_CONFIG", "/nonexistent/berth.yaml"),
        ];
        let problems = Layers::load(env(&pairs), None).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0]
                .to_string()
                .contains("cannot read /nonexistent/berth.yaml"),
            "{}",
            problems[0]
        );
        let pairs = [("BERTH_OIDC_CLIENT_SECRET_FILE", path.as_str())];
        assert_eq!(
            Layers::load(env(&pairs), None)
                .unwrap()
                .get("BERTH_OIDC_CLIENT_SECRET")
                .as_deref(),
            Some("s3cr3t-from-file")
        );
    }

    #[test]
    fn every_problem_is_named() {
        let file = temp(
            "bad.yaml",
            "harbor_urll: https://typo\noidc_client_secret: a\noidc_client_secret_file: /x\n",
        );
        let pairs = [
            ("BERTH_HARBOR_PASSWORD", "a"),
            ("BERTH_HARBOR_PASSWORD_FILE", "/run/secrets/pw"),
            ("BERTH_OIDC_ISSUER_FILE", "/does/not/exist"),
        ];
        let problems: Vec<String> = Layers::load(env(&pairs), Some(file))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems
            .iter()
            .any(|p| p.contains("unknown setting `harbor_urll`")));
        assert!(problems
            .iter()
            .any(|p| p.contains("set either BERTH_HARBOR_PASSWORD or BERTH_HARBOR_PASSWORD_FILE")));
        assert!(problems
            .iter()
            .any(|p| p.contains("both `oidc_client_secret` and `oidc_client_secret_file`")));
        assert!(problems
            .iter()
            .any(|p| p.starts_with("BERTH_OIDC_ISSUER is invalid: cannot read /does/not/exist")));
        assert!(!problems.iter().any(|p| p.contains(": a")));
    }

    #[test]
    fn non_map_files_are_refused() {
        let file = temp("list.yaml", "- a\n- b\n");
        let problems = Layers::load(|_| None, Some(file)).unwrap_err();
        assert!(problems[0]
            .to_string()
            .contains("must be a map of settings"));
    }
}
