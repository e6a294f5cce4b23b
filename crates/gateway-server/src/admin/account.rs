//! What the console (and a test suite) changes on one user through the admin API: its fields
//! (`PATCH /admin/users/{id}`, through the core's validation), and its credentials: the live
//! sessions and the API keys (`GET /admin/users/{id}/credentials`), revoked one by one
//! (`DELETE /admin/sessions/{id}`, `DELETE /admin/keys/{id}`) or all sessions at once
//! (`DELETE /admin/users/{id}/sessions`). No secret is ever shown: sessions by id, keys by id and
//! hint.

use actix_web::{
    HttpResponse,
    web::{Data, Json, Path},
};
use gateway_core::{CoreError, Gateway, PasswordChange, UserField, UserPatch, UserStatus};
use serde::{Deserialize, Deserializer};
use serde_json::json;
use uuid::Uuid;

use super::{AdminUser, Result, bad, user_id};

/// A field that may be absent (unchanged), `null` (cleared) or a value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `PATCH /admin/users/{id}` body: the fields an operator edits; absent fields are unchanged,
/// `null` clears a nullable one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PatchUser {
    username: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    email_verified: Option<bool>,
    /// A new password; `null` removes it (the user can no longer sign in with one).
    #[serde(default, deserialize_with = "present")]
    password: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    last_name: Option<Option<String>>,
    /// `pending`, `active`, `invited` or `banned`.
    status: Option<String>,
    is_active: Option<bool>,
    /// The version the change was made from (the `version` of the user read): a newer one
    /// refuses the change with 412.
    expected_version: Option<i64>,
}

pub(super) async fn patch_user(
    gateway: Data<Gateway>,
    id: Path<String>,
    body: Json<PatchUser>,
) -> Result<HttpResponse> {
    let id = user_id(&id)?;
    let PatchUser {
        username,
        email,
        email_verified,
        password,
        display_name,
        first_name,
        last_name,
        status,
        is_active,
        expected_version,
    } = body.into_inner();
    let status = status
        .map(|s| s.parse::<UserStatus>())
        .transpose()
        .map_err(|e| bad(UserField::Status, e))?;
    let patch = UserPatch {
        username,
        email,
        email_verified,
        password: password.map(|p| p.map(PasswordChange::Plain)),
        display_name,
        first_name,
        last_name,
        status,
        is_active,
        expected_version,
        ..UserPatch::default()
    };
    let user = gateway.update_user(id, patch).await?.value;
    Ok(HttpResponse::Ok().json(AdminUser::from(&user)))
}

/// `GET /admin/users/{id}/credentials`: the live sessions (unrevoked, unexpired; with the project
/// a tiered session is bound to) and every API key with its state, newest first.
pub(super) async fn credentials_of(
    gateway: Data<Gateway>,
    id: Path<String>,
) -> Result<HttpResponse> {
    let user = gateway.user(user_id(&id)?).await?;
    let mut sessions = gateway.sessions_to_export(user.id).await?;
    sessions.sort_by_key(|(s, _)| std::cmp::Reverse(s.created_at));
    let sessions: Vec<_> = sessions
        .iter()
        .map(|(s, project)| {
            json!({
                "id": s.id, "surface": s.surface.as_str(), "project_id": project,
                "created_at": s.created_at.to_rfc3339(), "expires_at": s.expires_at.to_rfc3339(),
                "last_used_at": s.last_used_at.to_rfc3339(), "is_impersonation": s.is_impersonation,
            })
        })
        .collect();
    let mut keys = gateway.api_keys_of(user.id).await?;
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    let keys: Vec<_> = keys
        .iter()
        .map(|k| {
            json!({
                "id": k.id, "surface": k.surface.as_str(), "label": k.label, "hint": k.hint,
                "created_at": k.created_at.to_rfc3339(),
                "expires_at": k.expires_at.map(|t| t.to_rfc3339()),
                "revoked_at": k.revoked_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"user_id": user.id.to_string(), "sessions": sessions, "keys": keys})))
}

/// `DELETE /admin/users/{id}/sessions`: every session of the user revoked; the access tokens
/// issued from them stop working with them.
pub(super) async fn revoke_sessions(
    gateway: Data<Gateway>,
    id: Path<String>,
) -> Result<HttpResponse> {
    let user = gateway.user(user_id(&id)?).await?;
    let revoked = gateway.revoke_sessions(user.id).await?;
    Ok(HttpResponse::Ok().json(json!({"revoked": revoked})))
}

/// `DELETE /admin/sessions/{id}`: one session revoked (404 when there is no such live session).
pub(super) async fn revoke_session(
    gateway: Data<Gateway>,
    id: Path<String>,
) -> Result<HttpResponse> {
    let id: Uuid = id
        .parse()
        .map_err(|_| CoreError::not_found("session not found"))?;
    if gateway.revoke_session(id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(CoreError::not_found("session not found").into())
    }
}
