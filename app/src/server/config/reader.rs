//! What a setting is, and reading a configuration in one pass that keeps every problem.
use super::ConfigError;

/// What an unset setting means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// Berth does not start without it.
    Required,
    /// This value, read exactly as if it had been set.
    Default(&'static str),
    /// Something no value spells (another setting's value, a behaviour), described for people.
    Means(&'static str),
}

/// One setting, declared once: its name, what leaving it unset means, its help and its parser. The
/// parser gets the value trimmed and never empty (empty counts as unset); its error is the problem,
/// which must not echo a secret.
pub struct Setting<T> {
    /// The environment name; the config file's key is derived from it (see `layers`).
    pub name: &'static str,
    pub unset: Unset,
    pub help: &'static str,
    pub parse: fn(&str) -> Result<T, String>,
}

/// A setting seen without its value type: what the settings table, the config file's keys and the
/// tests need.
pub trait About {
    fn name(&self) -> &'static str;
    fn unset(&self) -> Unset;
    fn help(&self) -> &'static str;
    /// The problem with `value`, if any (the value is parsed and dropped).
    fn check(&self, value: &str) -> Result<(), String>;

    /// The default column of the settings table.
    fn shown_default(&self) -> &'static str {
        match self.unset() {
            Unset::Required => "(required)",
            Unset::Default(text) | Unset::Means(text) => text,
        }
    }
}

impl<T> About for Setting<T> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn unset(&self) -> Unset {
        self.unset
    }

    fn help(&self) -> &'static str {
        self.help
    }

    fn check(&self, value: &str) -> Result<(), String> {
        (self.parse)(value).map(drop)
    }
}

/// Reads settings through a lookup, each once; a problem is kept and reading goes on, so one pass
/// finds them all.
pub struct Reader<F> {
    lookup: F,
    set: Vec<&'static str>,
    pub problems: Vec<ConfigError>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    pub fn new(lookup: F) -> Self {
        Self {
            lookup,
            set: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// The value as set, or its default; `None` when it is unset without a default, or refused (the
    /// problem is kept).
    pub fn get<T>(&mut self, setting: &Setting<T>) -> Option<T> {
        let set = (self.lookup)(setting.name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty());
        let value = match (set, setting.unset) {
            (Some(value), _) => {
                self.set.push(setting.name);
                value
            }
            (None, Unset::Default(value)) => value.to_owned(),
            (None, Unset::Means(_)) => return None,
            (None, Unset::Required) => {
                self.problems.push(ConfigError::Missing(setting.name));
                return None;
            }
        };
        (setting.parse)(&value)
            .map_err(|problem| self.invalid(setting.name, problem))
            .ok()
    }

    /// A setting with a default: a refused value is reported, and the default stands in for it so
    /// that the settings read after it are still checked.
    pub fn value<T>(&mut self, setting: &Setting<T>) -> T {
        match self.get(setting) {
            Some(value) => value,
            None => match setting.unset {
                // Every default parses: the tests check each one.
                Unset::Default(value) => (setting.parse)(value)
                    .unwrap_or_else(|problem| panic!("{}'s default: {problem}", setting.name)),
                _ => panic!("{} has no default to read", setting.name),
            },
        }
    }

    /// Whether the setting was set (rather than left to its default).
    pub fn was_set<T>(&self, setting: &Setting<T>) -> bool {
        self.set.contains(&setting.name)
    }

    /// A variable that is not one of Berth's settings, as it is.
    pub fn other(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// A problem found by a rule across settings.
    pub fn invalid(&mut self, setting: &'static str, problem: String) {
        self.problems
            .push(ConfigError::Invalid { setting, problem });
    }
}
