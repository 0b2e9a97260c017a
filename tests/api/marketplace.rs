//! The freelancing flow: a client posts, freelancers bid, the client hires,
//! the contract completes and both review.

use serde_json::{Value, json};

use crate::common::{Account, TestApp};

pub const CREATE: &str = "mutation($input: CreateProjectInput!) { createProject(input: $input) { id status title skills budgetMin { amount currency } budgetMax { amount currency } client { id } } }";
pub const SUBMIT: &str = "mutation($input: SubmitProposalInput!) { submitProposal(input: $input) { id status bidAmount { amount currency } } }";
pub const ACCEPT: &str = "mutation($id: ID!) { acceptProposal(id: $id) { id status amount { amount currency } type project { id status } freelancer { id } client { id } proposal { id status } } }";

pub fn project_input(title: &str) -> Value {
    json!({ "input": {
        "title": title,
        "description": "Build a storefront with payments.",
        "category": "WEB_DEVELOPMENT",
        "skills": ["Rust", "GraphQL"],
        "budgetMin": { "amount": "1000", "currency": "EUR" },
        "budgetMax": { "amount": "2500.50", "currency": "EUR" },
        "experienceLevel": "EXPERT",
        "deadline": "2099-01-01T00:00:00Z",
    }})
}

pub fn bid(project: &str, amount: &str) -> Value {
    json!({ "input": {
        "projectId": project,
        "coverLetter": "I have built three of these.",
        "bidAmount": { "amount": amount, "currency": "EUR" },
        "estimatedHours": 40,
        "availability": "WITHIN_2_WEEKS",
    }})
}

pub async fn post_project(app: &TestApp, client: &Account, title: &str) -> String {
    let reply = app.gql(CREATE, project_input(title), Some(&client.access)).await;
    reply.data()["createProject"]["id"].as_str().unwrap().to_owned()
}

