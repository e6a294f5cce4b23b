//! The users aggregate: its row, the conversion between the row and the core `User` (the only
//! place storage names `User` fields), and its queries. A patch is applied by the core
//! (`UserChanges::apply_to`) to the row read under a lock, and the columns it changed are written
//! back, so the column list exists once and every store applies a patch the same way.

use async_trait::async_trait;
use diesel::prelude::*;
use gateway_core::{
    Account, FlagFilter, Identity, MetadataTiers, Profile, RiskScores, Security, StoreError,
    Timestamps, User, UserChanges, UserId, UserOrder, UserPage, UserQuery, UserStore,
};

mod probe;
mod write;

use crate::{
    AnyConnection, DieselStore, api_keys, channels,
    error::Failure,
    idempotency, identities,
    schema::{contact_channels, users},
    search, sessions, teams, transaction,
    values::{CorruptRow, Stamp, json, json_text, naive, parsed, utc, uuid, uuid_opt},
};

/// Declares, from one list of the `users` columns, [`UserRow`] (diesel derives reading and
/// inserting from it) and `UserChangeset` (updating: each column wrapped in an `Option`, `None`
/// left out of the UPDATE), so that a column is named once in Rust.
macro_rules! user_columns {
    (key: $key:ident: $key_ty:ty; $($column:ident: $ty:ty,)+) => {
        /// A row of `users`.
        #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
        #[diesel(table_name = users)]
        pub(crate) struct UserRow {
            pub $key: $key_ty,
            $(pub $column: $ty,)+
        }

        /// The columns an update writes.
        #[derive(AsChangeset)]
        #[diesel(table_name = users)]
        struct UserChangeset {
            $($column: Option<$ty>,)+
        }

        impl UserChangeset {
            /// The columns in which `new` differs from `old`, and only those: an unchanged
            /// column, indexed or not, costs the UPDATE nothing.
            fn between(old: &UserRow, new: UserRow) -> Self {
                Self {
                    $($column: (new.$column != old.$column).then_some(new.$column),)+
                }
            }

            /// Whether it sets at most one column besides `version` and `updated_at`: the
            /// one-field writes of every surface. Their statements have few shapes, so they are
            /// kept prepared (`prepared.rs`).
            fn is_narrow(&self) -> bool {
                let set = 0 $(+ usize::from(
                    self.$column.is_some()
                        && !matches!(stringify!($column), "version" | "updated_at")
                ))+;
                set <= 1
            }

            /// The columns a change moved on `first` (to `first_after`) or on `second` (to
            /// `second_after`), which it must have set to the same value on both; `None` when
            /// it did not (`probe::touched`).
            fn common(
                first: &UserRow,
                first_after: UserRow,
                second: &UserRow,
                second_after: UserRow,
            ) -> Option<Self> {
                Some(Self {
                    $($column: {
                        let new = first_after.$column;
                        if new != first.$column || second_after.$column != second.$column {
                            if new != second_after.$column {
                                return None;
                            }
                            Some(new)
                        } else {
                            None
                        }
                    },)+
                })
            }

            /// `row` with the columns this changeset sets.
            #[cfg(test)]
            fn write_into(&self, row: &mut UserRow) {
                $(if let Some(v) = &self.$column {
                    row.$column.clone_from(v);
                })+
            }
        }

        impl UserRow {
            /// The bytes of text the row holds (the user cache's estimate of its size).
            fn text_bytes(&self) -> usize {
                self.$key.len() $(+ TextBytes::text_bytes(&self.$column))+
            }
        }

        /// `row` with every column but the key changed (`probe::Flip`): the second probe.
        fn flipped(row: &UserRow) -> UserRow {
            UserRow {
                $key: row.$key.clone(),
                $($column: probe::Flip::flip(&row.$column),)+
            }
        }

        /// The names of the columns in which `a` and `b` agree.
        #[cfg(test)]
        fn equal_columns(a: &UserRow, b: &UserRow) -> Vec<&'static str> {
            let mut equal = Vec::new();
            if a.$key == b.$key {
                equal.push(stringify!($key));
            }
            $(if a.$column == b.$column {
                equal.push(stringify!($column));
            })+
            equal
        }
    };
}

/// The bytes of text in a column value.
trait TextBytes {
    fn text_bytes(&self) -> usize {
        0
    }
}

