//! `GET /api/v1/users`: the query string (the vendor's yup schema and its messages). The page
//! itself is the core's keyset query (`gateway_core::UserQuery`, built in
//! `handlers::list_users`).

use uuid::Uuid;

use crate::validate::{QueryPairs, is_uuid};

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
    /// Members of this team only.
    pub team_id: Option<Uuid>,
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

const KNOWN: [&str; 9] = [
    "team_id",
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
    let pairs = QueryPairs::parse(raw);
    let get = |key: &str| pairs.get(key);
    let mut issues = Vec::new();
    let team_id = get("team_id").and_then(|raw| {
        let id = Uuid::parse_str(raw).ok().filter(|_| is_uuid(raw));
        if id.is_none() {
            issues.push("query.team_id must be a valid UUID".to_owned());
        }
        id
    });
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
    issues.extend(pairs.unknown_keys(&KNOWN));
    if issues.is_empty() {
        Ok(ListQuery {
            team_id,
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
                "query.team_id must be a valid UUID",
                "query.limit must be a `number` type, but the final value was: `NaN` (cast from the value `\"abc\"`).",
                "query.cursor must be a valid UUID",
                "query.order_by must be one of the following values: signed_up_at, last_active_at",
                "query.desc must be one of the following values: true, false",
                "query contains unknown properties: z",
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
}
