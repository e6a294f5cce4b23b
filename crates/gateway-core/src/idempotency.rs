//! Idempotency keys, for dialects whose clients name a mutating request with a key (the Bird SDK
//! sends `Idempotency-Key` on every PATCH and DELETE and resends it on its own retries).
//!
//! The rule: within [`IDEMPOTENCY_WINDOW`] of the first request, a second request with the same
//! key, for the same user and scope, gets the first response again and writes nothing; a request
//! with a different fingerprint under the same key is refused. The records live in the store, so
//! several instances on one database agree. The scope (for example surface + method + path), the
//! fingerprint (for example a hash of the canonical body) and the wire rendering of a refusal are
//! the dialect's business.
//!
//! A record is claimed (inserted without a response) before the request runs and completed with
//! the response afterwards. A claim that is never completed (the instance died) is taken over
//! after [`IDEMPOTENCY_PENDING_TIMEOUT`].

use chrono::{DateTime, TimeDelta, Utc};

use crate::{CoreError, Gateway, UserId, service::now};

/// How long a key is remembered.
pub const IDEMPOTENCY_WINDOW: TimeDelta = TimeDelta::hours(24);

/// How long an uncompleted claim blocks its key before another request may take it over.
pub const IDEMPOTENCY_PENDING_TIMEOUT: TimeDelta = TimeDelta::seconds(60);

/// Which request a key belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    /// The user the request was made as.
    pub user_id: UserId,
    /// Chosen by the dialect, e.g. `me PATCH /me`.
    pub scope: String,
    /// The client's key.
    pub key: String,
}

/// A response kept for replay: the status and the body exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Response body.
    pub body: String,
}

/// One stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// User, scope and key.
    pub id: IdempotencyKey,
    /// What identifies the request (e.g. a hash of its canonical body).
    pub fingerprint: String,
    /// When the key was first claimed.
    pub created_at: DateTime<Utc>,
    /// The response, once the first request has finished; `None` while it runs.
    pub response: Option<StoredResponse>,
}

/// A claim on a key: the request may run, then reports its response with
/// [`Gateway::finish_idempotent`] or gives the key up with [`Gateway::abandon_idempotent`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyTicket {
    id: IdempotencyKey,
    created_at: DateTime<Utc>,
}

impl IdempotencyTicket {
    /// The key this ticket holds.
    pub fn key(&self) -> &IdempotencyKey {
        &self.id
    }
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// First use of the key: run the request, then finish or abandon the ticket.
    Proceed(IdempotencyTicket),
    /// The same request ran already: send this response again, write nothing.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

impl Gateway {
    /// Claims `id` for a request with `fingerprint`, or says how to answer a repeat. Records older
    /// than [`IDEMPOTENCY_WINDOW`] are forgotten first.
    pub async fn begin_idempotent(
        &self,
        id: IdempotencyKey,
        fingerprint: &str,
    ) -> Result<IdempotencyStart, CoreError> {
        let at = now();
        self.store
            .purge_idempotency_records(at - IDEMPOTENCY_WINDOW)
            .await?;
        // A claim can disappear between the failed insert and the read (completed and purged,
        // abandoned, taken over); a few rounds settle that.
        for _ in 0..3 {
            let record = IdempotencyRecord {
                id: id.clone(),
                fingerprint: fingerprint.to_owned(),
                created_at: at,
                response: None,
            };
            if self.store.insert_idempotency_record(&record).await? {
                return Ok(IdempotencyStart::Proceed(IdempotencyTicket {
                    id,
                    created_at: at,
                }));
            }
            let Some(existing) = self.store.idempotency_record(&id).await? else {
                continue;
            };
            let expired = existing.created_at <= at - IDEMPOTENCY_WINDOW;
            if !expired && existing.fingerprint != fingerprint {
                return Ok(IdempotencyStart::Mismatch);
            }
            match existing.response {
                Some(response) if !expired => return Ok(IdempotencyStart::Replay(response)),
                None if !expired && existing.created_at > at - IDEMPOTENCY_PENDING_TIMEOUT => {
                    return Ok(IdempotencyStart::InProgress);
                }
                // Expired, or a claim nobody completed: take the key over.
                _ => {
                    self.store
                        .delete_idempotency_record(&id, existing.created_at)
                        .await?;
                }
            }
        }
        Ok(IdempotencyStart::InProgress)
    }

