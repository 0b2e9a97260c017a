//! Operations compose in one transaction: when a later one fails, the
//! earlier ones roll back with it, and none of their after-commit effects run.

use agora::auth::{Role, Viewer};
use agora::db::UserId;
use agora::events::Event;
use agora::money::{Currency, Money};
use agora::projects::model::{BudgetType, Category, ExperienceLevel};
use agora::projects::ops::{self as projects, NewProjectCommand};
use agora::sessions::ops as sessions;
use agora::tx::Actor;
use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use serde_json::json;

use crate::common::{Account, TestApp};

const MINE: &str = "{ projects(filter: { mine: true }) { totalCount } }";

fn viewer_of(app: &TestApp, account: &Account, role: Role) -> Viewer {
    let claims = app.state.keys.verify_access(&account.access).unwrap();
    Viewer {
        user_id: claims.user_id,
        session_id: claims.session_id,
        role,
    }
}

fn project(title: &str) -> NewProjectCommand {
    NewProjectCommand {
        title: title.into(),
        description: "Composed in one transaction.".into(),
        category: Category::Writing,
        skills: vec!["copy".into()],
        budget_type: BudgetType::Fixed,
        budget_min: Money::new(10_000, Currency::EUR),
        budget_max: Money::new(20_000, Currency::EUR),
        experience_level: ExperienceLevel::Entry,
        deadline: Utc::now() + TimeDelta::days(30),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_second_operation_rolls_back_the_first_and_its_effects() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let viewer = viewer_of(&app, &ann, Role::Client);
    let mut events = app.state.events.subscribe().boxed();

    // Posting a project, ending every session (an effect: tell subscribers),
    // then posting a project with an invalid title.
    let outcome = app
        .state
        .write(Actor::user(viewer), async |tx| {
            projects::create(tx, project("First of two")).await?;
            sessions::logout(tx, true).await?;
            projects::create(tx, project("   ")).await
        })
        .await;
    let err = outcome.expect_err("the second post is refused");
    assert_eq!(err.code(), "BAD_USER_INPUT");

    // Nothing of the first post or of the logout was committed...
    let mine = app.gql(MINE, json!({}), Some(&ann.access)).await;
    assert_eq!(mine.data()["projects"]["totalCount"], 0);
    // ...and its effect did not run: the next event a subscriber sees is
    // the one published now, not a SessionEnded for Ann's session.
    let marker = Event::SessionEnded {
        session_id: agora::db::SessionId::new(),
    };
    app.state.events.publish(marker.clone());
    assert_eq!(events.next().await, Some(marker));

    // The same composition without the failure commits both, then runs the effect.
    app.state
        .write(Actor::user(viewer), async |tx| {
            projects::create(tx, project("First of two")).await?;
            sessions::logout(tx, true).await
        })
        .await
        .unwrap();
    assert_eq!(
        events.next().await,
        Some(Event::SessionEnded {
            session_id: viewer.session_id
        })
    );
    let me = app.gql("{ me { id } }", json!({}), Some(&ann.access)).await;
    assert_eq!(me.code(), "UNAUTHENTICATED");
    let other = app.login("ann@example.com").await;
    let mine = app.gql(MINE, json!({}), Some(&other.access)).await;
    assert_eq!(mine.data()["projects"]["totalCount"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_refuse_an_actor_who_is_not_signed_in() {
    let app = TestApp::new().await;
    let anonymous = app
        .state
        .write(Actor::default(), async |tx| {
            projects::create(tx, project("Nobody's")).await
        })
        .await;
    assert_eq!(anonymous.err().map(|e| e.code()), Some("UNAUTHENTICATED"));
    let nobody = Viewer {
        user_id: UserId::new(),
        session_id: agora::db::SessionId::new(),
        role: Role::Freelancer,
    };
    let freelancer = app
        .state
        .write(Actor::user(nobody), async |tx| {
            projects::create(tx, project("Not a client's")).await
        })
        .await;
    assert_eq!(freelancer.err().map(|e| e.code()), Some("FORBIDDEN"));
}
