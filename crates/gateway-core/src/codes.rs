//! One-time codes sent by mail (a password reset, a sign-in code): issued for an email address
//! (and the user who has it, when one does), kept only as a SHA-256 digest, good until they expire or are used once. What a dialect needs
//! to answer in its vendor's words is the [`CodeRefusal`]; the text of the code and of the mail
//! is the dialect's.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{CoreError, Gateway, StoreError, UserId, credentials, service::now};

/// What a code is for; a code of one purpose is not found as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodePurpose {
    /// Sets a new password (Stack Auth `POST /auth/password/reset`).
    PasswordReset,
    /// Signs in, or up, the owner of an email (Stack Auth `POST /auth/otp/sign-in`).
    SignIn,
    /// Verifies a user's email (Stack Auth `POST /contact-channels/verify`).
    EmailVerification,
}

impl CodePurpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::SignIn => "sign_in",
            Self::EmailVerification => "email_verification",
        }
    }
}

impl std::str::FromStr for CodePurpose {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "password_reset" => Ok(Self::PasswordReset),
            "sign_in" => Ok(Self::SignIn),
            "email_verification" => Ok(Self::EmailVerification),
            other => Err(format!("unknown code purpose {other:?}")),
        }
    }
}

/// A stored code (its text is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeCode {
    /// Row id.
    pub id: Uuid,
    /// What it is for.
    pub purpose: CodePurpose,
    /// The user it acts for; none for a sign-in code to an address no user has yet.
    pub user_id: Option<UserId>,
    /// The project it was issued in (tiered surface), if any.
    pub project_id: Option<Uuid>,
    /// The address it was sent to.
    pub email: String,
    /// Lower-case hex SHA-256 of the code's text.
    pub code_hash: String,
    /// Issue time.
    pub created_at: DateTime<Utc>,
    /// It is refused from then on.
    pub expires_at: DateTime<Utc>,
    /// When it was used, if it was.
    pub used_at: Option<DateTime<Utc>>,
}

/// Why a presented code does not act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// No code of this purpose (and project) has this text.
    NotFound,
    /// It expired.
    Expired,
    /// It was used already.
    AlreadyUsed,
}

/// How many codes of one purpose an address keeps: issuing another drops the oldest, so asking
/// again and again does not grow the table (expired codes are purged).
pub const LIVE_CODES_PER_ADDRESS: usize = 5;

