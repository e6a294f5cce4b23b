//! One map of the cache (`mod.rs`): values by key, bounded by entries and bytes, oldest out
//! first, with the ticket rule that keeps a read from filling a value a change has made stale.
//!
//! The ticket rule: a read takes a ticket (the map's generation) before it starts, and offers what
//! it found with the ticket. Every drop bumps the generation and notes the key it dropped; an
//! offer is refused when its key was dropped after its ticket was taken, or when everything was
//! (`clear`). The notes are bounded ([`RECENT_DROPS`] keys): a ticket older than the oldest note
//! forgotten is refused whatever its key, so forgetting only costs a fill, never a stale value.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
};

use super::{CacheLimits, CacheUsage};

/// How many dropped keys a map remembers for the ticket rule (about 100 KiB at most).
const RECENT_DROPS: usize = 1024;

/// What a map holds.
pub(crate) trait Held: Clone {
    /// The row's version when it has one: an older value never replaces a newer one, and an
    /// announced change at a version already held is this process's own write.
    fn version(&self) -> Option<i64> {
        None
    }
}

impl Held for gateway_core::User {
    fn version(&self) -> Option<i64> {
        Some(self.version)
    }
}

struct Entry<V> {
    value: V,
    bytes: usize,
}

struct Inner<V> {
    map: HashMap<String, Entry<V>>,
    /// Keys in the order they were inserted, for eviction (may name entries gone since).
    order: VecDeque<String>,
    bytes: usize,
    /// Bumped by every drop.
    generation: u64,
    /// Offers with a ticket older than this are refused: the last `clear`, or the newest drop
    /// forgotten from `dropped`.
    floor: u64,
    /// The generation each recently dropped key was dropped at.
    dropped: HashMap<String, u64>,
    /// `dropped`'s keys, oldest first (may name notes replaced since).
    dropped_order: VecDeque<(String, u64)>,
}

impl<V> Default for Inner<V> {
    fn default() -> Self {
        Self {
            map: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
            generation: 0,
            floor: 0,
            dropped: HashMap::new(),
            dropped_order: VecDeque::new(),
        }
    }
}

impl<V> Inner<V> {
    /// Whether a value read under `ticket` for `key` may still be kept.
    fn admits(&self, ticket: Ticket, key: &str) -> bool {
        ticket.0 >= self.floor && self.dropped.get(key).is_none_or(|&at| at <= ticket.0)
    }

    /// Bumps the generation for a drop of `key`, and notes it (forgetting the oldest note past
    /// [`RECENT_DROPS`]).
    fn note_drop(&mut self, key: &str) {
        self.generation += 1;
        let at = self.generation;
        self.dropped.insert(key.to_owned(), at);
        self.dropped_order.push_back((key.to_owned(), at));
        while self.dropped_order.len() > RECENT_DROPS {
            let Some((old, old_at)) = self.dropped_order.pop_front() else {
                break;
            };
            if self.dropped.get(&old) == Some(&old_at) {
                self.dropped.remove(&old);
            }
            self.floor = self.floor.max(old_at);
        }
    }

    /// Bumps the generation for a drop of everything: no ticket taken before is admitted.
    fn note_clear(&mut self) {
        self.generation += 1;
        self.floor = self.generation;
        self.dropped.clear();
        self.dropped_order.clear();
    }
}

/// A read's place in the order of drops (see the module).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket(u64);

/// One bounded map.
pub(crate) struct Memo<V> {
    limits: CacheLimits,
    inner: Mutex<Inner<V>>,
    watching: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    invalidations: AtomicU64,
}

impl<V: Held> Memo<V> {
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

