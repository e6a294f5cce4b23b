//! `PATCH /me`: a partial update of the caller's profile, at most once per `Idempotency-Key`.

use actix_web::{HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, UserPatch};
use gateway_http::Auth;

use crate::{
    auth::{CamelAuth, ensure_self_service},
    convert::Profile,
    error::CamelError,
    extract::{IdempotencyKeyHeader, JsonValue},
    idempotency::{self, JsonReply, PATCH_ME_SCOPE},
    wire::{ErrorBody, UpdateUserRequest, User},
};

/// Update profile
///
/// Update the profile of the currently logged in user.
#[utoipa::path(
    patch,
    path = "/me",
    tag = "Current user",
    operation_id = "updateMe",
    security(("bearer" = []), ("accessKey" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false,
            description = "1-255 printable ASCII characters. Within 24 hours, a repeat with the same body gets the first response again (with `Idempotent-Replayed: true`); another body is 409."),
    ),
    request_body(content = UpdateUserRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = User, content_type = "application/json"),
        (status = 400, description = "Malformed JSON or a bad Idempotency-Key", body = ErrorBody, content_type = "application/json"),
        (status = 401, description = "unauthorized request", body = ErrorBody, content_type = "application/json"),
        (status = 403, description = "The account may not be changed here", body = ErrorBody, content_type = "application/json"),
        (status = 409, description = "Idempotency-Key reused with another body, or still in use", body = ErrorBody, content_type = "application/json"),
        (status = 413, description = "Body larger than 64 KiB", body = ErrorBody, content_type = "application/json"),
        (status = 415, description = "Body is not JSON", body = ErrorBody, content_type = "application/json"),
        (status = 422, description = "Request validation failed", body = ErrorBody, content_type = "application/json"),
        (status = 503, description = "Service unavailable (with `Retry-After`)", body = ErrorBody, content_type = "application/json"),
    )
)]
pub async fn patch_me(
    auth: Auth<CamelAuth>,
    key: IdempotencyKeyHeader,
    body: JsonValue,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, CamelError> {
    let user = auth.caller.user;
    ensure_self_service(&user)?;
    let request = UpdateUserRequest::parse(&body.0).map_err(CamelError::validation)?;
    let patch = UserPatch::from(request);
    let id = user.id;
    idempotency::once(&gateway, id, PATCH_ME_SCOPE, key.0, &body.0, || async {
        let updated = gateway.update_user(id, patch).await?.value;
        let active_sessions = gateway.active_sessions(id).await?;
        JsonReply::new(
            StatusCode::OK,
            &User::from(Profile {
                user: &updated,
                active_sessions,
            }),
        )
    })
    .await
}
