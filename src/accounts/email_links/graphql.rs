//! The email part of the accounts schema: verification, changing the login
//! address, and password recovery.

use async_graphql::{Context, Object};

use crate::accounts::email_links::recovery;
use crate::accounts::email_links::verification;
use crate::auth::RoleGuard;
use crate::graphql::context::{actor, state, write};

/// Mutations on email addresses and forgotten passwords.
#[derive(Default)]
pub struct AccountEmailMutation;

#[Object]
impl AccountEmailMutation {
    /// Use the token of a link mailed by sign-up, `resendVerificationEmail` or `changeEmail` (the `token` query parameter of `{PUBLIC_URL}/verify-email?token=…`). Needs no sign-in. A sign-up link marks the email verified; an email-change link makes the new address the login (and the old address is told). Errors: `BAD_USER_INPUT` (field `token`: unknown, used, expired, or no longer the account's address), `CONFLICT` (field `token`: the new address was taken meanwhile).
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the link.")] token: String,
    ) -> async_graphql::Result<bool> {
        write(ctx, async |tx| verification::verify_email(tx, &token).await).await?;
        Ok(true)
    }

    /// Mail yourself a new verification link (earlier links stay valid until used or expired). Errors: `INVALID_STATE` (already verified), `RATE_LIMITED` (one a minute, five an hour; `retryAfter` in seconds).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn resend_verification_email(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        write(ctx, verification::resend).await?;
        Ok(true)
    }

    /// Ask to sign in with another address: a link goes to `newEmail`, and your login changes only once it is used (`verifyEmail`); your old address is then told of the change. Errors: `BAD_USER_INPUT` (field `currentPassword`, or `newEmail`: malformed or your address already), `CONFLICT` (field `newEmail`), `RATE_LIMITED` (one link a minute, five an hour; wrong passwords count as failed sign-ins).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn change_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password now.")] current_password: String,
        #[graphql(desc = "The address to sign in with from now on.")] new_email: String,
    ) -> async_graphql::Result<bool> {
        verification::change_email(state(ctx)?, actor(ctx), current_password, &new_email).await?;
        Ok(true)
    }

    /// Forgot your password? If `email` belongs to an account, a reset link (`{PUBLIC_URL}/reset-password?token=…`, valid one hour) is mailed to it. Always `true`, at once, whether or not the account exists. Errors: `BAD_USER_INPUT` (field `email`) only for a malformed address.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email.")] email: String,
    ) -> async_graphql::Result<bool> {
        write(ctx, async |tx| recovery::request_reset(tx, &email).await).await?;
        Ok(true)
    }

    /// Choose a new password with the token of a reset link. Every session of the account ends; sign in again with the new password. Errors: `BAD_USER_INPUT` (field `newPassword`: 8 to 128 characters; field `token`: unknown, used or expired).
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token from the link.")] token: String,
        #[graphql(desc = "The new password, 8 to 128 characters.")] new_password: String,
    ) -> async_graphql::Result<bool> {
        recovery::reset_password(state(ctx)?, actor(ctx), &token, new_password).await?;
        Ok(true)
    }
}
