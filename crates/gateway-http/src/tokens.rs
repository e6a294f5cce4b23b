//! Gateway access tokens: HS256 JWTs whose audience is the surface they were issued for, so every
//! other surface refuses them. `iss` and `aud` are checked; `alg` must be HS256.

use std::{
    collections::HashMap,
    sync::{Arc, PoisonError, RwLock},
};

use chrono::{DateTime, Duration, Utc};
use gateway_core::{Surface, UserId, credentials::sha256_hex};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::verified::VerifiedCache;

/// The claims of a gateway access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// User id.
    pub sub: String,
    /// The surface (audience) the token is for.
    pub aud: String,
    /// Issuer, from configuration.
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    pub exp: i64,
    /// The session the token belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
    /// Unique token id.
    pub jti: String,
}

/// A freshly issued token.
#[derive(Clone)]
pub struct IssuedToken {
    /// The JWT text.
    pub token: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// Lifetime in seconds.
    pub expires_in: i64,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused. Dialects that distinguish expiry (tiered) use it; the others refuse
/// both the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Signature, algorithm, issuer, audience or shape is wrong.
    #[error("token is not valid")]
    Invalid,
    /// Well-formed and signed by us, but expired.
    #[error("token has expired")]
    Expired,
}

/// An opaque access token with a value chosen in advance (emulator fixtures): valid for one
/// surface and one user, never expires, kept in memory only as the SHA-256 digest of its text.
#[derive(Clone)]
pub struct FixedToken {
    /// SHA-256 (lower-case hex) of the token text clients will present.
    pub sha256: String,
    /// The surface that accepts it.
    pub surface: Surface,
    /// Its user.
    pub user: UserId,
}

impl FixedToken {
    /// A fixed token from its text.
    pub fn new(text: &str, surface: Surface, user: UserId) -> Self {
        Self {
            sha256: sha256_hex(text),
            surface,
            user,
        }
    }
}

impl std::fmt::Debug for FixedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedToken")
            .field("surface", &self.surface)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// `exp` of the claims a fixed token yields: 9999-12-31T23:59:59Z.
const FIXED_TOKEN_EXP: i64 = 253_402_300_799;

