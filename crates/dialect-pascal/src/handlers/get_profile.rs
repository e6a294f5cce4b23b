//! `GET /api/workspace/account/profile`: the caller's own profile.

use actix_web::{HttpResponse, http::StatusCode};

use crate::{
    auth::Caller,
    envelope::{json_response, success},
    wire::{AccountProfile, AccountProfileResult, ProblemDetails},
};

/// Return the authenticated workspace user's profile. The `Caller` extractor has loaded the user
/// (its one core call); this converts it.
#[utoipa::path(
    get,
    path = "/api/workspace/account/profile",
    tag = "AccountProfile",
    operation_id = "GetAccountProfile",
    summary = "Return the authenticated workspace user's profile.",
    description = "Service accounts cannot access this endpoint via API keys.",
    security(("Bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "OK", body = AccountProfileResult, content_type = "application/json"),
        (status = 401, description = "Unauthorized: no valid access token.", body = ProblemDetails, content_type = "application/json"),
        (status = 403, description = "Forbidden: a service account presented an API key.", body = ProblemDetails, content_type = "application/json"),
        (status = 404, description = "Not Found: the user of the token no longer exists.", body = AccountProfileResult, content_type = "application/json"),
        (status = 500, description = "Internal Server Error.", body = ProblemDetails, content_type = "application/json"),
        (status = 503, description = "Service Unavailable.", body = ProblemDetails, content_type = "application/json"),
    )
)]
pub async fn get_profile(caller: Caller) -> HttpResponse {
    json_response(
        StatusCode::OK,
        &success(AccountProfile::from(&caller.user), Vec::new()),
    )
}
