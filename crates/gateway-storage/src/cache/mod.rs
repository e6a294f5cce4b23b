//! What the current-user answers read on every request, from memory: users by id, a user's team
//! memberships, a user's count of active sessions, and projects by id. Each is a bounded map
//! (`memo.rs`) kept consistent with the database by three rules.
//!
//! - **Read your writes**: a change written by this process replaces (users) or drops (the rest)
//!   what it makes stale before the call returns.
//! - **Others' writes**: every change of the tables behind a map, whoever makes it, is announced
//!   (PostgreSQL: triggers' `NOTIFY`, `listen.rs`; SQLite: the file's `data_version`, checked by the
//!   writer thread) and drops the entries it makes stale. While that watch is not known to work
//!   (before it starts, after its connection is lost) nothing is served from memory or kept.
//! - **No stale fill**: a read offers its result with the ticket it took before reading; any
//!   drop in that map since then refuses the offer, so a value read before a change can never be
//!   kept after the change's announcement. An older user version never replaces a newer one
//!   (every change of a row bumps its `version`).
//!
//! A session count also depends on the clock: it is kept with the time its first session expires
//! and is not served from then on.
//!
//! The configured bounds hold for all four maps together: every map holds at most `entries`
//! values, and the bytes are shared out (users 1/2, memberships 1/4, session counts and projects
//! 1/8 each; sizes are estimates: the rows' text plus the structs); when a map is full, its oldest
//! entries go first.

mod memo;

use chrono::{DateTime, Utc};
use gateway_core::{Project, TeamMembership, User};

use memo::Held;
pub(crate) use memo::Memo;

/// Bounds of the cache. Zero entries switch it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Most values held by each map.
    pub entries: usize,
    /// Most estimated bytes held by all maps together.
    pub bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        Self {
            entries: 10_000,
            bytes: 32 * 1024 * 1024,
        }
    }
}

/// What one map holds and did, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Values held.
    pub entries: usize,
    /// Their estimated size.
    pub bytes: usize,
    /// Reads served from memory.
    pub hits: u64,
    /// Reads that went to the database.
    pub misses: u64,
    /// Entries dropped because another writer changed them (or the watch restarted).
    pub invalidations: u64,
    /// Whether the watch of other writers works (entries are served and kept only then).
    pub watching: bool,
}

/// A user's active sessions as counted: the count holds until the first of them expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionCount {
    pub count: i64,
    /// When the first counted session expires (`None`: none counted).
    pub until: Option<DateTime<Utc>>,
}

impl SessionCount {
    /// Whether the count still holds at `now`.
    pub(crate) fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

impl Held for SessionCount {}
impl Held for Vec<TeamMembership> {}
impl Held for Project {}

/// The four maps (shared by the store's clones through an `Arc`).
pub(crate) struct Caches {
    pub users: Memo<User>,
    pub memberships: Memo<Vec<TeamMembership>>,
    pub sessions: Memo<SessionCount>,
    pub projects: Memo<Project>,
}

impl Caches {
    pub(crate) fn new(limits: CacheLimits) -> Self {
        let share = |part: usize| CacheLimits {
            entries: limits.entries,
            bytes: limits.bytes / part,
        };
        Self {
            users: Memo::new(share(2)),
            memberships: Memo::new(share(4)),
            sessions: Memo::new(share(8)),
            projects: Memo::new(share(8)),
        }
    }

    /// Whether the watch of other writers works (see [`Memo::set_watching`]).
    pub(crate) fn set_watching(&self, on: bool) {
        self.users.set_watching(on);
        self.memberships.set_watching(on);
        self.sessions.set_watching(on);
        self.projects.set_watching(on);
    }

    /// Drops everything (a reset, a change another process made to a SQLite file).
    pub(crate) fn clear(&self) {
        self.users.clear();
        self.memberships.clear();
        self.sessions.clear();
        self.projects.clear();
    }

    /// Drops what is held of user `id` (deleted).
    pub(crate) fn forget_user(&self, id: &str) {
        self.users.changed(id, None);
        self.memberships.changed(id, None);
        self.sessions.changed(id, None);
    }

    /// Each map's usage, by name.
    pub(crate) fn usage(&self) -> [(&'static str, CacheUsage); 4] {
        [
            ("users", self.users.usage()),
            ("memberships", self.memberships.usage()),
            ("sessions", self.sessions.usage()),
            ("projects", self.projects.usage()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_count_holds_until_its_first_session_expires() {
        let t = DateTime::UNIX_EPOCH;
        let count = SessionCount {
            count: 2,
            until: Some(t + chrono::Duration::seconds(10)),
        };
        assert!(count.holds_at(t + chrono::Duration::seconds(9)));
        assert!(!count.holds_at(t + chrono::Duration::seconds(10)));
        let none = SessionCount {
            count: 0,
            until: None,
        };
        assert!(none.holds_at(t + chrono::Duration::days(10_000)));
    }

    #[test]
    fn the_maps_share_the_bytes_and_forget_a_user_everywhere() {
        let caches = Caches::new(CacheLimits {
            entries: 5,
            bytes: 8000,
        });
        caches.set_watching(true);
        let id = uuid::Uuid::from_u128(1).to_string();
        let count = SessionCount {
            count: 1,
            until: None,
        };
        caches
            .sessions
            .offer(caches.sessions.ticket(), &id, &count, 0);
        caches
            .memberships
            .offer(caches.memberships.ticket(), &id, &Vec::new(), 0);
        assert_eq!(caches.sessions.get(&id), Ok(count));
        // 8000 / 8 bytes for the session counts: a value of 2000 bytes is larger than its map.
        let other = uuid::Uuid::from_u128(2).to_string();
        caches
            .sessions
            .offer(caches.sessions.ticket(), &other, &count, 2000);
        assert!(caches.sessions.get(&other).is_err());
        caches.forget_user(&id);
        assert!(caches.sessions.get(&id).is_err() && caches.memberships.get(&id).is_err());
        let [users, ..] = caches.usage();
        assert_eq!(users.0, "users");
    }
}
