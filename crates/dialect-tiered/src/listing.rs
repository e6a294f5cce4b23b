//! `GET /api/v1/users`: the query (the vendor's yup schema and its messages) and the page
//! (filters, keyset order and the inclusive cursor of the vendor's Prisma listing), over the
//! users the core lists.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use gateway_core::User;
use uuid::Uuid;

use crate::validate::is_uuid;

/// The sort key (`order_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    /// `signed_up_at` (the default).
    SignedUpAt,
    /// `last_active_at` (sent by SDK 2.8.108; not in the vendor's HEAD schema).
    LastActiveAt,
}

/// A validated list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Page size; `None` = everything.
    pub limit: Option<usize>,
    /// Id of the first user of the page (inclusive).
    pub cursor: Option<Uuid>,
    /// Sort key.
    pub order_by: OrderBy,
    /// Descending order (both keys).
    pub desc: bool,
    /// Search text.
    pub query: Option<String>,
    /// Anonymous, restricted and normal users.
    pub include_anonymous: bool,
    /// Anonymous users only (needs `include_anonymous`).
    pub only_anonymous: bool,
    /// Restricted and normal users.
    pub include_restricted: bool,
}

const KNOWN: [&str; 8] = [
    "limit",
    "cursor",
    "order_by",
    "desc",
    "query",
    "include_anonymous",
    "only_anonymous",
    "include_restricted",
];

/// yup's `number()` cast of a query string: whitespace removed, `""` is `NaN`.
fn js_number(raw: &str) -> Option<f64> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let plain = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if s.is_empty() || !plain {
        return None;
    }
    s.parse::<f64>().ok()
}

fn flag(path: &str, raw: Option<&str>, issues: &mut Vec<String>) -> bool {
    match raw {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            issues.push(format!(
                "{path} must be one of the following values: true, false"
            ));
            false
        }
    }
}

/// Validates the query string of `GET /users`: every failure, in schema order, then the
/// unknown keys in wire order. A repeated key keeps its last value.
pub fn list_query(raw: &str) -> Result<ListQuery, Vec<String>> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut issues = Vec::new();
    let limit = get("limit").and_then(|raw| match js_number(raw) {
        None => {
            issues.push(format!(
                "query.limit must be a `number` type, but the final value was: `NaN` (cast from the value `\"{raw}\"`)."
            ));
            None
        }
        Some(n) => {
            let mut ok = true;
            if n.fract() != 0.0 {
                issues.push("query.limit must be an integer".to_owned());
                ok = false;
            }
            if n < 1.0 {
                issues.push("query.limit must be greater than or equal to 1".to_owned());
                ok = false;
            }
            // Integral and at least 1; saturating for huge values.
            ok.then_some(n as usize)
        }
    });
    let cursor = get("cursor").and_then(|raw| {
        let id = Uuid::parse_str(raw).ok().filter(|_| is_uuid(raw));
        if id.is_none() {
            issues.push("query.cursor must be a valid UUID".to_owned());
        }
        id
    });
    let order_by = match get("order_by") {
        None | Some("signed_up_at") => OrderBy::SignedUpAt,
        Some("last_active_at") => OrderBy::LastActiveAt,
        Some(_) => {
            issues.push(
                "query.order_by must be one of the following values: signed_up_at, last_active_at"
                    .to_owned(),
            );
            OrderBy::SignedUpAt
        }
    };
    let desc = flag("query.desc", get("desc"), &mut issues);
    let query = get("query").map(str::to_owned);
    let include_anonymous = flag(
        "query.include_anonymous",
        get("include_anonymous"),
        &mut issues,
    );
    let only_anonymous = flag("query.only_anonymous", get("only_anonymous"), &mut issues);
    let include_restricted = flag(
        "query.include_restricted",
        get("include_restricted"),
        &mut issues,
    );
    let mut unknown: Vec<&str> = Vec::new();
    for (k, _) in &pairs {
        if !KNOWN.contains(&k.as_str()) && !unknown.contains(&k.as_str()) {
            unknown.push(k);
        }
    }
    if !unknown.is_empty() {
        issues.push(format!(
            "query contains unknown properties: {}",
            unknown.join(", ")
        ));
    }
    if issues.is_empty() {
        Ok(ListQuery {
            limit,
            cursor,
            order_by,
            desc,
            query,
            include_anonymous,
            only_anonymous,
            include_restricted,
        })
    } else {
        Err(issues)
    }
}

/// Whether `user` matches the search text: its id (the text without characters other than
/// `[a-zA-Z0-9-_.]`, when that is a UUID), or its display name or primary email containing the
/// text, letter case aside.
fn matches(user: &User, text: &str) -> bool {
    let cleaned: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if is_uuid(&cleaned) && user.id.to_string().eq_ignore_ascii_case(&cleaned) {
        return true;
    }
    let needle = text.to_lowercase();
    let contains = |v: &Option<String>| {
        v.as_deref()
            .is_some_and(|v| v.to_lowercase().contains(&needle))
    };
    contains(&user.profile.display_name) || contains(&user.identity.email)
}

fn key(user: &User, order_by: OrderBy) -> (DateTime<Utc>, String) {
    let at = match order_by {
        OrderBy::SignedUpAt => user.timestamps.signed_up_at,
        OrderBy::LastActiveAt => user.timestamps.last_active_at,
    };
    (at, user.id.to_string())
}

