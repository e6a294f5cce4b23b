//! `PUT /api/workspace/account/profile`: a partial update of the caller's own profile.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use garde::Validate;
use gateway_core::{Gateway, Outcome};

use crate::{
    auth::Caller,
    body,
    convert::{ProfileUpdate, warnings},
    envelope::{json_response, success},
    error::{AtRequest, PascalError},
    wire::{AccountProfile, AccountProfileResult, ProblemDetails, UpdateAccountProfileRequest},
};

/// Update the authenticated workspace user's profile fields. The credential is checked before
/// the body is read, so a bad token is a 401 whatever the body. Normalised values (trimmed,
/// lower-cased) come back as `Warnings` of the 200 envelope.
#[utoipa::path(
    put,
    path = "/api/workspace/account/profile",
    tag = "AccountProfile",
    operation_id = "PutAccountProfile",
    summary = "Update the authenticated workspace user's profile fields.",
    description = "Service accounts cannot access this endpoint via API keys. Absent or null \
        properties are left unchanged; \"\" clears Email, FirstName and LastName.",
    security(("Bearer" = []), ("access_token" = [])),
    request_body(
        content = UpdateAccountProfileRequest,
        content_type = "application/json",
        description = "Request payload to update the authenticated workspace account profile."
    ),
    responses(
        (status = 200, description = "OK", body = AccountProfileResult, content_type = "application/json"),
        (status = 400, description = "Bad Request: malformed JSON, a wrong type, a broken limit or a taken value.", body = AccountProfileResult, content_type = "application/json"),
        (status = 401, description = "Unauthorized: no valid access token.", body = ProblemDetails, content_type = "application/json"),
        (status = 403, description = "Forbidden: a service account presented an API key.", body = ProblemDetails, content_type = "application/json"),
        (status = 404, description = "Not Found: the user of the token no longer exists.", body = AccountProfileResult, content_type = "application/json"),
        (status = 413, description = "Payload Too Large: the body is over the limit (64 KiB by default).", body = ProblemDetails, content_type = "application/json"),
        (status = 415, description = "Unsupported Media Type: the body is not JSON.", body = ProblemDetails, content_type = "application/json"),
        (status = 500, description = "Internal Server Error.", body = ProblemDetails, content_type = "application/json"),
        (status = 503, description = "Service Unavailable.", body = ProblemDetails, content_type = "application/json"),
    )
)]
pub async fn put_profile(
    req: HttpRequest,
    caller: Caller,
    gateway: web::Data<Gateway>,
    payload: web::Payload,
) -> Result<HttpResponse, PascalError> {
    let request = body::read_update(&req, payload.into_inner()).await?;
    request
        .validate()
        .map_err(|report| PascalError::from_garde(&report, &req))?;
    let ProfileUpdate { patch, notices } = ProfileUpdate::from(request);
    let Outcome {
        value: user,
        notices: core_notices,
    } = gateway.update_user(caller.user.id, patch).await.at(&req)?;
    let profile = AccountProfile::from(&user);
    let warnings = warnings(notices.iter().chain(&core_notices), &profile);
    Ok(json_response(StatusCode::OK, &success(profile, warnings)))
}
