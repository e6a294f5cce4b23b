//! Row types and their conversions to and from core types.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use gateway_core::{
    Account, ApiKey, IdempotencyKey, IdempotencyRecord, Identity, MetadataTiers, Profile,
    RiskScores, Security, Session, StoredResponse, Team, TeamRole, Timestamps, User, UserId,
    model::{NewApiKey, NewSession},
};
use serde_json::Value;
use uuid::Uuid;

use crate::schema::{api_keys, idempotency_keys, sessions, team_memberships, teams, users};

/// A value read back from the database that the core cannot accept.
#[derive(Debug, thiserror::Error)]
#[error("corrupt {column} in stored row: {reason}")]
pub struct CorruptRow {
    column: &'static str,
    reason: String,
}

impl CorruptRow {
    /// A corrupt value in `column`.
    pub(crate) fn new(column: &'static str, reason: impl ToString) -> Self {
        corrupt(column, reason)
    }
}

fn corrupt(column: &'static str, reason: impl ToString) -> CorruptRow {
    CorruptRow {
        column,
        reason: reason.to_string(),
    }
}

fn uuid(column: &'static str, s: &str) -> Result<Uuid, CorruptRow> {
    Uuid::parse_str(s).map_err(|e| corrupt(column, e))
}

fn json(column: &'static str, s: Option<String>) -> Result<Option<Value>, CorruptRow> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| corrupt(column, e)))
        .transpose()
}

pub(crate) fn json_text(v: &Option<Value>) -> Option<String> {
    v.as_ref().map(Value::to_string)
}

pub(crate) fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// A row of `users`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub email_auth_enabled: bool,
    pub password_hash: Option<String>,
    pub password_expired: Option<bool>,
    pub totp_secret: Option<String>,
    pub oauth_provider: Option<String>,
    pub oauth_id: Option<String>,
    pub kind: String,
    pub organization_id: Option<String>,
    pub is_active: bool,
    pub is_superuser: bool,
    pub is_platform_admin: bool,
    pub is_onboarded: bool,
    pub email_opt_in: bool,
    pub is_anonymous: bool,
    pub restricted_by_admin: bool,
    pub restricted_by_admin_reason: Option<String>,
    pub restricted_by_admin_private_details: Option<String>,
    pub otp_auth_enabled: bool,
    pub passkey_auth_enabled: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub phone_number: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub status: String,
    pub country_code: Option<String>,
    pub risk_sign_up_bot: i64,
    pub risk_sign_up_free_trial_abuse: i64,
    pub client_metadata: Option<String>,
    pub client_read_only_metadata: Option<String>,
    pub server_metadata: Option<String>,
    pub selected_team_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub signed_up_at: NaiveDateTime,
    pub last_active_at: NaiveDateTime,
    pub version: i64,
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
            company,
            job_title,
            country_code,
        };
        user.account = Account {
            kind: kind.parse().map_err(|e| corrupt("users.kind", e))?,
            organization_id: organization_id
                .map(|o| uuid("users.organization_id", &o))
                .transpose()?,
            status: status.parse().map_err(|e| corrupt("users.status", e))?,
            is_active,
            is_superuser,
            is_platform_admin,
            is_onboarded,
            email_opt_in,
            is_anonymous,
            restricted_by_admin,
            restricted_by_admin_reason,
            restricted_by_admin_private_details,
            selected_team_id: selected_team_id
                .map(|t| uuid("users.selected_team_id", &t))
                .transpose()?,
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

/// A row of `teams`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = teams)]
pub struct TeamRow {
    pub id: String,
    pub display_name: String,
    pub profile_image_url: Option<String>,
    pub client_metadata: Option<String>,
    pub client_read_only_metadata: Option<String>,
    pub server_metadata: Option<String>,
    pub created_at: NaiveDateTime,
}

impl From<&Team> for TeamRow {
    fn from(t: &Team) -> Self {
        let Team {
            id,
            display_name,
            profile_image_url,
            metadata,
            created_at,
        } = t;
        Self {
            id: id.to_string(),
            display_name: display_name.clone(),
            profile_image_url: profile_image_url.clone(),
            client_metadata: json_text(&metadata.client),
            client_read_only_metadata: json_text(&metadata.client_read_only),
            server_metadata: json_text(&metadata.server),
            created_at: naive(*created_at),
        }
    }
}

impl TryFrom<TeamRow> for Team {
    type Error = CorruptRow;
    fn try_from(r: TeamRow) -> Result<Self, CorruptRow> {
        let TeamRow {
            id,
            display_name,
            profile_image_url,
            client_metadata,
            client_read_only_metadata,
            server_metadata,
            created_at,
        } = r;
        Ok(Team {
            id: uuid("teams.id", &id)?,
            display_name,
            profile_image_url,
            metadata: MetadataTiers {
                client: json("teams.client_metadata", client_metadata)?,
                client_read_only: json(
                    "teams.client_read_only_metadata",
                    client_read_only_metadata,
                )?,
                server: json("teams.server_metadata", server_metadata)?,
            },
            created_at: utc(created_at),
        })
    }
}

/// A row of `team_memberships`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = team_memberships)]
pub struct MembershipRow {
    pub team_id: String,
    pub user_id: String,
    pub role: String,
    pub joined_at: NaiveDateTime,
}

pub(crate) fn role(s: &str) -> Result<TeamRole, CorruptRow> {
    s.parse().map_err(|e| corrupt("team_memberships.role", e))
}

/// A row of `sessions`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub surface: String,
    pub refresh_token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
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
        } = s;
        Self {
            id: id.to_string(),
            user_id: user_id.to_string(),
            surface: surface.as_str().to_owned(),
            refresh_token_hash: refresh_token_hash.clone(),
            created_at: naive(*created_at),
            expires_at: naive(*expires_at),
            revoked_at: None,
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
        } = r;
        Ok(Session {
            id: uuid("sessions.id", &id)?,
            user_id: UserId(uuid("sessions.user_id", &user_id)?),
            surface: surface
                .parse()
                .map_err(|e| corrupt("sessions.surface", e))?,
            refresh_token_hash,
            created_at: utc(created_at),
            expires_at: utc(expires_at),
            revoked_at: revoked_at.map(utc),
        })
    }
}

/// A row of `api_keys`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: String,
    pub user_id: String,
    pub surface: String,
    pub secret_hash: String,
    pub label: Option<String>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
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
        } = k;
        Self {
            id: id.clone(),
            user_id: user_id.to_string(),
            surface: surface.as_str().to_owned(),
            secret_hash: secret_hash.clone(),
            label: label.clone(),
            created_at: naive(*created_at),
            revoked_at: None,
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
        } = r;
        Ok(ApiKey {
            id,
            user_id: UserId(uuid("api_keys.user_id", &user_id)?),
            surface: surface
                .parse()
                .map_err(|e| corrupt("api_keys.surface", e))?,
            secret_hash,
            label,
            created_at: utc(created_at),
            revoked_at: revoked_at.map(utc),
        })
    }
}

/// A row of `idempotency_keys`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = idempotency_keys)]
pub struct IdempotencyRow {
    pub user_id: String,
    pub scope: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub created_at: NaiveDateTime,
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
                    .map_err(|e| corrupt("idempotency_keys.response_status", e))?,
                body,
            }),
            (None, None) => None,
            _ => {
                return Err(corrupt(
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
