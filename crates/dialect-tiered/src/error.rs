//! Every error this surface answers with: known errors (pretty-printed JSON + the known-error
//! headers), the vendor's plain-text `StatusError`s, the one table that maps each core
//! [`ErrorKind`] to a status and a wire rendering, and the kit's renderers ([`SurfaceError`]:
//! injected faults, 405, 404). Internal details never reach clients.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{Method, StatusCode, header},
};
use gateway_core::{CoreError, ErrorKind, Field, FieldIssue, IssueCode, UserField};
use gateway_http::{
    SurfaceError,
    faults::{DEFAULT_RETRY_AFTER_SECS, Fault},
};

use crate::{convert::user_field_name, known::KnownError, respond};

/// Marks a 500 answer so the response middleware adds the request id to its text.
#[derive(Debug, Clone, Copy)]
pub struct InternalErrorMarker;

/// The production text of an unexpected failure (the middleware appends the request id).
pub const INTERNAL_TEXT: &str =
    "Something went wrong. Please make sure the data you entered is correct.";

/// An error of this surface.
#[derive(Debug)]
pub enum TieredError {
    /// A known error: `{code, details?, error}`.
    Known(KnownError),
    /// A `StatusError` that is not a known error: the raw message as `text/plain`.
    Text {
        /// Status.
        status: StatusCode,
        /// Body.
        message: String,
    },
    /// A failure of the gateway itself (logged; 500 or 503 without details).
    Internal(CoreError),
}

impl std::fmt::Display for TieredError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Known(k) => write!(f, "{} {}", k.status, k.code),
            Self::Text { status, message } => write!(f, "{status} {message}"),
            Self::Internal(e) => write!(f, "{e}"),
        }
    }
}

impl From<KnownError> for TieredError {
    fn from(e: KnownError) -> Self {
        Self::Known(e)
    }
}

impl TieredError {
    /// A plain-text error.
    pub fn text(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Text {
            status,
            message: message.into(),
        }
    }

    /// The known error, if this is one.
    #[cfg(test)]
    pub fn known(&self) -> Option<&KnownError> {
        match self {
            Self::Known(k) => Some(k),
            _ => None,
        }
    }
}

/// How a core error kind is rendered when no more specific rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// A known error with this code (details come from the context).
    Known(&'static str),
    /// A plain-text error with this body.
    Text(&'static str),
    /// The generic 500/503 text.
    Internal,
}

/// THE table: every core error kind, its status and its rendering in this dialect.
pub fn kind_table(kind: ErrorKind) -> (StatusCode, Rendering) {
    match kind {
        // The only core operation that refuses a credential here is resuming a refresh session.
        ErrorKind::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            Rendering::Known("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED"),
        ),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, Rendering::Text("Forbidden")),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, Rendering::Known("USER_NOT_FOUND")),
        ErrorKind::Validation => (StatusCode::BAD_REQUEST, Rendering::Known("SCHEMA_ERROR")),
        ErrorKind::Conflict => (
            StatusCode::CONFLICT,
            Rendering::Known("USER_EMAIL_ALREADY_EXISTS"),
        ),
        ErrorKind::PreconditionFailed => (
            StatusCode::CONFLICT,
            Rendering::Text("The user was changed by another request. Please try again."),
        ),
        ErrorKind::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            Rendering::Text("Too many requests. Please try again later."),
        ),
        ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, Rendering::Internal),
        ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, Rendering::Internal),
    }
}

/// What a core error on a user write refers to, for the details of the known errors.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `METHOD /path` of the request (the `SCHEMA_ERROR` heading).
    pub route: String,
    /// The user written.
    pub user_id: Option<String>,
    /// The email written, if any.
    pub email: Option<String>,
    /// The team selected, if any.
    pub team_id: Option<String>,
}

/// The wire name of a core field in the update body: a user field by [`user_field_name`], any
/// other by its core name.
pub fn wire_field(field: Field) -> &'static str {
    match field {
        Field::User(field) => user_field_name(field),
        Field::Other(name) => name,
    }
}

/// One `SCHEMA_ERROR` line for a core issue, in the vendor's (yup) wording.
fn issue_line(issue: &FieldIssue) -> String {
    let field = format!("body.{}", wire_field(issue.field));
    match &issue.code {
        IssueCode::Required => format!("{field} must not be empty"),
        IssueCode::TooLong { max } => format!("{field} must be at most {max} characters"),
        IssueCode::TooShort { min } => format!("{field} must be at least {min} characters"),
        IssueCode::InvalidFormat if issue.field == UserField::Email => {
            format!("{field} must be a valid email")
        }
        IssueCode::InvalidFormat
        | IssueCode::InvalidType
        | IssueCode::Taken
        | IssueCode::NotAllowed
        | IssueCode::Unknown => format!("{field} {}", issue.message),
    }
}

/// The full `SCHEMA_ERROR` text for `route` and its lines.
pub fn schema_message(route: &str, lines: &[String]) -> String {
    let items = lines
        .iter()
        .map(|l| format!("  - {l}"))
        .collect::<Vec<_>>()
        .join("\n");
    format!("Request validation failed on {route}:\n{items}")
}

