//! `POST /auth/login` (users-me): exchange a `ZENPROKEY_` API key for an access token, or, with
//! the device-code grant type, poll a device login (`handlers::device_grant`). A login opens a
//! session, so it counts among the user's active sessions.

use actix_web::{HttpRequest, HttpResponse, http::header, web::Data};
use gateway_core::{CoreError, Gateway, Surface};
use gateway_http::{Tokens, auth::bearer};

use crate::{
    error::UsersMeError,
    extract::FormBody,
    handlers::device_grant,
    policy,
    wire::users_me::{ErrorDetail, LoginForm, TokenResponse},
};

/// Log in with an API key.
///
/// The key may come in the form field `password`, in `Authorization: Bearer`, or in both (then
/// they must be equal). The answer is a bearer token valid for `expires_in` seconds; there is no
/// refresh token.
#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "auth",
    operation_id = "login",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Successful Response", body = TokenResponse),
        (status = 400, description = "Device grant: an OAuth error (authorization_pending, slow_down, access_denied, expired_token, invalid_grant, invalid_request)", body = crate::wire::users_me_account::OAuthError),
        (status = 401, description = "CredentialsNotValid: no key, unknown or revoked key, two different keys", body = ErrorDetail),
        (status = 413, description = "ValueError (body too large)", body = ErrorDetail),
        (status = 422, description = "ValueError (unparsable form)", body = ErrorDetail),
        (status = 429, description = "RuntimeError (rate limited)", body = ErrorDetail),
        (status = 500, description = "RuntimeError", body = ErrorDetail),
        (status = 503, description = "RuntimeError (storage unavailable)", body = ErrorDetail),
    )
)]
pub async fn login(
    req: HttpRequest,
    gateway: Data<Gateway>,
    tokens: Data<Tokens>,
    form: FormBody<LoginForm>,
) -> Result<HttpResponse, UsersMeError> {
    let form = form.into_inner()?.unwrap_or_default();
    if form.grant_type.as_deref() == Some(device_grant::DEVICE_CODE_GRANT) {
        return device_grant::poll(
            &gateway,
            &tokens,
            form.client_id.as_deref(),
            form.device_code.as_deref(),
        )
        .await;
    }
    let from_form = form.password.filter(|k| !k.is_empty());
    let from_header = bearer(&req).filter(|k| !k.is_empty());
    let key = match (from_form.as_deref(), from_header) {
        (Some(form), Some(header)) if form != header => {
            return Err(CoreError::unauthenticated(
                "the API keys in the form and the header differ",
            )
            .into());
        }
        (Some(key), _) | (None, Some(key)) => key,
        (None, None) => return Err(CoreError::unauthenticated("no API key was given").into()),
    };
    let (_, user) = gateway.authenticate_api_key(Surface::UsersMe, key).await?;
    policy::users_me_access(&user)?;
    let issued = crate::auth::session_token(&gateway, &tokens, &user, Surface::UsersMe).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(TokenResponse {
            access_token: issued.token,
            token_type: "bearer",
            expires_in: issued.expires_in,
        }))
}
