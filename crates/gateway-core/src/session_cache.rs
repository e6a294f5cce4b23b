//! Sessions recently seen active, so that checking an access token's session does not read the
//! store on every request. Bounded ([`MAX_ENTRIES`]); an entry is trusted for [`TRUST`]. A
//! revocation through this instance (sign-out, password change, deletion, admin revocation)
//! drops the user's entries at once; one made through another instance on the same database is
//! seen here within [`TRUST`].

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::UserId;

/// Most sessions remembered; when full, expired entries are dropped, then everything.
pub const MAX_ENTRIES: usize = 10_000;
/// How long a session seen active is trusted without reading the store again: the bound on how
/// late another instance's revocation is seen.
pub const TRUST: Duration = Duration::from_secs(1);

/// The cache (cheap to clone: shared).
#[derive(Debug, Clone, Default)]
pub struct SessionCache {
    seen: Arc<Mutex<HashMap<Uuid, (UserId, Instant)>>>,
}

impl SessionCache {
    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (UserId, Instant)>> {
        // A poisoned lock only means a panic elsewhere mid-insert: the map is still usable.
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `session` was seen active within [`TRUST`].
    pub fn fresh(&self, session: Uuid, now: Instant) -> bool {
        self.seen()
            .get(&session)
            .is_some_and(|(_, at)| now.duration_since(*at) < TRUST)
    }

    /// Remembers that `session` of `user` was active at `now`.
    pub fn remember(&self, session: Uuid, user: UserId, now: Instant) {
        let mut seen = self.seen();
        if seen.len() >= MAX_ENTRIES {
            seen.retain(|_, (_, at)| now.duration_since(*at) < TRUST);
            if seen.len() >= MAX_ENTRIES {
                seen.clear();
            }
        }
        seen.insert(session, (user, now));
    }

    /// Forgets one session.
    pub fn forget(&self, session: Uuid) {
        self.seen().remove(&session);
    }

    /// Forgets every session of `user`.
    pub fn forget_user(&self, user: UserId) {
        self.seen().retain(|_, (owner, _)| *owner != user);
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.seen().len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_are_forgotten_and_stay_bounded() {
        let cache = SessionCache::default();
        let (a, b, user, other) = (Uuid::new_v4(), Uuid::new_v4(), UserId::new(), UserId::new());
        let t0 = Instant::now();
        cache.remember(a, user, t0);
        cache.remember(b, other, t0);
        assert!(cache.fresh(a, t0 + TRUST / 2));
        assert!(!cache.fresh(a, t0 + TRUST));
        cache.forget_user(user);
        assert!(!cache.fresh(a, t0) && cache.fresh(b, t0));
        cache.forget(b);
        assert!(cache.is_empty());
        for _ in 0..MAX_ENTRIES + 10 {
            cache.remember(Uuid::new_v4(), user, t0);
        }
        assert!(cache.len() <= MAX_ENTRIES);
    }
}
