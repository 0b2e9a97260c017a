//! No N+1: a project page with nested relations runs the same number of SQL
//! statements whatever its size.

use serde_json::json;

use crate::common::{Account, TestApp};
use crate::marketplace::{CREATE, project_input};

const PAGE: &str = "query($first: Int) {
  projects(first: $first, filter: {mine: true}) {
    totalCount
    edges { node { title skills client { name avatarUrl } proposalCount
      proposals(first: 5) { totalCount edges { node { bidAmount { amount } freelancer { name avatarUrl rating { count } } } } } } }
  }
}";

/// `count` projects posted by `client`, the `i`th of them bid on by each of `bidders(i)`.
async fn post_projects<'a>(
    app: &TestApp,
    client: &Account,
    count: usize,
    bidders: impl Fn(usize) -> Vec<&'a Account>,
) {
    for i in 0..count {
        let reply = app
            .gql(
                CREATE,
                project_input(&format!("Project {i}")),
                Some(&client.access),
            )
            .await;
        let project = reply.data()["createProject"]["id"].as_str().unwrap().to_owned();
        for bidder in bidders(i) {
            let bid = crate::marketplace::bid(&project, "1500");
            app.gql(crate::marketplace::SUBMIT, bid, Some(&bidder.access))
                .await
                .data();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn project_pages_run_a_constant_number_of_statements() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let mut freelancers = Vec::new();
    for i in 0..6 {
        freelancers.push(app.register(&format!("f{i}@example.com"), "FREELANCER").await);
    }
    post_projects(&app, &client, 100, |i| {
        freelancers.iter().take(1 + i % 6).collect()
    })
    .await;
    let mut counts = Vec::new();
    for first in [20, 100] {
        // Warm the session check (cached for seconds) so it is not counted.
        app.gql("{ me { id } }", json!({}), Some(&client.access))
            .await
            .data();
        let before = app.state.pool.statements();
        let reply = app
            .gql(PAGE, json!({ "first": first }), Some(&client.access))
            .await;
        let edges = reply.data()["projects"]["edges"].as_array().unwrap().len();
        assert_eq!(edges, first);
        let with_five = reply.data()["projects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["node"]["proposals"]["edges"].as_array().unwrap().len() == 5)
            .count();
        assert!(with_five > 0, "some projects show five proposals");
        for edge in reply.data()["projects"]["edges"].as_array().unwrap() {
            let node = &edge["node"];
            assert_eq!(node["proposalCount"], node["proposals"]["totalCount"], "{node}");
            assert_eq!(node["client"]["name"], "Test User");
        }
        counts.push(app.state.pool.statements() - before);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 20 and 100 projects: {counts:?}"
    );
    assert!(counts[0] <= 10, "a page takes few statements: {counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_project_with_its_client_is_one_statement() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let reply = app
        .gql(CREATE, project_input("Roof repair"), Some(&client.access))
        .await;
    let id = reply.data()["createProject"]["id"].as_str().unwrap().to_owned();
    let query = "query($id: ID!) { project(id: $id) { title client { name } } }";
    let before = app.state.pool.statements();
    let reply = app.gql(query, json!({ "id": id }), None).await;
    assert_eq!(reply.data()["project"]["title"], "Roof repair");
    assert_eq!(reply.data()["project"]["client"]["name"], "Test User");
    assert_eq!(
        app.state.pool.statements() - before,
        1,
        "the project and its client in one statement"
    );
}

/// The list every client shows: projects with their client's name and proposal count, and the newest proposals with their freelancers.
const LIST: &str = "query($total: Boolean!) {
  projects(first: 20) {
    totalCount @include(if: $total)
    edges { node { title client { name } proposalCount
      proposals(first: 5) { edges { node { freelancer { name } } } } } }
  }
}";

#[tokio::test(flavor = "multi_thread")]
async fn a_listed_page_fetches_clients_and_counts_with_its_rows() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let freelancer = app.register("f@example.com", "FREELANCER").await;
    post_projects(
        &app,
        &client,
        3,
        |i| if i == 1 { vec![&freelancer] } else { vec![] },
    )
    .await;
    // The session check is warm (cached), as on any request after the first.
    app.gql("{ me { id } }", json!({}), Some(&client.access))
        .await
        .data();
    for (total, expected) in [(true, 4), (false, 3)] {
        let before = app.state.pool.statements();
        let reply = app
            .gql(LIST, json!({ "total": total }), Some(&client.access))
            .await;
        let statements = app.state.pool.statements() - before;
        let edges = reply.data()["projects"]["edges"].as_array().unwrap().clone();
        let counts: Vec<_> = edges.iter().map(|e| e["node"]["proposalCount"].clone()).collect();
        assert_eq!(counts, [json!(0), json!(1), json!(0)]);
        assert!(edges.iter().all(|e| e["node"]["client"]["name"] == "Test User"));
        assert_eq!(
            edges[1]["node"]["proposals"]["edges"][0]["node"]["freelancer"]["name"],
            "Test User"
        );
        assert_eq!(
            statements, expected,
            "with totalCount {total}: (count,) the page with clients and counts, proposals, freelancers"
        );
    }
}
