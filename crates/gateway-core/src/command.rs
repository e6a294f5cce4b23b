//! Commands that create users and change passwords; [`UserPatch`] (in `patch.rs`) is the partial
//! update they share.

use crate::{UserPatch, model::UserKind};
use uuid::Uuid;

/// A new password: plain text (hashed by the core with argon2id) or an existing hash in Modular
/// Crypt Format (argon2 or bcrypt), imported as is.
#[derive(Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// A plain-text password.
    Plain(String),
    /// A hash in Modular Crypt Format.
    Hash(String),
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password or a hash.
        match self {
            Self::Plain(_) => f.write_str("Plain(<redacted>)"),
            Self::Hash(_) => f.write_str("Hash(<redacted>)"),
        }
    }
}

/// Everything needed to create a user: what only creation sets, and every other field as an
/// update sets it, so that a new field needs no line here.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Kind of account.
    pub kind: UserKind,
    /// Owning organization (service accounts).
    pub organization_id: Option<Uuid>,
    /// OAuth provider and the account id there.
    pub oauth: Option<(String, String)>,
    /// The username (required) and every other field, checked and normalised as an update's and
    /// written in the same insert. Creation may also set `is_anonymous` (an update may not);
    /// `expected_version` means nothing here and is ignored. Unset fields keep the defaults of a
    /// new account ([`crate::User::new`]: regular, pending, active, email sign-in enabled).
    pub fields: UserPatch,
}

impl NewUser {
    /// A regular, pending user with only a username.
    pub fn regular(username: impl Into<String>) -> Self {
        Self {
            kind: UserKind::Regular,
            organization_id: None,
            oauth: None,
            fields: UserPatch {
                username: Some(username.into()),
                ..UserPatch::default()
            },
        }
    }
}
