//! Access tokens (JWT, HS256 pinned, short-lived) and refresh tokens (opaque,
//! 256 random bits, stored only as a SHA-256 digest).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;

use crate::db::{SessionId, UserId};
use crate::error::{AppError, AppResult};

/// `iss` of every access token.
pub const ISSUER: &str = "agora";
/// `aud` of every access token.
pub const AUDIENCE: &str = "agora-api";

/// The claims of an access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer, always [`ISSUER`].
    pub iss: String,
    /// Audience, always [`AUDIENCE`].
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The session id.
    pub sid: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Not valid before (seconds since the epoch): the issue time. Tokens issued before this claim existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

/// Seconds by which `exp` and `nbf` may be off, for clocks that differ between the instance that signed a token and the one checking it.
pub const CLOCK_LEEWAY_SECS: u64 = 5;

/// Signing and verification keys, built once from the configuration.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl_secs: u64,
}

/// What a valid access token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user.
    pub user_id: UserId,
    /// The session the token belongs to.
    pub session_id: SessionId,
    /// When the token stops being accepted (seconds since the epoch, the leeway included).
    pub expires_at: u64,
}

impl TokenKeys {
    /// Keys from `JWT_SECRET` and `ACCESS_TOKEN_TTL`.
    pub fn new(config: &Config) -> Self {
        let secret = config.jwt_secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = CLOCK_LEEWAY_SECS;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs: config.access_token_ttl.as_secs(),
        }
    }

    /// Seconds an access token lives.
    pub fn access_ttl_secs(&self) -> u64 {
        self.access_ttl_secs
    }

    /// Sign an access token for `user_id` in `session_id`.
    pub fn issue_access(&self, user_id: UserId, session_id: SessionId) -> AppResult<String> {
        let iat = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat,
            nbf: Some(iat),
            exp: iat + self.access_ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// Check signature, algorithm, issuer, audience, expiry and not-before (each time give or take [`CLOCK_LEEWAY_SECS`]).
    pub fn verify_access(&self, token: &str) -> AppResult<AccessClaims> {
        let invalid = || AppError::Unauthenticated("invalid or expired access token");
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| invalid())?;
        match (
            UserId::parse_uuid(&data.claims.sub),
            SessionId::parse_uuid(&data.claims.sid),
        ) {
            (Some(user_id), Some(session_id)) => Ok(AccessClaims {
                user_id,
                session_id,
                expires_at: data.claims.exp.saturating_add(CLOCK_LEEWAY_SECS),
            }),
            _ => Err(invalid()),
        }
    }
}

/// A new opaque token (refresh tokens, mailed links): what the client gets, and the digest stored.
pub fn new_opaque_token() -> AppResult<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(AppError::internal)?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest_token(&token);
    Ok((token, digest))
}

/// The stored form of an opaque token: hex SHA-256. A fast hash is right here: the token has 256 bits of entropy, so there is nothing to brute-force.
pub fn digest_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> TokenKeys {
        let config = Config::from_lookup(|k| (k == "JWT_SECRET").then(|| secret.to_owned()));
        TokenKeys::new(&config.unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn access_tokens_round_trip_and_reject_other_keys() {
        let k = keys(&"a".repeat(32));
        let (user, session) = (UserId::new(), SessionId::new());
        let token = k.issue_access(user, session).unwrap_or_default();
        let claims = k.verify_access(&token).ok();
        assert_eq!(claims.map(|c| (c.user_id, c.session_id)), Some((user, session)));
        let expected_end = jsonwebtoken::get_current_timestamp() + 15 * 60 + CLOCK_LEEWAY_SECS;
        assert!(claims.is_some_and(|c| c.expires_at.abs_diff(expected_end) <= 1));
        assert!(keys(&"b".repeat(32)).verify_access(&token).is_err());
        assert!(k.verify_access("not.a.jwt").is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_digested() {
        let (a, da) = new_opaque_token().unwrap_or_default();
        let (b, _) = new_opaque_token().unwrap_or_default();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(da, digest_token(&a));
        assert_eq!(da.len(), 64);
    }
}
