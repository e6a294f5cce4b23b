//! Every error a client of this dialect can see: the one table from core [`ErrorKind`] to
//! (status, `type`, `code`), the dialect's own errors (framework rejections, idempotency), the
//! statuses of injected faults, and the mapping from garde paths and core field names to wire
//! names.
//!
//! The body is a bare object, `{"type", "code", "message", "request_id", "details"?}`, which the
//! Bird SDK reads fully; `details` appears on validation errors only. `X-Request-Id` carries the
//! same id as `request_id`, `WWW-Authenticate: Bearer` goes with 401, `Retry-After` with 429 and
//! 503, `Allow` with 405 (set by `gateway_http::resource` from the methods `/me` answers). The
//! kit's renderers ([`SurfaceError`]) re-render every error with the request id.

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    http::{
        Method, StatusCode,
        header::{self, HeaderValue},
    },
};
use gateway_core::{CoreError, ErrorKind, Field};
use gateway_http::{
    SurfaceError,
    body::BodyRejection,
    faults::{DEFAULT_RETRY_AFTER_SECS, Fault},
};

use crate::{
    convert::user_field_name,
    wire::{ErrorBody, ErrorDetail},
};

/// The `Content-Type` of every JSON body of this dialect.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// The (status, `type`, `code`) of every core error kind. The match is exhaustive: a new kind
/// does not compile until this dialect decides how to show it.
pub fn kind_row(kind: ErrorKind) -> (StatusCode, &'static str, &'static str) {
    match kind {
        ErrorKind::Unauthenticated => (StatusCode::UNAUTHORIZED, "auth_error", "Unauthorized"),
        ErrorKind::Forbidden => (StatusCode::FORBIDDEN, "permission_error", "Forbidden"),
        ErrorKind::NotFound => (StatusCode::NOT_FOUND, "not_found_error", "NotFound"),
        ErrorKind::Validation => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_error",
            "ValidationFailed",
        ),
        ErrorKind::Conflict => (StatusCode::CONFLICT, "conflict_error", "Conflict"),
        ErrorKind::PreconditionFailed => (
            StatusCode::PRECONDITION_FAILED,
            "precondition_error",
            "PreconditionFailed",
        ),
        ErrorKind::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "RateLimited",
        ),
        ErrorKind::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable_error",
            "ServiceUnavailable",
        ),
        ErrorKind::Internal => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "InternalError",
        ),
    }
}

/// The `type` and `code` for a bare status (injected faults), following the Bird SDK's
/// status-to-type inference and the codes of the table above.
pub fn status_row(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad_request_error", "BadRequest"),
        401 => ("auth_error", "Unauthorized"),
        402 => ("billing_error", "PaymentRequired"),
        403 => ("permission_error", "Forbidden"),
        404 => ("not_found_error", "NotFound"),
        405 => ("bad_request_error", "MethodNotAllowed"),
        408 => ("bad_request_error", "RequestTimeout"),
        409 => ("conflict_error", "Conflict"),
        412 | 428 => ("precondition_error", "PreconditionFailed"),
        413 => ("payload_too_large_error", "PayloadTooLarge"),
        415 => ("bad_request_error", "UnsupportedMediaType"),
        421 => ("misdirected_error", "MisdirectedRequest"),
        422 => ("validation_error", "ValidationFailed"),
        429 => ("rate_limit_error", "RateLimited"),
        501 => ("not_implemented_error", "NotImplemented"),
        503 => ("service_unavailable_error", "ServiceUnavailable"),
        500..=599 => ("internal_error", "InternalError"),
        _ => ("bad_request_error", "BadRequest"),
    }
}

/// An error in this dialect's envelope.
#[derive(Debug)]
pub struct CamelError {
    status: StatusCode,
    kind: &'static str,
    code: &'static str,
    message: String,
    details: Option<Vec<ErrorDetail>>,
    retry_after: Option<u32>,
}

impl CamelError {
    fn new(status: StatusCode, kind: &'static str, code: &'static str, message: &str) -> Self {
        Self {
            status,
            kind,
            code,
            message: message.to_owned(),
            details: None,
            retry_after: None,
        }
    }

    /// 422 with one item per offending field.
    pub fn validation(details: Vec<ErrorDetail>) -> Self {
        let (status, kind, code) = kind_row(ErrorKind::Validation);
        Self {
            details: Some(details),
            ..Self::new(status, kind, code, "Request validation failed")
        }
    }

