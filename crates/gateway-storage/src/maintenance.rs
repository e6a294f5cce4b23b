//! Housekeeping: readiness and the wholesale reset (`MaintenanceStore`), purging old sessions in
//! bounded batches, and reading back the settings of a pooled connection (startup and tests check
//! them).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::{prelude::*, sql_types};
use gateway_core::{MaintenanceStore, StoreError};

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::{
        api_keys, device_authorizations, idempotency_keys, one_time_codes, sessions,
        team_memberships, teams, users,
    },
    transaction,
    values::naive,
};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = sql_types::Text)]
    value: String,
}

#[derive(QueryableByName)]
struct PragmaInt {
    #[diesel(sql_type = sql_types::BigInt)]
    value: i64,
}

#[async_trait]
impl MaintenanceStore for DieselStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn reset(&self) -> Result<(), StoreError> {
        let reset = self
            .run(|conn| {
                transaction(conn, |conn| {
                    // Children first; the project bindings of the sessions go with them (cascade).
                    diesel::delete(sessions::table).execute(conn)?;
                    diesel::delete(api_keys::table).execute(conn)?;
                    diesel::delete(team_memberships::table).execute(conn)?;
                    diesel::delete(idempotency_keys::table).execute(conn)?;
                    diesel::delete(one_time_codes::table).execute(conn)?;
                    diesel::delete(device_authorizations::table).execute(conn)?;
                    diesel::delete(crate::schema::contact_channels::table).execute(conn)?;
                    diesel::delete(users::table).execute(conn)?;
                    diesel::delete(teams::table).execute(conn)?;
                    Ok(())
                })
            })
            .await;
        self.caches.clear();
        reset
    }
}

/// The SQLite settings of a connection, as `(journal_mode, busy_timeout, foreign_keys,
/// synchronous)`; `None` on PostgreSQL.
pub(crate) fn sqlite_settings(
    conn: &mut AnyConnection,
) -> Result<Option<(String, i64, i64, i64)>, Failure> {
    match conn {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            let text = |c: &mut diesel::sqlite::SqliteConnection, q: &str| {
                diesel::sql_query(q)
                    .get_result::<Setting>(c)
                    .map(|r| r.value)
            };
            let int = |c: &mut diesel::sqlite::SqliteConnection, q: &str| {
                diesel::sql_query(q)
                    .get_result::<PragmaInt>(c)
                    .map(|r| r.value)
            };
            Ok(Some((
                text(c, "SELECT journal_mode AS value FROM pragma_journal_mode")?,
                int(c, "SELECT timeout AS value FROM pragma_busy_timeout")?,
                int(c, "SELECT foreign_keys AS value FROM pragma_foreign_keys")?,
                int(c, "SELECT synchronous AS value FROM pragma_synchronous")?,
            )))
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgresql(_) => Ok(None),
    }
}

/// Settings of a pooled PostgreSQL connection, as `SHOW` reports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresSettings {
    /// `SHOW statement_timeout` (e.g. `30s`; `0` when none).
    pub statement_timeout: String,
}

impl DieselStore {
    /// Deletes at most `limit` sessions that expired, or were revoked, before `cutoff` (oldest
    /// first); returns how many went. Their project bindings go with them (`ON DELETE CASCADE`).
    /// One bounded statement pair per call, so a purge never holds the SQLite writer for long.
    pub async fn purge_sessions(
        &self,
        cutoff: DateTime<Utc>,
        limit: i64,
    ) -> Result<usize, StoreError> {
        let cutoff = naive(cutoff);
        self.run(move |conn| {
            let ids: Vec<String> = on_backend!(conn, c => sessions::table
                .filter(
                    sessions::expires_at
                        .lt(cutoff)
                        .or(sessions::revoked_at.lt(cutoff)),
                )
                .order(sessions::expires_at.asc())
                .select(sessions::id)
                .limit(limit.max(0))
                .load(c)?);
            if ids.is_empty() {
                return Ok(0);
            }
            Ok(on_backend!(conn, c => diesel::delete(
                sessions::table.filter(sessions::id.eq_any(&ids)),
            )
            .execute(c)?))
        })
        .await
    }

    /// How many session rows exist (live or not), for tests and operators.
    pub async fn session_rows(&self) -> Result<i64, StoreError> {
        self.read(|conn| Ok(on_backend!(conn, c => sessions::table.count().get_result(c)?)))
            .await
    }

    /// Reads back the settings of a pooled PostgreSQL connection; `None` on SQLite.
    pub async fn postgres_settings(&self) -> Result<Option<PostgresSettings>, StoreError> {
        self.read(|conn| match conn {
            #[cfg(feature = "postgres")]
            AnyConnection::Postgresql(c) => {
                let value =
                    diesel::sql_query("SELECT current_setting('statement_timeout') AS value")
                        .get_result::<Setting>(c)?
                        .value;
                Ok(Some(PostgresSettings {
                    statement_timeout: value,
                }))
            }
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(_) => Ok(None),
        })
        .await
    }
}
