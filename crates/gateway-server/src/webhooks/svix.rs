//! Svix's message format (the "Standard Webhooks" signature scheme): an endpoint secret
//! `whsec_<base64 of the key>`, and per attempt the headers `svix-id` (the message id, the same
//! on every retry), `svix-timestamp` (seconds) and `svix-signature`
//! `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, which the `svix` packages verify.
//!
//! An endpoint's key is not stored: it is derived from the server's secret (the one that signs
//! access tokens) and the endpoint's id and salt, so the database holds nothing that signs.

use base64::{Engine, engine::general_purpose::STANDARD};
use gateway_core::WebhookEndpoint;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

/// The prefix of an endpoint secret as Svix shows it.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of an endpoint key (Svix's: 24).
const KEY_BYTES: usize = 24;

fn mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// The signing key of one endpoint, derived from the server's secret.
#[derive(Clone)]
pub struct EndpointKey([u8; KEY_BYTES]);

impl std::fmt::Debug for EndpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EndpointKey([redacted])")
    }
}

impl EndpointKey {
    /// The key of `endpoint` under `server_secret`.
    pub fn derive(server_secret: &[u8], endpoint: &WebhookEndpoint) -> Self {
        let mut m = mac(server_secret);
        m.update(b"gateway webhook endpoint key\0");
        m.update(endpoint.id.as_bytes());
        m.update(b"\0");
        m.update(endpoint.secret_salt.as_bytes());
        let digest = m.finalize().into_bytes();
        let mut key = [0u8; KEY_BYTES];
        key.copy_from_slice(&digest[..KEY_BYTES]);
        Self(key)
    }

    /// The secret as the endpoint's receiver configures it (`whsec_…`).
    pub fn secret(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(self.0))
    }

    /// The `svix-signature` value of one attempt.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut m = mac(&self.0);
        m.update(id.as_bytes());
        m.update(b".");
        m.update(timestamp.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        format!("v1,{}", STANDARD.encode(m.finalize().into_bytes()))
    }
}

/// A new message id: `msg_` and 27 base-62 characters (the shape of Svix's ids).
pub fn message_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::rng();
    let tail: String = (0..27)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect();
    format!("msg_{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification (and of Svix's documentation).
        let key = STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_or_default();
        let key = EndpointKey(key.try_into().unwrap_or([0; KEY_BYTES]));
        assert_eq!(key.secret(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn keys_differ_by_endpoint_and_server_secret() {
        let endpoint = |salt: &str| WebhookEndpoint {
            id: uuid::Uuid::new_v4(),
            project_id: uuid::Uuid::nil(),
            url: "http://127.0.0.1/".into(),
            description: String::new(),
            filter_types: Vec::new(),
            secret_salt: salt.into(),
            created_at: chrono::Utc::now(),
        };
        let (a, b) = (endpoint("s"), endpoint("s"));
        let secret = |e: &WebhookEndpoint, server: &[u8]| EndpointKey::derive(server, e).secret();
        assert_eq!(secret(&a, b"one"), secret(&a, b"one"));
        assert_ne!(secret(&a, b"one"), secret(&b, b"one"));
        assert_ne!(secret(&a, b"one"), secret(&a, b"two"));
        assert!(secret(&a, b"one").starts_with(SECRET_PREFIX));
    }

    #[test]
    fn message_ids_look_like_svix_ids() {
        let id = message_id();
        assert!(id.starts_with("msg_") && id.len() == 31, "{id}");
        assert_ne!(id, message_id());
    }
}
