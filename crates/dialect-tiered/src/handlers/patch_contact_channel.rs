//! `PATCH /api/v1/contact-channels/{user_id}/{contact_channel_id}` (`contactChannel.update`):
//! changes a channel's value, sign-in use or primary status (servers: also verification). A new
//! value is unverified unless the same request says otherwise, and gives the channel a new id;
//! `is_primary: true` swaps the primary email in one change of the user.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::{channel_changed, schema_error},
    respond,
};

/// Updates a contact channel.
#[utoipa::path(
    patch, path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}", tag = "Contact Channels",
    summary = "Update a contact channel",
    params(crate::openapi::ProjectHeaders,
        ("user_id" = String, Path, description = "`me` or a user id."),
        ("contact_channel_id" = String, Path, description = "The channel.")),
    request_body = crate::wire::ContactChannelUpdate,
    responses(
        (status = 200, description = "The channel after the change.", body = crate::wire::ContactChannelRead),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400), `CONTACT_CHANNEL_ALREADY_USED_FOR_AUTH_BY_SOMEONE_ELSE` (409); 403 text for another user's channel, 400 text `Contact channel not found`, 400 text `Contact channel already exists`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn patch_contact_channel(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let server = caller.access_type != AccessType::Client;
    let (path, patch) = match (
        contact::path(&req),
        contact::patch_body(&smart.body, server),
    ) {
        (Ok(path), Ok(patch)) => (path, patch),
        (path, patch) => {
            let mut lines = path.err().unwrap_or_default();
            lines.extend(patch.err().unwrap_or_default());
            return Err(schema_error(&req, &lines));
        }
    };
    let (user_id, id) = contact::own_channel(caller, path, "update")?;
    let channel = channel_changed(gateway.update_contact_channel(user_id, id, patch).await)?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &contact::read(&channel),
    ))
}
