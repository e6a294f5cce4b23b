//! `GET /users/me` (users-me): the caller's user.

use actix_web::web::Json;

use crate::{
    auth::UsersMeCaller,
    error::UsersMeError,
    wire::users_me::{ErrorDetail, UserResponse},
};

/// Get the currently authenticated user.
#[utoipa::path(
    get,
    path = "/users/me",
    tag = "users",
    operation_id = "get_current_user_endpoint",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Successful Response", body = UserResponse),
        (status = 401, description = "CredentialsNotValid (with `WWW-Authenticate: Bearer`)", body = ErrorDetail),
        (status = 429, description = "RuntimeError (rate limited)", body = ErrorDetail),
        (status = 500, description = "RuntimeError", body = ErrorDetail),
        (status = 503, description = "RuntimeError (storage unavailable)", body = ErrorDetail),
    )
)]
pub async fn get_me(caller: UsersMeCaller) -> Result<Json<UserResponse>, UsersMeError> {
    let UsersMeCaller(user) = caller;
    Ok(Json(UserResponse::from(user)))
}
