//! The authorization policy as one table: every entity × viewer × action,
//! with the answer each area's `policy` module must give. (Who may *see*
//! each entity is checked through the API for every type and viewer, in
//! `tests/api/node.rs`.)

use crate::accounts::users::model::UserRow;
use crate::accounts::users::policy as users;
use crate::auth::{Role, Viewer};
use crate::billing::model::{BillRow, BillStatus};
use crate::billing::policy::{self as billing, BillAction};
use crate::catalogue::policy as catalogue;
use crate::contracts::model::{ContractRow, ContractStatus};
use crate::contracts::policy::{self as contracts, ContractAction};
use crate::db::types::Timestamp;
use crate::db::{
    BillId, ContractId, PortfolioItemId, ProjectId, ProposalId, ServiceId, ServiceRequestId, SessionId,
    UserId, now,
};
use crate::error::AppResult;
use crate::portfolio::model::PortfolioItemRow;
use crate::portfolio::policy::{self as portfolio, PortfolioAction};
use crate::professionals::policy as professionals;
use crate::projects::model::{BudgetType, Category, ExperienceLevel, ProjectRow, ProjectStatus};
use crate::projects::policy::{self as projects, ProjectAction};
use crate::proposals::model::{Availability, ProposalRow, ProposalStatus};
use crate::proposals::policy::{self as proposals, ProposalAction};
use crate::service_requests::model::{ServiceRequestRow, ServiceRequestStatus};
use crate::service_requests::policy::{self as service_requests, ServiceRequestAction};

/// The viewers every action is asked for, in the table's column order.
const VIEWERS: [&str; 7] = [
    "anonymous",
    "owner client",
    "owner freelancer",
    "other client",
    "other freelancer",
    "admin",
    "super admin",
];

/// What the policy answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Allowed.
    Yes,
    /// `UNAUTHENTICATED`.
    SignIn,
    /// `FORBIDDEN`.
    No,
    /// `NOT_FOUND`: the object is answered as absent.
    Hidden,
}
use Answer::*;

fn answer(result: AppResult<Viewer>) -> Answer {
    match result {
        Ok(_) => Yes,
        Err(e) => match e.code() {
            "UNAUTHENTICATED" => SignIn,
            "FORBIDDEN" => No,
            "NOT_FOUND" => Hidden,
            other => panic!("unexpected {other}"),
        },
    }
}

/// The cast: a client who posted a project and hired a freelancer on it, and everyone else.
struct Cast {
    viewers: [Option<Viewer>; 7],
    client: UserId,
    freelancer: UserId,
}

fn cast() -> Cast {
    let person = |role| Viewer {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        role,
    };
    let client = person(Role::Client);
    let freelancer = person(Role::Freelancer);
    Cast {
        client: client.user_id,
        freelancer: freelancer.user_id,
        viewers: [
            None,
            Some(client),
            Some(freelancer),
            Some(person(Role::Client)),
            Some(person(Role::Freelancer)),
            Some(person(Role::Admin)),
            Some(person(Role::SuperAdmin)),
        ],
    }
}

fn project(client: UserId) -> ProjectRow {
    let at: Timestamp = now();
    ProjectRow {
        id: ProjectId::new(),
        client_id: client,
        title: "A project".into(),
        description: "Work".into(),
        category: Category::Writing,
        budget_type: BudgetType::Fixed,
        budget_min_minor: 100,
        budget_max_minor: 200,
        currency: "EUR".into(),
        experience_level: ExperienceLevel::Entry,
        deadline: at,
        status: ProjectStatus::Open,
        created_at: at,
        updated_at: at,
    }
}

fn proposal(project: ProjectId, freelancer: UserId) -> ProposalRow {
    let at = now();
    ProposalRow {
        id: ProposalId::new(),
        project_id: project,
        freelancer_id: freelancer,
        cover_letter: "Hire me".into(),
        bid_minor: 150,
        currency: "EUR".into(),
        estimated_hours: None,
        availability: Availability::Immediate,
        status: ProposalStatus::Submitted,
        created_at: at,
        updated_at: at,
    }
}

fn contract(client: UserId, freelancer: UserId) -> ContractRow {
    ContractRow {
        id: ContractId::new(),
        project_id: ProjectId::new(),
        proposal_id: ProposalId::new(),
        client_id: client,
        freelancer_id: freelancer,
        amount_minor: 150,
        currency: "EUR".into(),
        contract_type: BudgetType::Fixed,
        status: ContractStatus::Active,
        terms: "As proposed".into(),
        started_at: now(),
        completed_at: None,
        cancelled_at: None,
        cancellation_reason: None,
    }
}

fn portfolio_item(freelancer: UserId) -> PortfolioItemRow {
    let at = now();
    PortfolioItemRow {
        id: PortfolioItemId::new(),
        freelancer_id: freelancer,
        title: "Past work".into(),
        description: String::new(),
        url: None,
        skills: "[]".into(),
        completed_at: None,
        created_at: at,
        updated_at: at,
    }
}

