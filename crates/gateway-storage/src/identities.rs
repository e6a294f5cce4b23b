//! Usernames and emails as sign-in identities: one value names at most one user, whatever its
//! letter case and whichever column holds it.
//!
//! Within a column the unique indexes on `lower(username)` and `lower(email)` hold the rule
//! (migration `2026-11-25-000100_case_insensitive_identities`). Across columns (a username equal to
//! another user's email, or the reverse) no index can, so [`check`] looks inside the write's
//! transaction. Writers of the same value are serialised first: SQLite has one writer thread;
//! on PostgreSQL each value being written takes a transaction-scoped advisory lock, so two
//! transactions claiming `x` as a username and as an email cannot both miss each other.
//! A user's username may equal its own email (OAuth2 accounts on `users-me` do).
//!
//! Two shapes of the same rule, by round trips (a change of username or email is the hot one):
//! - a new user, or a sign-in channel: [`lock`] (one statement), then an `EXISTS` per value,
//!   before the `INSERT`;
//! - a change on PostgreSQL: the locks ride on the statement that begins the transaction
//!   ([`begin_claiming`]: `BEGIN; SELECT pg_advisory_xact_lock(..)`, integer keys computed here,
//!   [`lock_key`]), and the `EXISTS` rides on the `UPDATE ... RETURNING` as a guard
//!   (`identity_guard!`): an `UPDATE` of an existing row that writes nothing met the guard (or
//!   the version precondition), and [`conflict`] names the field. The `UPDATE`'s snapshot is
//!   taken after the locks are held (READ COMMITTED: one snapshot per statement), so it sees
//!   every claim committed before. Three round trips with the `COMMIT`.
//!   On SQLite a change runs [`conflict`]'s `SELECT`s before a plain `UPDATE` instead: its writes
//!   are serial (one writer thread; another process's write makes this transaction fail, not
//!   miss it), and diesel prepares every `UPDATE` anew, so a guard there is parsed and planned on
//!   every write while the `SELECT`s are prepared once.
//!
//! Upgrading: the lock keys were `hashtext(lower(value))` (the SQL function `claim_identities`
//! of migration `2026-12-04-000500`, kept for instances of that version) before they were
//! [`lock_key`]; instances of both versions do not exclude each other's claims, so an upgrade
//! replaces every writer at once.

use diesel::{
    define_sql_function,
    prelude::*,
    sql_types::{Integer, Nullable, Text},
};
use gateway_core::{StoreError, UserField};

use crate::{
    AnyConnection,
    error::Failure,
    schema::{contact_channels, users},
};

define_sql_function! {
    /// SQL `lower(text)`, the same folding as the unique indexes.
    fn lower(x: Text) -> Text;
}

define_sql_function! {
    /// SQL `lower(text)` on a nullable column.
    #[sql_name = "lower"]
    fn lower_nullable(x: Nullable<Text>) -> Nullable<Text>;
}