impl TextBytes for String {
    fn text_bytes(&self) -> usize {
        self.len()
    }
}

impl TextBytes for Option<String> {
    fn text_bytes(&self) -> usize {
        self.as_ref().map_or(0, String::len)
    }
}

impl TextBytes for bool {}
impl TextBytes for Option<bool> {}
impl TextBytes for i64 {}
impl TextBytes for Stamp {}

user_columns! {
    key: id: String;
    username: String,
    email: Option<String>,
    email_verified: bool,
    email_auth_enabled: bool,
    password_hash: Option<String>,
    password_expired: Option<bool>,
    totp_secret: Option<String>,
    oauth_provider: Option<String>,
    oauth_id: Option<String>,
    kind: String,
    organization_id: Option<String>,
    is_active: bool,
    is_superuser: bool,
    is_platform_admin: bool,
    is_onboarded: bool,
    email_opt_in: bool,
    is_anonymous: bool,
    restricted_by_admin: bool,
    restricted_by_admin_reason: Option<String>,
    restricted_by_admin_private_details: Option<String>,
    otp_auth_enabled: bool,
    passkey_auth_enabled: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    display_name: Option<String>,
    bio: Option<String>,
    avatar_url: Option<String>,
    locale: Option<String>,
    timezone: Option<String>,
    phone_number: Option<String>,
    phone_number_verified: bool,
    company: Option<String>,
    job_title: Option<String>,
    status: String,
    country_code: Option<String>,
    risk_sign_up_bot: i64,
    risk_sign_up_free_trial_abuse: i64,
    client_metadata: Option<String>,
    client_read_only_metadata: Option<String>,
    server_metadata: Option<String>,
    selected_team_id: Option<String>,
    created_at: Stamp,
    updated_at: Stamp,
    signed_up_at: Stamp,
    last_active_at: Stamp,
    version: i64,
}

impl From<&User> for UserRow {
    fn from(u: &User) -> Self {
        let User {
            id,
            identity:
                Identity {
                    username,
                    email,
                    email_verified,
                    email_auth_enabled,
                },
            profile:
                Profile {
                    first_name,
                    last_name,
                    display_name,
                    bio,
                    avatar_url,
                    locale,
                    timezone,
                    phone_number,
                    phone_number_verified,
                    company,
                    job_title,
                    country_code,
                },
            account:
                Account {
                    kind,
                    organization_id,
                    status,
                    is_active,
                    is_superuser,
                    is_platform_admin,
                    is_onboarded,
                    email_opt_in,
                    is_anonymous,
                    restricted_by_admin,
                    restricted_by_admin_reason,
                    restricted_by_admin_private_details,
                    selected_team_id,
                },
            security:
                Security {
                    password_hash,
                    password_expired,
                    totp_secret,
                    oauth_provider,
                    oauth_id,
                    otp_auth_enabled,
                    passkey_auth_enabled,
                },
            metadata:
                MetadataTiers {
                    client,
                    client_read_only,
                    server,
                },
            risk:
                RiskScores {
                    sign_up_bot: risk_sign_up_bot,
                    sign_up_free_trial_abuse: risk_sign_up_free_trial_abuse,
                },
            timestamps:
                Timestamps {
                    created_at,
                    updated_at,
                    signed_up_at,
                    last_active_at,
                },
            version,
        } = u;
        Self {
            id: id.to_string(),
            username: username.clone(),
            email: email.clone(),
            email_verified: *email_verified,
            email_auth_enabled: *email_auth_enabled,
            password_hash: password_hash.clone(),
            password_expired: *password_expired,
            totp_secret: totp_secret.clone(),
            oauth_provider: oauth_provider.clone(),
            oauth_id: oauth_id.clone(),
            kind: kind.as_str().to_owned(),
            organization_id: organization_id.map(|o| o.to_string()),
            is_active: *is_active,
            is_superuser: *is_superuser,
            is_platform_admin: *is_platform_admin,
            is_onboarded: *is_onboarded,
            email_opt_in: *email_opt_in,
            is_anonymous: *is_anonymous,
            restricted_by_admin: *restricted_by_admin,
            restricted_by_admin_reason: restricted_by_admin_reason.clone(),
            restricted_by_admin_private_details: restricted_by_admin_private_details.clone(),
            otp_auth_enabled: *otp_auth_enabled,
            passkey_auth_enabled: *passkey_auth_enabled,
            first_name: first_name.clone(),
            last_name: last_name.clone(),
            display_name: display_name.clone(),
            bio: bio.clone(),
            avatar_url: avatar_url.clone(),
            locale: locale.clone(),
            timezone: timezone.clone(),
            phone_number: phone_number.clone(),
            phone_number_verified: *phone_number_verified,
            company: company.clone(),
            job_title: job_title.clone(),
            status: status.as_str().to_owned(),
            country_code: country_code.clone(),
            risk_sign_up_bot: *risk_sign_up_bot,
            risk_sign_up_free_trial_abuse: *risk_sign_up_free_trial_abuse,
            client_metadata: json_text(client),
            client_read_only_metadata: json_text(client_read_only),
            server_metadata: json_text(server),
            selected_team_id: selected_team_id.map(|t| t.to_string()),
            created_at: naive(*created_at),
            updated_at: naive(*updated_at),
            signed_up_at: naive(*signed_up_at),
            last_active_at: naive(*last_active_at),
            version: *version,
        }
    }
}