    fn inner(&self) -> MutexGuard<'_, Inner<V>> {
        // A poisoned lock only means a panic elsewhere mid-change: start over empty.
        self.inner.lock().unwrap_or_else(|poisoned| {
            let mut inner = poisoned.into_inner();
            let generation = inner.generation + 1;
            *inner = Inner {
                generation,
                floor: generation,
                ..Inner::default()
            };
            inner
        })
    }

    fn active(&self) -> bool {
        self.limits.entries > 0 && self.watching.load(Ordering::Acquire)
    }

    #[cfg(test)]
    /// The value of `key` if held; otherwise a ticket for the read that follows.
    pub(crate) fn get(&self, key: &str) -> Result<V, Ticket> {
        self.get_if(key, |_| true)
    }

    /// [`Self::get`] of a value that `fresh` still accepts (a value that depends on the clock).
    pub(crate) fn get_if(&self, key: &str, fresh: impl FnOnce(&V) -> bool) -> Result<V, Ticket> {
        let inner = self.inner();
        if self.active()
            && let Some(entry) = inner.map.get(key)
            && fresh(&entry.value)
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(entry.value.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        Err(Ticket(inner.generation))
    }

    /// The value of `key` if held and `fresh` accepts it; otherwise what `read` (a read not yet
    /// started: a future runs only when awaited) finds, with its size, kept under a ticket taken
    /// before it ran.
    pub(crate) async fn read_through<E>(
        &self,
        key: &str,
        fresh: impl FnOnce(&V) -> bool,
        read: impl Future<Output = Result<Option<(V, usize)>, E>>,
    ) -> Result<Option<V>, E> {
        let ticket = match self.get_if(key, fresh) {
            Ok(held) => return Ok(Some(held)),
            Err(ticket) => ticket,
        };
        Ok(read.await?.map(|(value, bytes)| {
            self.offer(ticket, key, &value, bytes);
            value
        }))
    }

    /// A ticket for a write that follows (its result is offered with it).
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.inner().generation)
    }

    /// Keeps `value` for `key` (with about `bytes` of text), read or written after `ticket` was
    /// taken, unless `key` (or everything) was dropped since or a newer version is held.
    pub(crate) fn offer(&self, ticket: Ticket, key: &str, value: &V, bytes: usize) {
        let bytes = bytes + std::mem::size_of::<V>() + key.len();
        if !self.active() || bytes > self.limits.bytes {
            return;
        }
        let mut inner = self.inner();
        if !inner.admits(ticket, key) {
            return;
        }
        if let Some(old) = inner.map.get(key) {
            if let (Some(held), Some(new)) = (old.value.version(), value.version())
                && held >= new
            {
                return;
            }
            let old_bytes = old.bytes;
            inner.bytes -= old_bytes;
        } else {
            inner.order.push_back(key.to_owned());
        }
        inner.bytes += bytes;
        inner.map.insert(
            key.to_owned(),
            Entry {
                value: value.clone(),
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
        // Keys of entries dropped since they were queued stay in `order`; keep it bounded too.
        if inner.order.len() > 2 * self.limits.entries.max(1) {
            let Inner { map, order, .. } = &mut *inner;
            order.retain(|key| map.contains_key(key));
        }
    }

    /// Drops `key`, unless the entry is already at `version` or newer (the announcement of a
    /// change this process wrote itself); `None`: whatever it holds.
    pub(crate) fn changed(&self, key: &str, version: Option<i64>) {
        let mut inner = self.inner();
        if let (Some(held), Some(version)) =
            (inner.map.get(key).and_then(|e| e.value.version()), version)
            && held >= version
        {
            return;
        }
        inner.note_drop(key);
        if let Some(gone) = inner.map.remove(key) {
            inner.bytes -= gone.bytes;
            self.invalidations.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Drops everything.
    pub(crate) fn clear(&self) {
        let mut inner = self.inner();
        inner.note_clear();
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
    use gateway_core::{User, UserId};

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

    fn watched(limits: CacheLimits) -> Memo<User> {
        let cache = Memo::new(limits);
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
        cache.offer(ticket, &id(1), &user(1, 3), 10);
        assert_eq!(cache.get(&id(1)).unwrap().version, 3);
        cache.offer(cache.ticket(), &id(1), &user(1, 2), 10);
        assert_eq!(
            cache.get(&id(1)).unwrap().version,
            3,
            "older never replaces"
        );
        cache.offer(cache.ticket(), &id(1), &user(1, 4), 10);
        assert_eq!(cache.get(&id(1)).unwrap().version, 4);
        let usage = cache.usage();
        assert_eq!((usage.hits, usage.misses, usage.entries), (3, 1, 1));
    }

    #[test]
    fn a_drop_refuses_the_offers_of_reads_of_its_key_begun_before_it() {
        let cache = watched(CacheLimits::default());
        let ticket = cache.get(&id(1)).unwrap_err();
        // Another writer's change of this user is announced while the read runs.
        cache.changed(&id(1), Some(7));
        cache.offer(ticket, &id(1), &user(1, 3), 10);
        assert!(cache.get(&id(1)).is_err());
        // A change of another user leaves the read's fill alone.
        let ticket = cache.get(&id(1)).unwrap_err();
        cache.changed(&id(2), Some(7));
        cache.offer(ticket, &id(1), &user(1, 3), 10);
        assert!(cache.get(&id(1)).is_ok());
        // Dropping everything refuses every read begun before it.
        let ticket = cache.get(&id(3)).unwrap_err();
        cache.clear();
        cache.offer(ticket, &id(3), &user(3, 1), 10);
        assert!(cache.get(&id(3)).is_err());
    }

    #[test]
    fn forgotten_drops_refuse_every_older_ticket() {
        let cache = watched(CacheLimits::default());
        cache.changed(&id(1), None);
        let before = cache.get(&id(5)).unwrap_err();
        // Id 1's note and the next one (taken after `before`) are forgotten.
        for n in 0..=RECENT_DROPS as u128 {
            cache.changed(&id(1000 + n), None);
        }
        assert!(cache.inner().dropped.len() <= RECENT_DROPS);
        cache.offer(before, &id(5), &user(5, 1), 10);
        assert!(cache.get(&id(5)).is_err(), "whose drop it was is forgotten");
        let after = cache.get(&id(5)).unwrap_err();
        cache.changed(&id(1), None);
        cache.offer(after, &id(5), &user(5, 1), 10);
        assert!(cache.get(&id(5)).is_ok());
    }

    #[test]
    fn announcements_drop_older_entries_only() {
        let cache = watched(CacheLimits::default());
        cache.offer(cache.ticket(), &id(1), &user(1, 5), 10);
        cache.changed(&id(1), Some(5));
        assert!(cache.get(&id(1)).is_ok(), "this process's own write");
        cache.changed(&id(1), Some(6));
        assert!(cache.get(&id(1)).is_err());
        cache.offer(cache.ticket(), &id(1), &user(1, 6), 10);
        cache.changed(&id(1), None);
        assert!(cache.get(&id(1)).is_err(), "a delete");
    }

    #[test]
    fn nothing_is_served_or_kept_without_a_watch() {
        let cache = watched(CacheLimits::default());
        cache.offer(cache.ticket(), &id(1), &user(1, 1), 10);
        cache.set_watching(false);
        assert!(cache.get(&id(1)).is_err());
        cache.offer(cache.ticket(), &id(1), &user(1, 1), 10);
        assert_eq!(cache.usage().entries, 0);
        cache.set_watching(true);
        assert!(cache.get(&id(1)).is_err());
        let off = watched(CacheLimits {
            entries: 0,
            bytes: 1 << 20,
        });
        off.offer(off.ticket(), &id(1), &user(1, 1), 10);
        assert!(off.get(&id(1)).is_err(), "zero entries: off");
    }

    #[test]
    fn entries_and_bytes_stay_bounded_oldest_first() {
        let per = std::mem::size_of::<User>() + 36 + 100;
        let cache = watched(CacheLimits {
            entries: 3,
            bytes: 10 * per,
        });
        for n in 0..10 {
            cache.offer(cache.ticket(), &id(n), &user(n, 1), 100);
        }
        let usage = cache.usage();
        assert_eq!((usage.entries, usage.bytes), (3, 3 * per));
        assert!(cache.get(&id(9)).is_ok() && cache.get(&id(6)).is_err());
        let small = watched(CacheLimits {
            entries: 100,
            bytes: 2 * per,
        });
        for n in 0..10 {
            small.offer(small.ticket(), &id(n), &user(n, 1), 100);
        }
        assert_eq!(small.usage().entries, 2);
        small.offer(small.ticket(), &id(99), &user(99, 1), 10 * per);
        assert!(small.get(&id(99)).is_err(), "larger than the whole cache");
        for n in 0..1000 {
            small.changed(&id(n % 10), None);
            small.offer(small.ticket(), &id(n % 10), &user(n % 10, 1), 100);
        }
        assert!(small.inner().order.len() <= 200);
    }
}
