//! Users read from memory: a bounded map from user id to the user as last read or written by
//! this process, kept consistent with the database by three rules.
//!
//! - **Read your writes**: a change written by this process replaces the entry with its result
//!   before the call returns; a delete (or a reset) drops it.
//! - **Others' writes**: every change of a `users` row, whoever makes it, is announced (PostgreSQL:
//!   a trigger's `NOTIFY`, `listen.rs`; SQLite: the file's `data_version`, checked by the writer
//!   thread) and drops the entries it makes stale. While that watch is not known to work (before
//!   it starts, after its connection is lost) nothing is served from memory or kept.
//! - **No stale fill**: a read offers its result with the [`Ticket`] it took before reading;
//!   any drop since then (the counter `generation`) refuses the offer, so a row read before a
//!   change can never be kept after the change's announcement. An older version never replaces
//!   a newer one (every change of a row bumps its `version`).
//!
//! Bounded by entries and by bytes (an estimate: the row's text plus the struct); when full, the
//! oldest entries go first.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use gateway_core::User;

/// Bounds of the cache. Zero entries switch it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// Most users held.
    pub entries: usize,
    /// Most estimated bytes held.
    pub bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        Self {
            entries: 10_000,
            bytes: 16 * 1024 * 1024,
        }
    }
}

/// What the cache holds and did, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUsage {
    /// Users held.
    pub entries: usize,
    /// Their estimated size.
    pub bytes: usize,
    /// Reads served from memory.
    pub hits: u64,
    /// Reads that went to the database.
    pub misses: u64,
    /// Entries dropped because another writer changed the user (or the watch restarted).
    pub invalidations: u64,
    /// Whether the watch of other writers works (entries are served and kept only then).
    pub watching: bool,
}

struct Entry {
    user: User,
    bytes: usize,
}

#[derive(Default)]
struct Inner {
    map: HashMap<String, Entry>,
    /// Ids in the order they were inserted, for eviction (may name entries gone since).
    order: VecDeque<String>,
    bytes: usize,
    /// Bumped by every drop: the offers of reads that began before it are refused.
    generation: u64,
}

/// A read's place in the order of drops (see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// The cache (shared by the store's clones through an `Arc`).
pub(crate) struct UserCache {
    limits: CacheLimits,
    inner: Mutex<Inner>,
    watching: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
}

