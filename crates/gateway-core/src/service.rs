//! The use-case API every dialect calls: `Gateway`. Handlers convert wire types to commands, call
//! one method here, and convert the result back.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use uuid::Uuid;

use crate::{
    CoreError, ErrorKind, Field, FieldIssue, IssueCode, NewUser, Notice, Outcome, PasswordChange,
    Revocation, Store, UserChanges, UserField, UserPatch,
    channels::{ChannelWrite, channel_id},
    credentials::{self, GeneratedKey, KeyPrefixes, PasswordWork},
    model::{ApiKey, NewApiKey, NewSession, Session, Surface, TeamMembership, User, UserId},
    session_cache::SessionCache,
    validate,
    webhooks::Event,
};

/// The most users one [`Gateway::list_users`] call returns.
pub const LIST_USERS_MAX: i64 = 1000;

/// The current time, truncated to milliseconds so that every backend stores and returns the same
/// value.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

/// `at + ttl`, or a validation error on `field` when the sum leaves chrono's range (a client's
/// lifetime must never panic the worker: `DateTime + TimeDelta` does on overflow).
pub fn expiry(
    at: DateTime<Utc>,
    ttl: TimeDelta,
    field: &'static str,
) -> Result<DateTime<Utc>, CoreError> {
    at.checked_add_signed(ttl).ok_or_else(|| {
        CoreError::validation(vec![FieldIssue::new(
            Field::Other(field),
            IssueCode::InvalidFormat,
            "is too large: the expiry would be out of range",
        )])
    })
}

/// A refresh session as issued: the stored row and the token text, shown once.
#[derive(Clone)]
pub struct IssuedSession {
    /// The stored session.
    pub session: Session,
    /// The refresh token, never stored in clear.
    pub refresh_token: String,
}

impl std::fmt::Debug for IssuedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedSession")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// The domain service. Cheap to clone; holds the store behind an `Arc`.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) store: Arc<dyn Store>,
    /// Sessions recently seen active (access-token checks).
    sessions: SessionCache,
    /// Password hashing and verification, off the async workers (at most one job per core but
    /// one at once).
    pub(crate) passwords: PasswordWork,
    /// The text each surface's API keys start with (declared by the dialects).
    key_prefixes: KeyPrefixes,
    /// The hash [`Self::password_sign_in`] verifies when there is no password to check.
    decoy: Arc<std::sync::OnceLock<String>>,
    /// Delivers mail ([`crate::mail`]).
    pub(crate) mailer: Arc<dyn crate::mail::Mailer>,
    /// Where committed changes are announced ([`crate::webhooks`]).
    pub(crate) events: Arc<dyn crate::webhooks::EventSink>,
}

