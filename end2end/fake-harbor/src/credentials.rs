//! How Harbor keeps and checks secrets (src/common/utils/encrypt.go `Encrypt`,
//! src/pkg/user/manager.go `MatchLocalPassword`, src/server/middleware/security/robot.go):
//! PBKDF2-HMAC-SHA256 over the secret and a random salt, a 16-byte key as hex. User passwords
//! (version `pbkdf2_sha256`) take 600,000 iterations, robot secrets (version `sha256`) 4,096. Every
//! check is paid in full, off the async workers as Go would run it on its own goroutine, and its
//! CPU time is counted for the benchmarks.
use rand::Rng;
use serde::Serialize;
use sha2::Sha256;
use std::sync::atomic::{AtomicU64, Ordering};

pub const USER_ITERATIONS: u32 = 600_000;
pub const ROBOT_ITERATIONS: u32 = 4_096;

/// Which kind of secret a check was for: the two costs differ by a factor of about 146.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    UserPassword,
    RobotSecret,
}

impl Kind {
    fn iterations(self) -> u32 {
        match self {
            Kind::UserPassword => USER_ITERATIONS,
            Kind::RobotSecret => ROBOT_ITERATIONS,
        }
    }
}

/// A stored secret: salt and derived key, never the secret itself.
#[derive(Clone)]
pub struct Hashed {
    kind: Kind,
    salt: String,
    key: String,
}

impl Hashed {
    /// Hashes a new secret (Harbor does the same work when it stores one).
    pub async fn new(kind: Kind, secret: &str) -> Self {
        let salt: String = {
            let bytes: [u8; 16] = rand::rng().random();
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        };
        let key = derive(kind, secret.to_owned(), salt.clone()).await;
        Hashed { kind, salt, key }
    }

    pub async fn matches(&self, secret: &str) -> bool {
        derive(self.kind, secret.to_owned(), self.salt.clone()).await == self.key
    }
}

async fn derive(kind: Kind, secret: String, salt: String) -> String {
    tokio::task::spawn_blocking(move || {
        let started = thread_cpu_ns();
        let mut key = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            secret.as_bytes(),
            salt.as_bytes(),
            kind.iterations(),
            &mut key,
        );
        COST.add(kind, thread_cpu_ns().saturating_sub(started));
        key.iter().map(|b| format!("{b:02x}")).collect()
    })
    .await
    .expect("hashing does not panic")
}

/// CPU time of the calling thread: what the hashing cost, whatever else the machine runs meanwhile.
/// The one `unsafe` of the workspace: std has no per-thread CPU clock.
#[allow(unsafe_code)]
fn thread_cpu_ns() -> u64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into memory we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

#[derive(Default)]
struct Counter {
    checks: AtomicU64,
    iterations: AtomicU64,
    cpu_ns: AtomicU64,
}

#[derive(Default)]
struct Cost {
    user_password: Counter,
    robot_secret: Counter,
}

static COST: Cost = Cost {
    user_password: Counter {
        checks: AtomicU64::new(0),
        iterations: AtomicU64::new(0),
        cpu_ns: AtomicU64::new(0),
    },
    robot_secret: Counter {
        checks: AtomicU64::new(0),
        iterations: AtomicU64::new(0),
        cpu_ns: AtomicU64::new(0),
    },
};

impl Cost {
    fn counter(&self, kind: Kind) -> &Counter {
        match kind {
            Kind::UserPassword => &self.user_password,
            Kind::RobotSecret => &self.robot_secret,
        }
    }

    fn add(&self, kind: Kind, cpu_ns: u64) {
        let c = self.counter(kind);
        c.checks.fetch_add(1, Ordering::Relaxed);
        c.iterations
            .fetch_add(u64::from(kind.iterations()), Ordering::Relaxed);
        c.cpu_ns.fetch_add(cpu_ns, Ordering::Relaxed);
    }
}

/// The hashing work done since the last reset, per kind of secret (`GET /__fake/stats`).
#[derive(Clone, Default, Serialize)]
pub struct CostReport {
    pub user_password: CounterReport,
    pub robot_secret: CounterReport,
}

#[derive(Clone, Default, Serialize)]
pub struct CounterReport {
    pub checks: u64,
    pub iterations: u64,
    pub cpu_ns: u64,
}

fn report(c: &Counter) -> CounterReport {
    CounterReport {
        checks: c.checks.load(Ordering::Relaxed),
        iterations: c.iterations.load(Ordering::Relaxed),
        cpu_ns: c.cpu_ns.load(Ordering::Relaxed),
    }
}

pub fn cost() -> CostReport {
    CostReport {
        user_password: report(&COST.user_password),
        robot_secret: report(&COST.robot_secret),
    }
}

pub fn reset_cost() {
    for c in [&COST.user_password, &COST.robot_secret] {
        c.checks.store(0, Ordering::Relaxed);
        c.iterations.store(0, Ordering::Relaxed);
        c.cpu_ns.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7914's PBKDF2-HMAC-SHA256 vector (P="passwd", S="salt", c=1), first 16 bytes: the
    // derivation is the standard one, so a key Harbor stored would match here too.
    #[test]
    fn standard_pbkdf2_sha256() {
        let mut key = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"passwd", b"salt", 1, &mut key);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "55ac046e56e3089fec1691c22544b605");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn robot_secret_round_trip_is_counted() {
        let before = cost().robot_secret;
        let stored = Hashed::new(Kind::RobotSecret, "Secret123").await;
        assert!(stored.matches("Secret123").await);
        assert!(!stored.matches("Secret124").await);
        let after = cost().robot_secret;
        assert!(after.checks >= before.checks + 3);
        assert!(after.iterations >= before.iterations + 3 * u64::from(ROBOT_ITERATIONS));
    }
}
