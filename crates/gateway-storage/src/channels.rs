//! The other contact channels of users (gateway-core `channels`): the rows of `contact_channels`,
//! written inside a user's change ([`write`]), and their reads. A channel used for sign-in claims
//! its value: the partial unique index `contact_channels_auth_value_unique` refuses a second
//! user's sign-in channel, and [`claim`] refuses another user's username or email under the
//! identity lock of the value (the reverse check is in `identities`).

use async_trait::async_trait;
use diesel::prelude::*;
use gateway_core::{
    ChannelStore, ChannelWrite, ContactChannel, StoreError, User, UserId, channels::CHANNEL_FIELD,
};

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    identities::{self, lower, lower_nullable},
    schema::{contact_channels, users},
    transaction,
    values::{CorruptRow, Stamp, naive, utc, uuid},
};

/// A row of `contact_channels`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contact_channels)]
struct ChannelRow {
    user_id: String,
    id: String,
    value: String,
    is_verified: bool,
    used_for_auth: bool,
    created_at: Stamp,
}

impl ChannelRow {
    fn of(user_id: &str, c: &ContactChannel) -> Self {
        let ContactChannel {
            id,
            user_id: _,
            value,
            is_primary: _,
            is_verified,
            used_for_auth,
            created_at,
        } = c;
        Self {
            user_id: user_id.to_owned(),
            id: id.to_string(),
            value: value.clone(),
            is_verified: *is_verified,
            used_for_auth: *used_for_auth,
            created_at: naive(*created_at),
        }
    }
}

impl TryFrom<ChannelRow> for ContactChannel {
    type Error = CorruptRow;
    fn try_from(r: ChannelRow) -> Result<Self, CorruptRow> {
        Ok(Self {
            id: uuid("contact_channels.id", &r.id)?,
            user_id: UserId(uuid("contact_channels.user_id", &r.user_id)?),
            value: r.value,
            is_primary: false,
            is_verified: r.is_verified,
            used_for_auth: r.used_for_auth,
            created_at: utc(r.created_at),
        })
    }
}

/// Applies user `user_id`'s channel writes, in order, in the caller's transaction.
pub(crate) fn write(
    conn: &mut AnyConnection,
    user_id: &str,
    writes: &[ChannelWrite],
) -> Result<(), Failure> {
    for w in writes {
        match w {
            ChannelWrite::Remove(id) => {
                remove(conn, user_id, &id.to_string())?;
            }
            ChannelWrite::Put(channel) => {
                let row = ChannelRow::of(user_id, channel);
                remove(conn, user_id, &row.id)?;
                if row.used_for_auth {
                    claim(conn, user_id, &row.value)?;
                }
                diesel::insert_into(contact_channels::table)
                    .values(&row)
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

fn remove(conn: &mut AnyConnection, user_id: &str, id: &str) -> Result<usize, Failure> {
    Ok(diesel::delete(
        contact_channels::table
            .filter(contact_channels::user_id.eq(user_id))
            .filter(contact_channels::id.eq(id)),
    )
    .execute(conn)?)
}

/// Refuses `value` as user `user_id`'s sign-in channel when another user has it as its username
/// or email (the identity lock of the value held first, so a concurrent claim of it as a username
/// or email waits, then sees this one).
fn claim(conn: &mut AnyConnection, user_id: &str, value: &str) -> Result<(), Failure> {
    identities::lock(conn, None, Some(value))?;
    let held: bool = diesel::select(diesel::dsl::exists(
        users::table.filter(users::id.ne(user_id)).filter(
            lower(users::username)
                .eq(lower(value))
                .or(lower_nullable(users::email).eq(lower(value).nullable()))
                .assume_not_null(),
        ),
    ))
    .get_result(conn)?;
    if held {
        return Err(Failure(StoreError::Conflict(CHANNEL_FIELD)));
    }
    Ok(())
}

/// Deletes every channel of a user (its deletion).
pub(crate) fn delete_of(conn: &mut AnyConnection, user_id: &str) -> Result<usize, Failure> {
    Ok(
        diesel::delete(contact_channels::table.filter(contact_channels::user_id.eq(user_id)))
            .execute(conn)?,
    )
}

fn rows(rows: Vec<ChannelRow>) -> Result<Vec<ContactChannel>, Failure> {
    Ok(rows
        .into_iter()
        .map(ContactChannel::try_from)
        .collect::<Result<_, _>>()?)
}

#[async_trait]
impl ChannelStore for DieselStore {
    async fn other_channels(&self, user_id: UserId) -> Result<Vec<ContactChannel>, StoreError> {
        let user_id = user_id.to_string();
        self.read(move |conn| {
            rows(
                contact_channels::table
                    .filter(contact_channels::user_id.eq(user_id))
                    .order((contact_channels::created_at, contact_channels::id))
                    .select(ChannelRow::as_select())
                    .load(conn)?,
            )
        })
        .await
    }

    async fn all_other_channels(&self, limit: i64) -> Result<Vec<ContactChannel>, StoreError> {
        self.blocking(move |conn| {
            rows(
                contact_channels::table
                    .order((contact_channels::created_at, contact_channels::id))
                    .limit(limit)
                    .select(ChannelRow::as_select())
                    .load(conn)?,
            )
        })
        .await
    }

    async fn insert_channels(&self, channels: &[ContactChannel]) -> Result<(), StoreError> {
        let channels = channels.to_vec();
        self.run(move |conn| {
            transaction(conn, |conn| {
                for c in &channels {
                    write(
                        conn,
                        &c.user_id.to_string(),
                        &[ChannelWrite::Put(c.clone())],
                    )?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn user_by_auth_channel(&self, value: &str) -> Result<Option<User>, StoreError> {
        let value = value.to_owned();
        self.read(move |conn| {
            let owner = contact_channels::table
                .filter(contact_channels::used_for_auth.eq(true))
                .filter(lower(contact_channels::value).eq(lower(value)))
                .select(contact_channels::user_id);
            let row = users::table
                .filter(users::id.eq_any(owner))
                .select(crate::users::UserRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(User::try_from).transpose()?)
        })
        .await
    }
}
