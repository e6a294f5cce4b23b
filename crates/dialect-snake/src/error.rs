//! Errors of both surfaces. Each surface has ONE table from the core's [`ErrorKind`] to its wire
//! form, with an exhaustive match:
//!
//! - `platform`: [`PlatformErrorType::from_kind`] -> (status, `type`), rendered as the canonical
//!   envelope `{code, detail, type, errors?}`;
//! - `users-me`: [`users_me_class`] -> (status, exception class), rendered as
//!   `{"detail": ["<ExceptionClass>", "<message>"]}` (`WWW-Authenticate: Bearer` on every 401).
//!
//! Field issues are translated from core fields ([`user_field_names`], the one table of both
//! surfaces) and garde paths ([`garde_issues`]) to wire names here. This module also renders the
//! framework rejections ([`BodyRejection`]), unmatched paths (404), wrong methods (405) and
//! admin-injected faults in each surface's envelope ([`SurfaceError`], applied by
//! `gateway_http::resource`). Internal error text is logged, never rendered.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{Method, StatusCode, header},
};
use gateway_core::{CoreError, ErrorKind, Field, FieldIssue, IssueCode};
use gateway_http::{
    SurfaceError,
    faults::{DEFAULT_RETRY_AFTER_SECS, Fault},
};

use crate::{
    convert::user_field_names,
    extract::BodyRejection,
    wire::{
        platform::{ErrorEnvelope, ErrorItem},
        users_me::ErrorDetail,
    },
};

/// The JSON type a request field must have, for type errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// A JSON string.
    String,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
}

impl Expected {
    fn kind(self) -> &'static str {
        match self {
            Self::String => "string_type",
            Self::Boolean => "bool_type",
            Self::Object => "dict_type",
        }
    }
    fn noun(self) -> &'static str {
        match self {
            Self::String => "a string",
            Self::Boolean => "a boolean",
            Self::Object => "a JSON object",
        }
    }
}

/// One problem with the request, in wire terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireIssue {
    /// The wire field name; `None` for the body as a whole.
    pub field: Option<String>,
    /// FastAPI/pydantic-style machine type (`missing`, `string_type`, `string_too_long`, ...).
    pub kind: &'static str,
    /// A lower-case message without the field name.
    pub message: String,
}

