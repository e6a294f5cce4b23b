//! `PATCH /users/me` (users-me): update the caller's user.

use actix_web::web::{Data, Json};
use gateway_core::{Gateway, UserPatch};

use crate::{
    auth::UsersMeCaller,
    error::UsersMeError,
    extract::JsonBody,
    policy,
    wire::users_me::{ErrorDetail, UserResponse, UserUpdate},
};

/// Update the currently authenticated user.
///
/// Raises `ValueError` (400) if the user is a service account or the built-in admin, or if an
/// OAuth2 user changes `username` or `email`.
#[utoipa::path(
    patch,
    path = "/users/me",
    tag = "users",
    operation_id = "update_current_user_endpoint",
    security(("bearer" = [])),
    request_body(content = UserUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "Successful Response", body = UserResponse),
        (status = 400, description = "ValueError (account rule)", body = ErrorDetail),
        (status = 401, description = "CredentialsNotValid (with `WWW-Authenticate: Bearer`)", body = ErrorDetail),
        (status = 403, description = "IllegalOperationError (superuser-only field)", body = ErrorDetail),
        (status = 409, description = "EntityExistsError (username or email taken)", body = ErrorDetail),
        (status = 413, description = "ValueError (body too large)", body = ErrorDetail),
        (status = 422, description = "ValueError (validation, malformed JSON)", body = ErrorDetail),
        (status = 429, description = "RuntimeError (rate limited)", body = ErrorDetail),
        (status = 500, description = "RuntimeError", body = ErrorDetail),
        (status = 503, description = "RuntimeError (storage unavailable)", body = ErrorDetail),
    )
)]
pub async fn patch_me(
    caller: UsersMeCaller,
    gateway: Data<Gateway>,
    body: JsonBody<UserUpdate>,
) -> Result<Json<UserResponse>, UsersMeError> {
    let UsersMeCaller(user) = caller;
    let patch = UserPatch::try_from(body.into_inner()?)?;
    policy::users_me_update(&user, &patch)?;
    let user = if patch == UserPatch::default() {
        user
    } else {
        gateway.update_user(user.id, patch).await?.value
    };
    Ok(Json(UserResponse::from(user)))
}
