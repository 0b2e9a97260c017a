//! The sign-up challenge (`SIGNUP_CAPTCHA=true`): the server asks a small
//! sum in words ("What is seven plus twelve?"), keeps the answer for
//! [`TTL`], and `register` must bring the challenge's id and the answer in
//! digits. A challenge is used up by the first answer, right or wrong, so
//! each one allows a single guess.

pub mod graphql;

use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::db::schema::captchas;
use crate::db::types::Timestamp;
use crate::db::{CaptchaId, GlobalId};
use crate::db::{Conn, now};
use crate::error::{AppError, AppResult};
use crate::with_conn;

/// How long a challenge may be answered.
pub const TTL: Duration = Duration::from_secs(600);

/// The numbers questions are written with, zero to twenty.
pub const NUMBER_WORDS: [&str; 21] = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
];

/// A question and its answer from three random bytes.
fn question(random: [u8; 3]) -> (String, String) {
    let [op, x, y] = random.map(usize::from);
    let (small_a, small_b) = (x % 21, y % 21);
    let (word, a, b, answer) = match op % 3 {
        0 => ("plus", small_a, small_b, small_a + small_b),
        1 => {
            let (high, low) = (small_a.max(small_b), small_a.min(small_b));
            ("minus", high, low, high - low)
        }
        _ => {
            let (a, b) = (2 + x % 8, 2 + y % 8);
            ("times", a, b, a * b)
        }
    };
    (
        format!("What is {} {word} {}?", NUMBER_WORDS[a], NUMBER_WORDS[b]),
        answer.to_string(),
    )
}

/// A stored challenge.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// Its id.
    pub id: CaptchaId,
    /// The question.
    pub question: String,
    /// When it stops being answerable.
    pub expires_at: Timestamp,
}

/// Store a new challenge (and drop expired ones).
pub async fn create(conn: &mut Conn) -> AppResult<Challenge> {
    let mut random = [0u8; 3];
    getrandom::fill(&mut random).map_err(AppError::internal)?;
    let (question, answer) = question(random);
    let now = now();
    let (id, expires_at) = (CaptchaId::new(), now.plus(TTL));
    with_conn!(conn, |c| {
        diesel::insert_into(captchas::table)
            .values((
                captchas::id.eq(id),
                captchas::answer.eq(&answer),
                captchas::expires_at.eq(expires_at),
            ))
            .execute(c)
            .await
    })?;
    Ok(Challenge {
        id,
        question,
        expires_at,
    })
}

/// Use up challenge `id` with `answer`. Errors: `BAD_USER_INPUT` on `captchaId` (missing, unknown, expired or used) or `captchaAnswer` (missing or wrong).
pub async fn answer(conn: &mut Conn, id: Option<&str>, answer: Option<&str>) -> AppResult<()> {
    let id = id.ok_or_else(|| AppError::bad_input("captchaId", "answer a captcha to sign up"))?;
    let answer = answer
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| AppError::bad_input("captchaAnswer", "answer the captcha"))?;
    let unknown = || AppError::bad_input("captchaId", "this captcha expired or was used: ask for a new one");
    let id = GlobalId::parse(id)
        .ok_or_else(unknown)?
        .as_id::<CaptchaId>()
        .ok_or_else(unknown)?;
    let now = now();
    let expected: Option<String> = with_conn!(conn, |c| {
        diesel::delete(
            captchas::table
                .filter(captchas::id.eq(id))
                .filter(captchas::expires_at.gt(now)),
        )
        .returning(captchas::answer)
        .get_result(c)
        .await
        .optional()
    })?;
    match expected {
        None => Err(unknown()),
        Some(expected) if expected == answer => Ok(()),
        Some(_) => Err(AppError::bad_input(
            "captchaAnswer",
            "that is not the answer: ask for a new captcha",
        )),
    }
}

/// Delete the challenges past their time (retention; an expired challenge cannot be answered anyway).
pub async fn prune_expired(conn: &mut Conn) -> AppResult<usize> {
    let now = now();
    Ok(with_conn!(conn, |c| {
        diesel::delete(captchas::table.filter(captchas::expires_at.le(now)))
            .execute(c)
            .await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_question_has_its_answer() {
        let cases = [
            ([0, 7, 12], "What is seven plus twelve?", "19"),
            ([1, 3, 15], "What is fifteen minus three?", "12"),
            ([2, 1, 4], "What is three times six?", "18"),
        ];
        for (random, q, a) in cases {
            assert_eq!(question(random), (q.to_owned(), a.to_owned()));
        }
        for op in 0..3u8 {
            for x in 0..=255u8 {
                let (q, a) = question([op, x, x.wrapping_mul(7)]);
                assert!(q.starts_with("What is ") && a.parse::<u32>().is_ok(), "{q} {a}");
            }
        }
    }
}