/// The storage port of one-time codes.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Stores `code` and drops all but the newest `keep` codes of its address and purpose, in one
    /// transaction.
    async fn insert_code(&self, code: &OneTimeCode, keep: usize) -> Result<(), StoreError>;
    /// The code whose digest is `hash`, whatever its state.
    async fn code_by_hash(&self, hash: &str) -> Result<Option<OneTimeCode>, StoreError>;
    /// Marks code `id` used at `at` unless it was already; whether this call did.
    async fn use_code(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Deletes the codes that expired before `before`; how many.
    async fn purge_codes(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// The text of a new code: 45 characters of lower-case Crockford base32 (225 random bits), the
/// length and alphabet of Stack Auth's codes.
fn code_text() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    use rand::Rng;
    let mut rng = rand::rng();
    (0..45)
        .map(|_| char::from(ALPHABET[rng.random_range(0..32)]))
        .collect()
}

impl Gateway {
    /// Issues a code of `purpose` for `user_id` (if any), sent to `email`, good for `ttl`;
    /// returns its text (shown once: only its digest is kept).
    pub async fn issue_code(
        &self,
        purpose: CodePurpose,
        user_id: Option<UserId>,
        project_id: Option<Uuid>,
        email: &str,
        ttl: Duration,
    ) -> Result<String, CoreError> {
        let text = code_text();
        let at = now();
        let code = OneTimeCode {
            id: Uuid::new_v4(),
            purpose,
            user_id,
            project_id,
            email: email.to_owned(),
            code_hash: credentials::sha256_hex(&text),
            created_at: at,
            expires_at: at + ttl,
            used_at: None,
        };
        self.store
            .insert_code(&code, LIVE_CODES_PER_ADDRESS)
            .await?;
        Ok(text)
    }

    /// The code `text` of `purpose` in `project_id` if it would act now (not used, not expired);
    /// it is not used by this call. Codes are compared lower-cased, as Stack Auth does.
    pub async fn check_code(
        &self,
        purpose: CodePurpose,
        project_id: Option<Uuid>,
        text: &str,
    ) -> Result<Result<OneTimeCode, CodeRefusal>, CoreError> {
        let hash = credentials::sha256_hex(&text.to_lowercase());
        let Some(code) = self.store.code_by_hash(&hash).await? else {
            return Ok(Err(CodeRefusal::NotFound));
        };
        if code.purpose != purpose || code.project_id != project_id {
            return Ok(Err(CodeRefusal::NotFound));
        }
        if code.expires_at <= now() {
            return Ok(Err(CodeRefusal::Expired));
        }
        if code.used_at.is_some() {
            return Ok(Err(CodeRefusal::AlreadyUsed));
        }
        Ok(Ok(code))
    }

    /// Sets the password of the user of the reset code `text` (used by this call) to `password`,
    /// ending its sessions (a reset is for an account someone else may hold). The password is
    /// hashed before the code is used, so a failure there leaves the code good.
    pub async fn reset_password(
        &self,
        project_id: Option<Uuid>,
        text: &str,
        password: &str,
    ) -> Result<Result<crate::User, CodeRefusal>, CoreError> {
        let code = match self
            .check_code(CodePurpose::PasswordReset, project_id, text)
            .await?
        {
            Ok(code) => code,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let hash = self.passwords.hash(password.to_owned()).await?;
        if !self.store.use_code(code.id, now()).await? {
            return Ok(Err(CodeRefusal::AlreadyUsed));
        }
        let patch = crate::UserPatch {
            password: Some(Some(crate::PasswordChange::Hash(hash))),
            ..crate::UserPatch::default()
        };
        let user_id = code
            .user_id
            .ok_or_else(|| CoreError::internal("a reset code without a user"))?;
        let user = self.update_user(user_id, patch).await?.value;
        Ok(Ok(user))
    }

    /// Uses the code `text`: [`Self::check_code`], then marked used, once (of two concurrent
    /// uses one wins, the other is `AlreadyUsed`).
    pub async fn use_code(
        &self,
        purpose: CodePurpose,
        project_id: Option<Uuid>,
        text: &str,
    ) -> Result<Result<OneTimeCode, CodeRefusal>, CoreError> {
        let code = match self.check_code(purpose, project_id, text).await? {
            Ok(code) => code,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if !self.store.use_code(code.id, now()).await? {
            return Ok(Err(CodeRefusal::AlreadyUsed));
        }
        Ok(Ok(code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NewUser, testing::memory_gateway};

    #[tokio::test]
    async fn a_code_acts_once_until_it_expires_and_only_for_its_purpose() {
        let (_, g) = memory_gateway();
        let user = g
            .create_user(NewUser::regular("coder"))
            .await
            .unwrap()
            .value;
        let text = g
            .issue_code(
                CodePurpose::PasswordReset,
                Some(user.id),
                None,
                "c@example.com",
                Duration::hours(1),
            )
            .await
            .unwrap();
        assert_eq!(text.len(), 45);
        let project = Some(Uuid::new_v4());
        assert_eq!(
            g.check_code(CodePurpose::PasswordReset, project, &text)
                .await
                .unwrap(),
            Err(CodeRefusal::NotFound),
            "another project's code"
        );
        let checked = g
            .check_code(CodePurpose::PasswordReset, None, &text.to_uppercase())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(checked.user_id, Some(user.id));
        assert!(
            g.use_code(CodePurpose::PasswordReset, None, &text)
                .await
                .unwrap()
                .is_ok()
        );
        assert_eq!(
            g.use_code(CodePurpose::PasswordReset, None, &text)
                .await
                .unwrap(),
            Err(CodeRefusal::AlreadyUsed)
        );
        let expired = g
            .issue_code(
                CodePurpose::PasswordReset,
                Some(user.id),
                None,
                "c@example.com",
                Duration::seconds(-1),
            )
            .await
            .unwrap();
        assert_eq!(
            g.check_code(CodePurpose::PasswordReset, None, &expired)
                .await
                .unwrap(),
            Err(CodeRefusal::Expired)
        );
        assert_eq!(
            g.check_code(CodePurpose::PasswordReset, None, "nope")
                .await
                .unwrap(),
            Err(CodeRefusal::NotFound)
        );
    }

    #[tokio::test]
    async fn a_user_keeps_a_bounded_number_of_codes() {
        let (_, g) = memory_gateway();
        let user = g.create_user(NewUser::regular("many")).await.unwrap().value;
        let mut texts = Vec::new();
        for _ in 0..LIVE_CODES_PER_ADDRESS + 2 {
            // Distinct issue times: the oldest are the ones dropped.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            texts.push(
                g.issue_code(
                    CodePurpose::PasswordReset,
                    Some(user.id),
                    None,
                    "m@example.com",
                    Duration::hours(1),
                )
                .await
                .unwrap(),
            );
        }
        for (i, text) in texts.iter().enumerate() {
            let found = g
                .check_code(CodePurpose::PasswordReset, None, text)
                .await
                .unwrap();
            assert_eq!(found.is_ok(), i >= 2, "code {i}");
        }
    }
}
