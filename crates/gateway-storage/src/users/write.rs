//! Writing a change of a user ([`update`]), in one of two ways:
//! - **PostgreSQL**: the columns the change sets ([`probe::touched`]) are written by one
//!   `UPDATE ... RETURNING` that bumps the version itself, checks the expected version in its
//!   `WHERE`, and carries the identity guard when the change claims a username or email. A change
//!   with nothing else to do is that one statement (one round trip, its own transaction); one that
//!   claims an identity, ends sessions or writes channels runs in a transaction begun together
//!   with its identity locks (`identities::begin_claiming`): three round trips for a username
//!   change instead of four (`BEGIN`, the locked read, the `UPDATE`, `COMMIT`).
//! - **SQLite** (and a change the probes cannot express): the row is read, changed by the core
//!   (`UserChanges::apply_to`) and the changed columns written back, in one transaction on the
//!   one writer connection.
//!
//! On both, the `UPDATE` of a change of one column (besides the version and the timestamp: the
//! one-field writes of every surface) is kept prepared on its connection (`prepared.rs`), so the
//! database parses and plans it once per shape instead of on every write.

use diesel::prelude::*;
use gateway_core::{Revocation, StoreError, User, UserChanges};

use super::{UserChangeset, UserRow, Weighed, probe, weighed};
use crate::{
    AnyConnection, channels, error::Failure, identities, prepared::KeptUpdate, schema::users,
    sessions, transaction, values::naive,
};

/// Applies `changes` to user `id`: the user after it, `None` when there is no such user,
/// `StoreError::Stale` when its version is not the expected one, `StoreError::Conflict` when the
/// identity rule refuses it.
pub(super) fn update(
    conn: &mut AnyConnection,
    id: &str,
    changes: &UserChanges,
) -> Result<Option<Weighed>, Failure> {
    #[cfg(feature = "postgres")]
    if !conn.is_sqlite()
        && let Some(set) = probe::touched(changes)
    {
        return postgres::update(conn, id, changes, &set);
    }
    read_and_write(conn, id, changes)
}

