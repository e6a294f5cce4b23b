//! Projects: the tenancy façade of the metadata-tiered surface (Stack Auth). A project is an id, a
//! display name, two keys (a publishable client key and a secret server key, stored as SHA-256
//! digests and shown once) and the settings its access checks read. Projects do not partition
//! users: one user is one user in every surface and every project. Refresh sessions opened for a
//! project are bound to it, so a refresh token is refused by every other project.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{
    CoreError, Field, FieldIssue, Gateway, IssueCode, Surface, User, UserId,
    credentials::{constant_time_eq, random_token, sha256_hex},
    model::{NewSession, Session},
    service::{IssuedSession, now},
};

/// Prefix of publishable client keys (as the vendor's `pck_…`).
pub const PUBLISHABLE_CLIENT_KEY_PREFIX: &str = "pck_";
/// Prefix of secret server keys (as the vendor's `ssk_…`).
pub const SECRET_SERVER_KEY_PREFIX: &str = "ssk_";
/// Longest project display name, in characters.
pub const PROJECT_NAME_MAX: usize = 256;

/// A project as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// Project id (the vendor's project UUID).
    pub id: Uuid,
    /// Human-readable name.
    pub display_name: String,
    /// SHA-256 (hex) of the publishable client key.
    pub publishable_client_key_hash: String,
    /// SHA-256 (hex) of the secret server key.
    pub secret_server_key_hash: String,
    /// Client requests must carry the publishable client key.
    pub require_publishable_client_key: bool,
    /// Client callers may delete their own user.
    pub allow_client_user_deletion: bool,
    /// Clients may create teams (the vendor's `client_team_creation_enabled`).
    pub client_team_creation_enabled: bool,
    /// A new user gets a personal team, selected (the vendor's `create_team_on_sign_up`).
    pub create_team_on_sign_up: bool,
    /// Users may have API keys (the vendor's `allow_user_api_keys`).
    pub allow_user_api_keys: bool,
    /// New users may sign up (the vendor's `sign_up_enabled`).
    pub sign_up_enabled: bool,
    /// Password sign-up and sign-in (the vendor's `credential_enabled`).
    pub credential_enabled: bool,
    /// One-time-code / magic-link sign-in (the vendor's `magic_link_enabled`).
    pub magic_link_enabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last settings change.
    pub updated_at: DateTime<Utc>,
}

/// Which key of a project a caller presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectKey {
    /// The publishable client key (`pck_…`).
    PublishableClient,
    /// The secret server key (`ssk_…`).
    SecretServer,
}

impl Project {
    /// Whether `text` is this project's key of the given kind (constant-time comparison of the
    /// digests).
    pub fn accepts(&self, kind: ProjectKey, text: &str) -> bool {
        let stored = match kind {
            ProjectKey::PublishableClient => &self.publishable_client_key_hash,
            ProjectKey::SecretServer => &self.secret_server_key_hash,
        };
        !text.is_empty() && constant_time_eq(stored, &sha256_hex(text))
    }
}

/// What a new project needs; the keys are generated. The default: no publishable key required,
/// sign-up, password and one-time-code sign-in on, everything else off.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// Human-readable name (1-256 characters after trimming).
    pub display_name: String,
    /// Require the publishable client key on client requests (default `false`).
    pub require_publishable_client_key: bool,
    /// Let clients delete their own user (default `false`).
    pub allow_client_user_deletion: bool,
    /// Clients may create teams (the vendor's `client_team_creation_enabled`).
    pub client_team_creation_enabled: bool,
    /// A new user gets a personal team, selected (the vendor's `create_team_on_sign_up`).
    pub create_team_on_sign_up: bool,
    /// Users may have API keys (the vendor's `allow_user_api_keys`).
    pub allow_user_api_keys: bool,
    /// New users may sign up (the vendor's `sign_up_enabled`).
    pub sign_up_enabled: bool,
    /// Password sign-up and sign-in (the vendor's `credential_enabled`).
    pub credential_enabled: bool,
    /// One-time-code / magic-link sign-in (the vendor's `magic_link_enabled`).
    pub magic_link_enabled: bool,
}

