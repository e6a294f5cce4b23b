//! `GET /api/v1/contact-channels?user_id=` (`user.listContactChannels`): the user's channels, the
//! primary email first ([`gateway_core::channels`]). A client may list only its own user's (403
//! text otherwise); a server without `user_id` gets every user's.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::Gateway;
use serde_json::json;

use crate::{
    auth::{AccessType, Smart},
    contact,
    error::TieredError,
    handlers::{own_user_only, schema_error},
    respond,
};

/// Lists contact channels.
#[utoipa::path(
    get, path = "/api/v1/contact-channels", tag = "Contact Channels",
    summary = "List contact channels",
    params(crate::openapi::ProjectHeaders,
        ("user_id" = Option<String>, Query, description = "`me` or a user id; a client must give its own."),
        ("contact_channel_id" = Option<String>, Query, description = "Only this channel.")),
    responses(
        (status = 200, description = "`{is_paginated: false, items}`; each item `{user_id, id, type, value, is_primary, is_verified, used_for_auth}`.", body = Object),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `SCHEMA_ERROR`, `CANNOT_GET_OWN_USER_WITHOUT_USER` (400); 403 text for another user's channels.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn list_contact_channels(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    let caller = smart.require(&[AccessType::Client, AccessType::Server, AccessType::Admin])?;
    let (user, channel) =
        contact::list_query(req.query_string()).map_err(|lines| schema_error(&req, &lines))?;
    let named = user.map(|u| u.resolve(caller.user.as_ref())).transpose()?;
    own_user_only(
        caller,
        named,
        "Client can only list contact channels for their own user.",
    )?;
    let channels = match named {
        Some(id) => match super::existing_user(&gateway, id).await? {
            Some(user) => gateway.contact_channels(&user).await?,
            None => Vec::new(),
        },
        None => gateway.all_contact_channels().await?,
    };
    let items: Vec<_> = channels
        .iter()
        .filter(|c| channel.is_none_or(|id| c.id == id))
        .map(contact::read)
        .collect();
    Ok(respond::json(
        &req,
        StatusCode::OK,
        &json!({"is_paginated": false, "items": items}),
    ))
}
