//! Single-use tokens mailed to a user: email verification, password reset
//! and email change. 256 random bits, given out once (in the mailed link) and
//! stored only as SHA-256; each expires, and using one marks it used with a
//! conditional `UPDATE`, so two concurrent uses cannot both succeed.
//!
//! Mailing a token is rate limited per user and purpose ([`check_rate`]):
//! one per [`MIN_INTERVAL`], at most [`MAX_PER_HOUR`] an hour.

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::auth::tokens::{digest_token, new_opaque_token};
use crate::db::UserId;
use crate::db::schema::{account_tokens, users};
use crate::db::types::Timestamp;
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::with_conn;

/// The least time between two tokens mailed for one purpose to one user.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);
/// The most tokens mailed for one purpose to one user in an hour.
pub const MAX_PER_HOUR: usize = 5;
const HOUR: Duration = Duration::from_secs(3600);

crate::text_enum! {
    /// What a token is for.
    pub enum TokenPurpose {
        /// Confirms the account's email address.
        VerifyEmail = "VERIFY_EMAIL",
        /// Sets a new password without the old one.
        ResetPassword = "RESET_PASSWORD",
        /// Confirms a new login address (`email` holds it).
        ChangeEmail = "CHANGE_EMAIL",
    }
}

/// A used token: whose, and the address its link was mailed to.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = account_tokens)]
pub struct UsedToken {
    /// `VERIFY_EMAIL`, `RESET_PASSWORD` or `CHANGE_EMAIL`.
    pub purpose: TokenPurpose,
    /// The user it was issued to.
    pub user_id: UserId,
    /// The address the link went to.
    pub email: String,
}

#[derive(Insertable)]
#[diesel(table_name = account_tokens)]
struct NewToken<'a> {
    token_hash: &'a str,
    purpose: TokenPurpose,
    user_id: UserId,
    email: &'a str,
    created_at: Timestamp,
    expires_at: Timestamp,
}

/// Store a new token for `user_id`, mailed to `email`, valid for `ttl`; the token itself is returned (for the link) and never stored.
pub async fn issue(
    conn: &mut Conn,
    purpose: TokenPurpose,
    user_id: UserId,
    email: &str,
    ttl: Duration,
) -> AppResult<String> {
    let (token, digest) = new_opaque_token()?;
    let now = now();
    let row = NewToken {
        token_hash: &digest,
        purpose,
        user_id,
        email,
        created_at: now,
        expires_at: now.plus(ttl),
    };
    with_conn!(conn, |c| {
        diesel::insert_into(account_tokens::table)
            .values(&row)
            .execute(c)
            .await
    })?;
    Ok(token)
}

/// Why a token was refused.
fn refused(message: &str) -> AppError {
    AppError::bad_input("token", message)
}

/// A valid link whose address is no longer the account's login (or whose account was deleted).
pub fn stale_link() -> AppError {
    refused("this link is no longer valid")
}

/// Mark `token` used if it is one of `purposes`, unused and unexpired; otherwise `BAD_USER_INPUT` on `token` saying whether it expired, was used already, or is unknown.
pub async fn consume(conn: &mut Conn, purposes: &[TokenPurpose], token: &str) -> AppResult<UsedToken> {
    let digest = digest_token(token);
    let now = now();
    let used = with_conn!(conn, |c| {
        diesel::update(
            account_tokens::table
                .filter(account_tokens::token_hash.eq(&digest))
                .filter(account_tokens::purpose.eq_any(purposes))
                .filter(account_tokens::used_at.is_null())
                .filter(account_tokens::expires_at.gt(now)),
        )
        .set(account_tokens::used_at.eq(Some(now)))
        .returning(UsedToken::as_returning())
        .get_result(c)
        .await
        .optional()
    })?;
    match used {
        Some(used) => Ok(used),
        None => Err(refusal(conn, &digest, purposes).await?),
    }
}

/// Why the token with this digest cannot be used: used already, expired, or unknown.
async fn refusal(conn: &mut Conn, digest: &str, purposes: &[TokenPurpose]) -> AppResult<AppError> {
    let found: Option<(Option<Timestamp>, Timestamp)> = with_conn!(conn, |c| {
        account_tokens::table
            .filter(account_tokens::token_hash.eq(digest))
            .filter(account_tokens::purpose.eq_any(purposes))
            .select((account_tokens::used_at, account_tokens::expires_at))
            .first(c)
            .await
            .optional()
    })?;
    Ok(match found {
        Some((Some(_), _)) => refused("this link was used already"),
        Some((None, _)) => refused("this link has expired: ask for a new one"),
        None => refused("this link is not valid"),
    })
}

