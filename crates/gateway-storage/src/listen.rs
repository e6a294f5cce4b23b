//! The cache's watch of other writers (`cache/`), one thread per store:
//!
//! - **PostgreSQL**: a connection of its own that `LISTEN`s on `gateway_users` (the triggers of
//!   migrations `2026-12-05-000400_user_change_notices` and `2026-12-05-000500_cache_notices`
//!   announce every committed change of the rows the cache holds) and reads what arrived every
//!   [`POLL`]; a failed read, or a failed liveness
//!   `SELECT 1` every [`PING`], stops the cache (everything dropped, nothing served) until a new
//!   connection listens again.
//! - **SQLite**: every [`POLL`] the writer thread reads `PRAGMA data_version` on its own
//!   connection, which changes only when another connection (another process) commits; a change
//!   drops the whole cache (SQLite does not say which rows changed).
//!
//! So a change written elsewhere is seen here within about [`POLL`] (plus the database's own
//! delivery). The thread ends when the store is dropped.

use std::{
    sync::{Arc, Mutex, Weak},
    time::{Duration, Instant},
};

use crate::cache::Caches;

/// How often arrived notices (PostgreSQL) or the data version (SQLite) are read: the bound on
/// how late another writer's change is seen, besides delivery.
pub const POLL: Duration = Duration::from_millis(5);
/// The promise on another instance's (or process's) change: every instance reads it after this
/// long at the latest. [`POLL`] plus delivery is the expectation; the rest is room for a loaded
/// machine (the two-instance suites wait this long, then require every instance to agree).
pub const STALENESS_BOUND: Duration = Duration::from_millis(100);
/// How often the PostgreSQL listener checks that its connection is alive.
const PING: Duration = Duration::from_secs(1);
/// How long a lost listener waits before it connects again.
const RETRY: Duration = Duration::from_millis(500);

/// Applies one notice: a user's `<id> <version>` or `<id> -` (deleted); `m <user id>` (a user's
/// memberships), `s <user id>` (a user's sessions), `p <project id>`, or `m *` (every user's
/// memberships: a team changed); `*` (everything). Anything else drops everything.
pub(crate) fn apply(cache: &Caches, payload: &str) {
    match payload.split_once(' ') {
        Some(("m", "*")) => cache.memberships.clear(),
        Some(("m", id)) => cache.memberships.changed(id, None),
        Some(("s", id)) => cache.sessions.changed(id, None),
        Some(("p", id)) => cache.projects.changed(id, None),
        Some((id, "-")) => cache.forget_user(id),
        Some((id, version)) => match version.parse::<i64>() {
            Ok(v) => cache.users.changed(id, Some(v)),
            Err(_) => cache.clear(),
        },
        None => cache.clear(),
    }
}

/// Starts the PostgreSQL listener of `cache`.
#[cfg(feature = "postgres")]
pub(crate) fn watch_postgres(
    target: crate::DbTarget,
    options: crate::ConnOptions,
    cache: Weak<Caches>,
) -> std::io::Result<()> {
    use diesel::{RunQueryDsl, pg::PgConnection};

    fn listen(target: &crate::DbTarget, options: &crate::ConnOptions) -> Option<PgConnection> {
        match crate::conn::establish_with(target, options, false) {
            Ok(crate::AnyConnection::Postgresql(mut c)) => {
                // Named apart from the pool's connections (the same name plus ` user-cache`), so
                // that an operator sees which one it is.
                let named = diesel::sql_query(
                    "SELECT set_config('application_name', \
                     left(current_setting('application_name') || ' user-cache', 63), false)",
                )
                .execute(&mut c);
                match named.and_then(|_| diesel::sql_query("LISTEN gateway_users").execute(&mut c))
                {
                    Ok(_) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "user cache: LISTEN failed");
                        None
                    }
                }
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "user cache: cannot connect the listener");
                None
            }
        }
    }

    std::thread::Builder::new()
        .name("pg-user-listen".into())
        .spawn(move || {
            loop {
                let Some(strong) = cache.upgrade() else {
                    return;
                };
                let Some(mut conn) = listen(&target, &options) else {
                    strong.set_watching(false);
                    drop(strong);
                    std::thread::sleep(RETRY);
                    continue;
                };
                strong.set_watching(true);
                drop(strong);
                let mut pinged = Instant::now();
                'poll: loop {
                    std::thread::sleep(POLL);
                    let Some(cache) = cache.upgrade() else {
                        return;
                    };
                    for notice in conn.notifications_iter() {
                        match notice {
                            Ok(n) => apply(&cache, &n.payload),
                            Err(e) => {
                                tracing::warn!(error = %e, "user cache: listener lost");
                                cache.set_watching(false);
                                break 'poll;
                            }
                        }
                    }
                    if pinged.elapsed() >= PING {
                        if let Err(e) = diesel::sql_query("SELECT 1").execute(&mut conn) {
                            tracing::warn!(error = %e, "user cache: listener lost");
                            cache.set_watching(false);
                            break 'poll;
                        }
                        pinged = Instant::now();
                    }
                }
                std::thread::sleep(RETRY);
            }
        })
        .map(drop)
}

