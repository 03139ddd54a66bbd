//! When a team is looked at again.
use std::time::Duration;

/// The wait before the next pass: the team's resync, or sooner when a step asked for it.
pub(super) fn next_pass(team: &str, resync: Duration, sooner: Option<Duration>) -> Duration {
    let resync = resync_after(team, resync, now_unix());
    sooner.map_or(resync, |d| d.min(resync))
}

fn now_unix() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// When to look at a team again: at its own fixed point in each resync period, given by its name.
/// Teams created together (1,000 at once) would otherwise all come back together, one burst of
/// passes per period that starves the pages served meanwhile; this way the passes spread evenly
/// over the period from the second one on. No wait is longer than one period (the first may be
/// shorter), so every team is still looked at at least once per period.
fn resync_after(team: &str, period: Duration, now: Duration) -> Duration {
    use std::hash::{Hash, Hasher};
    let period_ms = period.as_millis() as u64;
    if period_ms < 2 {
        return period;
    }
    // SipHash with fixed keys: the same team gets the same point in every
    // process and after restarts.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    team.hash(&mut hasher);
    let offset = hasher.finish() % period_ms;
    let phase = (now.as_millis() as u64 + offset) % period_ms;
    Duration::from_millis(period_ms - phase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resyncs_of_teams_created_together_spread_over_the_period() {
        let period = Duration::from_secs(30);
        let finished = Duration::from_secs(1_700_000_000);
        let mut second_pass_at: Vec<u64> = (0..1000)
            .map(|i| {
                let team = format!("bench-{i:04}");
                let first = resync_after(&team, period, finished);
                assert!(!first.is_zero() && first <= period, "{first:?}");
                // A pass of 40 ms later, the team comes back one period after its first resync.
                let again =
                    resync_after(&team, period, finished + first + Duration::from_millis(40));
                assert!(
                    again.abs_diff(period) <= Duration::from_millis(41),
                    "{again:?}"
                );
                (finished + first).as_millis() as u64 % 30_000
            })
            .collect();
        second_pass_at.sort_unstable();
        // 1,000 teams over 30 one-second slots: none holds more than twice its share.
        let busiest = (0..30)
            .map(|s| second_pass_at.iter().filter(|&&t| t / 1000 == s).count())
            .max();
        assert!(busiest.is_some_and(|n| n <= 67), "{busiest:?}");
    }
}
