//! The persistence ports, one per aggregate (users, teams, sessions, API keys, idempotency
//! records, projects, shared secrets, maintenance), and [`Store`], all of them at once.
//! `gateway-storage` implements them with diesel, `testing::MemoryStore` (feature `testing`) in
//! memory; the core never knows which database is behind them, nor that diesel is blocking.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreError, Field, UserPatch,
    idempotency::{IdempotencyKey, IdempotencyRecord, StoredResponse},
    model::{ApiKey, NewApiKey, NewSession, Session, Team, TeamMembership, TeamRole, User, UserId},
    project::{Project, ProjectPatch},
    query::{UserPage, UserQuery},
    teams::{FirstMember, Member, TeamPatch},
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

/// A validated patch as the store applies it: the password is already hashed. Every store applies
/// it with [`UserChanges::apply_to`], the one place that maps a patch onto a user.
#[derive(Debug, Clone, Default)]
pub struct UserChanges {
    /// The patch; its `password` field is ignored (see `password_hash`).
    pub patch: UserPatch,
    /// New password hash in Modular Crypt Format, or remove the password.
    pub password_hash: Option<Option<String>>,
    /// Which sessions of the user end in the same transaction.
    pub revoke_sessions: Revocation,
    /// The time of the change (`updated_at`).
    pub at: DateTime<Utc>,
    /// Changes of the user's other contact channels, applied in order in the same transaction,
    /// after the user row ([`crate::channels`]).
    pub channels: Vec<crate::channels::ChannelWrite>,
}

/// Which of a user's sessions a change ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Revocation {
    /// None.
    #[default]
    None,
    /// Every session of the user.
    All,
    /// Every session of the user but this one (the caller's own, kept by a password update).
    AllBut(Uuid),
}

impl Revocation {
    /// Whether it ends any session.
    pub fn any(self) -> bool {
        self != Self::None
    }
}

/// Users: the accounts every surface shows, unique in username and email regardless of letter
/// case (a username may not equal another user's email either).
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user. MUST fail with [`StoreError::Conflict`] naming `username` or `email` when
    /// another user has that value as its username or its email, letter case aside.
    async fn insert_user(&self, user: &User) -> Result<(), StoreError>;
    /// Loads a user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Loads a user by username, letter case aside.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// Finds a user by primary email, letter case aside (emails are unique that way).
    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Lists users ordered by creation time, then id.
    async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<User>, StoreError>;
    /// One page of users ([`UserQuery`]), read with a keyset: the users that pass the filters,
    /// ordered by `(key, id)` (both descending with `desc`), from the cursor user's position
    /// (inclusive; the cursor user need not pass the filters), at most `query.limit` (already
    /// clamped), and the id of the next one. A cursor naming no user gives an empty page without
    /// a next cursor. The search follows [`crate::UserSearch::matches`].
    async fn query_users(&self, query: &UserQuery) -> Result<UserPage, StoreError>;
    /// Applies `changes` ([`UserChanges::apply_to`]) to the current row in one transaction, with
    /// no concurrent change lost, and returns the new user; `None` when the user does not exist.
    /// MUST fail with [`StoreError::Stale`] when `changes.patch.expected_version` is set and
    /// differs, and with [`StoreError::Conflict`] as [`UserStore::insert_user`] does, also when
    /// the value is another user's sign-in channel ([`crate::channels::ChannelWrite::Put`] for
    /// the rule). Revokes the user's sessions in the same transaction when
    /// `changes.revoke_sessions` is set; writes `changes.channels` in it too.
    async fn update_user(
        &self,
        id: UserId,
        changes: &UserChanges,
    ) -> Result<Option<User>, StoreError>;
    /// Deletes a user with its sessions, keys, memberships, channels and idempotency records; `false`
    /// when absent.
    async fn delete_user(&self, id: UserId) -> Result<bool, StoreError>;
}

