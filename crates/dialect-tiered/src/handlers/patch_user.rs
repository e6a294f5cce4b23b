//! `PATCH /api/v1/users/{user_id}`: updates any user, for server and admin callers (server
//! field set; answers the server read object). A user who is not in good standing
//! (`User::standing`: banned or inactive) is not written: the core refusal, rendered as this
//! surface's 403 text (the vendor has no banned state; reads and deletion by id still work).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    convert,
    error::TieredError,
    handlers::{read, schema_error, user_id_param, write},
    respond,
    validate::{self, Tier},
};

/// Updates a user by id.
#[utoipa::path(
    patch, path = "/api/v1/users/{user_id}", tag = "Users",
    summary = "Update user",
    params(("user_id" = String, Path, description = "The ID of the user (a UUID)."), crate::openapi::ProjectHeaders),
    request_body = crate::wire::UserUpdate,
    responses(
        (status = 200, description = "The updated user (server read object).", body = crate::wire::UserRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `INSUFFICIENT_ACCESS_TYPE`, `SCHEMA_ERROR`, `BODY_PARSING_ERROR`, `USER_NOT_FOUND`, `TEAM_MEMBERSHIP_NOT_FOUND`, `USER_EMAIL_ALREADY_EXISTS`; plain-text rule violations, and 403 `Forbidden` for a user who is banned or inactive.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn patch_user(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    smart.require(&[AccessType::Server, AccessType::Admin])?;
    let body = validate::user_update(&smart.body, Tier::Server);
    let id = user_id_param(&req);
    let (update, id) = match (body, id) {
        (Ok(update), Ok(id)) => (update, id),
        (body, id) => {
            let lines: Vec<String> = body.err().into_iter().flatten().chain(id.err()).collect();
            return Err(schema_error(&req, &lines));
        }
    };
    convert::check_password_fields(&update)?;
    let current = gateway.user(id).await?;
    if let Some(refusal) = current.standing().refusal() {
        return Err(refusal.into());
    }
    let user = write(&req, &gateway, &current, update).await?;
    let view = read(&gateway, &user, Tier::Server).await?;
    Ok(respond::json(&req, StatusCode::OK, &view))
}