/// Refuses a `username` (or `email`) that user `id` is about to write when another user already
/// has it as its email (or username), letter case aside. Call inside the write's transaction,
/// before the write. Conflicts name the field being written.
pub(crate) fn check(
    conn: &mut AnyConnection,
    id: &str,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<(), Failure> {
    lock(conn, username, email)?;
    match conflict(conn, id, username, email)? {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}

/// The conflict of user `id` writing `username` / `email` with what other users hold, if any,
/// naming the field being written; no lock is taken.
pub(crate) fn conflict(
    conn: &mut AnyConnection,
    id: &str,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<Option<Failure>, Failure> {
    if let Some(name) = username {
        // On the concrete connection: a statement the connection prepares once (every
        // identity write asks it; see `on_backend!`).
        let taken: bool = on_backend!(conn, c => diesel::select(diesel::dsl::exists(
            users::table
                .filter(users::id.ne(id))
                .filter(lower_nullable(users::email).eq(lower(name).nullable())),
        ))
        .get_result(c)?);
        if taken {
            return Ok(Some(Failure(StoreError::Conflict(
                UserField::Username.into(),
            ))));
        }
    }
    if let Some(email) = email {
        let taken: bool = on_backend!(conn, c => diesel::select(diesel::dsl::exists(
            users::table
                .filter(users::id.ne(id))
                .filter(lower(users::username).eq(lower(email))),
        ))
        .get_result(c)?);
        if taken {
            return Ok(Some(Failure(StoreError::Conflict(UserField::Email.into()))));
        }
    }
    for (value, field) in [(username, UserField::Username), (email, UserField::Email)] {
        let Some(value) = value else { continue };
        let taken: bool = on_backend!(conn, c => diesel::select(diesel::dsl::exists(
            contact_channels::table
                .filter(contact_channels::user_id.ne(id))
                .filter(contact_channels::used_for_auth.eq(true))
                .filter(lower(contact_channels::value).eq(lower(value))),
        ))
        .get_result(c)?);
        if taken {
            return Ok(Some(Failure(StoreError::Conflict(field.into()))));
        }
    }
    Ok(None)
}

/// The advisory lock key of an identity value: FNV-1a (32 bits) of its lower-cased text,
/// computed here so that a transaction can take its locks in the statement that begins it, as
/// integer literals ([`begin_claiming`]). Two values sharing a key only wait for each other.
pub(crate) fn lock_key(value: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in value.to_lowercase().bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// The lock keys of the values a write claims, sorted and without repeats: the order in which
/// PostgreSQL writers take their advisory locks, so that no two wait for each other in a cycle.
pub(crate) fn lock_keys(username: Option<&str>, email: Option<&str>) -> Vec<i32> {
    let mut keys: Vec<i32> = username.into_iter().chain(email).map(lock_key).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// PostgreSQL: the statement that begins a change claiming `keys` ([`lock_keys`]): `BEGIN`
/// and the identity locks in one round trip (a simple-protocol batch; the keys are integers
/// this process computed, so the text is never a client's).
#[cfg(feature = "postgres")]
pub(crate) fn begin_claiming(keys: &[i32]) -> String {
    use std::fmt::Write;
    let mut sql = String::from("BEGIN");
    for (i, key) in keys.iter().enumerate() {
        let sep = if i == 0 { "; SELECT " } else { ", " };
        let _ = write!(
            sql,
            "{sep}pg_advisory_xact_lock({}, {key})",
            crate::locks::IDENTITIES
        );
    }
    sql
}

diesel::alias!(users as other: OtherUsers);

/// The condition under which user `$id` may write `$username` / `$email` (`Option<String>`): no
/// other user holds either as the other column, nor as a sign-in channel (the comparisons of
/// [`conflict`]; a `NULL` compares false). Typed (prepared once on either backend); a macro because the expression's
/// type is diesel's nesting.
macro_rules! identity_guard {
    ($id:expr, $username:expr, $email:expr) => {{
        use diesel::{
            dsl::{exists, not},
            prelude::*,
        };
        use $crate::{
            identities::{lower, lower_nullable, other},
            schema::{contact_channels, users},
        };
        not(exists(
            other
                .select(other.field(users::id))
                .filter(other.field(users::id).ne($id))
                .filter(
                    lower_nullable(other.field(users::email))
                        .eq(lower_nullable($username))
                        .or(lower(other.field(users::username))
                            .nullable()
                            .eq(lower_nullable($email))),
                ),
        ))
        .and(not(exists(
            contact_channels::table
                .select(contact_channels::id)
                .filter(contact_channels::user_id.ne($id))
                .filter(contact_channels::used_for_auth.eq(true))
                .filter(
                    lower(contact_channels::value)
                        .nullable()
                        .eq(lower_nullable($username))
                        .or(lower(contact_channels::value)
                            .nullable()
                            .eq(lower_nullable($email))),
                ),
        )))
    }};
}

/// PostgreSQL: a transaction-scoped advisory lock per value, in [`lock_keys`] order, in one
/// statement. SQLite: nothing, its writes are serial already.
pub(crate) fn lock(
    conn: &mut AnyConnection,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<(), Failure> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => {
            let keys = lock_keys(username, email);
            if !keys.is_empty() {
                diesel::sql_query(
                    "SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k",
                )
                .bind::<Integer, _>(crate::locks::IDENTITIES)
                .bind::<diesel::sql_types::Array<Integer>, _>(keys)
                .execute(c)?;
            }
            Ok(())
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_fold_case_and_are_ordered_once() {
        assert_eq!(lock_key("Ann@Example.com"), lock_key("ann@example.com"));
        assert_ne!(lock_key("ann"), lock_key("bob"));
        // FNV-1a 32 of "a" is 0xe40c292c.
        assert_eq!(lock_key("a") as u32, 0xe40c_292c);
        let keys = lock_keys(Some("Ann"), Some("ann"));
        assert_eq!(keys, [lock_key("ann")]);
        let keys = lock_keys(Some("zed"), Some("amy"));
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn a_claiming_begin_is_one_batch_of_integer_locks() {
        assert_eq!(begin_claiming(&[]), "BEGIN");
        assert_eq!(
            begin_claiming(&[-5, 7]),
            "BEGIN; SELECT pg_advisory_xact_lock(72422, -5), pg_advisory_xact_lock(72422, 7)"
        );
    }
}
