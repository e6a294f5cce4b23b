//! Imports with values chosen by the caller, for emulator fixtures: users with a fixed id and any
//! core field, teams with a fixed id, API keys whose full text is known in advance and projects
//! whose keys are known in advance. Every value is checked against the same invariants as the
//! regular commands ([`check_user`], [`parse_known_api_key`], [`check_project`]) so a caller can
//! validate a whole fixture set before writing anything; secrets are stored as the regular paths
//! store them (argon2/bcrypt password hashes, SHA-256 digests of key secrets). Keys may also be
//! given as those digests ([`KnownSecret::Sha256`], [`check_api_key_digest`]), which is what a
//! fixture export writes, so an export loads back to the same credentials.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    CoreError, Field, FieldIssue, Gateway, IssueCode, PasswordChange,
    credentials::{self, check_password_hash, sha256_hex},
    model::{ApiKey, NewApiKey, NewSession, Session, Surface, Team, User, UserField, UserId},
    project::{PROJECT_NAME_MAX, PUBLISHABLE_CLIENT_KEY_PREFIX, Project, SECRET_SERVER_KEY_PREFIX},
    validate,
};

/// Hashes a password for an imported user the way `create_user` does: a plain password with
/// argon2id, an existing hash (argon2 or bcrypt, Modular Crypt Format) checked and kept.
pub fn password_hash(change: PasswordChange) -> Result<String, FieldIssue> {
    match change {
        PasswordChange::Plain(plain) if plain.is_empty() => Err(FieldIssue::new(
            UserField::Password,
            IssueCode::Required,
            "must not be empty",
        )),
        PasswordChange::Plain(plain) => credentials::hash_password(&plain).map_err(|e| {
            FieldIssue::new(
                UserField::Password,
                IssueCode::InvalidFormat,
                e.message().to_owned(),
            )
        }),
        PasswordChange::Hash(mcf) => check_password_hash(&mcf).map(|()| mcf),
    }
}

/// Normalises `user` as the regular commands do (trimmed username, lower-case email, canonical
/// locale, upper-case country code) and returns every broken invariant. The team selection is
/// not checked here (it needs the memberships; the caller knows them).
pub fn check_user(user: &mut User) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    let User {
        identity,
        profile,
        account,
        security,
        risk,
        version,
        ..
    } = user;
    identity.username = identity.username.trim().to_owned();
    issues.extend(validate::username(&identity.username).err());
    if let Some(email) = &identity.email {
        let normalized = validate::normalize_email(email);
        issues.extend(validate::email(&normalized).err());
        identity.email = Some(normalized);
    } else if identity.email_verified {
        issues.push(FieldIssue::new(
            UserField::EmailVerified,
            IssueCode::NotAllowed,
            "cannot be true without a primary email",
        ));
    }
    if let Some(hash) = &security.password_hash {
        issues.extend(check_password_hash(hash).err());
    }
    if let Some(locale) = &profile.locale {
        match validate::locale(locale) {
            Ok(canonical) => profile.locale = Some(canonical),
            Err(i) => issues.push(i),
        }
    }
    if let Some(tz) = &profile.timezone {
        issues.extend(validate::timezone(tz).err());
    }
    if let Some(phone) = &profile.phone_number {
        issues.extend(validate::phone_number(phone).err());
    } else if profile.phone_number_verified {
        issues.push(FieldIssue::new(
            UserField::PhoneNumberVerified,
            IssueCode::NotAllowed,
            "cannot be true without a phone number",
        ));
    }
    if let Some(cc) = &profile.country_code {
        match validate::country_code(cc) {
            Ok(code) => profile.country_code = Some(code),
            Err(i) => issues.push(i),
        }
    }
    for (value, field) in [
        (risk.sign_up_bot, UserField::RiskSignUpBot),
        (
            risk.sign_up_free_trial_abuse,
            UserField::RiskSignUpFreeTrialAbuse,
        ),
    ] {
        if !(0..=100).contains(&value) {
            issues.push(FieldIssue::new(
                field,
                IssueCode::InvalidFormat,
                "must be an integer from 0 to 100",
            ));
        }
    }
    if security.oauth_provider.is_some() != security.oauth_id.is_some() {
        issues.push(FieldIssue::new(
            UserField::OauthProvider,
            IssueCode::InvalidFormat,
            "oauth_provider and oauth_id go together",
        ));
    }
    if !account.restricted_by_admin
        && (account.restricted_by_admin_reason.is_some()
            || account.restricted_by_admin_private_details.is_some())
    {
        issues.push(FieldIssue::new(
            UserField::RestrictedByAdminReason,
            IssueCode::NotAllowed,
            "a restriction reason needs restricted_by_admin: true",
        ));
    }
    if *version < 1 {
        issues.push(FieldIssue::new(
            UserField::Version,
            IssueCode::InvalidFormat,
            "must be at least 1",
        ));
    }
    issues
}

