//! Gateway access tokens: HS256 JWTs whose audience is the surface they were issued for, so every
//! other surface refuses them. `iss` and `aud` are checked; `alg` must be HS256.

use chrono::{DateTime, Duration, Utc};
use gateway_core::{Surface, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
        f.debug_struct("IssuedToken").field("expires_at", &self.expires_at).finish_non_exhaustive()
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

/// Issues and verifies access tokens. Registered as `web::Data<Tokens>`.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
    lifetime: Duration,
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
        Ok(IssuedToken { token, expires_at, expires_in: lifetime.num_seconds() })
    }

    /// Verifies a token presented to `surface`: HS256 only, our issuer, the surface as audience,
    /// not expired (no leeway).
    pub fn verify(&self, token: &str, surface: Surface) -> Result<AccessClaims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_audience(&[surface.as_str()]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn tokens() -> Tokens {
        Tokens::new(b"0123456789abcdef0123456789abcdef", "gateway-test", Duration::minutes(5))
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
    fn other_surfaces_refuse_the_token() {
        let t = tokens();
        let issued = t.issue(UserId::new(), Surface::Me, None, None).unwrap();
        assert_eq!(t.verify(&issued.token, Surface::Platform), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_tokens_are_expired() {
        let t = tokens();
        let issued = t.issue(UserId::new(), Surface::Me, None, Some(Duration::seconds(-10))).unwrap();
        assert_eq!(t.verify(&issued.token, Surface::Me), Err(TokenError::Expired));
    }

    #[test]
    fn forged_and_unsigned_tokens_are_invalid() {
        let t = tokens();
        let other = Tokens::new(b"another-secret-another-secret-00", "gateway-test", Duration::minutes(5));
        let forged = other.issue(UserId::new(), Surface::Me, None, None).unwrap();
        assert_eq!(t.verify(&forged.token, Surface::Me), Err(TokenError::Invalid));

        let good = t.issue(UserId::new(), Surface::Me, None, None).unwrap().token;
        let payload = good.split('.').nth(1).unwrap();
        let none_header =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let alg_none = format!("{none_header}.{payload}.");
        assert_eq!(t.verify(&alg_none, Surface::Me), Err(TokenError::Invalid));
        assert_eq!(t.verify("garbage", Surface::Me), Err(TokenError::Invalid));
    }

    #[test]
    fn wrong_issuer_is_invalid() {
        let t = tokens();
        let other = Tokens::new(b"0123456789abcdef0123456789abcdef", "someone-else", Duration::minutes(5));
        let token = other.issue(UserId::new(), Surface::Me, None, None).unwrap().token;
        assert_eq!(t.verify(&token, Surface::Me), Err(TokenError::Invalid));
    }
}