    /// 404 for a path under `/me` that no route matches.
    pub fn route_not_found() -> Self {
        let (status, kind, code) = kind_row(ErrorKind::NotFound);
        Self::new(status, kind, code, "the requested resource does not exist")
    }

    /// 405 for a method `/me` does not answer.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_request_error",
            "MethodNotAllowed",
            "this method is not allowed on this resource",
        )
    }

    /// 401 for a credential this dialect does not accept at all (e.g. `Authorization: Basic`).
    pub fn unauthenticated() -> Self {
        CoreError::unauthenticated("unsupported authorization scheme").into()
    }

    /// 403 for a caller that may not do this.
    pub fn forbidden(message: &str) -> Self {
        CoreError::forbidden(message).into()
    }

    /// 409: the `Idempotency-Key` was used for a request with another body.
    pub fn idempotency_key_reused() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict_error",
            "IdempotencyKeyReused",
            "this Idempotency-Key was already used for a different request",
        )
    }

    /// 409: the first request with this `Idempotency-Key` is still running.
    pub fn idempotency_key_in_use() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "conflict_error",
            "IdempotencyKeyInUse",
            "a request with this Idempotency-Key is still being processed; retry later",
        )
    }

    /// 400: the `Idempotency-Key` header is empty, too long or not printable ASCII.
    pub fn invalid_idempotency_key() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad_request_error",
            "InvalidIdempotencyKey",
            "the Idempotency-Key header must be 1 to 255 printable ASCII characters",
        )
    }

    /// An injected fault's status in this envelope, with `message`; `Retry-After` on 429 and
    /// 503 (the fault's value, else 1 s) and whenever the fault names one.
    pub fn fault(status: StatusCode, message: &str, retry_after: Option<u32>) -> Self {
        let (kind, code) = status_row(status);
        let retry_after = retry_after.or_else(|| retry_default(status));
        let details = (status == StatusCode::UNPROCESSABLE_ENTITY).then(Vec::new);
        Self {
            details,
            retry_after,
            ..Self::new(status, kind, code, message)
        }
    }

    /// Any other framework error that reaches this dialect, by its status: the envelope of
    /// [`status_row`] with the status's reason as message (5xx: a generic message; the cause is
    /// logged, never sent).
    pub fn from_status(status: StatusCode, cause: &dyn std::fmt::Display) -> Self {
        let (kind, code) = status_row(status);
        let message = if status.is_server_error() {
            tracing::error!(error = %cause, "unexpected framework error in the camel dialect");
            "internal server error"
        } else {
            status.canonical_reason().unwrap_or("request failed")
        };
        Self {
            retry_after: retry_default(status),
            ..Self::new(status, kind, code, message)
        }
    }

    /// A body the shared body layer refused: 413, 415 or 400 in this envelope.
    pub fn from_body(rejection: &BodyRejection) -> Self {
        let invalid = |detail: &str| {
            Self::new(
                StatusCode::BAD_REQUEST,
                "bad_request_error",
                "InvalidJson",
                &format!("the request body is not valid JSON: {detail}"),
            )
        };
        match rejection {
            BodyRejection::TooLarge { limit } => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large_error",
                "PayloadTooLarge",
                &format!("the request body is larger than {limit} bytes"),
            ),
            BodyRejection::UnsupportedMediaType { .. } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_request_error",
                "UnsupportedMediaType",
                "the request body must be JSON (Content-Type: application/json)",
            ),
            BodyRejection::Malformed(syntax) => invalid(&syntax.short()),
            BodyRejection::NotUtf8 => invalid("it is not valid UTF-8"),
            BodyRejection::NotAnObject => invalid("it is not a JSON object"),
            BodyRejection::DuplicateKey(key) => invalid(&format!("the key {key:?} is repeated")),
            BodyRejection::TooDeep { limit } => {
                invalid(&format!("it is nested deeper than {limit} levels"))
            }
            BodyRejection::TooManyKeys { limit } => {
                invalid(&format!("it has more than {limit} keys"))
            }
            BodyRejection::Unreadable => Self::new(
                StatusCode::BAD_REQUEST,
                "bad_request_error",
                "InvalidJson",
                "the request body could not be read",
            ),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `code` of the envelope.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The response, with `request_id` and `X-Request-Id` taken from `req` when given.
    pub fn render(&self, req: Option<&HttpRequest>) -> HttpResponse {
        let request_id = req.map(gateway_http::request_id).unwrap_or_default();
        let body = ErrorBody {
            kind: self.kind.to_owned(),
            code: self.code.to_owned(),
            message: self.message.clone(),
            request_id: request_id.clone(),
            details: self.details.clone(),
        };
        let mut res = HttpResponse::build(self.status);
        res.content_type(JSON_UTF8);
        if let Ok(value) = HeaderValue::from_str(&request_id)
            && !request_id.is_empty()
        {
            res.insert_header(("x-request-id", value));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        match serde_json::to_string(&body) {
            Ok(text) => res.body(text),
            Err(_) => res.finish(),
        }
    }
}

