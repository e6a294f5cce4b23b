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

impl AnyConnection {
    /// Whether this is a SQLite connection (whose writes are serial).
    pub fn is_sqlite(&self) -> bool {
        #[cfg(feature = "sqlite")]
        if matches!(self, Self::Sqlite(_)) {
            return true;
        }
        false
    }
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
    /// Not `sqlite://...`, not `postgres://...`, and not an existing file. Holds the URL
    /// redacted ([`redact_url`]).
    #[error(
        "database url {0:?} is neither sqlite://PATH nor postgres://...; a bare path is accepted only when the file exists"
    )]
    Unrecognised(String),
    /// The backend is not compiled in. Holds the URL redacted ([`redact_url`]).
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
                return Err(UrlError::Unrecognised(redact_url(url)));
            }
            DbTarget::Sqlite(PathBuf::from(path))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DbTarget::Postgres(url.to_owned())
        } else if Path::new(url).is_file() {
            DbTarget::Sqlite(PathBuf::from(url))
        } else {
            return Err(UrlError::Unrecognised(redact_url(url)));
        };
        match &target {
            #[cfg(not(feature = "sqlite"))]
            DbTarget::Sqlite(_) => Err(UrlError::NotCompiled(redact_url(url), "sqlite")),
            #[cfg(not(feature = "postgres"))]
            DbTarget::Postgres(_) => Err(UrlError::NotCompiled(redact_url(url), "postgres")),
            _ => Ok(target),
        }
    }

    /// Whether this is SQLite.
    pub fn is_sqlite(&self) -> bool {
        matches!(self, DbTarget::Sqlite(_))
    }

    /// A description without credentials (no password, no `password` query parameter), for
    /// logs and messages.
    pub fn describe(&self) -> String {
        match self {
            DbTarget::Sqlite(path) => format!("sqlite file {}", path.display()),
            DbTarget::Postgres(url) => format!("postgres {}", redact_url(url)),
        }
    }
}

/// `url` without its password: the userinfo password and every `password` query parameter are
/// dropped (the user name stays). Text that does not parse as a URL with an authority but might
/// hold a credential (an `@`, a `password`) is replaced as a whole. Every place that shows a
/// database URL (settings errors, the startup banner, logs) goes through this.
pub fn redact_url(url: &str) -> String {
    const HIDDEN: &str = "<redacted>";
    let suspicious = |s: &str| s.contains('@') || s.to_ascii_lowercase().contains("password");
    let Ok(mut parsed) = url::Url::parse(url) else {
        return if suspicious(url) {
            HIDDEN.to_owned()
        } else {
            url.to_owned()
        };
    };
    if parsed.cannot_be_a_base() {
        return if suspicious(url) {
            format!("{}:{HIDDEN}", parsed.scheme())
        } else {
            url.to_owned()
        };
    }
    if parsed.password().is_some() && parsed.set_password(None).is_err() {
        return format!("{}:{HIDDEN}", parsed.scheme());
    }
    if let Some(query) = parsed.query() {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let key = pair.split('=').next().unwrap_or_default();
                !percent_decode(key).eq_ignore_ascii_case("password")
            })
            .collect();
        let kept = kept.join("&");
        parsed.set_query((!kept.is_empty()).then_some(kept.as_str()));
    }
    if suspicious(parsed.fragment().unwrap_or_default()) {
        parsed.set_fragment(None);
    }
    parsed.to_string()
}

/// `message` with every password `url` carries (userinfo or `password` query parameter, as
/// written and decoded) replaced: a driver error may quote part of the URL it could not parse.
pub fn scrub_password(url: &str, message: &str) -> String {
    let mut secrets: Vec<String> = Vec::new();
    if let Ok(parsed) = url::Url::parse(url) {
        if let Some(p) = parsed.password() {
            secrets.push(p.to_owned());
            secrets.push(percent_decode(p));
        }
        for pair in parsed.query().unwrap_or_default().split('&') {
            if let Some((k, v)) = pair.split_once('=')
                && percent_decode(k).eq_ignore_ascii_case("password")
            {
                secrets.push(v.to_owned());
                secrets.push(percent_decode(v));
            }
        }
    }
    secrets.retain(|s| !s.is_empty());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.iter().fold(message.to_owned(), |m, s| {
        m.replace(s.as_str(), "<redacted>")
    })
}

