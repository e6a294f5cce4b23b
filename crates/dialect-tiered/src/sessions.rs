//! The sessions family (`/api/v1/auth/sessions...`): the vendor's query and body schemas
//! (`auth/sessions/route.tsx`, `crud.tsx`, `interface/crud/sessions.ts`) with its messages, and a
//! core session as the vendor's session read object.

use chrono::Duration;
use gateway_core::{Session, User, UserId};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    body::Body,
    known::KnownError,
    validate::{
        BodyObject, Issues, QueryPairs, body_object, boolean, is_uuid, type_error, unknown_keys,
    },
    wire::SessionRead,
};

/// A user named by a request: its id, or `me` (the caller's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef {
    /// The caller's user.
    Me,
    /// A user id.
    Id(UserId),
}

impl UserRef {
    /// The vendor's `userIdOrMeSchema`: `me` or a UUID; `None` otherwise.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == "me" {
            return Some(Self::Me);
        }
        raw.parse::<UserId>()
            .ok()
            .filter(|_| is_uuid(raw))
            .map(Self::Id)
    }

    /// A body's required `user_id` (`userIdOrMeSchema.defined()`): `None`, with the vendor's
    /// failure line in `issues`, when it is missing, null, not a string or neither `me` nor a
    /// UUID.
    pub fn body_field(map: &serde_json::Map<String, Value>, issues: &mut Issues) -> Option<Self> {
        match map.get("user_id") {
            None | Some(Value::Null) => {
                issues.push("body.user_id must be defined".into());
                None
            }
            Some(Value::String(raw)) => {
                let parsed = Self::parse(raw);
                if parsed.is_none() {
                    issues.push("body.user_id must be a valid UUID".into());
                }
                parsed
            }
            Some(other) => {
                issues.push(type_error("body.user_id", "string", other));
                None
            }
        }
    }

    /// The id it names; `me` without a user is `CANNOT_GET_OWN_USER_WITHOUT_USER`.
    pub fn resolve(self, caller: Option<&User>) -> Result<UserId, KnownError> {
        match self {
            Self::Id(id) => Ok(id),
            Self::Me => caller
                .map(|u| u.id)
                .ok_or_else(KnownError::cannot_get_own_user_without_user),
        }
    }
}

/// The longest session the vendor opens: 367 days.
pub const MAX_EXPIRES_IN_MILLIS: i64 = 1000 * 60 * 60 * 24 * 367;
/// The default lifetime of a session: 365 days.
pub const DEFAULT_EXPIRES_IN_MILLIS: i64 = 1000 * 60 * 60 * 24 * 365;

/// The query of the sessions routes: `user_id` (`me` or a UUID) and nothing else. `required`:
/// whether a missing `user_id` is a failure (the list; the delete accepts none, as SDK 2.8.108's
/// server `revokeSession` sends none). Failures in schema order, then the unknown keys.
pub fn user_query(raw: &str, required: bool) -> Result<Option<UserRef>, Vec<String>> {
    let pairs = QueryPairs::parse(raw);
    let mut issues = Vec::new();
    let user = match pairs.get("user_id") {
        None => {
            if required {
                issues.push("query.user_id must be defined".to_owned());
            }
            None
        }
        Some(v) => {
            let parsed = UserRef::parse(v);
            if parsed.is_none() {
                issues.push("query.user_id must be a valid UUID".to_owned());
            }
            parsed
        }
    };
    issues.extend(pairs.unknown_keys(&["user_id"]));
    if issues.is_empty() {
        Ok(user)
    } else {
        Err(issues)
    }
}

/// A validated `POST /auth/sessions` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSessionBody {
    /// The user.
    pub user: UserRef,
    /// The session's lifetime.
    pub expires_in: Duration,
    /// Whether it impersonates the user.
    pub is_impersonation: bool,
}

/// Validates a `POST /auth/sessions` body: every failure in schema order, then unknown keys.
pub fn create_body(body: &Body) -> Result<NewSessionBody, Vec<String>> {
    const FIELDS: [&str; 3] = ["user_id", "expires_in_millis", "is_impersonation"];
    let BodyObject { map, order } = body_object(body)?;
    let mut issues = Issues::default();
    let user = UserRef::body_field(&map, &mut issues);
    let millis = match map.get("expires_in_millis") {
        None => Some(DEFAULT_EXPIRES_IN_MILLIS),
        Some(Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f > MAX_EXPIRES_IN_MILLIS as f64 {
                issues.push(format!(
                    "body.expires_in_millis must be less than or equal to {MAX_EXPIRES_IN_MILLIS}"
                ));
                None
            } else if f.fract() != 0.0 || f < 0.0 {
                // The vendor's schema has no such rule (a past expiry makes a dead session);
                // the gateway keeps whole, non-negative milliseconds.
                issues.push("body.expires_in_millis must be a non-negative integer".into());
                None
            } else {
                // Integral and in range, so the cast is exact.
                Some(f as i64)
            }
        }
        Some(other) => {
            issues.push(type_error("body.expires_in_millis", "number", other));
            None
        }
    };
    let is_impersonation = map
        .get("is_impersonation")
        .and_then(|v| boolean("body.is_impersonation", v, &mut issues));
    unknown_keys("body", &map, &order, &FIELDS, &mut issues);
    match (user, millis) {
        (Some(user), Some(millis)) if issues.is_empty() => Ok(NewSessionBody {
            user,
            expires_in: Duration::milliseconds(millis),
            is_impersonation: is_impersonation.unwrap_or(false),
        }),
        _ => Err(issues.0),
    }
}

/// The session read object; `current` is the caller's session id, if any.
pub fn read(session: &Session, current: Option<Uuid>) -> SessionRead {
    SessionRead {
        id: session.id.to_string(),
        user_id: session.user_id.to_string(),
        created_at: session.created_at.timestamp_millis(),
        last_used_at: session.last_used_at.timestamp_millis(),
        is_impersonation: session.is_impersonation,
        is_current_session: current == Some(session.id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Body;

    fn json(v: Value) -> Body {
        Body::Json(gateway_http::body::Json::Other(v))
    }

    #[test]
    fn the_user_query_is_me_or_a_uuid_and_nothing_else() {
        assert_eq!(user_query("user_id=me", true), Ok(Some(UserRef::Me)));
        assert_eq!(user_query("", false), Ok(None));
        assert_eq!(
            user_query("", true),
            Err(vec!["query.user_id must be defined".to_owned()])
        );
        assert_eq!(
            user_query("user_id=nope&team_id=x&team_id=y", true),
            Err(vec![
                "query.user_id must be a valid UUID".to_owned(),
                "query contains unknown properties: team_id".to_owned()
            ])
        );
    }

    #[test]
    fn the_create_body_has_the_vendor_limits() {
        let id = Uuid::new_v4();
        let ok = create_body(&json(serde_json::json!({"user_id": id.to_string()}))).unwrap();
        assert_eq!(ok.user, UserRef::Id(UserId(id)));
        assert_eq!(
            ok.expires_in,
            Duration::milliseconds(DEFAULT_EXPIRES_IN_MILLIS)
        );
        assert!(!ok.is_impersonation);
        assert_eq!(
            create_body(&json(serde_json::json!({
                "user_id": "me",
                "expires_in_millis": 1000_i64 * 60 * 60 * 24 * 370,
                "extra": 1
            }))),
            Err(vec![
                "body.expires_in_millis must be less than or equal to 31708800000".to_owned(),
                "body contains unknown properties: extra".to_owned()
            ])
        );
    }
}
