//! `agora seed-demo` (`agora::cli::seed::run`): the demo data obeys the API's
//! rules and shows through it, and a database with users is refused.

use agora::cli::seed::{self, DEFAULT_PASSWORD, EMAIL_DOMAIN, SeedError, SeedOptions};
use serde_json::{Value, json};

use crate::common::TestApp;

const OPEN_PAGE: &str = "{ projects(first: 100) { totalCount edges { node { status budgetMax { amount currency } \
                          client { name } proposalCount } } } }";

/// Sign in as a demo account; its access token.
async fn login(app: &TestApp, email: &str) -> String {
    let reply = app
        .gql(
            "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
            json!({ "input": { "email": email, "password": DEFAULT_PASSWORD } }),
            None,
        )
        .await;
    reply.data()["login"]["accessToken"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_demo_data_shows_through_the_api() {
    let app = TestApp::new().await;
    let summary = seed::run(
        &app.state,
        SeedOptions {
            projects: 30,
            ..SeedOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (summary.clients, summary.freelancers, summary.projects),
        (10, 30, 30)
    );
    assert!(
        summary.proposals > 0 && summary.portfolio_items > 0,
        "{summary:?}"
    );
    assert!(summary.completed_contracts > 0, "{summary:?}");
    assert_eq!(summary.reviews, 2 * summary.completed_contracts);
    assert!(summary.open_projects > 0 && summary.open_projects < summary.projects);

    // Anonymous: exactly the open projects, each with its client and count.
    let page = app.gql(OPEN_PAGE, json!({}), None).await;
    let projects = &page.data()["projects"];
    let edges = projects["edges"].as_array().unwrap();
    assert_eq!(projects["totalCount"], json!(summary.open_projects));
    assert_eq!(edges.len(), summary.open_projects);
    for edge in edges {
        let node = &edge["node"];
        assert_eq!(node["status"], "OPEN");
        assert!(matches!(
            node["budgetMax"]["currency"].as_str(),
            Some("EUR" | "USD")
        ));
        assert!(!node["client"]["name"].as_str().unwrap().is_empty());
        assert!((0..=6).contains(&node["proposalCount"].as_i64().unwrap()));
    }
    let bids: i64 = edges
        .iter()
        .map(|e| e["node"]["proposalCount"].as_i64().unwrap())
        .sum();
    assert!(bids > 0);

    // The demo clients sign in with the demo password and see their
    // contracts: every contract has one client, so they add up.
    let mut seen = 0;
    for n in 1..=10 {
        let token = login(&app, &format!("client{n}@{EMAIL_DOMAIN}")).await;
        let reply = app
            .gql(
                "{ me { role } contracts { totalCount } }",
                json!({}),
                Some(&token),
            )
            .await;
        let data = reply.data();
        assert_eq!(data["me"]["role"], "CLIENT");
        seen += data["contracts"]["totalCount"].as_u64().unwrap() as usize;
    }
    assert_eq!(seen, summary.contracts);
    let token = login(&app, &format!("freelancer1@{EMAIL_DOMAIN}")).await;
    let me = app.gql("{ me { role } }", json!({}), Some(&token)).await;
    assert_eq!(me.data()["me"]["role"], "FREELANCER");

    // The services area: a catalogue, professionals in every verification
    // status, requests in every status, as the admin sees them.
    let services = &summary.services;
    assert_eq!(services.services, 10);
    assert_eq!(services.professionals, [8, 2, 1, 1]);
    assert_eq!(services.requests, [2, 2, 2, 2, 2]);
    let admin = login(&app, &format!("admin1@{EMAIL_DOMAIN}")).await;
    let count = "query($s: ServiceRequestStatus, $v: VerificationStatus) {
      serviceRequests(filter: {status: $s}) { totalCount }
      professionals(filter: {status: $v}) { totalCount }
      services { totalCount } }";
    for (status, verification, requests, profiles) in [
        ("REQUESTED", "VERIFIED", 2, 8),
        ("ASSIGNED", "PENDING", 2, 2),
        ("IN_PROGRESS", "REJECTED", 2, 1),
        ("COMPLETED", "UNSUBMITTED", 2, 1),
        ("CANCELLED", "VERIFIED", 2, 8),
    ] {
        let reply = app
            .gql(count, json!({ "s": status, "v": verification }), Some(&admin))
            .await;
        let data = reply.data();
        assert_eq!(data["serviceRequests"]["totalCount"], requests, "{status}");
        assert_eq!(data["professionals"]["totalCount"], profiles, "{verification}");
        assert_eq!(data["services"]["totalCount"], 10);
    }

    // Billing: bills in every status, with payments, as the admin sees them.
    assert_eq!(summary.billing.bills, [1, 3, 2, 1, 1]);
    assert_eq!(summary.billing.payments, 5);
    for (status, count) in [
        ("DRAFT", 1),
        ("ISSUED", 3),
        ("PAID", 2),
        ("VOID", 1),
        ("REFUNDED", 1),
    ] {
        let reply = app
            .gql(
                "query($s: BillStatus) { bills(filter: {status: $s}) { totalCount } }",
                json!({ "s": status }),
                Some(&admin),
            )
            .await;
        assert_eq!(reply.data()["bills"]["totalCount"], count, "{status}");
    }
    let payments = app
        .gql("{ payments { totalCount } }", json!({}), Some(&admin))
        .await;
    assert_eq!(payments.data()["payments"]["totalCount"], 5);

    // Again: refused while there are users, unless forced, which reuses the
    // demo accounts.
    let again = seed::run(
        &app.state,
        SeedOptions {
            projects: 5,
            ..SeedOptions::default()
        },
    )
    .await;
    assert!(
        matches!(again, Err(SeedError::NotEmpty { users: 41 })),
        "{again:?}"
    );
    let forced = seed::run(
        &app.state,
        SeedOptions {
            projects: 5,
            force: true,
            ..SeedOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (forced.clients, forced.reused_accounts, forced.projects),
        (0, 41, 5)
    );
    let page = app.gql(OPEN_PAGE, json!({}), None).await;
    assert_eq!(
        page.data()["projects"]["totalCount"],
        Value::from(summary.open_projects + forced.open_projects)
    );
}
