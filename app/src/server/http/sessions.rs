//! Where sessions live: this process's memory (one replica), or Redis shared by every replica
//! (`BERTH_REDIS_URL`), so a user stays signed in whichever replica answers and when one dies.
use crate::server::config::SessionsConfig;
use secrecy::ExposeSecret;
use std::time::{Duration, Instant};
use tower_sessions::cookie::Key;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::MemoryStore;
use tower_sessions_redis_store::fred::error::ErrorKind;
use tower_sessions_redis_store::fred::prelude::{
    ClientLike, Config as RedisConfig, Pool, ReconnectPolicy,
};
use tower_sessions_redis_store::fred::types::config::{ConnectionConfig, PerformanceConfig};
use tower_sessions_redis_store::RedisStore;

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    /// Only the setting is named: the URL may hold a password.
    #[error("BERTH_REDIS_URL is not usable by the Redis client ({0})")]
    RedisUrl(String),
    #[error("BERTH_SESSION_KEY cannot be used as a key")]
    Key,
}

/// The session store of this process.
#[derive(Debug, Clone)]
pub enum SessionBackend {
    Memory(MemoryStore),
    Redis {
        store: RedisStore<Pool>,
        pool: Pool,
        timeout: Duration,
    },
}

/// Connections per replica: session reads and writes are small; a few connections keep one slow
/// answer from queueing every request behind it.
const REDIS_CONNECTIONS: usize = 4;

impl SessionBackend {
    /// The store and the key signing session cookies. Redis is connected in the
    /// background: a replica starts while Redis is still coming up and stays unready
    /// (`/readyz`) until it answers.
    pub fn start(config: &SessionsConfig) -> Result<(Self, Key), SessionsError> {
        let key = match &config.key {
            Some(key) => {
                Key::try_from(key.expose_secret().as_bytes()).map_err(|_| SessionsError::Key)?
            }
            // Only with the memory store (the configuration refuses Redis without a key): sessions
            // die with the process anyway.
            None => Key::generate(),
        };
        let Some(url) = &config.redis_url else {
            return Ok((Self::Memory(MemoryStore::default()), key));
        };
        // fred's messages quote the URL's parts; say only that it was refused.
        let redis = RedisConfig::from_url(url.expose_secret())
            .map_err(|e| SessionsError::RedisUrl(format!("{:?}", e.kind())))?;
        let performance = PerformanceConfig {
            default_command_timeout: config.redis_timeout,
            ..Default::default()
        };
        let connection = ConnectionConfig {
            connection_timeout: config.redis_timeout,
            internal_command_timeout: config.redis_timeout,
            // A command is tried once more on a fresh connection, then fails (the request gets an
            // error page rather than hanging).
            max_command_attempts: 2,
            ..Default::default()
        };
        // Reconnect forever, from 100 ms up to 5 s apart: Redis coming back must not need a
        // restart.
        let reconnect = ReconnectPolicy::new_exponential(0, 100, 5_000, 2);
        let pool = Pool::new(
            redis,
            Some(performance),
            Some(connection),
            Some(reconnect),
            REDIS_CONNECTIONS,
        )
        .map_err(|e| SessionsError::RedisUrl(format!("{:?}", e.kind())))?;
        let _connection_tasks = pool.connect();
        Ok((
            Self::Redis {
                store: RedisStore::new(pool.clone()),
                pool,
                timeout: config.redis_timeout,
            },
            key,
        ))
    }

    /// For `/readyz`: whether sessions can be read and written now.
    pub async fn check(&self) -> Result<String, String> {
        match self {
            Self::Memory(_) => Ok("in memory (this replica only)".to_owned()),
            Self::Redis { pool, timeout, .. } => {
                let started = Instant::now();
                match tokio::time::timeout(*timeout, pool.ping::<String>(None)).await {
                    Ok(Ok(_)) => Ok(format!(
                        "Redis answered in {} ms",
                        started.elapsed().as_millis()
                    )),
                    // fred's own command time-out (the same setting) may fire first.
                    Ok(Err(error)) if *error.kind() == ErrorKind::Timeout => Err(format!(
                        "Redis did not answer within {} s",
                        timeout.as_secs()
                    )),
                    // The kind only: fred's details may quote the server address and user.
                    Ok(Err(error)) => Err(format!("Redis refused: {:?}", error.kind())),
                    Err(_) => Err(format!(
                        "Redis did not answer within {} s",
                        timeout.as_secs()
                    )),
                }
            }
        }
    }

    /// Closes the Redis connections at shutdown.
    pub async fn close(&self) {
        if let Self::Redis { pool, .. } = self {
            let _ = pool.quit().await;
        }
    }
}

impl SessionBackend {
    fn store(&self) -> &dyn SessionStore {
        match self {
            Self::Memory(store) => store,
            Self::Redis { store, .. } => store,
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for SessionBackend {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store().create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store().save(record).await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        self.store().load(session_id).await
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        self.store().delete(session_id).await
    }
}
