//! Access tokens of this surface: ES256 JWTs with a `kid`, the claims of spec §4.3, `iss`
//! `{base}/api/v1/projects/{project_id}` and `aud` the project id (`-anonymous-users`/`:anon`,
//! `-restricted-users`/`:restricted` for those users), 10 minutes by default. `base` is the
//! configured public base URL (`crate::config`), never a request header.
//!
//! The P-256 signing key is generated once and kept in the gateway's shared secrets (PKCS#8 PEM),
//! so every instance on one database signs and verifies with the same key; it is loaded on first
//! use by each worker. Verification checks the algorithm, `kid`, signature, `iss` (exactly, as the
//! vendor's `allowedIssuers`), `aud` and expiry; anything but expiry is "unparsable" (spec §4.3
//! choice). As in the vendor (`decodeAccessToken`), a token is not checked against its refresh
//! session: it stands until its `exp` (see `docs/dialects/tiered.md`).

use std::sync::{Arc, OnceLock};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use gateway_core::{CoreError, Gateway, User};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use p256::{
    SecretKey,
    elliptic_curve::sec1::ToEncodedPoint,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding},
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use gateway_http::VerifiedCache;

use crate::known::KnownError;

/// Name of the stored signing key in the gateway's shared secrets.
pub const KEY_SECRET_NAME: &str = "tiered_es256_pkcs8";
/// Default lifetime of access tokens (the vendor's `STACK_ACCESS_TOKEN_EXPIRATION_TIME` default).
pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::minutes(10);
/// Lifetime of a session opened by a sign-in (the vendor's `createAuthTokens` default: 365 days).
pub const SESSION_LIFETIME: Duration = Duration::days(365);

/// `restricted_reason` of a token or a read object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictedReason {
    /// `anonymous`, `email_not_verified` or `restricted_by_administrator`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// The claims of an access token (spec §4.3), in the table's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// Issued at (seconds).
    pub iat: i64,
    /// Expiry (seconds).
    pub exp: i64,
    /// `{base}/api/v1/projects{suffix}/{project_id}`.
    pub iss: String,
    /// Project id (`:anon` / `:restricted` suffix for those users).
    pub aud: String,
    /// Project id.
    pub project_id: String,
    /// Always `main`.
    pub branch_id: String,
    /// The refresh session the token was minted from.
    pub refresh_token_id: String,
    /// Always `authenticated`.
    pub role: String,
    /// Display name.
    pub name: Option<String>,
    /// Primary email.
    pub email: Option<String>,
    /// Primary email verified.
    pub email_verified: bool,
    /// Selected team.
    pub selected_team_id: Option<String>,
    /// Sign-up time (seconds).
    pub signed_up_at: i64,
    /// Anonymous user.
    pub is_anonymous: bool,
    /// Restricted user.
    pub is_restricted: bool,
    /// Why the user is restricted.
    pub restricted_reason: Option<RestrictedReason>,
    /// TOTP is set up.
    pub requires_totp_mfa: bool,
}

/// Why a presented access token was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenRefusal {
    /// Malformed, forged, unsigned, wrong algorithm, key, issuer or audience.
    Unparsable,
    /// Genuine but expired.
    Expired(Box<AccessClaims>),
}

impl TokenRefusal {
    /// The known error the vendor answers with.
    pub fn known(&self) -> KnownError {
        match self {
            Self::Unparsable => KnownError::unparsable_access_token(),
            Self::Expired(c) => KnownError::access_token_expired(
                DateTime::from_timestamp(c.exp, 0),
                Some(c.project_id.as_str()),
                Some(c.sub.as_str()),
                Some(c.refresh_token_id.as_str()),
            ),
        }
    }
}

/// The kind of user a token is for (selects `iss` and `aud`).
fn suffixes(is_anonymous: bool, is_restricted: bool) -> (&'static str, &'static str) {
    if is_anonymous {
        ("-anonymous-users", ":anon")
    } else if is_restricted {
        ("-restricted-users", ":restricted")
    } else {
        ("", "")
    }
}

/// `iss` for a project and user kind under `base` (scheme and authority of the gateway).
pub fn issuer(base: &str, project_id: &str, is_anonymous: bool, is_restricted: bool) -> String {
    let (iss_suffix, _) = suffixes(is_anonymous, is_restricted);
    format!(
        "{}/api/v1/projects{iss_suffix}/{project_id}",
        base.trim_end_matches('/')
    )
}

/// The one `iss` a token with these claims may carry when verified under `base`: compared
/// exactly, as the vendor's `allowedIssuers` does (a matching tail is not enough).
fn expected_issuer(claims: &AccessClaims, base: &str) -> String {
    issuer(
        base,
        &claims.project_id,
        claims.is_anonymous,
        claims.is_restricted,
    )
}

