//! The account lifecycle in the schema: changing the password,
//! deactivating and deleting the account.

use async_graphql::{Context, Object};

use crate::accounts::lifecycle;
use crate::auth::RoleGuard;
use crate::graphql::context::{actor, state};

/// Mutations on the signed-in user's own account.
#[derive(Default)]
pub struct AccountLifecycleMutation;

#[Object]
impl AccountLifecycleMutation {
    /// Change your password. Your other sessions end; this one goes on. Errors: `BAD_USER_INPUT` (field `currentPassword`: not your password; field `newPassword`: 8 to 128 characters, different from the current one), `RATE_LIMITED` (wrong passwords count as failed sign-ins).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password now.")] current_password: String,
        #[graphql(desc = "The new password, 8 to 128 characters.")] new_password: String,
    ) -> async_graphql::Result<bool> {
        lifecycle::change_password(state(ctx)?, actor(ctx), current_password, new_password).await?;
        Ok(true)
    }

    /// Deactivate your account: every session ends, this one included. It is reversible: signing in again reactivates the account. While deactivated, your public profile stays visible as it was (contracts and reviews name you). Errors: `BAD_USER_INPUT` (field `password`), `RATE_LIMITED` (wrong passwords count as failed sign-ins).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn deactivate_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password, to confirm.")] password: String,
    ) -> async_graphql::Result<bool> {
        lifecycle::deactivate(state(ctx)?, actor(ctx), password).await?;
        Ok(true)
    }

    /// Delete your account, for good: every session ends; your email, names, phone, address, bio and portfolio are erased, and others see you as "Deleted user". Projects, proposals, contracts and reviews you took part in remain. The email may register a new account afterwards. Errors: `BAD_USER_INPUT` (field `password`), `RATE_LIMITED` (wrong passwords count as failed sign-ins).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn delete_account(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Your password, to confirm.")] password: String,
    ) -> async_graphql::Result<bool> {
        lifecycle::delete(state(ctx)?, actor(ctx), password).await?;
        Ok(true)
    }
}
