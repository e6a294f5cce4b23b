//! `GET /api/v1/contact-channels/{user_id}/{contact_channel_id}`: one channel of a user; clients
//! their own only (403 text), an unknown one 404 text.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::schema_error,
    respond,
};

/// Reads a contact channel.
#[utoipa::path(
    get, path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}", tag = "Contact Channels",
    summary = "Get a contact channel",
    params(crate::openapi::ProjectHeaders,
        ("user_id" = String, Path, description = "`me` or a user id."),
        ("contact_channel_id" = String, Path, description = "The channel.")),
    responses(
        (status = 200, description = "The channel.", body = crate::wire::ContactChannelRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400); 403 text for another user's channel, 404 text `Contact channel not found.`", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn get_contact_channel(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let path = contact::path(&req).map_err(|lines| schema_error(&req, &lines))?;
    let (user_id, id) = contact::own_channel(caller, path, "read")?;
    let channels = match super::existing_user(&gateway, user_id).await? {
        Some(user) => gateway.contact_channels(&user).await?,
        None => Vec::new(),
    };
    let channel = channels
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| TieredError::text(StatusCode::NOT_FOUND, "Contact channel not found."))?;
    Ok(respond::json(&req, StatusCode::OK, &contact::read(channel)))
}
