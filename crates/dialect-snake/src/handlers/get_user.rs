//! `GET /api/v1/user` (platform): the caller's user with its teams.

use actix_web::web::{Data, Json};
use gateway_core::Gateway;

use crate::{
    auth::PlatformCaller,
    error::PlatformError,
    wire::platform::{ErrorEnvelope, User},
};

/// Get the current user.
#[utoipa::path(
    get,
    path = "/api/v1/user",
    tag = "user",
    operation_id = "get_user",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, description = "Successful Response", body = User),
        (status = 401, description = "Authentication failed", body = ErrorEnvelope),
        (status = 403, description = "Access forbidden (disabled account)", body = ErrorEnvelope),
        (status = 429, description = "Rate limited", body = ErrorEnvelope),
        (status = 500, description = "Internal server error", body = ErrorEnvelope),
        (status = 502, description = "Bad gateway", body = ErrorEnvelope),
    )
)]
pub async fn get_user(
    caller: PlatformCaller,
    gateway: Data<Gateway>,
) -> Result<Json<User>, PlatformError> {
    let PlatformCaller(user) = caller;
    let teams = gateway.memberships(user.id).await?;
    Ok(Json(User::from((user, teams))))
}
