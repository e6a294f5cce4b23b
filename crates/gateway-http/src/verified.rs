//! A bounded cache of tokens that verified, by their text, with their claims: a client presents
//! the same token on every request, and a hit costs one hash lookup instead of base64, two JSON
//! parses and a signature check (HMAC for the gateway's HS256 tokens, P-256 for the tiered
//! dialect's ES256 ones; docs/benchmarks.md).
//!
//! Only the clock can change the answer for a token that verified once, as long as the key is
//! fixed for the life of the cache, so callers still check expiry (and anything else that depends
//! on the request) on every hit. Only verified tokens go in; a refused token is verified again
//! each time it is presented.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

/// Most tokens kept by default (a few MB at most with typical claims).
pub const DEFAULT_CAPACITY: usize = 4096;

/// Tokens that verified, with their claims; clones share the entries. Emptied when full (a
/// client keeps using one token for minutes, so the working set refills at once).
#[derive(Debug)]
pub struct VerifiedCache<C> {
    entries: Arc<Mutex<HashMap<String, C>>>,
    capacity: usize,
}

impl<C> Clone for VerifiedCache<C> {
    fn clone(&self) -> Self {
        Self {
            entries: Arc::clone(&self.entries),
            capacity: self.capacity,
        }
    }
}

impl<C: Clone> Default for VerifiedCache<C> {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl<C: Clone> VerifiedCache<C> {
    /// An empty cache keeping at most `capacity` tokens.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Arc::default(),
            capacity: capacity.max(1),
        }
    }

    /// The claims of `token` if it verified before.
    pub fn get(&self, token: &str) -> Option<C> {
        self.lock().get(token).cloned()
    }

    /// The claims of `token` if it verified before: `Ok` while `expired` says they still hold,
    /// `Err` (and the entry is forgotten) once they do not. `None` when the token is not kept.
    pub fn lookup(&self, token: &str, expired: impl FnOnce(&C) -> bool) -> Option<Result<C, C>> {
        let mut entries = self.lock();
        let claims = entries.get(token)?;
        if expired(claims) {
            return entries.remove(token).map(Err);
        }
        Some(Ok(claims.clone()))
    }

    /// Keeps the claims of a token that just verified.
    pub fn insert(&self, token: &str, claims: C) {
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.clear();
        }
        entries.insert(token.to_owned(), claims);
    }

    /// How many tokens are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no token is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `token` is kept.
    pub fn contains(&self, token: &str) -> bool {
        self.lock().contains_key(token)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, C>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_inserted_tokens_and_shares_them_between_clones() {
        let cache = VerifiedCache::<u32>::default();
        assert_eq!(cache.get("a"), None);
        cache.insert("a", 1);
        let clone = cache.clone();
        assert_eq!(clone.get("a"), Some(1));
        assert_eq!(clone.lookup("a", |_| true), Some(Err(1)));
        assert_eq!(cache.get("a"), None);
        assert!(cache.is_empty());
    }

    #[test]
    fn lookup_forgets_an_expired_entry() {
        let cache = VerifiedCache::<u32>::default();
        cache.insert("t", 7);
        assert_eq!(cache.lookup("t", |_| false), Some(Ok(7)));
        assert_eq!(cache.lookup("t", |c| *c == 7), Some(Err(7)));
        assert!(!cache.contains("t"));
        assert_eq!(cache.lookup("t", |_| false), None);
    }

    #[test]
    fn never_holds_more_than_its_capacity() {
        let cache = VerifiedCache::<usize>::with_capacity(3);
        for i in 0..10 {
            cache.insert(&i.to_string(), i);
            assert!(cache.len() <= 3, "{} entries after {i}", cache.len());
        }
        // The newest entry survives the clearing.
        assert_eq!(cache.get("9"), Some(9));
    }
}