impl WireIssue {
    /// The required field `field` is absent.
    pub fn missing(field: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            kind: "missing",
            message: "field required".into(),
        }
    }

    /// `field` has the JSON type `sent` instead of `expected`.
    pub fn wrong_type(field: &str, expected: Expected, sent: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            kind: expected.kind(),
            message: format!("must be {}, not {sent}", expected.noun()),
        }
    }

    /// The body is JSON but not an object.
    pub fn not_an_object() -> Self {
        Self {
            field: None,
            kind: "dict_type",
            message: "the request body must be a JSON object".into(),
        }
    }

    /// A core issue, with its field renamed by `wire_name`.
    fn from_core(issue: &FieldIssue, wire_name: fn(Field) -> &'static str) -> Self {
        let kind = match issue.code {
            IssueCode::Required => "missing",
            IssueCode::TooLong { .. } => "string_too_long",
            IssueCode::TooShort { .. } => "string_too_short",
            IssueCode::InvalidType => "type_error",
            IssueCode::Unknown => "extra_forbidden",
            IssueCode::InvalidFormat | IssueCode::Taken | IssueCode::NotAllowed => "value_error",
        };
        Self {
            field: Some(wire_name(issue.field).to_owned()),
            kind,
            message: issue.message.clone(),
        }
    }

    fn sentence(&self) -> String {
        match &self.field {
            Some(field) => format!("{field}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// The issues of a garde report. garde names fields by their Rust names; the request structs of
/// this dialect use the wire names as Rust names (no serde renames), so the path is the wire name.
pub fn garde_issues(report: &garde::Report) -> Vec<WireIssue> {
    report
        .iter()
        .map(|(path, error)| WireIssue {
            field: Some(path.to_string()),
            kind: "value_error",
            message: error.message().to_owned(),
        })
        .collect()
}

/// The `platform` wire name of a core field; a non-user field keeps its core name.
pub fn platform_field(field: Field) -> &'static str {
    match field {
        Field::User(field) => user_field_names(field).0,
        Field::Other(name) => name,
    }
}

/// The `users-me` wire name of a core field; a non-user field keeps its core name.
pub fn users_me_field(field: Field) -> &'static str {
    match field {
        Field::User(field) => user_field_names(field).1,
        Field::Other(name) => name,
    }
}

fn log_if_server_side(e: &CoreError) {
    match e.kind() {
        ErrorKind::Internal | ErrorKind::Unavailable => {
            tracing::error!(error = %e, "request failed")
        }
        ErrorKind::Unauthenticated
        | ErrorKind::Forbidden
        | ErrorKind::NotFound
        | ErrorKind::Validation
        | ErrorKind::Conflict
        | ErrorKind::PreconditionFailed
        | ErrorKind::RateLimited => {}
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// platform

/// Every `type` the `platform` surface sends, with its status and default `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformErrorType {
    /// 400: malformed JSON, non-JSON content type.
    InvalidRequest,
    /// 401: no, bad, expired or foreign credential.
    Authentication,
    /// 403: the account is disabled.
    Permission,
    /// 404: unknown route under this surface.
    NotFound,
    /// 405: wrong method on a known route.
    MethodNotAllowed,
    /// 409: the username is used by another user.
    Conflict,
    /// 413: body over the limit.
    PayloadTooLarge,
    /// 422: validation failed; `errors[]` is present.
    Validation,
    /// 426: client too old (fault injection only).
    UpgradeRequired,
    /// 429: rate limited; `Retry-After` is present.
    RateLimit,
    /// 500: a bug; generic detail.
    Internal,
    /// 502: the storage cannot be reached.
    BadGateway,
    /// 503: temporarily unavailable (fault injection only).
    ServiceUnavailable,
    /// 504: upstream timeout (fault injection only).
    GatewayTimeout,
}

impl PlatformErrorType {
    /// Every type, in status order.
    pub const ALL: [Self; 14] = [
        Self::InvalidRequest,
        Self::Authentication,
        Self::Permission,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::PayloadTooLarge,
        Self::Validation,
        Self::UpgradeRequired,
        Self::RateLimit,
        Self::Internal,
        Self::BadGateway,
        Self::ServiceUnavailable,
        Self::GatewayTimeout,
    ];

    /// THE table: the core's kinds on this surface.
    pub fn from_kind(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::Unauthenticated => Self::Authentication,
            ErrorKind::Forbidden => Self::Permission,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::Validation => Self::Validation,
            ErrorKind::Conflict | ErrorKind::PreconditionFailed => Self::Conflict,
            ErrorKind::RateLimited => Self::RateLimit,
            ErrorKind::Unavailable => Self::BadGateway,
            ErrorKind::Internal => Self::Internal,
        }
    }

    /// The type of an arbitrary status (injected faults): the type of that status, else
    /// `invalid_request_error` for 4xx and `internal_error` for 5xx.
    pub fn from_status(status: StatusCode) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| t.status() == status)
            .unwrap_or(if status.is_client_error() {
                Self::InvalidRequest
            } else {
                Self::Internal
            })
    }

    /// HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::Authentication => StatusCode::UNAUTHORIZED,
            Self::Permission => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
            Self::RateLimit => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The wire `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request_error",
            Self::Authentication => "authentication_error",
            Self::Permission => "permission_error",
            Self::NotFound => "not_found_error",
            Self::MethodNotAllowed => "method_not_allowed_error",
            Self::Conflict => "conflict_error",
            Self::PayloadTooLarge => "payload_too_large_error",
            Self::Validation => "validation_error",
            Self::UpgradeRequired => "upgrade_required_error",
            Self::RateLimit => "rate_limit_error",
            Self::Internal => "internal_error",
            Self::BadGateway => "bad_gateway_error",
            Self::ServiceUnavailable => "service_unavailable_error",
            Self::GatewayTimeout => "gateway_timeout_error",
        }
    }

    /// The default `detail` (the docs' label of the status).
    pub fn label(self) -> &'static str {
        match self {
            Self::InvalidRequest => "Invalid request",
            Self::Authentication => "Authentication failed",
            Self::Permission => "Access forbidden",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Conflict => "Already exists",
            Self::PayloadTooLarge => "Payload too large",
            Self::Validation => "Validation error",
            Self::UpgradeRequired => "Upgrade required",
            Self::RateLimit => "Rate limited",
            Self::Internal => "Internal server error",
            Self::BadGateway => "Bad gateway",
            Self::ServiceUnavailable => "Service unavailable",
            Self::GatewayTimeout => "Gateway timeout",
        }
    }
}

/// An error of the `platform` surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    status: StatusCode,
    kind: PlatformErrorType,
    detail: String,
    errors: Option<Vec<WireIssue>>,
    retry_after: Option<u32>,
}

impl PlatformError {
    /// An error of `kind` with `detail`.
    pub fn new(kind: PlatformErrorType, detail: impl Into<String>) -> Self {
        Self {
            status: kind.status(),
            kind,
            detail: detail.into(),
            errors: None,
            retry_after: (kind == PlatformErrorType::RateLimit).then_some(DEFAULT_RETRY_AFTER_SECS),
        }
    }

    /// The 401 every credential failure gets, always with the same body.
    pub fn unauthenticated() -> Self {
        Self::new(
            PlatformErrorType::Authentication,
            PlatformErrorType::Authentication.label(),
        )
    }

    /// A 422 listing `issues`.
    pub fn validation(issues: Vec<WireIssue>) -> Self {
        let summary = issues
            .iter()
            .map(WireIssue::sentence)
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors: Some(issues),
            ..Self::new(
                PlatformErrorType::Validation,
                format!("Validation error: {summary}"),
            )
        }
    }

    /// The `type` of this error.
    pub fn kind(&self) -> PlatformErrorType {
        self.kind
    }

    fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            code: self.status.as_u16(),
            detail: self.detail.clone(),
            r#type: self.kind.as_str().to_owned(),
            errors: self.errors.as_ref().map(|issues| {
                issues
                    .iter()
                    .map(|i| ErrorItem {
                        loc: std::iter::once("body".to_owned())
                            .chain(i.field.clone())
                            .collect(),
                        msg: i.message.clone(),
                        r#type: i.kind.to_owned(),
                    })
                    .collect()
            }),
        }
    }
}

impl std::fmt::Display for PlatformError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.detail)
    }
}

impl From<CoreError> for PlatformError {
    fn from(e: CoreError) -> Self {
        log_if_server_side(&e);
        let kind = PlatformErrorType::from_kind(e.kind());
        match e.kind() {
            ErrorKind::Unauthenticated => Self::unauthenticated(),
            ErrorKind::Validation => Self::validation(
                e.issues()
                    .iter()
                    .map(|i| WireIssue::from_core(i, platform_field))
                    .collect(),
            ),
            ErrorKind::Internal | ErrorKind::Unavailable => Self::new(kind, kind.label()),
            ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::PreconditionFailed
            | ErrorKind::RateLimited => Self::new(kind, capitalized(e.message())),
        }
    }
}

impl From<BodyRejection> for PlatformError {
    fn from(r: BodyRejection) -> Self {
        match r {
            BodyRejection::UnsupportedMediaType { .. } => Self::new(
                PlatformErrorType::InvalidRequest,
                "Content-Type must be application/json",
            ),
            BodyRejection::TooLarge { limit } => Self::new(
                PlatformErrorType::PayloadTooLarge,
                format!("Request body is larger than {limit} bytes"),
            ),
            BodyRejection::Malformed(why) => Self::new(
                PlatformErrorType::InvalidRequest,
                format!("Request body is not valid JSON: {}", why.message),
            ),
            BodyRejection::NotUtf8
            | BodyRejection::DuplicateKey(_)
            | BodyRejection::TooDeep { .. }
            | BodyRejection::TooManyKeys { .. } => Self::new(
                PlatformErrorType::InvalidRequest,
                format!("Request body is refused: {r}"),
            ),
            BodyRejection::NotAnObject => Self::validation(vec![WireIssue::not_an_object()]),
            BodyRejection::Unreadable => Self::new(
                PlatformErrorType::InvalidRequest,
                "Request body cannot be read",
            ),
        }
    }
}

impl ResponseError for PlatformError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.json(self.envelope())
    }
}

impl SurfaceError for PlatformError {
    /// The fault's status and message, the type of that status, and `Retry-After` on 429 (and
    /// whenever the rule gives one).
    fn fault(_: &HttpRequest, fault: &Fault) -> HttpResponse {
        let status = fault.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let kind = PlatformErrorType::from_status(status);
        let default_retry =
            (status == StatusCode::TOO_MANY_REQUESTS).then_some(DEFAULT_RETRY_AFTER_SECS);
        PlatformError {
            status,
            retry_after: fault.retry_after.or(default_retry),
            ..PlatformError::new(kind, fault.message.clone())
        }
        .error_response()
    }

    fn method_not_allowed(_: &HttpRequest, _: &[Method]) -> HttpResponse {
        let kind = PlatformErrorType::MethodNotAllowed;
        PlatformError::new(kind, kind.label()).error_response()
    }

    fn not_found(_: &HttpRequest) -> HttpResponse {
        let kind = PlatformErrorType::NotFound;
        PlatformError::new(kind, kind.label()).error_response()
    }
}

// ---------------------------------------------------------------------------------------------
// users-me

/// THE table of the `users-me` surface: the core's kinds as (status, exception class). The classes
/// are those `zenml.zen_server.exceptions.REST_API_EXCEPTIONS` registers for the status.
pub fn users_me_class(kind: ErrorKind) -> (StatusCode, &'static str) {
    match kind {
        ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "CredentialsNotValid"),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "IllegalOperationError"),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "KeyError"),
        ErrorKind::Validation => (StatusCode::UNPROCESSABLE_ENTITY, "ValueError"),
        ErrorKind::Conflict => (StatusCode::CONFLICT, "EntityExistsError"),
        ErrorKind::PreconditionFailed => (StatusCode::BAD_REQUEST, "ValueError"),
        ErrorKind::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "RuntimeError"),
        ErrorKind::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "RuntimeError"),
        ErrorKind::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "RuntimeError"),
    }
}

/// The class sent with an arbitrary status (framework rejections, injected faults): the one the
/// client registers for it, else `RuntimeError`.
pub fn users_me_class_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 413 | 415 | 422 => "ValueError",
        401 => "CredentialsNotValid",
        402 => "SubscriptionUpgradeRequiredError",
        403 => "IllegalOperationError",
        404 => "KeyError",
        405 => "MethodNotAllowedError",
        409 => "EntityExistsError",
        501 => "NotImplementedError",
        _ => "RuntimeError",
    }
}

/// An error of the `users-me` surface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsersMeError {
    status: StatusCode,
    class: &'static str,
    message: String,
    retry_after: Option<u32>,
}

impl UsersMeError {
    /// An error with `status` (class from the client's registry) and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            class: users_me_class_for_status(status),
            message: message.into(),
            retry_after: (status == StatusCode::TOO_MANY_REQUESTS)
                .then_some(DEFAULT_RETRY_AFTER_SECS),
        }
    }

    /// A 422 `ValueError` listing `issues`.
    pub fn validation(issues: &[WireIssue]) -> Self {
        let summary = issues
            .iter()
            .map(WireIssue::sentence)
            .collect::<Vec<_>>()
            .join("; ");
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, summary)
    }

    /// The exception class this error carries.
    pub fn class(&self) -> &'static str {
        self.class
    }
}

impl std::fmt::Display for UsersMeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.class, self.message)
    }
}

impl From<CoreError> for UsersMeError {
    fn from(e: CoreError) -> Self {
        log_if_server_side(&e);
        let (status, class) = users_me_class(e.kind());
        let message = match e.kind() {
            ErrorKind::Validation => {
                return Self::validation(
                    &e.issues()
                        .iter()
                        .map(|i| WireIssue::from_core(i, users_me_field))
                        .collect::<Vec<_>>(),
                );
            }
            ErrorKind::Internal => "an unexpected error occurred".to_owned(),
            ErrorKind::Unauthenticated
            | ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::PreconditionFailed
            | ErrorKind::RateLimited
            | ErrorKind::Unavailable => e.message().to_owned(),
        };
        Self {
            class,
            ..Self::new(status, message)
        }
    }
}

impl From<BodyRejection> for UsersMeError {
    fn from(r: BodyRejection) -> Self {
        match r {
            BodyRejection::UnsupportedMediaType { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the request body must be sent as application/json",
            ),
            BodyRejection::TooLarge { limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the request body is larger than {limit} bytes"),
            ),
            BodyRejection::Malformed(why) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the request body is not valid: {}", why.message),
            ),
            BodyRejection::NotUtf8
            | BodyRejection::DuplicateKey(_)
            | BodyRejection::TooDeep { .. }
            | BodyRejection::TooManyKeys { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("the request body is refused: {r}"),
            ),
            BodyRejection::NotAnObject => Self::validation(&[WireIssue::not_an_object()]),
            BodyRejection::Unreadable => {
                Self::new(StatusCode::BAD_REQUEST, "the request body cannot be read")
            }
        }
    }
}

impl ResponseError for UsersMeError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        res.json(ErrorDetail {
            detail: [self.class.to_owned(), self.message.clone()],
        })
    }
}

impl SurfaceError for UsersMeError {
    /// The fault's status and message, the class the client registers for that status, and
    /// `Retry-After` on 429 (and whenever the rule gives one).
    fn fault(_: &HttpRequest, fault: &Fault) -> HttpResponse {
        let status = fault.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let base = UsersMeError::new(status, fault.message.clone());
        UsersMeError {
            retry_after: fault.retry_after.or(base.retry_after),
            ..base
        }
        .error_response()
    }

    fn method_not_allowed(_: &HttpRequest, _: &[Method]) -> HttpResponse {
        UsersMeError::new(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed").error_response()
    }

    fn not_found(_: &HttpRequest) -> HttpResponse {
        UsersMeError::new(StatusCode::NOT_FOUND, "Not Found").error_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_core::UserField;

    #[test]
    fn every_platform_type_has_a_distinct_status_and_name() {
        let mut statuses: Vec<_> = PlatformErrorType::ALL.iter().map(|t| t.status()).collect();
        statuses.dedup();
        assert_eq!(statuses.len(), PlatformErrorType::ALL.len());
        for t in PlatformErrorType::ALL {
            assert_eq!(PlatformErrorType::from_status(t.status()), t);
            assert!(t.as_str().ends_with("_error"), "{}", t.as_str());
        }
        assert_eq!(
            PlatformErrorType::from_status(StatusCode::IM_A_TEAPOT),
            PlatformErrorType::InvalidRequest
        );
        assert_eq!(
            PlatformErrorType::from_status(StatusCode::NOT_IMPLEMENTED),
            PlatformErrorType::Internal
        );
    }

    #[test]
    fn core_kinds_map_to_the_documented_platform_types() {
        let cases = [
            (ErrorKind::Unauthenticated, 401, "authentication_error"),
            (ErrorKind::Forbidden, 403, "permission_error"),
            (ErrorKind::NotFound, 404, "not_found_error"),
            (ErrorKind::Validation, 422, "validation_error"),
            (ErrorKind::Conflict, 409, "conflict_error"),
            (ErrorKind::PreconditionFailed, 409, "conflict_error"),
            (ErrorKind::RateLimited, 429, "rate_limit_error"),
            (ErrorKind::Unavailable, 502, "bad_gateway_error"),
            (ErrorKind::Internal, 500, "internal_error"),
        ];
        for (kind, status, name) in cases {
            let t = PlatformErrorType::from_kind(kind);
            assert_eq!(
                (t.status().as_u16(), t.as_str()),
                (status, name),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn core_kinds_map_to_the_registered_users_me_classes() {
        let cases = [
            (ErrorKind::Unauthenticated, 401, "CredentialsNotValid"),
            (ErrorKind::Forbidden, 403, "IllegalOperationError"),
            (ErrorKind::NotFound, 404, "KeyError"),
            (ErrorKind::Validation, 422, "ValueError"),
            (ErrorKind::Conflict, 409, "EntityExistsError"),
            (ErrorKind::PreconditionFailed, 400, "ValueError"),
            (ErrorKind::RateLimited, 429, "RuntimeError"),
            (ErrorKind::Unavailable, 503, "RuntimeError"),
            (ErrorKind::Internal, 500, "RuntimeError"),
        ];
        for (kind, status, class) in cases {
            let (s, c) = users_me_class(kind);
            assert_eq!((s.as_u16(), c), (status, class), "{kind:?}");
            // A status produced by the table carries a class the client registers for it.
            if kind != ErrorKind::RateLimited && kind != ErrorKind::Unavailable {
                assert_eq!(users_me_class_for_status(s), c, "{kind:?}");
            }
        }
    }

    #[test]
    fn internal_text_never_reaches_the_client() {
        let e = CoreError::internal("connection string postgres://secret@db");
        let platform = PlatformError::from(CoreError::internal("postgres://secret@db"));
        assert_eq!(platform.detail, "Internal server error");
        let users_me = UsersMeError::from(e);
        assert_eq!(users_me.message, "an unexpected error occurred");
        assert_eq!(users_me.class, "RuntimeError");
    }

    #[test]
    fn fields_without_a_vendor_name_keep_their_core_name() {
        for field in UserField::ALL {
            let (platform, users_me) = user_field_names(field);
            if !matches!(
                field,
                UserField::Email | UserField::DisplayName | UserField::IsOnboarded
            ) {
                assert_eq!(platform, field.as_str());
            }
            if !matches!(field, UserField::DisplayName | UserField::ClientMetadata) {
                assert_eq!(users_me, field.as_str());
            }
        }
        assert_eq!(
            platform_field(UserField::IsOnboarded.into()),
            "onboarding_complete"
        );
        assert_eq!(users_me_field(UserField::ClientMetadata.into()), "metadata");
        assert_eq!(platform_field(Field::Other("ttl_secs")), "ttl_secs");
    }

    #[test]
    fn core_field_names_become_wire_names() {
        let e = CoreError::validation(vec![FieldIssue::new(
            UserField::DisplayName,
            IssueCode::TooLong { max: 50 },
            "must be at most 50 characters",
        )]);
        let p = PlatformError::from(e);
        let envelope = p.envelope();
        let item = &envelope.errors.unwrap_or_default()[0];
        assert_eq!(item.loc, ["body", "full_name"]);
        assert_eq!(item.r#type, "string_too_long");
        let z = UsersMeError::from(CoreError::validation(vec![FieldIssue::new(
            UserField::DisplayName,
            IssueCode::TooLong { max: 50 },
            "must be at most 50 characters",
        )]));
        assert_eq!(z.message, "name: must be at most 50 characters");
        assert_eq!(z.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn conflicts_keep_the_core_message() {
        let p = PlatformError::from(CoreError::conflict(
            UserField::Username,
            "username is already in use",
        ));
        assert_eq!(
            (p.kind, p.detail.as_str()),
            (PlatformErrorType::Conflict, "Username is already in use")
        );
        let z = UsersMeError::from(CoreError::conflict(
            UserField::Username,
            "username is already in use",
        ));
        assert_eq!(
            (z.class, z.message.as_str()),
            ("EntityExistsError", "username is already in use")
        );
    }
}