impl Default for NewProject {
    fn default() -> Self {
        Self {
            display_name: String::new(),
            require_publishable_client_key: false,
            allow_client_user_deletion: false,
            client_team_creation_enabled: false,
            create_team_on_sign_up: false,
            allow_user_api_keys: false,
            sign_up_enabled: true,
            credential_enabled: true,
            magic_link_enabled: true,
        }
    }
}

/// A settings change; `None` leaves a setting unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectPatch {
    /// New display name.
    pub display_name: Option<String>,
    /// New value of `require_publishable_client_key`.
    pub require_publishable_client_key: Option<bool>,
    /// New value of `allow_client_user_deletion`.
    pub allow_client_user_deletion: Option<bool>,
    /// New value of `client_team_creation_enabled`.
    pub client_team_creation_enabled: Option<bool>,
    /// New value of `create_team_on_sign_up`.
    pub create_team_on_sign_up: Option<bool>,
    /// New value of `allow_user_api_keys`.
    pub allow_user_api_keys: Option<bool>,
    /// New value of `sign_up_enabled`.
    pub sign_up_enabled: Option<bool>,
    /// New value of `credential_enabled`.
    pub credential_enabled: Option<bool>,
    /// New value of `magic_link_enabled`.
    pub magic_link_enabled: Option<bool>,
}

/// A project as created: the stored row and both keys in clear, shown once.
#[derive(Clone)]
pub struct IssuedProject {
    /// The stored project.
    pub project: Project,
    /// The publishable client key; never stored in clear.
    pub publishable_client_key: String,
    /// The secret server key; never stored in clear.
    pub secret_server_key: String,
}

impl std::fmt::Debug for IssuedProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedProject")
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

fn display_name(value: &str) -> Result<String, CoreError> {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if len == 0 {
        return Err(CoreError::validation(vec![FieldIssue::new(
            Field::Other("display_name"),
            IssueCode::Required,
            "must not be empty",
        )]));
    }
    if len > PROJECT_NAME_MAX {
        return Err(CoreError::validation(vec![FieldIssue::new(
            Field::Other("display_name"),
            IssueCode::TooLong {
                max: PROJECT_NAME_MAX,
            },
            format!("must be at most {PROJECT_NAME_MAX} characters"),
        )]));
    }
    Ok(trimmed.to_owned())
}

impl Gateway {
    /// Creates a project with fresh keys; the returned keys are shown once.
    pub async fn create_project(&self, new: NewProject) -> Result<IssuedProject, CoreError> {
        let NewProject {
            display_name: name,
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
        } = new;
        let display_name = display_name(&name)?;
        let publishable_client_key = format!("{PUBLISHABLE_CLIENT_KEY_PREFIX}{}", random_token(32));
        let secret_server_key = format!("{SECRET_SERVER_KEY_PREFIX}{}", random_token(32));
        let at = now();
        let project = Project {
            id: Uuid::new_v4(),
            display_name,
            publishable_client_key_hash: sha256_hex(&publishable_client_key),
            secret_server_key_hash: sha256_hex(&secret_server_key),
            require_publishable_client_key,
            allow_client_user_deletion,
            client_team_creation_enabled,
            create_team_on_sign_up,
            allow_user_api_keys,
            sign_up_enabled,
            credential_enabled,
            magic_link_enabled,
            created_at: at,
            updated_at: at,
        };
        self.store().insert_project(&project).await?;
        Ok(IssuedProject {
            project,
            publishable_client_key,
            secret_server_key,
        })
    }

    /// Loads a project; `NotFound` when it does not exist.
    pub async fn project(&self, id: Uuid) -> Result<Project, CoreError> {
        self.store()
            .project(id)
            .await?
            .ok_or_else(|| CoreError::not_found("project not found"))
    }

    /// Every project, oldest first.
    pub async fn list_projects(&self) -> Result<Vec<Project>, CoreError> {
        Ok(self.store().list_projects().await?)
    }