impl Gateway {
    /// A service on `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            sessions: SessionCache::default(),
            decoy: Arc::default(),
            passwords: PasswordWork::default(),
            key_prefixes: KeyPrefixes::default(),
            mailer: Arc::new(crate::mail::NoMailer),
            events: Arc::new(crate::webhooks::NoEvents),
        }
    }

    /// The same service delivering mail through `mailer`.
    pub fn with_mailer(mut self, mailer: Arc<dyn crate::mail::Mailer>) -> Self {
        self.mailer = mailer;
        self
    }

    /// The same service issuing and accepting `surface`'s API keys with `prefix` (the vendor's,
    /// as its dialect declares it); see [`KeyPrefixes`].
    pub fn with_key_prefix(mut self, surface: Surface, prefix: &'static str) -> Self {
        self.key_prefixes.set(surface, prefix);
        self
    }

    /// Every surface's API key prefix.
    pub fn key_prefixes(&self) -> &KeyPrefixes {
        &self.key_prefixes
    }

    /// The text `surface`'s API keys start with.
    pub fn key_prefix(&self, surface: Surface) -> &str {
        self.key_prefixes.get(surface)
    }

    /// The same service with at most `limit` password hashes or verifications at once (the
    /// default is [`PasswordWork::default_limit`]: one per core but one).
    pub fn with_password_limit(mut self, limit: usize) -> Self {
        self.passwords = PasswordWork::new(limit);
        self
    }

    /// Whether `plain` is the password of `user` (argon2 or bcrypt, verified on the blocking
    /// pool); `false` for a user without a password.
    pub async fn verify_password(&self, user: &User, plain: &str) -> bool {
        match &user.security.password_hash {
            Some(mcf) => self.passwords.verify(plain.to_owned(), mcf.clone()).await,
            None => false,
        }
    }

    /// The user whose sign-in email is `email` and whose password is `plain`; `None` otherwise
    /// (no such user, email sign-in off, no password, a wrong password). The work is the same
    /// either way: without a password to check, a fixed hash is verified instead, so the answer's
    /// time does not tell whether the email is known.
    pub async fn password_sign_in(
        &self,
        email: &str,
        plain: &str,
    ) -> Result<Option<User>, CoreError> {
        let user = self.sign_in_user_by_email(email).await?;
        let hash = match user.as_ref().and_then(|u| u.security.password_hash.clone()) {
            Some(hash) => hash,
            None => {
                self.passwords
                    .verify(plain.to_owned(), self.decoy_hash().await?)
                    .await;
                return Ok(None);
            }
        };
        let ok = self.passwords.verify(plain.to_owned(), hash).await;
        Ok(user.filter(|_| ok))
    }

    /// The user who signs in as `login` (a username, or an email when it holds `@`) with
    /// password `plain`, in good standing; `None` otherwise, after the same work either way
    /// ([`Self::password_sign_in`]; a username is matched as the unique index does, any case).
    pub async fn password_sign_in_by_login(
        &self,
        login: &str,
        plain: &str,
    ) -> Result<Option<User>, CoreError> {
        let login = login.trim();
        let found = if login.contains('@') {
            self.password_sign_in(login, plain).await?
        } else {
            let user = self.store.user_by_username(login).await?;
            let hash = match user.as_ref().and_then(|u| u.security.password_hash.clone()) {
                Some(hash) => hash,
                None => self.decoy_hash().await?,
            };
            let ok = self.passwords.verify(plain.to_owned(), hash).await;
            user.filter(|u| ok && u.security.password_hash.is_some())
        };
        Ok(found.filter(|u| u.standing() == crate::Standing::Good))
    }

    /// A hash of a random password, made once per process: what [`Self::password_sign_in`]
    /// verifies when there is no password to check.
    async fn decoy_hash(&self) -> Result<String, CoreError> {
        if let Some(hash) = self.decoy.get() {
            return Ok(hash.clone());
        }
        let hash = self.passwords.hash(credentials::random_token(24)).await?;
        Ok(self.decoy.get_or_init(|| hash).clone())
    }

    /// The store, for the core's other modules (projects).
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Checks that the store answers (readiness).
    pub async fn ping(&self) -> Result<(), CoreError> {
        Ok(self.store.ping().await?)
    }

    /// Creates a user after checking the domain invariants.
    pub async fn create_user(&self, new: NewUser) -> Result<Outcome<User>, CoreError> {
        let NewUser {
            kind,
            organization_id,
            oauth,
            mut fields,
        } = new;
        // Creation may make an anonymous user; an update may not (`check_flags`).
        let is_anonymous = fields.is_anonymous.take();
        fields.expected_version = None;
        let Some(username) = fields.username.clone() else {
            return Err(CoreError::validation(vec![FieldIssue::new(
                UserField::Username,
                IssueCode::Required,
                "is required",
            )]));
        };
        let mut notices = Vec::new();
        let mut fields = checked_patch(fields, &mut notices)?;
        let at = now();
        let mut user = User::new(UserId::new(), username, at);
        let (oauth_provider, oauth_id) = oauth.unzip();
        user.security.oauth_provider = oauth_provider;
        user.security.oauth_id = oauth_id;
        user.account.kind = kind;
        user.account.organization_id = organization_id;
        user.account.is_anonymous = is_anonymous.unwrap_or(false);
        fields.apply_to(&mut user);
        check_state(&fields, &user, &[])?;
        if let Some(Some(change)) = fields.password.take() {
            check_change(&change)?;
            user.security.password_hash = Some(hash_change(&self.passwords, change).await?);
        }
        self.store.insert_user(&user).await?;
        self.announce(|| Event::UserCreated(user.clone()));
        Ok(Outcome {
            value: user,
            notices,
        })
    }

    /// Loads a user; `NotFound` when it does not exist.
    pub async fn user(&self, id: UserId) -> Result<User, CoreError> {
        self.store
            .user(id)
            .await?
            .ok_or_else(|| CoreError::not_found("user not found"))
    }

    /// Loads a user by username; `NotFound` when absent.
    pub async fn user_by_username(&self, username: &str) -> Result<User, CoreError> {
        self.store
            .user_by_username(username)
            .await?
            .ok_or_else(|| CoreError::not_found("user not found"))
    }

    /// Lists users, oldest first: at most `limit` (1 to [`LIST_USERS_MAX`]) after skipping
    /// `offset`.
    pub async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<User>, CoreError> {
        Ok(self
            .store
            .list_users(limit.clamp(1, LIST_USERS_MAX), offset.max(0))
            .await?)
    }

    /// Applies a partial update after checking the domain invariants. Returns the new user and
    /// the notices (normalised values). A password change revokes every session of the user.
    ///
    /// The steps, each refusing before anything is written: the rules on the patch alone (every
    /// issue at once, values normalised), the rules on the user as the patch would leave it, the
    /// password (checked, then hashed off the async workers), then one store write.
    pub async fn update_user(
        &self,
        id: UserId,
        patch: UserPatch,
    ) -> Result<Outcome<User>, CoreError> {
        self.update_user_ending(id, patch, Revocation::All).await
    }

    /// [`Self::update_user`], but a password change ends the sessions `on_password` names (none,
    /// every one, or every one but the caller's). A change without a password ends none.
    pub async fn update_user_ending(
        &self,
        id: UserId,
        patch: UserPatch,
        on_password: Revocation,
    ) -> Result<Outcome<User>, CoreError> {
        let mut notices = Vec::new();
        let mut patch = checked_patch(patch, &mut notices)?;
        self.check_outcome(id, &patch).await?;
        let password_hash = match patch.password.take() {
            None => None,
            Some(None) => Some(None),
            Some(Some(change)) => {
                check_change(&change)?;
                Some(Some(hash_change(&self.passwords, change).await?))
            }
        };
        let changes = UserChanges {
            revoke_sessions: if password_hash.is_some() {
                on_password
            } else {
                Revocation::None
            },
            password_hash,
            // One address is one channel: a new primary email absorbs the other channel that
            // had it ([`crate::channels`]).
            channels: match &patch.email {
                Some(Some(email)) => vec![ChannelWrite::Remove(channel_id(id, email))],
                _ => Vec::new(),
            },
            patch,
            at: now(),
        };
        let updated = self.store.update_user(id, &changes).await;
        if changes.revoke_sessions.any() {
            self.sessions.forget_user(id);
        }
        let user = updated?.ok_or_else(|| CoreError::not_found("user not found"))?;
        self.announce(|| Event::UserUpdated(user.clone()));
        Ok(Outcome {
            value: user,
            notices,
        })
    }

    /// The rules on the user as `patch` would leave it ([`check_state`]). Reads the user (and its
    /// teams) only when the patch sets a field those rules are about.
    async fn check_outcome(&self, id: UserId, patch: &UserPatch) -> Result<(), CoreError> {
        let needs_state = patch.email_verified == Some(true)
            || patch.email_auth_enabled == Some(true)
            || patch.phone_number_verified == Some(true)
            || matches!(patch.selected_team_id, Some(Some(_)));
        if !needs_state {
            return Ok(());
        }
        let mut after = self.user(id).await?;
        patch.apply_to(&mut after);
        let teams = if matches!(patch.selected_team_id, Some(Some(_))) {
            self.store.memberships(id).await?
        } else {
            Vec::new()
        };
        check_state(patch, &after, &teams)
    }

    /// Deletes a user everywhere: its sessions, keys and memberships go with it, so every
    /// credential of the user is refused afterwards.
    pub async fn delete_user(&self, id: UserId) -> Result<(), CoreError> {
        // The teams it leaves are part of the announcement: read before they are gone.
        let teams = if self.announcing() {
            self.store.memberships(id).await?
        } else {
            Vec::new()
        };
        let deleted = self.store.delete_user(id).await;
        self.sessions.forget_user(id);
        if deleted? {
            for m in &teams {
                self.announce(|| Event::MembershipDeleted {
                    team_id: m.team.id,
                    user_id: id,
                });
            }
            self.announce(|| Event::UserDeleted {
                id,
                teams: teams.iter().map(|m| m.team.id).collect(),
            });
            Ok(())
        } else {
            Err(CoreError::not_found("user not found"))
        }
    }

    /// Issues an API key for `surface` owned by `user_id`. The returned text is shown once.
    pub async fn issue_api_key(
        &self,
        user_id: UserId,
        surface: Surface,
        label: Option<String>,
    ) -> Result<(ApiKey, GeneratedKey), CoreError> {
        let generated = credentials::generate_api_key(self.key_prefix(surface));
        let key = NewApiKey {
            id: generated.id.clone(),
            user_id,
            surface,
            secret_hash: generated.secret_hash.clone(),
            label,
            created_at: now(),
            expires_at: None,
            is_public: false,
            hint: None,
        };
        self.store.insert_api_key(&key).await?;
        Ok((key.into_api_key(), generated))
    }

    /// Resolves an API key presented to `surface` to its owner. Unknown, malformed, revoked or
    /// foreign keys, and keys of deleted users, are `Unauthenticated`.
    pub async fn authenticate_api_key(
        &self,
        surface: Surface,
        text: &str,
    ) -> Result<(ApiKey, User), CoreError> {
        let refused = || CoreError::unauthenticated("invalid API key");
        let (id, secret) =
            credentials::parse_api_key(self.key_prefix(surface), text).ok_or_else(refused)?;
        let key = self.store.api_key(id).await?.ok_or_else(refused)?;
        if key.surface != surface
            || !key.is_active_at(now())
            || !credentials::constant_time_eq(&key.secret_hash, &credentials::sha256_hex(secret))
        {
            return Err(refused());
        }
        let user = self.store.user(key.user_id).await?.ok_or_else(refused)?;
        Ok((key, user))
    }

    /// Stores a key whose text a dialect made in its vendor's format: the whole text is the
    /// secret (its SHA-256 is stored, and its last four characters as the hint). The owner must
    /// exist (`NotFound`).
    pub async fn store_api_key(&self, spec: crate::KeySpec) -> Result<ApiKey, CoreError> {
        let crate::KeySpec {
            id,
            user_id,
            surface,
            text,
            label,
            expires_at,
            is_public,
        } = spec;
        self.user(user_id).await?;
        let hint = text
            .char_indices()
            .rev()
            .nth(3)
            .map(|(i, _)| text[i..].to_owned());
        let key = NewApiKey {
            id,
            user_id,
            surface,
            secret_hash: credentials::sha256_hex(&text),
            label,
            created_at: now(),
            expires_at,
            is_public,
            hint,
        };
        self.store.insert_api_key(&key).await?;
        Ok(key.into_api_key())
    }

    /// An API key by id (`NotFound` when there is none).
    pub async fn api_key(&self, id: &str) -> Result<ApiKey, CoreError> {
        self.store
            .api_key(id)
            .await?
            .ok_or_else(|| CoreError::not_found("api key not found"))
    }

    /// The key `id` if `text` is its whole secret (a key stored by [`Self::store_api_key`]),
    /// compared in constant time; revoked and expired keys are returned too (the caller says why
    /// they do not work).
    pub async fn api_key_by_text(&self, id: &str, text: &str) -> Result<Option<ApiKey>, CoreError> {
        Ok(self.store.api_key(id).await?.filter(|k| {
            credentials::constant_time_eq(&k.secret_hash, &credentials::sha256_hex(text))
        }))
    }

    /// Changes an API key in one write: a new label (when given) and a revocation (when asked
    /// and not revoked already: the first revocation's time stays). The key after.
    pub async fn update_api_key(
        &self,
        id: &str,
        label: Option<String>,
        revoke: bool,
    ) -> Result<ApiKey, CoreError> {
        self.store
            .update_api_key(id, label, revoke.then(now))
            .await?
            .ok_or_else(|| CoreError::not_found("api key not found"))
    }

    /// Revokes an API key.
    pub async fn revoke_api_key(&self, id: &str) -> Result<(), CoreError> {
        if self.store.revoke_api_key(id, now()).await? {
            Ok(())
        } else {
            Err(CoreError::not_found("api key not found"))
        }
    }

    /// Lists the API keys of a user.
    pub async fn api_keys_of(&self, user_id: UserId) -> Result<Vec<ApiKey>, CoreError> {
        Ok(self.store.api_keys_of(user_id).await?)
    }

    /// Opens a session (a refresh token) for `surface`, valid for `ttl`.
    pub async fn open_session(
        &self,
        user_id: UserId,
        surface: Surface,
        ttl: Duration,
    ) -> Result<IssuedSession, CoreError> {
        let refresh_token = credentials::random_token(32);
        let at = now();
        let new = NewSession {
            id: Uuid::new_v4(),
            user_id,
            surface,
            refresh_token_hash: credentials::sha256_hex(&refresh_token),
            created_at: at,
            expires_at: expiry(at, ttl, "ttl_secs")?,
            is_impersonation: false,
        };
        self.store.insert_session(&new).await?;
        Ok(IssuedSession {
            session: new.into_session(),
            refresh_token,
        })
    }

    /// Resolves a refresh token presented to `surface` and records its use (`last_used_at`):
    /// unknown, expired, revoked or foreign tokens, and tokens of deleted users, are
    /// `Unauthenticated`.
    pub async fn resume_session(
        &self,
        surface: Surface,
        refresh_token: &str,
    ) -> Result<(Session, User), CoreError> {
        let (session, user) = self.live_session(surface, refresh_token).await?;
        self.touched(session, user).await
    }

    /// [`Self::resume_session`] without recording a use: which live session a refresh token
    /// names (for a request that only needs to know it, as a password update that keeps it).
    pub async fn live_session(
        &self,
        surface: Surface,
        refresh_token: &str,
    ) -> Result<(Session, User), CoreError> {
        let refused = || CoreError::unauthenticated("refresh token not found or expired");
        let session = self
            .store
            .session_by_refresh_hash(&credentials::sha256_hex(refresh_token))
            .await?
            .ok_or_else(refused)?;
        if session.surface != surface || session.revoked_at.is_some() || session.expires_at <= now()
        {
            return Err(refused());
        }
        let user = self
            .store
            .user(session.user_id)
            .await?
            .ok_or_else(refused)?;
        Ok((session, user))
    }

    /// Records that `session` was used now.
    pub(crate) async fn touched(
        &self,
        session: Session,
        user: User,
    ) -> Result<(Session, User), CoreError> {
        let at = now();
        self.store.touch_session(session.id, at).await?;
        Ok((
            Session {
                last_used_at: at,
                ..session
            },
            user,
        ))
    }

    /// Whether session `id` exists, is not revoked and has not expired: an access token carrying
    /// it is good only while this holds (its user's sign-out, password change, deletion or an
    /// admin revocation ends it).
    ///
    /// A session seen active within `session_cache::TRUST` is not read again; revocations
    /// through this instance take effect at once, through another within that bound.
    pub async fn session_is_active(&self, id: Uuid) -> Result<bool, CoreError> {
        let seen_at = std::time::Instant::now();
        if self.sessions.fresh(id, seen_at) {
            return Ok(true);
        }
        let now = now();
        match self.store.session(id).await? {
            Some(s) if s.revoked_at.is_none() && s.expires_at > now => {
                self.sessions.remember(id, s.user_id, seen_at);
                Ok(true)
            }
            _ => {
                self.sessions.forget(id);
                Ok(false)
            }
        }
    }

    /// Revokes one session.
    pub async fn revoke_session(&self, id: Uuid) -> Result<bool, CoreError> {
        self.sessions.forget(id);
        let revoked = self.store.revoke_session(id, now()).await?;
        self.sessions.forget(id);
        Ok(revoked)
    }

    /// Revokes every session of a user.
    pub async fn revoke_sessions(&self, user_id: UserId) -> Result<u64, CoreError> {
        let revoked = self.store.revoke_sessions(user_id, now()).await?;
        self.sessions.forget_user(user_id);
        Ok(revoked)
    }

    /// The number of the user's unrevoked, unexpired sessions.
    pub async fn active_sessions(&self, user_id: UserId) -> Result<i64, CoreError> {
        Ok(self.store.count_active_sessions(user_id, now()).await?)
    }

    /// The value of a named secret shared by every instance on this database (generated with
    /// `generate` on first use).
    pub async fn shared_secret(
        &self,
        name: &str,
        generate: impl FnOnce() -> String,
    ) -> Result<String, CoreError> {
        Ok(self.store.secret(name, &generate()).await?)
    }

    /// Deletes every user, team, session and key.
    pub async fn reset(&self) -> Result<(), CoreError> {
        Ok(self.store.reset().await?)
    }
}

