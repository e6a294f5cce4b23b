//! diesel 2 + r2d2 persistence for `gateway-core`, on SQLite (bundled, the default) and
//! PostgreSQL, chosen by the URL scheme.
//!
//! One hand-written schema with portable types serves both backends; migrations are embedded per
//! backend and run at start. Where a call runs (module `exec`): SQLite reads inline on the calling
//! thread (WAL readers never wait), SQLite writes on one dedicated writer thread, PostgreSQL on
//! tokio's blocking pool; nothing waits for a lock or the network on an actix worker.

/// Runs `$body` with `$c` bound to the concrete connection of either backend. The hot reads use
/// it: through `AnyConnection` (diesel's `MultiConnection`) every call walks the query's AST again
/// to serialise it and to ask whether it may be cached, which cost more than the SQLite read itself
/// (docs/benchmarks.md); on the concrete connection the cached statement is found by type.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            $crate::conn::AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::conn::AnyConnection::Postgresql($c) => $body,
        }
    };
}

mod cache;
#[expect(
    missing_docs,
    reason = "the MultiConnection derive generates undocumented items"
)]
pub mod conn;
pub mod error;
mod exec;
mod listen;
mod locks;
mod prepared;
mod schema;
mod search;
mod stamp;
mod values;

// One module per aggregate, each with its rows, queries and port implementation.
mod api_keys;
mod channels;
mod codes;
mod devices;
mod idempotency;
#[macro_use]
mod identities;
mod maintenance;
mod projects;
mod secrets;
mod sessions;
mod teams;
mod users;
mod webhooks;

use std::{sync::Arc, time::Duration};

use diesel::{Connection, RunQueryDsl, connection::SimpleConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use gateway_core::StoreError;

pub use cache::{CacheLimits, CacheUsage};
pub use conn::{
    AnyConnection, ConnOptions, DbTarget, Manager, PING_IF_IDLE_FOR, Pooled, SqliteSynchronous,
};
use error::Failure;
pub use listen::{POLL as USER_CACHE_POLL, STALENESS_BOUND as USER_CACHE_STALENESS_BOUND};
pub use maintenance::PostgresSettings;

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Maximum connections in the pool.
    pub max_connections: u32,
    /// How long a request waits for a connection before the store reports `Unavailable`.
    pub acquire_timeout: Duration,
    /// How each connection is opened (SQLite durability, PostgreSQL timeouts and keepalive).
    pub connection: ConnOptions,
    /// Bounds of the user cache (`cache.rs`); zero entries switch it off.
    pub user_cache: CacheLimits,
}

/// Connections in a pool by default.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 8;
/// How long a call waits for a pooled connection by default.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            connection: ConnOptions::default(),
            user_cache: CacheLimits::default(),
        }
    }
}

/// A snapshot of the connection pool, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Open connections (idle and in use).
    pub connections: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The pool's size limit.
    pub max: u32,
}

/// Why the store could not be opened. Each variant renders as one line naming the problem.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL is unusable.
    #[error(transparent)]
    Url(#[from] conn::UrlError),
    /// The directory of a new SQLite file cannot be created.
    #[error("cannot create the directory for {0}: {1}")]
    Directory(String, std::io::Error),
    /// The first connection failed.
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    /// Migrations failed (corrupt or locked file, permissions, incompatible schema).
    #[error("cannot migrate {0}: {1}")]
    Migrate(String, String),
    /// The SQLite files cannot be made private (mode 0600).
    #[error("cannot set mode 0600 on {0}: {1}")]
    Permissions(String, std::io::Error),
}

/// The diesel implementation of `gateway_core::Store`: every port, one module per aggregate.
#[derive(Clone)]
pub struct DieselStore {
    pool: r2d2::Pool<Manager>,
    target: Arc<DbTarget>,
    /// The SQLite writer thread (see `exec`); `None` on PostgreSQL.
    writer: Option<exec::Writer>,
    /// One permit per pooled connection: a store call takes one before it goes to the blocking
    /// pool, so calls beyond the pool size wait here as cheap futures instead of as parked threads
    /// on the pool's condition variable (see `exec`).
    permits: Arc<tokio::sync::Semaphore>,
    /// How long a call waits for a permit (the pool's own checkout timeout).
    acquire_timeout: std::time::Duration,
    /// Users, memberships, session counts and projects read from memory (`cache/`), watched by
    /// a thread of `listen.rs`.
    caches: Arc<cache::Caches>,
}

impl std::fmt::Debug for DieselStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DieselStore")
            .field("target", &self.target.describe())
            .finish()
    }
}