fn user(id: UserId) -> UserRow {
    let at = now();
    UserRow {
        id,
        email: "fay@example.com".into(),
        password_hash: String::new(),
        name: "Fay".into(),
        role: Role::Freelancer,
        email_verified_at: None,
        blocked_at: None,
        created_at: at,
        updated_at: at,
        first_name: None,
        last_name: None,
        phone: None,
        bio: None,
        address: None,
        deactivated_at: None,
        deleted_at: None,
    }
}

fn service_request(client: UserId, professional: UserId) -> ServiceRequestRow {
    let at = now();
    ServiceRequestRow {
        id: ServiceRequestId::new(),
        service_id: ServiceId::new(),
        client_id: client,
        professional_id: Some(professional),
        status: ServiceRequestStatus::Assigned,
        description: "A tap drips".into(),
        postal_code: "10115".into(),
        city: "Berlin".into(),
        country: "DE".into(),
        address: None,
        contact_phone: None,
        preferred_start: None,
        preferred_end: None,
        created_at: at,
        updated_at: at,
        assigned_at: Some(at),
        started_at: None,
        completed_at: None,
        cancelled_at: None,
        cancellation_reason: None,
    }
}

/// The freelancer's issued bill to the client for their contract.
fn bill(client: UserId, freelancer: UserId) -> BillRow {
    let at = now();
    BillRow {
        id: BillId::new(),
        number: Some("AG-2026-000001".into()),
        status: BillStatus::Issued,
        payer_id: client,
        issuer_id: Some(freelancer),
        author_id: Some(freelancer),
        contract_id: Some(ContractId::new()),
        service_request_id: None,
        currency: "EUR".into(),
        subtotal_minor: 100,
        tax_rate_bp: 0,
        tax_minor: 0,
        total_minor: 100,
        due_at: at,
        issued_at: Some(at),
        paid_at: None,
        voided_at: None,
        void_reason: None,
        refunded_at: None,
        created_at: at,
        updated_at: at,
    }
}

/// The table: what is asked, and the answer for each viewer, in the order of [`VIEWERS`].
const TABLE: [(&str, [Answer; 7]); 32] = [
    ("project: post", [SignIn, Yes, No, Yes, No, No, No]),
    ("project: edit", [SignIn, Yes, No, No, No, No, No]),
    ("project: cancel", [SignIn, Yes, No, No, No, No, No]),
    ("project: delete", [SignIn, Yes, No, No, No, No, No]),
    ("project: bid", [SignIn, No, Yes, No, Yes, No, No]),
    ("proposal: edit", [SignIn, No, Yes, No, No, No, No]),
    ("proposal: withdraw", [SignIn, No, Yes, No, No, No, No]),
    ("proposal: accept", [SignIn, Yes, No, No, No, No, No]),
    ("proposal: reject", [SignIn, Yes, No, No, No, No, No]),
    ("contract: complete", [SignIn, Yes, No, No, No, No, No]),
    ("contract: cancel", [SignIn, Yes, Yes, No, No, No, No]),
    ("contract: review", [SignIn, Yes, Yes, No, No, No, No]),
    ("portfolio: add", [SignIn, No, Yes, No, Yes, No, No]),
    (
        "portfolio item: edit",
        [SignIn, Hidden, Yes, Hidden, Hidden, Hidden, Hidden],
    ),
    (
        "portfolio item: delete",
        [SignIn, Hidden, Yes, Hidden, Hidden, Hidden, Hidden],
    ),
    ("user: see private fields", [No, No, Yes, No, No, Yes, Yes]),
    ("jobs: operate", [SignIn, No, No, No, No, Yes, Yes]),
    (
        "service: add, change, deactivate",
        [SignIn, No, No, No, No, Yes, Yes],
    ),
    ("professional profile: keep", [SignIn, No, Yes, No, Yes, No, No]),
    (
        "professional: verify, reject, reset",
        [SignIn, No, No, No, No, Yes, Yes],
    ),
    ("professional: see documents", [No, No, Yes, No, No, Yes, Yes]),
    ("service request: make", [SignIn, Yes, No, Yes, No, No, No]),
    ("service request: assign", [SignIn, No, No, No, No, Yes, Yes]),
    ("service request: claim", [SignIn, No, Yes, No, Yes, No, No]),
    ("service request: start", [SignIn, No, Yes, No, No, No, No]),
    ("service request: complete", [SignIn, Yes, No, No, No, No, No]),
    ("service request: cancel", [SignIn, Yes, No, No, No, Yes, Yes]),
    ("service request: see address", [No, Yes, Yes, No, No, Yes, Yes]),
    ("bill: draft", [SignIn, No, Yes, No, Yes, Yes, Yes]),
    ("bill: change, issue, void", [SignIn, No, Yes, No, No, Yes, Yes]),
    ("bill: pay", [SignIn, Yes, No, No, No, No, No]),
    ("payment: settle, refund", [SignIn, No, No, No, No, Yes, Yes]),
];

