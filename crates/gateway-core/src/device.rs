//! Device authorization (RFC 8628), one implementation for every surface whose CLI logs in with
//! it: a device code for the CLI (kept only as a SHA-256 digest), a short user code for the person
//! at the browser, an expiry, a polling interval with `slow_down`, an approval or a denial, and a
//! single exchange for a token. What a dialect needs to answer in its vendor's words is the
//! [`DevicePoll`] / [`DeviceRefusal`]; the paths, bodies and the token are the dialect's.
//!
//! The gateway's own page (`/login/device`) approves through a ticket: after the person signs in
//! on the page, [`Gateway::issue_device_ticket`] binds a random ticket (digest stored) to the
//! request and the user, and only that ticket can decide it ([`Gateway::decide_with_ticket`]).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{CoreError, Gateway, StoreError, Surface, UserId, credentials, service::now};

/// Where a device authorization stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceState {
    /// Waiting for the person at the browser.
    Pending,
    /// Approved for a user; the CLI may exchange its device code once.
    Approved,
    /// Denied; it never becomes a token.
    Denied,
    /// Exchanged for a token (single use).
    Exchanged,
}

impl DeviceState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Exchanged => "exchanged",
        }
    }
}

impl std::str::FromStr for DeviceState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "denied" => Ok(Self::Denied),
            "exchanged" => Ok(Self::Exchanged),
            other => Err(format!("unknown device authorization state {other:?}")),
        }
    }
}

/// A stored device authorization (the device code's text and the ticket's are never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    /// Row id (shown to admins and on the page, never a credential).
    pub id: Uuid,
    /// The surface whose token the exchange mints.
    pub surface: Surface,
    /// Lower-case hex SHA-256 of the device code.
    pub device_code_hash: String,
    /// The user code, upper case, `XXXX-XXXX`.
    pub user_code: String,
    /// The client id the CLI sent, if any (at most [`CLIENT_TEXT_MAX`] characters).
    pub client_id: Option<String>,
    /// What the CLI said about itself (its `User-Agent`, at most [`CLIENT_TEXT_MAX`] characters):
    /// shown on the approval page.
    pub client_details: Option<String>,
    /// Where it stands.
    pub state: DeviceState,
    /// The user it was approved for (also kept after the exchange).
    pub user_id: Option<UserId>,
    /// Issue time.
    pub created_at: DateTime<Utc>,
    /// It is refused from then on.
    pub expires_at: DateTime<Utc>,
    /// The polling interval the CLI was given, in seconds.
    pub interval_secs: i32,
    /// The last poll, for `slow_down`.
    pub last_polled_at: Option<DateTime<Utc>>,
    /// When it was approved, denied or exchanged.
    pub decided_at: Option<DateTime<Utc>>,
    /// The digest of the approval page's ticket and the user who signed in for it, if any.
    pub ticket: Option<(String, UserId)>,
}

impl DeviceAuthorization {
    /// Whether it is past its expiry at `at`.
    pub fn expired_at(&self, at: DateTime<Utc>) -> bool {
        self.expires_at <= at
    }
}

/// The longest client id or client description kept; longer ones are cut.
pub const CLIENT_TEXT_MAX: usize = 256;

/// How many pending, unexpired device authorizations the whole store holds at most: starting
/// one needs no credential, so the table is bounded (expired ones are purged).
pub const DEFAULT_MAX_PENDING: u64 = 1000;

/// How long and how often a CLI polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTiming {
    /// From issue to expiry.
    pub lifetime: Duration,
    /// The interval the CLI is told to keep between polls, in seconds (at least 1).
    pub interval_secs: i32,
}

impl Default for DeviceTiming {
    fn default() -> Self {
        Self {
            lifetime: Duration::minutes(10),
            interval_secs: 5,
        }
    }
}

/// A condition on the stored state of a change: the change applies only when the row is in
/// `from` and not expired at `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceTransition {
    /// The state the row must be in.
    pub from: DeviceState,
    /// The state it moves to.
    pub to: DeviceState,
    /// The user it is approved for (approval), or `None` to keep the stored one.
    pub user_id: Option<UserId>,
    /// When (also the expiry check's clock).
    pub at: DateTime<Utc>,
}