/// Starts the SQLite watch of `cache`, through the writer thread's connection.
#[cfg(feature = "sqlite")]
pub(crate) fn watch_sqlite(
    writer: crate::exec::Writer,
    cache: Weak<Caches>,
) -> std::io::Result<()> {
    /// The last data version seen, with the writer connection it was read on.
    type Seen = Arc<Mutex<Option<(u64, i64)>>>;
    let seen: Seen = Arc::default();
    std::thread::Builder::new()
        .name("sqlite-user-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(POLL);
                let Some(strong) = cache.upgrade() else {
                    return;
                };
                let seen = Arc::clone(&seen);
                let queued = writer.data_version(move |connection, read| {
                    let mut seen = seen
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    match read {
                        Ok(version) => {
                            let now = (connection, version);
                            if seen.is_some_and(|before| before != now) {
                                strong.clear();
                            }
                            *seen = Some(now);
                            strong.set_watching(true);
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "user cache: data_version unreadable");
                            *seen = None;
                            strong.set_watching(false);
                        }
                    }
                });
                if !queued {
                    return;
                }
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use gateway_core::{User, UserId};

    use super::*;
    use crate::cache::CacheLimits;

    #[test]
    fn notices_drop_what_they_name() {
        let caches = Caches::new(CacheLimits::default());
        caches.set_watching(true);
        let cache = &caches.users;
        let ids: Vec<_> = (1..=3).map(|n| UserId(uuid::Uuid::from_u128(n))).collect();
        for id in &ids {
            let mut u = User::new(*id, "u", chrono::DateTime::UNIX_EPOCH);
            u.version = 2;
            cache.offer(cache.ticket(), &id.to_string(), &u, 0);
        }
        apply(&caches, &format!("{} 2", ids[0]));
        apply(&caches, &format!("{} 3", ids[1]));
        assert_eq!(
            cache.usage().entries,
            2,
            "version 2 is held: kept; 3 is newer: dropped"
        );
        apply(&caches, &format!("{} -", ids[0]));
        assert_eq!(cache.usage().entries, 1);
        apply(&caches, "*");
        assert_eq!(cache.usage().entries, 0);
        cache.offer(
            cache.ticket(),
            &ids[2].to_string(),
            &User::new(ids[2], "u", chrono::DateTime::UNIX_EPOCH),
            0,
        );
        let other = ids[1].to_string();
        let count = crate::cache::SessionCount {
            count: 1,
            until: None,
        };
        for memo_notice in ["s", "m", "p"] {
            caches
                .sessions
                .offer(caches.sessions.ticket(), &other, &count, 0);
            caches
                .memberships
                .offer(caches.memberships.ticket(), &other, &Vec::new(), 0);
            apply(&caches, &format!("{memo_notice} {other}"));
            let kept = (
                caches.sessions.get(&other).is_ok(),
                caches.memberships.get(&other).is_ok(),
            );
            let expected = match memo_notice {
                "s" => (false, true),
                "m" => (true, false),
                _ => (true, true),
            };
            assert_eq!(kept, expected, "notice {memo_notice}");
        }
        apply(&caches, "m *");
        assert!(caches.memberships.get(&other).is_err());
        assert!(caches.sessions.get(&other).is_ok(), "only memberships");
        apply(&caches, "garbled");
        assert_eq!(
            cache.usage().entries,
            0,
            "an unknown notice drops everything"
        );
    }
}