impl TryFrom<UserRow> for User {
    type Error = CorruptRow;
    fn try_from(r: UserRow) -> Result<Self, CorruptRow> {
        let UserRow {
            id,
            username,
            email,
            email_verified,
            email_auth_enabled,
            password_hash,
            password_expired,
            totp_secret,
            oauth_provider,
            oauth_id,
            kind,
            organization_id,
            is_active,
            is_superuser,
            is_platform_admin,
            is_onboarded,
            email_opt_in,
            is_anonymous,
            restricted_by_admin,
            restricted_by_admin_reason,
            restricted_by_admin_private_details,
            otp_auth_enabled,
            passkey_auth_enabled,
            first_name,
            last_name,
            display_name,
            bio,
            avatar_url,
            locale,
            timezone,
            phone_number,
            phone_number_verified,
            company,
            job_title,
            status,
            country_code,
            risk_sign_up_bot,
            risk_sign_up_free_trial_abuse,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
            selected_team_id,
            created_at,
            updated_at,
            signed_up_at,
            last_active_at,
            version,
        } = r;
        // The one constructor, then every group from its columns (each group literal is
        // exhaustive, so a new field of a group does not compile here).
        let mut user = User::new(UserId(uuid("users.id", &id)?), username, utc(created_at));
        user.identity.email = email;
        user.identity.email_verified = email_verified;
        user.identity.email_auth_enabled = email_auth_enabled;
        user.profile = Profile {
            first_name,
            last_name,
            display_name,
            bio,
            avatar_url,
            locale,
            timezone,
            phone_number,
            phone_number_verified,
            company,
            job_title,
            country_code,
        };
        user.account = Account {
            kind: parsed("users.kind", &kind)?,
            organization_id: uuid_opt("users.organization_id", organization_id)?,
            status: parsed("users.status", &status)?,
            is_active,
            is_superuser,
            is_platform_admin,
            is_onboarded,
            email_opt_in,
            is_anonymous,
            restricted_by_admin,
            restricted_by_admin_reason,
            restricted_by_admin_private_details,
            selected_team_id: uuid_opt("users.selected_team_id", selected_team_id)?,
        };
        user.security = Security {
            password_hash,
            password_expired,
            totp_secret,
            oauth_provider,
            oauth_id,
            otp_auth_enabled,
            passkey_auth_enabled,
        };
        user.metadata = MetadataTiers {
            client: json("users.client_metadata", client_metadata)?,
            client_read_only: json("users.client_read_only_metadata", client_read_only_metadata)?,
            server: json("users.server_metadata", server_metadata)?,
        };
        user.risk = RiskScores {
            sign_up_bot: risk_sign_up_bot,
            sign_up_free_trial_abuse: risk_sign_up_free_trial_abuse,
        };
        user.timestamps = Timestamps {
            created_at: utc(created_at),
            updated_at: utc(updated_at),
            signed_up_at: utc(signed_up_at),
            last_active_at: utc(last_active_at),
        };
        user.version = version;
        Ok(user)
    }
}

/// A user with the bytes of text of its row (what the user cache weighs it at).
type Weighed = (User, usize);

/// A row as a user with its size.
fn weighed(row: UserRow) -> Result<Weighed, Failure> {
    let bytes = row.text_bytes();
    Ok((User::try_from(row)?, bytes))
}