impl UserCache {
    pub(crate) fn new(limits: CacheLimits) -> Self {
        Self {
            limits,
            inner: Mutex::default(),
            watching: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a panic elsewhere mid-change: start over empty.
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut inner = poisoned.into_inner();
            *inner = Inner {
                generation: inner.generation + 1,
                ..Inner::default()
            };
            inner
        })
    }

    fn active(&self) -> bool {
        self.limits.entries > 0 && self.watching.load(Ordering::Acquire)
    }

    /// The user `id` if held; otherwise a ticket for the read that follows.
    pub(crate) fn get(&self, id: &str) -> Result<User, Ticket> {
        let inner = self.inner();
        if self.active()
            && let Some(entry) = inner.map.get(id)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(entry.user.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Ticket(inner.generation))
    }

    /// A ticket for a write that follows (its result is offered with it).
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.inner().generation)
    }

    /// Keeps `user` (of about `bytes` of text), read or written after `ticket` was taken, unless
    /// something was dropped since or a newer version is held.
    pub(crate) fn offer(&self, ticket: Ticket, user: &User, bytes: usize) {
        let bytes = bytes + std::mem::size_of::<User>();
        if !self.active() || bytes > self.limits.bytes {
            return;
        }
        let mut inner = self.inner();
        if inner.generation != ticket.0 {
            return;
        }
        let id = user.id.to_string();
        if let Some(old) = inner.map.get(&id) {
            if old.user.version >= user.version {
                return;
            }
            let old_bytes = old.bytes;
            inner.bytes -= old_bytes;
        } else {
            inner.order.push_back(id.clone());
        }
        inner.bytes += bytes;
        inner.map.insert(
            id,
            Entry {
                user: user.clone(),
                bytes,
            },
        );
        while inner.map.len() > self.limits.entries || inner.bytes > self.limits.bytes {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some(gone) = inner.map.remove(&oldest) {
                inner.bytes -= gone.bytes;
            }
        }
        // Ids of entries dropped since they were queued stay in `order`; keep it bounded too.
        if inner.order.len() > 2 * self.limits.entries.max(1) {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|id| map.contains_key(id));
        }
    }

    /// Drops user `id`, unless the entry is already at `version` or newer (the announcement of a
    /// change this process wrote itself); `None`: whatever it holds (a delete).
    pub(crate) fn changed(&self, id: &str, version: Option<i64>) {
        let mut inner = self.inner();
        if let (Some(entry), Some(version)) = (inner.map.get(id), version)
            && entry.user.version >= version
        {
            return;
        }
        inner.generation += 1;
        if let Some(gone) = inner.map.remove(id) {
            inner.bytes -= gone.bytes;
            self.invalidations.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops everything (a reset, a lost or restarted watch).
    pub(crate) fn clear(&self) {
        let mut inner = self.inner();
        inner.generation += 1;
        let dropped = inner.map.len() as u64;
        inner.map.clear();
        inner.order.clear();
        inner.bytes = 0;
        self.invalidations.fetch_add(dropped, Ordering::Relaxed);
    }

    /// Whether the watch of other writers works: `false` drops everything and stops serving
    /// from memory until it is `true` again.
    pub(crate) fn set_watching(&self, on: bool) {
        if !on {
            self.watching.store(false, Ordering::Release);
            self.clear();
        } else if !self.watching.swap(true, Ordering::AcqRel) {
            // Anything offered while nobody watched was refused; start clean anyway.
            self.clear();
        }
    }

    pub(crate) fn usage(&self) -> CacheUsage {
        let inner = self.inner();
        CacheUsage {
            entries: inner.map.len(),
            bytes: inner.bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            watching: self.watching.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use gateway_core::UserId;

    use super::*;

    fn user(n: u128, version: i64) -> User {
        let mut u = User::new(
            UserId(uuid::Uuid::from_u128(n)),
            format!("u{n}"),
            chrono::DateTime::UNIX_EPOCH,
        );
        u.version = version;
        u
    }

    fn watched(limits: CacheLimits) -> UserCache {
        let cache = UserCache::new(limits);
        cache.set_watching(true);
        cache
    }

    fn id(n: u128) -> String {
        uuid::Uuid::from_u128(n).to_string()
    }

    #[test]
    fn a_read_fills_and_a_newer_version_replaces() {
        let cache = watched(CacheLimits::default());
        let ticket = cache.get(&id(1)).unwrap_err();
        cache.offer(ticket, &user(1, 3), 10);
        assert_eq!(cache.get(&id(1)).unwrap().version, 3);
        cache.offer(cache.ticket(), &user(1, 2), 10);
        assert_eq!(
            cache.get(&id(1)).unwrap().version,
            3,
            "older never replaces"
        );
        cache.offer(cache.ticket(), &user(1, 4), 10);
        assert_eq!(cache.get(&id(1)).unwrap().version, 4);
        let usage = cache.usage();
        assert_eq!((usage.hits, usage.misses, usage.entries), (3, 1, 1));
    }

    #[test]
    fn a_drop_refuses_the_offers_of_reads_begun_before_it() {
        let cache = watched(CacheLimits::default());
        let ticket = cache.get(&id(1)).unwrap_err();
        // Another writer's change of any user is announced while the read runs.
        cache.changed(&id(2), Some(7));
        cache.offer(ticket, &user(1, 3), 10);
        assert!(cache.get(&id(1)).is_err());
    }

    #[test]
    fn announcements_drop_older_entries_only() {
        let cache = watched(CacheLimits::default());
        cache.offer(cache.ticket(), &user(1, 5), 10);
        cache.changed(&id(1), Some(5));
        assert!(cache.get(&id(1)).is_ok(), "this process's own write");
        cache.changed(&id(1), Some(6));
        assert!(cache.get(&id(1)).is_err());
        cache.offer(cache.ticket(), &user(1, 6), 10);
        cache.changed(&id(1), None);
        assert!(cache.get(&id(1)).is_err(), "a delete");
    }

    #[test]
    fn nothing_is_served_or_kept_without_a_watch() {
        let cache = watched(CacheLimits::default());
        cache.offer(cache.ticket(), &user(1, 1), 10);
        cache.set_watching(false);
        assert!(cache.get(&id(1)).is_err());
        cache.offer(cache.ticket(), &user(1, 1), 10);
        assert_eq!(cache.usage().entries, 0);
        cache.set_watching(true);
        assert!(cache.get(&id(1)).is_err());
        let off = watched(CacheLimits {
            entries: 0,
            bytes: 1 << 20,
        });
        off.offer(off.ticket(), &user(1, 1), 10);
        assert!(off.get(&id(1)).is_err(), "zero entries: off");
    }

    #[test]
    fn entries_and_bytes_stay_bounded_oldest_first() {
        let per = std::mem::size_of::<User>() + 100;
        let cache = watched(CacheLimits {
            entries: 3,
            bytes: 10 * per,
        });
        for n in 0..10 {
            cache.offer(cache.ticket(), &user(n, 1), 100);
        }
        let usage = cache.usage();
        assert_eq!((usage.entries, usage.bytes), (3, 3 * per));
        assert!(cache.get(&id(9)).is_ok() && cache.get(&id(6)).is_err());
        let small = watched(CacheLimits {
            entries: 100,
            bytes: 2 * per,
        });
        for n in 0..10 {
            small.offer(small.ticket(), &user(n, 1), 100);
        }
        assert_eq!(small.usage().entries, 2);
        small.offer(small.ticket(), &user(99, 1), 10 * per);
        assert!(small.get(&id(99)).is_err(), "larger than the whole cache");
        for n in 0..1000 {
            small.changed(&id(n % 10), None);
            small.offer(small.ticket(), &user(n % 10, 1), 100);
        }
        assert!(small.inner().order.len() <= 200);
    }
}
