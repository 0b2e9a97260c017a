//! The GraphQL schema: per-area roots merged into one, with limits on.

pub mod checks;
pub mod context;
mod input_text;
pub mod jobs;
pub mod limits;
mod loaders;
pub mod node;
pub mod pagination;
pub mod prefetch;
pub mod scalars;

use async_graphql::{Data, MergedObject, MergedSubscription, SDLExportOptions, Schema};

use crate::accounts::captcha::graphql::CaptchaQuery;
use crate::accounts::email_links::graphql::AccountEmailMutation;
use crate::accounts::lifecycle::graphql::AccountLifecycleMutation;
use crate::accounts::profile::avatar_graphql::AvatarMutation;
use crate::accounts::profile::graphql::ProfileMutation;
use crate::accounts::users::graphql::{AccountsMutation, AccountsQuery};
use crate::auth::ClientInfo;
use crate::auth::Viewer;
use crate::billing::graphql::{BillingMutation, BillingQuery};
use crate::catalogue::graphql::{CatalogueMutation, CatalogueQuery};
use crate::contracts::graphql::{ContractsMutation, ContractsQuery};
use crate::portfolio::graphql::{PortfolioMutation, PortfolioQuery};
use crate::professionals::documents_graphql::DocumentsMutation;
use crate::professionals::graphql::{ProfessionalsMutation, ProfessionalsQuery};
use crate::projects::graphql::{ProjectsMutation, ProjectsQuery};
use crate::proposals::graphql::{ProposalsMutation, ProposalsQuery};
use crate::service_requests::graphql::{ServiceRequestsMutation, ServiceRequestsQuery};
use crate::sessions::graphql::{SessionsMutation, SessionsQuery, SessionsSubscription};
use crate::state::AppState;
use jobs::{JobsMutation, JobsQuery};
pub use loaders::{Loaders, RequestLoader, RequestScoped, loader};

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    AccountsQuery,
    CaptchaQuery,
    SessionsQuery,
    ProjectsQuery,
    ProposalsQuery,
    ContractsQuery,
    PortfolioQuery,
    CatalogueQuery,
    ProfessionalsQuery,
    ServiceRequestsQuery,
    BillingQuery,
    node::NodeQuery,
    JobsQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    AccountsMutation,
    AccountLifecycleMutation,
    ProfileMutation,
    AccountEmailMutation,
    AvatarMutation,
    SessionsMutation,
    ProjectsMutation,
    ProposalsMutation,
    ContractsMutation,
    PortfolioMutation,
    CatalogueMutation,
    ProfessionalsMutation,
    DocumentsMutation,
    ServiceRequestsMutation,
    BillingMutation,
    JobsMutation,
);

/// Every subscription.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(SessionsSubscription);

/// The executable schema.
pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Build the schema over `state`, with the configured limits. Production turns off introspection and field suggestions.
pub fn build_schema(state: AppState) -> AppSchema {
    let limits = state.config.limits;
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .limit_recursive_depth(limits.max_depth.max(32))
    .limit_directives(8)
    .extension(checks::Checks {
        document: (&limits).into(),
        max_response_values: limits.max_response_values,
    });
    if state.config.is_production() {
        builder = builder.disable_introspection().disable_suggestions();
    }
    if crate::telemetry::enabled() {
        builder = builder.extension(crate::telemetry::graphql::Operations);
    }
    builder.data(state).finish()
}

/// The schema without any state, for printing the SDL.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .finish()
    .sdl_with_options(
        SDLExportOptions::new()
            .include_specified_by()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// Who a WebSocket connection speaks for, kept in the connection's data: each operation on it gets fresh request data (loaders included) from this, as an HTTP request does (`checks`), so no cache outlives its operation.
#[derive(Clone)]
pub struct Connection {
    /// The signed-in user, if any.
    pub viewer: Option<Viewer>,
    /// Where the connection comes from.
    pub client: ClientInfo,
}

/// Per-request data: who is asking, from where, and the request's own DataLoaders ([`Loaders`]).
pub fn install_request_data(data: &mut Data, state: &AppState, viewer: Option<Viewer>, client: ClientInfo) {
    data.insert(viewer);
    data.insert(client);
    data.insert(Loaders::new(state.pool.clone(), viewer));
}
