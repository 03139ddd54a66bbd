//! Server functions, one per file, filed by who may call them. Each checks the session itself: the
//! room says who is meant to call it, the function's own check says who may.
pub mod anyone;
#[cfg(feature = "ssr")]
pub mod call;
pub mod member;
pub mod platform_admin;
pub mod team_admin;

/// What each server function takes, in words, for the answer to a call it cannot read.
pub fn expected_arguments(endpoint: &str) -> Option<&'static str> {
    Some(match endpoint {
        "set_push_secret_download" => "it takes team (a team name) and enabled (true or false).",
        "rotate_credentials" => "it takes team (a team name) and purpose (pull, push or builds).",
        "create_team" => {
            "it takes name (a team name), groups (comma-separated, may be empty) and optionally \
             push_secret_download (on) and namespaces (further namespaces, comma-separated)."
        }
        "delete_team" => "it takes team (a team name) and confirm (the same name, typed again).",
        "delete_harbor_user" => {
            "it takes user_id (a Harbor user id, a whole number above 0) and confirm (the \
             username, typed again)."
        }
        "search_harbor_users" => "it takes query (part of a username or e-mail).",
        "load_team" => "it takes name (a team name).",
        "load_audit_log" => "it takes team and action, both optional.",
        "admin_teams" | "list_teams" | "my_groups" | "load_system_health" | "current_user"
        | "take_flash" => "it takes no arguments.",
        _ => return None,
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn every_server_function_says_what_it_takes() {
        let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path)
            .collect();
        assert!(paths.len() >= 13, "{paths:?}");
        for path in paths {
            let endpoint = path.rsplit('/').next().unwrap_or_default();
            assert!(
                super::expected_arguments(endpoint).is_some(),
                "{path} has no entry in expected_arguments"
            );
        }
    }
}