/// One page: the users of `all` that pass the filters, in order, from the cursor (inclusive;
/// a cursor naming no user gives an empty page, as Prisma's cursor does), at most `limit`, and
/// the id of the next one.
pub fn page(all: Vec<User>, q: &ListQuery) -> (Vec<User>, Option<String>) {
    let direction = |a: &(DateTime<Utc>, String), b: &(DateTime<Utc>, String)| {
        let o = a.cmp(b);
        if q.desc { o.reverse() } else { o }
    };
    let start = match q.cursor {
        None => None,
        Some(cursor) => match all.iter().find(|u| u.id.0 == cursor) {
            None => return (Vec::new(), None),
            Some(u) => Some(key(u, q.order_by)),
        },
    };
    let mut users: Vec<(_, User)> = all
        .into_iter()
        .filter(|u| {
            let anonymous = u.account.is_anonymous;
            let restricted = u.account.restricted_by_admin;
            let shown = if q.include_anonymous {
                !q.only_anonymous || anonymous
            } else {
                !anonymous && (q.include_restricted || !restricted)
            };
            shown && q.query.as_deref().is_none_or(|t| matches(u, t))
        })
        .map(|u| (key(&u, q.order_by), u))
        .filter(|(k, _)| {
            start
                .as_ref()
                .is_none_or(|s| direction(k, s) != Ordering::Less)
        })
        .collect();
    users.sort_by(|(a, _), (b, _)| direction(a, b));
    let next = q
        .limit
        .and_then(|limit| users.get(limit).map(|(_, u)| u.id.to_string()));
    if let Some(limit) = q.limit {
        users.truncate(limit);
    }
    (users.into_iter().map(|(_, u)| u).collect(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_messages_follow_yup() {
        let errors = list_query("limit=abc&cursor=x&order_by=name&desc=yes&team_id=1&z=2")
            .expect_err("invalid");
        assert_eq!(
            errors,
            vec![
                "query.limit must be a `number` type, but the final value was: `NaN` (cast from the value `\"abc\"`).",
                "query.cursor must be a valid UUID",
                "query.order_by must be one of the following values: signed_up_at, last_active_at",
                "query.desc must be one of the following values: true, false",
                "query contains unknown properties: team_id, z",
            ]
        );
        assert_eq!(
            list_query("limit=0.5").expect_err("invalid"),
            vec![
                "query.limit must be an integer",
                "query.limit must be greater than or equal to 1"
            ]
        );
        let q =
            list_query("limit=%202&order_by=last_active_at&desc=true&query=a%20b").expect("valid");
        assert_eq!(q.limit, Some(2));
        assert_eq!(q.order_by, OrderBy::LastActiveAt);
        assert!(q.desc);
        assert_eq!(q.query.as_deref(), Some("a b"));
        assert_eq!(list_query("").expect("valid").limit, None);
    }

    /// A version-4 UUID ending in `n` (yup's UUID pattern wants a version and a variant).
    fn uid(n: u128) -> Uuid {
        Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0000 | n)
    }

    fn user(n: u128, signed_up: i64, active: i64) -> User {
        let at = |s| DateTime::<Utc>::from_timestamp(s, 0).expect("time");
        let mut u = User::new(gateway_core::UserId(uid(n)), format!("u{n}"), at(signed_up));
        u.timestamps.signed_up_at = at(signed_up);
        u.timestamps.last_active_at = at(active);
        u
    }

    fn ids(page: &(Vec<User>, Option<String>)) -> (Vec<u128>, Option<u128>) {
        (
            page.0.iter().map(|u| u.id.0.as_u128() & 0xff).collect(),
            page.1
                .as_deref()
                .map(|s| Uuid::parse_str(s).expect("id").as_u128() & 0xff),
        )
    }

    #[test]
    fn pages_follow_the_key_then_the_id() {
        // Users 1 and 2 signed up at the same second (ties go by id); activity reverses them.
        let all = vec![
            user(3, 20, 10),
            user(2, 10, 30),
            user(1, 10, 40),
            user(4, 30, 20),
        ];
        let q = |s: &str| list_query(s).expect("valid");
        assert_eq!(ids(&page(all.clone(), &q(""))), (vec![1, 2, 3, 4], None));
        assert_eq!(
            ids(&page(all.clone(), &q("limit=2"))),
            (vec![1, 2], Some(3))
        );
        let cursor = uid(3);
        assert_eq!(
            ids(&page(all.clone(), &q(&format!("limit=2&cursor={cursor}")))),
            (vec![3, 4], None)
        );
        assert_eq!(
            ids(&page(all.clone(), &q("order_by=last_active_at"))),
            (vec![3, 4, 2, 1], None)
        );
        assert_eq!(
            ids(&page(
                all.clone(),
                &q(&format!(
                    "order_by=last_active_at&desc=true&cursor={cursor}"
                ))
            )),
            (vec![3], None)
        );
        assert_eq!(
            ids(&page(all.clone(), &q("desc=true&limit=3"))),
            (vec![4, 3, 2], Some(1))
        );
        // The cursor user need not pass the filters: it only marks where the page starts.
        let mut anonymous = all.clone();
        anonymous[0].account.is_anonymous = true;
        assert_eq!(
            ids(&page(anonymous, &q(&format!("cursor={cursor}")))),
            (vec![4], None)
        );
    }
}
