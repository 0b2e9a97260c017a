//! Project lists: visibility, filters, orderings and keyset pages.

use serde_json::{Value, json};

use crate::common::{TestApp, unknown_id};
use crate::marketplace::{ACCEPT, CREATE, post_project, project_input, submit};

const LIST: &str =
    "query($first: Int, $after: String, $filter: ProjectFilterInput, $order: ProjectOrderInput) {
  projects(first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { title status } }
  }
}";

/// The titles over every page of `list` (a `projects` query taking
/// `$first`, `$after`, `$filter` and `$order`), `first` at a time, following
/// `endCursor`; each page must count the same 7 projects in all.
pub async fn every_page(app: &TestApp, list: &str, first: i64, filter: &Value, order: &Value) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let variables = json!({ "first": first, "after": after, "filter": filter, "order": order });
        let reply = app.gql(list, variables, None).await;
        assert_eq!(reply.data()["projects"]["totalCount"], 7);
        seen.extend(titles(&reply.body));
        let info = &reply.data()["projects"]["pageInfo"];
        if info["hasNextPage"] == false {
            return seen;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
}

/// The titles of a `projects` page, in order.
pub fn titles(reply: &Value) -> Vec<String> {
    reply["data"]["projects"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn anyone_sees_open_projects_owners_see_their_own() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let other = app.register("other@example.com", "CLIENT").await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    post_project(&app, &client, "Open one").await;
    let taken = post_project(&app, &client, "Taken").await;
    let proposal = submit(&app, &ann, &taken, "1500").await;
    app.gql(ACCEPT, json!({ "id": proposal }), Some(&client.access))
        .await
        .data();

    let anonymous = app.gql(LIST, json!({}), None).await;
    assert_eq!(titles(&anonymous.body), ["Open one"]);
    let stranger = app.gql(LIST, json!({}), Some(&other.access)).await;
    assert_eq!(titles(&stranger.body), ["Open one"]);
    let owner = app
        .gql(LIST, json!({ "filter": { "mine": true } }), Some(&client.access))
        .await;
    assert_eq!(titles(&owner.body), ["Taken", "Open one"]);
    let hired = app
        .gql(
            LIST,
            json!({ "filter": { "status": "IN_PROGRESS" } }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(titles(&hired.body), ["Taken"]);
    let hidden = app
        .gql(
            "query($id: ID!) { project(id: $id) { id } }",
            json!({ "id": taken }),
            Some(&other.access),
        )
        .await;
    assert!(hidden.data()["project"].is_null(), "invisible: null, no error");
    let mine_anonymous = app.gql(LIST, json!({ "filter": { "mine": true } }), None).await;
    assert_eq!(mine_anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_narrow_the_list() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let mut design = project_input("Brand 100% refresh");
    design["input"]["category"] = json!("DESIGN");
    design["input"]["skills"] = json!(["Figma"]);
    design["input"]["budgetMin"] = json!({ "amount": "100", "currency": "EUR" });
    design["input"]["budgetMax"] = json!({ "amount": "200", "currency": "EUR" });
    app.gql(CREATE, design, Some(&client.access)).await.data();
    post_project(&app, &client, "Web shop").await;

    let by = |filter: Value| app.gql(LIST, json!({ "filter": filter }), None);
    assert_eq!(
        titles(&by(json!({ "category": "DESIGN" })).await.body),
        ["Brand 100% refresh"]
    );
    assert_eq!(titles(&by(json!({ "search": "WEB" })).await.body), ["Web shop"]);
    assert_eq!(
        titles(&by(json!({ "search": "storefront" })).await.body).len(),
        2,
        "search covers descriptions"
    );
    assert_eq!(
        titles(&by(json!({ "search": "100%" })).await.body),
        ["Brand 100% refresh"]
    );
    assert_eq!(
        titles(&by(json!({ "search": "_" })).await.body).len(),
        0,
        "LIKE wildcards are escaped"
    );
    assert_eq!(
        titles(&by(json!({ "skills": ["figma", "cobol"] })).await.body),
        ["Brand 100% refresh"]
    );
    assert_eq!(
        titles(
            &by(json!({ "budgetMin": { "amount": "500", "currency": "EUR" } }))
                .await
                .body
        ),
        ["Web shop"]
    );
    assert_eq!(
        titles(
            &by(json!({ "budgetMax": { "amount": "500", "currency": "EUR" } }))
                .await
                .body
        ),
        ["Brand 100% refresh"]
    );
    assert_eq!(
        titles(
            &by(json!({ "budgetMin": { "amount": "1", "currency": "USD" } }))
                .await
                .body
        )
        .len(),
        0
    );
    assert_eq!(titles(&by(json!({ "clientId": client.id })).await.body).len(), 2);
    let malformed = by(json!({ "clientId": "nope" })).await;
    assert_eq!(
        (malformed.code(), malformed.field()),
        ("BAD_USER_INPUT", Some("filter.clientId"))
    );
    let not_a_user = by(json!({ "clientId": unknown_id::<agora::db::ProjectId>() })).await;
    assert_eq!(not_a_user.code(), "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn keyset_pages_cover_every_project_once_in_each_order() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    for i in 0..7 {
        let mut input = project_input(&format!("P{i}"));
        // Budgets collide in pairs so ties are broken by id.
        input["input"]["budgetMax"] =
            json!({ "amount": format!("{}", 2000 + (i / 2) * 100), "currency": "EUR" });
        input["input"]["deadline"] = json!(format!("2099-01-0{}T00:00:00Z", 7 - i));
        app.gql(CREATE, input, Some(&client.access)).await.data();
    }
    for (field, direction) in [
        ("CREATED_AT", "DESC"),
        ("CREATED_AT", "ASC"),
        ("BUDGET", "DESC"),
        ("BUDGET", "ASC"),
        ("DEADLINE", "ASC"),
    ] {
        let order = json!({ "field": field, "direction": direction });
        let filter = json!({ "currency": "EUR" });
        let all = app
            .gql(
                LIST,
                json!({ "first": 100, "filter": filter, "order": order }),
                None,
            )
            .await;
        let expected = titles(&all.body);
        assert_eq!(expected.len(), 7);
        let seen = every_page(&app, LIST, 3, &filter, &order).await;
        assert_eq!(seen, expected, "{field} {direction}");
    }
    let deadline_asc = app
        .gql(
            LIST,
            json!({ "first": 2, "order": { "field": "DEADLINE", "direction": "ASC" } }),
            None,
        )
        .await;
    assert_eq!(titles(&deadline_asc.body), ["P6", "P5"]);

    let first_page = app.gql(LIST, json!({ "first": 1 }), None).await;
    let cursor = first_page.data()["projects"]["pageInfo"]["endCursor"].clone();
    let mismatched = app
        .gql(
            LIST,
            json!({ "after": cursor, "filter": { "currency": "EUR" }, "order": { "field": "BUDGET" } }),
            None,
        )
        .await;
    assert_eq!(mismatched.body["errors"][0]["extensions"]["field"], "after");
    let too_many = app.gql(LIST, json!({ "first": 101 }), None).await;
    assert_eq!(too_many.body["errors"][0]["extensions"]["field"], "first");
}
