//! Mapping the identity provider's group claim to platform-admin rights and team membership.
use crate::server::config::GroupMatch;

/// The name a claim value is compared by: the last segment of a Keycloak-style path
/// (`/teams/team-alpha` -> `team-alpha`) or the whole value.
pub fn comparable(group: &str, mode: GroupMatch) -> &str {
    match mode {
        GroupMatch::Full => group,
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
        for mode in [GroupMatch::LastSegment, GroupMatch::Full] {
            assert!(any_matches(&s(&["team-alpha"]), &s(&["team-alpha"]), mode));
            assert!(!any_matches(&s(&["team-alpha"]), &s(&["team-beta"]), mode));
        }
    }

    #[test]
    fn keycloak_paths_match_by_last_segment() {
        let user = s(&["/teams/team-alpha", "/org/berth-admins/"]);
        assert!(any_matches(
            &user,
            &s(&["team-alpha"]),
            GroupMatch::LastSegment
        ));
        assert!(any_matches(
            &user,
            &s(&["berth-admins"]),
            GroupMatch::LastSegment
        ));
        assert!(!any_matches(&user, &s(&["team-alpha"]), GroupMatch::Full));
        assert!(any_matches(
            &user,
            &s(&["/teams/team-alpha"]),
            GroupMatch::Full
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
        assert!(!any_matches(
            &user,
            &s(&["team-alpha"]),
            GroupMatch::LastSegment
        ));
        assert!(!any_matches(
            &s(&["", "/"]),
            &s(&[""]),
            GroupMatch::LastSegment
        ));
        assert!(!any_matches(&s(&[]), &s(&["team-alpha"]), GroupMatch::Full));
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
        /// Membership is decided by the compared names only: with `full` exactly equal values, with
        /// `last-segment` equal last segments; an empty name (`""`, `/`, `a/`) never matches anything;
        /// and whatever the claim holds, nothing panics.
        #[test]
        fn membership_follows_the_compared_names(user in proptest::collection::vec("[a-z/-]{0,12}", 0..5), wanted in proptest::collection::vec("[a-z/-]{0,12}", 0..5), claim in proptest::prelude::any::<String>()) {
            for mode in [GroupMatch::Full, GroupMatch::LastSegment] {
                let expected = user.iter().any(|u| {
                    let u = comparable(u, mode);
                    !u.is_empty() && wanted.iter().any(|w| comparable(w, mode) == u)
                });
                proptest::prop_assert_eq!(any_matches(&user, &wanted, mode), expected);
                if mode == GroupMatch::Full {
                    proptest::prop_assert_eq!(expected, user.iter().any(|u| !u.is_empty() && wanted.contains(u)));
                }
                proptest::prop_assert!(!comparable(&claim, mode).contains('/') || mode == GroupMatch::Full);
            }
            let _ = groups_from_claim(Some(&json!(claim)));
        }
    }
}