impl TieredError {
    /// Converts a core error with what the request was about.
    pub fn from_core(e: CoreError, ctx: &Context) -> Self {
        let (status, rendering) = kind_table(e.kind());
        match (e.kind(), rendering) {
            (ErrorKind::Validation, _) => {
                // The vendor's state rules that are plain-text StatusErrors.
                for issue in e.issues() {
                    let text = match issue.field.user() {
                        Some(UserField::PasswordHash) => Some(
                            "Invalid password hash. Make sure it's a supported algorithm in Modular Crypt Format.",
                        ),
                        Some(UserField::EmailVerified) => {
                            Some("primary_email_verified cannot be true without primary_email")
                        }
                        Some(UserField::EmailAuthEnabled) => {
                            Some("primary_email_auth_enabled cannot be true without primary_email")
                        }
                        _ => None,
                    };
                    if let Some(text) = text {
                        return Self::text(StatusCode::BAD_REQUEST, text);
                    }
                }
                let lines: Vec<String> = e.issues().iter().map(issue_line).collect();
                let route = if ctx.route.is_empty() {
                    "this request"
                } else {
                    &ctx.route
                };
                Self::Known(KnownError::schema_error(schema_message(route, &lines)))
            }
            (ErrorKind::NotFound, _) if e.field() == Some(UserField::SelectedTeamId.into()) => {
                Self::Known(KnownError::team_membership_not_found(
                    ctx.team_id.as_deref().unwrap_or_default(),
                    ctx.user_id.as_deref().unwrap_or_default(),
                ))
            }
            (ErrorKind::Conflict, _) => Self::Known(KnownError::user_email_already_exists(
                ctx.email.as_deref().unwrap_or_default(),
            )),
            (_, Rendering::Known("REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED")) => {
                Self::Known(KnownError::refresh_token_not_found_or_expired())
            }
            (_, Rendering::Known(_)) => Self::Known(KnownError::user_not_found()),
            (_, Rendering::Text(text)) => Self::Text {
                status,
                message: text.to_owned(),
            },
            (_, Rendering::Internal) => Self::Internal(e),
        }
    }
}

impl From<CoreError> for TieredError {
    fn from(e: CoreError) -> Self {
        Self::from_core(e, &Context::default())
    }
}

impl ResponseError for TieredError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Known(k) => k.status,
            Self::Text { status, .. } => *status,
            Self::Internal(e) => kind_table(e.kind()).0,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Known(k) => known_response(k),
            Self::Text { status, message } => text_response(*status, message.clone()),
            Self::Internal(e) => {
                let status = kind_table(e.kind()).0;
                tracing::error!(error = %e, "tiered request failed");
                let mut res = text_response(status, INTERNAL_TEXT.to_owned());
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    res.headers_mut()
                        .insert(header::RETRY_AFTER, DEFAULT_RETRY_AFTER_SECS.into());
                }
                res.extensions_mut().insert(InternalErrorMarker);
                res
            }
        }
    }
}

/// A known error as a response: pretty JSON and both known-error headers.
pub fn known_response(k: &KnownError) -> HttpResponse {
    let body = serde_json::to_string_pretty(&k.body()).unwrap_or_default();
    HttpResponse::build(k.status)
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header(("x-stack-known-error", k.code))
        .insert_header(("x-hexclave-known-error", k.code))
        .body(body)
}

/// A plain-text error as a response.
pub fn text_response(status: StatusCode, message: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body(message)
}

impl SurfaceError for TieredError {
    /// The vendor's plain-text `StatusError`, with `Retry-After` if the rule gives one.
    fn fault(_: &HttpRequest, fault: &Fault) -> HttpResponse {
        let status = fault.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = text_response(status, fault.message.clone());
        if let Some(secs) = fault.retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, secs.into());
        }
        res
    }

    /// Plain text (spec §7.2).
    fn method_not_allowed(_: &HttpRequest, _: &[Method]) -> HttpResponse {
        text_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed".to_owned(),
        )
    }

    /// CORS preflights succeed, everything else is a plain-text 404 (spec §11 choice), finished
    /// like every answer of this surface.
    fn not_found(req: &HttpRequest) -> HttpResponse {
        let res = if req.method() == Method::OPTIONS {
            respond::preflight()
        } else {
            text_response(StatusCode::NOT_FOUND, "Not found".to_owned())
        };
        respond::finish(req, res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_rendering() {
        for kind in ErrorKind::ALL {
            let (status, _) = kind_table(kind);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn user_fields_get_the_vendor_names() {
        assert_eq!(user_field_name(UserField::Email), "primary_email");
        assert_eq!(user_field_name(UserField::AvatarUrl), "profile_image_url");
        assert_eq!(user_field_name(UserField::TotpSecret), "totp_secret_base64");
        assert_eq!(wire_field(Field::Other("display_name")), "display_name");
        // Every field the vendor does not rename keeps its core name.
        for field in UserField::ALL {
            if !matches!(
                field,
                UserField::Email
                    | UserField::EmailVerified
                    | UserField::EmailAuthEnabled
                    | UserField::AvatarUrl
                    | UserField::TotpSecret
            ) {
                assert_eq!(user_field_name(field), field.as_str(), "{field}");
            }
        }
    }

    #[test]
    fn core_issues_become_vendor_texts() {
        let ctx = Context {
            route: "PATCH /api/v1/users/me".into(),
            ..Context::default()
        };
        let e = TieredError::from_core(
            CoreError::validation(vec![FieldIssue::new(
                UserField::Email,
                IssueCode::InvalidFormat,
                "must be a valid email address",
            )]),
            &ctx,
        );
        assert_eq!(
            e.known().map(|k| k.message.as_str()),
            Some(
                "Request validation failed on PATCH /api/v1/users/me:\n  - body.primary_email must be a valid email"
            )
        );
        let e = TieredError::from_core(
            CoreError::validation(vec![FieldIssue::new(
                UserField::EmailVerified,
                IssueCode::NotAllowed,
                "cannot be true without a primary email",
            )]),
            &ctx,
        );
        assert!(matches!(e, TieredError::Text { .. }));
        let e = TieredError::from_core(CoreError::internal("boom"), &ctx);
        assert_eq!(e.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
