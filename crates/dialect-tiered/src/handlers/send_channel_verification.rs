//! `POST /api/v1/contact-channels/{user_id}/{contact_channel_id}/send-verification-code`
//! (`contactChannel.sendVerificationEmail`): mails the channel's address a verification code. A
//! client only for its own user (400 text otherwise); a server for an existing user
//! (`USER_ID_DOES_NOT_EXIST`); an unknown channel is 404 text, a verified one
//! `EMAIL_ALREADY_VERIFIED`; then the callback rule.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::{schema_error, uuid_param},
    known::KnownError,
    respond,
    sessions::UserRef,
};

/// Sends a contact channel a verification code.
#[utoipa::path(
    post, path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}/send-verification-code", tag = "Contact Channels",
    summary = "Send contact channel verification code",
    params(crate::openapi::ProjectHeaders,
        ("user_id" = String, Path, description = "`me` or a user id."),
        ("contact_channel_id" = String, Path, description = "The channel.")),
    request_body = crate::wire::CallbackUrl,
    responses(
        (status = 200, description = "Sent.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400), `USER_ID_DOES_NOT_EXIST` (400), `EMAIL_ALREADY_VERIFIED` (409), `REDIRECT_URL_NOT_WHITELISTED` (400); 404 text for an unknown channel.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure, or no mail can be sent (503): plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn send_channel_verification(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let raw = req.match_info().get("user_id").unwrap_or_default();
    let user_ref = UserRef::parse(raw);
    let channel_id = uuid_param(&req, "contact_channel_id");
    let callback = contact::callback_body(&smart.body);
    let (user_ref, channel_id, callback) = match (user_ref, channel_id, callback) {
        (Some(u), Ok(c), Ok(cb)) => (u, c, cb),
        (u, c, cb) => {
            let mut lines = Vec::new();
            if u.is_none() {
                lines.push("params.user_id must be a valid UUID".to_owned());
            }
            lines.extend(c.err());
            lines.extend(cb.err().unwrap_or_default());
            return Err(schema_error(&req, &lines));
        }
    };
    let user_id = if caller.access_type == AccessType::Client {
        let own = caller
            .user
            .as_ref()
            .ok_or_else(KnownError::cannot_get_own_user_without_user)?;
        let named = user_ref.resolve(Some(own))?;
        if named != own.id {
            return Err(TieredError::text(
                StatusCode::BAD_REQUEST,
                "Can only send verification code for your own user",
            ));
        }
        named
    } else {
        user_ref.resolve(caller.user.as_ref())?
    };
    let Some(user) = super::existing_user(&gateway, user_id).await? else {
        return Err(KnownError::user_id_does_not_exist(&user_id.to_string()).into());
    };
    let channels = gateway.contact_channels(&user).await?;
    let Some(channel) = channels.iter().find(|c| c.id == channel_id) else {
        return Err(TieredError::text(
            StatusCode::NOT_FOUND,
            "Contact channel not found",
        ));
    };
    if channel.is_verified {
        return Err(KnownError::email_already_verified().into());
    }
    contact::send_verification(&gateway, &caller.project, &user, &channel.value, &callback).await?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"success": true}),
    ))
}