/// Decodes `%XX` escapes (libpq does not treat `+` as a space, so neither does this).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `PRAGMA synchronous` of every SQLite connection (WAL mode): what a commit promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SqliteSynchronous {
    /// No fsync: a committed write survives a crash of the process, but not of the OS or power.
    Off,
    /// fsync at checkpoints only (the default): survives a process crash; the last commits may
    /// be lost on power loss, the database stays consistent.
    #[default]
    Normal,
    /// fsync of the WAL on every commit: a commit survives power loss.
    Full,
    /// As `full`, and the directory is synced too after the WAL is reset or deleted.
    Extra,
}

impl SqliteSynchronous {
    /// The number `PRAGMA synchronous` reads back (0 to 3).
    pub fn pragma_value(self) -> i64 {
        match self {
            Self::Off => 0,
            Self::Normal => 1,
            Self::Full => 2,
            Self::Extra => 3,
        }
    }

    /// The keyword (`off`, `normal`, `full`, `extra`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Normal => "normal",
            Self::Full => "full",
            Self::Extra => "extra",
        }
    }
}

impl std::str::FromStr for SqliteSynchronous {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(Self::Off),
            "normal" => Ok(Self::Normal),
            "full" => Ok(Self::Full),
            "extra" => Ok(Self::Extra),
            other => Err(format!(
                "sqlite synchronous {other:?} is not one of off, normal, full, extra"
            )),
        }
    }
}

/// How every connection is opened (besides the URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnOptions {
    /// SQLite: `PRAGMA synchronous`.
    pub sqlite_synchronous: SqliteSynchronous,
    /// PostgreSQL: libpq `connect_timeout` (whole seconds, at least 2; zero = libpq's default,
    /// no limit).
    pub connect_timeout: Duration,
    /// PostgreSQL: `statement_timeout` of pooled connections (zero = none). The migration
    /// connection has none, so a long migration is never cut off.
    pub statement_timeout: Duration,
    /// PostgreSQL: TCP keepalive (`keepalives=1`) with this idle time before the first probe
    /// (zero = keepalive with the operating system's idle time).
    pub keepalives_idle: Duration,
}

impl Default for ConnOptions {
    fn default() -> Self {
        Self {
            sqlite_synchronous: SqliteSynchronous::Normal,
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
            keepalives_idle: Duration::from_secs(60),
        }
    }
}

impl ConnOptions {
    /// The per-connection SQLite settings. `batch_execute` runs every statement (a single
    /// `sql_query` would run only the first one).
    pub fn sqlite_pragmas(&self) -> String {
        format!(
            "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = {};",
            self.sqlite_synchronous.as_str().to_ascii_uppercase()
        )
    }

    /// `url` with libpq's `connect_timeout`, `keepalives`, `keepalives_idle` and (when
    /// `statement_timeout`) `options=-c statement_timeout=MS` added. A parameter the URL sets
    /// already is kept as the URL has it; a `statement_timeout` is appended to an existing
    /// `options` parameter (e.g. a `search_path`).
    pub fn postgres_url(&self, url: &str, statement_timeout: bool) -> String {
        let (rest, fragment) = match url.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (url, None),
        };
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut pairs: Vec<(String, String)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (p.to_owned(), String::new()),
            })
            .collect();
        let has = |pairs: &[(String, String)], key: &str| {
            pairs.iter().any(|(k, _)| percent_decode(k) == key)
        };
        let connect = self.connect_timeout.as_secs();
        if connect > 0 && !has(&pairs, "connect_timeout") {
            pairs.push(("connect_timeout".into(), connect.max(2).to_string()));
        }
        if !has(&pairs, "keepalives") {
            pairs.push(("keepalives".into(), "1".into()));
        }
        let idle = self.keepalives_idle.as_secs();
        if idle > 0 && !has(&pairs, "keepalives_idle") {
            pairs.push(("keepalives_idle".into(), idle.to_string()));
        }
        let ms = self.statement_timeout.as_millis();
        if statement_timeout && ms > 0 {
            let flag = format!("-c%20statement_timeout%3D{ms}");
            match pairs
                .iter_mut()
                .find(|(k, _)| percent_decode(k) == "options")
            {
                Some((_, v)) if percent_decode(v).contains("statement_timeout") => {}
                Some((_, v)) if v.is_empty() => *v = flag,
                Some((_, v)) => *v = format!("{v}%20{flag}"),
                None => pairs.push(("options".into(), flag)),
            }
        }
        let query = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let mut out = format!("{base}?{query}");
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
        out
    }
}

