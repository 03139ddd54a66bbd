//! Mapping the identity provider's group claim to platform-admin rights and team membership.
use crate::server::config::GroupMatch;

/// The name a claim value is compared by: the whole value (a top-level path `/team-alpha` is the
/// flat name `team-alpha`), or with `last-segment` the last segment of a Keycloak-style path
/// (`/teams/team-alpha` -> `team-alpha`).
pub fn comparable(group: &str, mode: GroupMatch) -> &str {
    match mode {
        GroupMatch::Exact => match group.strip_prefix('/') {
            Some(top) if !top.contains('/') => top,
            _ => group,
        },
        GroupMatch::LastSegment => group
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(group),
    }
}

/// Whether any of the user's groups is one of `wanted` (both sides compared the same way).
pub fn any_matches(user_groups: &[String], wanted: &[String], mode: GroupMatch) -> bool {
    user_groups.iter().any(|have| {
        let have = comparable(have, mode);
        !have.is_empty() && wanted.iter().any(|want| comparable(want, mode) == have)
    })
}

/// With exact matching: the user's groups that would have matched one of `wanted` by last segment
/// only (for the sign-in log line that tells an operator what to set).
pub fn last_segment_only<'a>(user_groups: &'a [String], wanted: &[String]) -> Vec<&'a str> {
    user_groups
        .iter()
        .filter(|have| {
            !any_matches(std::slice::from_ref(*have), wanted, GroupMatch::Exact)
                && any_matches(std::slice::from_ref(*have), wanted, GroupMatch::LastSegment)
        })
        .map(String::as_str)
        .collect()
}

/// Reads the groups claim, which providers send as a list of strings or (rarely) as one string.
pub fn groups_from_claim(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn plain_names_match_in_both_modes() {
        for mode in [GroupMatch::LastSegment, GroupMatch::Exact] {
            assert!(any_matches(&s(&["team-alpha"]), &s(&["team-alpha"]), mode));
            assert!(!any_matches(&s(&["team-alpha"]), &s(&["team-beta"]), mode));
        }
    }

    #[test]
    fn exact_by_default_nested_and_look_alike_groups_do_not_match() {
        let mode = GroupMatch::Exact;
        let alpha = s(&["/teams/team-alpha"]);
        // The team's own path, and nothing that merely ends the same way.
        assert!(any_matches(&s(&["/teams/team-alpha"]), &alpha, mode));
        for other in [
            "/contractors/team-alpha",
            "/teams/team-alpha/interns",
            "/teams/sub/team-alpha",
            "team-alpha",
            "/team-alpha",
            "/teams/team-alpha/",
            "/Teams/team-alpha",
            "/teams/team-alpha ",
            "teams/team-alpha",
            "//teams/team-alpha",
        ] {
            assert!(!any_matches(&s(&[other]), &alpha, mode), "{other}");
        }
        // A flat name is matched by itself and by the top-level group of that name (the same group
        // in a provider that sends paths), never by a nested one.
        let flat = s(&["team-alpha"]);
        assert!(any_matches(&s(&["team-alpha"]), &flat, mode));
        assert!(any_matches(&s(&["/team-alpha"]), &flat, mode));
        for other in [
            "/contractors/team-alpha",
            "/teams/team-alpha",
            "team-alpha-admin",
            "xteam-alpha",
            "/",
        ] {
            assert!(!any_matches(&s(&[other]), &flat, mode), "{other}");
        }
    }

    #[test]
    fn last_segment_matches_anywhere_in_the_tree_when_chosen() {
        let mode = GroupMatch::LastSegment;
        let user = s(&["/teams/team-alpha", "/org/berth-admins/"]);
        assert!(any_matches(&user, &s(&["team-alpha"]), mode));
        assert!(any_matches(&user, &s(&["berth-admins"]), mode));
        // The risk the setting documents: a group of the same name
        // elsewhere grants the same rights.
        assert!(any_matches(
            &s(&["/contractors/team-alpha"]),
            &s(&["team-alpha"]),
            mode
        ));
        assert!(!any_matches(&user, &s(&["team-alpha"]), GroupMatch::Exact));
        assert!(any_matches(
            &user,
            &s(&["/teams/team-alpha"]),
            GroupMatch::Exact
        ));
    }

    #[test]
    fn similar_names_do_not_match() {
        let user = s(&[
            "team-alpha-readers",
            "xteam-alpha",
            "/team-alpha/readers",
            "",
        ]);
        for mode in [GroupMatch::LastSegment, GroupMatch::Exact] {
            assert!(!any_matches(&user, &s(&["team-alpha"]), mode));
            assert!(!any_matches(&s(&["", "/"]), &s(&["", "/"]), mode));
            assert!(!any_matches(&s(&[]), &s(&["team-alpha"]), mode));
        }
    }

    #[test]
    fn groups_that_only_the_old_default_matched_are_named() {
        let user = s(&["/teams/team-alpha", "team-beta", "/x/y"]);
        assert_eq!(
            last_segment_only(&user, &s(&["team-alpha", "team-beta"])),
            vec!["/teams/team-alpha"]
        );
        assert!(last_segment_only(&user, &s(&["/teams/team-alpha"])).is_empty());
    }

    #[test]
    fn claim_shapes() {
        assert_eq!(
            groups_from_claim(Some(&json!(["a", "/b/c", 3]))),
            s(&["a", "/b/c"])
        );
        assert_eq!(groups_from_claim(Some(&json!("solo"))), s(&["solo"]));
        assert!(groups_from_claim(Some(&json!({"a": 1}))).is_empty());
        assert!(groups_from_claim(None).is_empty());
    }

    proptest::proptest! {
        /// Membership is decided by the compared names only: with `exact` equal values (a
        /// top-level path equal to its flat name), with `last-segment` equal last segments; an
        /// empty name never matches; a nested path matches exactly only itself; and whatever the
        /// claim holds, nothing panics.
        #[test]
        fn membership_follows_the_compared_names(
            user in proptest::collection::vec("[a-z/-]{0,12}", 0..5),
            wanted in proptest::collection::vec("[a-z/-]{0,12}", 0..5),
            claim in proptest::prelude::any::<String>(),
        ) {
            for mode in [GroupMatch::Exact, GroupMatch::LastSegment] {
                let expected = user.iter().any(|u| {
                    let u = comparable(u, mode);
                    !u.is_empty() && wanted.iter().any(|w| comparable(w, mode) == u)
                });
                proptest::prop_assert_eq!(any_matches(&user, &wanted, mode), expected);
                proptest::prop_assert!(
                    !comparable(&claim, mode).contains('/') || mode == GroupMatch::Exact
                );
            }
            let top = |g: &str| {
                g.strip_prefix('/')
                    .filter(|t| !t.contains('/'))
                    .unwrap_or(g)
                    .to_owned()
            };
            let exact = user
                .iter()
                .any(|u| !top(u).is_empty() && wanted.iter().any(|w| top(w) == top(u)));
            proptest::prop_assert_eq!(any_matches(&user, &wanted, GroupMatch::Exact), exact);
            let _ = groups_from_claim(Some(&json!(claim)));
        }
    }
}