/// Splits a known API key text of `surface` (`<prefix><16 hex>_<secret>`) into its public id and
/// the SHA-256 digest of its secret, as `issue_api_key` stores them.
pub fn parse_known_api_key(
    surface: Surface,
    prefix: &str,
    text: &str,
) -> Result<(String, String), FieldIssue> {
    match credentials::parse_api_key(prefix, text) {
        Some((id, secret)) if secret.len() >= 8 => {
            Ok((id.to_ascii_lowercase(), sha256_hex(secret)))
        }
        Some(_) => Err(FieldIssue::new(
            Field::Other("key"),
            IssueCode::InvalidFormat,
            "the secret after the id must be at least 8 characters",
        )),
        None => Err(FieldIssue::new(
            Field::Other("key"),
            IssueCode::InvalidFormat,
            format!(
                "must look like {prefix}<16 hex digits>_<secret> for surface {}",
                surface.as_str()
            ),
        )),
    }
}

/// A secret a fixture gives: in clear, or only as the SHA-256 (hex) of its text (what an export
/// writes, since the gateway keeps nothing else).
#[derive(Clone, PartialEq, Eq)]
pub enum KnownSecret {
    /// The text in clear.
    Plain(String),
    /// The SHA-256 digest of the text, 64 lower-case hex digits.
    Sha256(String),
}

impl KnownSecret {
    /// The SHA-256 (hex) digest, as stored.
    pub fn digest(&self) -> String {
        match self {
            Self::Plain(text) => sha256_hex(text),
            Self::Sha256(digest) => digest.to_ascii_lowercase(),
        }
    }

    /// The text, when known.
    pub fn plain(&self) -> Option<&str> {
        match self {
            Self::Plain(text) => Some(text),
            Self::Sha256(_) => None,
        }
    }
}

impl std::fmt::Debug for KnownSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "Plain(..)",
            Self::Sha256(_) => "Sha256(..)",
        })
    }
}

/// Whether `value` is a SHA-256 digest in hex (64 hex digits, either case).
pub fn is_sha256_hex(value: &str) -> bool {
    value.len() == 64 && value.chars().all(|c| c.is_ascii_hexdigit())
}

/// Checks the digest form of an API key: a public id of 16 hex digits and the SHA-256 (hex) of
/// its secret. Returns both as stored (lower case).
pub fn check_api_key_digest(id: &str, secret_sha256: &str) -> Result<(String, String), FieldIssue> {
    let hex_id = id.len() == credentials::KEY_ID_LEN && id.chars().all(|c| c.is_ascii_hexdigit());
    // A key a dialect made in its vendor's format has a UUID id (`Gateway::store_api_key`).
    let uuid_id = id.len() == 36 && Uuid::try_parse(id).is_ok();
    if !hex_id && !uuid_id {
        return Err(FieldIssue::new(
            Field::Other("id"),
            IssueCode::InvalidFormat,
            "must be the key's public id: 16 hex digits, or a UUID",
        ));
    }
    if !is_sha256_hex(secret_sha256) {
        return Err(FieldIssue::new(
            Field::Other("secret_sha256"),
            IssueCode::InvalidFormat,
            "must be a SHA-256 digest (64 hex digits)",
        ));
    }
    Ok((id.to_ascii_lowercase(), secret_sha256.to_ascii_lowercase()))
}