/// Loads a user by id. `find` + `get_result` (no LIMIT) on the concrete connection keeps the
/// prepared statement cached on SQLite: every authenticated request reads its user.
fn load(conn: &mut AnyConnection, id: &str) -> Result<Option<Weighed>, Failure> {
    let row: Option<UserRow> = on_backend!(conn, c => users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(c)
        .optional()?);
    row.map(weighed).transpose()
}

fn insert(conn: &mut AnyConnection, row: &UserRow) -> Result<(), Failure> {
    transaction(conn, |conn| {
        identities::check(conn, &row.id, Some(&row.username), row.email.as_deref())?;
        diesel::insert_into(users::table)
            .values(row)
            .execute(conn)?;
        Ok(())
    })
}

/// Deletes a user with everything that refers to it, in one transaction. The deletes are explicit:
/// the cascade also holds on SQLite files opened without `foreign_keys` by other tools.
fn delete(conn: &mut AnyConnection, id: &str) -> Result<bool, Failure> {
    transaction(conn, |conn| {
        sessions::delete_of(conn, id)?;
        api_keys::delete_of(conn, id)?;
        teams::delete_memberships_of(conn, id)?;
        idempotency::delete_of(conn, id)?;
        crate::codes::delete_of(conn, id)?;
        crate::devices::delete_of(conn, id)?;
        channels::delete_of(conn, id)?;
        Ok(diesel::delete(users::table.find(id)).execute(conn)? > 0)
    })
}

/// The backend of queries built at run time ([`query_page`]).
type Any = <AnyConnection as Connection>::Backend;

/// A filter built at run time.
type Condition = Box<dyn BoxableExpression<users::table, Any, SqlType = diesel::sql_types::Bool>>;

/// A flag column under a [`FlagFilter`]; `None` lets every row through.
fn flag<C>(column: C, filter: FlagFilter) -> Option<Condition>
where
    C: ExpressionMethods
        + Expression<SqlType = diesel::sql_types::Bool>
        + BoxableExpression<users::table, Any, SqlType = diesel::sql_types::Bool>
        + 'static,
    diesel::dsl::Eq<C, bool>:
        BoxableExpression<users::table, Any, SqlType = diesel::sql_types::Bool> + 'static,
{
    match filter {
        FlagFilter::Include => None,
        FlagFilter::Exclude => Some(Box::new(column.eq(false))),
        FlagFilter::Only => Some(Box::new(column.eq(true))),
    }
}

