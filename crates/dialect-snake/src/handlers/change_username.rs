//! `POST /api/v1/user/username` (platform): change the caller's username.

use actix_web::web::{Data, Json};
use gateway_core::{Gateway, UserPatch};

use crate::{
    auth::PlatformCaller,
    error::PlatformError,
    extract::JsonBody,
    wire::platform::{ChangeUsername, ErrorEnvelope, User},
};

/// Update your username.
///
/// Sending the current username (surrounding blanks aside) changes nothing and answers 200.
#[utoipa::path(
    post,
    path = "/api/v1/user/username",
    tag = "user",
    operation_id = "change_username",
    security(("api_key" = []), ("bearer" = [])),
    request_body(content = ChangeUsername, content_type = "application/json"),
    responses(
        (status = 200, description = "Successful Response", body = User),
        (status = 400, description = "Invalid request (malformed JSON, not JSON)", body = ErrorEnvelope),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 403, description = "Access forbidden (disabled account)", body = ErrorEnvelope),
        (status = 409, description = "Already exists", body = ErrorEnvelope),
        (status = 413, description = "Payload too large", body = ErrorEnvelope),
        (status = 422, description = "Validation error", body = ErrorEnvelope),
        (status = 429, description = "Rate limited", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn change_username(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
    body: JsonBody<ChangeUsername>,
) -> Result<Json<User>, PlatformError> {
    let PlatformCaller(user) = caller;
    let patch = UserPatch::try_from(body.into_inner()?)?;
    let user = if patch.username.as_deref().map(str::trim) == Some(user.identity.username.as_str())
    {
        user
    } else {
        gateway.update_user(user.id, patch).await?.value
    };
    let teams = gateway.memberships(user.id).await?;
    Ok(Json(User::from((user, teams))))
}
