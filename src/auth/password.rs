//! Passwords: validated on the way in, hashed with argon2id (OWASP parameters)
//! on a blocking thread (one CPU job per core at a time, see [`crate::cpu`]),
//! verified in constant work whether or not the account exists.

use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::cpu;
use crate::error::{AppError, AppResult};

/// Shortest password accepted, in characters.
pub const MIN_LEN: usize = 8;
/// Longest password accepted, in characters (no silent truncation).
pub const MAX_LEN: usize = 128;

/// A password that passed the length rules.
pub struct Password(String);

impl Password {
    /// Check the length rules; `field` names the input for the error.
    pub fn parse(raw: String, field: &'static str) -> AppResult<Self> {
        let len = raw.chars().count();
        if len < MIN_LEN {
            return Err(AppError::bad_input(
                field,
                format!("must be at least {MIN_LEN} characters"),
            ));
        }
        if len > MAX_LEN {
            return Err(AppError::bad_input(
                field,
                format!("must be at most {MAX_LEN} characters"),
            ));
        }
        Ok(Password(raw))
    }

    /// The password itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn hasher() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

fn hash_blocking(password: &str) -> AppResult<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// A hash of nothing anyone knows, verified when an account does not exist so
/// that a login for an unknown email costs as much as one for a known email.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("agora-dummy-password").unwrap_or_default())
}

/// What a verification found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    /// Wrong password (or no account).
    No,
    /// Right password, hashed with the current parameters.
    Yes,
    /// Right password, but the stored hash uses old parameters: store this new hash.
    YesRehashed(String),
}

/// Hash a password for storage (PHC string).
pub async fn hash(password: &Password) -> AppResult<String> {
    let password = password.0.clone();
    cpu::run(move || hash_blocking(&password)).await
}

/// Verify `password` against `stored`; with `None`, verify against a dummy
/// hash and answer `No`, spending the same time.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<Verified> {
    cpu::run(move || {
        let Some(stored) = stored else {
            // The result is ignored: this only spends the time a real check would.
            let _ = hasher().verify_password(password.as_bytes(), dummy_hash());
            return Ok(Verified::No);
        };
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(Verified::No);
        };
        if hasher().verify_password(password.as_bytes(), &parsed).is_err() {
            return Ok(Verified::No);
        }
        let wanted = Params::default();
        let current = parsed.algorithm == Algorithm::Argon2id.ident()
            && Params::try_from(&parsed).is_ok_and(|p| {
                (p.m_cost(), p.t_cost(), p.p_cost()) == (wanted.m_cost(), wanted.t_cost(), wanted.p_cost())
            });
        if current {
            Ok(Verified::Yes)
        } else {
            hash_blocking(&password).map(Verified::YesRehashed)
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_rules_count_characters() {
        assert!(Password::parse("short".into(), "password").is_err());
        assert!(Password::parse("ééééééé".into(), "password").is_err());
        assert!(Password::parse("éééééééé".into(), "password").is_ok());
        assert!(Password::parse("x".repeat(128), "password").is_ok());
        let err = Password::parse("x".repeat(129), "password").err();
        assert!(matches!(
            err,
            Some(AppError::BadInput {
                field: "password",
                ..
            })
        ));
    }

    #[tokio::test]
    async fn hashes_verify_and_old_parameters_are_upgraded() {
        let pw = Password::parse("correct horse".into(), "password").unwrap_or_else(|_| unreachable!());
        let stored = hash(&pw).await.unwrap_or_default();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(
            verify("correct horse".into(), Some(stored.clone())).await.ok(),
            Some(Verified::Yes)
        );
        assert_eq!(
            verify("wrong horse!".into(), Some(stored)).await.ok(),
            Some(Verified::No)
        );
        assert_eq!(
            verify("correct horse".into(), None).await.ok(),
            Some(Verified::No)
        );

        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap_or_default(),
        )
        .hash_password(b"correct horse")
        .map(|h| h.to_string())
        .unwrap_or_default();
        let upgraded = verify("correct horse".into(), Some(weak)).await.ok();
        assert!(matches!(upgraded, Some(Verified::YesRehashed(h)) if h.contains("m=19456")));
    }
}
