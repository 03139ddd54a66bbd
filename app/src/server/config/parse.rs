//! How a setting's text becomes its value. Each parser gets the value trimmed and not empty; its
//! error is the problem, never echoing a secret.
use super::{ClientAuth, GroupMatch, HarborAuth};
use crate::server::harbor::ProjectRole;
use secrecy::SecretString;
use std::time::Duration;
use url::Url;

const DAY: u64 = 86_400;

pub fn text(value: &str) -> Result<String, String> {
    Ok(value.to_owned())
}

pub fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value))
}

/// Items separated by commas or white space.
pub fn list(value: &str) -> Result<Vec<String>, String> {
    Ok(value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect())
}

pub fn http_url(value: &str) -> Result<Url, String> {
    let parsed = Url::parse(value).map_err(|e| format!("{e} ({value:?})"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        other => Err(format!("scheme must be http or https, not {other}")),
    }
}

/// The issuer as the identity provider writes it in its tokens: without a trailing slash.
pub fn issuer(value: &str) -> Result<String, String> {
    Ok(http_url(value)?.as_str().trim_end_matches('/').to_owned())
}

/// A Redis URL's shape, never echoing it (it may carry a password).
pub fn redis_url(value: &str) -> Result<SecretString, String> {
    let parsed = Url::parse(value).map_err(|e| format!("not a URL ({e})"))?;
    match parsed.scheme() {
        "redis" | "rediss" if parsed.host_str().is_some_and(|h| !h.is_empty()) => {
            Ok(SecretString::from(value))
        }
        "redis" | "rediss" => Err("names no host".into()),
        other => Err(format!("scheme must be redis or rediss, not {other}")),
    }
}

/// Never the key itself in the problem: only its length.
pub fn session_key(value: &str) -> Result<SecretString, String> {
    if value.len() >= 64 {
        Ok(SecretString::from(value))
    } else {
        Err(format!(
            "must be 64 characters or more, has {} (try `openssl rand -base64 48`)",
            value.len()
        ))
    }
}

pub fn scopes(value: &str) -> Result<Vec<String>, String> {
    let scopes = list(value)?;
    if scopes.iter().any(|s| s == "openid") {
        Ok(scopes)
    } else {
        Err("must include `openid`".into())
    }
}

pub fn registry_host(value: &str) -> Result<String, String> {
    if value.contains('/') {
        Err(format!("expected host[:port], got {value:?}"))
    } else {
        Ok(value.to_owned())
    }
}

pub fn team_admin_group(value: &str) -> Result<String, String> {
    if value.contains("{team}") {
        Ok(value.to_owned())
    } else {
        Err("must contain {team}".into())
    }
}

pub fn ldap_group_dn(value: &str) -> Result<String, String> {
    if value.contains("{group}") {
        Ok(value.to_owned())
    } else {
        Err("must contain {group}, where the group's name goes".into())
    }
}

pub fn group_match(value: &str) -> Result<GroupMatch, String> {
    match value {
        // `full` is this setting's earlier name for `exact`.
        "exact" | "full" => Ok(GroupMatch::Exact),
        "last-segment" => Ok(GroupMatch::LastSegment),
        other => Err(format!("expected `exact` or `last-segment`, got {other:?}")),
    }
}

pub fn client_auth(value: &str) -> Result<ClientAuth, String> {
    match value {
        "auto" => Ok(ClientAuth::Auto),
        "basic" | "client_secret_basic" => Ok(ClientAuth::Basic),
        "post" | "client_secret_post" => Ok(ClientAuth::Post),
        other => Err(format!("expected `auto`, `basic` or `post`, got {other:?}")),
    }
}

pub fn harbor_auth(value: &str) -> Result<HarborAuth, String> {
    match value {
        "session" => Ok(HarborAuth::Session),
        "basic" => Ok(HarborAuth::Basic),
        other => Err(format!("expected `session` or `basic`, got {other:?}")),
    }
}

pub fn role(value: &str) -> Result<ProjectRole, String> {
    ProjectRole::parse(value).ok_or_else(|| {
        format!(
            "expected projectAdmin, maintainer, developer, guest or limitedGuest, got {value:?}"
        )
    })
}

pub fn flag(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        other => Err(format!("expected on/off or true/false, got {other:?}")),
    }
}

pub fn seconds(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(Duration::from_secs(n)),
        _ => Err(format!(
            "expected a whole number of seconds above 0, got {value:?}"
        )),
    }
}

pub fn minutes(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>().ok().and_then(|n| n.checked_mul(60)) {
        Some(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
        _ => Err("expected a whole number of minutes above 0".into()),
    }
}

pub fn warning_days(value: &str) -> Result<Duration, String> {
    match value.parse::<u64>() {
        Ok(days) if days <= 3650 => Ok(Duration::from_secs(days * DAY)),
        _ => Err(format!(
            "expected a whole number of days up to 3650, got {value:?}"
        )),
    }
}

pub fn days_or_never(value: &str) -> Result<Option<i64>, String> {
    if value == "never" {
        return Ok(None);
    }
    match value.parse::<i64>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(format!(
            "expected a whole number of days above 0 or `never`, got {value:?}"
        )),
    }
}

pub fn duration_or_never(value: &str) -> Result<Option<Duration>, String> {
    Ok(days_or_never(value)?.map(|days| Duration::from_secs((days as u64).saturating_mul(DAY))))
}

pub fn positive(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("expected a whole number above 0, got {value:?}")),
    }
}
