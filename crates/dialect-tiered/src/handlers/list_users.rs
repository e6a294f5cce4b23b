//! `GET /api/v1/users`: lists users for server and admin callers (server read objects), in the
//! vendor's page shape `{items, is_paginated, pagination: {next_cursor}}`. The query string is
//! validated by [`crate::listing`]; the page is the core's keyset query ([`UserQuery`]) over every
//! user of the gateway (projects do not partition users), the vendor's flags mapped onto the
//! core's filters here.

use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web::Data};
use gateway_core::{
    FlagFilter, Gateway, USER_PAGE_MAX, User, UserId, UserOrder, UserQuery, UserSearch,
};
use uuid::Uuid;

use crate::{
    auth::{AccessType, Smart},
    error::TieredError,
    handlers::{read, schema_error},
    listing::{self, ListQuery, OrderBy},
    respond,
    validate::{Tier, is_uuid},
    wire::{Pagination, UserPage},
};

/// The search of the vendor's `query`: the display name or primary email containing the text,
/// letter case aside, or the user whose id is the text without its characters other than
/// `[a-zA-Z0-9-_.]`, when that is a UUID.
fn search(text: &str) -> UserSearch {
    let cleaned: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let id = is_uuid(&cleaned)
        .then(|| Uuid::parse_str(&cleaned).ok().map(UserId))
        .flatten();
    UserSearch {
        text: text.to_owned(),
        id,
    }
}

/// The core query of a vendor query (its limit aside): `include_anonymous` shows every user
/// (`only_anonymous`: the anonymous ones); otherwise anonymous users are hidden, and users
/// restricted by an admin too unless `include_restricted`.
fn core_query(q: &ListQuery) -> UserQuery {
    let (anonymous, restricted_by_admin) = if q.include_anonymous {
        let anonymous = if q.only_anonymous {
            FlagFilter::Only
        } else {
            FlagFilter::Include
        };
        (anonymous, FlagFilter::Include)
    } else if q.include_restricted {
        (FlagFilter::Exclude, FlagFilter::Include)
    } else {
        (FlagFilter::Exclude, FlagFilter::Exclude)
    };
    UserQuery {
        limit: USER_PAGE_MAX,
        cursor: q.cursor.map(UserId),
        order: match q.order_by {
            OrderBy::SignedUpAt => UserOrder::SignedUpAt,
            OrderBy::LastActiveAt => UserOrder::LastActiveAt,
        },
        desc: q.desc,
        search: q.query.as_deref().map(search),
        anonymous,
        restricted_by_admin,
        team: q.team_id,
    }
}

/// The vendor's page: at most `limit` users (`None`: all of them) from the cursor, and the id of
/// the next one, read as core pages of at most `chunk` users each (the next page of the core
/// starts at the previous one's next cursor, inclusive).
async fn page(
    gateway: &Gateway,
    q: &ListQuery,
    chunk: usize,
) -> Result<(Vec<User>, Option<String>), TieredError> {
    let mut query = core_query(q);
    let mut users = Vec::new();
    loop {
        let left = q
            .limit
            .map_or(chunk, |limit| limit.saturating_sub(users.len()));
        query.limit = left.clamp(1, chunk);
        let page = gateway.query_users(&query).await?;
        users.extend(page.users);
        match page.next_cursor {
            None => return Ok((users, None)),
            Some(next) if q.limit.is_some_and(|limit| users.len() >= limit) => {
                return Ok((users, Some(next.to_string())));
            }
            Some(next) => query.cursor = Some(next),
        }
    }
}