/// The storage port of device authorizations.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores `device` unless `max_pending` pending, unexpired ones exist already (then
    /// `Ok(false)`); a user code that is taken is `Conflict`.
    async fn insert_device(
        &self,
        device: &DeviceAuthorization,
        max_pending: u64,
    ) -> Result<bool, StoreError>;
    /// The device authorization with this id.
    async fn device(&self, id: Uuid) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// The one whose device code has digest `hash`.
    async fn device_by_code_hash(
        &self,
        hash: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// The one with this user code (upper case, `XXXX-XXXX`).
    async fn device_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// Newest first, at most `limit`; only pending, unexpired ones at `at` when `pending_at` is
    /// set.
    async fn list_devices(
        &self,
        pending_at: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<DeviceAuthorization>, StoreError>;
    /// Applies `change` to `id` if its condition holds; the row after it, or `None` when the
    /// condition did not hold (or there is no such row).
    async fn transition_device(
        &self,
        id: Uuid,
        change: DeviceTransition,
    ) -> Result<Option<DeviceAuthorization>, StoreError>;
    /// Notes a poll of `id` at `at`; the previous poll's time.
    async fn poll_device(
        &self,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// Binds the ticket digest `hash` and `user_id` to `id` while it is pending; whether it did.
    async fn set_device_ticket(
        &self,
        id: Uuid,
        hash: &str,
        user_id: UserId,
    ) -> Result<bool, StoreError>;
    /// Deletes the ones that expired before `before`; how many.
    async fn purge_devices(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// What a CLI's poll finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// Still waiting; `too_fast` when this poll came sooner than the interval after the last one
    /// (RFC 8628 `slow_down`).
    Pending {
        /// The row.
        device: DeviceAuthorization,
        /// Sooner than the interval after the previous poll.
        too_fast: bool,
    },
    /// Approved; the exchange will succeed once.
    Approved(DeviceAuthorization),
    /// Not usable: why.
    Refused(DeviceRefusal),
}

/// Why a device code does not (or no longer) lead to a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceRefusal {
    /// No device authorization of this surface has this code.
    Unknown,
    /// Past its expiry.
    Expired,
    /// The person denied it.
    Denied,
    /// Exchanged already.
    AlreadyUsed,
    /// Not approved yet (an exchange before approval).
    Pending,
    /// Started by another client: the exchange names a client id other than the one the
    /// authorization was started with (RFC 8628 §3.4 binds the code to its client).
    OtherClient,
}

/// The alphabet of user codes: upper-case consonants without look-alikes (RFC 8628 §6.1's
/// example: 20 characters, 8 of them give 2^34.6 codes).
const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

fn user_code_text() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        code.push(char::from(USER_CODE_ALPHABET[rng.random_range(0..20)]));
    }
    code
}

/// A user code as typed (any case, with or without the dash or spaces) in its stored form, or
/// `None` when it cannot be one.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let letters: Vec<char> = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .take(9)
        .collect();
    if letters.len() != 8
        || !letters
            .iter()
            .all(|c| c.is_ascii() && USER_CODE_ALPHABET.contains(&(*c as u8)))
    {
        return None;
    }
    let mut code: String = letters[..4].iter().collect();
    code.push('-');
    code.extend(&letters[4..]);
    Some(code)
}

fn clip(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.chars().take(CLIENT_TEXT_MAX).collect())
}

fn not_waiting() -> CoreError {
    CoreError::new(
        crate::ErrorKind::PreconditionFailed,
        "the device login is not waiting for a decision (decided, used or expired)",
    )
}

/// The tolerance of `slow_down`: a poll up to this much earlier than the interval still counts
/// as on time (clocks and schedulers are not exact).
const POLL_TOLERANCE_MS: i64 = 250;

