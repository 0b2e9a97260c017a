//! Budgets compare only within one currency: ordering by `BUDGET` needs
//! `filter.currency`, and budget bounds must agree with it.

use serde_json::{Value, json};

use crate::common::{Account, TestApp};
use crate::listing::{every_page, titles};
use crate::marketplace::{CREATE, project_input};

const LIST: &str =
    "query($first: Int, $after: String, $filter: ProjectFilterInput, $order: ProjectOrderInput) {
  projects(first: $first, after: $after, filter: $filter, orderBy: $order) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { title budgetMax { amount currency } } }
  }
}";

/// Post a project whose budget runs from 100 to `max` in `currency`.
async fn post(app: &TestApp, client: &Account, title: &str, max: &str, currency: &str) {
    let mut input = project_input(title);
    input["input"]["budgetMin"] = json!({ "amount": "100", "currency": currency });
    input["input"]["budgetMax"] = json!({ "amount": max, "currency": currency });
    app.gql(CREATE, input, Some(&client.access)).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn ordering_by_budget_needs_a_currency() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    post(&app, &client, "US app", "39250", "USD").await;
    post(&app, &client, "EU shop", "28800", "EUR").await;
    post(&app, &client, "EU site", "30000", "EUR").await;
    post(&app, &client, "EU logo", "1200.50", "EUR").await;

    for direction in ["ASC", "DESC"] {
        let order = json!({ "field": "BUDGET", "direction": direction });
        let reply = app.gql(LIST, json!({ "order": order }), None).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
        assert_eq!(reply.field(), Some("orderBy"), "{}", reply.body);
        assert!(reply.message().contains("filter.currency"), "{}", reply.body);
        let other_filter = json!({ "order": order, "filter": { "search": "EU" } });
        assert_eq!(app.gql(LIST, other_filter, None).await.field(), Some("orderBy"));
    }

    let by = |currency: &str, direction: &str| {
        let variables = json!({
            "filter": { "currency": currency },
            "order": { "field": "BUDGET", "direction": direction },
        });
        app.gql(LIST, variables, None)
    };
    let desc = by("EUR", "DESC").await;
    assert_eq!(titles(&desc.body), ["EU site", "EU shop", "EU logo"]);
    assert_eq!(desc.data()["projects"]["totalCount"], 3);
    assert_eq!(
        desc.data()["projects"]["edges"][1]["node"]["budgetMax"],
        json!({ "amount": "28800.00", "currency": "EUR" })
    );
    assert_eq!(
        titles(&by("EUR", "ASC").await.body),
        ["EU logo", "EU shop", "EU site"]
    );
    assert_eq!(titles(&by(" usd ", "DESC").await.body), ["US app"]);
    assert!(titles(&by("JPY", "DESC").await.body).is_empty());

    // The currency filter narrows other orderings too.
    let newest_eur = app
        .gql(LIST, json!({ "filter": { "currency": "EUR" } }), None)
        .await;
    assert_eq!(titles(&newest_eur.body), ["EU logo", "EU site", "EU shop"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn currency_filters_are_validated() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    post(&app, &client, "EU shop", "28800", "EUR").await;
    post(&app, &client, "US app", "39250", "USD").await;

    let by = |filter: Value| app.gql(LIST, json!({ "filter": filter }), None);
    let eur = |amount: &str| json!({ "amount": amount, "currency": "EUR" });
    let usd = |amount: &str| json!({ "amount": amount, "currency": "USD" });
    for (filter, field) in [
        (json!({ "currency": "XXX" }), "filter.currency"),
        (json!({ "currency": "" }), "filter.currency"),
        (
            json!({ "currency": "EUR", "budgetMin": usd("1") }),
            "filter.budgetMin",
        ),
        (
            json!({ "currency": "EUR", "budgetMax": usd("1") }),
            "filter.budgetMax",
        ),
        (
            json!({ "budgetMin": eur("1"), "budgetMax": usd("5") }),
            "filter.budgetMax",
        ),
        (json!({ "budgetMin": eur("-1") }), "filter.budgetMin"),
        (json!({ "budgetMax": eur("1.001") }), "filter.budgetMax"),
        (
            json!({ "budgetMin": { "amount": "1", "currency": "XXX" } }),
            "filter.budgetMin",
        ),
    ] {
        let reply = by(filter.clone()).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{filter}: {}", reply.body);
        assert_eq!(reply.field(), Some(field), "{filter}: {}", reply.body);
    }

    // A bound is in its own currency: a EUR amount says nothing of USD budgets.
    assert_eq!(
        titles(&by(json!({ "budgetMin": eur("0") })).await.body),
        ["EU shop"]
    );
    assert_eq!(
        titles(&by(json!({ "budgetMin": usd("30000") })).await.body),
        ["US app"]
    );
    assert!(titles(&by(json!({ "budgetMin": eur("30000") })).await.body).is_empty());
    let both = json!({ "currency": "eur", "budgetMin": eur("28800"), "budgetMax": eur("100") });
    assert_eq!(titles(&by(both).await.body), ["EU shop"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn budget_pages_stay_within_one_currency() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    // Budgets collide in pairs so ties are broken by id; USD ones interleave.
    for i in 0..7 {
        let max = format!("{}", 2000 + (i / 2) * 100);
        post(&app, &client, &format!("E{i}"), &max, "EUR").await;
        if i % 3 == 0 {
            post(&app, &client, &format!("U{i}"), &max, "USD").await;
        }
    }
    for direction in ["ASC", "DESC"] {
        let filter = json!({ "currency": "EUR" });
        let order = json!({ "field": "BUDGET", "direction": direction });
        let all = app
            .gql(
                LIST,
                json!({ "first": 100, "filter": filter, "order": order }),
                None,
            )
            .await;
        let expected = titles(&all.body);
        assert_eq!(expected.len(), 7, "{}", all.body);
        let amounts: Vec<f64> = all.data()["projects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e["node"]["budgetMax"]["amount"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let mut sorted = amounts.clone();
        sorted.sort_by(|a, b| a.total_cmp(b));
        if direction == "DESC" {
            sorted.reverse();
        }
        assert_eq!(amounts, sorted, "{direction}");

        let seen = every_page(&app, LIST, 2, &filter, &order).await;
        assert_eq!(seen, expected, "{direction}");
    }
}
