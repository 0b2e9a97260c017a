//! Prefetching for pages: what a page's items will ask for is loaded up
//! front, one statement per relation, into the request's DataLoader caches.
//! Batching by timer alone splits a large page into several batches
//! (resolving 100 items can outlast the loader's 1 ms window), so the
//! statement count would grow with the page size. Each area's
//! `prefetch_graphql.rs` walks its own relations with these.

use async_graphql::dataloader::Loader;
use async_graphql::{Context, SelectionField};
use futures_util::try_join;

use crate::accounts::profile::avatar_graphql::AvatarLoader;
use crate::accounts::users::loader::UserLoader;
use crate::db::{TypedId, UserId};
use crate::error::SharedError;
use crate::graphql::{RequestScoped, loader};
use crate::professionals::loader::ProfileLoader;
use crate::reviews::graphql::RatingLoader;

/// What a prefetch answers.
pub type Prefetched = async_graphql::Result<()>;

/// The child selection `name` of `field`, if selected.
pub fn child<'a>(field: &SelectionField<'a>, name: &str) -> Option<SelectionField<'a>> {
    field.selection_set().find(|f| f.name() == name)
}

/// The users `ids`, and what the `User` selection `user` asks of them beyond their row (rating, avatar, professional profile).
pub async fn users(ctx: &Context<'_>, user: &SelectionField<'_>, ids: &[UserId]) -> Prefetched {
    try_join!(
        load::<UserLoader, _>(ctx, true, ids),
        load::<RatingLoader, _>(ctx, child(user, "rating").is_some(), ids),
        load::<AvatarLoader, _>(ctx, child(user, "avatarUrl").is_some(), ids),
        load::<ProfileLoader, _>(ctx, child(user, "professionalProfile").is_some(), ids),
    )?;
    Ok(())
}

/// Load `ids` into the request's `L` loader when `wanted`.
pub async fn load<L, K>(ctx: &Context<'_>, wanted: bool, ids: &[K]) -> Prefetched
where
    K: TypedId,
    L: Loader<K, Error = SharedError> + RequestScoped,
{
    if wanted && !ids.is_empty() {
        loader::<L>(ctx)?.load_many(ids.iter().copied()).await?;
    }
    Ok(())
}
