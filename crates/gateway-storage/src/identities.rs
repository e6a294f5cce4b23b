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

use diesel::{
    define_sql_function,
    prelude::*,
    sql_types::{Integer, Nullable, Text},
};
use gateway_core::{StoreError, UserField};

use crate::{AnyConnection, error::Failure, schema::users};

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
            return Err(Failure(StoreError::Conflict(UserField::Username.into())));
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
            return Err(Failure(StoreError::Conflict(UserField::Email.into())));
        }
    }
    Ok(())
}

/// PostgreSQL: a transaction-scoped advisory lock per value (in a fixed order, so two writers
/// never wait for each other in a cycle). SQLite: nothing, its writes are serial already.
fn lock(
    conn: &mut AnyConnection,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<(), Failure> {
    match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(c) => {
            let mut values: Vec<&str> = username.into_iter().chain(email).collect();
            values.sort_unstable_by_key(|v| v.to_lowercase());
            values.dedup_by_key(|v| v.to_lowercase());
            for value in values {
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