pub async fn submit(app: &TestApp, freelancer: &Account, project: &str, amount: &str) -> String {
    let reply = app
        .gql(SUBMIT, bid(project, amount), Some(&freelancer.access))
        .await;
    reply.data()["submitProposal"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn client_posts_freelancers_bid_client_hires_and_both_review() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;

    let created = app
        .gql(CREATE, project_input("Storefront"), Some(&client.access))
        .await;
    let project = &created.data()["createProject"];
    assert_eq!(project["status"], "OPEN");
    assert_eq!(project["skills"], json!(["Rust", "GraphQL"]));
    assert_eq!(
        project["budgetMax"],
        json!({ "amount": "2500.50", "currency": "EUR" })
    );
    let project_id = project["id"].as_str().unwrap().to_owned();

    let ann_bid = submit(&app, &ann, &project_id, "2000").await;
    let bob_bid = submit(&app, &bob, &project_id, "1800.5").await;

    let again = app.gql(SUBMIT, bid(&project_id, "1900"), Some(&ann.access)).await;
    assert_eq!(again.code(), "CONFLICT");
    assert_eq!(again.body["errors"][0]["extensions"]["field"], "projectId");

    let seen = app
        .gql(
            "query($id: ID!) { project(id: $id) { proposalCount proposals { totalCount edges { node { id freelancer { id } } } } } }",
            json!({ "id": project_id }),
            Some(&client.access),
        )
        .await;
    assert_eq!(seen.data()["project"]["proposalCount"], 2);
    assert_eq!(seen.data()["project"]["proposals"]["totalCount"], 2);
    let as_ann = app
        .gql(
            "query($id: ID!) { project(id: $id) { proposals { edges { node { id } } } } }",
            json!({ "id": project_id }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(
        as_ann.data()["project"]["proposals"]["edges"],
        json!([{ "node": { "id": ann_bid } }])
    );

    let hired = app
        .gql(ACCEPT, json!({ "id": ann_bid }), Some(&client.access))
        .await;
    let contract = &hired.data()["acceptProposal"];
    assert_eq!(contract["status"], "ACTIVE");
    assert_eq!(
        contract["amount"],
        json!({ "amount": "2000.00", "currency": "EUR" })
    );
    assert_eq!(contract["type"], "FIXED");
    assert_eq!(contract["project"]["status"], "IN_PROGRESS");
    assert_eq!(contract["freelancer"]["id"], ann.id.as_str());
    assert_eq!(contract["proposal"]["status"], "ACCEPTED");
    let contract_id = contract["id"].as_str().unwrap().to_owned();

    let bobs = app
        .gql(
            "{ proposals { edges { node { id status } } } }",
            json!({}),
            Some(&bob.access),
        )
        .await;
    assert_eq!(
        bobs.data()["proposals"]["edges"],
        json!([{ "node": { "id": bob_bid, "status": "REJECTED" } }])
    );

    let review = "mutation($id: ID!, $input: ReviewInput!) { reviewContract(id: $id, input: $input) { rating reviewer { id } reviewee { id } } }";
    let early = app
        .gql(
            review,
            json!({ "id": contract_id, "input": { "rating": 5 } }),
            Some(&client.access),
        )
        .await;
    assert_eq!(early.code(), "INVALID_STATE");

    let by_freelancer = app
        .gql(
            "mutation($id: ID!) { completeContract(id: $id) { id } }",
            json!({ "id": contract_id }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(by_freelancer.code(), "FORBIDDEN");
    let done = app
        .gql(
            "mutation($id: ID!) { completeContract(id: $id) { status completedAt project { status } } }",
            json!({ "id": contract_id }),
            Some(&client.access),
        )
        .await;
    assert_eq!(done.data()["completeContract"]["status"], "COMPLETED");
    assert_eq!(done.data()["completeContract"]["project"]["status"], "COMPLETED");

    let five = app
        .gql(
            review,
            json!({ "id": contract_id, "input": { "rating": 5, "comment": "Superb" } }),
            Some(&client.access),
        )
        .await;
    assert_eq!(five.data()["reviewContract"]["reviewee"]["id"], ann.id.as_str());
    let four = app
        .gql(
            review,
            json!({ "id": contract_id, "input": { "rating": 4, "comment": "Clear brief" } }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(
        four.data()["reviewContract"]["reviewee"]["id"],
        client.id.as_str()
    );
    let twice = app
        .gql(
            review,
            json!({ "id": contract_id, "input": { "rating": 1 } }),
            Some(&client.access),
        )
        .await;
    assert_eq!(twice.code(), "CONFLICT");
    let outsider = app
        .gql(
            review,
            json!({ "id": contract_id, "input": { "rating": 1 } }),
            Some(&bob.access),
        )
        .await;
    assert_eq!(outsider.code(), "NOT_FOUND");
    let bad = app
        .gql(
            review,
            json!({ "id": contract_id, "input": { "rating": 6 } }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");

    let profile = app
        .gql("query($id: ID!) { user(id: $id) { rating { average count } reviews { totalCount edges { node { rating comment } } } } }", json!({ "id": ann.id }), None)
        .await;
    assert_eq!(
        profile.data()["user"]["rating"],
        json!({ "average": 5.0, "count": 1 })
    );
    assert_eq!(
        profile.data()["user"]["reviews"]["edges"][0]["node"]["comment"],
        "Superb"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn proposals_follow_their_status_rules() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let project = post_project(&app, &client, "Logo").await;
    let proposal = submit(&app, &ann, &project, "300").await;

    let update = "mutation($id: ID!, $input: UpdateProposalInput!) { updateProposal(id: $id, input: $input) { coverLetter estimatedHours bidAmount { amount } } }";
    let changed = app.gql(update, json!({ "id": proposal, "input": { "estimatedHours": null, "bidAmount": { "amount": "350", "currency": "EUR" } } }), Some(&ann.access)).await;
    assert_eq!(changed.data()["updateProposal"]["estimatedHours"], Value::Null);
    assert_eq!(changed.data()["updateProposal"]["bidAmount"]["amount"], "350.00");
    let wrong_currency = app
        .gql(
            update,
            json!({ "id": proposal, "input": { "bidAmount": { "amount": "350", "currency": "USD" } } }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(
        wrong_currency.body["errors"][0]["extensions"]["field"],
        "bidAmount"
    );

    let withdraw = "mutation($id: ID!) { withdrawProposal(id: $id) { status } }";
    assert_eq!(
        app.gql(withdraw, json!({ "id": proposal }), Some(&ann.access))
            .await
            .data()["withdrawProposal"]["status"],
        "WITHDRAWN"
    );
    assert_eq!(
        app.gql(withdraw, json!({ "id": proposal }), Some(&ann.access))
            .await
            .code(),
        "INVALID_STATE"
    );
    assert_eq!(
        app.gql(
            update,
            json!({ "id": proposal, "input": { "coverLetter": "x" } }),
            Some(&ann.access)
        )
        .await
        .code(),
        "INVALID_STATE"
    );
    assert_eq!(
        app.gql(ACCEPT, json!({ "id": proposal }), Some(&client.access))
            .await
            .code(),
        "INVALID_STATE"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_follow_their_status_rules() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let project = post_project(&app, &client, "App").await;

    let update = "mutation($id: ID!, $input: UpdateProjectInput!) { updateProject(id: $id, input: $input) { title skills budgetMin { amount } } }";
    let changed = app
        .gql(
            update,
            json!({ "id": project, "input": { "title": " New title ", "skills": null } }),
            Some(&client.access),
        )
        .await;
    assert_eq!(
        changed.data()["updateProject"],
        json!({ "title": "New title", "skills": [], "budgetMin": { "amount": "1000.00" } })
    );
    let inverted = app
        .gql(
            update,
            json!({ "id": project, "input": { "budgetMin": { "amount": "9000", "currency": "EUR" } } }),
            Some(&client.access),
        )
        .await;
    assert_eq!(inverted.body["errors"][0]["extensions"]["field"], "budgetMax");

    let proposal = submit(&app, &ann, &project, "1500").await;
    app.gql(ACCEPT, json!({ "id": proposal }), Some(&client.access))
        .await
        .data();
    assert_eq!(
        app.gql(
            update,
            json!({ "id": project, "input": { "title": "x" } }),
            Some(&client.access)
        )
        .await
        .code(),
        "INVALID_STATE"
    );
    let delete = "mutation($id: ID!) { deleteProject(id: $id) }";
    assert_eq!(
        app.gql(delete, json!({ "id": project }), Some(&client.access))
            .await
            .code(),
        "INVALID_STATE"
    );

    let cancelled = app
        .gql(
            "mutation($id: ID!) { cancelProject(id: $id) { status contract { status cancellationReason } } }",
            json!({ "id": project }),
            Some(&client.access),
        )
        .await;
    assert_eq!(cancelled.data()["cancelProject"]["status"], "CANCELLED");
    assert_eq!(
        cancelled.data()["cancelProject"]["contract"]["status"],
        "CANCELLED"
    );

    let fresh = post_project(&app, &client, "Another").await;
    assert_eq!(
        app.gql(delete, json!({ "id": fresh }), Some(&client.access))
            .await
            .data()["deleteProject"],
        fresh.as_str()
    );
    let gone = app
        .gql(
            "query($id: ID!) { project(id: $id) { id } }",
            json!({ "id": fresh }),
            Some(&client.access),
        )
        .await;
    assert!(gone.data()["project"].is_null(), "deleted: null, no error");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_contract_reopens_the_project() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;
    let project = post_project(&app, &client, "Data pipeline").await;
    let proposal = submit(&app, &ann, &project, "2000").await;
    let contract = app
        .gql(ACCEPT, json!({ "id": proposal }), Some(&client.access))
        .await
        .data()["acceptProposal"]["id"]
        .clone();

    let cancel = "mutation($id: ID!, $reason: String!) { cancelContract(id: $id, reason: $reason) { status cancellationReason project { status } } }";
    let blank = app
        .gql(
            cancel,
            json!({ "id": contract, "reason": " " }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(blank.body["errors"][0]["extensions"]["field"], "reason");
    let done = app
        .gql(
            cancel,
            json!({ "id": contract, "reason": "Moving abroad" }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(done.data()["cancelContract"]["project"]["status"], "OPEN");
    assert_eq!(
        done.data()["cancelContract"]["cancellationReason"],
        "Moving abroad"
    );
    assert_eq!(
        app.gql(
            cancel,
            json!({ "id": contract, "reason": "again" }),
            Some(&client.access)
        )
        .await
        .code(),
        "INVALID_STATE"
    );
    // Open again: a new freelancer can be hired.
    let second = submit(&app, &bob, &project, "2100").await;
    app.gql(ACCEPT, json!({ "id": second }), Some(&client.access))
        .await
        .data();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_accepts_hire_exactly_once() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;
    let project = post_project(&app, &client, "Race").await;
    let a = submit(&app, &ann, &project, "2000").await;
    let b = submit(&app, &bob, &project, "1900").await;

    let (ra, rb) = tokio::join!(
        app.gql(ACCEPT, json!({ "id": a }), Some(&client.access)),
        app.gql(ACCEPT, json!({ "id": b }), Some(&client.access)),
    );
    let codes: Vec<&str> = [&ra, &rb].iter().map(|r| r.code()).collect();
    assert!(
        codes.contains(&"") && codes.contains(&"INVALID_STATE"),
        "{} / {}",
        ra.body,
        rb.body
    );
    let contracts = app
        .gql("{ contracts { totalCount } }", json!({}), Some(&client.access))
        .await;
    assert_eq!(contracts.data()["contracts"]["totalCount"], 1);
    let statuses = app
        .gql(
            "{ proposals { edges { node { status } } } }",
            json!({}),
            Some(&client.access),
        )
        .await;
    let mut got: Vec<&str> = statuses.data()["proposals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    got.sort_unstable();
    assert_eq!(got, ["ACCEPTED", "REJECTED"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn project_input_is_validated_field_by_field() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let cases = [
        ("title", json!("  ")),
        ("budgetMin", json!({ "amount": "-1", "currency": "EUR" })),
        ("budgetMax", json!({ "amount": "10", "currency": "EUR" })),
        ("budgetMax", json!({ "amount": "5000", "currency": "USD" })),
        ("deadline", json!("2001-01-01T00:00:00Z")),
        ("skills", json!(["x".repeat(51)])),
    ];
    for (field, value) in cases {
        let mut input = project_input("Valid");
        input["input"][field] = value;
        let reply = app.gql(CREATE, input, Some(&client.access)).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{field}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], field);
    }
    let none = app.gql("{ projects { totalCount } }", json!({}), None).await;
    assert_eq!(none.data()["projects"]["totalCount"], 0);
}