fn retry_default(status: StatusCode) -> Option<u32> {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    )
    .then_some(DEFAULT_RETRY_AFTER_SECS)
}

impl From<CoreError> for CamelError {
    fn from(e: CoreError) -> Self {
        let (status, kind, code) = kind_row(e.kind());
        let message = match e.kind() {
            ErrorKind::Unauthenticated => "unauthorized request".to_owned(),
            ErrorKind::Validation => "Request validation failed".to_owned(),
            ErrorKind::Internal => {
                tracing::error!(error = %e, "internal error in the camel dialect");
                "internal server error".to_owned()
            }
            ErrorKind::Unavailable => {
                tracing::warn!(error = %e, "store unavailable in the camel dialect");
                e.message().to_owned()
            }
            ErrorKind::Forbidden
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::PreconditionFailed
            | ErrorKind::RateLimited => e.message().to_owned(),
        };
        let details = (e.kind() == ErrorKind::Validation).then(|| {
            e.issues()
                .iter()
                .map(|i| ErrorDetail {
                    param: core_field(i.field),
                    message: i.message.clone(),
                })
                .collect()
        });
        let retry_after = retry_default(status);
        Self {
            status,
            kind,
            code,
            message,
            details,
            retry_after,
        }
    }
}

impl std::fmt::Display for CamelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for CamelError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// Without the request; the resource helper re-renders it with the request id
    /// ([`SurfaceError::render`]).
    fn error_response(&self) -> HttpResponse {
        self.render(None)
    }
}

impl SurfaceError for CamelError {
    /// The fault's status (503 when the rule names none) in this envelope.
    fn fault(req: &HttpRequest, fault: &Fault) -> HttpResponse {
        let status = fault.status.unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        Self::fault(status, &fault.message, fault.retry_after).render(Some(req))
    }

    fn method_not_allowed(req: &HttpRequest, _: &[Method]) -> HttpResponse {
        Self::method_not_allowed().render(Some(req))
    }

    fn not_found(req: &HttpRequest) -> HttpResponse {
        Self::route_not_found().render(Some(req))
    }

    fn render(&self, req: &HttpRequest) -> Option<HttpResponse> {
        Some(CamelError::render(self, Some(req)))
    }

    fn rejection(req: &HttpRequest, error: &actix_web::Error) -> HttpResponse {
        Self::from_status(error.as_response_error().status_code(), error).render(Some(req))
    }
}

/// The wire name of a core field (for core validation issues): a user field by
/// [`user_field_name`], any other in `camelCase`.
pub fn core_field(field: Field) -> String {
    match field {
        Field::User(field) => user_field_name(field).to_owned(),
        Field::Other(name) => camel_case(name),
    }
}

/// The wire name of a field of [`crate::wire::UpdateUserRequest`] as garde names it (the Rust
/// field name; garde ignores serde renames).
pub fn garde_field(path: &str) -> String {
    camel_case(path)
}

/// `snake_case` to `camelCase`.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// garde's messages in this dialect's words ("must ...").
pub fn garde_message(message: &str) -> String {
    let number = |rest: &str| rest.trim().parse::<usize>().ok();
    if let Some(n) = message
        .strip_prefix("length is lower than")
        .and_then(number)
    {
        if n <= 1 {
            "must not be empty".to_owned()
        } else {
            format!("must be at least {n} characters")
        }
    } else if let Some(n) = message
        .strip_prefix("length is greater than")
        .and_then(number)
    {
        format!("must be at most {n} characters")
    } else if message.starts_with("not a valid url") {
        crate::wire::HTTP_URL_MESSAGE.to_owned()
    } else {
        message.to_owned()
    }
}