/// Owner read and write only: the SQLite file holds the signing secrets.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

/// Creates the SQLite file at `path` with mode 0600 when it does not exist yet (before SQLite
/// opens it, so it is never readable by others, whatever the umask). An existing file is left
/// alone here; [`secure_sqlite_files`] tightens it.
pub fn create_sqlite_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_MODE);
    match options.open(path) {
        Ok(file) => {
            // The umask may have taken bits away from 0600 at creation: set it exactly.
            #[cfg(unix)]
            file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(PRIVATE_MODE))?;
            drop(file);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Sets mode 0600 on the SQLite file and its `-wal` and `-shm` files (those that exist) when
/// group or others have any access; returns the files changed. Run after the first connection
/// opened them (the migration connection, in WAL mode).
pub fn secure_sqlite_files(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut files = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            files.push(PathBuf::from(name));
        }
        for file in files {
            let meta = match std::fs::metadata(&file) {
                Ok(meta) => meta,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(PRIVATE_MODE))?;
                changed.push(file);
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(changed)
}

/// Per-connection SQLite settings of the default [`ConnOptions`] (see
/// [`ConnOptions::sqlite_pragmas`]).
pub const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// Opens one connection to `target` with the default [`ConnOptions`].
pub fn establish(target: &DbTarget) -> Result<AnyConnection, diesel::ConnectionError> {
    establish_with(target, &ConnOptions::default(), true)
}

/// Opens one connection to `target`: a new SQLite file is created 0600 first, then the SQLite
/// settings are applied; PostgreSQL gets the libpq parameters of `options` (its
/// `statement_timeout` only when `statement_timeout`).
pub fn establish_with(
    target: &DbTarget,
    options: &ConnOptions,
    statement_timeout: bool,
) -> Result<AnyConnection, diesel::ConnectionError> {
    match target {
        #[cfg(feature = "sqlite")]
        DbTarget::Sqlite(path) => {
            let _ = statement_timeout;
            create_sqlite_file(path).map_err(|e| {
                diesel::ConnectionError::BadConnection(format!(
                    "cannot create {}: {e}",
                    path.display()
                ))
            })?;
            let mut conn = diesel::sqlite::SqliteConnection::establish(&path.to_string_lossy())?;
            conn.batch_execute(&options.sqlite_pragmas())
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            crate::search::register(&mut conn)
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            Ok(AnyConnection::Sqlite(conn))
        }
        #[cfg(feature = "postgres")]
        DbTarget::Postgres(url) => {
            diesel::pg::PgConnection::establish(&options.postgres_url(url, statement_timeout))
                .map(AnyConnection::Postgresql)
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
    options: ConnOptions,
}

impl Manager {
    /// A manager for `target` with the default [`ConnOptions`].
    pub fn new(target: DbTarget) -> Self {
        Self::with_options(target, ConnOptions::default())
    }

    /// A manager for `target` whose connections are opened with `options`.
    pub fn with_options(target: DbTarget, options: ConnOptions) -> Self {
        Self { target, options }
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
        let conn = establish_with(&self.target, &self.options, true)
            .map_err(diesel::r2d2::Error::ConnectionError)?;
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
        assert_eq!(t.describe(), "postgres postgres://user@host:5432/db");
        let t = DbTarget::from_url(
            "postgres://user@host/db?sslmode=require&password=hunter2-secret&options=-csearch_path%3Dx",
        )
        .unwrap();
        assert_eq!(
            t.describe(),
            "postgres postgres://user@host/db?sslmode=require&options=-csearch_path%3Dx"
        );
        let t = DbTarget::from_url("postgresql://u:p%40ss@h/db?PassWord=x").unwrap();
        assert!(!t.describe().contains("p%40ss") && !t.describe().contains("=x"));
        assert_eq!(
            scrub_password(
                "postgres://u:p%zz-secret@h/db?password=q%41-secret",
                "invalid percent-encoded token: \"p%zz-secret\"; qA-secret"
            ),
            "invalid percent-encoded token: \"<redacted>\"; <redacted>"
        );
    }

    #[test]
    fn unusable_urls_are_shown_without_their_password() {
        for url in [
            "mysql://user:hunter2-secret@db.example.com/app",
            "mysql://db.example.com/app?password=hunter2-secret",
            "user:hunter2-secret@db.example.com/app",
            "hunter2-secret@db",
            "sqlite://:memory:?password=hunter2-secret",
        ] {
            let e = DbTarget::from_url(url).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{url}: {e}");
            assert!(e.contains("neither sqlite://PATH nor postgres://"), "{e}");
        }
        let e = DbTarget::from_url("mysql://user:hunter2-secret@db.example.com/app")
            .unwrap_err()
            .to_string();
        assert!(e.contains("mysql://user@db.example.com/app"), "{e}");
        assert_eq!(redact_url("typo.db"), "typo.db");
    }

    #[test]
    fn postgres_urls_get_timeouts_and_keepalive() {
        let o = ConnOptions {
            connect_timeout: Duration::from_secs(7),
            statement_timeout: Duration::from_millis(1500),
            keepalives_idle: Duration::from_secs(30),
            ..ConnOptions::default()
        };
        assert_eq!(
            o.postgres_url("postgres://u@h/db", true),
            "postgres://u@h/db?connect_timeout=7&keepalives=1&keepalives_idle=30&options=-c%20statement_timeout%3D1500"
        );
        assert_eq!(
            o.postgres_url(
                "postgres://u@h/db?options=-csearch_path%3Ds&connect_timeout=3",
                true
            ),
            "postgres://u@h/db?options=-csearch_path%3Ds%20-c%20statement_timeout%3D1500&connect_timeout=3&keepalives=1&keepalives_idle=30"
        );
        assert_eq!(
            o.postgres_url("postgres://u@h/db", false),
            "postgres://u@h/db?connect_timeout=7&keepalives=1&keepalives_idle=30"
        );
        let none = ConnOptions {
            connect_timeout: Duration::ZERO,
            statement_timeout: Duration::ZERO,
            keepalives_idle: Duration::ZERO,
            ..ConnOptions::default()
        };
        assert_eq!(
            none.postgres_url("postgres://u@h/db", true),
            "postgres://u@h/db?keepalives=1"
        );
    }

    fn open(dir: &Path, sync: SqliteSynchronous) -> crate::DieselStore {
        let url = format!("sqlite://{}", dir.join("sub/gateway.db").display());
        let options = crate::PoolOptions {
            connection: ConnOptions {
                sqlite_synchronous: sync,
                ..ConnOptions::default()
            },
            ..crate::PoolOptions::default()
        };
        crate::DieselStore::open(&url, &options).unwrap()
    }

    /// `database.sqlite_synchronous` reaches every pooled connection and reads back as the
    /// number SQLite reports (off 0, normal 1, full 2, extra 3).
    #[tokio::test]
    async fn sqlite_synchronous_is_applied_and_read_back() {
        for sync in [
            SqliteSynchronous::Off,
            SqliteSynchronous::Normal,
            SqliteSynchronous::Full,
            SqliteSynchronous::Extra,
        ] {
            let dir = tempfile::tempdir().unwrap();
            let store = open(dir.path(), sync);
            let (journal, _, _, read) = store.sqlite_settings().await.unwrap().unwrap();
            assert_eq!(journal, "wal");
            assert_eq!(read, sync.pragma_value(), "{sync:?}");
        }
        assert_eq!(SqliteSynchronous::Full.pragma_value(), 2);
        assert_eq!(
            "FULL".parse::<SqliteSynchronous>(),
            Ok(SqliteSynchronous::Full)
        );
        assert!("fast".parse::<SqliteSynchronous>().is_err());
    }

    /// The database file (it holds the signing secrets) and its `-wal` and `-shm` are 0600,
    /// whatever the umask; an existing file readable by others is tightened on open.
    #[cfg(unix)]
    #[tokio::test]
    async fn sqlite_files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path(), SqliteSynchronous::Normal);
        store.sqlite_settings().await.unwrap();
        let db = dir.path().join("sub/gateway.db");
        for suffix in ["", "-wal", "-shm"] {
            let file = PathBuf::from(format!("{}{suffix}", db.display()));
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}: {mode:o}", file.display());
        }
        drop(store);
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let _store = open(dir.path(), SqliteSynchronous::Normal);
        let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
}
