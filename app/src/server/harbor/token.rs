//! Robot tokens Berth generates itself (Harbor's rule: 8-128 characters with an upper-case
//! letter, a lower-case letter and a digit), so Berth can write the Kubernetes secret
//! before it touches Harbor.
use rand::seq::SliceRandom;
use rand::Rng;
use secrecy::SecretString;

const LENGTH: usize = 40;
const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGIT: &[u8] = b"23456789";

pub fn generate_robot_token() -> SecretString {
    let mut rng = rand::rng();
    let all: Vec<u8> = [UPPER, LOWER, DIGIT].concat();
    // One of each class, the rest from all of them, then shuffled.
    let mut chars = vec![
        UPPER[rng.random_range(0..UPPER.len())],
        LOWER[rng.random_range(0..LOWER.len())],
        DIGIT[rng.random_range(0..DIGIT.len())],
    ];
    chars.extend((3..LENGTH).map(|_| all[rng.random_range(0..all.len())]));
    chars.shuffle(&mut rng);
    SecretString::from(chars.into_iter().map(char::from).collect::<String>())
}

/// Harbor's rule for robot secrets.
pub fn meets_harbor_rules(token: &str) -> bool {
    (8..=128).contains(&token.len())
        && token.chars().any(|c| c.is_ascii_uppercase())
        && token.chars().any(|c| c.is_ascii_lowercase())
        && token.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashSet;

    #[test]
    fn tokens_always_meet_harbors_rules_and_differ() {
        let tokens: HashSet<String> = (0..500)
            .map(|_| generate_robot_token().expose_secret().to_owned())
            .collect();
        assert_eq!(tokens.len(), 500);
        assert!(tokens
            .iter()
            .all(|t| meets_harbor_rules(t) && t.len() == LENGTH));
    }

    #[test]
    fn the_rule() {
        assert!(meets_harbor_rules("Abcdefg1"));
        assert!(!meets_harbor_rules("abcdefg1"));
        assert!(!meets_harbor_rules("ABCDEFG1"));
        assert!(!meets_harbor_rules("Abcdefgh"));
        assert!(!meets_harbor_rules("Abc1"));
        assert!(!meets_harbor_rules(&format!("A1{}", "b".repeat(127))));
    }
}