/// What an imported API key carries besides its secret (a vendor's key: expiry, public flag,
/// last four characters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyExtras {
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// A public key.
    pub is_public: bool,
    /// The last four characters of the key's text.
    pub hint: Option<String>,
}

/// A project with known keys, as a fixture gives it.
#[derive(Clone)]
pub struct KnownProject {
    /// Project id.
    pub id: Uuid,
    /// Human-readable name.
    pub display_name: String,
    /// The publishable client key (`pck_…`), in clear or as its digest.
    pub publishable_client_key: KnownSecret,
    /// The secret server key (`ssk_…`), in clear or as its digest.
    pub secret_server_key: KnownSecret,
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
}

impl std::fmt::Debug for KnownProject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownProject")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

/// Checks a project with known keys: a name of 1-256 characters, keys with their prefix and at
/// least 16 characters after it (or SHA-256 digests). Returns the project as it would be stored,
/// or every issue.
pub fn check_project(known: &KnownProject, at: DateTime<Utc>) -> Result<Project, Vec<FieldIssue>> {
    let KnownProject {
        id,
        display_name,
        publishable_client_key,
        secret_server_key,
        require_publishable_client_key,
        allow_client_user_deletion,
        client_team_creation_enabled,
        create_team_on_sign_up,
        allow_user_api_keys,
        sign_up_enabled,
        credential_enabled,
        magic_link_enabled,
    } = known;
    let mut issues = Vec::new();
    let name = display_name.trim();
    if name.is_empty() {
        issues.push(FieldIssue::new(
            Field::Other("display_name"),
            IssueCode::Required,
            "must not be empty",
        ));
    } else if name.chars().count() > PROJECT_NAME_MAX {
        issues.push(FieldIssue::new(
            Field::Other("display_name"),
            IssueCode::TooLong {
                max: PROJECT_NAME_MAX,
            },
            format!("must be at most {PROJECT_NAME_MAX} characters"),
        ));
    }
    for (field, prefix, value) in [
        (
            "publishable_client_key",
            PUBLISHABLE_CLIENT_KEY_PREFIX,
            publishable_client_key,
        ),
        (
            "secret_server_key",
            SECRET_SERVER_KEY_PREFIX,
            secret_server_key,
        ),
    ] {
        let ok = match value {
            KnownSecret::Plain(text) => text.strip_prefix(prefix).is_some_and(|rest| {
                rest.len() >= 16
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            }),
            KnownSecret::Sha256(digest) => is_sha256_hex(digest),
        };
        if !ok {
            let message = match value {
                KnownSecret::Plain(_) => {
                    format!("must be {prefix} followed by at least 16 letters, digits, _ or -")
                }
                KnownSecret::Sha256(_) => "must be a SHA-256 digest (64 hex digits)".to_owned(),
            };
            issues.push(FieldIssue::new(
                Field::Other(field),
                IssueCode::InvalidFormat,
                message,
            ));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Project {
        id: *id,
        display_name: name.to_owned(),
        publishable_client_key_hash: publishable_client_key.digest(),
        secret_server_key_hash: secret_server_key.digest(),
        require_publishable_client_key: *require_publishable_client_key,
        allow_client_user_deletion: *allow_client_user_deletion,
        client_team_creation_enabled: *client_team_creation_enabled,
        create_team_on_sign_up: *create_team_on_sign_up,
        allow_user_api_keys: *allow_user_api_keys,
        sign_up_enabled: *sign_up_enabled,
        credential_enabled: *credential_enabled,
        magic_link_enabled: *magic_link_enabled,
        created_at: at,
        updated_at: at,
    })
}

impl Gateway {
    /// Inserts a user exactly as given, after [`check_user`]. Uniqueness conflicts come back as
    /// `Conflict` like `create_user`'s.
    pub async fn import_user(&self, mut user: User) -> Result<User, CoreError> {
        let issues = check_user(&mut user);
        if !issues.is_empty() {
            return Err(CoreError::validation(issues));
        }
        self.store().insert_user(&user).await?;
        Ok(user)
    }

    /// Inserts users' contact channels besides their primary emails, as they are (checked by the
    /// caller: addresses normalised, none a user's primary or given twice), without changing the
    /// users; a sign-in channel still claims its address ([`crate::ChannelStore::insert_channels`]).
    pub async fn import_contact_channels(
        &self,
        channels: &[crate::ContactChannel],
    ) -> Result<(), CoreError> {
        match self.store().insert_channels(channels).await {
            Err(crate::StoreError::Conflict(field)) => Err(CoreError::conflict(
                field,
                "a contact channel used for sign-in is another user's username, email or sign-in \
                 channel",
            )),
            other => Ok(other?),
        }
    }

    /// Inserts a team with the id it carries.
    pub async fn import_team(&self, team: Team) -> Result<Team, CoreError> {
        if team.display_name.trim().is_empty() {
            return Err(CoreError::validation(vec![FieldIssue::new(
                Field::Other("display_name"),
                IssueCode::Required,
                "must not be empty",
            )]));
        }
        self.store().insert_team(&team, None).await?;
        Ok(team)
    }

    /// Stores an API key of `surface` whose full text the caller chose (see
    /// [`parse_known_api_key`]); only its id and the digest of its secret are kept.
    pub async fn import_api_key(
        &self,
        user_id: UserId,
        surface: Surface,
        text: &str,
        label: Option<String>,
        at: DateTime<Utc>,
        extras: KeyExtras,
    ) -> Result<ApiKey, CoreError> {
        let (id, secret_hash) = parse_known_api_key(surface, self.key_prefix(surface), text)
            .map_err(|i| CoreError::validation(vec![i]))?;
        let key = NewApiKey {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at: at,
            expires_at: extras.expires_at,
            is_public: extras.is_public,
            hint: extras.hint,
        };
        self.store().insert_api_key(&key).await?;
        Ok(key.into_api_key())
    }

    /// Stores an API key of `surface` known only by its public id (16 hex digits) and the SHA-256
    /// of its secret, as an export writes it; created at `at`.
    #[expect(
        clippy::too_many_arguments,
        reason = "an export's key: owner, surface, id, digest, label, time and the vendor extras"
    )]
    pub async fn import_api_key_digest(
        &self,
        user_id: UserId,
        surface: Surface,
        id: &str,
        secret_sha256: &str,
        label: Option<String>,
        at: DateTime<Utc>,
        extras: KeyExtras,
    ) -> Result<ApiKey, CoreError> {
        let (id, secret_hash) =
            check_api_key_digest(id, secret_sha256).map_err(|i| CoreError::validation(vec![i]))?;
        let key = NewApiKey {
            id,
            user_id,
            surface,
            secret_hash,
            label,
            created_at: at,
            expires_at: extras.expires_at,
            is_public: extras.is_public,
            hint: extras.hint,
        };
        self.store().insert_api_key(&key).await?;
        Ok(key.into_api_key())
    }

    /// Adds a membership that began at `joined_at` (an imported one keeps its join time).
    pub async fn import_membership(
        &self,
        team_id: Uuid,
        user_id: UserId,
        role: crate::TeamRole,
        joined_at: DateTime<Utc>,
    ) -> Result<(), CoreError> {
        self.store()
            .add_membership(team_id, user_id, role, joined_at)
            .await?;
        Ok(())
    }

    /// The user's unrevoked, unexpired sessions with the project each is bound to, if any.
    pub async fn sessions_to_export(
        &self,
        user_id: UserId,
    ) -> Result<Vec<(Session, Option<Uuid>)>, CoreError> {
        let mut out = Vec::new();
        for session in self
            .store()
            .active_sessions_of(user_id, crate::service::now())
            .await?
        {
            let project = self.store().session_project(session.id).await?;
            out.push((session, project));
        }
        Ok(out)
    }

    /// Stores a session exactly as given (its refresh token known only by its digest), bound to
    /// `project` when given.
    pub async fn import_session(
        &self,
        session: &NewSession,
        project: Option<Uuid>,
    ) -> Result<(), CoreError> {
        match project {
            Some(project) => {
                self.store()
                    .insert_project_session(session, project)
                    .await?
            }
            None => self.store().insert_session(session).await?,
        }
        Ok(())
    }

    /// Stores a project whose keys the caller chose (see [`check_project`]).
    pub async fn import_project(&self, known: &KnownProject) -> Result<Project, CoreError> {
        let project = check_project(known, crate::service::now()).map_err(CoreError::validation)?;
        self.store().insert_project(&project).await?;
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_users_are_normalised_and_checked() {
        let mut user = User::new(UserId::new(), " ada ", Utc::now());
        user.identity.email = Some(" Ada@Example.COM ".into());
        user.profile.locale = Some("en-us".into());
        user.profile.country_code = Some("nl".into());
        assert!(check_user(&mut user).is_empty());
        assert_eq!(user.identity.username, "ada");
        assert_eq!(user.identity.email.as_deref(), Some("ada@example.com"));
        assert_eq!(user.profile.locale.as_deref(), Some("en-US"));
        assert_eq!(user.profile.country_code.as_deref(), Some("NL"));

        let mut bad = User::new(UserId::new(), "bad name!", Utc::now());
        bad.identity.email_verified = true;
        bad.profile.timezone = Some("Mars/Olympus".into());
        bad.risk.sign_up_bot = 101;
        bad.security.password_hash = Some("plain".into());
        let fields: Vec<_> = check_user(&mut bad).into_iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            [
                UserField::Username,
                UserField::EmailVerified,
                UserField::PasswordHash,
                UserField::Timezone,
                UserField::RiskSignUpBot,
            ]
        );
    }

    #[test]
    fn known_api_keys_keep_their_id_and_the_digest_of_their_secret() {
        let text = "dn_0123456789abcdef_s3cret-value";
        let (id, hash) = parse_known_api_key(Surface::Platform, "dn_", text).unwrap();
        assert_eq!(id, "0123456789abcdef");
        assert_eq!(hash, sha256_hex("s3cret-value"));
        let refused = parse_known_api_key(Surface::Me, "bird_", text).unwrap_err();
        assert!(
            refused.message.contains("bird_<16 hex digits>"),
            "another surface's prefix: {}",
            refused.message
        );
        let platform = |t| parse_known_api_key(Surface::Platform, "dn_", t);
        assert!(platform("dn_0123456789abcdef_short").is_err());
        assert!(platform("dn_xyz_secretsecret").is_err());
    }

    #[test]
    fn known_projects_need_prefixed_keys() {
        let mut known = KnownProject {
            id: Uuid::new_v4(),
            display_name: " Demo ".into(),
            publishable_client_key: KnownSecret::Plain("pck_0123456789abcdef".into()),
            secret_server_key: KnownSecret::Sha256(sha256_hex("ssk_0123456789abcdef")),
            require_publishable_client_key: false,
            allow_client_user_deletion: true,
            client_team_creation_enabled: true,
            create_team_on_sign_up: true,
            allow_user_api_keys: true,
            sign_up_enabled: true,
            credential_enabled: true,
            magic_link_enabled: true,
        };
        let project = check_project(&known, Utc::now()).unwrap();
        assert_eq!(project.display_name, "Demo");
        assert_eq!(
            project.secret_server_key_hash,
            sha256_hex("ssk_0123456789abcdef")
        );
        known.secret_server_key = KnownSecret::Plain("pck_0123456789abcdef".into());
        known.publishable_client_key = KnownSecret::Sha256("not-a-digest".into());
        known.display_name = " ".into();
        let fields: Vec<_> = check_project(&known, Utc::now())
            .unwrap_err()
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            fields,
            [
                Field::Other("display_name"),
                Field::Other("publishable_client_key"),
                Field::Other("secret_server_key")
            ]
        );
    }

    #[test]
    fn api_key_digests_need_an_id_and_a_sha256() {
        let digest = sha256_hex("secret");
        assert_eq!(
            check_api_key_digest("0123456789ABCDEF", &digest.to_uppercase()).unwrap(),
            ("0123456789abcdef".to_owned(), digest.clone())
        );
        assert!(check_api_key_digest("0123", &digest).is_err());
        assert!(check_api_key_digest("0123456789abcdeg", &digest).is_err());
        assert!(check_api_key_digest("0123456789abcdef", "abc").is_err());
    }
}
