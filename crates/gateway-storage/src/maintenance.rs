//! Housekeeping outside the request path: purging old sessions in bounded batches, and reading
//! back the PostgreSQL settings of a pooled connection (startup and tests check them).

use chrono::{DateTime, Utc};
use diesel::{prelude::*, sql_types};
use gateway_core::StoreError;

use crate::{AnyConnection, DieselStore, rows::naive, schema::sessions};

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = sql_types::Text)]
    value: String,
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
