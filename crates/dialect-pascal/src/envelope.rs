//! The bodies this dialect sends: the `Data/Errors/Warnings/Success` result envelope (200, 400,
//! 404) and the JSON writer every answer goes through (`application/json; charset=utf-8`, with
//! every property present, nulls explicit).

use actix_web::{HttpResponse, http::StatusCode};
use serde::Serialize;

use crate::wire::{AccountProfile, AccountProfileResult, Message};

/// The media type of every body, as the vendor documents it.
pub const JSON_UTF8: &str = "application/json; charset=utf-8";

/// `body` as JSON with `status`.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    match serde_json::to_vec(body) {
        Ok(bytes) => HttpResponse::build(status)
            .content_type(JSON_UTF8)
            .body(bytes),
        Err(e) => {
            // Unreachable with these types (string keys only); answer a generic 500 if it happens.
            tracing::error!(error = %e, "cannot serialise an account-profile response");
            HttpResponse::InternalServerError().content_type(JSON_UTF8).body(
                r#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.6.1","title":"An error occurred while processing your request.","status":500,"detail":null,"instance":null,"traceId":null}"#,
            )
        }
    }
}

/// A successful result: the profile, and the warnings (null when there are none).
pub fn success(profile: AccountProfile, warnings: Vec<Message>) -> AccountProfileResult {
    AccountProfileResult {
        data: Some(profile),
        errors: None,
        warnings: (!warnings.is_empty()).then_some(warnings),
        success: true,
    }
}

/// A failed result: no data, the errors.
pub fn failure(errors: Vec<Message>) -> AccountProfileResult {
    AccountProfileResult {
        data: None,
        errors: Some(errors),
        warnings: None,
        success: false,
    }
}
