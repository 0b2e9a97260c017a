//! The request's DataLoaders, each made the first time a resolver asks for
//! it: most requests use none or a few of them, and making all of them for
//! every request cost a tenth of a `{ __typename }` request.
//!
//! A loader lives as long as its request (one HTTP request, or one operation
//! on a WebSocket): its cache holds what this viewer may see, so sharing it
//! across requests would leak one viewer's data to another.

use std::any::{Any, TypeId};
use std::sync::{Arc, Mutex};

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};

use crate::accounts::profile::avatar_graphql::AvatarLoader;
use crate::accounts::users::loader::UserLoader;
use crate::auth::Viewer;
use crate::billing::loader::{BillLinesLoader, BillLoader, BillPaymentsLoader};
use crate::catalogue::loader::ServiceLoader;
use crate::contracts::loader::{ProjectContractsLoader, ProposalLoader, VisibleContractLoader};
use crate::db::Pool;
use crate::professionals::loader::{
    DocumentsLoader, OfferedServicesLoader, ProfileLoader, ServiceAreaLoader,
};
use crate::projects::loader::{ProjectLoader, SkillsLoader};
use crate::proposals::loader::{ProjectProposalsLoader, ProposalCountLoader};
use crate::reviews::graphql::RatingLoader;
use crate::service_requests::loader::{RequestReviewLoader, VisibleRequestLoader};

/// A DataLoader as resolvers find it: made for one request, caching what it loaded for the rest of that request (so a list can prefetch what its items will ask for).
pub type RequestLoader<T> = DataLoader<T, HashMapCache>;

/// A loader that can be made for a request.
pub trait RequestScoped: Send + Sync + Sized + 'static {
    /// The loader for a request by `viewer`.
    fn for_request(pool: &Pool, viewer: Option<Viewer>) -> Self;
}

/// The loaders of one request, in its data.
pub struct Loaders {
    pool: Pool,
    viewer: Option<Viewer>,
    made: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Loaders {
    /// No loader yet, for a request by `viewer`.
    pub fn new(pool: Pool, viewer: Option<Viewer>) -> Self {
        Loaders {
            pool,
            viewer,
            made: Mutex::new(Vec::new()),
        }
    }

    /// This request's `L`, made now if it is the first ask.
    pub fn get<L: RequestScoped>(&self) -> Arc<RequestLoader<L>> {
        let mut made = self.made.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let wanted = TypeId::of::<L>();
        let found = made
            .iter()
            .find(|(kind, _)| *kind == wanted)
            .and_then(|(_, loader)| loader.clone().downcast::<RequestLoader<L>>().ok());
        if let Some(loader) = found {
            return loader;
        }
        let loader = Arc::new(DataLoader::with_cache(
            L::for_request(&self.pool, self.viewer),
            tokio::spawn,
            HashMapCache::default(),
        ));
        made.push((wanted, loader.clone()));
        loader
    }
}

/// The request's `L` loader.
pub fn loader<L: RequestScoped>(ctx: &Context<'_>) -> async_graphql::Result<Arc<RequestLoader<L>>> {
    Ok(ctx.data::<Loaders>()?.get::<L>())
}

/// How each loader is made from the pool and the viewer.
macro_rules! request_scoped {
    ($($loader:ty => |$pool:ident, $viewer:ident| $make:expr;)*) => {
        $(impl RequestScoped for $loader {
            fn for_request($pool: &Pool, $viewer: Option<Viewer>) -> Self {
                $make
            }
        })*
    };
}

request_scoped! {
    UserLoader => |pool, _viewer| UserLoader(pool.clone());
    AvatarLoader => |pool, _viewer| AvatarLoader(pool.clone());
    ProjectLoader => |pool, _viewer| ProjectLoader(pool.clone());
    SkillsLoader => |pool, _viewer| SkillsLoader(pool.clone());
    ProposalCountLoader => |pool, _viewer| ProposalCountLoader(pool.clone());
    ProjectProposalsLoader => |pool, viewer| ProjectProposalsLoader {
        pool: pool.clone(),
        viewer: viewer.map(|v| v.user_id),
    };
    ProjectContractsLoader => |pool, _viewer| ProjectContractsLoader(pool.clone());
    ProposalLoader => |pool, _viewer| ProposalLoader(pool.clone());
    RatingLoader => |pool, _viewer| RatingLoader(pool.clone());
    ServiceLoader => |pool, _viewer| ServiceLoader(pool.clone());
    ProfileLoader => |pool, _viewer| ProfileLoader(pool.clone());
    OfferedServicesLoader => |pool, _viewer| OfferedServicesLoader(pool.clone());
    ServiceAreaLoader => |pool, _viewer| ServiceAreaLoader(pool.clone());
    DocumentsLoader => |pool, _viewer| DocumentsLoader(pool.clone());
    RequestReviewLoader => |pool, _viewer| RequestReviewLoader(pool.clone());
    BillLinesLoader => |pool, _viewer| BillLinesLoader(pool.clone());
    BillPaymentsLoader => |pool, _viewer| BillPaymentsLoader(pool.clone());
    BillLoader => |pool, _viewer| BillLoader(pool.clone());
    VisibleContractLoader => |pool, viewer| VisibleContractLoader { pool: pool.clone(), viewer };
    VisibleRequestLoader => |pool, viewer| VisibleRequestLoader { pool: pool.clone(), viewer };
}
