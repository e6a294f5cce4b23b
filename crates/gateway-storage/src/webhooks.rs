//! The webhook endpoints aggregate: the row and queries of `webhook_endpoints`.

use async_trait::async_trait;
use diesel::prelude::*;
use gateway_core::{StoreError, WebhookEndpoint, WebhookStore};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::webhook_endpoints,
    transaction,
    values::{CorruptRow, Stamp, naive, utc, uuid},
};

/// A row of `webhook_endpoints`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_endpoints)]
struct EndpointRow {
    id: String,
    project_id: String,
    url: String,
    description: String,
    filter_types: String,
    secret_salt: String,
    created_at: Stamp,
}

impl From<&WebhookEndpoint> for EndpointRow {
    fn from(e: &WebhookEndpoint) -> Self {
        let WebhookEndpoint {
            id,
            project_id,
            url,
            description,
            filter_types,
            secret_salt,
            created_at,
        } = e;
        Self {
            id: id.to_string(),
            project_id: project_id.to_string(),
            url: url.clone(),
            description: description.clone(),
            filter_types: filter_types.join(","),
            secret_salt: secret_salt.clone(),
            created_at: naive(*created_at),
        }
    }
}

impl TryFrom<EndpointRow> for WebhookEndpoint {
    type Error = CorruptRow;
    fn try_from(r: EndpointRow) -> Result<Self, CorruptRow> {
        let EndpointRow {
            id,
            project_id,
            url,
            description,
            filter_types,
            secret_salt,
            created_at,
        } = r;
        Ok(WebhookEndpoint {
            id: uuid("webhook_endpoints.id", &id)?,
            project_id: uuid("webhook_endpoints.project_id", &project_id)?,
            url,
            description,
            filter_types: filter_types
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            secret_salt,
            created_at: utc(created_at),
        })
    }
}

/// Inserts `row` unless `max` rows exist; on PostgreSQL under a transaction-scoped advisory lock,
/// so that instances inserting at once count one after the other (SQLite's writes are serial).
fn insert(conn: &mut AnyConnection, row: &EndpointRow, max: i64) -> Result<bool, Failure> {
    transaction(conn, |conn| {
        #[cfg(feature = "postgres")]
        if let AnyConnection::Postgresql(c) = conn {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
                .bind::<diesel::sql_types::BigInt, _>(crate::locks::WEBHOOK_ENDPOINTS)
                .execute(c)?;
        }
        let count: i64 = webhook_endpoints::table.count().get_result(conn)?;
        if count >= max {
            return Ok(false);
        }
        diesel::insert_into(webhook_endpoints::table)
            .values(row)
            .execute(conn)?;
        Ok(true)
    })
}

#[async_trait]
impl WebhookStore for DieselStore {
    async fn insert_webhook_endpoint(
        &self,
        endpoint: &WebhookEndpoint,
        max: usize,
    ) -> Result<bool, StoreError> {
        let row = EndpointRow::from(endpoint);
        let max = i64::try_from(max).unwrap_or(i64::MAX);
        self.run(move |conn| insert(conn, &row, max)).await
    }

    async fn webhook_endpoints(
        &self,
        project_id: Option<Uuid>,
    ) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let project = project_id.map(|p| p.to_string());
        self.run(move |conn| {
            let mut query = webhook_endpoints::table
                .select(EndpointRow::as_select())
                .order((webhook_endpoints::created_at, webhook_endpoints::id))
                .into_boxed();
            if let Some(p) = &project {
                query = query.filter(webhook_endpoints::project_id.eq(p.clone()));
            }
            let rows: Vec<EndpointRow> = query.load(conn)?;
            Ok(rows
                .into_iter()
                .map(WebhookEndpoint::try_from)
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn delete_webhook_endpoint(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<bool, StoreError> {
        let (project, id) = (project_id.to_string(), id.to_string());
        self.run(move |conn| {
            Ok(diesel::delete(
                webhook_endpoints::table
                    .filter(webhook_endpoints::id.eq(&id))
                    .filter(webhook_endpoints::project_id.eq(&project)),
            )
            .execute(conn)?
                > 0)
        })
        .await
    }
}
