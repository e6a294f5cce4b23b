//! The persistence port. `gateway-storage` implements it with diesel; the core never knows which
//! database is behind it, nor that diesel is blocking.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreError, Field, UserPatch,
    idempotency::{IdempotencyKey, IdempotencyRecord, StoredResponse},
    model::{ApiKey, NewApiKey, NewSession, Session, Team, TeamMembership, TeamRole, User, UserId},
    project::{Project, ProjectPatch},
};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a store can fail with. Implementations MUST map a unique-key violation to
/// [`StoreError::Conflict`] naming the field (a [`crate::UserField`] for a user's unique
/// values), and a lost connection to [`StoreError::Unavailable`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value is used already; the payload names the field
    /// (`Field::User(UserField::Username)`, `Field::User(UserField::Email)`, `Field::Other("id")`).
    #[error("conflict on {0}")]
    Conflict(Field),
    /// The expected version did not match.
    #[error("stale version")]
    Stale,
    /// The database cannot be reached.
    #[error("storage unavailable: {0}")]
    Unavailable(#[source] BoxError),
    /// Anything else.
    #[error("storage failure: {0}")]
    Other(#[source] BoxError),
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(field) => {
                CoreError::conflict(field, format!("{field} is already in use"))
            }
            StoreError::Stale => CoreError::new(
                crate::ErrorKind::PreconditionFailed,
                "the user was changed by another request",
            ),
            StoreError::Unavailable(source) => CoreError::unavailable(source),
            StoreError::Other(source) => CoreError::internal(source),
        }
    }
}

/// A validated patch as the store applies it: the password is already hashed.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// The patch; its `password` field is ignored (see `password_hash`).
    pub patch: UserPatch,
    /// New password hash in Modular Crypt Format, or remove the password.
    pub password_hash: Option<Option<String>>,
    /// Revoke every session of the user in the same transaction.
    pub revoke_sessions: bool,
    /// The time of the change (`updated_at`).
    pub at: DateTime<Utc>,
}

/// Persistence for the whole domain.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Inserts a user.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;
    /// Loads a user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Loads a user by exact username.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// Lists users ordered by creation time.
    async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<User>, StoreError>;
    /// Applies `changes` to the columns they name, in one transaction, and returns the new row;
    /// `None` when the user does not exist. MUST fail with [`StoreError::Stale`] when
    /// `changes.patch.expected_version` is set and differs.
    async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<Option<User>, StoreError>;
    /// Deletes a user with its sessions, keys, memberships and idempotency records; `false`
    /// when absent.
    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError>;

    /// Inserts a team.
    async fn insert_team(&self, team: &Team) -> Result<(), StoreError>;
    /// Adds (or updates) a membership.
    async fn add_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The teams of a user, oldest membership first.
    async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, StoreError>;

    /// Inserts a session.
    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError>;
    /// Finds a session by the hash of its refresh token.
    async fn session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>, StoreError>;
    /// Finds a session by id.
    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError>;
    /// Revokes one session; `false` when absent or revoked already.
    async fn revoke_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Revokes every session of a user; returns how many.
    async fn revoke_sessions(&self, user_id: UserId, at: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Counts unrevoked, unexpired sessions.
    async fn count_active_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;

    /// Inserts an API key.
    async fn insert_api_key(&self, key: &NewApiKey) -> Result<(), StoreError>;
    /// Loads an API key by its public id.
    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Lists the keys of a user.
    async fn api_keys_of(&self, user_id: UserId) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes a key; `false` when absent or revoked already.
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Returns the stored value of a named secret, storing `candidate` first if there is none, so
    /// that several instances on one database agree on the first value written.
    async fn secret(&self, name: &str, candidate: &str) -> Result<String, StoreError>;

    /// Inserts a claim on an idempotency key; `false` (nothing written) when a record with the
    /// same user, scope and key exists.
    async fn insert_idempotency_record(
        &self,
        record: &IdempotencyRecord,
    ) -> Result<bool, StoreError>;
    /// Loads the record of a key.
    async fn idempotency_record(
        &self,
        id: &IdempotencyKey,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Stores the response of the claim made at `created_at`; `false` when that claim is gone or
    /// completed already.
    async fn complete_idempotency_record(
        &self,
        id: &IdempotencyKey,
        created_at: DateTime<Utc>,
        response: &StoredResponse,
    ) -> Result<bool, StoreError>;
    /// Deletes the record of a key if it was created at `created_at`; `false` otherwise.
    async fn delete_idempotency_record(
        &self,
        id: &IdempotencyKey,
        created_at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Deletes every idempotency record created before `before`; returns how many.
    async fn purge_idempotency_records(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Deletes every user, team, session, key and idempotency record (secrets are kept).
    async fn reset(&self) -> Result<(), StoreError>;

    // Projects of the metadata-tiered surface. The defaults refuse, so a store written before
    // projects existed still compiles; `DieselStore` implements all of them.

    /// Inserts a project.
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError> {
        let _ = project;
        Err(projects_unsupported())
    }
    /// Loads a project by id.
    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError> {
        let _ = id;
        Err(projects_unsupported())
    }
    /// Lists every project, oldest first.
    async fn list_projects(&self) -> Result<Vec<Project>, StoreError> {
        Err(projects_unsupported())
    }
    /// Applies a settings change and returns the new row; `None` when the project does not exist.
    async fn update_project(
        &self,
        id: Uuid,
        patch: &ProjectPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Project>, StoreError> {
        let _ = (id, patch, at);
        Err(projects_unsupported())
    }
    /// Inserts a session bound to a project, in one transaction.
    async fn insert_project_session(
        &self,
        session: &NewSession,
        project_id: Uuid,
    ) -> Result<(), StoreError> {
        let _ = (session, project_id);
        Err(projects_unsupported())
    }
    /// The project a session is bound to, if any.
    async fn session_project(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError> {
        let _ = session_id;
        Err(projects_unsupported())
    }
}

fn projects_unsupported() -> StoreError {
    StoreError::Other("this store does not support projects".into())
}