impl CoreError {
    /// Adds a field issue to an error of any kind (e.g. which field a not-found refers to).
    pub fn with_issue(mut self, issue: FieldIssue) -> Self {
        self.push_issue(issue);
        self
    }
}

/// The rules on a user as `patch` leaves it (`after`; `teams` are its memberships): a verified
/// or sign-in email needs an email, a verified phone number a number, and the selected team must
/// be one of the user's.
fn check_state(patch: &UserPatch, after: &User, teams: &[TeamMembership]) -> Result<(), CoreError> {
    let mut issues = Vec::new();
    for (flag, field) in [
        (patch.email_verified, UserField::EmailVerified),
        (patch.email_auth_enabled, UserField::EmailAuthEnabled),
    ] {
        if flag == Some(true) && after.identity.email.is_none() {
            issues.push(FieldIssue::new(
                field,
                IssueCode::NotAllowed,
                "cannot be true without a primary email",
            ));
        }
    }
    if patch.phone_number_verified == Some(true) && after.profile.phone_number.is_none() {
        issues.push(FieldIssue::new(
            UserField::PhoneNumberVerified,
            IssueCode::NotAllowed,
            "cannot be true without a phone number",
        ));
    }
    if let Some(Some(team_id)) = patch.selected_team_id
        && !teams.iter().any(|m| m.team.id == team_id)
    {
        return Err(CoreError::new(
            ErrorKind::NotFound,
            format!("user {} is not found in team {team_id}", after.id),
        )
        .with_issue(FieldIssue::new(
            UserField::SelectedTeamId,
            IssueCode::NotAllowed,
            "the user is not a member of this team",
        )));
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(CoreError::validation(issues))
    }
}

