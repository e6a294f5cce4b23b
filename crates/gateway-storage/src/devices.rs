//! The device authorizations aggregate: the row and queries of `device_authorizations`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use gateway_core::{
    DeviceAuthorization, DeviceState, DeviceStore, DeviceTransition, StoreError, UserId,
};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    schema::device_authorizations as devices,
    transaction,
    values::{CorruptRow, Stamp, naive, parsed, utc, uuid, uuid_opt},
};

/// A row of `device_authorizations`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = devices)]
struct DeviceRow {
    id: String,
    surface: String,
    device_code_hash: String,
    user_code: String,
    client_id: Option<String>,
    client_details: Option<String>,
    state: String,
    user_id: Option<String>,
    created_at: Stamp,
    expires_at: Stamp,
    interval_secs: i32,
    last_polled_at: Option<Stamp>,
    decided_at: Option<Stamp>,
    ticket_hash: Option<String>,
    ticket_user_id: Option<String>,
}

impl From<&DeviceAuthorization> for DeviceRow {
    fn from(d: &DeviceAuthorization) -> Self {
        let DeviceAuthorization {
            id,
            surface,
            device_code_hash,
            user_code,
            client_id,
            client_details,
            state,
            user_id,
            created_at,
            expires_at,
            interval_secs,
            last_polled_at,
            decided_at,
            ticket,
        } = d;
        Self {
            id: id.to_string(),
            surface: surface.as_str().to_owned(),
            device_code_hash: device_code_hash.clone(),
            user_code: user_code.clone(),
            client_id: client_id.clone(),
            client_details: client_details.clone(),
            state: state.as_str().to_owned(),
            user_id: user_id.map(|u| u.to_string()),
            created_at: naive(*created_at),
            expires_at: naive(*expires_at),
            interval_secs: *interval_secs,
            last_polled_at: last_polled_at.map(naive),
            decided_at: decided_at.map(naive),
            ticket_hash: ticket.as_ref().map(|t| t.0.clone()),
            ticket_user_id: ticket.as_ref().map(|t| t.1.to_string()),
        }
    }
}

impl TryFrom<DeviceRow> for DeviceAuthorization {
    type Error = CorruptRow;
    fn try_from(r: DeviceRow) -> Result<Self, CorruptRow> {
        let DeviceRow {
            id,
            surface,
            device_code_hash,
            user_code,
            client_id,
            client_details,
            state,
            user_id,
            created_at,
            expires_at,
            interval_secs,
            last_polled_at,
            decided_at,
            ticket_hash,
            ticket_user_id,
        } = r;
        let ticket_user = uuid_opt("device_authorizations.ticket_user_id", ticket_user_id)?;
        Ok(DeviceAuthorization {
            id: uuid("device_authorizations.id", &id)?,
            surface: parsed("device_authorizations.surface", &surface)?,
            device_code_hash,
            user_code,
            client_id,
            client_details,
            state: parsed("device_authorizations.state", &state)?,
            user_id: uuid_opt("device_authorizations.user_id", user_id)?.map(UserId),
            created_at: utc(created_at),
            expires_at: utc(expires_at),
            interval_secs,
            last_polled_at: last_polled_at.map(utc),
            decided_at: decided_at.map(utc),
            ticket: ticket_hash.zip(ticket_user.map(UserId)),
        })
    }
}

/// Deletes every device authorization approved for, or signed in to by, user `id` (part of
/// deleting the user).
pub(crate) fn delete_of(conn: &mut AnyConnection, id: &str) -> Result<(), Failure> {
    diesel::delete(
        devices::table.filter(devices::user_id.eq(id).or(devices::ticket_user_id.eq(id))),
    )
    .execute(conn)?;
    Ok(())
}

fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<DeviceAuthorization>, Failure> {
    let row = devices::table
        .find(id)
        .select(DeviceRow::as_select())
        .get_result(conn)
        .optional()?;
    Ok(row.map(DeviceAuthorization::try_from).transpose()?)
}

fn one(row: Option<DeviceRow>) -> Result<Option<DeviceAuthorization>, Failure> {
    Ok(row.map(DeviceAuthorization::try_from).transpose()?)
}

