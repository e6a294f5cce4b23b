//! `Store` for `DieselStore`: every query, written once against `AnyConnection`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::{prelude::*, sql_types};
use gateway_core::{
    ApiKey, IdempotencyKey, IdempotencyRecord, Session, Store, StoreError, StoredResponse, Team,
    TeamMembership, TeamRole, User, UserChanges, UserId,
    model::{NewApiKey, NewSession},
};
use uuid::Uuid;

use crate::{
    AnyConnection, DieselStore,
    error::Failure,
    identities,
    rows::{
        self, ApiKeyRow, IdempotencyRow, MembershipRow, SessionRow, TeamRow, UserRow, json_text,
        naive,
    },
    schema::{
        api_keys, gateway_secrets, idempotency_keys, sessions, team_memberships, teams, users,
    },
    transaction,
};

/// The columns a patch changes; `None` leaves a column out of the UPDATE entirely.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct UserChangeset {
    username: Option<String>,
    email: Option<Option<String>>,
    email_verified: Option<bool>,
    email_auth_enabled: Option<bool>,
    password_hash: Option<Option<String>>,
    password_expired: Option<Option<bool>>,
    totp_secret: Option<Option<String>>,
    is_active: Option<bool>,
    is_superuser: Option<bool>,
    is_platform_admin: Option<bool>,
    is_onboarded: Option<bool>,
    email_opt_in: Option<bool>,
    is_anonymous: Option<bool>,
    restricted_by_admin: Option<bool>,
    restricted_by_admin_reason: Option<Option<String>>,
    restricted_by_admin_private_details: Option<Option<String>>,
    otp_auth_enabled: Option<bool>,
    passkey_auth_enabled: Option<bool>,
    first_name: Option<Option<String>>,
    last_name: Option<Option<String>>,
    display_name: Option<Option<String>>,
    bio: Option<Option<String>>,
    avatar_url: Option<Option<String>>,
    locale: Option<Option<String>>,
    timezone: Option<Option<String>>,
    phone_number: Option<Option<String>>,
    company: Option<Option<String>>,
    job_title: Option<Option<String>>,
    status: Option<String>,
    country_code: Option<Option<String>>,
    risk_sign_up_bot: Option<i64>,
    risk_sign_up_free_trial_abuse: Option<i64>,
    client_metadata: Option<Option<String>>,
    client_read_only_metadata: Option<Option<String>>,
    server_metadata: Option<Option<String>>,
    selected_team_id: Option<Option<String>>,
    updated_at: NaiveDateTime,
}

impl From<&UserChanges> for UserChangeset {
    fn from(c: &UserChanges) -> Self {
        let UserChanges {
            patch,
            password_hash,
            revoke_sessions: _,
            at,
        } = c;
        let gateway_core::UserPatch {
            username,
            email,
            email_verified,
            email_auth_enabled,
            password: _,
            password_expired,
            totp_secret,
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
            company,
            job_title,
            status,
            country_code,
            risk_scores,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
            selected_team_id,
            expected_version: _,
        } = patch;
        Self {
            username: username.clone(),
            email: email.clone(),
            email_verified: *email_verified,
            email_auth_enabled: *email_auth_enabled,
            password_hash: password_hash.clone(),
            password_expired: *password_expired,
            totp_secret: totp_secret.clone(),
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
            company: company.clone(),
            job_title: job_title.clone(),
            status: status.map(|s| s.as_str().to_owned()),
            country_code: country_code.clone(),
            risk_sign_up_bot: risk_scores.map(|(bot, _)| bot),
            risk_sign_up_free_trial_abuse: risk_scores.map(|(_, abuse)| abuse),
            client_metadata: client_metadata.as_ref().map(json_text),
            client_read_only_metadata: client_read_only_metadata.as_ref().map(json_text),
            server_metadata: server_metadata.as_ref().map(json_text),
            selected_team_id: selected_team_id.map(|t| t.map(|t| t.to_string())),
            updated_at: naive(*at),
        }
    }
}

fn load_user(conn: &mut AnyConnection, id: &str) -> Result<Option<User>, Failure> {
    // `find` + `get_result` (no LIMIT) keeps the prepared statement cached on SQLite.
    let row: Option<UserRow> = on_backend!(conn, c => users::table
        .find(id)
        .select(UserRow::as_select())
        .get_result(c)
        .optional()?);
    Ok(row.map(User::try_from).transpose()?)
}