/// The rules on a patch alone, in the order their issues are reported: no NUL in any text,
/// then identities, profile values and flags. Returns the patch with its values normalised, or
/// every issue at once.
fn checked_patch(mut patch: UserPatch, notices: &mut Vec<Notice>) -> Result<UserPatch, CoreError> {
    let mut issues = patch.nul_issues();
    normalize_identities(&mut patch, notices, &mut issues);
    normalize_profile(&mut patch, notices, &mut issues);
    check_flags(&mut patch, &mut issues);
    if issues.is_empty() {
        Ok(patch)
    } else {
        Err(CoreError::validation(issues))
    }
}

/// A new username is trimmed and checked; a new email is trimmed, lower-cased and checked
/// (`Some(None)`, clearing it, passes through).
fn normalize_identities(
    patch: &mut UserPatch,
    notices: &mut Vec<Notice>,
    issues: &mut Vec<FieldIssue>,
) {
    if let Some(username) = patch.username.take() {
        let username = normalize_username(&username, notices);
        if let Err(i) = validate::username(&username) {
            issues.push(i);
        }
        patch.username = Some(username);
    }
    patch.email = match patch.email.take() {
        Some(Some(email)) => Some(Some(normalize_email(&email, notices, issues))),
        other => other,
    };
}

/// A new locale is put in canonical case (with a notice when that changed it), a new country
/// code in upper case; a time zone and a phone number are checked as they are.
fn normalize_profile(
    patch: &mut UserPatch,
    notices: &mut Vec<Notice>,
    issues: &mut Vec<FieldIssue>,
) {
    if let Some(Some(locale)) = &patch.locale {
        match validate::locale(locale) {
            Ok(canonical) => {
                if &canonical != locale {
                    notices.push(Notice {
                        field: UserField::Locale.into(),
                        code: "normalized",
                        message: format!("locale was normalised to {canonical}"),
                    });
                }
                patch.locale = Some(Some(canonical));
            }
            Err(i) => issues.push(i),
        }
    }
    if let Some(Some(tz)) = &patch.timezone
        && let Err(i) = validate::timezone(tz)
    {
        issues.push(i);
    }
    if let Some(Some(phone)) = &patch.phone_number
        && let Err(i) = validate::phone_number(phone)
    {
        issues.push(i);
    }
    if let Some(Some(cc)) = &patch.country_code {
        match validate::country_code(cc) {
            Ok(code) => patch.country_code = Some(Some(code)),
            Err(i) => issues.push(i),
        }
    }
}

/// Risk scores are 0-100, no user becomes anonymous, lifting an admin restriction clears its
/// reason and details, and a new (or no) phone number is unverified unless the same patch says
/// otherwise.
fn check_flags(patch: &mut UserPatch, issues: &mut Vec<FieldIssue>) {
    if let Some((bot, abuse)) = patch.risk_scores
        && !((0..=100).contains(&bot) && (0..=100).contains(&abuse))
    {
        issues.push(FieldIssue::new(
            UserField::RiskScores,
            IssueCode::InvalidFormat,
            "scores must be integers from 0 to 100",
        ));
    }
    if patch.is_anonymous == Some(true) {
        issues.push(FieldIssue::new(
            UserField::IsAnonymous,
            IssueCode::NotAllowed,
            "a user cannot become anonymous",
        ));
    }
    if patch.phone_number.is_some() && patch.phone_number_verified.is_none() {
        patch.phone_number_verified = Some(false);
    }
    if patch.restricted_by_admin == Some(false) {
        patch.restricted_by_admin_reason = Some(None);
        patch.restricted_by_admin_private_details = Some(None);
    }
}

