//! Connections: one `AnyConnection` over both backends, a pool manager that picks the backend
//! from the URL scheme (and keeps the real connection error), and per-connection SQLite settings.

use diesel::{Connection, connection::SimpleConnection};
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("enable at least one of the features `sqlite` and `postgres`");

/// A connection to either backend. SQLite comes last, as diesel's docs ask.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgresql(diesel::pg::PgConnection),
    /// SQLite (bundled library).
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::sqlite::SqliteConnection),
}

/// The backend and address a database URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (passed to libpq as is).
    Postgres(String),
}

/// A database URL that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not `sqlite://...`, not `postgres://...`, and not an existing file.
    #[error(
        "database url {0:?} is neither sqlite://PATH nor postgres://...; a bare path is accepted only when the file exists"
    )]
    Unrecognised(String),
    /// The backend is not compiled in.
    #[error("database url {0:?} needs the `{1}` feature, which this build does not have")]
    NotCompiled(String, &'static str),
}

impl DbTarget {
    /// Picks the backend by scheme: `sqlite://PATH` (`sqlite:PATH` too), `postgres://` or
    /// `postgresql://`. A bare path is accepted only when the file exists, so a typo never
    /// creates an empty database silently.
    pub fn from_url(url: &str) -> Result<Self, UrlError> {
        let target = if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or(url.strip_prefix("sqlite:"))
        {
            let path = rest.split('?').next().unwrap_or(rest);
            if path.is_empty() || path == ":memory:" {
                return Err(UrlError::Unrecognised(url.to_owned()));
            }
            DbTarget::Sqlite(PathBuf::from(path))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbTarget::Postgres(url.to_owned())
        } else if Path::new(url).is_file() {
            DbTarget::Sqlite(PathBuf::from(url))
        } else {
            return Err(UrlError::Unrecognised(url.to_owned()));
        };
        match &target {
            #[cfg(not(feature = "sqlite"))]
            DbTarget::Sqlite(_) => Err(UrlError::NotCompiled(url.to_owned(), "sqlite")),
            #[cfg(not(feature = "postgres"))]
            DbTarget::Postgres(_) => Err(UrlError::NotCompiled(url.to_owned(), "postgres")),
            _ => Ok(target),
        }
    }

    /// Whether this is SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, DbTarget::Sqlite(_))
    }

    /// A description without credentials, for logs and messages.
    pub fn describe(&self) -> String {
        match self {
            DbTarget::Sqlite(path) => format!("sqlite file {}", path.display()),
            DbTarget::Postgres(url) => {
                let without_auth = match (url.find("://"), url.rfind('@')) {
                    (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
                    _ => url.clone(),
                };
                format!("postgres {without_auth}")
            }
        }
    }
}

/// Per-connection SQLite settings. `batch_execute` runs every statement (a single `sql_query`
/// would run only the first one).
pub const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// Opens one connection to `target`, with the SQLite settings applied.
pub fn establish(target: &DbTarget) -> Result<AnyConnection, diesel::ConnectionError> {
    match target {
        #[cfg(feature = "sqlite")]
        DbTarget::Sqlite(path) => {
            let mut conn = diesel::sqlite::SqliteConnection::establish(&path.to_string_lossy())?;
            conn.batch_execute(SQLITE_PRAGMAS)
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
        #[cfg(feature = "postgres")]
        DbTarget::Postgres(url) => {
            diesel::pg::PgConnection::establish(url).map(AnyConnection::Postgresql)
        }
        #[cfg_attr(
            all(feature = "sqlite", feature = "postgres"),
            expect(
                unreachable_patterns,
                reason = "reachable when a backend feature is off"
            )
        )]
        _ => Err(diesel::ConnectionError::BadConnection(
            "backend not compiled in".into(),
        )),
    }
}

/// An r2d2 manager that dispatches on the URL scheme (diesel's own `MultiConnection::establish`
/// tries each backend in turn and loses the real error).
#[derive(Debug, Clone)]
pub struct Manager {
    target: DbTarget,
}

impl Manager {
    /// A manager for `target`.
    pub fn new(target: DbTarget) -> Self {
        Self { target }
    }
}

/// A connection recently handed back to the pool is not checked again before reuse (HikariCP's
/// "alive bypass window" is 500 ms too): under load a `SELECT 1` round trip per checkout cost a
/// PostgreSQL read as much as its own query (docs/benchmarks.md). A connection idle for longer is
/// pinged, so one left dead by a server restart is replaced instead of failing a request.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_millis(500);

/// A pooled connection and when it was last handed back to the pool.
pub struct Pooled {
    conn: AnyConnection,
    returned_at: Instant,
}

impl std::ops::Deref for Pooled {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let conn = establish(&self.target).map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(Pooled {
            conn,
            returned_at: Instant::now(),
        })
    }

    /// Called on checkout when the pool tests connections (PostgreSQL): pings a connection that
    /// has been idle for [`PING_IF_IDLE_FOR`] or more.
    fn is_valid(&self, conn: &mut Pooled) -> Result<(), Self::Error> {
        use diesel::r2d2::R2D2Connection;
        if conn.returned_at.elapsed() < PING_IF_IDLE_FOR {
            return Ok(());
        }
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    /// Called on every return to the pool: notes the time, and drops a broken connection. A
    /// PostgreSQL connection whose server went away counts as broken (diesel reads libpq's
    /// status after the failed query), so it is not handed out again unchecked
    /// (tests/api/storage.rs kills one under the store).
    fn has_broken(&self, conn: &mut Pooled) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.returned_at = Instant::now();
        conn.conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_by_scheme() {
        assert_eq!(
            DbTarget::from_url("sqlite://./data/gateway.db").unwrap(),
            DbTarget::Sqlite("./data/gateway.db".into())
        );
        assert_eq!(
            DbTarget::from_url("sqlite:///tmp/x.db").unwrap(),
            DbTarget::Sqlite("/tmp/x.db".into())
        );
        assert!(matches!(
            DbTarget::from_url("postgres://postgres@127.0.0.1/db").unwrap(),
            DbTarget::Postgres(_)
        ));
        assert!(DbTarget::from_url("pgdb.sqlite").is_err());
        assert!(DbTarget::from_url("mysql://x").is_err());
        assert!(DbTarget::from_url("sqlite://:memory:").is_err());
    }

    #[test]
    fn descriptions_hide_passwords() {
        let t = DbTarget::from_url("postgres://user:secret@host:5432/db").unwrap();
        assert_eq!(t.describe(), "postgres postgres://host:5432/db");
    }
}
