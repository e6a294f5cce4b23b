//! `PATCH /api/v1/users/me`: updates the caller's own user. Client callers may write only the
//! client fields; any other key is an unknown property. Answers the read object of the caller's
//! tier.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    convert,
    error::TieredError,
    handlers::{read, schema_error, write},
    known::KnownError,
    respond, validate,
};

/// Updates the current user.
#[utoipa::path(
    patch, path = "/api/v1/users/me", tag = "Users",
    summary = "Update current user",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::UserUpdate,
    responses(
        (status = 200, description = "The updated user (client or server read object).", body = crate::wire::UserRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER`, `TEAM_MEMBERSHIP_NOT_FOUND` (404), `USER_EMAIL_ALREADY_EXISTS` (409); plain-text rule violations (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn patch_me(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let tier = caller.tier();
    let update =
        validate::user_update(&smart.body, tier).map_err(|lines| schema_error(&req, &lines))?;
    if caller.access_type == AccessType::Client
        && let Some(Some(url)) = &update.profile_image_url
        && !url.is_empty()
        && !validate::is_base64_image(url)
    {
        return Err(TieredError::text(
            StatusCode::BAD_REQUEST,
            "Invalid profile image URL",
        ));
    }
    convert::check_password_fields(&update)?;
    let current = caller
        .user
        .as_ref()
        .ok_or_else(KnownError::cannot_get_own_user_without_user)?;
    let user = write(&req, &gateway, current, update).await?;
    let view = read(&gateway, &user, tier).await?;
    Ok(respond::json(&req, StatusCode::OK, &view))
}
