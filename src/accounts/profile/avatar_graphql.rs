//! The avatar part of the accounts schema: `uploadAvatar`, `removeAvatar`
//! and the loader behind `User.avatarUrl`.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, Object};

use crate::accounts::profile::avatar;
use crate::accounts::users::graphql::User;
use crate::auth::RoleGuard;
use crate::db::Pool;
use crate::db::UserId;
use crate::error::{AppError, SharedError};
use crate::graphql::context::{actor, state, upload, write};
use crate::graphql::loader;
use crate::graphql::scalars::Upload;

/// The avatar object key of each user; every key is answered (`None`: no avatar), so the request's cache remembers users without one too.
pub struct AvatarLoader(pub Pool);

impl Loader<UserId> for AvatarLoader {
    type Value = Option<String>;
    type Error = SharedError;

    async fn load(&self, keys: &[UserId]) -> Result<HashMap<UserId, Option<String>>, Self::Error> {
        let mut conn = self.0.get().await.map_err(AppError::from)?;
        let mut avatars: HashMap<UserId, Option<String>> = keys.iter().map(|k| (*k, None)).collect();
        for (user, key) in avatar::keys_of(&mut conn, keys).await? {
            avatars.insert(user, Some(key));
        }
        Ok(avatars)
    }
}

/// `User.avatarUrl`: the absolute URL of the user's avatar, if any.
pub async fn avatar_url(ctx: &Context<'_>, user: UserId) -> async_graphql::Result<Option<String>> {
    let key = loader::<AvatarLoader>(ctx)?.load_one(user).await?.flatten();
    let files_url = &state(ctx)?.config.files_url;
    Ok(key.map(|key| crate::storage::public_url(files_url, &key)))
}

/// Mutations on the signed-in user's avatar.
#[derive(Default)]
pub struct AvatarMutation;

#[Object]
impl AvatarMutation {
    /// Set your avatar from an image sent as a multipart request (the GraphQL multipart request spec, with the header `Apollo-Require-Preflight: true` or `X-Requested-With`). PNG, JPEG and WebP are accepted, told apart by their content, up to `MAX_AVATAR_BYTES` (5 MiB by default); the centre square becomes a new 256×256 image (JPEG, or PNG when it has transparency) at a new `avatarUrl`, and the previous one is deleted. Errors: `PAYLOAD_TOO_LARGE` (field `file`), `BAD_USER_INPUT` (field `file`: not a PNG, JPEG or WebP image, or larger than 8000×8000 pixels).
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn upload_avatar(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The image: a file part of the multipart request.")] file: Upload,
    ) -> async_graphql::Result<User> {
        let file = upload(ctx, &file)?;
        let (user, key) = avatar::upload(state(ctx)?, actor(ctx), file).await?;
        let loader = loader::<AvatarLoader>(ctx)?;
        loader.feed_one(user.id, Some(key)).await;
        Ok(User::from(user))
    }

    /// Remove your avatar (its image is deleted); `avatarUrl` becomes `null`. Removing when there is none is fine.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn remove_avatar(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        let user = write(ctx, async |tx| avatar::remove(tx).await).await?;
        let loader = loader::<AvatarLoader>(ctx)?;
        loader.feed_one(user.id, None).await;
        Ok(User::from(user))
    }
}