impl Gateway {
    /// Starts a device authorization for `surface`: the row and the device code's text (shown
    /// once). `RateLimited` when [`DEFAULT_MAX_PENDING`]-many (or `max_pending`) wait already.
    pub async fn start_device_authorization(
        &self,
        surface: Surface,
        client_id: Option<&str>,
        client_details: Option<&str>,
        timing: DeviceTiming,
        max_pending: u64,
    ) -> Result<(DeviceAuthorization, String), CoreError> {
        for _ in 0..5 {
            let text = credentials::random_token(32);
            let at = now();
            let device = DeviceAuthorization {
                id: Uuid::new_v4(),
                surface,
                device_code_hash: credentials::sha256_hex(&text),
                user_code: user_code_text(),
                client_id: clip(client_id),
                client_details: clip(client_details),
                state: DeviceState::Pending,
                user_id: None,
                created_at: at,
                expires_at: at + timing.lifetime,
                interval_secs: timing.interval_secs.max(1),
                last_polled_at: None,
                decided_at: None,
                ticket: None,
            };
            match self.store.insert_device(&device, max_pending).await {
                Ok(true) => return Ok((device, text)),
                Ok(false) => {
                    return Err(CoreError::new(
                        crate::ErrorKind::RateLimited,
                        "too many device logins are waiting; try again later",
                    ));
                }
                // A user code in use (1 in 25 billion per live row): draw another.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::internal("could not draw a free user code"))
    }

    /// The device authorization of `surface` whose device code is `text`, if any.
    async fn device_by_code(
        &self,
        surface: Surface,
        text: &str,
    ) -> Result<Option<DeviceAuthorization>, CoreError> {
        let found = self
            .store
            .device_by_code_hash(&credentials::sha256_hex(text))
            .await?;
        Ok(found.filter(|d| d.surface == surface))
    }

    /// A CLI's poll with device code `text`: notes it (for `slow_down`) and says where it stands.
    pub async fn poll_device(&self, surface: Surface, text: &str) -> Result<DevicePoll, CoreError> {
        let Some(device) = self.device_by_code(surface, text).await? else {
            return Ok(DevicePoll::Refused(DeviceRefusal::Unknown));
        };
        let at = now();
        Ok(match device.state {
            DeviceState::Denied => DevicePoll::Refused(DeviceRefusal::Denied),
            DeviceState::Exchanged => DevicePoll::Refused(DeviceRefusal::AlreadyUsed),
            _ if device.expired_at(at) => DevicePoll::Refused(DeviceRefusal::Expired),
            DeviceState::Approved => DevicePoll::Approved(device),
            DeviceState::Pending => {
                let previous = self.store.poll_device(device.id, at).await?;
                let too_fast = previous.is_some_and(|p| {
                    (at - p).num_milliseconds()
                        < i64::from(device.interval_secs) * 1000 - POLL_TOLERANCE_MS
                });
                DevicePoll::Pending { device, too_fast }
            }
        })
    }

    /// Exchanges the approved device code `text` for its user, once: the second exchange, and
    /// every exchange of a code that is not approved, is refused. `client_id` is the client the
    /// exchange names: a code started with a client id is exchanged only by that client.
    pub async fn exchange_device_code(
        &self,
        surface: Surface,
        text: &str,
        client_id: Option<&str>,
    ) -> Result<Result<(DeviceAuthorization, crate::User), DeviceRefusal>, CoreError> {
        let Some(device) = self.device_by_code(surface, text).await? else {
            return Ok(Err(DeviceRefusal::Unknown));
        };
        if device.client_id.is_some() && device.client_id.as_deref() != client_id {
            return Ok(Err(DeviceRefusal::OtherClient));
        }
        let at = now();
        let refusal = match device.state {
            DeviceState::Denied => Some(DeviceRefusal::Denied),
            DeviceState::Exchanged => Some(DeviceRefusal::AlreadyUsed),
            _ if device.expired_at(at) => Some(DeviceRefusal::Expired),
            DeviceState::Pending => Some(DeviceRefusal::Pending),
            DeviceState::Approved => None,
        };
        if let Some(refusal) = refusal {
            return Ok(Err(refusal));
        }
        let change = DeviceTransition {
            from: DeviceState::Approved,
            to: DeviceState::Exchanged,
            user_id: None,
            at,
        };
        let Some(done) = self.store.transition_device(device.id, change).await? else {
            // Another exchange won the race (or it expired in between).
            return Ok(Err(DeviceRefusal::AlreadyUsed));
        };
        let Some(user_id) = done.user_id else {
            return Err(CoreError::internal(
                "an approved device login names no user",
            ));
        };
        let user = self.user(user_id).await?;
        Ok(Ok((done, user)))
    }

    /// The device authorization with user code `typed` (as a person types it), if it exists.
    pub async fn device_by_user_code(
        &self,
        typed: &str,
    ) -> Result<Option<DeviceAuthorization>, CoreError> {
        let Some(code) = normalize_user_code(typed) else {
            return Ok(None);
        };
        Ok(self.store.device_by_user_code(&code).await?)
    }

    /// The device authorization `id` (`NotFound` when there is none).
    pub async fn device_authorization(&self, id: Uuid) -> Result<DeviceAuthorization, CoreError> {
        self.store
            .device(id)
            .await?
            .ok_or_else(|| CoreError::not_found("device authorization not found"))
    }

    /// Device authorizations, newest first (only the pending, unexpired ones with `pending`).
    pub async fn device_authorizations(
        &self,
        pending: bool,
        limit: i64,
    ) -> Result<Vec<DeviceAuthorization>, CoreError> {
        Ok(self.store.list_devices(pending.then(now), limit).await?)
    }

    /// Approves `id` for `user_id` (who must exist), or denies it (`user_id` `None`). Only a
    /// pending, unexpired authorization can be decided: otherwise `PreconditionFailed`.
    pub async fn decide_device(
        &self,
        id: Uuid,
        user_id: Option<UserId>,
    ) -> Result<DeviceAuthorization, CoreError> {
        if let Some(user_id) = user_id {
            self.user(user_id).await?;
        }
        let change = DeviceTransition {
            from: DeviceState::Pending,
            to: if user_id.is_some() {
                DeviceState::Approved
            } else {
                DeviceState::Denied
            },
            user_id,
            at: now(),
        };
        match self.store.transition_device(id, change).await? {
            Some(device) => Ok(device),
            None => {
                self.device_authorization(id).await?;
                Err(not_waiting())
            }
        }
    }

    /// Binds a new ticket to pending authorization `id` for `user_id` (signed in on the approval
    /// page) and returns its text; `PreconditionFailed` when it is no longer pending.
    pub async fn issue_device_ticket(
        &self,
        id: Uuid,
        user_id: UserId,
    ) -> Result<String, CoreError> {
        let text = credentials::random_token(32);
        if self
            .store
            .set_device_ticket(id, &credentials::sha256_hex(&text), user_id)
            .await?
        {
            Ok(text)
        } else {
            Err(not_waiting())
        }
    }

    /// Approves or denies `id` with the page's ticket `text`: only the ticket issued last for it
    /// decides, for the user who signed in. `Unauthenticated` for any other ticket.
    pub async fn decide_with_ticket(
        &self,
        id: Uuid,
        text: &str,
        approve: bool,
    ) -> Result<DeviceAuthorization, CoreError> {
        let device = self.device_authorization(id).await?;
        let hash = credentials::sha256_hex(text);
        let Some((stored, user_id)) = device.ticket.as_ref() else {
            return Err(CoreError::unauthenticated("sign in again to decide"));
        };
        if !credentials::constant_time_eq(stored, &hash) {
            return Err(CoreError::unauthenticated("sign in again to decide"));
        }
        self.decide_device(id, approve.then_some(*user_id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_two_groups_of_four_from_the_alphabet() {
        for _ in 0..100 {
            let code = user_code_text();
            assert_eq!(code.len(), 9);
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
        }
    }

    #[test]
    fn typed_codes_are_normalized_or_refused() {
        assert_eq!(
            normalize_user_code("bcdf-ghjk").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code(" BCDF GHJK ").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(
            normalize_user_code("BCDFGHJK").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(normalize_user_code("BCDF-GHJ"), None);
        assert_eq!(normalize_user_code("BCDF-GHJKL"), None);
        assert_eq!(
            normalize_user_code("AEIO-UBCD"),
            None,
            "vowels are not in the alphabet"
        );
        assert_eq!(normalize_user_code("ÄCDF-GHJK"), None);
        assert_eq!(normalize_user_code(&"B".repeat(100_000)), None);
    }

    #[test]
    fn client_texts_are_trimmed_and_cut() {
        assert_eq!(clip(Some("  ")), None);
        assert_eq!(
            clip(Some(&"x".repeat(1000))).unwrap().len(),
            CLIENT_TEXT_MAX
        );
    }
}
