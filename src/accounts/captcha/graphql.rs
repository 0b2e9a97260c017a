//! The sign-up challenge in the schema: the `captcha` query.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::create;
use crate::error::AppError;
use crate::graphql::context::{global, state};
use crate::graphql::scalars::DateTime;

/// A challenge to answer when signing up.
#[derive(SimpleObject)]
pub struct Captcha {
    /// Pass it to `register` as `captchaId`.
    pub id: ID,
    /// The question; answer it in digits as `captchaAnswer`.
    pub question: String,
    /// After this, the challenge cannot be answered.
    pub expires_at: DateTime,
}

/// The captcha query.
#[derive(Default)]
pub struct CaptchaQuery;

#[Object]
impl CaptchaQuery {
    /// A new sign-up challenge, valid for ten minutes and for one answer. Needed by `register` when the server requires it (`SIGNUP_CAPTCHA`).
    async fn captcha(&self, ctx: &Context<'_>) -> async_graphql::Result<Captcha> {
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let challenge = create(&mut conn).await?;
        Ok(Captcha {
            id: global(challenge.id),
            question: challenge.question,
            expires_at: challenge.expires_at.0.into(),
        })
    }
}
