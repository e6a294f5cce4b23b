//! The idempotency aggregate: claims on idempotency keys and the responses kept for replay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{
    IdempotencyKey, IdempotencyRecord, IdempotencyStore, StoreError, StoredResponse, UserId,
};

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::idempotency_keys,
    values::{CorruptRow, Stamp, naive, utc, uuid},
};

/// A row of `idempotency_keys`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub(crate) struct IdempotencyRow {
    pub user_id: String,
    pub scope: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: Stamp,
}

impl From<&IdempotencyRecord> for IdempotencyRow {
    fn from(r: &IdempotencyRecord) -> Self {
        let IdempotencyRecord {
            id,
            fingerprint,
            created_at,
            response,
        } = r;
        let IdempotencyKey {
            user_id,
            scope,
            key,
        } = id;
        let (response_status, response_body) = match response {
            Some(StoredResponse { status, body }) => (Some(i32::from(*status)), Some(body.clone())),
            None => (None, None),
        };
        Self {
            user_id: user_id.to_string(),
            scope: scope.clone(),
            idempotency_key: key.clone(),
            fingerprint: fingerprint.clone(),
            response_status,
            response_body,
            created_at: naive(*created_at),
        }
    }
}

impl TryFrom<IdempotencyRow> for IdempotencyRecord {
    type Error = CorruptRow;
    fn try_from(r: IdempotencyRow) -> Result<Self, CorruptRow> {
        let IdempotencyRow {
            user_id,
            scope,
            idempotency_key,
            fingerprint,
            response_status,
            response_body,
            created_at,
        } = r;
        let response = match (response_status, response_body) {
            (Some(status), Some(body)) => Some(StoredResponse {
                status: u16::try_from(status)
                    .map_err(|e| CorruptRow::new("idempotency_keys.response_status", e))?,
                body,
            }),
            (None, None) => None,
            _ => {
                return Err(CorruptRow::new(
                    "idempotency_keys.response_status",
                    "status and body must be set together",
                ));
            }
        };
        Ok(IdempotencyRecord {
            id: IdempotencyKey {
                user_id: UserId(uuid("idempotency_keys.user_id", &user_id)?),
                scope,
                key: idempotency_key,
            },
            fingerprint,
            created_at: utc(created_at),
            response,
        })
    }
}

/// The primary key of a record.
fn key(id: &IdempotencyKey) -> (String, String, String) {
    let IdempotencyKey {
        user_id,
        scope,
        key,
    } = id;
    (user_id.to_string(), scope.clone(), key.clone())
}

/// Inserts a claim unless the key is claimed already (possibly by another instance): one
/// `ON CONFLICT DO NOTHING` insert; `false` when nothing was written.
fn claim(conn: &mut AnyConnection, row: &IdempotencyRow) -> Result<bool, Failure> {
    // On the concrete connection: diesel's multi-backend connection has no ON CONFLICT.
    let n = on_backend!(conn, c => diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c)?);
    Ok(n > 0)
}

/// Deletes every record of user `id` (part of deleting the user).
pub(crate) fn delete_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(id)))
        .execute(conn)?;
    Ok(())
}

#[async_trait]
impl IdempotencyStore for DieselStore {
    async fn insert_idempotency_record(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<bool, StoreError> {
        let row = IdempotencyRow::from(record);
        self.run(move |conn| claim(conn, &row)).await
    }

    async fn idempotency_record(
        &self,
        id: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let pk = key(id);
        self.read(move |conn| {
            let row = idempotency_keys::table
                .find(pk)
                .select(IdempotencyRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(IdempotencyRecord::try_from).transpose()?)
        })
        .await
    }

    async fn complete_idempotency_record(
        &self,
        id: &IdempotencyKey,
        created_at: DateTime<Utc>,
        response: &StoredResponse,
    ) -> Result<bool, StoreError> {
        let pk = key(id);
        let (status, body) = (i32::from(response.status), response.body.clone());
        self.run(move |conn| {
            let n = diesel::update(
                idempotency_keys::table
                    .find(pk)
                    .filter(idempotency_keys::created_at.eq(naive(created_at)))
                    .filter(idempotency_keys::response_status.is_null()),
            )
            .set((
                idempotency_keys::response_status.eq(Some(status)),
                idempotency_keys::response_body.eq(Some(body)),
            ))
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_idempotency_record(
        &self,
        id: &IdempotencyKey,
        created_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let pk = key(id);
        self.run(move |conn| {
            let n = diesel::delete(
                idempotency_keys::table
                    .find(pk)
                    .filter(idempotency_keys::created_at.eq(naive(created_at))),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn purge_idempotency_records(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let n = diesel::delete(
                idempotency_keys::table.filter(idempotency_keys::created_at.lt(naive(before))),
            )
            .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }
}
