//! `GET /api/v1/users`: lists users for server and admin callers (server read objects), in the
//! vendor's page shape `{items, is_paginated, pagination: {next_cursor}}`. Filters, order and
//! cursor are [`crate::listing`]'s; the users are every user of the gateway (projects do not
//! partition users), read from the core in batches.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{Gateway, User, service::LIST_USERS_MAX};

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{read, schema_error},
    listing, respond,
    validate::Tier,
    wire::{Pagination, UserPage},
};

/// Every user the core holds, oldest first.
async fn all_users(gateway: &Gateway) -> Result<Vec<User>, TieredError> {
    let mut all = Vec::new();
    loop {
        let offset = i64::try_from(all.len()).unwrap_or(i64::MAX);
        let batch = gateway.list_users(LIST_USERS_MAX, offset).await?;
        let done = i64::try_from(batch.len()).unwrap_or(0) < LIST_USERS_MAX;
        all.extend(batch);
        if done {
            return Ok(all);
        }
    }
}

/// Lists users.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "Users",
    summary = "List users",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, description = "Page size (an integer ≥ 1); absent = every user."),
        ("cursor" = Option<String>, Query, format = Uuid, description = "Id of the first user of the page (inclusive): the `next_cursor` of the previous page. A cursor naming no user gives an empty page."),
        ("order_by" = Option<String>, Query, description = "`signed_up_at` (default) or `last_active_at`; ties are ordered by id in the same direction."),
        ("desc" = Option<String>, Query, description = "`true` or `false` (default)."),
        ("query" = Option<String>, Query, description = "Search: the user id, or a part of the display name or primary email, letter case aside."),
        ("include_anonymous" = Option<String>, Query, description = "`true`: also anonymous and restricted users."),
        ("only_anonymous" = Option<String>, Query, description = "`true`: anonymous users only (needs `include_anonymous=true`)."),
        ("include_restricted" = Option<String>, Query, description = "`true`: also users restricted by an admin."),
        crate::openapi::ProjectHeaders,
    ),
    responses(
        (status = 200, description = "One page of users (server read objects).", body = crate::wire::UserPage),
        (status = "4XX", description = "Known errors are pretty-printed `{code, details?, error}` JSON with `x-stack-known-error`; the vendor's plain-text errors (and 404/405/413) are `text/plain`. Codes: the authentication errors, `ACCESS_TYPE_REQUIRED` (400), `INSUFFICIENT_ACCESS_TYPE` (401, client callers), `SCHEMA_ERROR` (query); plain-text 400 `only_anonymous=true requires include_anonymous=true`.", content((crate::openapi::KnownErrorBody = "application/json"), (String = "text/plain"))),
        (status = "5XX", description = "An unexpected failure: plain text ending with the request id.", content((String = "text/plain"))),
    )
)]
pub async fn list_users(
    req: HttpRequest,
    smart: Smart,
    gateway: Data<Gateway>,
) -> Result<HttpResponse, TieredError> {
    smart.require(&[AccessType::Server, AccessType::Admin])?;
    let query = listing::list_query(req.query_string()).map_err(|l| schema_error(&req, &l))?;
    if query.only_anonymous && !query.include_anonymous {
        return Err(TieredError::text(
            StatusCode::BAD_REQUEST,
            "only_anonymous=true requires include_anonymous=true",
        ));
    }
    let (users, next_cursor) = listing::page(all_users(&gateway).await?, &query);
    let mut items = Vec::with_capacity(users.len());
    for user in &users {
        items.push(read(&gateway, user, Tier::Server).await?);
    }
    let page = UserPage {
        items,
        is_paginated: true,
        pagination: Pagination { next_cursor },
    };
    Ok(respond::json(&req, StatusCode::OK, &page))
}
