//! The names that arrive from outside (URLs, forms, server-function arguments) and the one rule
//! each must meet before Berth uses it. The Team CRD enforces the same team-name rule in the
//! apiserver (`metadata.name`), so a name Berth accepts is a name a Team can have, and no other
//! name ever reaches Kubernetes or Harbor.
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest team name: `team-<name>` must still fit a namespace (63) and
/// leave room in robot names.
pub const TEAM_NAME_MAX: usize = 40;

/// The team-name rule as a regular expression (the CRD's `metadata.name` pattern). Harbor's project
/// rule (`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`) refuses `a--b`, and team names become project names, so
/// dashes come one at a time.
pub const TEAM_NAME_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// The same rule for an HTML `pattern` attribute (implicitly anchored; valid with the `v` flag).
pub const TEAM_NAME_HTML_PATTERN: &str = "[a-z0-9]+(-[a-z0-9]+)*";

/// What the rule says, for people.
pub const TEAM_NAME_RULE: &str = "\
    A team name is 1 to 40 lower-case letters and digits, in groups joined by single dashes \
    (payments, team-42).";

/// A team name that meets the rule. The only way to name a Team to the cluster: built from input
/// with [`TeamName::parse`], or taken from a Team the apiserver returned.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TeamName(String);

/// Why a typed name is not a team name. Its text is fit for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("A team name cannot be empty. {TEAM_NAME_RULE}")]
    Empty,
    #[error("That team name is {0} characters long; the most is 40. {TEAM_NAME_RULE}")]
    TooLong(usize),
    #[error("{0:?} is not a team name. {TEAM_NAME_RULE}")]
    Invalid(String),
}

impl NameError {
    /// A stable identifier for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            NameError::Empty => "empty",
            NameError::TooLong(_) => "too-long",
            NameError::Invalid(_) => "invalid",
        }
    }
}

/// Whether `name` meets the team-name rule.
pub fn valid_team_name(name: &str) -> bool {
    name.len() <= TEAM_NAME_MAX
        && !name.is_empty()
        && name.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Whether `name` is a DNS label, as Kubernetes names namespaces: a-z, 0-9 and `-`, at most 63,
/// starting and ending with a letter or digit.
pub fn is_dns_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

impl TeamName {
    /// Checks a name that came from outside. An invalid name is echoed back shortened, so a long
    /// input never makes a long message.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        if input.is_empty() {
            return Err(NameError::Empty);
        }
        if valid_team_name(input) {
            return Ok(Self(input.to_owned()));
        }
        let chars = input.chars().count();
        if chars > TEAM_NAME_MAX
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(NameError::TooLong(chars));
        }
        let shown: String = input.chars().take(TEAM_NAME_MAX + 8).collect();
        Err(NameError::Invalid(if chars > TEAM_NAME_MAX + 8 {
            format!("{shown}…")
        } else {
            shown
        }))
    }

    /// The name of a Team the apiserver returned: the CRD's rule has already been applied to it (or
    /// it predates the rule, and is still the only name that Team has).
    pub fn trusted(name_from_kubernetes: impl Into<String>) -> Self {
        Self(name_from_kubernetes.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TeamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TeamName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Deserializing checks the rule too, so a `TeamName` in a server function's arguments is refused
/// before the function body runs.
impl<'de> Deserialize<'de> for TeamName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        TeamName::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        for good in ["alpha", "a", "team-42", "x-y-z", "0", &"a".repeat(40)] {
            assert!(TeamName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Alpha",
            "-a",
            "a-",
            "a--b",
            "a_b",
            "a.b",
            "a b",
            "ä",
            "alpha?x",
            "alpha/status",
            "alpha%2Fstatus",
            "..",
            ".",
            "alpha\0",
            "alpha\n",
            "ａｌｐｈａ",
            &"x".repeat(41),
        ] {
            assert!(TeamName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(TeamName::parse(""), Err(NameError::Empty));
        assert_eq!(
            TeamName::parse(&"x".repeat(41)),
            Err(NameError::TooLong(41))
        );
        assert_eq!(TeamName::parse("a--b").unwrap_err().reason(), "invalid");
    }

    #[test]
    fn messages_stay_short_and_say_the_rule() {
        let message = TeamName::parse(&"Ab/".repeat(10_000))
            .unwrap_err()
            .to_string();
        assert!(message.len() < 300, "{message}");
        assert!(
            message.contains("lower-case letters and digits"),
            "{message}"
        );
    }

    #[test]
    fn the_regular_expressions_say_the_same() {
        // The HTML pattern is the anchored one without its anchors.
        assert_eq!(format!("^{TEAM_NAME_HTML_PATTERN}$"), TEAM_NAME_PATTERN);
    }

    #[test]
    fn deserializing_checks_the_rule() {
        assert!(serde_json::from_str::<TeamName>("\"alpha\"").is_ok());
        assert!(serde_json::from_str::<TeamName>("\"alpha?x\"").is_err());
    }

    proptest::proptest! {
        /// The rule as code and as a regular expression agree on every input, and a
        /// name that passes makes a namespace (`team-<name>`, an RFC 1123 label) and a
        /// Harbor project name that fit.
        #[test]
        fn code_and_pattern_agree(
            typed in proptest::prelude::any::<String>(),
            shaped in "[a-z0-9-]{0,45}",
        ) {
            let pattern = regex::Regex::new(TEAM_NAME_PATTERN).unwrap();
            let harbor = regex::Regex::new("^[a-z0-9]+(?:[._-][a-z0-9]+)*$").unwrap();
            for name in [typed.as_str(), shaped.as_str()] {
                let ok = valid_team_name(name);
                proptest::prop_assert_eq!(
                    ok,
                    pattern.is_match(name) && name.len() <= TEAM_NAME_MAX,
                    "{:?}",
                    name
                );
                if ok {
                    let project = format!("team-{name}");
                    proptest::prop_assert!(project.len() <= 63);
                    proptest::prop_assert!(harbor.is_match(&project));
                }
            }
        }
    }
}