/// Teams and who belongs to them.
#[async_trait]
pub trait TeamStore: Send + Sync {
    /// Inserts a team and, with `first`, its first member (holding the role's default
    /// permission, joined at the team's creation; selected by the user when `first.select`, a
    /// change of the user) in the same transaction.
    async fn insert_team(&self, team: &Team, first: Option<FirstMember>) -> Result<(), StoreError>;
    /// A team by id.
    async fn team(&self, id: Uuid) -> Result<Option<Team>, StoreError>;
    /// Applies `patch` to a team ([`TeamPatch::apply_to`]); `None` when there is no such team.
    async fn update_team(
        &self,
        id: Uuid,
        patch: &TeamPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Team>, StoreError>;
    /// Deletes a team with its memberships; every user who had selected it has none after (a
    /// change of that user at `at`: version bumped). `false` when absent.
    async fn delete_team(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Adds a membership holding the role's default permission, or changes the role of an
    /// existing one (its join time and permissions are kept). `true` when the membership is new.
    async fn add_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: TeamRole,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Ends a membership; the user has no selected team after if it was this one (a change of
    /// the user at `at`). `false` when there was none.
    async fn remove_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The teams of a user, oldest membership first (then by team id).
    async fn memberships(&self, user_id: UserId) -> Result<Vec<TeamMembership>, StoreError>;
    /// The members of a team, oldest first (then by user id).
    async fn members(&self, team_id: Uuid) -> Result<Vec<Member>, StoreError>;
    /// Adds (`grant`) or removes `permission` from a member's permissions, in one step; the
    /// permissions after (sorted) and whether they changed, or `None` when the user is not a
    /// member.
    async fn change_permission(
        &self,
        team_id: Uuid,
        user_id: UserId,
        permission: &str,
        grant: bool,
    ) -> Result<Option<(Vec<String>, bool)>, StoreError>;
    /// Every team, oldest first (then by id).
    async fn list_teams(&self) -> Result<Vec<Team>, StoreError>;
}

/// Refresh sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Inserts a session; [`StoreError::Conflict`] on `refresh_token` when the hash is taken.
    async fn insert_session(&self, session: &NewSession) -> Result<(), StoreError>;
    /// Finds a session by the hash of its refresh token.
    async fn session_by_refresh_hash(&self, hash: &str) -> Result<Option<Session>, StoreError>;
    /// Finds a session by id.
    async fn session(&self, id: Uuid) -> Result<Option<Session>, StoreError>;
    /// Revokes one session; `false` when absent or revoked already.
    async fn revoke_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Revokes every unrevoked session of a user; returns how many.
    async fn revoke_sessions(&self, user_id: UserId, at: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Records that a session's refresh token was used at `at`.
    async fn touch_session(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// The unrevoked sessions of a user that expire after `now`, oldest first (then by id).
    async fn active_sessions_of(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, StoreError>;
    /// Counts unrevoked sessions that expire after `now`.
    async fn count_active_sessions(
        &self,
        user_id: UserId,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError>;
}

/// API keys (public id, hashed secret).
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Inserts an API key.
    async fn insert_api_key(&self, key: &NewApiKey) -> Result<(), StoreError>;
    /// Loads an API key by its public id.
    async fn api_key(&self, id: &str) -> Result<Option<ApiKey>, StoreError>;
    /// Lists the keys of a user, oldest first.
    async fn api_keys_of(&self, user_id: UserId) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes a key; `false` when absent or revoked already.
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Changes a key in one write: a new label when `label` is given, revoked at `revoke_at`
    /// when given and not revoked already (the first revocation's time stays). The key after, or
    /// `None` when there is no such key.
    async fn update_api_key(
        &self,
        id: &str,
        label: Option<String>,
        revoke_at: Option<DateTime<Utc>>,
    ) -> Result<Option<ApiKey>, StoreError>;
}

/// Idempotency records of mutating requests (see [`crate::idempotency`]).
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
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
}

/// Projects of the metadata-tiered surface and the binding of refresh sessions to them.
#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// Inserts a project.
    async fn insert_project(&self, project: &Project) -> Result<(), StoreError>;
    /// Loads a project by id.
    async fn project(&self, id: Uuid) -> Result<Option<Project>, StoreError>;
    /// Lists every project, oldest first (then by id).
    async fn list_projects(&self) -> Result<Vec<Project>, StoreError>;
    /// Applies a settings change and returns the new row; `None` when the project does not exist.
    async fn update_project(
        &self,
        id: Uuid,
        patch: &ProjectPatch,
        at: DateTime<Utc>,
    ) -> Result<Option<Project>, StoreError>;
    /// Inserts a session bound to a project, in one transaction.
    async fn insert_project_session(
        &self,
        session: &NewSession,
        project_id: Uuid,
    ) -> Result<(), StoreError>;
    /// The project a session is bound to, if any.
    async fn session_project(&self, session_id: Uuid) -> Result<Option<Uuid>, StoreError>;
    /// The unrevoked sessions of `user_id` bound to `project_id`, expired ones included, newest
    /// first (then by id).
    async fn project_sessions_of(
        &self,
        project_id: Uuid,
        user_id: UserId,
    ) -> Result<Vec<Session>, StoreError>;
}

/// Secrets shared by every instance on one database (the token signing key).
#[async_trait]
pub trait SecretStore: Send + Sync {
    /// Returns the stored value of a named secret, storing `candidate` first if there is none, so
    /// that several instances on one database agree on the first value written.
    async fn secret(&self, name: &str, candidate: &str) -> Result<String, StoreError>;
}

/// Readiness and wholesale reset.
#[async_trait]
pub trait MaintenanceStore: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Deletes every user, team, session, key and idempotency record (projects and secrets are
    /// kept; the project bindings of the deleted sessions go with them).
    async fn reset(&self) -> Result<(), StoreError>;
}

/// Persistence for the whole domain: every port above. Implemented for any type that implements
/// them all, so `Gateway` holds one `Arc<dyn Store>`.
pub trait Store:
    crate::codes::CodeStore
    + crate::channels::ChannelStore
    + crate::device::DeviceStore
    + UserStore
    + TeamStore
    + SessionStore
    + ApiKeyStore
    + IdempotencyStore
    + ProjectStore
    + SecretStore
    + crate::webhooks::WebhookStore
    + MaintenanceStore
    + 'static
{
}

impl<T> Store for T where
    T: crate::codes::CodeStore
        + crate::channels::ChannelStore
        + crate::device::DeviceStore
        + UserStore
        + TeamStore
        + SessionStore
        + ApiKeyStore
        + IdempotencyStore
        + ProjectStore
        + SecretStore
        + crate::webhooks::WebhookStore
        + MaintenanceStore
        + 'static
{
}
