//! The authorization policy as one table: every entity × viewer × action,
//! with the answer each area's `policy` module must give. (Who may *see*
//! each entity is checked through the API for every type and viewer, in
//! `tests/api/node.rs`.)

use crate::accounts::users::model::UserRow;
use crate::accounts::users::policy as users;
use crate::auth::{Role, Viewer};
use crate::contracts::model::{ContractRow, ContractStatus};
use crate::contracts::policy::{self as contracts, ContractAction};
use crate::db::types::Timestamp;
use crate::db::{ContractId, PortfolioItemId, ProjectId, ProposalId, SessionId, UserId, now};
use crate::error::AppResult;
use crate::portfolio::model::PortfolioItemRow;
use crate::portfolio::policy::{self as portfolio, PortfolioAction};
use crate::projects::model::{BudgetType, Category, ExperienceLevel, ProjectRow, ProjectStatus};
use crate::projects::policy::{self as projects, ProjectAction};
use crate::proposals::model::{Availability, ProposalRow, ProposalStatus};
use crate::proposals::policy::{self as proposals, ProposalAction};

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

/// The cast: a client who posted a project and hired a freelancer on it,
/// and everyone else.
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

#[test]
fn every_entity_viewer_and_action() {
    let c = cast();
    let project = project(c.client);
    let proposal = proposal(project.id, c.freelancer);
    let contract = contract(c.client, c.freelancer);
    let item = portfolio_item(c.freelancer);
    type Ask<'a> = Box<dyn Fn(Option<Viewer>) -> Answer + 'a>;
    //                                             anon    client   freel.   o.client o.freel. admin   s.admin
    let table: Vec<(&str, Ask<'_>, [Answer; 7])> = vec![
        (
            "project: post",
            Box::new(|v| answer(projects::may_post(v))),
            [SignIn, Yes, No, Yes, No, No, No],
        ),
        (
            "project: edit",
            Box::new(|v| answer(projects::may(v, ProjectAction::Edit, &project))),
            [SignIn, Yes, No, No, No, No, No],
        ),
        (
            "project: cancel",
            Box::new(|v| answer(projects::may(v, ProjectAction::Cancel, &project))),
            [SignIn, Yes, No, No, No, No, No],
        ),
        (
            "project: delete",
            Box::new(|v| answer(projects::may(v, ProjectAction::Delete, &project))),
            [SignIn, Yes, No, No, No, No, No],
        ),
        (
            "project: bid",
            Box::new(|v| answer(projects::may(v, ProjectAction::Bid, &project))),
            [SignIn, No, Yes, No, Yes, No, No],
        ),
        (
            "proposal: edit",
            Box::new(|v| answer(proposals::may(v, ProposalAction::Edit, &proposal, c.client))),
            [SignIn, No, Yes, No, No, No, No],
        ),
        (
            "proposal: withdraw",
            Box::new(|v| answer(proposals::may(v, ProposalAction::Withdraw, &proposal, c.client))),
            [SignIn, No, Yes, No, No, No, No],
        ),
        (
            "proposal: accept",
            Box::new(|v| answer(proposals::may(v, ProposalAction::Accept, &proposal, c.client))),
            [SignIn, Yes, No, No, No, No, No],
        ),
        (
            "proposal: reject",
            Box::new(|v| answer(proposals::may(v, ProposalAction::Reject, &proposal, c.client))),
            [SignIn, Yes, No, No, No, No, No],
        ),
        (
            "contract: complete",
            Box::new(|v| answer(contracts::may(v, ContractAction::Complete, &contract))),
            [SignIn, Yes, No, No, No, No, No],
        ),
        (
            "contract: cancel",
            Box::new(|v| answer(contracts::may(v, ContractAction::Cancel, &contract))),
            [SignIn, Yes, Yes, No, No, No, No],
        ),
        (
            "contract: review",
            Box::new(|v| answer(contracts::may(v, ContractAction::Review, &contract))),
            [SignIn, Yes, Yes, No, No, No, No],
        ),
        (
            "portfolio: add",
            Box::new(|v| answer(portfolio::may_add(v))),
            [SignIn, No, Yes, No, Yes, No, No],
        ),
        (
            "portfolio item: edit",
            Box::new(|v| answer(portfolio::may(v, PortfolioAction::Edit, &item))),
            [SignIn, Hidden, Yes, Hidden, Hidden, Hidden, Hidden],
        ),
        (
            "portfolio item: delete",
            Box::new(|v| answer(portfolio::may(v, PortfolioAction::Delete, &item))),
            [SignIn, Hidden, Yes, Hidden, Hidden, Hidden, Hidden],
        ),
        (
            "user: see private fields",
            Box::new(|v| {
                if users::may_see_private(v, &user(c.freelancer)) {
                    Yes
                } else {
                    No
                }
            }),
            [No, No, Yes, No, No, Yes, Yes],
        ),
    ];
    let mut wrong = Vec::new();
    for (action, ask, expected) in &table {
        for (i, viewer) in c.viewers.iter().enumerate() {
            let got = ask(*viewer);
            if got != expected[i] {
                wrong.push(format!(
                    "{action} by {}: {got:?}, not {:?}",
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