/// Refuses an empty plain password or an unsupported hash; cheap, so it runs before the other
/// checks answer (as it always did) and before any hashing.
fn check_change(change: &PasswordChange) -> Result<(), CoreError> {
    match change {
        PasswordChange::Plain(plain) if plain.is_empty() => {
            Err(CoreError::validation(vec![FieldIssue::new(
                UserField::Password,
                IssueCode::Required,
                "must not be empty",
            )]))
        }
        PasswordChange::Plain(_) => Ok(()),
        PasswordChange::Hash(mcf) => {
            credentials::check_password_hash(mcf).map_err(|i| CoreError::validation(vec![i]))
        }
    }
}

/// The hash to store for a checked change: argon2id of a plain password (on the blocking pool),
/// or the given hash.
async fn hash_change(work: &PasswordWork, change: PasswordChange) -> Result<String, CoreError> {
    match change {
        PasswordChange::Plain(plain) => work.hash(plain).await,
        PasswordChange::Hash(mcf) => Ok(mcf),
    }
}

fn normalize_username(value: &str, notices: &mut Vec<Notice>) -> String {
    let trimmed = value.trim();
    if trimmed != value {
        notices.push(Notice {
            field: UserField::Username.into(),
            code: "trimmed",
            message: "surrounding whitespace was removed from the username".into(),
        });
    }
    trimmed.to_owned()
}

fn normalize_email(value: &str, notices: &mut Vec<Notice>, issues: &mut Vec<FieldIssue>) -> String {
    let normalized = validate::normalize_email(value);
    if let Err(i) = validate::email(&normalized) {
        issues.push(i);
    } else if normalized != value {
        notices.push(Notice {
            field: UserField::Email.into(),
            code: "normalized",
            message: format!("email was normalised to {normalized}"),
        });
    }
    normalized
}

#[cfg(test)]
mod tests {
    //! The update rules of [`Gateway::update_user`] as one table, run on the in-memory store.

    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::{
        MetadataTiers, PasswordChange, Team, TeamRole, TeamStore, UserStore,
        testing::{MemoryStore, memory_gateway},
    };

    /// The team the subject belongs to.
    const MINE: Uuid = Uuid::from_u128(0x1111);
    /// A team it does not belong to.
    const OTHER: Uuid = Uuid::from_u128(0x2222);
    /// The version of every starting user: created (1), then given its starting state (2).
    const START_VERSION: i64 = 2;

    /// Whose update a case is.
    #[derive(Clone, Copy)]
    enum Who {
        /// The subject: `subject`, `subject@example.com`, a bcrypt password, a member of [`MINE`],
        /// one active session, then the case's starting state.
        Subject,
        /// An id no user has.
        Nobody,
    }

    /// The password a successful case leaves.
    #[derive(Clone, Copy)]
    enum Password {
        /// Unchanged (and the session stays active).
        Kept,
        /// Removed (sessions revoked).
        Removed,
        /// Hashed from this plain text (sessions revoked).
        Plain(&'static str),
        /// This imported hash (sessions revoked).
        Hash(&'static str),
    }

    enum Expect {
        /// Written: the starting user with `want` applied (plus the next version and the time of
        /// the change), the password as said, these notices (by field, in order).
        Applied {
            want: Box<UserPatch>,
            password: Password,
            notices: &'static [&'static str],
        },
        /// Refused with this kind and these issue fields (in order); nothing written.
        Refused(ErrorKind, &'static [&'static str]),
    }

    struct Case {
        name: &'static str,
        who: Who,
        start: UserPatch,
        patch: UserPatch,
        expect: Expect,
    }

    const BCRYPT_A: &str = "$2b$04$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const BCRYPT_B: &str = "$2b$04$bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn applied(want: UserPatch) -> Expect {
        Expect::Applied {
            want: Box::new(want),
            password: Password::Kept,
            notices: &[],
        }
    }

