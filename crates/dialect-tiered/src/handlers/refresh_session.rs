//! `POST /api/v1/auth/sessions/current/refresh`: the REST refresh (not used by the JS SDK): a
//! refresh token in `x-stack-refresh-token` (or `x-hexclave-refresh-token`) for a client or
//! higher caller of its project.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{mint, resume, schema_error},
    headers, respond,
    tokens::ACCESS_TOKEN_LIFETIME,
    wire::RefreshResponse,
};

/// Exchanges the refresh token of the header for a new access token.
#[utoipa::path(
    post, path = "/api/v1/auth/sessions/current/refresh", tag = "Sessions",
    summary = "Refresh access token",
    params(crate::openapi::ProjectHeaders,
        ("x-stack-refresh-token" = String, Header, description = "The refresh token.")),
    responses(
        (status = 200, description = "A new access token.", body = crate::wire::RefreshResponse),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `SCHEMA_ERROR` (no refresh token header), `REFRESH_TOKEN_NOT_FOUND_OR_EXPIRED` (401).", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn refresh_session(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let Some(refresh_token) = headers::get(&req, "refresh-token") else {
        return Err(schema_error(
            &req,
            &["headers.x-stack-refresh-token must be defined".to_owned()],
        ));
    };
    let (session, user) = resume(&gateway, caller.project.id, &refresh_token).await?;
    let (access_token, _) = mint(
        &req,
        &gateway,
        &caller.project.id.to_string(),
        &user,
        &session.id.to_string(),
        ACCESS_TOKEN_LIFETIME,
    )
    .await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &RefreshResponse { access_token },
    ))
}