fn one_line(s: impl ToString) -> String {
    s.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the pending migrations of `target` on one direct connection, and switches SQLite to WAL.
/// On PostgreSQL an advisory lock serialises instances that start together.
pub fn migrate(target: &DbTarget) -> Result<(), OpenError> {
    migrate_with(target, &ConnOptions::default())
}

/// [`migrate`] with a connection opened with `options` (without a statement timeout). A new SQLite
/// file is created 0600, and once WAL mode has created the `-wal` and `-shm` files, all three are
/// set to 0600 (an existing file readable by others is tightened, with a warning).
pub fn migrate_with(target: &DbTarget, options: &ConnOptions) -> Result<(), OpenError> {
    let what = target.describe();
    if let DbTarget::Sqlite(path) = target
        && let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| OpenError::Directory(what.clone(), e))?;
    }
    let mut conn = conn::establish_with(target, options, false).map_err(|e| {
        let message = match target {
            DbTarget::Postgres(url) => conn::scrub_password(url, &one_line(e)),
            DbTarget::Sqlite(_) => one_line(e),
        };
        OpenError::Connect(what.clone(), message)
    })?;
    let migrate_err = |e: &dyn std::fmt::Display| OpenError::Migrate(what.clone(), one_line(e));
    match &mut conn {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA journal_mode = WAL;")
                .map_err(|e| migrate_err(&e))?;
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| migrate_err(&e))?;
            if let DbTarget::Sqlite(path) = target {
                let changed = conn::secure_sqlite_files(path)
                    .map_err(|e| OpenError::Permissions(what.clone(), e))?;
                for file in changed {
                    tracing::warn!(file = %file.display(), "database file was readable by others; set to mode 0600");
                }
            }
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => {
            let advisory = |c: &mut diesel::PgConnection, sql: &str| {
                diesel::sql_query(sql)
                    .bind::<diesel::sql_types::BigInt, _>(locks::MIGRATIONS)
                    .execute(c)
            };
            advisory(c, "SELECT pg_advisory_lock($1)").map_err(|e| migrate_err(&e))?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            let unlock = advisory(c, "SELECT pg_advisory_unlock($1)");
            result.map_err(|e| migrate_err(&e))?;
            unlock.map_err(|e| migrate_err(&e))?;
        }
    }
    Ok(())
}

/// The connection pool of a store on `target`: at most `max_connections`, none kept open when
/// idle, checkouts waiting at most `acquire_timeout`. PostgreSQL connections idle for
/// [`PING_IF_IDLE_FOR`] or more are tested with a ping when checked out (a server restart leaves
/// dead sockets in the pool); SQLite connections are local files that cannot go stale, so they
/// skip that round trip. Public so that the benchmarks
/// measure through the very same pool (`crates/gateway-bench`).
pub fn pool(target: &DbTarget, options: &PoolOptions) -> r2d2::Pool<Manager> {
    r2d2::Pool::builder()
        .max_size(options.max_connections)
        .min_idle(Some(0))
        .connection_timeout(options.acquire_timeout)
        .test_on_check_out(!target.is_sqlite())
        .build_unchecked(Manager::with_options(
            target.clone(),
            options.connection.clone(),
        ))
}

impl DieselStore {
    /// Opens the database named by `url`: checks the URL, creates a new SQLite file (and its
    /// directory), runs the migrations, and builds the pool.
    pub fn open(url: &str, options: &PoolOptions) -> Result<Self, OpenError> {
        let target = DbTarget::from_url(url)?;
        migrate_with(&target, &options.connection)?;
        let pool = pool(&target, options);
        let writer = match &target {
            DbTarget::Sqlite(_) => Some(
                exec::Writer::spawn(target.clone(), options.connection.clone())
                    .map_err(|e| OpenError::Connect(target.describe(), e.to_string()))?,
            ),
            DbTarget::Postgres(_) => None,
        };
        let permits = usize::try_from(options.max_connections.max(1)).unwrap_or(1);
        let caches = Arc::new(cache::Caches::new(options.user_cache));
        if options.user_cache.entries > 0 {
            let watched = Arc::downgrade(&caches);
            let started = match (&target, &writer) {
                #[cfg(feature = "sqlite")]
                (DbTarget::Sqlite(_), Some(writer)) => {
                    listen::watch_sqlite(writer.clone(), watched)
                }
                #[cfg(feature = "postgres")]
                (DbTarget::Postgres(_), _) => {
                    listen::watch_postgres(target.clone(), options.connection.clone(), watched)
                }
                _ => Ok(()),
            };
            started.map_err(|e| OpenError::Connect(target.describe(), e.to_string()))?;
        }
        Ok(Self {
            pool,
            target: Arc::new(target),
            writer,
            permits: Arc::new(tokio::sync::Semaphore::new(permits)),
            acquire_timeout: options.acquire_timeout,
            caches,
        })
    }

    /// What the cache's map of users holds and did.
    pub fn user_cache_usage(&self) -> CacheUsage {
        self.caches.users.usage()
    }

    /// What each of the cache's maps (users, memberships, sessions, projects) holds and did, by
    /// name (for metrics).
    pub fn cache_usage(&self) -> [(&'static str, CacheUsage); 4] {
        self.caches.usage()
    }

    /// How many pooled connections are open and idle (r2d2's `state()`), and the pool's limit.
    pub fn pool_usage(&self) -> PoolUsage {
        let state = self.pool.state();
        PoolUsage {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// The database this store uses (without credentials).
    pub fn describe(&self) -> String {
        self.target.describe()
    }

    /// Reads back the SQLite settings of a pooled connection, as `(journal_mode, busy_timeout,
    /// foreign_keys, synchronous)`; `None` on PostgreSQL. Startup and tests check them.
    pub async fn sqlite_settings(&self) -> Result<Option<(String, i64, i64, i64)>, StoreError> {
        self.read(maintenance::sqlite_settings).await
    }
}

/// Runs `f` in a transaction on `conn`.
pub(crate) fn transaction<T>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, Failure>,
) -> Result<T, Failure> {
    conn.transaction(f)
}