/// Is `token` one of `purpose`, unused and unexpired? (A read only: to skip expensive work for a bad token before [`consume`] decides.)
pub async fn check(conn: &mut Conn, purpose: TokenPurpose, token: &str) -> AppResult<()> {
    let digest = digest_token(token);
    let now = now();
    let valid = with_conn!(conn, |c| {
        diesel::select(diesel::dsl::exists(
            account_tokens::table
                .filter(account_tokens::token_hash.eq(&digest))
                .filter(account_tokens::purpose.eq(purpose))
                .filter(account_tokens::used_at.is_null())
                .filter(account_tokens::expires_at.gt(now)),
        ))
        .get_result::<bool>(c)
        .await
    })?;
    if valid {
        Ok(())
    } else {
        Err(refusal(conn, &digest, &[purpose]).await?)
    }
}

/// Mark every unused token of `user_id` for `purposes` used (after one of them succeeded, or when the address they went to stopped being the login).
pub async fn retire(conn: &mut Conn, user_id: UserId, purposes: &[TokenPurpose]) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::update(
            account_tokens::table
                .filter(account_tokens::user_id.eq(user_id))
                .filter(account_tokens::purpose.eq_any(purposes))
                .filter(account_tokens::used_at.is_null()),
        )
        .set(account_tokens::used_at.eq(Some(now())))
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Delete tokens that expired before `before` (retention).
pub async fn prune_expired(conn: &mut Conn, before: Timestamp) -> AppResult<usize> {
    Ok(with_conn!(conn, |c| {
        diesel::delete(account_tokens::table.filter(account_tokens::expires_at.lt(before)))
            .execute(c)
            .await
    })?)
}

/// Delete every token of `user_id` (account deletion: they hold its address).
pub async fn delete_all(conn: &mut Conn, user_id: UserId) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::delete(account_tokens::table.filter(account_tokens::user_id.eq(user_id)))
            .execute(c)
            .await
    })?;
    Ok(())
}

/// `RATE_LIMITED` (with `retryAfter`) when a token for `purpose` was mailed to `user_id` less than [`MIN_INTERVAL`] ago, or [`MAX_PER_HOUR`] in the last hour.
///
/// Call it inside the transaction that issues the token: it first locks the user's row (a no-op `UPDATE`; SQLite's write transaction is exclusive anyway), so concurrent requests for one user are counted one after the other.
pub async fn check_rate(conn: &mut Conn, user_id: UserId, purpose: TokenPurpose) -> AppResult<()> {
    with_conn!(conn, |c| {
        diesel::update(users::table.find(user_id))
            .set(users::id.eq(users::id))
            .execute(c)
            .await
    })?;
    let now = now();
    let hour_ago = Timestamp(now.0 - chrono::Duration::seconds(3600));
    let recent: Vec<Timestamp> = with_conn!(conn, |c| {
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::created_at.gt(hour_ago))
            .order(account_tokens::created_at.desc())
            .select(account_tokens::created_at)
            .load(c)
            .await
    })?;
    rate_verdict(&recent, now)
}

/// The rule of [`check_rate`] over the creation times in the last hour, newest first.
fn rate_verdict(recent: &[Timestamp], now: Timestamp) -> AppResult<()> {
    let wait_until = |t: Timestamp, d: Duration| {
        let left = (t.plus(d).0 - now.0).num_seconds();
        AppError::RateLimited {
            retry_after: u64::try_from(left).unwrap_or(0).max(1),
        }
    };
    if let Some(&newest) = recent.first()
        && newest.plus(MIN_INTERVAL) > now
    {
        return Err(wait_until(newest, MIN_INTERVAL));
    }
    if recent.len() >= MAX_PER_HOUR
        && let Some(&oldest) = recent.get(MAX_PER_HOUR - 1)
    {
        return Err(wait_until(oldest, HOUR));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ago(now: Timestamp, secs: i64) -> Timestamp {
        Timestamp(now.0 - chrono::Duration::seconds(secs))
    }

    fn retry_after(result: AppResult<()>) -> Option<u64> {
        match result {
            Err(AppError::RateLimited { retry_after }) => Some(retry_after),
            _ => None,
        }
    }

    #[test]
    fn one_a_minute_and_five_an_hour() {
        let now = now();
        assert!(rate_verdict(&[], now).is_ok());
        assert_eq!(retry_after(rate_verdict(&[ago(now, 20)], now)), Some(40));
        assert!(rate_verdict(&[ago(now, 61)], now).is_ok());
        let four: Vec<_> = [100, 200, 300, 400].map(|s| ago(now, s)).to_vec();
        assert!(rate_verdict(&four, now).is_ok());
        let five: Vec<_> = [100, 200, 300, 400, 3000].map(|s| ago(now, s)).to_vec();
        assert_eq!(retry_after(rate_verdict(&five, now)), Some(600));
    }
}
