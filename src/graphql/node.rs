//! Relay global object identification: the `Node` interface, and `node(id)`
//! / `nodes(ids)` to fetch any object by its global id.
//!
//! Both answer by the rules of the direct reads: users to anyone (like
//! `user(id)`), projects by the projects' visibility (`project(id)`),
//! proposals to their freelancer, the project's client and admins (as
//! `proposals` and `Project.proposals` list them), contracts to their parties
//! and admins (`contract(id)`), sessions to their own user while live (as
//! `mySessions` lists them), reviews and portfolio items to anyone (they are
//! publicly listed), services as the catalogue shows them (active ones; all
//! to admins), service requests to their client, professional and admins,
//! bills as `bill(id)` shows them, payments as `payments` lists them. What the viewer may not see is `null`, like an unknown id.
//! The ids are grouped by type and each type is read in one statement, through
//! the same visibility macros as the direct reads (users through the
//! request's `UserLoader`, as `user(id)` does).

use std::collections::{HashMap, HashSet};

use async_graphql::{Context, ID, Interface, Object};
use uuid::Uuid;

use crate::accounts::users::graphql::User;
use crate::accounts::users::loader::UserLoader;
use crate::accounts::users::model::UserRow;
use crate::auth::{Viewer, viewer};
use crate::billing::graphql::{Bill, Payment};
use crate::billing::model::{BillRow, PaymentRow};
use crate::catalogue::graphql::Service;
use crate::catalogue::model::ServiceRow;
use crate::contracts::graphql::Contract;
use crate::contracts::model::ContractRow;
use crate::db::{
    BillId, ContractId, GlobalId, JobId, PaymentId, PortfolioItemId, ProjectId, ProposalId, ReviewId,
    ServiceId, ServiceRequestId, SessionId, TypedId, UserId,
};
use crate::error::AppError;
use crate::graphql::context::state;
use crate::graphql::jobs::Job;
use crate::graphql::loader;
use crate::jobs::JobRow;
use crate::portfolio::graphql::PortfolioItem;
use crate::portfolio::model::PortfolioItemRow;
use crate::projects::graphql::Project;
use crate::projects::model::ProjectRow;
use crate::proposals::graphql::Proposal;
use crate::proposals::model::ProposalRow;
use crate::reviews::ReviewRow;
use crate::reviews::graphql::Review;
use crate::service_requests::graphql::ServiceRequest;
use crate::service_requests::model::ServiceRequestRow;
use crate::sessions::graphql::Session;
use crate::sessions::model::SessionRow;

/// Most ids one `nodes` call takes.
pub const MAX_IDS: usize = 100;

/// An object with a global id. Ids are opaque global ids that carry their object's type: clients must not parse or build them, only pass back what the API gave them. `node(id)` fetches any of these objects by id; it answers `null` for anything the viewer may not see, exactly like an id that names nothing.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's global id: opaque, stable, and unique across every type."
))]
pub enum Node {
    /// A person with an account.
    User(User),
    /// A signed-in session.
    Session(Session),
    /// A project.
    Project(Project),
    /// A proposal.
    Proposal(Proposal),
    /// A contract.
    Contract(Contract),
    /// A review.
    Review(Review),
    /// A portfolio item.
    PortfolioItem(PortfolioItem),
    /// A background job (admins only).
    Job(Job),
    /// A catalogue service.
    Service(Service),
    /// A service request.
    ServiceRequest(ServiceRequest),
    /// A bill.
    Bill(Bill),
    /// A payment.
    Payment(Payment),
}

