//! The one error path of the dialect. Problems with the request *content* are answered with the
//! result envelope (400, 404); problems with access or protocol with RFC 7807 `ProblemDetails`
//! (401, 403, 404 for unknown routes, 405, 413, 415, 429, 5xx). [`kind_table`] maps every core
//! [`ErrorKind`] to its status and body in one exhaustive match; [`issue_code`] does the same for
//! field issues, and [`garde_issue`] maps garde paths (Rust field names) to wire names.

use std::collections::BTreeMap;

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{
        StatusCode,
        header::{self, HeaderValue},
    },
};
use gateway_core::{CoreError, ErrorKind, FieldIssue, IssueCode, UserField};
use gateway_http::{body::BodyRejection, faults::Fault, request_id};

use crate::{
    convert::{pascal_case, wire_field},
    envelope::{failure, json_response},
    wire::{EMAIL_MAX, Message, MessageType, NAME_MAX, ProblemDetails, Severity, TARGET},
};

/// The methods the profile resource answers (the `Allow` header of a 405).
pub const ALLOWED_METHODS: &str = "GET, PUT";

/// How a core error kind is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The result envelope with one error of this code (or one per field issue, when there are
    /// issues), of this message type, and this text when there are no issues.
    Envelope {
        /// `Message.Code`.
        code: &'static str,
        /// `Message.Type`.
        message_type: MessageType,
        /// `Message.Message` when the error carries no field issues.
        text: &'static str,
    },
    /// `ProblemDetails` with this `detail`.
    Problem {
        /// `ProblemDetails.detail`.
        detail: &'static str,
    },
}

/// THE table: every core error kind -> (status, body).
pub fn kind_table(kind: ErrorKind) -> (StatusCode, Answer) {
    use Answer::{Envelope, Problem};
    match kind {
        ErrorKind::Unauthenticated => (
            StatusCode::UNAUTHORIZED,
            Problem {
                detail: "The credential is not valid.",
            },
        ),
        ErrorKind::Forbidden => (
            StatusCode::FORBIDDEN,
            Problem {
                detail: "Access to this resource is forbidden.",
            },
        ),
        ErrorKind::NotFound => (
            StatusCode::NOT_FOUND,
            Envelope {
                code: "NotFound",
                message_type: MessageType::BusinessRule,
                text: "The workspace user was not found.",
            },
        ),
        ErrorKind::Validation => (
            StatusCode::BAD_REQUEST,
            Envelope {
                code: "InvalidFormat",
                message_type: MessageType::Validation,
                text: "The request is not valid.",
            },
        ),
        ErrorKind::Conflict => (
            StatusCode::BAD_REQUEST,
            Envelope {
                code: "Duplicate",
                message_type: MessageType::BusinessRule,
                text: "The value is already in use.",
            },
        ),
        ErrorKind::PreconditionFailed => (
            StatusCode::BAD_REQUEST,
            Envelope {
                code: "PreconditionFailed",
                message_type: MessageType::BusinessRule,
                text: "The profile was changed by another request; read it and try again.",
            },
        ),
        ErrorKind::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            Problem {
                detail: "Too many requests; try again later.",
            },
        ),
        ErrorKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            Problem {
                detail: "The service is temporarily unavailable; try again later.",
            },
        ),
        ErrorKind::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Problem {
                detail: "An unexpected error occurred.",
            },
        ),
    }
}

