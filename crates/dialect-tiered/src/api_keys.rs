//! User API keys (`/api/v1/user-api-keys`): the vendor's key format
//! (`packages/stack-shared/src/utils/api-keys.tsx`), its body and query schemas
//! (`interface/crud/project-api-keys.ts`) with its messages, and a core key as the vendor's read
//! object.

use chrono::{DateTime, TimeZone, Utc};
use gateway_core::ApiKey;
use rand::Rng;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    body::Body,
    sessions::UserRef,
    validate::{Issues, body_object, boolean, string, type_error, unknown_keys},
    wire::{UserApiKeyRead, UserApiKeyValue},
};

/// Crockford's base32 alphabet, lower case: the characters of the vendor's random part.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// The marker every vendor key carries before its checksum.
const MARKER: &str = "574ck4u7h";

/// A new key's text for key `id`: `sk_` (or `pk_` when public), 45 random base32 characters, the
/// id without dashes, `user`, the scanner flag (`1` secret, `3` public: a self-hosted server),
/// the marker, and the CRC-32 of all that in hex.
pub fn key_text(id: Uuid, is_public: bool) -> String {
    let mut rng = rand::rng();
    let secret: String = (0..45)
        .map(|_| CROCKFORD[rng.random_range(0..32)] as char)
        .collect();
    let (prefix, scanner) = if is_public { ("pk", '3') } else { ("sk", '1') };
    let body = format!("{prefix}_{secret}{}user{scanner}{MARKER}", id.simple());
    let checksum = crc32fast::hash(body.as_bytes());
    format!("{body}{checksum:08x}")
}

/// The key id inside a key text, if the text has the vendor's shape (checksum included).
pub fn key_id(text: &str) -> Option<Uuid> {
    let (body, checksum) = text.split_at_checked(text.len().checked_sub(8)?)?;
    if format!("{:08x}", crc32fast::hash(body.as_bytes())) != checksum {
        return None;
    }
    let rest = body
        .strip_prefix("sk_")
        .or_else(|| body.strip_prefix("pk_"))?;
    let id = rest.get(45..77)?;
    Uuid::try_parse(id).ok()
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The read object of `key` (`value` is `{last_four}`, or the whole text right after creation).
pub fn read(key: &ApiKey, text: Option<&str>) -> UserApiKeyRead {
    let ApiKey {
        id,
        user_id,
        surface: _,
        secret_hash: _,
        label,
        created_at,
        revoked_at,
        expires_at,
        is_public,
        hint,
    } = key;
    UserApiKeyRead {
        id: id.clone(),
        user_id: user_id.to_string(),
        description: label.clone().unwrap_or_default(),
        expires_at_millis: expires_at.map(millis),
        manually_revoked_at_millis: revoked_at.map(millis),
        created_at_millis: millis(*created_at),
        is_public: *is_public,
        value: match text {
            Some(t) => UserApiKeyValue::Whole(t.to_owned()),
            None => UserApiKeyValue::LastFour {
                last_four: hint.clone().unwrap_or_default(),
            },
        },
        r#type: "user",
    }
}

/// A validated `POST /user-api-keys` body.
#[derive(Debug, Clone)]
pub struct NewKeyBody {
    /// `description`.
    pub description: String,
    /// `expires_at_millis` (`null` or `0`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// `is_public` (default false).
    pub is_public: bool,
    /// `user_id`.
    pub user: UserRef,
}

/// Validates a create body, or the failure lines.
pub fn create_body(body: &Body) -> Result<NewKeyBody, Vec<String>> {
    let object = body_object(body)?;
    let map = &object.map;
    let mut issues = Issues::default();
    let description = match map.get("description") {
        Some(v) => string("body.description", v, &mut issues),
        None => {
            issues.push("body.description must be defined".to_owned());
            None
        }
    };
    let expires_at = match map.get("expires_at_millis") {
        None => {
            issues.push("body.expires_at_millis must be defined".to_owned());
            None
        }
        Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Some(None),
            Some(ms) => match Utc.timestamp_millis_opt(ms).single() {
                Some(t) => Some(Some(t)),
                None => {
                    issues.push("body.expires_at_millis is not a valid time".to_owned());
                    None
                }
            },
            None => {
                issues.push("body.expires_at_millis must be an integer".to_owned());
                None
            }
        },
        Some(other) => {
            issues.push(type_error("body.expires_at_millis", "number", other));
            None
        }
    };
    let is_public = map
        .get("is_public")
        .and_then(|v| boolean("body.is_public", v, &mut issues))
        .unwrap_or(false);
    let user = UserRef::body_field(map, &mut issues);
    unknown_keys(
        "body",
        map,
        &object.order,
        &["description", "expires_at_millis", "is_public", "user_id"],
        &mut issues,
    );
    match (description, expires_at, user) {
        (Some(description), Some(expires_at), Some(user)) if issues.is_empty() => Ok(NewKeyBody {
            description,
            expires_at,
            is_public,
            user,
        }),
        _ => Err(issues.0),
    }
}

/// A validated `PATCH /user-api-keys/{id}` body.
#[derive(Debug, Clone, Default)]
pub struct KeyUpdate {
    /// New description.
    pub description: Option<String>,
    /// `revoked: true`.
    pub revoke: bool,
}

/// Validates an update body, or the failure lines.
pub fn update_body(body: &Body) -> Result<KeyUpdate, Vec<String>> {
    let object = body_object(body)?;
    let map = &object.map;
    let mut issues = Issues::default();
    let mut out = KeyUpdate::default();
    if let Some(v) = map.get("description") {
        out.description = string("body.description", v, &mut issues);
    }
    if let Some(v) = map.get("revoked") {
        match v {
            Value::Bool(true) => out.revoke = true,
            _ => issues.push("body.revoked must be one of the following values: true".to_owned()),
        }
    }
    unknown_keys(
        "body",
        map,
        &object.order,
        &["description", "revoked"],
        &mut issues,
    );
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues.0)
    }
}

/// The `api_key` of a `POST /user-api-keys/check` body, or the failure lines.
pub fn check_body(body: &Body) -> Result<String, Vec<String>> {
    let object = body_object(body)?;
    let mut issues = Issues::default();
    let key = match object.map.get("api_key") {
        Some(v) => string("body.api_key", v, &mut issues),
        None => {
            issues.push("body.api_key must be defined".to_owned());
            None
        }
    };
    unknown_keys(
        "body",
        &object.map,
        &object.order,
        &["api_key"],
        &mut issues,
    );
    match key {
        Some(k) if issues.is_empty() => Ok(k),
        _ => Err(issues.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_vendor_shape_and_carry_their_id() {
        let id = Uuid::new_v4();
        let secret = key_text(id, false);
        let re =
            regex::Regex::new("^sk_[0-9a-z]{45}[0-9a-f]{32}user1574ck4u7h[0-9a-f]{8}$").unwrap();
        assert!(re.is_match(&secret), "{secret}");
        assert_eq!(key_id(&secret), Some(id));
        let public = key_text(id, true);
        assert!(
            public.starts_with("pk_") && public.contains("user3574ck4u7h"),
            "{public}"
        );
        // A changed character breaks the checksum.
        let mut broken = secret.clone().into_bytes();
        broken[5] = if broken[5] == b'a' { b'b' } else { b'a' };
        assert_eq!(key_id(&String::from_utf8(broken).unwrap()), None);
        assert_eq!(key_id("sk_short"), None);
        assert_eq!(key_id(""), None);
    }
}
