//! Credential rules: password hashing (argon2id, bcrypt verified), random secrets, API key text,
//! and the SHA-256 digests under which high-entropy secrets (API keys, refresh tokens) are stored.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{CoreError, FieldIssue, IssueCode, Surface};

/// Hashes a plain password with argon2id (default parameters) into Modular Crypt Format.
pub fn hash_password(plain: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(plain.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::internal(format!("password hashing failed: {e}")))
}

fn is_bcrypt(mcf: &str) -> bool {
    let parts: Vec<&str> = mcf.split('$').collect();
    matches!(parts.as_slice(), ["", v, cost, rest]
        if matches!(*v, "2a" | "2b" | "2x" | "2y")
            && cost.len() == 2 && cost.chars().all(|c| c.is_ascii_digit())
            && rest.len() == 53
            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '/'))
}

/// Checks that `mcf` is a supported hash in Modular Crypt Format (argon2 or bcrypt).
pub fn check_password_hash(mcf: &str) -> Result<(), FieldIssue> {
    if is_bcrypt(mcf) || (mcf.starts_with("$argon2") && PasswordHash::new(mcf).is_ok()) {
        Ok(())
    } else {
        Err(FieldIssue::new(
            "password_hash",
            IssueCode::InvalidFormat,
            "must be a supported hash in Modular Crypt Format (argon2 or bcrypt)",
        ))
    }
}

/// Verifies a plain password against a stored hash (argon2 or bcrypt). Unknown formats never match.
pub fn verify_password(plain: &str, mcf: &str) -> bool {
    if is_bcrypt(mcf) {
        return bcrypt::verify(plain, mcf).unwrap_or(false);
    }
    PasswordHash::new(mcf)
        .map(|parsed| {
            Argon2::default()
                .verify_password(plain.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// `n` random bytes from the OS, URL-safe base64 without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Lower-case hex SHA-256 of `value`. Used for API key secrets and refresh tokens, which are
/// 256-bit random values (a slow hash adds nothing there and would cost every request).
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// Length of the public id part of an API key.
pub const KEY_ID_LEN: usize = 16;

/// A freshly generated API key: its public id, its full text (shown once) and the secret's hash.
#[derive(Clone)]
pub struct GeneratedKey {
    /// Public id, stored in clear.
    pub id: String,
    /// The whole key, `<surface prefix><id>_<secret>`; shown once, never stored.
    pub text: String,
    /// SHA-256 of the secret part.
    pub secret_hash: String,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Generates an API key for `surface`.
pub fn generate_api_key(surface: Surface) -> GeneratedKey {
    let mut id_bytes = [0u8; KEY_ID_LEN / 2];
    rand::rng().fill_bytes(&mut id_bytes);
    let id = hex::encode(id_bytes);
    let secret = random_token(32);
    GeneratedKey {
        text: format!("{}{}_{}", surface.key_prefix(), id, secret),
        secret_hash: sha256_hex(&secret),
        id,
    }
}

/// Splits an API key text into `(id, secret)`, if it has the shape `generate_api_key` produces for
/// `surface`.
pub fn parse_api_key(surface: Surface, text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix(surface.key_prefix())?;
    let id = rest.get(..KEY_ID_LEN)?;
    let secret = rest.get(KEY_ID_LEN..)?.strip_prefix('_')?;
    (id.chars().all(|c| c.is_ascii_hexdigit()) && !secret.is_empty()).then_some((id, secret))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("s3cret").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(check_password_hash(&h).is_ok());
        assert!(verify_password("s3cret", &h));
        assert!(!verify_password("other", &h));
    }

    #[test]
    fn bcrypt_hashes_are_accepted_and_verified() {
        let h = bcrypt::hash("pw", 4).unwrap();
        assert!(check_password_hash(&h).is_ok());
        assert!(verify_password("pw", &h));
        assert!(!verify_password("nope", &h));
    }

    #[test]
    fn junk_hashes_are_refused() {
        assert!(check_password_hash("plain").is_err());
        assert!(check_password_hash("$2a$10$short").is_err());
        assert!(!verify_password("x", "plain"));
    }

    #[test]
    fn api_keys_parse_back() {
        let key = generate_api_key(Surface::UsersMe);
        assert!(key.text.starts_with("ZENPROKEY_"));
        let (id, secret) = parse_api_key(Surface::UsersMe, &key.text).unwrap();
        assert_eq!(id, key.id);
        assert_eq!(sha256_hex(secret), key.secret_hash);
        assert!(parse_api_key(Surface::Platform, &key.text).is_none());
        assert!(parse_api_key(Surface::UsersMe, "ZENPROKEY_short").is_none());
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
