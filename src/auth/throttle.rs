//! Sign-in throttling, shared by every instance through the database.
//!
//! Counters live in `login_failures`, one per scope and key: the account (the
//! digest of the normalised email, counted for unknown emails too, so the
//! answer never tells whether an account exists) and the client's address
//! (when known). A counter's window starts at its first failure and lasts
//! `LOGIN_LOCKOUT`; past its limit, sign-ins are refused with `RATE_LIMITED`
//! and `retryAfter` = the seconds left in the window.
//!
//! Every attempt is counted *before* its password is checked, by one atomic
//! upsert per scope that returns the new count. So the limit holds exactly
//! under concurrency and across instances, every `login` field of a request
//! (aliased or batched) counts, and a locked account costs no argon2 work. A
//! successful sign-in deletes the account's counter and takes its attempt
//! back from the address's counter, so only failures stay counted.

use std::time::Duration;

use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::sql_types::Integer;
use diesel_async::RunQueryDsl;

use crate::audit::{self, AuditKind, LoginFailure};
use crate::auth::ClientInfo;
use crate::config::LoginThrottle;
use crate::db::UserId;
use crate::db::schema::login_failures;
use crate::db::schema::sql_types::PortableTimestamp;
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::with_conn;

crate::text_enum! {
    /// What a counter counts (the stored `scope`).
    pub enum Scope {
        /// One email address, known or not.
        Account = "ACCOUNT",
        /// One client address.
        Ip = "IP",
    }
}

/// Where a counter stands once the current attempt is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Within the limit: go on and check the password.
    Allowed,
    /// Past it, for `retry_after` more seconds (at least 1). `first` marks the first refusal of the window, the one that is audited.
    Refused { retry_after: u64, first: bool },
}

/// The verdict for a counter at `failures` (this attempt included) whose window started at `window_start` and lasts `window`.
fn verdict(failures: i32, window_start: Timestamp, max: usize, window: Duration, now: Timestamp) -> Verdict {
    let count = usize::try_from(failures).unwrap_or(0);
    if count <= max {
        return Verdict::Allowed;
    }
    let left = window_start.plus(window).0 - now.0;
    let micros = u64::try_from(left.num_microseconds().unwrap_or(i64::MAX)).unwrap_or(0);
    Verdict::Refused {
        retry_after: micros.div_ceil(1_000_000).max(1),
        first: count == max.saturating_add(1),
    }
}

/// The latest window start that has ended by `now`.
fn expired_before(now: Timestamp, window: Duration) -> Timestamp {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    Timestamp(
        now.0
            .checked_sub_signed(window)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC),
    )
}

/// A sign-in attempt that passed the limits. It is already counted as a failure: report how it ended with [`LoginAttempt::failed`] or [`LoginAttempt::succeeded`].
pub struct LoginAttempt<'a> {
    /// Digest of the normalised email: the account counter's key, and what the audit log keeps of a failed attempt.
    email_digest: String,
    client: &'a ClientInfo,
}

impl<'a> LoginAttempt<'a> {
    /// Count an attempt to sign in as `email` from `client`, first against the client's address, then against the account. Past a limit it is refused with `RATE_LIMITED` before any password is checked (and the first refusal of a window is audited).
    pub async fn admit(
        conn: &mut Conn,
        limits: &LoginThrottle,
        email: &str,
        client: &'a ClientInfo,
    ) -> AppResult<Self> {
        let attempt = LoginAttempt {
            email_digest: audit::email_digest(email),
            client,
        };
        let now = now();
        let expired = expired_before(now, limits.lockout);
        let ip = client
            .ip
            .as_deref()
            .map(|ip| (Scope::Ip, ip, limits.max_failures_per_ip));
        let account = Some((Scope::Account, attempt.email_digest.as_str(), limits.max_failures));
        for (scope, key, max) in ip.into_iter().chain(account) {
            let (failures, window_start) = count(conn, scope, key, now, expired).await?;
            if let Verdict::Refused { retry_after, first } =
                verdict(failures, window_start, max, limits.lockout, now)
            {
                if first {
                    attempt.failed(conn, None, LoginFailure::RateLimited).await?;
                }
                return Err(AppError::RateLimited { retry_after });
            }
        }
        Ok(attempt)
    }

    /// The attempt failed: audit it (on its own, so the row stays although the sign-in fails). It stays counted.
    pub async fn failed(&self, conn: &mut Conn, user: Option<UserId>, reason: LoginFailure) -> AppResult<()> {
        audit::record_login_failure(conn, &self.email_digest, user, self.client, reason).await
    }

