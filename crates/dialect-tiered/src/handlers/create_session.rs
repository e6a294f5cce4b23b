//! `POST /api/v1/auth/sessions` (`serverUser.createSession`; the vendor's e2e `Auth.fastSignUp`):
//! opens a session of a user for server and admin callers; 200 with its refresh and access tokens.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{ErrorKind, Gateway, Surface};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{mint, schema_error},
    known::KnownError,
    respond, sessions,
    tokens::ACCESS_TOKEN_LIFETIME,
    wire::SessionTokens,
};

/// Creates a session for a user.
#[utoipa::path(
    post, path = "/api/v1/auth/sessions", tag = "Sessions",
    summary = "Create session",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::SessionCreate,
    responses(
        (status = 200, description = "The new session's tokens.", body = crate::wire::SessionTokens),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `INSUFFICIENT_ACCESS_TYPE` (401, client callers), `SCHEMA_ERROR` (`expires_in_millis` over 367 days, ...), `CANNOT_GET_OWN_USER_WITHOUT_USER`, `USER_ID_DOES_NOT_EXIST` (400).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn create_session(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Server, AccessType::Admin])?;
    let body = sessions::create_body(&smart.body).map_err(|lines| schema_error(&req, &lines))?;
    let user_id = body.user.resolve(caller.user.as_ref())?;
    let user = match gateway.user(user_id).await {
        Ok(user) => user,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(KnownError::user_id_does_not_exist(&user_id.to_string()).into());
        }
        Err(e) => return Err(e.into()),
    };
    let issued = gateway
        .open_project_session(
            caller.project.id,
            user.id,
            Surface::Users,
            body.expires_in,
            body.is_impersonation,
        )
        .await?;
    let (access_token, _) = mint(
        &req,
        &gateway,
        &caller.project.id.to_string(),
        &user,
        &issued.session.id.to_string(),
        ACCESS_TOKEN_LIFETIME,
    )
    .await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &SessionTokens {
            refresh_token: issued.refresh_token,
            access_token,
        },
    ))
}