#[async_trait]
impl DeviceStore for DieselStore {
    async fn insert_device(
        &self,
        device: &DeviceAuthorization,
        max_pending: u64,
    ) -> Result<bool, StoreError> {
        let row = DeviceRow::from(device);
        let max = i64::try_from(max_pending).unwrap_or(i64::MAX);
        self.run(move |conn| {
            transaction(conn, |conn| {
                let pending: i64 = devices::table
                    .filter(devices::state.eq(DeviceState::Pending.as_str()))
                    .filter(devices::expires_at.gt(row.created_at))
                    .count()
                    .get_result(conn)?;
                if pending >= max {
                    return Ok(false);
                }
                diesel::insert_into(devices::table)
                    .values(&row)
                    .execute(conn)?;
                Ok(true)
            })
        })
        .await
    }

    async fn device(&self, id: Uuid) -> Result<Option<DeviceAuthorization>, StoreError> {
        self.read(move |conn| load(conn, &id.to_string())).await
    }

    async fn device_by_code_hash(
        &self,
        hash: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let hash = hash.to_owned();
        self.read(move |conn| {
            one(devices::table
                .filter(devices::device_code_hash.eq(hash))
                .select(DeviceRow::as_select())
                .get_result(conn)
                .optional()?)
        })
        .await
    }

    async fn device_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let code = user_code.to_owned();
        self.read(move |conn| {
            one(devices::table
                .filter(devices::user_code.eq(code))
                .select(DeviceRow::as_select())
                .get_result(conn)
                .optional()?)
        })
        .await
    }

    async fn list_devices(
        &self,
        pending_at: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<DeviceAuthorization>, StoreError> {
        self.read(move |conn| {
            let mut query = devices::table
                .select(DeviceRow::as_select())
                .order((devices::created_at.desc(), devices::id.desc()))
                .limit(limit)
                .into_boxed();
            if let Some(at) = pending_at {
                query = query
                    .filter(devices::state.eq(DeviceState::Pending.as_str()))
                    .filter(devices::expires_at.gt(naive(at)));
            }
            let rows = query.load(conn)?;
            Ok(rows
                .into_iter()
                .map(DeviceAuthorization::try_from)
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn transition_device(
        &self,
        id: Uuid,
        change: DeviceTransition,
    ) -> Result<Option<DeviceAuthorization>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            transaction(conn, |conn| {
                let target = devices::table
                    .find(&id)
                    .filter(devices::state.eq(change.from.as_str()))
                    .filter(devices::expires_at.gt(naive(change.at)));
                let state = (
                    devices::state.eq(change.to.as_str()),
                    devices::decided_at.eq(Some(naive(change.at))),
                    devices::ticket_hash.eq(None::<String>),
                    devices::ticket_user_id.eq(None::<String>),
                );
                let n = match change.user_id {
                    Some(user) => diesel::update(target)
                        .set((state, devices::user_id.eq(Some(user.to_string()))))
                        .execute(conn)?,
                    None => diesel::update(target).set(state).execute(conn)?,
                };
                if n == 0 {
                    return Ok(None);
                }
                load(conn, &id)
            })
        })
        .await
    }

    async fn poll_device(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            transaction(conn, |conn| {
                let previous: Option<Option<Stamp>> = devices::table
                    .find(&id)
                    .select(devices::last_polled_at)
                    .get_result(conn)
                    .optional()?;
                diesel::update(devices::table.find(&id))
                    .set(devices::last_polled_at.eq(Some(naive(at))))
                    .execute(conn)?;
                Ok(previous.flatten().map(utc))
            })
        })
        .await
    }

    async fn set_device_ticket(
        &self,
        id: Uuid,
        hash: &str,
        user_id: UserId,
    ) -> Result<bool, StoreError> {
        let (id, hash) = (id.to_string(), hash.to_owned());
        self.run(move |conn| {
            let n = diesel::update(
                devices::table
                    .find(&id)
                    .filter(devices::state.eq(DeviceState::Pending.as_str()))
                    .filter(devices::expires_at.gt(naive(gateway_core::service::now()))),
            )
            .set((
                devices::ticket_hash.eq(Some(hash)),
                devices::ticket_user_id.eq(Some(user_id.to_string())),
            ))
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn purge_devices(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let n = diesel::delete(devices::table.filter(devices::expires_at.lt(naive(before))))
                .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }
}