    /// The attempt signed `user` in: [`LoginAttempt::confirmed`], and audit the sign-in. Call it inside the transaction that starts the session.
    pub async fn succeeded(&self, conn: &mut Conn, user: UserId) -> AppResult<()> {
        self.confirmed(conn).await?;
        audit::record(conn, AuditKind::LoginSucceeded, user, self.client).await
    }

    /// The password was right: forget the account's failures and take the attempt back from the address's count.
    pub async fn confirmed(&self, conn: &mut Conn) -> AppResult<()> {
        forget_account_failures(conn, &self.email_digest).await?;
        if let Some(ip) = self.client.ip.as_deref() {
            with_conn!(conn, |c| {
                diesel::update(
                    login_failures::table
                        .filter(login_failures::scope.eq(Scope::Ip))
                        .filter(login_failures::key.eq(ip))
                        .filter(login_failures::failures.gt(0)),
                )
                .set(login_failures::failures.eq(login_failures::failures - 1))
                .execute(c)
                .await
            })?;
        }
        Ok(())
    }
}

/// Forget the failed sign-ins counted against the account whose email has this digest ([`audit::email_digest`]): after a sign-in, or a password reset (whoever reset it may sign in at once).
pub async fn forget_account_failures(conn: &mut Conn, email_digest: &str) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(
            login_failures::table
                .filter(login_failures::scope.eq(Scope::Account))
                .filter(login_failures::key.eq(email_digest)),
        )
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Count one attempt on the (`scope`, `key`) counter, starting a new window when there is none or the last one started at or before `expired`; answers the new count and the window's start.
async fn count(
    conn: &mut Conn,
    scope: Scope,
    key: &str,
    now: Timestamp,
    expired: Timestamp,
) -> AppResult<(i32, Timestamp)> {
    let stale = || login_failures::window_start.le(expired);
    let now_sql = || now.into_sql::<PortableTimestamp>();
    Ok(with_conn!(conn, |c| {
        diesel::insert_into(login_failures::table)
            .values((
                login_failures::scope.eq(scope),
                login_failures::key.eq(key),
                login_failures::failures.eq(1),
                login_failures::window_start.eq(now),
            ))
            .on_conflict((login_failures::scope, login_failures::key))
            .do_update()
            .set((
                login_failures::failures
                    .eq(case_when(stale(), 1.into_sql::<Integer>()).otherwise(login_failures::failures + 1)),
                login_failures::window_start
                    .eq(case_when(stale(), now_sql()).otherwise(login_failures::window_start)),
            ))
            .returning((login_failures::failures, login_failures::window_start))
            .get_result(c)
            .await
    })?)
}

/// Delete the counters whose window ended (retention; a stale counter is ignored by the checks anyway).
pub async fn prune_expired(conn: &mut Conn, lockout: Duration) -> AppResult<usize> {
    let expired = expired_before(now(), lockout);
    Ok(with_conn!(conn, |c| {
        diesel::delete(login_failures::table.filter(login_failures::window_start.le(expired)))
            .execute(c)
            .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(900);

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_micros(1_800_000_000_000_000 + secs * 1_000_000).unwrap_or_else(now)
    }

    #[test]
    fn within_the_limit_is_allowed() {
        assert_eq!(verdict(1, at(0), 5, WINDOW, at(0)), Verdict::Allowed);
        assert_eq!(verdict(5, at(0), 5, WINDOW, at(899)), Verdict::Allowed);
    }

    #[test]
    fn past_the_limit_waits_for_the_window_to_end() {
        assert_eq!(
            verdict(6, at(0), 5, WINDOW, at(100)),
            Verdict::Refused {
                retry_after: 800,
                first: true
            }
        );
        assert_eq!(
            verdict(7, at(0), 5, WINDOW, at(100)),
            Verdict::Refused {
                retry_after: 800,
                first: false
            }
        );
    }

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let almost = Timestamp::from_micros(at(899).micros() + 1).unwrap_or_else(now);
        assert_eq!(
            verdict(6, at(0), 5, WINDOW, almost),
            Verdict::Refused {
                retry_after: 1,
                first: true
            }
        );
        // A clock that runs ahead of the stored window still says "1 second".
        assert_eq!(
            verdict(9, at(0), 5, WINDOW, at(2000)),
            Verdict::Refused {
                retry_after: 1,
                first: false
            }
        );
        let partial = Timestamp::from_micros(at(100).micros() + 300_000).unwrap_or_else(now);
        assert_eq!(
            verdict(6, at(0), 5, WINDOW, partial),
            Verdict::Refused {
                retry_after: 800,
                first: true
            }
        );
    }

    #[test]
    fn windows_expire_after_their_length() {
        assert_eq!(expired_before(at(900), WINDOW), at(0));
        assert!(at(1) > expired_before(at(900), WINDOW));
    }
}