    /// Changes a project's settings; `NotFound` when it does not exist.
    pub async fn update_project(
        &self,
        id: Uuid,
        mut patch: ProjectPatch,
    ) -> Result<Project, CoreError> {
        if let Some(name) = patch.display_name.take() {
            patch.display_name = Some(display_name(&name)?);
        }
        self.store()
            .update_project(id, &patch, now())
            .await?
            .ok_or_else(|| CoreError::not_found("project not found"))
    }

    /// Opens a refresh session of `surface` for `user_id`, bound to `project_id` (which must
    /// exist), valid for `ttl`; `is_impersonation` marks one an administrator opened to act as
    /// the user.
    pub async fn open_project_session(
        &self,
        project_id: Uuid,
        user_id: UserId,
        surface: Surface,
        ttl: Duration,
        is_impersonation: bool,
    ) -> Result<IssuedSession, CoreError> {
        self.project(project_id).await?;
        self.user(user_id).await?;
        let refresh_token = random_token(32);
        let at = now();
        let new = NewSession {
            id: Uuid::new_v4(),
            user_id,
            surface,
            refresh_token_hash: sha256_hex(&refresh_token),
            created_at: at,
            expires_at: at + ttl,
            is_impersonation,
        };
        self.store()
            .insert_project_session(&new, project_id)
            .await?;
        Ok(IssuedSession {
            session: new.into_session(),
            refresh_token,
        })
    }

    /// The unrevoked sessions of `user_id` in `project_id` (expired ones too, as Stack Auth lists
    /// them until they are purged), newest first.
    pub async fn project_sessions_of(
        &self,
        project_id: Uuid,
        user_id: UserId,
    ) -> Result<Vec<Session>, CoreError> {
        Ok(self
            .store()
            .project_sessions_of(project_id, user_id)
            .await?)
    }

    /// The session `id` if it is bound to `project_id`, whatever its state.
    pub async fn project_session(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<Option<Session>, CoreError> {
        if self.store().session_project(id).await? != Some(project_id) {
            return Ok(None);
        }
        Ok(self.store().session(id).await?)
    }

    /// Resolves a refresh token presented to `surface` for `project_id` and records its use:
    /// unknown, expired, revoked or foreign tokens, tokens of another project and tokens of
    /// deleted users are `Unauthenticated` (and nothing is recorded).
    pub async fn resume_project_session(
        &self,
        project_id: Uuid,
        surface: Surface,
        refresh_token: &str,
    ) -> Result<(Session, User), CoreError> {
        let (session, user) = self
            .live_project_session(project_id, surface, refresh_token)
            .await?;
        self.touched(session, user).await
    }

    /// [`Self::resume_project_session`] without recording a use.
    pub async fn live_project_session(
        &self,
        project_id: Uuid,
        surface: Surface,
        refresh_token: &str,
    ) -> Result<(Session, User), CoreError> {
        let (session, user) = self.live_session(surface, refresh_token).await?;
        match self.store().session_project(session.id).await? {
            Some(bound) if bound == project_id => Ok((session, user)),
            _ => Err(CoreError::unauthenticated(
                "refresh token not found or expired",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_against_their_digest() {
        let project = Project {
            id: Uuid::new_v4(),
            display_name: "p".into(),
            publishable_client_key_hash: sha256_hex("pck_a"),
            secret_server_key_hash: sha256_hex("ssk_b"),
            require_publishable_client_key: false,
            allow_client_user_deletion: false,
            client_team_creation_enabled: false,
            create_team_on_sign_up: false,
            allow_user_api_keys: false,
            sign_up_enabled: false,
            credential_enabled: false,
            magic_link_enabled: false,
            created_at: now(),
            updated_at: now(),
        };
        assert!(project.accepts(ProjectKey::PublishableClient, "pck_a"));
        assert!(!project.accepts(ProjectKey::PublishableClient, "ssk_b"));
        assert!(project.accepts(ProjectKey::SecretServer, "ssk_b"));
        assert!(!project.accepts(ProjectKey::SecretServer, ""));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(display_name("  My app ").unwrap(), "My app");
        assert!(display_name("   ").is_err());
        assert!(display_name(&"x".repeat(257)).is_err());
    }
}