/// Every field issue code -> (`Message.Code`, `Message.Type`, `Message.Metadata`).
pub fn issue_code(
    code: &IssueCode,
) -> (&'static str, MessageType, BTreeMap<String, Option<String>>) {
    let meta =
        |key: &str, value: usize| BTreeMap::from([(key.to_owned(), Some(value.to_string()))]);
    match code {
        IssueCode::Required => ("Required", MessageType::Validation, BTreeMap::new()),
        IssueCode::TooLong { max } => ("TooLong", MessageType::Validation, meta("MaxLength", *max)),
        IssueCode::TooShort { min } => {
            ("TooShort", MessageType::Validation, meta("MinLength", *min))
        }
        IssueCode::InvalidFormat => ("InvalidFormat", MessageType::Validation, BTreeMap::new()),
        IssueCode::InvalidType => ("InvalidType", MessageType::Validation, BTreeMap::new()),
        IssueCode::Taken => ("Duplicate", MessageType::BusinessRule, BTreeMap::new()),
        IssueCode::NotAllowed => ("NotAllowed", MessageType::BusinessRule, BTreeMap::new()),
        IssueCode::Unknown => ("UnknownProperty", MessageType::Validation, BTreeMap::new()),
    }
}

/// One error message of the envelope.
fn error_message(
    code: impl Into<String>,
    text: impl Into<String>,
    field: Option<String>,
    metadata: BTreeMap<String, Option<String>>,
    message_type: MessageType,
) -> Message {
    Message {
        code: code.into(),
        message: text.into(),
        target: Some(TARGET.to_owned()),
        field,
        metadata,
        message_type,
        severity: Severity::Error,
    }
}

/// A field issue (core field name) as an error message (wire field name).
fn issue_message(issue: &FieldIssue) -> Message {
    let field = wire_field(issue.field);
    let (code, message_type, metadata) = issue_code(&issue.code);
    let text = match issue.code {
        // The core's conflict message names the core field; say it with the wire name.
        IssueCode::Taken => format!("{field} is already in use."),
        _ => format!("{field} {}.", issue.message),
    };
    error_message(code, text, Some(field), metadata, message_type)
}

/// What a garde path (the Rust field name) means on the wire: each validated field of
/// `UpdateAccountProfileRequest` carries exactly one garde rule, its length limit.
pub fn garde_issue(path: &str) -> Option<FieldIssue> {
    let (core, max) = match path {
        "email" => (UserField::Email, EMAIL_MAX),
        "first_name" => (UserField::FirstName, NAME_MAX),
        "last_name" => (UserField::LastName, NAME_MAX),
        _ => return None,
    };
    Some(FieldIssue::new(
        core,
        IssueCode::TooLong { max },
        format!("must be at most {max} characters"),
    ))
}

/// Why a credential was refused (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No token in the header or the query.
    Missing,
    /// A token that is not a valid access token of this surface.
    InvalidToken,
    /// A valid token past its expiry.
    ExpiredToken,
    /// An unknown, revoked or malformed API key.
    InvalidApiKey,
}

impl Refusal {
    fn detail(self) -> &'static str {
        match self {
            Self::Missing => {
                "An access token is required: send Authorization: Bearer <token> or ?access_token=<token>."
            }
            Self::InvalidToken => "The access token is not valid.",
            Self::ExpiredToken => "The access token has expired.",
            Self::InvalidApiKey => "The API key is not valid.",
        }
    }

    /// The `WWW-Authenticate` challenge (RFC 6750 section 3).
    fn challenge(self) -> &'static str {
        match self {
            Self::Missing => "Bearer",
            Self::InvalidToken | Self::InvalidApiKey => r#"Bearer error="invalid_token""#,
            Self::ExpiredToken => {
                r#"Bearer error="invalid_token", error_description="The access token has expired""#
            }
        }
    }
}

/// The request an error belongs to: `ProblemDetails.instance` (the path, never the query, which
/// may hold a token) and `traceId` (the request id).
#[derive(Debug, Clone, Default)]
struct Context {
    instance: Option<String>,
    trace_id: Option<String>,
}

impl Context {
    fn of(req: &HttpRequest) -> Self {
        Self {
            instance: Some(req.path().to_owned()),
            trace_id: Some(request_id(req)),
        }
    }
}

#[derive(Debug)]
enum Reason {
    /// A core error, answered through [`kind_table`].
    Core(CoreError),
    /// 401.
    Unauthorized(Refusal),
    /// 403: "Service accounts cannot access this endpoint via API keys."
    ServiceAccountKey,
    /// 400 envelope with these errors (JSON syntax, types, dialect limits).
    Invalid(Vec<Message>),
    /// 405.
    MethodNotAllowed(String),
    /// 404 for a path under `/api/workspace/` that no route matches.
    NoRoute,
    /// 413.
    TooLarge(usize),
    /// 415.
    UnsupportedMediaType,
}