/// The restricted reason of a user, as the vendor computes it (email verification is never
/// required by a gateway project).
pub fn restricted_reason(user: &User) -> Option<RestrictedReason> {
    if user.account.is_anonymous {
        Some(RestrictedReason {
            kind: "anonymous".into(),
        })
    } else if user.account.restricted_by_admin {
        Some(RestrictedReason {
            kind: "restricted_by_administrator".into(),
        })
    } else {
        None
    }
}

/// The loaded signing key.
pub struct SigningKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    x: String,
    y: String,
    /// Tokens that verified with this key (signature, `kid`, `iss`/`aud`, `nbf`): a P-256
    /// verification costs several times a whole request of another surface, and a client
    /// presents the same token on every request. A hit still checks the issuer and expiry.
    verified: VerifiedCache<AccessClaims>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// Generates a new P-256 key as PKCS#8 PEM.
pub fn generate_pem() -> String {
    loop {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        // A random scalar is out of range with probability ~2^-32; draw again then.
        if let Ok(secret) = SecretKey::from_slice(&bytes)
            && let Ok(pem) = secret.to_pkcs8_pem(LineEnding::LF)
        {
            return pem.to_string();
        }
    }
}

impl SigningKey {
    /// Loads a key from PKCS#8 PEM.
    pub fn from_pem(pem: &str) -> Result<Self, CoreError> {
        let secret = SecretKey::from_pkcs8_pem(pem)
            .map_err(|e| CoreError::internal(format!("stored signing key is unreadable: {e}")))?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(CoreError::internal(
                "stored signing key has no affine point",
            ));
        };
        let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
        // RFC 7638 thumbprint: SHA-256 over the required members in lexicographic order.
        let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let encoding = EncodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|e| CoreError::internal(format!("signing key rejected: {e}")))?;
        let decoding = DecodingKey::from_ec_components(&x, &y)
            .map_err(|e| CoreError::internal(format!("verification key rejected: {e}")))?;
        Ok(Self {
            encoding,
            decoding,
            kid,
            x,
            y,
            verified: VerifiedCache::default(),
        })
    }

    /// The key id (`kid`).
    #[cfg(test)]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
                "kid": self.kid, "x": self.x, "y": self.y,
            }]
        })
    }

    /// Signs claims.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, CoreError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(CoreError::internal)
    }

    /// Mints the claims for `user` in `project_id` from session `refresh_token_id`.
    pub fn claims(
        base: &str,
        project_id: &str,
        user: &User,
        refresh_token_id: &str,
        now: DateTime<Utc>,
        lifetime: Duration,
    ) -> AccessClaims {
        let reason = restricted_reason(user);
        let is_restricted = reason.is_some();
        let (_, aud_suffix) = suffixes(user.account.is_anonymous, is_restricted);
        AccessClaims {
            sub: user.id.to_string(),
            iat: now.timestamp(),
            exp: (now + lifetime).timestamp(),
            iss: issuer(base, project_id, user.account.is_anonymous, is_restricted),
            aud: format!("{project_id}{aud_suffix}"),
            project_id: project_id.to_owned(),
            branch_id: "main".into(),
            refresh_token_id: refresh_token_id.to_owned(),
            role: "authenticated".into(),
            name: user.profile.display_name.clone().filter(|n| !n.is_empty()),
            email: user.identity.email.clone(),
            email_verified: user.identity.email.is_some() && user.identity.email_verified,
            selected_team_id: user.account.selected_team_id.map(|t| t.to_string()),
            signed_up_at: user.timestamps.signed_up_at.timestamp(),
            is_anonymous: user.account.is_anonymous,
            is_restricted,
            restricted_reason: reason,
            requires_totp_mfa: user.security.totp_secret.is_some(),
        }
    }

    /// Verifies a presented token: ES256 with our `kid` and signature, `iss` exactly the issuer
    /// of its project and user kind under `base` (the configured public base URL), consistent
    /// `aud`, not expired and not before its `nbf` (no leeway). The project is checked by the
    /// caller.
    pub fn verify(
        &self,
        token: &str,
        base: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenRefusal> {
        if let Some(hit) = self.verified.lookup(token, |c| c.exp <= now.timestamp()) {
            // The cache holds what the signature proves; the issuer is checked against this
            // request's base every time (the vendor's `allowedIssuers`, before expiry).
            let (Ok(claims) | Err(claims)) = &hit;
            if claims.iss != expected_issuer(claims, base) {
                return Err(TokenRefusal::Unparsable);
            }
            return hit.map_err(|claims| TokenRefusal::Expired(Box::new(claims)));
        }
        let claims = self.verify_signed(token, base, now)?;
        self.verified.insert(token, claims.clone());
        Ok(claims)
    }

    /// [`SigningKey::verify`] without the cache.
    fn verify_signed(
        &self,
        token: &str,
        base: &str,
        now: DateTime<Utc>,
    ) -> Result<AccessClaims, TokenRefusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRefusal::Unparsable)?;
        if header.alg != Algorithm::ES256 || header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenRefusal::Unparsable);
        }
        let mut validation = Validation::new(Algorithm::ES256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|_| TokenRefusal::Unparsable)?
            .claims;
        let (aud_project, aud_suffix) = match claims.aud.split_once(':') {
            Some((p, s)) => (p, format!(":{s}")),
            None => (claims.aud.as_str(), String::new()),
        };
        let (_, expected_aud_suffix) = suffixes(claims.is_anonymous, claims.is_restricted);
        if aud_suffix != expected_aud_suffix
            || aud_project != claims.project_id
            || claims.iss != expected_issuer(&claims, base)
            || claims.branch_id != "main"
            || claims.is_restricted != claims.restricted_reason.is_some()
        {
            return Err(TokenRefusal::Unparsable);
        }
        if claims.exp <= now.timestamp() {
            return Err(TokenRefusal::Expired(Box::new(claims)));
        }
        Ok(claims)
    }
}

