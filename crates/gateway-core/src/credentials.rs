//! Credential rules: password hashing (argon2id, bcrypt verified; off the async workers through
//! [`PasswordWork`]), random secrets, API key text, and the SHA-256 digests under which
//! high-entropy secrets (API keys, refresh tokens) are stored.

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::Semaphore;

use crate::{CoreError, FieldIssue, IssueCode, Surface, UserField};

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
            UserField::PasswordHash,
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

/// Where password hashing and verification run: argon2id costs tens of milliseconds of CPU, which
/// must not happen on the async worker threads that answer every other request (one hash there
/// stalls every request queued on that worker). Each job goes to tokio's blocking pool behind a
/// semaphore, so at most `limit` run at once (default: one per core but one, see
/// [`PasswordWork::default_limit`]) and the rest wait as cheap futures. The permit travels with the job and is released when the job ends, even when the
/// request that asked for it was cancelled meanwhile.
#[derive(Clone, Debug)]
pub struct PasswordWork {
    permits: Arc<Semaphore>,
}

impl Default for PasswordWork {
    fn default() -> Self {
        Self::new(Self::default_limit())
    }
}

impl PasswordWork {
    /// At most `limit` jobs at once (at least one).
    pub fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit.max(1))),
        }
    }

    /// The number of cores this process may use, less one, and at least one. With a hash on
    /// every core the async workers get CPU only by preempting argon2: on 2 cores `/healthz`'s
    /// p99 under 8 clients changing passwords was 5-12 ms with the limit at 2 and 3-4 ms at 1
    /// (`reliability::input_hardening::password_hashing_does_not_stall_other_requests`). The
    /// core left over is what keeps every other request fast; hashing throughput pays for it.
    pub fn default_limit() -> usize {
        std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .saturating_sub(1)
            .max(1)
    }

    /// [`hash_password`] on the blocking pool.
    pub async fn hash(&self, plain: String) -> Result<String, CoreError> {
        self.run(move || hash_password(&plain)).await?
    }

    /// [`verify_password`] on the blocking pool; `false` when the job could not run.
    pub async fn verify(&self, plain: String, mcf: String) -> bool {
        self.run(move || verify_password(&plain, &mcf))
            .await
            .unwrap_or(false)
    }

    /// Runs `job` on the blocking pool once a permit is free.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, CoreError> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| CoreError::internal(format!("password work is closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| CoreError::internal(format!("password work failed: {e}")))
    }
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

    #[tokio::test]
    async fn password_work_runs_off_the_caller_and_round_trips() {
        let work = PasswordWork::new(2);
        let caller = std::thread::current().id();
        let ran_on = work.run(|| std::thread::current().id()).await.unwrap();
        assert_ne!(ran_on, caller, "the job ran on the calling thread");
        let h = work.hash("s3cret".into()).await.unwrap();
        assert!(work.verify("s3cret".into(), h.clone()).await);
        assert!(!work.verify("other".into(), h).await);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn password_work_runs_at_most_limit_jobs_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let work = PasswordWork::new(2);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (work, running, peak) = (work.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    work.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
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