/// An error of this dialect, rendered in the dialect's envelope or as `ProblemDetails`.
#[derive(Debug)]
pub struct PascalError {
    reason: Reason,
    context: Context,
}

impl PascalError {
    fn at(reason: Reason, req: &HttpRequest) -> Self {
        Self {
            reason,
            context: Context::of(req),
        }
    }

    /// A core error raised while serving `req`.
    pub fn core(error: CoreError, req: &HttpRequest) -> Self {
        Self::at(Reason::Core(error), req)
    }

    /// 401 with a challenge.
    pub fn unauthorized(refusal: Refusal, req: &HttpRequest) -> Self {
        Self::at(Reason::Unauthorized(refusal), req)
    }

    /// 403: a service account presented an API key.
    pub fn service_account_key(req: &HttpRequest) -> Self {
        Self::at(Reason::ServiceAccountKey, req)
    }

    /// 405 for the method of `req`.
    pub fn method_not_allowed(req: &HttpRequest) -> Self {
        Self::at(Reason::MethodNotAllowed(req.method().to_string()), req)
    }

    /// 404 `ProblemDetails` for an unknown path this dialect claims.
    pub fn no_route(req: &HttpRequest) -> Self {
        Self::at(Reason::NoRoute, req)
    }

    /// 400 for garde's report on a request body.
    pub fn from_garde(report: &garde::Report, req: &HttpRequest) -> Self {
        let errors = report
            .iter()
            .map(|(path, error)| {
                let path = path.to_string();
                match garde_issue(&path) {
                    Some(issue) => issue_message(&issue),
                    None => error_message(
                        "InvalidFormat",
                        format!("{} {}.", pascal_case(&path), error.message()),
                        Some(pascal_case(&path)),
                        BTreeMap::new(),
                        MessageType::Validation,
                    ),
                }
            })
            .collect();
        Self::at(Reason::Invalid(errors), req)
    }

    /// 400 with these body-binding errors (wrong property types).
    pub fn invalid(errors: Vec<Message>, req: &HttpRequest) -> Self {
        Self::at(Reason::Invalid(errors), req)
    }

    /// A body the shared body layer (or a stock extractor's safety net) refused: 413, 415, or
    /// the 400 envelope naming what is wrong.
    pub fn from_body(rejection: &BodyRejection, req: &HttpRequest) -> Self {
        let invalid = |code: &str, message: &str, metadata: BTreeMap<String, Option<String>>| {
            Reason::Invalid(vec![error_message(
                code,
                message,
                None,
                metadata,
                MessageType::Validation,
            )])
        };
        let reason = match rejection {
            BodyRejection::TooLarge { limit } => Reason::TooLarge(*limit),
            BodyRejection::UnsupportedMediaType { .. } => Reason::UnsupportedMediaType,
            BodyRejection::NotAnObject => invalid(
                "InvalidType",
                "The request body must be a JSON object.",
                BTreeMap::new(),
            ),
            BodyRejection::Malformed(syntax) => invalid(
                "InvalidJson",
                "The request body is not valid JSON.",
                BTreeMap::from([
                    ("Line".to_owned(), Some(syntax.line.to_string())),
                    ("Column".to_owned(), Some(syntax.column.to_string())),
                ]),
            ),
            BodyRejection::NotUtf8 => invalid(
                "InvalidJson",
                "The request body is not valid UTF-8.",
                BTreeMap::new(),
            ),
            BodyRejection::DuplicateKey(_)
            | BodyRejection::TooDeep { .. }
            | BodyRejection::TooManyKeys { .. } => invalid(
                "InvalidJson",
                &format!("The request body is refused: {rejection}."),
                BTreeMap::new(),
            ),
            BodyRejection::Unreadable => invalid(
                "InvalidJson",
                "The request body could not be read.",
                BTreeMap::new(),
            ),
        };
        Self::at(reason, req)
    }