/// The signing key, loaded once per worker from the gateway's shared secrets. Registered as
/// `web::Data<KeyCell>`.
#[derive(Debug, Default)]
pub struct KeyCell {
    key: OnceLock<Arc<SigningKey>>,
}

impl KeyCell {
    /// The key, loading (or generating and storing) it on first use.
    pub async fn get(&self, gateway: &Gateway) -> Result<Arc<SigningKey>, CoreError> {
        if let Some(key) = self.key.get() {
            return Ok(key.clone());
        }
        let pem = gateway.shared_secret(KEY_SECRET_NAME, generate_pem).await?;
        let key = Arc::new(SigningKey::from_pem(&pem)?);
        Ok(self.key.get_or_init(|| key).clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gateway_core::{UserId, UserStatus};

    /// The base URL the tokens of these tests are minted and verified under.
    const GW: &str = "http://gw";

    fn user() -> User {
        let mut user = User::new(UserId::new(), "jane", Utc::now());
        user.identity.email = Some("jane@example.com".into());
        user.identity.email_verified = true;
        user.profile.display_name = Some("Jane".into());
        user.account.status = UserStatus::Active;
        user
    }

    fn token(key: &SigningKey, lifetime: Duration) -> (String, AccessClaims) {
        let claims = SigningKey::claims(GW, "p-1", &user(), "rt-1", Utc::now(), lifetime);
        (key.sign(&claims).unwrap(), claims)
    }

    #[test]
    fn anonymous_and_restricted_users_need_the_allow_headers() {
        let key = SigningKey::from_pem(&generate_pem()).unwrap();
        let mut anonymous = user();
        anonymous.account.is_anonymous = true;
        let claims = SigningKey::claims(
            "http://gw",
            "p-1",
            &anonymous,
            "rt",
            Utc::now(),
            ACCESS_TOKEN_LIFETIME,
        );
        assert_eq!(claims.aud, "p-1:anon");
        assert_eq!(claims.iss, "http://gw/api/v1/projects-anonymous-users/p-1");
        let jwt = key.sign(&claims).unwrap();
        let refused = crate::auth::verify_token(&key, &jwt, GW, "p-1", false, false).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "401 Unauthorized ANONYMOUS_AUTHENTICATION_NOT_ALLOWED"
        );
        assert!(crate::auth::verify_token(&key, &jwt, GW, "p-1", true, true).is_ok());

        let mut restricted = user();
        restricted.account.restricted_by_admin = true;
        let claims = SigningKey::claims(
            "http://gw",
            "p-1",
            &restricted,
            "rt",
            Utc::now(),
            ACCESS_TOKEN_LIFETIME,
        );
        assert_eq!(claims.aud, "p-1:restricted");
        let jwt = key.sign(&claims).unwrap();
        let refused = crate::auth::verify_token(&key, &jwt, GW, "p-1", false, false).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "403 Forbidden RESTRICTED_USER_NOT_ALLOWED"
        );
        assert!(crate::auth::verify_token(&key, &jwt, GW, "p-1", false, true).is_ok());
        let other = crate::auth::verify_token(&key, &jwt, GW, "p-2", false, true).unwrap_err();
        assert_eq!(
            other.to_string(),
            "401 Unauthorized INVALID_PROJECT_FOR_ACCESS_TOKEN"
        );
    }