    fn noticed(want: UserPatch, notices: &'static [&'static str]) -> Expect {
        Expect::Applied {
            want: Box::new(want),
            password: Password::Kept,
            notices,
        }
    }

    /// Applied with no other change than the password.
    fn password(password: Password) -> Expect {
        Expect::Applied {
            want: Box::default(),
            password,
            notices: &[],
        }
    }

    fn refused(kind: ErrorKind, fields: &'static [&'static str]) -> Expect {
        Expect::Refused(kind, fields)
    }

    fn text(v: &str) -> Option<Option<String>> {
        Some(Some(v.to_owned()))
    }

    fn case(name: &'static str, patch: UserPatch, expect: Expect) -> Case {
        Case {
            name,
            who: Who::Subject,
            start: UserPatch::default(),
            patch,
            expect,
        }
    }

    fn from(start: UserPatch, case: Case) -> Case {
        Case { start, ..case }
    }

    fn no_email() -> UserPatch {
        UserPatch {
            email: Some(None),
            ..UserPatch::default()
        }
    }

    fn cases() -> Vec<Case> {
        use ErrorKind::{Conflict, NotFound, PreconditionFailed, Validation};
        let p = UserPatch::default;
        vec![
            // Rules on the patch alone: normalisation and format.
            case(
                "an empty patch changes nothing but the version",
                p(),
                applied(p()),
            ),
            case(
                "a username is trimmed, with a notice",
                UserPatch {
                    username: Some(" new_name ".into()),
                    ..p()
                },
                noticed(
                    UserPatch {
                        username: Some("new_name".into()),
                        ..p()
                    },
                    &["username"],
                ),
            ),
            case(
                "a username may be an email address",
                UserPatch {
                    username: Some("me@example.net".into()),
                    ..p()
                },
                applied(UserPatch {
                    username: Some("me@example.net".into()),
                    ..p()
                }),
            ),
            case(
                "the own username in another case is no conflict",
                UserPatch {
                    username: Some("Subject".into()),
                    ..p()
                },
                applied(UserPatch {
                    username: Some("Subject".into()),
                    ..p()
                }),
            ),
            case(
                "a username with a space is refused",
                UserPatch {
                    username: Some("bad name".into()),
                    ..p()
                },
                refused(Validation, &["username"]),
            ),
            case(
                "a blank username is refused",
                UserPatch {
                    username: Some("   ".into()),
                    ..p()
                },
                refused(Validation, &["username"]),
            ),
            case(
                "a username of 51 characters is refused",
                UserPatch {
                    username: Some("u".repeat(51)),
                    ..p()
                },
                refused(Validation, &["username"]),
            ),
            case(
                "an email is trimmed and lower-cased, with a notice",
                UserPatch {
                    email: text(" New@Example.COM "),
                    ..p()
                },
                noticed(
                    UserPatch {
                        email: text("new@example.com"),
                        ..p()
                    },
                    &["email"],
                ),
            ),
            case(
                "an email without a dot in its domain is refused",
                UserPatch {
                    email: text("a@localhost"),
                    ..p()
                },
                refused(Validation, &["email"]),
            ),
            case(
                "a malformed email is refused",
                UserPatch {
                    email: text("not-an-email"),
                    ..p()
                },
                refused(Validation, &["email"]),
            ),
            case("an email can be cleared", no_email(), applied(no_email())),
            case(
                "a locale is put in canonical case, with a notice",
                UserPatch {
                    locale: text("en-us"),
                    ..p()
                },
                noticed(
                    UserPatch {
                        locale: text("en-US"),
                        ..p()
                    },
                    &["locale"],
                ),
            ),
            case(
                "a canonical locale gets no notice",
                UserPatch {
                    locale: text("fr-FR"),
                    ..p()
                },
                applied(UserPatch {
                    locale: text("fr-FR"),
                    ..p()
                }),
            ),
            case(
                "a malformed locale is refused",
                UserPatch {
                    locale: text("english_US"),
                    ..p()
                },
                refused(Validation, &["locale"]),
            ),
            case(
                "an IANA time zone is kept",
                UserPatch {
                    timezone: text("Europe/Amsterdam"),
                    ..p()
                },
                applied(UserPatch {
                    timezone: text("Europe/Amsterdam"),
                    ..p()
                }),
            ),
            case(
                "an unknown time zone is refused",
                UserPatch {
                    timezone: text("Mars/Olympus"),
                    ..p()
                },
                refused(Validation, &["timezone"]),
            ),
            case(
                "a phone number in E.164 form is kept",
                UserPatch {
                    phone_number: text("+31201234567"),
                    ..p()
                },
                applied(UserPatch {
                    phone_number: text("+31201234567"),
                    ..p()
                }),
            ),
            case(
                "a phone number not in E.164 form is refused",
                UserPatch {
                    phone_number: text("0201234567"),
                    ..p()
                },
                refused(Validation, &["phone_number"]),
            ),
            case(
                "a verified phone number needs a number: the user has none",
                UserPatch {
                    phone_number_verified: Some(true),
                    ..p()
                },
                refused(Validation, &["phone_number_verified"]),
            ),
            case(
                "a phone number and its verification in one patch",
                UserPatch {
                    phone_number: text("+31201234567"),
                    phone_number_verified: Some(true),
                    ..p()
                },
                applied(UserPatch {
                    phone_number: text("+31201234567"),
                    phone_number_verified: Some(true),
                    ..p()
                }),
            ),
            from(
                UserPatch {
                    phone_number: text("+31201234567"),
                    phone_number_verified: Some(true),
                    ..p()
                },
                case(
                    "a new phone number is unverified unless the patch says so",
                    UserPatch {
                        phone_number: text("+31209876543"),
                        ..p()
                    },
                    applied(UserPatch {
                        phone_number: text("+31209876543"),
                        phone_number_verified: Some(false),
                        ..p()
                    }),
                ),
            ),
            case(
                "a country code is trimmed and upper-cased",
                UserPatch {
                    country_code: text(" nl "),
                    ..p()
                },
                applied(UserPatch {
                    country_code: text("NL"),
                    ..p()
                }),
            ),
            case(
                "a three-letter country code is refused",
                UserPatch {
                    country_code: text("NLD"),
                    ..p()
                },
                refused(Validation, &["country_code"]),
            ),
            case(
                "risk scores at the bounds are kept",
                UserPatch {
                    risk_scores: Some((0, 100)),
                    ..p()
                },
                applied(UserPatch {
                    risk_scores: Some((0, 100)),
                    ..p()
                }),
            ),
            case(
                "a risk score over 100 is refused",
                UserPatch {
                    risk_scores: Some((101, 0)),
                    ..p()
                },
                refused(Validation, &["risk_scores"]),
            ),
            case(
                "a negative risk score is refused",
                UserPatch {
                    risk_scores: Some((0, -1)),
                    ..p()
                },
                refused(Validation, &["risk_scores"]),
            ),
            case(
                "a NUL in a text is refused",
                UserPatch {
                    display_name: text("a\0b"),
                    ..p()
                },
                refused(Validation, &["display_name"]),
            ),
            case(
                "a NUL in a metadata key is refused",
                UserPatch {
                    client_metadata: Some(Some(json!({"k\u{0}": 1}))),
                    ..p()
                },
                refused(Validation, &["client_metadata"]),
            ),
            case(
                "metadata is written whole",
                UserPatch {
                    server_metadata: Some(Some(json!({"plan": "pro"}))),
                    ..p()
                },
                applied(UserPatch {
                    server_metadata: Some(Some(json!({"plan": "pro"}))),
                    ..p()
                }),
            ),
            case(
                "every issue of the patch at once: NUL checks first, then in field order",
                UserPatch {
                    username: Some("bad name".into()),
                    email: text("nope"),
                    locale: text("english_US"),
                    timezone: text("Mars/Olympus"),
                    bio: text("\0"),
                    ..p()
                },
                refused(
                    Validation,
                    &["bio", "username", "email", "locale", "timezone"],
                ),
            ),
            // Flags.
            case(
                "no user becomes anonymous",
                UserPatch {
                    is_anonymous: Some(true),
                    ..p()
                },
                refused(Validation, &["is_anonymous"]),
            ),
            from(
                UserPatch {
                    is_anonymous: Some(true),
                    ..p()
                },
                case(
                    "an anonymous user may stop being one",
                    UserPatch {
                        is_anonymous: Some(false),
                        ..p()
                    },
                    applied(UserPatch {
                        is_anonymous: Some(false),
                        ..p()
                    }),
                ),
            ),
            case(
                "a restriction is set with its reason",
                UserPatch {
                    restricted_by_admin: Some(true),
                    restricted_by_admin_reason: text("spam"),
                    ..p()
                },
                applied(UserPatch {
                    restricted_by_admin: Some(true),
                    restricted_by_admin_reason: text("spam"),
                    ..p()
                }),
            ),
            from(
                UserPatch {
                    restricted_by_admin: Some(true),
                    restricted_by_admin_reason: text("spam"),
                    restricted_by_admin_private_details: text("ticket 7"),
                    ..p()
                },
                case(
                    "lifting a restriction clears its reason and details",
                    UserPatch {
                        restricted_by_admin: Some(false),
                        ..p()
                    },
                    applied(UserPatch {
                        restricted_by_admin: Some(false),
                        restricted_by_admin_reason: Some(None),
                        restricted_by_admin_private_details: Some(None),
                        ..p()
                    }),
                ),
            ),
            // Rules on the user as the patch leaves it.
            case(
                "a verified email needs an email: the user has one",
                UserPatch {
                    email_verified: Some(true),
                    ..p()
                },
                applied(UserPatch {
                    email_verified: Some(true),
                    ..p()
                }),
            ),
            from(
                no_email(),
                case(
                    "a verified email needs an email: the user has none",
                    UserPatch {
                        email_verified: Some(true),
                        ..p()
                    },
                    refused(Validation, &["email_verified"]),
                ),
            ),
            from(
                no_email(),
                case(
                    "a verified email needs an email: the patch brings one",
                    UserPatch {
                        email: text("new@example.com"),
                        email_verified: Some(true),
                        ..p()
                    },
                    applied(UserPatch {
                        email: text("new@example.com"),
                        email_verified: Some(true),
                        ..p()
                    }),
                ),
            ),
            case(
                "a verified email needs an email: the patch clears it",
                UserPatch {
                    email: Some(None),
                    email_verified: Some(true),
                    ..p()
                },
                refused(Validation, &["email_verified"]),
            ),
            case(
                "an unverified email needs nothing",
                UserPatch {
                    email: Some(None),
                    email_verified: Some(false),
                    ..p()
                },
                applied(UserPatch {
                    email: Some(None),
                    email_verified: Some(false),
                    ..p()
                }),
            ),
            from(
                no_email(),
                case(
                    "both email flags without an email are both named",
                    UserPatch {
                        email_verified: Some(true),
                        email_auth_enabled: Some(true),
                        ..p()
                    },
                    refused(Validation, &["email_verified", "email_auth_enabled"]),
                ),
            ),
            case(
                "the selected team is one of the user's",
                UserPatch {
                    selected_team_id: Some(Some(MINE)),
                    ..p()
                },
                applied(UserPatch {
                    selected_team_id: Some(Some(MINE)),
                    ..p()
                }),
            ),
            case(
                "a team the user is not in cannot be selected",
                UserPatch {
                    selected_team_id: Some(Some(OTHER)),
                    ..p()
                },
                refused(NotFound, &["selected_team_id"]),
            ),
            from(
                UserPatch {
                    selected_team_id: Some(Some(MINE)),
                    ..p()
                },
                case(
                    "the selection can be cleared",
                    UserPatch {
                        selected_team_id: Some(None),
                        ..p()
                    },
                    applied(UserPatch {
                        selected_team_id: Some(None),
                        ..p()
                    }),
                ),
            ),
            from(
                no_email(),
                case(
                    "a foreign team is refused before the email flags are reported",
                    UserPatch {
                        email_verified: Some(true),
                        selected_team_id: Some(Some(OTHER)),
                        ..p()
                    },
                    refused(NotFound, &["selected_team_id"]),
                ),
            ),
            case(
                "issues of the patch come before any rule on the user",
                UserPatch {
                    username: Some("bad name".into()),
                    selected_team_id: Some(Some(OTHER)),
                    ..p()
                },
                refused(Validation, &["username"]),
            ),
            // Rules the store holds.
            case(
                "a username taken in another letter case conflicts",
                UserPatch {
                    username: Some("OTHER@example.org".into()),
                    ..p()
                },
                refused(Conflict, &["username"]),
            ),
            case(
                "a username equal to another user's email conflicts",
                UserPatch {
                    username: Some("Taken@Example.com".into()),
                    ..p()
                },
                refused(Conflict, &["username"]),
            ),
            case(
                "an email taken in another letter case conflicts",
                UserPatch {
                    email: text("TAKEN@example.com"),
                    ..p()
                },
                refused(Conflict, &["email"]),
            ),
            case(
                "an email equal to another user's username conflicts",
                UserPatch {
                    email: text("other@example.org"),
                    ..p()
                },
                refused(Conflict, &["email"]),
            ),
            case(
                "the current version as expected version applies",
                UserPatch {
                    bio: text("hi"),
                    expected_version: Some(START_VERSION),
                    ..p()
                },
                applied(UserPatch {
                    bio: text("hi"),
                    ..p()
                }),
            ),
            case(
                "an older expected version is refused",
                UserPatch {
                    bio: text("hi"),
                    expected_version: Some(START_VERSION - 1),
                    ..p()
                },
                refused(PreconditionFailed, &[]),
            ),
            Case {
                who: Who::Nobody,
                ..case(
                    "a user that does not exist is not found",
                    UserPatch {
                        bio: text("hi"),
                        ..p()
                    },
                    refused(NotFound, &[]),
                )
            },
            Case {
                who: Who::Nobody,
                ..case(
                    "a user that does not exist is not found by the rules on the user either",
                    UserPatch {
                        email_verified: Some(true),
                        ..p()
                    },
                    refused(NotFound, &[]),
                )
            },
            // The password.
            case(
                "a new plain password is hashed and revokes the sessions",
                UserPatch {
                    password: Some(Some(PasswordChange::Plain("correct horse".into()))),
                    ..p()
                },
                password(Password::Plain("correct horse")),
            ),
            case(
                "an imported bcrypt hash is kept as it is and revokes the sessions",
                UserPatch {
                    password: Some(Some(PasswordChange::Hash(BCRYPT_B.into()))),
                    ..p()
                },
                password(Password::Hash(BCRYPT_B)),
            ),
            case(
                "removing the password revokes the sessions",
                UserPatch {
                    password: Some(None),
                    ..p()
                },
                password(Password::Removed),
            ),
            case(
                "an empty password is refused",
                UserPatch {
                    password: Some(Some(PasswordChange::Plain(String::new()))),
                    ..p()
                },
                refused(Validation, &["password"]),
            ),
            case(
                "an unsupported hash is refused",
                UserPatch {
                    password: Some(Some(PasswordChange::Hash("md5$abc".into()))),
                    ..p()
                },
                refused(Validation, &["password_hash"]),
            ),
            case(
                "the password is checked after the rules on the user",
                UserPatch {
                    password: Some(Some(PasswordChange::Plain(String::new()))),
                    selected_team_id: Some(Some(OTHER)),
                    ..p()
                },
                refused(NotFound, &["selected_team_id"]),
            ),
        ]
    }

    /// A gateway on a fresh store holding the teams, another user (`other@example.org`,
    /// `taken@example.com`) and the subject in its starting state.
    async fn fixture(start: &UserPatch) -> (Arc<MemoryStore>, Gateway, User) {
        let (store, gateway) = memory_gateway();
        for (id, name) in [(MINE, "mine"), (OTHER, "other")] {
            let team = Team {
                id,
                display_name: name.into(),
                profile_image_url: None,
                metadata: MetadataTiers::default(),
                created_at: now(),
            };
            store.insert_team(&team, None).await.unwrap();
        }
        let mut other = NewUser::regular("other@example.org");
        other.fields.email = Some(Some("taken@example.com".into()));
        gateway.create_user(other).await.unwrap();
        let mut subject = NewUser::regular("subject");
        subject.fields.email = Some(Some("subject@example.com".into()));
        subject.fields.password = Some(Some(PasswordChange::Hash(BCRYPT_A.into())));
        let id = gateway.create_user(subject).await.unwrap().value.id;
        gateway
            .add_member(MINE, id, TeamRole::Member)
            .await
            .unwrap();
        gateway
            .open_session(id, Surface::Me, Duration::hours(1))
            .await
            .unwrap();
        // The starting state is written as it is, without the core's rules.
        let changes = UserChanges {
            patch: start.clone(),
            at: now(),
            ..UserChanges::default()
        };
        let user = store.update_user(id, &changes).await.unwrap().unwrap();
        assert_eq!(user.version, START_VERSION);
        (store, gateway, user)
    }

    /// How `case` went wrong, if it did.
    async fn run(case: Case) -> Option<String> {
        let (store, gateway, start) = fixture(&case.start).await;
        let id = match case.who {
            Who::Subject => start.id,
            Who::Nobody => UserId::new(),
        };
        let result = gateway.update_user(id, case.patch).await;
        let stored = store.user(start.id).await.unwrap();
        let sessions = gateway.active_sessions(start.id).await.unwrap();
        match (case.expect, result) {
            (
                Expect::Applied {
                    want,
                    password,
                    notices,
                },
                Ok(out),
            ) => {
                let got = out.value;
                let hash = match password {
                    Password::Kept => None,
                    Password::Removed => Some(None),
                    Password::Hash(h) => Some(Some(h.to_owned())),
                    Password::Plain(plain) => {
                        if !gateway.verify_password(&got, plain).await {
                            return Some("the new password does not verify".into());
                        }
                        Some(got.security.password_hash.clone())
                    }
                };
                let revoked = if hash.is_some() {
                    Revocation::All
                } else {
                    Revocation::None
                };
                let mut expected = start.clone();
                UserChanges {
                    patch: *want,
                    password_hash: hash,
                    revoke_sessions: revoked,
                    at: got.timestamps.updated_at,
                    channels: Vec::new(),
                }
                .apply_to(&mut expected);
                let noticed: Vec<&str> = out.notices.iter().map(|n| n.field.as_str()).collect();
                if got != expected {
                    Some(format!("got {got:#?}\nwant {expected:#?}"))
                } else if stored.as_ref() != Some(&got) {
                    Some(format!("stored {stored:#?}"))
                } else if noticed != notices {
                    Some(format!("notices {noticed:?}, want {notices:?}"))
                } else if sessions != i64::from(!revoked.any()) {
                    Some(format!("{sessions} active sessions (revoked: {revoked:?})"))
                } else {
                    None
                }
            }
            (Expect::Refused(kind, fields), Err(e)) => {
                let named: Vec<&str> = e.issues().iter().map(|i| i.field.as_str()).collect();
                if (e.kind(), named.as_slice()) != (kind, fields) {
                    Some(format!(
                        "refused {:?} {named:?}, want {kind:?} {fields:?}: {e}",
                        e.kind()
                    ))
                } else if stored.as_ref() != Some(&start) || sessions != 1 {
                    Some("a refused update wrote something".into())
                } else {
                    None
                }
            }
            (Expect::Applied { .. }, Err(e)) => Some(format!("refused: {e}")),
            (Expect::Refused(kind, _), Ok(out)) => {
                Some(format!("applied, want {kind:?}: {:#?}", out.value))
            }
        }
    }

    /// A session is active until it is revoked, its user's password changes or its user is
    /// deleted, and each of these is seen at once through the session cache.
    #[tokio::test]
    async fn sessions_end_with_revocation_password_change_and_deletion() {
        let (_, gateway) = memory_gateway();
        let user = gateway
            .create_user(NewUser::regular("kim"))
            .await
            .unwrap()
            .value;
        let open = || gateway.open_session(user.id, Surface::Me, Duration::hours(1));
        let (a, b, c) = (
            open().await.unwrap(),
            open().await.unwrap(),
            open().await.unwrap(),
        );
        for s in [&a, &b, &c] {
            assert!(gateway.session_is_active(s.session.id).await.unwrap());
        }
        assert!(gateway.revoke_session(a.session.id).await.unwrap());
        assert!(!gateway.revoke_session(a.session.id).await.unwrap(), "once");
        assert!(!gateway.session_is_active(a.session.id).await.unwrap());
        assert_eq!(gateway.active_sessions(user.id).await.unwrap(), 2);
        let patch = UserPatch {
            password: Some(Some(PasswordChange::Plain("s3cret".into()))),
            ..UserPatch::default()
        };
        gateway.update_user(user.id, patch).await.unwrap();
        assert!(!gateway.session_is_active(b.session.id).await.unwrap());
        assert_eq!(gateway.active_sessions(user.id).await.unwrap(), 0);
        let d = open().await.unwrap();
        assert!(gateway.session_is_active(d.session.id).await.unwrap());
        gateway.delete_user(user.id).await.unwrap();
        assert!(!gateway.session_is_active(d.session.id).await.unwrap());
        let refused = gateway.resume_session(Surface::Me, &d.refresh_token).await;
        assert_eq!(refused.unwrap_err().kind(), ErrorKind::Unauthenticated);
    }

    /// Every case of [`cases`], each on its own store; all failures are reported together.
    #[tokio::test]
    async fn update_rules() {
        let cases = cases();
        let total = cases.len();
        let mut failures = Vec::new();
        for case in cases {
            let name = case.name;
            if let Some(why) = run(case).await {
                failures.push(format!("{name}: {why}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {total} update rules failed:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
