//! PostgreSQL advisory lock keys, in one place so that no two uses share one by accident. (The
//! single-key and the two-key forms of `pg_advisory_lock` are separate lock spaces.)

/// Held (session-scoped) while migrations run: instances starting together migrate one after
/// the other.
pub(crate) const MIGRATIONS: i64 = 72421;

/// The lock space of identity values being written: `pg_advisory_xact_lock(IDENTITIES, key)`
/// for each username, email or sign-in channel a transaction writes (`identities::lock_key`).
pub(crate) const IDENTITIES: i32 = 72422;

/// Held (transaction-scoped) while a webhook endpoint is inserted: the count under the cap and
/// the insert are one step for concurrent instances (`webhooks.rs`).
pub(crate) const WEBHOOK_ENDPOINTS: i64 = 72423;
