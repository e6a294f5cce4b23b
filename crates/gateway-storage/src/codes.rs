//! The one-time codes aggregate: the row and queries of `one_time_codes`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{CodeStore, OneTimeCode, StoreError, UserId};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::one_time_codes,
    transaction,
    values::{CorruptRow, Stamp, naive, parsed, utc, uuid, uuid_opt},
};

/// A row of `one_time_codes`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = one_time_codes)]
struct CodeRow {
    id: String,
    purpose: String,
    user_id: Option<String>,
    project_id: Option<String>,
    email: String,
    code_hash: String,
    created_at: Stamp,
    expires_at: Stamp,
    used_at: Option<Stamp>,
}

impl From<&OneTimeCode> for CodeRow {
    fn from(c: &OneTimeCode) -> Self {
        let OneTimeCode {
            id,
            purpose,
            user_id,
            project_id,
            email,
            code_hash,
            created_at,
            expires_at,
            used_at,
        } = c;
        Self {
            id: id.to_string(),
            purpose: purpose.as_str().to_owned(),
            user_id: user_id.map(|u| u.to_string()),
            project_id: project_id.map(|p| p.to_string()),
            email: email.clone(),
            code_hash: code_hash.clone(),
            created_at: naive(*created_at),
            expires_at: naive(*expires_at),
            used_at: used_at.map(naive),
        }
    }
}

impl TryFrom<CodeRow> for OneTimeCode {
    type Error = CorruptRow;
    fn try_from(r: CodeRow) -> Result<Self, CorruptRow> {
        let CodeRow {
            id,
            purpose,
            user_id,
            project_id,
            email,
            code_hash,
            created_at,
            expires_at,
            used_at,
        } = r;
        Ok(OneTimeCode {
            id: uuid("one_time_codes.id", &id)?,
            purpose: parsed("one_time_codes.purpose", &purpose)?,
            user_id: uuid_opt("one_time_codes.user_id", user_id)?.map(UserId),
            project_id: uuid_opt("one_time_codes.project_id", project_id)?,
            email,
            code_hash,
            created_at: utc(created_at),
            expires_at: utc(expires_at),
            used_at: used_at.map(utc),
        })
    }
}

/// Deletes every code of user `id` (part of deleting the user).
pub(crate) fn delete_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(one_time_codes::table.filter(one_time_codes::user_id.eq(id))).execute(conn)?;
    Ok(())
}

#[async_trait]
impl CodeStore for DieselStore {
    async fn insert_code(&self, code: &OneTimeCode, keep: usize) -> Result<(), StoreError> {
        let row = CodeRow::from(code);
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        self.run(move |conn| {
            transaction(conn, |conn| {
                diesel::insert_into(one_time_codes::table)
                    .values(&row)
                    .execute(conn)?;
                let mine = || {
                    one_time_codes::table
                        .filter(one_time_codes::email.eq(&row.email))
                        .filter(one_time_codes::purpose.eq(&row.purpose))
                };
                let kept: Vec<String> = mine()
                    .order((one_time_codes::created_at.desc(), one_time_codes::id.desc()))
                    .limit(keep)
                    .select(one_time_codes::id)
                    .load(conn)?;
                diesel::delete(mine().filter(one_time_codes::id.ne_all(kept))).execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn code_by_hash(&self, hash: &str) -> Result<Option<OneTimeCode>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            let row = one_time_codes::table
                .filter(one_time_codes::code_hash.eq(hash))
                .select(CodeRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(OneTimeCode::try_from).transpose()?)
        })
        .await
    }

    async fn use_code(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.run(move |conn| {
            let n = diesel::update(
                one_time_codes::table
                    .filter(one_time_codes::id.eq(id.to_string()))
                    .filter(one_time_codes::used_at.is_null()),
            )
            .set(one_time_codes::used_at.eq(naive(at)))
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn purge_codes(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let n = diesel::delete(
                one_time_codes::table.filter(one_time_codes::expires_at.lt(naive(before))),
            )
            .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }
}