/// A garde report as details: one item per field (its first problem), in field order.
pub fn garde_details(report: &garde::Report) -> Vec<ErrorDetail> {
    let mut out: Vec<ErrorDetail> = Vec::new();
    for (path, error) in report.iter() {
        let param = garde_field(&path.to_string());
        if out.iter().all(|d| d.param != param) {
            out.push(ErrorDetail {
                param,
                message: garde_message(error.message()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_core::UserField;

    #[test]
    fn every_kind_has_a_distinct_code_and_an_error_status() {
        let kinds = ErrorKind::ALL;
        let mut codes: Vec<_> = kinds.iter().map(|k| kind_row(*k).2).collect();
        for kind in kinds {
            let (status, _, _) = kind_row(kind);
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{kind:?}"
            );
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), kinds.len());
    }

    #[test]
    fn the_spec_table_holds() {
        assert_eq!(
            kind_row(ErrorKind::Unauthenticated),
            (StatusCode::UNAUTHORIZED, "auth_error", "Unauthorized")
        );
        assert_eq!(
            kind_row(ErrorKind::Validation),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_error",
                "ValidationFailed"
            )
        );
        assert_eq!(
            status_row(StatusCode::SERVICE_UNAVAILABLE),
            ("service_unavailable_error", "ServiceUnavailable")
        );
        assert_eq!(
            status_row(StatusCode::BAD_GATEWAY),
            ("internal_error", "InternalError")
        );
    }

    #[test]
    fn field_names_are_translated() {
        assert_eq!(core_field(UserField::DisplayName.into()), "name");
        assert_eq!(core_field(UserField::AvatarUrl.into()), "avatarUrl");
        assert_eq!(core_field(UserField::Locale.into()), "locale");
        assert_eq!(garde_field("avatar_url"), "avatarUrl");
        assert_eq!(core_field(UserField::PhoneNumber.into()), "phoneNumber");
        assert_eq!(core_field(Field::Other("ttl_secs")), "ttlSecs");
        // Every field but the display name is its core name in camelCase.
        for field in UserField::ALL {
            if field != UserField::DisplayName {
                assert_eq!(
                    user_field_name(field),
                    camel_case(field.as_str()),
                    "{field}"
                );
            }
        }
    }

    #[test]
    fn garde_messages_are_reworded() {
        assert_eq!(garde_message("length is lower than 1"), "must not be empty");
        assert_eq!(
            garde_message("length is greater than 256"),
            "must be at most 256 characters"
        );
        assert_eq!(
            garde_message("length is lower than 3"),
            "must be at least 3 characters"
        );
        assert_eq!(
            garde_message("not a valid url: relative URL without a base"),
            crate::wire::HTTP_URL_MESSAGE
        );
        assert_eq!(garde_message("must not be blank"), "must not be blank");
    }

    #[test]
    fn other_framework_errors_render_by_status_without_their_cause() {
        let e = CamelError::from_status(StatusCode::INTERNAL_SERVER_ERROR, &"pool state missing");
        assert_eq!(e.to_string(), "500 InternalError: internal server error");
        let e = CamelError::from_status(StatusCode::BAD_REQUEST, &"bad query");
        assert_eq!(e.to_string(), "400 BadRequest: Bad Request");
        let res = CamelError::from_status(StatusCode::SERVICE_UNAVAILABLE, &"x").render(None);
        assert_eq!(
            res.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
    }

    #[test]
    fn core_errors_render_in_the_envelope() {
        let e = CamelError::from(CoreError::validation(vec![gateway_core::FieldIssue::new(
            UserField::Locale,
            gateway_core::IssueCode::InvalidFormat,
            "must be a valid BCP 47 language tag",
        )]));
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = e.render(None);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(JSON_UTF8.as_bytes())
        );
        let internal = CamelError::from(CoreError::internal("secret detail"));
        assert_eq!(
            internal.to_string(),
            "500 InternalError: internal server error"
        );
        let unavailable = CamelError::from(CoreError::unavailable("db down"));
        assert_eq!(
            unavailable
                .render(None)
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
    }
}