/// Lists users.
#[utoipa::path(
    get, path = "/api/v1/users", tag = "Users",
    summary = "List users",
    params(
        ("team_id" = Option<String>, Query, format = Uuid, description = "Members of this team only."),
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
    let (users, next_cursor) = page(&gateway, &query, USER_PAGE_MAX).await?;
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::DateTime;
    use gateway_core::UserStore as _;

    use super::*;
    use crate::listing::list_query;

    /// A page as the low bytes of its ids and of the next cursor.
    type Page = (Vec<u128>, Option<u128>);

    /// A version-4 UUID ending in `n` (yup's UUID pattern wants a version and a variant).
    fn uid(n: u128) -> Uuid {
        Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
    }

    fn user(n: u128, signed_up: i64, active: i64) -> User {
        let at = |s| DateTime::from_timestamp(s, 0).expect("time");
        let mut u = User::new(UserId(uid(n)), format!("u{n}"), at(signed_up));
        u.timestamps.signed_up_at = at(signed_up);
        u.timestamps.last_active_at = at(active);
        u
    }

    /// The vendor's pages come out the same whatever the size of the core pages they are read
    /// in: key then id, the inclusive cursor, the next cursor, the filters.
    #[tokio::test]
    async fn pages_follow_the_key_then_the_id_in_any_chunk_size() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}", dir.path().join("db").display());
        let store =
            Arc::new(gateway_storage::DieselStore::open(&url, &Default::default()).expect("store"));
        // Users 1 and 2 signed up at the same second (ties go by id); activity reverses them.
        // User 5 is anonymous, user 6 restricted by an admin.
        let mut anonymous = user(5, 25, 50);
        anonymous.account.is_anonymous = true;
        let mut restricted = user(6, 26, 60);
        restricted.account.restricted_by_admin = true;
        restricted.profile.display_name = Some("Ré Stricted".into());
        for u in [
            user(3, 20, 10),
            user(2, 10, 30),
            user(1, 10, 40),
            user(4, 30, 20),
            anonymous,
            restricted,
        ] {
            store.insert_user(&u).await.expect("insert");
        }
        let gateway = Gateway::new(store);
        let cursor = uid(3);
        let cases: Vec<(String, Page)> = vec![
            (String::new(), (vec![1, 2, 3, 4], None)),
            ("limit=2".into(), (vec![1, 2], Some(3))),
            ("limit=4".into(), (vec![1, 2, 3, 4], None)),
            (format!("limit=2&cursor={cursor}"), (vec![3, 4], None)),
            ("order_by=last_active_at".into(), (vec![3, 4, 2, 1], None)),
            (
                format!("order_by=last_active_at&desc=true&cursor={cursor}"),
                (vec![3], None),
            ),
            ("desc=true&limit=3".into(), (vec![4, 3, 2], Some(1))),
            (
                "include_restricted=true".into(),
                (vec![1, 2, 3, 6, 4], None),
            ),
            (
                "include_anonymous=true".into(),
                (vec![1, 2, 3, 5, 6, 4], None),
            ),
            (
                "include_anonymous=true&only_anonymous=true".into(),
                (vec![5], None),
            ),
            // The cursor user need not pass the filters: it only marks where the page starts.
            (format!("cursor={}", uid(5)), (vec![4], None)),
            (format!("cursor={}", uid(9)), (vec![], None)),
            (
                "include_restricted=true&query=rÉ%20s".into(),
                (vec![6], None),
            ),
            (
                format!("query=%20{{{}}}!", uid(2).to_string().to_uppercase()),
                (vec![2], None),
            ),
        ];
        for chunk in [1, 2, 3, USER_PAGE_MAX] {
            for (raw, want) in &cases {
                let q = list_query(raw).expect("valid");
                let (users, next) = page(&gateway, &q, chunk).await.expect("page");
                let got = (
                    users
                        .iter()
                        .map(|u| u.id.0.as_u128() & 0xff)
                        .collect::<Vec<_>>(),
                    next.map(|s| Uuid::parse_str(&s).expect("id").as_u128() & 0xff),
                );
                assert_eq!(&got, want, "{raw} in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn the_search_id_is_the_text_without_other_characters() {
        let id = uid(7);
        assert_eq!(search(&format!(" <{id}>")).id, Some(UserId(id)));
        assert_eq!(search("not an id").id, None);
        assert_eq!(search(" <{id}>").text, " <{id}>");
    }
}
