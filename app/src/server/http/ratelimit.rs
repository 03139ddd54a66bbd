//! How often one user may download the push secret: at most `limit` downloads in any `window` (a
//! sliding window, per replica). A leaked session or a runaway script cannot pull the credentials
//! in a loop, and every refusal is audited.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct DownloadLimiter {
    limit: usize,
    window: Duration,
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl DownloadLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit as usize,
            window,
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one download for `user`, or says how long until the next one is allowed.
    pub fn take(&self, user: &str, now: Instant) -> Result<(), Duration> {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        // Forget everyone's expired downloads, so the map holds only users
        // active within the window.
        recent.retain(|_, times| {
            while times
                .front()
                .is_some_and(|t| now.saturating_duration_since(*t) >= self.window)
            {
                times.pop_front();
            }
            !times.is_empty()
        });
        let times = recent.entry(user.to_owned()).or_default();
        if times.len() >= self.limit {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(self
                .window
                .saturating_sub(now.saturating_duration_since(oldest))
                .max(Duration::from_secs(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_until_the_oldest_leaves_the_window() {
        let limiter = DownloadLimiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for i in 0..3 {
            assert_eq!(
                limiter.take("bob", start + Duration::from_secs(i * 10)),
                Ok(())
            );
        }
        assert_eq!(
            limiter.take("bob", start + Duration::from_secs(30)),
            Err(Duration::from_secs(30))
        );
        // Others are counted apart.
        assert_eq!(
            limiter.take("carol", start + Duration::from_secs(30)),
            Ok(())
        );
        // The first download leaves the window at 60 s: one more is allowed, then refused again.
        assert_eq!(limiter.take("bob", start + Duration::from_secs(60)), Ok(()));
        assert_eq!(
            limiter.take("bob", start + Duration::from_secs(61)),
            Err(Duration::from_secs(9))
        );
    }

    #[test]
    fn forgets_users_whose_downloads_expired() {
        let limiter = DownloadLimiter::new(1, Duration::from_secs(10));
        let start = Instant::now();
        for user in ["a", "b", "c"] {
            limiter.take(user, start).unwrap();
        }
        limiter.take("d", start + Duration::from_secs(11)).unwrap();
        assert_eq!(limiter.recent.lock().unwrap().len(), 1);
    }
}
