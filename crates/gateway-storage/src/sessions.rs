//! The sessions aggregate: refresh sessions, their row and queries. (Purging old sessions is
//! housekeeping: `maintenance.rs`; binding sessions to projects: `projects.rs`.)

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{Session, SessionStore, StoreError, UserId, model::NewSession};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    cache::SessionCount,
    error::Failure,
    schema::sessions,
    values::{CorruptRow, Stamp, naive, parsed, utc, uuid},
};

/// A row of `sessions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub(crate) struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub surface: String,
    pub refresh_token_hash: String,
    pub created_at: Stamp,
    pub expires_at: Stamp,
    pub revoked_at: Option<Stamp>,
    pub last_used_at: Option<Stamp>,
    pub is_impersonation: bool,
}

impl From<&NewSession> for SessionRow {
    fn from(s: &NewSession) -> Self {
        let NewSession {
            id,
            user_id,
            surface,
            refresh_token_hash,
            created_at,
            expires_at,
            is_impersonation,
        } = s;
        Self {
            id: id.to_string(),
            user_id: user_id.to_string(),
            surface: surface.as_str().to_owned(),
            refresh_token_hash: refresh_token_hash.clone(),
            created_at: naive(*created_at),
            expires_at: naive(*expires_at),
            revoked_at: None,
            last_used_at: None,
            is_impersonation: *is_impersonation,
        }
    }
}

impl TryFrom<SessionRow> for Session {
    type Error = CorruptRow;
    fn try_from(r: SessionRow) -> Result<Self, CorruptRow> {
        let SessionRow {
            id,
            user_id,
            surface,
            refresh_token_hash,
            created_at,
            expires_at,
            revoked_at,
            last_used_at,
            is_impersonation,
        } = r;
        Ok(Session {
            id: uuid("sessions.id", &id)?,
            user_id: UserId(uuid("sessions.user_id", &user_id)?),
            surface: parsed("sessions.surface", &surface)?,
            refresh_token_hash,
            created_at: utc(created_at),
            expires_at: utc(expires_at),
            revoked_at: revoked_at.map(utc),
            last_used_at: utc(last_used_at.unwrap_or(created_at)),
            is_impersonation,
        })
    }
}

/// Inserts a session row.
pub(crate) fn insert(conn: &mut AnyConnection, row: &SessionRow) -> Result<(), Failure> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Revokes every unrevoked session of user `id` at `at`, except `keep`; returns how many.
pub(crate) fn revoke_all_of(
    conn: &mut AnyConnection,
    id: &str,
    keep: Option<Uuid>,
    at: Stamp,
) -> Result<usize, Failure> {
    let keep = keep.map(|k| k.to_string()).unwrap_or_default();
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(keep)),
    )
    .set(sessions::revoked_at.eq(at))
    .execute(conn)?)
}

/// Deletes every session of user `id` (part of deleting the user).
pub(crate) fn delete_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(id))).execute(conn)?;
    Ok(())
}

#[async_trait]
impl SessionStore for DieselStore {
    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError> {
        let row = SessionRow::from(session);
        let key = row.user_id.clone();
        let inserted = self.run(move |conn| insert(conn, &row)).await;
        self.caches.sessions.changed(&key, None);
        inserted
    }

    async fn session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let row = sessions::table
                .filter(sessions::refresh_token_hash.eq(hash))
                .select(SessionRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(Session::try_from).transpose()?)
        })
        .await
    }

    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError> {
        self.read(move |conn| {
            let row = sessions::table
                .filter(sessions::id.eq(id.to_string()))
                .select(SessionRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(Session::try_from).transpose()?)
        })
        .await
    }

    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.run(move |conn| {
            diesel::update(sessions::table.filter(sessions::id.eq(id.to_string())))
                .set(sessions::last_used_at.eq(naive(at)))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn revoke_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let revoked = self
            .run(move |conn| {
                let n = diesel::update(
                    sessions::table
                        .filter(sessions::id.eq(id.to_string()))
                        .filter(sessions::revoked_at.is_null()),
                )
                .set(sessions::revoked_at.eq(naive(at)))
                .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        // Whose session it was is not known here: every count goes (revocations are rare
        // next to the reads the counts save).
        self.caches.sessions.clear();
        revoked
    }

    async fn revoke_sessions(&self, user_id: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let revoked = self
            .run(move |conn| {
                let n = revoke_all_of(conn, &user_id.to_string(), None, naive(at))?;
                Ok(n as u64)
            })
            .await;
        self.caches.sessions.changed(&user_id.to_string(), None);
        revoked
    }

    async fn active_sessions_of(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, StoreError> {
        self.read(move |conn| {
            let rows: Vec<SessionRow> = sessions::table
                .filter(sessions::user_id.eq(user_id.to_string()))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(naive(now)))
                .order((sessions::created_at.asc(), sessions::id.asc()))
                .select(SessionRow::as_select())
                .load(conn)?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(Session::try_from(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn count_active_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let key = user_id.to_string();
        let read = self.read(move |conn| {
            let (user_id, now) = (user_id.to_string(), naive(now));
            let (count, first_expiry) = on_backend!(conn, c => sessions::table
                .filter(sessions::user_id.eq(&user_id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .select((diesel::dsl::count_star(), diesel::dsl::min(sessions::expires_at)))
                .get_result::<(i64, Option<Stamp>)>(c)?);
            let held = SessionCount {
                count,
                until: first_expiry.map(utc),
            };
            Ok(Some((held, 0)))
        });
        let held = self
            .caches
            .sessions
            .read_through(&key, |held| held.holds_at(now), read)
            .await?;
        Ok(held.map_or(0, |held| held.count))
    }
}