    /// 400 for a part of the request a stock extractor could not read (`query string`, `path`).
    pub fn unreadable(part: &str, req: &HttpRequest) -> Self {
        Self::at(
            Reason::Invalid(vec![error_message(
                "InvalidFormat",
                format!("The {part} is not valid."),
                None,
                BTreeMap::new(),
                MessageType::Validation,
            )]),
            req,
        )
    }
}

/// Needed by [`gateway_http::AuthPolicy`]; without a request there is no `instance`/`traceId`
/// (they render as null). The dialect itself always builds errors with [`PascalError::core`].
impl From<CoreError> for PascalError {
    fn from(error: CoreError) -> Self {
        Self {
            reason: Reason::Core(error),
            context: Context::default(),
        }
    }
}

/// `.at(&req)` on a core result: the error becomes this dialect's, with the request's context.
pub trait AtRequest<T> {
    /// Converts the error with `req` as its context.
    fn at(self, req: &HttpRequest) -> Result<T, PascalError>;
}

impl<T> AtRequest<T> for Result<T, CoreError> {
    fn at(self, req: &HttpRequest) -> Result<T, PascalError> {
        self.map_err(|e| PascalError::core(e, req))
    }
}

impl std::fmt::Display for PascalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.reason {
            Reason::Core(e) => e.fmt(f),
            Reason::Unauthorized(r) => write!(f, "unauthenticated: {r:?}"),
            Reason::ServiceAccountKey => f.write_str("forbidden: service account API key"),
            Reason::Invalid(errors) => write!(f, "invalid request: {} error(s)", errors.len()),
            Reason::MethodNotAllowed(m) => write!(f, "method {m} not allowed"),
            Reason::NoRoute => f.write_str("no route"),
            Reason::TooLarge(limit) => write!(f, "body over {limit} bytes"),
            Reason::UnsupportedMediaType => f.write_str("unsupported media type"),
        }
    }
}

/// `type` and `title` as ASP.NET Core fills them (`ProblemDetailsDefaults`, rfc9110 URIs); the
/// reason phrase where the framework has no default title.
pub fn problem_defaults(status: StatusCode) -> (String, String) {
    let section = match status.as_u16() {
        code @ 400..=418 => Some(format!("15.5.{}", code - 399)),
        421 => Some("15.5.20".to_owned()),
        422 => Some("15.5.21".to_owned()),
        426 => Some("15.5.22".to_owned()),
        code @ 500..=505 => Some(format!("15.6.{}", code - 499)),
        _ => None,
    };
    let problem_type = match (status.as_u16(), section) {
        (_, Some(section)) => format!("https://tools.ietf.org/html/rfc9110#section-{section}"),
        (429, None) => "https://tools.ietf.org/html/rfc6585#section-4".to_owned(),
        _ => "about:blank".to_owned(),
    };
    let title = match status.as_u16() {
        500 => "An error occurred while processing your request.",
        _ => status.canonical_reason().unwrap_or("Error"),
    };
    (problem_type, title.to_owned())
}

fn problem(status: StatusCode, detail: &str, context: &Context) -> HttpResponse {
    let (problem_type, title) = problem_defaults(status);
    json_response(
        status,
        &ProblemDetails {
            problem_type: Some(problem_type),
            title: Some(title),
            status: Some(i32::from(status.as_u16())),
            detail: Some(detail.to_owned()),
            instance: context.instance.clone(),
            trace_id: context.trace_id.clone(),
        },
    )
}

fn set_header(res: &mut HttpResponse, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        res.headers_mut().insert(name, value);
    }
}

