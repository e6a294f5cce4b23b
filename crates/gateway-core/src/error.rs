//! The one error type of the core, with a stable kind that every dialect maps to its own envelope.

use std::fmt;

use crate::model::UserField;

/// The stable category of a [`CoreError`]. Each dialect maps every kind to a (status, code) pair in
/// one table; the match there is exhaustive, so a new kind forces every dialect to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// No credential, or a credential that is malformed, expired, forged, revoked or foreign.
    Unauthenticated,
    /// The caller is known but may not do this.
    Forbidden,
    /// The addressed entity does not exist.
    NotFound,
    /// The input breaks a rule; [`CoreError::issues`] names each field.
    Validation,
    /// A unique value is already used by another entity.
    Conflict,
    /// A precondition of the request does not hold (stale version, state rule).
    PreconditionFailed,
    /// Too many requests.
    RateLimited,
    /// A dependency (the database) cannot be reached right now.
    Unavailable,
    /// A bug or an unexpected failure; never shown to clients in detail.
    Internal,
}

impl ErrorKind {
    /// Every kind, so a dialect's table test can cover them all.
    pub const ALL: [ErrorKind; 9] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::Validation,
        Self::Conflict,
        Self::PreconditionFailed,
        Self::RateLimited,
        Self::Unavailable,
        Self::Internal,
    ];

    /// A lower-case name, stable across releases (used in logs and tests).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Validation => "validation",
            Self::Conflict => "conflict",
            Self::PreconditionFailed => "precondition_failed",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

/// What is wrong with one field, in words a dialect can translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueCode {
    /// The field must be present and non-empty.
    Required,
    /// The value is longer than `max` characters.
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// The value is shorter than `min` characters.
    TooShort {
        /// The minimum number of characters.
        min: usize,
    },
    /// The value does not have the expected format (pattern, email, URL, tag, zone).
    InvalidFormat,
    /// The value has the wrong JSON type.
    InvalidType,
    /// The value is already used by another entity.
    Taken,
    /// The field may not be changed by this caller or in this state.
    NotAllowed,
    /// The field is not known.
    Unknown,
}

/// The field a [`FieldIssue`] or a [`Notice`] is about.
///
/// A field of a user is typed ([`Field::User`]): each dialect maps every [`UserField`] to its
/// wire name in one exhaustive `match`, so a new user field cannot reach a client under a name
/// the dialect never chose. Every other input (a team's or project's field, a request parameter
/// such as `ttl_secs`, the body as a whole) is [`Field::Other`] with the name the core or the
/// caller gives it, which each dialect renders by its case rule. Never put a user field in
/// `Other`: build it from a [`UserField`] (`UserField::Email.into()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// A field of a user.
    User(UserField),
    /// Any other field, by its core (`snake_case`) name.
    Other(&'static str),
}

impl Field {
    /// The core name (`first_name`, `ttl_secs`), as the admin API and logs show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User(field) => field.as_str(),
            Self::Other(name) => name,
        }
    }

    /// The user field, if this is one.
    pub fn user(self) -> Option<UserField> {
        match self {
            Self::User(field) => Some(field),
            Self::Other(_) => None,
        }
    }
}

impl From<UserField> for Field {
    fn from(field: UserField) -> Self {
        Self::User(field)
    }
}

impl PartialEq<UserField> for Field {
    fn eq(&self, other: &UserField) -> bool {
        *self == Self::User(*other)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field, named by the core ([`Field`]); dialects translate it to their
/// wire name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The field.
    pub field: Field,
    /// What is wrong.
    pub code: IssueCode,
    /// A human-readable, lower-case message without the field name.
    pub message: String,
}

impl FieldIssue {
    /// Builds an issue.
    pub fn new(field: impl Into<Field>, code: IssueCode, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// A non-fatal remark about a successful command, e.g. a value the core normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The field the notice is about.
    pub field: Field,
    /// Stable machine code, e.g. `normalized`.
    pub code: &'static str,
    /// Human-readable text.
    pub message: String,
}

/// A successful result with the notices the command produced.
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    /// The result.
    pub value: T,
    /// Remarks for dialects that can show warnings; the others drop them.
    pub notices: Vec<Notice>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The core error: a kind, a safe message, per-field issues, and an optional internal source that
/// is logged but never rendered.
#[derive(Debug)]
pub struct CoreError {
    kind: ErrorKind,
    message: String,
    issues: Vec<FieldIssue>,
    source: Option<BoxError>,
}

impl CoreError {
    /// A new error of `kind` with a message that is safe to show to clients.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            issues: Vec::new(),
            source: None,
        }
    }
    /// Unauthenticated with a safe message.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthenticated, message)
    }
    /// Forbidden with a safe message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }
    /// Not found with a safe message.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    /// A validation error carrying the given issues.
    pub fn validation(issues: Vec<FieldIssue>) -> Self {
        let message = issues
            .iter()
            .map(|i| format!("{}: {}", i.field, i.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            kind: ErrorKind::Validation,
            message,
            issues,
            source: None,
        }
    }
    /// A conflict on one unique field (`username`, `email`, ...).
    pub fn conflict(field: impl Into<Field>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            kind: ErrorKind::Conflict,
            issues: vec![FieldIssue::new(field, IssueCode::Taken, message.clone())],
            message,
            source: None,
        }
    }
    /// An internal error; `source` is kept for logs only.
    pub fn internal(source: impl Into<BoxError>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            message: "internal error".into(),
            issues: Vec::new(),
            source: Some(source.into()),
        }
    }
    /// The store cannot be reached; `source` is kept for logs only.
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self {
            kind: ErrorKind::Unavailable,
            message: "service temporarily unavailable".into(),
            issues: Vec::new(),
            source: Some(source.into()),
        }
    }
    /// The stable kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    /// The client-safe message.
    pub fn message(&self) -> &str {
        &self.message
    }
    /// Per-field issues (validation and conflict).
    pub fn issues(&self) -> &[FieldIssue] {
        &self.issues
    }
    /// The field of the first issue, if any (e.g. which unique key conflicted).
    pub fn field(&self) -> Option<Field> {
        self.issues.first().map(|i| i.field)
    }
}

impl fmt::Display for CoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)?;
        if let Some(source) = &self.source {
            write!(f, " ({source})")?;
        }
        Ok(())
    }
}

impl std::error::Error for CoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl CoreError {
    pub(crate) fn push_issue(&mut self, issue: FieldIssue) {
        self.issues.push(issue);
    }
}