/// Reads one page of [`UserQuery`] with a keyset: the cursor row's key is looked up first (no
/// row: an empty page), then the rows from `(key, id)` on, in order, `limit + 1` of them.
fn query_page(conn: &mut AnyConnection, q: &UserQuery) -> Result<UserPage, Failure> {
    #[cfg(feature = "sqlite")]
    let sqlite = matches!(conn, AnyConnection::Sqlite(_));
    #[cfg(not(feature = "sqlite"))]
    let sqlite = false;
    let mut query = users::table
        .select(UserRow::as_select())
        .into_boxed::<Any>();
    if let Some(c) = flag(users::is_anonymous, q.anonymous) {
        query = query.filter(c);
    }
    if let Some(c) = flag(users::restricted_by_admin, q.restricted_by_admin) {
        query = query.filter(c);
    }
    if let Some(team) = q.team {
        let members = crate::schema::team_memberships::table
            .filter(crate::schema::team_memberships::team_id.eq(team.to_string()))
            .select(crate::schema::team_memberships::user_id);
        query = query.filter(users::id.eq_any(members));
    }
    if let Some(s) = &q.search {
        let pattern = search::contains_pattern(&s.needle());
        let text: Box<
            dyn BoxableExpression<
                    users::table,
                    Any,
                    SqlType = diesel::sql_types::Nullable<diesel::sql_types::Bool>,
                >,
        > = if sqlite {
            Box::new(
                search::fold(users::display_name)
                    .like(pattern.clone())
                    .escape(search::ESCAPE)
                    .or(search::fold(users::email)
                        .like(pattern.clone())
                        .escape(search::ESCAPE))
                    .or(users::id
                        .eq_any(
                            contact_channels::table
                                .filter(
                                    search::fold(contact_channels::value.nullable())
                                        .like(pattern.clone())
                                        .escape(search::ESCAPE),
                                )
                                .select(contact_channels::user_id),
                        )
                        .nullable()),
            )
        } else {
            Box::new(
                identities::lower_nullable(users::display_name)
                    .like(pattern.clone())
                    .escape(search::ESCAPE)
                    .or(identities::lower_nullable(users::email)
                        .like(pattern.clone())
                        .escape(search::ESCAPE))
                    .or(users::id
                        .eq_any(
                            contact_channels::table
                                .filter(
                                    identities::lower(contact_channels::value)
                                        .like(pattern.clone())
                                        .escape(search::ESCAPE),
                                )
                                .select(contact_channels::user_id),
                        )
                        .nullable()),
            )
        };
        query = match s.id {
            Some(id) => query.filter(text.or(users::id.eq(id.to_string()).nullable())),
            None => query.filter(text),
        };
    }
    macro_rules! keyset {
        ($key:expr) => {{
            if let Some(cursor) = q.cursor {
                let cursor = cursor.to_string();
                let key: Option<Stamp> = users::table
                    .find(&cursor)
                    .select($key)
                    .get_result(conn)
                    .optional()?;
                let Some(key) = key else {
                    return Ok(UserPage::default());
                };
                // `key >= k AND (key > k OR id >= c)`: the first term bounds an index range.
                query = if q.desc {
                    query.filter($key.le(key).and($key.lt(key).or(users::id.le(cursor))))
                } else {
                    query.filter($key.ge(key).and($key.gt(key).or(users::id.ge(cursor))))
                };
            }
            if q.desc {
                query.order(($key.desc(), users::id.desc()))
            } else {
                query.order(($key.asc(), users::id.asc()))
            }
        }};
    }
    let query = match q.order {
        UserOrder::SignedUpAt => keyset!(users::signed_up_at),
        UserOrder::LastActiveAt => keyset!(users::last_active_at),
    };
    let limit = i64::try_from(q.limit.saturating_add(1)).unwrap_or(i64::MAX);
    let rows: Vec<UserRow> = query.limit(limit).load(conn)?;
    let rows = rows
        .into_iter()
        .map(User::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(UserPage::from_rows(rows, q.limit))
}

#[async_trait]
impl UserStore for DieselStore {
    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from(user);
        self.run(move |conn| insert(conn, &row)).await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let key = id.to_string();
        let id = key.clone();
        self.caches
            .users
            .read_through(&key, |_| true, self.read(move |conn| load(conn, &id)))
            .await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let username = username.to_owned();
        self.read(move |conn| {
            let row = users::table
                .filter(identities::lower(users::username).eq(identities::lower(username)))
                .select(UserRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(User::try_from).transpose()?)
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let email = email.to_owned();
        self.read(move |conn| {
            let row = users::table
                .filter(
                    identities::lower_nullable(users::email)
                        .eq(identities::lower(email).nullable()),
                )
                .select(UserRow::as_select())
                .get_result(conn)
                .optional()?;
            Ok(row.map(User::try_from).transpose()?)
        })
        .await
    }

    async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<User>, StoreError> {
        self.run(move |conn| {
            let rows = users::table
                .order((users::created_at.asc(), users::id.asc()))
                .limit(limit)
                .offset(offset)
                .select(UserRow::as_select())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(User::try_from)
                .collect::<Result<_, _>>()?)
        })
        .await
    }

    async fn query_users(&self, query: &UserQuery) -> Result<UserPage, StoreError> {
        let query = query.clone();
        // A search may scan the table: never inline on an async worker.
        self.blocking(move |conn| query_page(conn, &query)).await
    }

    async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<Option<User>, StoreError> {
        let changes = changes.clone();
        let revokes = changes.revoke_sessions.any();
        let key = id.to_string();
        let ticket = self.caches.users.ticket();
        let written = self
            .run(move |conn| write::update(conn, &id.to_string(), &changes))
            .await;
        // After the commit (a SQLite batch may still undo a write when its job has returned).
        if revokes {
            self.caches.sessions.changed(&key, None);
        }
        Ok(written?.map(|(user, bytes)| {
            self.caches.users.offer(ticket, &key, &user, bytes);
            user
        }))
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError> {
        let deleted = self.run(move |conn| delete(conn, &id.to_string())).await;
        self.caches.forget_user(&id.to_string());
        deleted
    }
}