/// Why an `UPDATE` of user `id` wrote nothing: there is no such user (`None`), its version is
/// not `expected` (`Stale`), or else the identity rule refused `username` / `email`.
fn not_written(
    conn: &mut AnyConnection,
    id: &str,
    expected: Option<i64>,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<Option<Weighed>, Failure> {
    let version: Option<i64> = users::table
        .find(id)
        .select(users::version)
        .get_result(conn)
        .optional()?;
    match version {
        None => Ok(None),
        Some(v) if expected.is_some_and(|e| e != v) => Err(Failure(StoreError::Stale)),
        Some(_) => Err(
            identities::conflict(conn, id, username, email)?.unwrap_or(Failure(StoreError::Other(
                "the identity guard refused a write no user conflicts with".into(),
            ))),
        ),
    }
}

/// What a change does besides the user's row: the sessions it ends and the channels it writes.
fn after_the_row(conn: &mut AnyConnection, id: &str, changes: &UserChanges) -> Result<(), Failure> {
    match changes.revoke_sessions {
        Revocation::None => {}
        Revocation::All => {
            sessions::revoke_all_of(conn, id, None, naive(changes.at))?;
        }
        Revocation::AllBut(keep) => {
            sessions::revoke_all_of(conn, id, Some(keep), naive(changes.at))?;
        }
    }
    channels::write(conn, id, &changes.channels)
}

#[cfg(feature = "postgres")]
mod postgres {
    //! The PostgreSQL write: one `UPDATE ... RETURNING`, alone or in a claiming transaction.

    use diesel::{
        connection::{AnsiTransactionManager, TransactionManager},
        expression::BoxableExpression,
        pg::{Pg, PgConnection},
        sql_types::Bool,
    };

    use crate::prepared::KeptUpdateReturning;

    use super::*;

    /// The PostgreSQL connection inside `conn` (this module runs for PostgreSQL only).
    fn pg(conn: &mut AnyConnection) -> &mut PgConnection {
        match conn {
            AnyConnection::Postgresql(c) => c,
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(_) => unreachable!("called for PostgreSQL connections only"),
        }
    }

    /// The user's row after writing `set` to it, the version bumped, if the row exists, has the
    /// `expected` version and (when `claims` names values) passes the identity guard.
    fn write(
        c: &mut PgConnection,
        id: &str,
        expected: Option<i64>,
        set: &UserChangeset,
        claims: Option<(Option<&str>, Option<&str>)>,
    ) -> Result<Option<UserRow>, Failure> {
        let mut filters: Vec<Box<dyn BoxableExpression<users::table, Pg, SqlType = Bool>>> =
            Vec::new();
        if let Some(expected) = expected {
            filters.push(Box::new(users::version.eq(expected)));
        }
        if let Some((username, email)) = claims {
            filters.push(Box::new(identity_guard!(
                id.to_owned(),
                username.map(str::to_owned),
                email.map(str::to_owned)
            )));
        }
        if set.is_narrow() {
            // A few shapes (one column, up to two conditions): kept prepared (`prepared.rs`).
            return Ok(KeptUpdateReturning {
                update: KeptUpdate {
                    table: "users",
                    key: "id",
                    id,
                    values: (set, users::version.eq(users::version + 1)).as_changeset(),
                },
                filters,
                returning: UserRow::as_returning(),
            }
            .get_result(c)
            .optional()?);
        }
        let mut query = diesel::update(users::table.find(id)).into_boxed::<Pg>();
        for filter in filters {
            query = query.filter(filter);
        }
        Ok(query
            .set((set, users::version.eq(users::version + 1)))
            .returning(UserRow::as_returning())
            .get_result(c)
            .optional()?)
    }

    /// See the module: one statement, or a transaction begun with the identity locks.
    pub(super) fn update(
        conn: &mut AnyConnection,
        id: &str,
        changes: &UserChanges,
        set: &UserChangeset,
    ) -> Result<Option<Weighed>, Failure> {
        let patch = &changes.patch;
        let expected = patch.expected_version;
        let username = patch.username.as_deref();
        let email = patch.email.as_ref().and_then(Option::as_deref);
        let claims = (username.is_some() || email.is_some()).then_some((username, email));
        if claims.is_none() && !changes.revoke_sessions.any() && changes.channels.is_empty() {
            return match write(pg(conn), id, expected, set, None)? {
                Some(row) => Ok(Some(weighed(row)?)),
                None => not_written(conn, id, expected, None, None),
            };
        }
        let begin = identities::begin_claiming(&identities::lock_keys(username, email));
        AnsiTransactionManager::begin_transaction_sql(pg(conn), &begin)?;
        let outcome = (|| {
            let Some(row) = write(pg(conn), id, expected, set, claims)? else {
                return not_written(conn, id, expected, username, email);
            };
            after_the_row(conn, id, changes)?;
            Ok(Some(weighed(row)?))
        })();
        let c = pg(conn);
        // As diesel's `Connection::transaction` ends one.
        match outcome {
            Ok(user) => {
                AnsiTransactionManager::commit_transaction(c)?;
                Ok(user)
            }
            Err(failure) => match AnsiTransactionManager::rollback_transaction(c) {
                Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(failure),
                Err(e) => Err(e.into()),
            },
        }
    }
}

/// Loads the row of a user for a change in the current transaction: locked on PostgreSQL
/// (`FOR UPDATE`, after the identity locks of the `username` / `email` the change writes, if
/// any: a concurrent change of the same user waits for this one to commit, then reads its
/// result); on SQLite every write runs on the one writer connection, one after the other.
fn load_for_update(
    conn: &mut AnyConnection,
    id: &str,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<Option<UserRow>, Failure> {
    Ok(match conn {
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => {
            identities::lock(conn, username, email)?;
            let AnyConnection::Postgresql(c) = conn else {
                unreachable!("matched above")
            };
            users::table
                .find(id)
                .select(UserRow::as_select())
                .for_update()
                .get_result(c)
                .optional()?
        }
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => users::table
            .find(id)
            .select(UserRow::as_select())
            .get_result(c)
            .optional()?,
    })
}

/// The reading write: the current row (locked), the version precondition, the core's change,
/// the changed columns written back (with the identity checks), then sessions and channels.
fn read_and_write(
    conn: &mut AnyConnection,
    id: &str,
    changes: &UserChanges,
) -> Result<Option<Weighed>, Failure> {
    transaction(conn, |conn| {
        let patch = &changes.patch;
        let username = patch.username.as_deref();
        let email = patch.email.as_ref().and_then(Option::as_deref);
        let Some(current) = load_for_update(conn, id, username, email)? else {
            return Ok(None);
        };
        if patch
            .expected_version
            .is_some_and(|expected| expected != current.version)
        {
            return Err(Failure(StoreError::Stale));
        }
        let mut user = User::try_from(current.clone())?;
        changes.apply_to(&mut user);
        let new = UserRow::from(&user);
        let bytes = new.text_bytes();
        let changed = UserChangeset::between(&current, new);
        // diesel prepares every UPDATE anew (it never caches one), so a guard's subquery would be
        // parsed and planned on every write: the checks run first as SELECTs the connection
        // prepares once, then a plain UPDATE (53,000 fewer instructions per username change on
        // SQLite, `make bench-instructions`). The identity locks are held (PostgreSQL) or the
        // writes are serial (SQLite), so nothing claims the values in between.
        if let Some(failure) = identities::conflict(conn, id, username, email)? {
            return Err(failure);
        }
        if changed.is_narrow() {
            let kept = KeptUpdate {
                table: "users",
                key: "id",
                id,
                values: (&changed).as_changeset(),
            };
            on_backend!(conn, c => kept.execute(c)?);
        } else {
            on_backend!(conn, c => diesel::update(users::table.find(id))
                .set(&changed)
                .execute(c)?);
        }
        after_the_row(conn, id, changes)?;
        Ok(Some((user, bytes)))
    })
}
