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
//! - a new user: [`check`] (locks, then an `EXISTS` per value) before the `INSERT`;
//! - a change: the locks ride on the statement that reads the row under its own lock
//!   ([`claim_identities`], PostgreSQL), and the `EXISTS` rides on the `UPDATE` as a guard
//!   (`identity_guard!`): an `UPDATE` of a row this transaction holds that writes no row met
//!   the guard, and [`conflict`] names the field. The `UPDATE`'s snapshot is taken after the
//!   locks are held (READ COMMITTED: one snapshot per statement), so it sees every claim
//!   committed before. Both statements are typed diesel queries: prepared once per connection
//!   (raw SQL fragments are prepared anew on every execution, one more round trip each).
//!   On SQLite a change runs [`conflict`]'s `SELECT`s before a plain `UPDATE` instead: its writes
//!   are serial (one writer thread; another process's write makes this transaction fail, not
//!   miss it), and diesel prepares every `UPDATE` anew, so a guard there is parsed and planned on
//!   every write while the `SELECT`s are prepared once.

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

/// The values a write claims, lower-cased, sorted and without repeats: the order in which
/// PostgreSQL writers take their advisory locks, so that no two wait for each other in a cycle.
pub(crate) fn claimed(username: Option<&str>, email: Option<&str>) -> Vec<String> {
    let mut values: Vec<String> = username
        .into_iter()
        .chain(email)
        .map(str::to_lowercase)
        .collect();
    values.sort_unstable();
    values.dedup();
    values
}

#[cfg(feature = "postgres")]
define_sql_function! {
    /// PostgreSQL: takes the advisory lock of every value in `claimed` (lower-cased, in the
    /// order given: [`claimed`]) when the statement selecting it runs; the function of
    /// migration `2026-12-04-000500_identity_claims`. Selected next to the row of a change under
    /// `FOR UPDATE`, so the locks cost no round trip of their own; a typed call, so the statement
    /// is prepared once.
    fn claim_identities(claimed: diesel::sql_types::Array<Text>) -> diesel::sql_types::BigInt;
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

/// PostgreSQL: a transaction-scoped advisory lock per value, in [`claimed`] order. SQLite:
/// nothing, its writes are serial already.
pub(crate) fn lock(
    conn: &mut AnyConnection,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<(), Failure> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => {
            for value in claimed(username, email) {
                diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext(lower($2)))")
                    .bind::<Integer, _>(crate::locks::IDENTITIES)
                    .bind::<Text, _>(value)
                    .execute(c)?;
            }
            Ok(())
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(_) => Ok(()),
    }
}