/// Issues and verifies access tokens. Registered as `web::Data<Tokens>`; clones share the set of
/// fixed tokens.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    lifetime: Duration,
    /// Fixed tokens by the SHA-256 (hex) of their text.
    fixed: Arc<RwLock<HashMap<String, (Surface, UserId)>>>,
    /// Tokens that verified (the key is fixed for the life of `Tokens`); a hit still checks `exp`
    /// and the audience.
    verified: VerifiedCache<AccessClaims>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// A token service with an HS256 `secret`, an issuer name and a default lifetime.
    pub fn new(secret: &[u8], issuer: impl Into<String>, lifetime: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            issuer: issuer.into(),
            lifetime,
            fixed: Arc::default(),
            verified: VerifiedCache::default(),
        }
    }

    /// Replaces the fixed tokens (emulator fixtures). Every surface that verifies access tokens
    /// through [`Tokens::verify`] accepts them; dialects with their own token format can ask
    /// [`Tokens::fixed_user`].
    pub fn set_fixed(&self, tokens: impl IntoIterator<Item = FixedToken>) {
        let map = tokens
            .into_iter()
            .map(
                |FixedToken {
                     sha256,
                     surface,
                     user,
                 }| (sha256.to_ascii_lowercase(), (surface, user)),
            )
            .collect();
        *self.fixed.write().unwrap_or_else(PoisonError::into_inner) = map;
    }

    /// The fixed tokens in effect (digests only), ordered by digest.
    pub fn fixed(&self) -> Vec<FixedToken> {
        let fixed = self.fixed.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<FixedToken> = fixed
            .iter()
            .map(|(sha256, (surface, user))| FixedToken {
                sha256: sha256.clone(),
                surface: *surface,
                user: *user,
            })
            .collect();
        out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        out
    }

    /// How many fixed tokens are registered.
    pub fn fixed_count(&self) -> usize {
        self.fixed
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// The user of a fixed token presented to `surface`, if `token` is one.
    pub fn fixed_user(&self, token: &str, surface: Surface) -> Option<UserId> {
        let fixed = self.fixed.read().unwrap_or_else(PoisonError::into_inner);
        if fixed.is_empty() {
            return None;
        }
        match fixed.get(&sha256_hex(token)) {
            Some((s, user)) if *s == surface => Some(*user),
            _ => None,
        }
    }

    /// The default lifetime of issued tokens.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The issuer name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Issues a token for `user` on `surface`, valid for `lifetime` (the default when `None`).
    pub fn issue(
        &self,
        user: UserId,
        surface: Surface,
        session: Option<Uuid>,
        lifetime: Option<Duration>,
    ) -> Result<IssuedToken, gateway_core::CoreError> {
        let lifetime = lifetime.unwrap_or(self.lifetime);
        let now = Utc::now();
        let expires_at = now + lifetime;
        let claims = AccessClaims {
            sub: user.to_string(),
            aud: surface.as_str().to_owned(),
            iss: self.issuer.clone(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            sid: session,
            jti: Uuid::new_v4().simple().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(gateway_core::CoreError::internal)?;
        Ok(IssuedToken {
            token,
            expires_at,
            expires_in: lifetime.num_seconds(),
        })
    }

    /// Verifies a token presented to `surface`: HS256 only, our issuer, the surface as audience,
    /// not expired and not before its `nbf` (no leeway).
    /// A fixed token (see [`Tokens::set_fixed`]) of `surface` is accepted too, with claims that
    /// never expire and no session.
    pub fn verify(&self, token: &str, surface: Surface) -> Result<AccessClaims, TokenError> {
        if let Some(user) = self.fixed_user(token, surface) {
            return Ok(AccessClaims {
                sub: user.to_string(),
                aud: surface.as_str().to_owned(),
                iss: self.issuer.clone(),
                iat: 0,
                exp: FIXED_TOKEN_EXP,
                sid: None,
                jti: "fixed".to_owned(),
            });
        }
        if let Some(claims) = self.cached(token, surface)? {
            return Ok(claims);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_audience(&[surface.as_str()]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })?;
        self.verified.insert(token, claims.clone());
        Ok(claims)
    }

    /// The claims of `token` if it verified before: `Ok(None)` when it is not in the cache,
    /// `Expired` once its `exp` has passed (as `jsonwebtoken` decides: `exp < now`, no leeway),
    /// `Invalid` when it was issued for another surface.
    fn cached(&self, token: &str, surface: Surface) -> Result<Option<AccessClaims>, TokenError> {
        let now = Utc::now().timestamp();
        let claims = match self.verified.lookup(token, |c| c.exp < now) {
            None => return Ok(None),
            Some(Err(_)) => return Err(TokenError::Expired),
            Some(Ok(claims)) => claims,
        };
        if claims.aud != surface.as_str() {
            return Err(TokenError::Invalid);
        }
        Ok(Some(claims))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn tokens() -> Tokens {
        Tokens::new(
            b"0123456789abcdef0123456789abcdef",
            "gateway-test",
            Duration::minutes(5),
        )
    }

    #[test]
    fn round_trip_on_the_same_surface() {
        let t = tokens();
        let user = UserId::new();
        let issued = t.issue(user, Surface::Me, None, None).unwrap();
        let claims = t.verify(&issued.token, Surface::Me).unwrap();
        assert_eq!(claims.sub, user.to_string());
        assert_eq!(issued.expires_in, 300);
    }

    #[test]
    fn a_verified_token_is_answered_from_the_cache_with_the_same_rules() {
        let t = tokens();
        let user = UserId::new();
        let issued = t.issue(user, Surface::Me, None, None).unwrap();
        let first = t.verify(&issued.token, Surface::Me).unwrap();
        assert_eq!(t.verified.len(), 1);
        assert_eq!(t.verify(&issued.token, Surface::Me).unwrap(), first);
        // Clones share the cache; another surface still refuses the cached token.
        assert_eq!(
            t.clone().verify(&issued.token, Surface::Platform),
            Err(TokenError::Invalid)
        );
        // A cached token whose `exp` has passed is expired, and leaves the cache.
        let mut stale = first.clone();
        stale.exp = Utc::now().timestamp() - 1;
        t.verified.insert("stale-token", stale);
        assert_eq!(
            t.verify("stale-token", Surface::Me),
            Err(TokenError::Expired)
        );
        assert!(!t.verified.contains("stale-token"));
        // Refused tokens are never cached.
        assert_eq!(t.verify("garbage", Surface::Me), Err(TokenError::Invalid));
        assert!(!t.verified.contains("garbage"));
    }

    #[test]
    fn the_cache_is_bounded() {
        let t = tokens();
        for _ in 0..crate::verified::DEFAULT_CAPACITY + 1 {
            let issued = t.issue(UserId::new(), Surface::Me, None, None).unwrap();
            t.verify(&issued.token, Surface::Me).unwrap();
        }
        assert!(t.verified.len() <= crate::verified::DEFAULT_CAPACITY);
    }

    #[test]
    fn other_surfaces_refuse_the_token() {
        let t = tokens();
        let issued = t.issue(UserId::new(), Surface::Me, None, None).unwrap();
        assert_eq!(
            t.verify(&issued.token, Surface::Platform),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn expired_tokens_are_expired() {
        let t = tokens();
        let issued = t
            .issue(
                UserId::new(),
                Surface::Me,
                None,
                Some(Duration::seconds(-10)),
            )
            .unwrap();
        assert_eq!(
            t.verify(&issued.token, Surface::Me),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn forged_and_unsigned_tokens_are_invalid() {
        let t = tokens();
        let other = Tokens::new(
            b"another-secret-another-secret-00",
            "gateway-test",
            Duration::minutes(5),
        );
        let forged = other.issue(UserId::new(), Surface::Me, None, None).unwrap();
        assert_eq!(
            t.verify(&forged.token, Surface::Me),
            Err(TokenError::Invalid)
        );

        let good = t
            .issue(UserId::new(), Surface::Me, None, None)
            .unwrap()
            .token;
        let payload = good.split('.').nth(1).unwrap();
        let none_header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","typ":"JWT"}"#);
        let alg_none = format!("{none_header}.{payload}.");
        assert_eq!(t.verify(&alg_none, Surface::Me), Err(TokenError::Invalid));
        assert_eq!(t.verify("garbage", Surface::Me), Err(TokenError::Invalid));
    }

    #[test]
    fn fixed_tokens_are_accepted_by_their_surface_only() {
        let t = tokens();
        let user = UserId::new();
        t.set_fixed([FixedToken::new("fixed-me-token", Surface::Me, user)]);
        assert_eq!(t.fixed_count(), 1);
        let listed = t.fixed();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].sha256, sha256_hex("fixed-me-token"));
        let claims = t.verify("fixed-me-token", Surface::Me).unwrap();
        assert_eq!((claims.sub, claims.sid), (user.to_string(), None));
        assert_eq!(
            t.verify("fixed-me-token", Surface::Platform),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            t.verify("fixed-me-token2", Surface::Me),
            Err(TokenError::Invalid)
        );
        let clone = t.clone();
        clone.set_fixed([]);
        assert_eq!(
            t.verify("fixed-me-token", Surface::Me),
            Err(TokenError::Invalid),
            "clones share the set"
        );
    }

    #[test]
    fn not_yet_valid_tokens_are_invalid() {
        let t = tokens();
        let now = Utc::now().timestamp();
        let claims = serde_json::json!({
            "sub": UserId::new().to_string(), "aud": "me", "iss": "gateway-test",
            "iat": now, "nbf": now + 3600, "exp": now + 7200, "jti": "x",
        });
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        assert_eq!(t.verify(&token, Surface::Me), Err(TokenError::Invalid));
    }

    #[test]
    fn wrong_issuer_is_invalid() {
        let t = tokens();
        let other = Tokens::new(
            b"0123456789abcdef0123456789abcdef",
            "someone-else",
            Duration::minutes(5),
        );
        let token = other
            .issue(UserId::new(), Surface::Me, None, None)
            .unwrap()
            .token;
        assert_eq!(t.verify(&token, Surface::Me), Err(TokenError::Invalid));
    }
}
