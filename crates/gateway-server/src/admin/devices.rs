//! Device logins through the admin API, for test suites without a browser (and the console):
//! `GET /admin/device-authorizations[?status=pending][&user_code=XXXX-XXXX]` lists them newest
//! first (never a code's digest), `POST /admin/device-authorizations/{id}/approve`
//! `{"user_id": ...}` and `POST .../{id}/deny` decide a pending one (412 once decided, used or
//! expired). Match an entry by its user code, which the CLI shows, so parallel tests cannot cross.

use actix_web::{
    HttpResponse,
    web::{Data, Json, Path, Query},
};
use gateway_core::{CoreError, DeviceAuthorization, Gateway, device::normalize_user_code};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Result, bad, user_id};

/// The most entries one listing returns.
const LIST_MAX: i64 = 200;

/// `GET /admin/device-authorizations` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListQuery {
    /// `pending`: only those waiting for a decision and not expired.
    status: Option<String>,
    /// Only the one with this user code (any case, dash optional).
    user_code: Option<String>,
}

/// `POST /admin/device-authorizations/{id}/approve` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Approve {
    user_id: String,
}

/// One device login as the admin API shows it.
pub(crate) fn view(d: &DeviceAuthorization) -> Value {
    json!({
        "id": d.id,
        "surface": d.surface.as_str(),
        "user_code": d.user_code,
        "state": d.state.as_str(),
        "client_id": d.client_id,
        "client_details": d.client_details,
        "user_id": d.user_id.map(|u| u.to_string()),
        "created_at": d.created_at,
        "expires_at": d.expires_at,
        "interval": d.interval_secs,
        "last_polled_at": d.last_polled_at,
        "decided_at": d.decided_at,
    })
}

fn device_id(raw: &str) -> Result<Uuid> {
    raw.parse()
        .map_err(|_| CoreError::not_found("device authorization not found").into())
}

pub(super) async fn list(gateway: Data<Gateway>, query: Query<ListQuery>) -> Result<HttpResponse> {
    let ListQuery { status, user_code } = query.into_inner();
    let pending = match status.as_deref() {
        None => false,
        Some("pending") => true,
        Some(other) => {
            return Err(bad(
                gateway_core::Field::Other("status"),
                format!("status must be pending, not {other:?}"),
            ));
        }
    };
    let wanted = match user_code.as_deref() {
        None => None,
        Some(typed) => Some(normalize_user_code(typed).ok_or_else(|| {
            bad(
                gateway_core::Field::Other("user_code"),
                "user_code must be eight letters, XXXX-XXXX".into(),
            )
        })?),
    };
    let all = gateway.device_authorizations(pending, LIST_MAX).await?;
    let shown: Vec<Value> = all
        .iter()
        .filter(|d| wanted.as_ref().is_none_or(|w| *w == d.user_code))
        .map(view)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "items": shown })))
}

pub(super) async fn approve(
    gateway: Data<Gateway>,
    id: Path<String>,
    body: Json<Approve>,
) -> Result<HttpResponse> {
    let user = user_id(&body.user_id)?;
    let decided = gateway.decide_device(device_id(&id)?, Some(user)).await?;
    Ok(HttpResponse::Ok().json(view(&decided)))
}

pub(super) async fn deny(gateway: Data<Gateway>, id: Path<String>) -> Result<HttpResponse> {
    let decided = gateway.decide_device(device_id(&id)?, None).await?;
    Ok(HttpResponse::Ok().json(view(&decided)))
}