fn core_response(error: &CoreError, context: &Context) -> HttpResponse {
    let (status, answer) = kind_table(error.kind());
    match answer {
        Answer::Envelope {
            code,
            message_type,
            text,
        } => {
            let errors = if error.issues().is_empty() {
                vec![error_message(
                    code,
                    text,
                    None,
                    BTreeMap::new(),
                    message_type,
                )]
            } else {
                error.issues().iter().map(issue_message).collect()
            };
            json_response(status, &failure(errors))
        }
        // 5xx are logged by the server's root span with this error's Display (the core error
        // and its internal source); the client sees only the generic detail.
        Answer::Problem { detail } => {
            let mut res = problem(status, detail, context);
            if status == StatusCode::UNAUTHORIZED {
                set_header(&mut res, header::WWW_AUTHENTICATE, "Bearer");
            }
            res
        }
    }
}

impl ResponseError for PascalError {
    fn status_code(&self) -> StatusCode {
        match &self.reason {
            Reason::Core(e) => kind_table(e.kind()).0,
            Reason::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Reason::ServiceAccountKey => StatusCode::FORBIDDEN,
            Reason::Invalid(_) => StatusCode::BAD_REQUEST,
            Reason::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Reason::NoRoute => StatusCode::NOT_FOUND,
            Reason::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Reason::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let context = &self.context;
        match &self.reason {
            Reason::Core(e) => core_response(e, context),
            Reason::Unauthorized(refusal) => {
                let mut res = problem(status, refusal.detail(), context);
                set_header(&mut res, header::WWW_AUTHENTICATE, refusal.challenge());
                res
            }
            Reason::ServiceAccountKey => problem(
                status,
                "Service accounts cannot access this endpoint via API keys.",
                context,
            ),
            Reason::Invalid(errors) if errors.is_empty() => json_response(
                status,
                &failure(vec![error_message(
                    "InvalidFormat",
                    "The request is not valid.",
                    None,
                    BTreeMap::new(),
                    MessageType::Validation,
                )]),
            ),
            Reason::Invalid(errors) => json_response(status, &failure(errors.clone())),
            Reason::MethodNotAllowed(method) => {
                let mut res = problem(
                    status,
                    &format!("The {method} method is not allowed here; use GET or PUT."),
                    context,
                );
                set_header(&mut res, header::ALLOW, ALLOWED_METHODS);
                res
            }
            Reason::NoRoute => problem(status, "No resource matches this path.", context),
            Reason::TooLarge(limit) => problem(
                status,
                &format!("The request body is larger than the limit of {limit} bytes."),
                context,
            ),
            Reason::UnsupportedMediaType => problem(
                status,
                "The request body must be JSON (Content-Type: application/json).",
                context,
            ),
        }
    }
}

/// The 404 for paths under `/api/workspace/` that no route matches (the server's fallback).
pub fn render_no_route(req: &HttpRequest) -> HttpResponse {
    PascalError::no_route(req).error_response()
}

/// An injected fault (admin API) in this dialect's shapes: the envelope for 400 and 404,
/// `ProblemDetails` otherwise, with `Retry-After` when the rule sets it.
pub fn render_fault(req: &HttpRequest, fault: &Fault) -> HttpResponse {
    let status = fault.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let envelope = |code: &str| {
        json_response(
            status,
            &failure(vec![error_message(
                code,
                fault.message.clone(),
                None,
                BTreeMap::new(),
                MessageType::System,
            )]),
        )
    };
    let mut res = match status {
        StatusCode::BAD_REQUEST => envelope("BadRequest"),
        StatusCode::NOT_FOUND => envelope("NotFound"),
        _ => problem(status, &fault.message, &Context::of(req)),
    };
    if status == StatusCode::UNAUTHORIZED {
        set_header(&mut res, header::WWW_AUTHENTICATE, "Bearer");
    }
    if let Some(seconds) = fault.retry_after {
        set_header(&mut res, header::RETRY_AFTER, &seconds.to_string());
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_KINDS: [ErrorKind; 9] = ErrorKind::ALL;

    #[test]
    fn content_errors_use_the_envelope_and_access_errors_problem_details() {
        for kind in ALL_KINDS {
            let (status, answer) = kind_table(kind);
            let envelope = matches!(answer, Answer::Envelope { .. });
            assert_eq!(
                envelope,
                matches!(status, StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND),
                "{kind:?}: 400 and 404 are envelopes, everything else ProblemDetails"
            );
        }
        assert_eq!(
            kind_table(ErrorKind::Conflict).0,
            StatusCode::BAD_REQUEST,
            "no 409 is documented"
        );
        assert_eq!(
            kind_table(ErrorKind::Unauthenticated).0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(kind_table(ErrorKind::Forbidden).0, StatusCode::FORBIDDEN);
        assert_eq!(
            kind_table(ErrorKind::Internal).0,
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            kind_table(ErrorKind::Unavailable).0,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn issue_codes_follow_the_spec() {
        assert_eq!(issue_code(&IssueCode::Required).0, "Required");
        let (code, ty, meta) = issue_code(&IssueCode::TooLong { max: 256 });
        assert_eq!((code, ty), ("TooLong", MessageType::Validation));
        assert_eq!(meta.get("MaxLength"), Some(&Some("256".to_owned())));
        assert_eq!(issue_code(&IssueCode::InvalidFormat).0, "InvalidFormat");
        assert_eq!(issue_code(&IssueCode::InvalidType).0, "InvalidType");
        assert_eq!(issue_code(&IssueCode::Taken).0, "Duplicate");
    }

    #[test]
    fn every_garde_rule_of_the_request_has_a_wire_mapping() {
        use garde::Validate;
        let long = "x".repeat(NAME_MAX.max(EMAIL_MAX) + 1);
        let request = crate::wire::UpdateAccountProfileRequest {
            user_name: Some(long.clone()),
            email: Some(long.clone()),
            first_name: Some(long.clone()),
            last_name: Some(long),
        };
        let report = request
            .validate()
            .expect_err("every limited field is too long");
        let paths: Vec<String> = report.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(paths.len(), 3, "{paths:?}");
        for path in paths {
            let issue = garde_issue(&path).unwrap_or_else(|| panic!("no wire mapping for {path}"));
            assert!(matches!(issue.code, IssueCode::TooLong { .. }));
        }
    }

    #[test]
    fn problem_types_and_titles_follow_aspnet_core() {
        let (ty, title) = problem_defaults(StatusCode::FORBIDDEN);
        assert_eq!(ty, "https://tools.ietf.org/html/rfc9110#section-15.5.4");
        assert_eq!(title, "Forbidden");
        let (ty, title) = problem_defaults(StatusCode::UNAUTHORIZED);
        assert_eq!(ty, "https://tools.ietf.org/html/rfc9110#section-15.5.2");
        assert_eq!(title, "Unauthorized");
        assert_eq!(
            problem_defaults(StatusCode::METHOD_NOT_ALLOWED).0,
            "https://tools.ietf.org/html/rfc9110#section-15.5.6"
        );
        assert_eq!(
            problem_defaults(StatusCode::PAYLOAD_TOO_LARGE).0,
            "https://tools.ietf.org/html/rfc9110#section-15.5.14"
        );
        assert_eq!(
            problem_defaults(StatusCode::UNSUPPORTED_MEDIA_TYPE).0,
            "https://tools.ietf.org/html/rfc9110#section-15.5.16"
        );
        assert_eq!(
            problem_defaults(StatusCode::UNPROCESSABLE_ENTITY).0,
            "https://tools.ietf.org/html/rfc9110#section-15.5.21"
        );
        assert_eq!(
            problem_defaults(StatusCode::SERVICE_UNAVAILABLE).0,
            "https://tools.ietf.org/html/rfc9110#section-15.6.4"
        );
        assert_eq!(
            problem_defaults(StatusCode::INTERNAL_SERVER_ERROR).1,
            "An error occurred while processing your request."
        );
        assert_eq!(
            problem_defaults(StatusCode::TOO_MANY_REQUESTS).0,
            "https://tools.ietf.org/html/rfc6585#section-4"
        );
    }
}
