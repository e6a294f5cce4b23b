//! `DELETE /api/v1/contact-channels/{user_id}/{contact_channel_id}` (`contactChannel.delete`):
//! removes a channel; the primary one leaves the user without a primary email.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::{channel_changed, schema_error},
    respond,
};

/// Deletes a contact channel.
#[utoipa::path(
    delete, path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}", tag = "Contact Channels",
    summary = "Delete a contact channel",
    params(crate::openapi::ProjectHeaders,
        ("user_id" = String, Path, description = "`me` or a user id."),
        ("contact_channel_id" = String, Path, description = "The channel.")),
    responses(
        (status = 200, description = "Deleted.", body = crate::wire::Success),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400); 403 text for another user's channel, 400 text `Contact channel not found`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn delete_contact_channel(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let path = contact::path(&req).map_err(|lines| schema_error(&req, &lines))?;
    let (user_id, id) = contact::own_channel(caller, path, "delete")?;
    channel_changed(gateway.delete_contact_channel(user_id, id).await)?;
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"success": true}),
    ))
}