/// The objects the table asks about: the client's project, the freelancer's proposal on it, the contract between them, the freelancer's portfolio item and account, and the client's service request the freelancer (a professional) took.
struct World {
    request: ServiceRequestRow,
    bill: BillRow,
    cast: Cast,
    project: ProjectRow,
    proposal: ProposalRow,
    contract: ContractRow,
    item: PortfolioItemRow,
    freelancer: UserRow,
}

/// Ask the policy `what` for `v`.
fn ask(w: &World, what: &str, v: Option<Viewer>) -> Answer {
    let client = w.cast.client;
    match what {
        "project: post" => answer(projects::may_post(v)),
        "project: edit" => answer(projects::may(v, ProjectAction::Edit, &w.project)),
        "project: cancel" => answer(projects::may(v, ProjectAction::Cancel, &w.project)),
        "project: delete" => answer(projects::may(v, ProjectAction::Delete, &w.project)),
        "project: bid" => answer(projects::may(v, ProjectAction::Bid, &w.project)),
        "proposal: edit" => answer(proposals::may(v, ProposalAction::Edit, &w.proposal, client)),
        "proposal: withdraw" => answer(proposals::may(v, ProposalAction::Withdraw, &w.proposal, client)),
        "proposal: accept" => answer(proposals::may(v, ProposalAction::Accept, &w.proposal, client)),
        "proposal: reject" => answer(proposals::may(v, ProposalAction::Reject, &w.proposal, client)),
        "contract: complete" => answer(contracts::may(v, ContractAction::Complete, &w.contract)),
        "contract: cancel" => answer(contracts::may(v, ContractAction::Cancel, &w.contract)),
        "contract: review" => answer(contracts::may(v, ContractAction::Review, &w.contract)),
        "portfolio: add" => answer(portfolio::may_add(v)),
        "portfolio item: edit" => answer(portfolio::may(v, PortfolioAction::Edit, &w.item)),
        "portfolio item: delete" => answer(portfolio::may(v, PortfolioAction::Delete, &w.item)),
        "user: see private fields" if users::may_see_private(v, &w.freelancer) => Yes,
        "user: see private fields" => No,
        "jobs: operate" => answer(crate::jobs::admin::may_operate(v)),
        "service: add, change, deactivate" => answer(catalogue::may_manage(v)),
        "professional profile: keep" => answer(professionals::may_keep_profile(v)),
        "professional: verify, reject, reset" => answer(professionals::may_decide(v)),
        "professional: see documents" if professionals::may_see_private(v, w.cast.freelancer) => Yes,
        "professional: see documents" => No,
        "service request: make" => answer(service_requests::may_request(v)),
        "service request: assign" => {
            answer(service_requests::may(v, ServiceRequestAction::Assign, &w.request))
        }
        "service request: claim" => answer(service_requests::may(v, ServiceRequestAction::Claim, &w.request)),
        "service request: start" => answer(service_requests::may(v, ServiceRequestAction::Start, &w.request)),
        "service request: complete" => answer(service_requests::may(
            v,
            ServiceRequestAction::Complete,
            &w.request,
        )),
        "service request: cancel" => {
            answer(service_requests::may(v, ServiceRequestAction::Cancel, &w.request))
        }
        "service request: see address" if service_requests::may_see_address(v, &w.request) => Yes,
        "service request: see address" => No,
        "bill: draft" => answer(billing::may_draft(v)),
        "bill: change, issue, void" => answer(billing::may(v, BillAction::Manage, &w.bill)),
        "bill: pay" => answer(billing::may(v, BillAction::Pay, &w.bill)),
        "payment: settle, refund" => answer(billing::may_administer(v)),
        other => panic!("no such question: {other}"),
    }
}

#[test]
fn every_entity_viewer_and_action() {
    let cast = cast();
    let project = project(cast.client);
    let w = World {
        request: service_request(cast.client, cast.freelancer),
        bill: bill(cast.client, cast.freelancer),
        proposal: proposal(project.id, cast.freelancer),
        contract: contract(cast.client, cast.freelancer),
        item: portfolio_item(cast.freelancer),
        freelancer: user(cast.freelancer),
        project,
        cast,
    };
    let mut wrong = Vec::new();
    for (what, expected) in TABLE {
        for (i, viewer) in w.cast.viewers.iter().enumerate() {
            let got = ask(&w, what, *viewer);
            if got != expected[i] {
                wrong.push(format!(
                    "{what} by {}: {got:?}, not {:?}",
                    VIEWERS[i], expected[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn nobody_sees_the_private_fields_of_a_deleted_account() {
    let c = cast();
    let mut deleted = user(c.freelancer);
    deleted.deleted_at = Some(now());
    assert!(c.viewers.iter().all(|v| !users::may_see_private(*v, &deleted)));
}
