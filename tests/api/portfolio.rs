//! Portfolio: a freelancer's items, who may change them, their rules, and
//! the public, paginated list.

use serde_json::{Value, json};

use crate::common::{MALFORMED_IDS, Reply, TestApp, unknown_id};

const ITEM: &str = "id title description url skills completedAt createdAt updatedAt freelancer { id name }";

fn create_query() -> String {
    format!(
        "mutation($input: CreatePortfolioItemInput!) {{ createPortfolioItem(input: $input) {{ {ITEM} }} }}"
    )
}

fn update_query() -> String {
    format!(
        "mutation($id: ID!, $input: UpdatePortfolioItemInput!) {{ updatePortfolioItem(id: $id, input: $input) {{ {ITEM} }} }}"
    )
}

const DELETE: &str = "mutation($id: ID!) { deletePortfolioItem(id: $id) }";

fn list_query() -> String {
    format!(
        "query($f: ID!, $first: Int, $after: String) {{ portfolioItems(freelancerId: $f, first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {ITEM} }} }} }} }}"
    )
}

/// Create an item as `token` and return the reply.
async fn create(app: &TestApp, token: &str, input: Value) -> Reply {
    app.gql(&create_query(), json!({ "input": input }), Some(token))
        .await
}

/// Create an item with just a title and return its id.
async fn create_titled(app: &TestApp, token: &str, title: &str) -> String {
    let reply = create(app, token, json!({ "title": title })).await;
    reply.data()["createPortfolioItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `portfolioItems` of `freelancer`, read anonymously.
async fn list(app: &TestApp, freelancer: &str, first: Option<i64>, after: Option<&str>) -> Reply {
    app.gql(
        &list_query(),
        json!({ "f": freelancer, "first": first, "after": after }),
        None,
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_freelancer_creates_updates_and_deletes_an_item() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let reply = create(
        &app,
        &ann.access,
        json!({
            "title": "  Shop rebuild  ",
            "description": " A storefront in Rust. ",
            "url": "https://example.com/shop",
            "skills": [" Rust ", "rust", "PostgreSQL"],
            "completedAt": "2024-05-01T12:00:00Z"
        }),
    )
    .await;
    let item = reply.data()["createPortfolioItem"].clone();
    assert_eq!(item["title"], "Shop rebuild");
    assert_eq!(item["description"], "A storefront in Rust.");
    assert_eq!(item["url"], "https://example.com/shop");
    assert_eq!(item["skills"], json!(["Rust", "PostgreSQL"]));
    assert_eq!(item["completedAt"], "2024-05-01T12:00:00+00:00");
    assert_eq!(item["freelancer"]["id"], ann.id.as_str());
    let id = item["id"].as_str().unwrap();

    let listed = list(&app, &ann.id, None, None).await;
    assert_eq!(listed.data()["portfolioItems"]["totalCount"], 1);
    assert_eq!(listed.data()["portfolioItems"]["edges"][0]["node"], item);

    // Partial: only the title changes.
    let reply = app
        .gql(
            &update_query(),
            json!({ "id": id, "input": { "title": "Shop, rebuilt" } }),
            Some(&ann.access),
        )
        .await;
    let updated = &reply.data()["updatePortfolioItem"];
    assert_eq!(updated["title"], "Shop, rebuilt");
    for unchanged in ["description", "url", "skills", "completedAt", "createdAt"] {
        assert_eq!(updated[unchanged], item[unchanged], "{unchanged}");
    }

    // Explicit nulls clear the nullable fields; null title is no change.
    let input = json!({ "title": null, "url": null, "skills": null, "completedAt": null, "description": "" });
    let reply = app
        .gql(
            &update_query(),
            json!({ "id": id, "input": input }),
            Some(&ann.access),
        )
        .await;
    let cleared = &reply.data()["updatePortfolioItem"];
    assert_eq!(cleared["title"], "Shop, rebuilt");
    assert_eq!(cleared["description"], "");
    assert_eq!(cleared["url"], Value::Null);
    assert_eq!(cleared["skills"], json!([]));
    assert_eq!(cleared["completedAt"], Value::Null);
    assert_eq!(listed_node(&app, &ann.id).await, *cleared);

    let reply = app.gql(DELETE, json!({ "id": id }), Some(&ann.access)).await;
    assert_eq!(reply.data()["deletePortfolioItem"], id);
    let listed = list(&app, &ann.id, None, None).await;
    assert_eq!(listed.data()["portfolioItems"]["totalCount"], 0);
    assert_eq!(listed.data()["portfolioItems"]["edges"], json!([]));
    let again = app.gql(DELETE, json!({ "id": id }), Some(&ann.access)).await;
    assert_eq!(again.code(), "NOT_FOUND");
}

/// The newest item of `freelancer`'s portfolio.
async fn listed_node(app: &TestApp, freelancer: &str) -> Value {
    list(app, freelancer, Some(1), None).await.data()["portfolioItems"]["edges"][0]["node"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn only_freelancers_create_items() {
    let app = TestApp::new().await;
    let client = app.register("carl@example.com", "CLIENT").await;
    let reply = create(&app, &client.access, json!({ "title": "Mine" })).await;
    assert_eq!(reply.code(), "FORBIDDEN");
    assert_eq!(reply.body["data"], Value::Null);
    let anonymous = app
        .gql(&create_query(), json!({ "input": { "title": "Mine" } }), None)
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let listed = list(&app, &client.id, None, None).await;
    assert_eq!(listed.data()["portfolioItems"]["totalCount"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn others_cannot_change_or_delete_an_item() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;
    let carl = app.register("carl@example.com", "CLIENT").await;
    let reply = create(
        &app,
        &ann.access,
        json!({ "title": "Ann's work", "url": "https://ann.dev" }),
    )
    .await;
    let id = reply.data()["createPortfolioItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = listed_node(&app, &ann.id).await;

    for intruder in [&bob, &carl] {
        let input = json!({ "title": "Taken", "url": null });
        let update = app
            .gql(
                &update_query(),
                json!({ "id": id, "input": input }),
                Some(&intruder.access),
            )
            .await;
        assert_eq!(update.code(), "NOT_FOUND", "{}", intruder.email);
        assert_eq!(update.body["data"], Value::Null);
        let delete = app.gql(DELETE, json!({ "id": id }), Some(&intruder.access)).await;
        assert_eq!(delete.code(), "NOT_FOUND", "{}", intruder.email);
    }
    assert_eq!(listed_node(&app, &ann.id).await, before);

    let unknown = [
        unknown_id::<agora::db::PortfolioItemId>(),
        unknown_id::<agora::db::UserId>(),
    ];
    let cases = unknown
        .iter()
        .map(|id| (id.as_str(), "NOT_FOUND"))
        .chain(MALFORMED_IDS.map(|id| (id, "BAD_USER_INPUT")));
    for (bad_id, code) in cases {
        let update = app
            .gql(
                &update_query(),
                json!({ "id": bad_id, "input": { "title": "x" } }),
                Some(&ann.access),
            )
            .await;
        assert_eq!(update.code(), code, "{bad_id}");
        let delete = app.gql(DELETE, json!({ "id": bad_id }), Some(&ann.access)).await;
        assert_eq!(delete.code(), code, "{bad_id}");
    }
    let anonymous = app.gql(DELETE, json!({ "id": id }), None).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    assert_eq!(listed_node(&app, &ann.id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_names_its_field() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let many_skills: Vec<String> = (0..21).map(|i| format!("skill {i}")).collect();
    let cases = [
        (json!({ "title": "   " }), "title"),
        (json!({ "title": "x".repeat(201) }), "title"),
        (
            json!({ "title": "ok", "description": "x".repeat(5001) }),
            "description",
        ),
        (json!({ "title": "ok", "url": "ftp://example.com" }), "url"),
        (json!({ "title": "ok", "url": "example.com" }), "url"),
        (
            json!({ "title": "ok", "url": format!("https://e.com/{}", "a".repeat(2048)) }),
            "url",
        ),
        (json!({ "title": "ok", "skills": ["Rust", " "] }), "skills"),
        (json!({ "title": "ok", "skills": ["x".repeat(51)] }), "skills"),
        (json!({ "title": "ok", "skills": many_skills }), "skills"),
        (
            json!({ "title": "ok", "completedAt": "2999-01-01T00:00:00Z" }),
            "completedAt",
        ),
    ];
    for (input, expected) in &cases {
        let reply = create(&app, &ann.access, input.clone()).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(reply.field(), Some(*expected), "{input}");
    }
    assert_eq!(
        list(&app, &ann.id, None, None).await.data()["portfolioItems"]["totalCount"],
        0
    );

    let id = create_titled(&app, &ann.access, "Kept").await;
    let before = listed_node(&app, &ann.id).await;
    for (input, expected) in &cases {
        let reply = app
            .gql(
                &update_query(),
                json!({ "id": id, "input": input }),
                Some(&ann.access),
            )
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(reply.field(), Some(*expected), "{input}");
    }
    assert_eq!(listed_node(&app, &ann.id).await, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_portfolio_pages_newest_first() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "FREELANCER").await;
    let mut created = Vec::new();
    for i in 0..25 {
        created.push(create_titled(&app, &ann.access, &format!("Work {i}")).await);
    }
    create_titled(&app, &bob.access, "Bob's work").await;
    created.reverse();

    assert_eq!(page_through(&app, &ann.id, 10).await, (created.clone(), 3));

    // Items added in the same microsecond still page exactly once each (by id).
    app.sql("UPDATE portfolio_items SET created_at = (SELECT MIN(created_at) FROM portfolio_items)")
        .await;
    assert_eq!(page_through(&app, &ann.id, 7).await, (created, 4));

    let bad = list(&app, &ann.id, Some(10), Some("not-a-cursor")).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
    assert_eq!(bad.field(), Some("after"));
    let too_many = list(&app, &ann.id, Some(101), None).await;
    assert_eq!(too_many.field(), Some("first"));
    let not_an_id = list(&app, "not-a-uuid", None, None).await;
    assert_eq!(
        (not_an_id.code(), not_an_id.field()),
        ("BAD_USER_INPUT", Some("freelancerId"))
    );
    let not_a_user = list(&app, &unknown_id::<agora::db::ProjectId>(), None, None).await;
    assert_eq!(not_a_user.code(), "NOT_FOUND");
}

/// Every item id of `freelancer`'s portfolio, `first` at a time, and how many
/// pages that took.
async fn page_through(app: &TestApp, freelancer: &str, first: i64) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let reply = list(app, freelancer, Some(first), after.as_deref()).await;
        let connection = &reply.data()["portfolioItems"];
        assert_eq!(connection["totalCount"], 25);
        assert_eq!(connection["pageInfo"]["hasPreviousPage"], after.is_some());
        for edge in connection["edges"].as_array().unwrap() {
            assert_eq!(edge["node"]["freelancer"]["id"], freelancer);
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            return (seen, pages);
        }
        after = Some(connection["pageInfo"]["endCursor"].as_str().unwrap().to_owned());
    }
}
