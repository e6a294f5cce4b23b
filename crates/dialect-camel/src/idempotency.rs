//! `Idempotency-Key` for `PATCH /me` (spec §5), on the core's persisted idempotency records so
//! that every gateway instance on one database agrees.
//!
//! The key is scoped to the user, the method and the path; the request is identified by the
//! SHA-256 of its canonical JSON body (key order and spacing do not matter). Within 24 hours a
//! repeat with the same body gets the stored status and body again, marked with
//! `Idempotent-Replayed: true`, and writes nothing; another body is 409 `IdempotencyKeyReused`;
//! a repeat while the first request is still running is 409 `IdempotencyKeyInUse`. Only
//! successful responses are stored: a request that failed wrote nothing (the core's writes are
//! transactional), so a retry under the same key runs again.

use std::future::Future;

use actix_web::{HttpResponse, http::StatusCode};
use gateway_core::{
    Gateway, IdempotencyKey, IdempotencyStart, StoredResponse, UserId, credentials::sha256_hex,
};
use serde_json::Value;

use crate::{error::CamelError, error::JSON_UTF8, wire::canonical_json};

/// The scope of `PATCH /me` keys.
pub const PATCH_ME_SCOPE: &str = "me PATCH /me";

/// The header that marks a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

/// A JSON answer as sent, so that it can be stored and replayed byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonReply {
    /// Status.
    pub status: StatusCode,
    /// Body text.
    pub body: String,
}

impl JsonReply {
    /// `value` as a JSON answer with `status`.
    pub fn new(status: StatusCode, value: &impl serde::Serialize) -> Result<Self, CamelError> {
        let body = serde_json::to_string(value)
            .map_err(|e| CamelError::from(gateway_core::CoreError::internal(e)))?;
        Ok(Self { status, body })
    }

    /// The response; `replayed` adds `Idempotent-Replayed: true`.
    pub fn into_response(self, replayed: bool) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.content_type(JSON_UTF8);
        if replayed {
            res.insert_header((REPLAYED_HEADER, "true"));
        }
        res.body(self.body)
    }
}

/// Runs `work` at most once per `key` (when given) for `user` in `scope`, as described above.
pub async fn once<F, Fut>(
    gateway: &Gateway,
    user: UserId,
    scope: &str,
    key: Option<String>,
    body: &Value,
    work: F,
) -> Result<HttpResponse, CamelError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<JsonReply, CamelError>>,
{
    let Some(key) = key else {
        return work().await.map(|reply| reply.into_response(false));
    };
    let id = IdempotencyKey {
        user_id: user,
        scope: scope.to_owned(),
        key,
    };
    let fingerprint = sha256_hex(&canonical_json(body));
    match gateway.begin_idempotent(id, &fingerprint).await? {
        IdempotencyStart::Proceed(ticket) => match work().await {
            Ok(reply) => {
                let stored = StoredResponse {
                    status: reply.status.as_u16(),
                    body: reply.body.clone(),
                };
                if let Err(e) = gateway.finish_idempotent(ticket, stored).await {
                    // The change is made; answer it. The claim is taken over after its timeout.
                    tracing::warn!(error = %e, "could not store the idempotent response");
                }
                Ok(reply.into_response(false))
            }
            Err(err) => {
                if let Err(e) = gateway.abandon_idempotent(ticket).await {
                    tracing::warn!(error = %e, "could not release an idempotency key");
                }
                Err(err)
            }
        },
        IdempotencyStart::Replay(StoredResponse { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(JsonReply { status, body }.into_response(true))
        }
        IdempotencyStart::Mismatch => Err(CamelError::idempotency_key_reused()),
        IdempotencyStart::InProgress => Err(CamelError::idempotency_key_in_use()),
    }
}
