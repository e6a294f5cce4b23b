//! The API keys aggregate: the row and queries of `api_keys`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{ApiKey, ApiKeyStore, StoreError, UserId, model::NewApiKey};

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::api_keys,
    values::{CorruptRow, Stamp, naive, parsed, utc, uuid},
};

/// A row of `api_keys`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub(crate) struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub surface: String,
    pub secret_hash: String,
    pub label: Option<String>,
    pub created_at: Stamp,
    pub revoked_at: Option<Stamp>,
    pub expires_at: Option<Stamp>,
    pub is_public: bool,
    pub hint: Option<String>,
}

impl From<&NewApiKey> for ApiKeyRow {
    fn from(k: &NewApiKey) -> Self {
        let NewApiKey {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at,
            expires_at,
            is_public,
            hint,
        } = k;
        Self {
            id: id.clone(),
            user_id: user_id.to_string(),
            surface: surface.as_str().to_owned(),
            secret_hash: secret_hash.clone(),
            label: label.clone(),
            created_at: naive(*created_at),
            revoked_at: None,
            expires_at: expires_at.map(naive),
            is_public: *is_public,
            hint: hint.clone(),
        }
    }
}

impl TryFrom<ApiKeyRow> for ApiKey {
    type Error = CorruptRow;
    fn try_from(r: ApiKeyRow) -> Result<Self, CorruptRow> {
        let ApiKeyRow {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at,
            revoked_at,
            expires_at,
            is_public,
            hint,
        } = r;
        Ok(ApiKey {
            id,
            user_id: UserId(uuid("api_keys.user_id", &user_id)?),
            surface: parsed("api_keys.surface", &surface)?,
            secret_hash,
            label,
            created_at: utc(created_at),
            revoked_at: revoked_at.map(utc),
            expires_at: expires_at.map(utc),
            is_public,
            hint,
        })
    }
}

/// Deletes every key of user `id` (part of deleting the user).
pub(crate) fn delete_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(api_keys::table.filter(api_keys::user_id.eq(id))).execute(conn)?;
    Ok(())
}

#[async_trait]
impl ApiKeyStore for DieselStore {
    async fn insert_api_key(&self, key: &NewApiKey) -> Result<(), StoreError> {
        let row = ApiKeyRow::from(key);
        self.run(move |conn| {
            diesel::insert_into(api_keys::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError> {
        let id = id.to_owned();
        self.read(move |conn| {
            let row = api_keys::table
                .find(id)
                .select(ApiKeyRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(ApiKey::try_from).transpose()?)
        })
        .await
    }

    async fn api_keys_of(&self, user_id: UserId) -> Result<Vec<ApiKey>, StoreError> {
        self.read(move |conn| {
            let rows = api_keys::table
                .filter(api_keys::user_id.eq(user_id.to_string()))
                .order((api_keys::created_at.asc(), api_keys::id.asc()))
                .select(ApiKeyRow::as_select())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(ApiKey::try_from)
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn update_api_key(
        &self,
        id: &str,
        label: Option<String>,
        revoke_at: Option<DateTime<Utc>>,
    ) -> Result<Option<ApiKey>, StoreError> {
        let id = id.to_owned();
        self.run(move |conn| {
            crate::transaction(conn, |conn| {
                let key = api_keys::table.filter(api_keys::id.eq(&id));
                if let Some(label) = label {
                    diesel::update(key)
                        .set(api_keys::label.eq(label))
                        .execute(conn)?;
                }
                if let Some(at) = revoke_at {
                    diesel::update(key.filter(api_keys::revoked_at.is_null()))
                        .set(api_keys::revoked_at.eq(naive(at)))
                        .execute(conn)?;
                }
                let row = key
                    .select(ApiKeyRow::as_select())
                    .get_result(conn)
                    .optional()?;
                Ok(row.map(ApiKey::try_from).transpose()?)
            })
        })
        .await
    }

    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.run(move |conn| {
            let n = diesel::update(
                api_keys::table
                    .filter(api_keys::id.eq(id))
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(naive(at)))
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }
}