    /// Stores the response of a claimed request for replay.
    pub async fn finish_idempotent(
        &self,
        ticket: IdempotencyTicket,
        response: StoredResponse,
    ) -> Result<(), CoreError> {
        let IdempotencyTicket { id, created_at } = ticket;
        if !self
            .store
            .complete_idempotency_record(&id, created_at, &response)
            .await?
        {
            tracing::warn!(scope = %id.scope, "idempotency claim was taken over before it completed");
        }
        Ok(())
    }

    /// Gives a claimed key up (the request failed without writing), so a retry runs again.
    pub async fn abandon_idempotent(&self, ticket: IdempotencyTicket) -> Result<(), CoreError> {
        let IdempotencyTicket { id, created_at } = ticket;
        self.store
            .delete_idempotency_record(&id, created_at)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IdempotencyStore, NewUser, testing::memory_gateway};

    fn response(body: &str) -> StoredResponse {
        StoredResponse {
            status: 200,
            body: body.into(),
        }
    }

    /// First use runs, a repeat waits while it runs and replays once it finished, another request
    /// under the key is a mismatch, and a key given up runs again.
    #[tokio::test]
    async fn a_key_runs_once_then_replays() {
        let (_, gateway) = memory_gateway();
        let user = gateway
            .create_user(NewUser::regular("ida"))
            .await
            .unwrap()
            .value;
        let key = IdempotencyKey {
            user_id: user.id,
            scope: "me PATCH /me".into(),
            key: "k".into(),
        };
        let IdempotencyStart::Proceed(ticket) =
            gateway.begin_idempotent(key.clone(), "f1").await.unwrap()
        else {
            panic!("the first use proceeds");
        };
        assert_eq!(
            gateway.begin_idempotent(key.clone(), "f1").await.unwrap(),
            IdempotencyStart::InProgress
        );
        gateway
            .finish_idempotent(ticket, response("done"))
            .await
            .unwrap();
        assert_eq!(
            gateway.begin_idempotent(key.clone(), "f1").await.unwrap(),
            IdempotencyStart::Replay(response("done"))
        );
        assert_eq!(
            gateway.begin_idempotent(key.clone(), "f2").await.unwrap(),
            IdempotencyStart::Mismatch
        );

        let other = IdempotencyKey {
            key: "k2".into(),
            ..key
        };
        let IdempotencyStart::Proceed(ticket) =
            gateway.begin_idempotent(other.clone(), "f").await.unwrap()
        else {
            panic!("a new key proceeds");
        };
        gateway.abandon_idempotent(ticket).await.unwrap();
        assert!(matches!(
            gateway.begin_idempotent(other, "f").await.unwrap(),
            IdempotencyStart::Proceed(_)
        ));
    }

    /// A claim of the same request that nobody completed within the pending timeout is taken
    /// over; a record older than the window is forgotten, whatever request it was for.
    #[tokio::test]
    async fn abandoned_claims_and_old_records_give_the_key_up() {
        let (store, gateway) = memory_gateway();
        let user = gateway
            .create_user(NewUser::regular("jo"))
            .await
            .unwrap()
            .value;
        let key = |k: &str| IdempotencyKey {
            user_id: user.id,
            scope: "s".into(),
            key: k.into(),
        };
        let at = now();
        for (k, fingerprint, age, done) in [
            (
                "stuck",
                "f",
                IDEMPOTENCY_PENDING_TIMEOUT + TimeDelta::seconds(1),
                false,
            ),
            (
                "old",
                "another",
                IDEMPOTENCY_WINDOW + TimeDelta::seconds(1),
                true,
            ),
        ] {
            let record = IdempotencyRecord {
                id: key(k),
                fingerprint: fingerprint.into(),
                created_at: at - age,
                response: done.then(|| response("old")),
            };
            assert!(store.insert_idempotency_record(&record).await.unwrap());
            let IdempotencyStart::Proceed(ticket) =
                gateway.begin_idempotent(key(k), "f").await.unwrap()
            else {
                panic!("{k}: the key is taken over");
            };
            let held = store
                .idempotency_record(ticket.key())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (held.created_at, held.response),
                (ticket.created_at, None),
                "{k}"
            );
        }
    }
}
