//! Passwords: validated on the way in, hashed with argon2id (OWASP parameters)
//! on a CPU worker (one job per core at a time, each worker reusing its own
//! argon2 memory, see [`crate::cpu`]), verified in constant work whether or
//! not the account exists. Hashes are PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), the same as the
//! `argon2` crate's `PasswordHasher` makes and its `PasswordVerifier` accepts.

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::password_hash::try_generate_salt;
use argon2::{Algorithm, Argon2, Params, Version};

use crate::cpu::{self, Scratch};
use crate::error::{AppError, AppResult};

/// Shortest password accepted, in characters.
pub const MIN_LEN: usize = 8;
/// Longest password accepted, in characters (no silent truncation).
pub const MAX_LEN: usize = 128;

/// The salt of the check made when an account does not exist.
const DUMMY_SALT: &[u8] = b"agora-no-such-account";

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

/// argon2id with today's parameters (OWASP: 19 MiB, 2 passes, 1 lane).
fn current() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// `hasher`'s output for `password` and `salt` into `out` (whose length is the output length), in the worker's reused memory.
fn compute(
    scratch: &mut Scratch,
    hasher: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> AppResult<()> {
    let memory = scratch.argon2_memory(hasher.params().block_count())?;
    hasher
        .hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
        .map_err(AppError::internal)
}

/// A new hash of `password` with the current parameters and a random 16-byte salt, as a PHC string.
fn hash_blocking(scratch: &mut Scratch, password: &str) -> AppResult<String> {
    let hasher = current();
    let salt = try_generate_salt().map_err(AppError::internal)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(scratch, &hasher, password, &salt, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(hasher.params()).map_err(AppError::internal)?,
        salt: Some(Salt::new(&salt).map_err(AppError::internal)?),
        hash: Some(Output::new(&out).map_err(AppError::internal)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the parsed hash `stored`; `None` when the hash cannot be checked (no salt or output, unknown algorithm or parameters). The outputs are compared in constant time (`Output`'s `PartialEq`).
fn matches(scratch: &mut Scratch, password: &str, stored: &PasswordHash) -> Option<bool> {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return None;
    };
    let algorithm = Algorithm::try_from(stored.algorithm.as_str()).ok()?;
    let version = match stored.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let hasher = Argon2::new(algorithm, version, Params::try_from(stored).ok()?);
    let mut buffer = [0u8; Output::MAX_LENGTH];
    let out = buffer.get_mut(..expected.len())?;
    compute(scratch, &hasher, password, salt, out).ok()?;
    Some(Output::new(out).ok()? == *expected)
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
    cpu::run(move |scratch| hash_blocking(scratch, &password)).await
}

/// Verify `password` against `stored`; with `None`, spend the time of a check with the current parameters and answer `No`.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<Verified> {
    cpu::run(move |scratch| {
        let Some(stored) = stored else {
            // The result is ignored: this only spends the time a real check would.
            let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
            let _ = compute(scratch, &current(), &password, DUMMY_SALT, &mut out);
            return Ok(Verified::No);
        };
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return Ok(Verified::No);
        };
        if matches(scratch, &password, &parsed) != Some(true) {
            return Ok(Verified::No);
        }
        let wanted = Params::default();
        let up_to_date = parsed.algorithm == Algorithm::Argon2id.ident()
            && Params::try_from(&parsed).is_ok_and(|p| {
                (p.m_cost(), p.t_cost(), p.p_cost()) == (wanted.m_cost(), wanted.t_cost(), wanted.p_cost())
            });
        if up_to_date {
            Ok(Verified::Yes)
        } else {
            hash_blocking(scratch, &password).map(Verified::YesRehashed)
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    fn password(raw: &str) -> Password {
        Password::parse(raw.into(), "password").unwrap_or_else(|_| unreachable!())
    }

    /// A hash made by the `argon2` crate's own `PasswordHasher`.
    fn crate_hash(params: Params, password: &str) -> String {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .unwrap_or_default()
    }

    fn crate_verifies(password: &str, stored: &str) -> bool {
        Argon2::default()
            .verify_password(password.as_bytes(), stored)
            .is_ok()
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crate_both_ways() {
        let ours = hash(&password("correct horse")).await.unwrap_or_default();
        let theirs = crate_hash(Params::default(), "correct horse");
        // Same PHC layout: algorithm, version, parameters, 16-byte salt, 32-byte output.
        let shape = |h: &str| h.split('$').map(str::len).collect::<Vec<_>>();
        assert!(ours.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(shape(&ours), shape(&theirs));
        assert_eq!(shape(&ours), vec![0, 8, 4, 15, 22, 43]);

        assert!(crate_verifies("correct horse", &ours));
        assert!(!crate_verifies("correct horsE", &ours));
        assert_eq!(
            verify("correct horse".into(), Some(theirs.clone())).await.ok(),
            Some(Verified::Yes)
        );
        assert_eq!(
            verify("correct horsE".into(), Some(theirs)).await.ok(),
            Some(Verified::No)
        );
    }

    #[tokio::test]
    async fn unusable_hashes_verify_nothing() {
        let ours = hash(&password("correct horse")).await.unwrap_or_default();
        let no_output = ours
            .rsplit_once('$')
            .map(|(head, _)| head.to_owned())
            .unwrap_or_default();
        for stored in [
            "",
            "deleted",
            "$argon2id$v=19$m=19456,t=2,p=1",
            no_output.as_str(),
        ] {
            assert_eq!(
                verify("correct horse".into(), Some(stored.to_owned())).await.ok(),
                Some(Verified::No),
                "{stored}"
            );
        }
    }

    #[tokio::test]
    async fn many_concurrent_hashes_complete_and_verify() {
        let jobs = (0..16).map(|i| async move {
            let raw = format!("password number {i}");
            let stored = hash(&password(&raw)).await.unwrap_or_default();
            (raw, stored)
        });
        let hashes = futures_util::future::join_all(jobs).await;
        let mut salts = std::collections::HashSet::new();
        for (raw, stored) in &hashes {
            assert!(crate_verifies(raw, stored), "{stored}");
            assert!(salts.insert(stored.split('$').nth(4).unwrap_or_default().to_owned()));
        }
        let checks = hashes.into_iter().map(|(raw, stored)| verify(raw, Some(stored)));
        let verified = futures_util::future::join_all(checks).await;
        assert!(verified.iter().all(|v| matches!(v, Ok(Verified::Yes))));
    }

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
        let stored = hash(&password("correct horse")).await.unwrap_or_default();
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

        let weak = crate_hash(Params::new(4096, 1, 1, None).unwrap_or_default(), "correct horse");
        let upgraded = verify("correct horse".into(), Some(weak)).await.ok();
        assert!(matches!(upgraded, Some(Verified::YesRehashed(h)) if h.contains("m=19456")));

        // A larger memory cost than today's (parameters lowered since) still verifies.
        let big = crate_hash(
            Params::new(32 * 1024, 1, 1, None).unwrap_or_default(),
            "correct horse",
        );
        let upgraded = verify("correct horse".into(), Some(big)).await.ok();
        assert!(matches!(upgraded, Some(Verified::YesRehashed(h)) if crate_verifies("correct horse", &h)));
    }
}