    #[test]
    fn round_trip_and_jwks() {
        let key = SigningKey::from_pem(&generate_pem()).unwrap();
        let (jwt, claims) = token(&key, ACCESS_TOKEN_LIFETIME);
        assert_eq!(key.verify(&jwt, GW, Utc::now()).unwrap(), claims);
        assert_eq!(claims.iss, "http://gw/api/v1/projects/p-1");
        assert_eq!(key.jwks()["keys"][0]["kid"], key.kid());
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
    }

    #[test]
    fn expiry_forgery_and_algorithm_confusion_are_refused() {
        let key = SigningKey::from_pem(&generate_pem()).unwrap();
        let (expired, _) = token(&key, Duration::seconds(-5));
        assert!(matches!(
            key.verify(&expired, GW, Utc::now()),
            Err(TokenRefusal::Expired(_))
        ));

        let other = SigningKey::from_pem(&generate_pem()).unwrap();
        let (foreign, _) = token(&other, ACCESS_TOKEN_LIFETIME);
        assert_eq!(
            key.verify(&foreign, GW, Utc::now()),
            Err(TokenRefusal::Unparsable)
        );

        let (good, claims) = token(&key, ACCESS_TOKEN_LIFETIME);
        let payload = good.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{payload}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
        );
        assert_eq!(
            key.verify(&none, GW, Utc::now()),
            Err(TokenRefusal::Unparsable)
        );

        // HS256 signed with the public key's text as the secret.
        let mut hs = Header::new(Algorithm::HS256);
        hs.kid = Some(key.kid().to_owned());
        let public = key.jwks().to_string();
        let confused =
            jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(public.as_bytes()))
                .unwrap();
        assert_eq!(
            key.verify(&confused, GW, Utc::now()),
            Err(TokenRefusal::Unparsable)
        );
        assert_eq!(
            key.verify("12341234", GW, Utc::now()),
            Err(TokenRefusal::Unparsable)
        );
    }

    #[test]
    fn a_verified_token_is_answered_from_the_cache_until_it_expires() {
        let key = SigningKey::from_pem(&generate_pem()).unwrap();
        let (jwt, claims) = token(&key, Duration::seconds(30));
        assert_eq!(key.verify(&jwt, GW, Utc::now()).unwrap(), claims);
        assert!(key.verified.contains(&jwt));
        assert_eq!(key.verify(&jwt, GW, Utc::now()).unwrap(), claims);
        // Later than its `exp`, the cached token is expired (with its claims) and leaves the cache.
        let later = Utc::now() + Duration::seconds(31);
        assert!(matches!(
            key.verify(&jwt, GW, later),
            Err(TokenRefusal::Expired(c)) if *c == claims
        ));
        assert!(!key.verified.contains(&jwt));
        // Refused tokens are never kept.
        let other = SigningKey::from_pem(&generate_pem()).unwrap();
        let (foreign, _) = token(&other, ACCESS_TOKEN_LIFETIME);
        assert!(key.verify(&foreign, GW, Utc::now()).is_err());
        assert!(!key.verified.contains(&foreign));
    }

    /// Only the exact issuer of the base is accepted: a token minted under another base (a
    /// forwarded host, an old public URL) is unparsable even though its `/api/v1/projects/{id}`
    /// tail is right, on the first presentation and from the cache.
    #[test]
    fn the_issuer_must_match_the_base_exactly() {
        let key = SigningKey::from_pem(&generate_pem()).unwrap();
        for base in [
            "http://evil.example",
            "http://evil.example/http://gw",
            "https://gw",
            "http://gw.evil.example",
            "http://gw/prefix",
        ] {
            let claims = SigningKey::claims(
                base,
                "p-1",
                &user(),
                "rt",
                Utc::now(),
                ACCESS_TOKEN_LIFETIME,
            );
            assert!(claims.iss.ends_with("/api/v1/projects/p-1"));
            let jwt = key.sign(&claims).unwrap();
            assert_eq!(
                key.verify(&jwt, GW, Utc::now()),
                Err(TokenRefusal::Unparsable),
                "{base}"
            );
            assert!(!key.verified.contains(&jwt));
            // Accepted under its own base, then still refused under another one from the cache.
            assert!(key.verify(&jwt, base, Utc::now()).is_ok());
            assert!(key.verified.contains(&jwt));
            assert_eq!(
                key.verify(&jwt, GW, Utc::now()),
                Err(TokenRefusal::Unparsable),
                "{base} (cached)"
            );
        }
        // An expired token of another base is unparsable, not expired (issuer first).
        let claims = SigningKey::claims(
            "http://evil.example",
            "p-1",
            &user(),
            "rt",
            Utc::now(),
            Duration::seconds(-5),
        );
        let jwt = key.sign(&claims).unwrap();
        assert_eq!(
            key.verify(&jwt, GW, Utc::now()),
            Err(TokenRefusal::Unparsable)
        );
    }
}