/// The complexity of `nodes`: its selection once per id (at most [`MAX_IDS`]; at least one, so an empty list still costs its selection), plus the field itself, like a page of a connection. Longer lists are counted as [`MAX_IDS`], so that the resolver refuses them with `BAD_USER_INPUT` rather than the complexity limit with a validation error.
pub fn cost(ids: usize, child_complexity: usize) -> usize {
    ids.clamp(1, MAX_IDS)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// A row found for an id, before it becomes a [`Node`] (rows can be cloned when one id is asked for twice; the object types cannot).
#[derive(Clone)]
enum Found {
    /// A user (anyone sees it).
    User(UserRow),
    /// One of the viewer's live sessions.
    Session(SessionRow, Viewer),
    /// A project the viewer may see.
    Project(ProjectRow),
    /// A proposal the viewer may see.
    Proposal(ProposalRow),
    /// A contract the viewer may see.
    Contract(ContractRow),
    /// A review (anyone sees it).
    Review(ReviewRow),
    /// A portfolio item (anyone sees it).
    PortfolioItem(PortfolioItemRow),
    /// A job (admins see them).
    Job(JobRow),
    /// A service (active ones to anyone, all to admins).
    Service(ServiceRow),
    /// A service request the viewer may see.
    ServiceRequest(ServiceRequestRow),
    /// A bill the viewer may see.
    Bill(BillRow),
    /// A payment the viewer may see.
    Payment(PaymentRow),
}

impl Found {
    /// The object of this row.
    fn into_node(self) -> Node {
        match self {
            Found::User(row) => Node::User(User::from(row)),
            Found::Session(row, viewer) => Node::Session(Session::seen_by(row, viewer)),
            Found::Project(row) => Node::Project(Project(row)),
            Found::Proposal(row) => Node::Proposal(Proposal(row)),
            Found::Contract(row) => Node::Contract(Contract(row)),
            Found::Review(row) => Node::Review(Review(row)),
            Found::PortfolioItem(row) => Node::PortfolioItem(PortfolioItem(row)),
            Found::Job(row) => Node::Job(Job(row)),
            Found::Service(row) => Node::Service(Service(row)),
            Found::ServiceRequest(row) => Node::ServiceRequest(ServiceRequest(row)),
            Found::Bill(row) => Node::Bill(Bill(row)),
            Found::Payment(row) => Node::Payment(Payment(row)),
        }
    }
}

/// What identifies a row across types: its type tag and its UUID.
type Key = (&'static str, Uuid);

/// The [`Key`] of a typed id.
fn key<T: TypedId>(id: T) -> Key {
    (T::PREFIX, id.uuid())
}

/// The distinct ids of type `T` among `ids`.
fn of_type<T: TypedId>(ids: &[GlobalId]) -> Vec<T> {
    let mut seen = HashSet::new();
    ids.iter()
        .filter_map(|g| g.as_id::<T>())
        .filter(|id| seen.insert(*id))
        .collect()
}

/// What the viewer may see of `ids`, in their order (`None` where nothing is visible): one statement per type asked for.
async fn fetch(ctx: &Context<'_>, ids: &[GlobalId]) -> async_graphql::Result<Vec<Option<Node>>> {
    let viewer = viewer(ctx);
    let mut found: HashMap<Key, Found> = HashMap::new();

    let users = of_type::<UserId>(ids);
    if !users.is_empty() {
        let rows = loader::<UserLoader>(ctx)?.load_many(users).await?;
        found.extend(rows.into_values().map(|row| (key(row.id), Found::User(row))));
    }

    let projects = of_type::<ProjectId>(ids);
    let reviews = of_type::<ReviewId>(ids);
    let items = of_type::<PortfolioItemId>(ids);
    let services = of_type::<ServiceId>(ids);
    // Sessions, proposals, contracts and service requests are never visible
    // to anonymous callers.
    let (sessions, proposals, contracts, requests) = match viewer {
        Some(_) => (
            of_type::<SessionId>(ids),
            of_type::<ProposalId>(ids),
            of_type::<ContractId>(ids),
            of_type::<ServiceRequestId>(ids),
        ),
        None => (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
    };
    let (bills, payments) = match viewer {
        Some(_) => (of_type::<BillId>(ids), of_type::<PaymentId>(ids)),
        None => (Vec::new(), Vec::new()),
    };
    // Jobs only to admins, as `job(id)` answers them.
    let jobs = match crate::jobs::admin::may_operate(viewer) {
        Ok(_) => of_type::<JobId>(ids),
        Err(_) => Vec::new(),
    };
    let needs_database = !(projects.is_empty()
        && reviews.is_empty()
        && items.is_empty()
        && sessions.is_empty()
        && proposals.is_empty()
        && contracts.is_empty()
        && services.is_empty()
        && requests.is_empty()
        && bills.is_empty()
        && payments.is_empty()
        && jobs.is_empty());
    if needs_database {
        let mut conn = state(ctx)?.pool.get().await.map_err(AppError::from)?;
        let conn = &mut conn;
        if !projects.is_empty() {
            let rows = crate::projects::queries::find_visible_many(conn, viewer, &projects).await?;
            found.extend(rows.into_iter().map(|r| (key(r.id), Found::Project(r))));
        }
        if !reviews.is_empty() {
            let rows = crate::reviews::queries::find_by_ids(conn, &reviews).await?;
            found.extend(rows.into_iter().map(|r| (key(r.id), Found::Review(r))));
        }
        if !items.is_empty() {
            let rows = crate::portfolio::queries::find_by_ids(conn, &items).await?;
            found.extend(rows.into_iter().map(|r| (key(r.id), Found::PortfolioItem(r))));
        }
        if !services.is_empty() {
            let rows = crate::catalogue::queries::find_visible_many(conn, viewer, &services).await?;
            found.extend(rows.into_iter().map(|r| (key(r.id), Found::Service(r))));
        }
        if !jobs.is_empty() {
            let rows = crate::jobs::admin::find_by_ids(conn, &jobs).await?;
            found.extend(rows.into_iter().map(|r| (key(r.id), Found::Job(r))));
        }
        if let Some(viewer) = viewer {
            if !sessions.is_empty() {
                let rows = crate::sessions::queries::find_live_many(conn, viewer.user_id, &sessions).await?;
                found.extend(rows.into_iter().map(|r| (key(r.id), Found::Session(r, viewer))));
            }
            if !proposals.is_empty() {
                let rows = crate::proposals::queries::find_visible_many(conn, viewer, &proposals).await?;
                found.extend(rows.into_iter().map(|r| (key(r.id), Found::Proposal(r))));
            }
            if !contracts.is_empty() {
                let rows = crate::contracts::queries::find_visible_many(conn, viewer, &contracts).await?;
                found.extend(rows.into_iter().map(|r| (key(r.id), Found::Contract(r))));
            }
            if !requests.is_empty() {
                let rows =
                    crate::service_requests::queries::find_visible_many(conn, viewer, &requests).await?;
                found.extend(rows.into_iter().map(|r| (key(r.id), Found::ServiceRequest(r))));
            }
            if !bills.is_empty() {
                let rows = crate::billing::queries::find_visible_many(conn, viewer, &bills).await?;
                found.extend(rows.into_iter().map(|r| (key(r.id), Found::Bill(r))));
            }
            if !payments.is_empty() {
                let rows = crate::billing::payments::find_visible_many(conn, viewer, &payments).await?;
                found.extend(rows.into_iter().map(|r| (key(r.id), Found::Payment(r))));
            }
        }
    }

    Ok(ids
        .iter()
        .map(|g| found.get(&(g.prefix, g.uuid)).cloned().map(Found::into_node))
        .collect())
}

/// `node` and `nodes`.
#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, if you may see it; `null`, without an error, when there is none or you may not see it (the same rules as `user`, `project`, `contract`, `proposals` and `mySessions`). Errors: `BAD_USER_INPUT` (field `id`) when `id` is not a global id.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as the API gave it.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        let id = GlobalId::parse(&id).ok_or_else(|| AppError::bad_input("id", "not an id"))?;
        Ok(fetch(ctx, &[id]).await?.pop().flatten())
    }

    /// The objects with these global ids, in the order given: each as `node` would answer it, `null` where there is none or you may not see it. Errors: `BAD_USER_INPUT` (field `ids`) for more than 100 ids or one that is not a global id.
    #[graphql(complexity = "crate::graphql::node::cost(ids.len(), child_complexity)")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, as the API gave them; at most 100.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_IDS {
            return Err(AppError::bad_input("ids", format!("at most {MAX_IDS} ids")).into());
        }
        let parsed = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                GlobalId::parse(id)
                    .ok_or_else(|| AppError::bad_input("ids", format!("ids[{i}] is not an id")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        fetch(ctx, &parsed).await
    }
}