#[derive(QueryableByName)]
struct PragmaText {
    #[diesel(sql_type = sql_types::Text)]
    value: String,
}

#[derive(QueryableByName)]
struct PragmaInt {
    #[diesel(sql_type = sql_types::BigInt)]
    value: i64,
}

pub(crate) fn sqlite_settings(
    conn: &mut AnyConnection,
) -> Result<Option<(String, i64, i64, i64)>, Failure> {
    match conn {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => {
            let text = |c: &mut diesel::sqlite::SqliteConnection, q: &str| {
                diesel::sql_query(q)
                    .get_result::<PragmaText>(c)
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

#[async_trait]
impl Store for DieselStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn insert_user(&self, user: &User) -> Result<(), StoreError> {
        let row = UserRow::from(user);
        self.run(move |conn| {
            transaction(conn, |conn| {
                identities::check(conn, &row.id, Some(&row.username), row.email.as_deref())?;
                diesel::insert_into(users::table)
                    .values(&row)
                    .execute(conn)?;
                Ok(())
            })
        })
        .await
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(move |conn| load_user(conn, &id.to_string()))
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

    async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<Option<User>, StoreError> {
        let changeset = UserChangeset::from(changes);
        let expected = changes.patch.expected_version;
        let revoke_at = changes.revoke_sessions.then_some(naive(changes.at));
        let id = id.to_string();
        self.run(move |conn| {
            transaction(conn, |conn| {
                identities::check(
                    conn,
                    &id,
                    changeset.username.as_deref(),
                    changeset.email.as_ref().and_then(Option::as_deref),
                )?;
                let target = users::table.filter(users::id.eq(&id));
                let bump = users::version.eq(users::version + 1);
                let updated = match expected {
                    Some(v) => diesel::update(target.filter(users::version.eq(v)))
                        .set((&changeset, bump))
                        .execute(conn)?,
                    None => diesel::update(target)
                        .set((&changeset, bump))
                        .execute(conn)?,
                };
                if updated == 0 {
                    let exists = load_user(conn, &id)?.is_some();
                    return if exists && expected.is_some() {
                        Err(Failure(StoreError::Stale))
                    } else {
                        Ok(None)
                    };
                }
                if let Some(at) = revoke_at {
                    diesel::update(
                        sessions::table
                            .filter(sessions::user_id.eq(&id))
                            .filter(sessions::revoked_at.is_null()),
                    )
                    .set(sessions::revoked_at.eq(at))
                    .execute(conn)?;
                }
                load_user(conn, &id)
            })
        })
        .await
    }

    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError> {
        let id = id.to_string();
        self.run(move |conn| {
            transaction(conn, |conn| {
                // Explicit deletes: the cascade also holds on SQLite files opened without
                // foreign_keys by other tools.
                diesel::delete(sessions::table.filter(sessions::user_id.eq(&id))).execute(conn)?;
                diesel::delete(api_keys::table.filter(api_keys::user_id.eq(&id))).execute(conn)?;
                diesel::delete(team_memberships::table.filter(team_memberships::user_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(&id)))
                    .execute(conn)?;
                Ok(diesel::delete(users::table.filter(users::id.eq(&id))).execute(conn)? > 0)
            })
        })
        .await
    }

    async fn insert_team(&self, team: &Team) -> Result<(), StoreError> {
        let row = TeamRow::from(team);
        self.run(move |conn| {
            diesel::insert_into(teams::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn add_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let row = MembershipRow {
            team_id: team_id.to_string(),
            user_id: user_id.to_string(),
            role: role.as_str().to_owned(),
            joined_at: naive(at),
        };
        self.run(move |conn| {
            transaction(conn, |conn| {
                let updated = diesel::update(
                    team_memberships::table
                        .filter(team_memberships::team_id.eq(&row.team_id))
                        .filter(team_memberships::user_id.eq(&row.user_id)),
                )
                .set(team_memberships::role.eq(&row.role))
                .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(team_memberships::table)
                        .values(&row)
                        .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, StoreError> {
        let user_id = user_id.to_string();
        self.read(move |conn| {
            // On the concrete connection: the platform surface reads them on every GET.
            let rows: Vec<(MembershipRow, TeamRow)> = on_backend!(conn, c => team_memberships::table
                .inner_join(teams::table)
                .filter(team_memberships::user_id.eq(&user_id))
                .order((team_memberships::joined_at.asc(), teams::id.asc()))
                .select((MembershipRow::as_select(), TeamRow::as_select()))
                .load(c)?);
            let mut out = Vec::with_capacity(rows.len());
            for (m, t) in rows {
                out.push(TeamMembership {
                    team: Team::try_from(t)?,
                    role: rows::role(&m.role)?,
                    joined_at: m.joined_at.and_utc(),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError> {
        let row = SessionRow::from(session);
        self.run(move |conn| {
            diesel::insert_into(sessions::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
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

    async fn revoke_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.run(move |conn| {
            let n = diesel::update(
                sessions::table
                    .filter(sessions::id.eq(id.to_string()))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(naive(at)))
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn revoke_sessions(&self, user_id: UserId, at: DateTime<Utc>) -> Result<u64, StoreError> {
        self.run(move |conn| {
            let n = diesel::update(
                sessions::table
                    .filter(sessions::user_id.eq(user_id.to_string()))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set(sessions::revoked_at.eq(naive(at)))
            .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }

    async fn count_active_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        self.read(move |conn| {
            let (user_id, now) = (user_id.to_string(), naive(now));
            Ok(on_backend!(conn, c => sessions::table
                .filter(sessions::user_id.eq(&user_id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(now))
                .count()
                .get_result(c)?))
        })
        .await
    }

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
                .order(api_keys::created_at.asc())
                .select(ApiKeyRow::as_select())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(ApiKey::try_from)
                .collect::<Result<_, _>>()?)
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

    async fn secret(&self, name: &str, candidate: &str) -> Result<String, StoreError> {
        let (name, candidate) = (name.to_owned(), candidate.to_owned());
        self.run(move |conn| {
            let insert = diesel::insert_into(gateway_secrets::table)
                .values((
                    gateway_secrets::name.eq(&name),
                    gateway_secrets::value.eq(&candidate),
                ))
                .execute(conn);
            match insert {
                Ok(_) => {}
                // Another instance stored it first: read theirs.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => {}
                Err(e) => return Err(e.into()),
            }
            Ok(gateway_secrets::table
                .find(&name)
                .select(gateway_secrets::value)
                .get_result(conn)?)
        })
        .await
    }

    async fn insert_idempotency_record(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<bool, StoreError> {
        let row = IdempotencyRow::from(record);
        self.run(move |conn| {
            match diesel::insert_into(idempotency_keys::table)
                .values(&row)
                .execute(conn)
            {
                Ok(_) => Ok(true),
                // Claimed already (possibly by another instance): the caller reads that record.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn idempotency_record(
        &self,
        id: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        let pk = (id.user_id.to_string(), id.scope.clone(), id.key.clone());
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
        let pk = (id.user_id.to_string(), id.scope.clone(), id.key.clone());
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
        let pk = (id.user_id.to_string(), id.scope.clone(), id.key.clone());
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

    async fn insert_project(&self, project: &gateway_core::Project) -> Result<(), StoreError> {
        let row = crate::projects::ProjectRow::from(project);
        self.run(move |conn| crate::projects::insert(conn, &row))
            .await
    }

    async fn project(&self, id: Uuid) -> Result<Option<gateway_core::Project>, StoreError> {
        self.read(move |conn| crate::projects::get(conn, id)).await
    }

    async fn list_projects(&self) -> Result<Vec<gateway_core::Project>, StoreError> {
        self.run(crate::projects::list).await
    }

    async fn update_project(
        &self,
        id: Uuid,
        patch: &gateway_core::ProjectPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<gateway_core::Project>, StoreError> {
        let patch = patch.clone();
        self.run(move |conn| crate::projects::update(conn, id, &patch, at))
            .await
    }

    async fn insert_project_session(
        &self,
        session: &NewSession,
        project_id: Uuid,
    ) -> Result<(), StoreError> {
        let row = crate::projects::session_row(session);
        self.run(move |conn| crate::projects::insert_session(conn, &row, project_id))
            .await
    }

    async fn session_project(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        self.read(move |conn| crate::projects::session_project(conn, session_id))
            .await
    }

    async fn reset(&self) -> Result<(), StoreError> {
        self.run(|conn| {
            transaction(conn, |conn| {
                diesel::delete(sessions::table).execute(conn)?;
                diesel::delete(api_keys::table).execute(conn)?;
                diesel::delete(team_memberships::table).execute(conn)?;
                diesel::delete(idempotency_keys::table).execute(conn)?;
                diesel::delete(users::table).execute(conn)?;
                diesel::delete(teams::table).execute(conn)?;
                Ok(())
            })
        })
        .await
    }
}
