//! `POST /api/v1/contact-channels` (`user.createContactChannel`): adds an email to a user, 201
//! with the channel. Clients for their own user only, never verified by them; `is_primary` makes
//! it the primary email (the primary before stays, as an other channel).

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::{channel_refused, own_user_only, schema_error},
    respond,
};

/// Creates a contact channel.
#[utoipa::path(
    post, path = "/api/v1/contact-channels", tag = "Contact Channels",
    summary = "Create a contact channel",
    params(crate::openapi::ProjectHeaders),
    request_body = crate::wire::ContactChannelCreate,
    responses(
        (status = 201, description = "The channel.", body = crate::wire::ContactChannelRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400), `USER_NOT_FOUND` (404), `CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE` (409); 403 text for another user's channels, 400 text `Contact channel already exists`, 400 text when the user has the most channels the gateway keeps.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn create_contact_channel(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let server = caller.access_type != AccessType::Client;
    let body =
        contact::create_body(&smart.body, server).map_err(|lines| schema_error(&req, &lines))?;
    let user_id = body.user.resolve(caller.user.as_ref())?;
    own_user_only(
        caller,
        Some(user_id),
        "Client can only create contact channels for their own user.",
    )?;
    let value = gateway_core::validate::normalize_email(&body.channel.value);
    let channel = gateway
        .create_contact_channel(user_id, body.channel)
        .await?
        .map_err(|r| channel_refused(r, Some(&value)))?;
    Ok(respond::json(
        &req,
        StatusCode::CREATED,
        &contact::read(&channel),
    ))
}
