//! Documents are bounded before they can cost anything: tokens, fragment
//! fan-out, lists multiplied by their page size, the size of a response, and
//! text that is not text.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{PASSWORD, TestApp};

/// `operation` spreading fragments F0..F(n-1) on type `on`, each spreading
/// the next one twice (`body` wraps the two spreads), the last one
/// `__typename`: 2^n fields once expanded.
fn fan_out(operation: &str, on: &str, levels: usize, body: impl Fn(usize) -> String) -> String {
    let mut doc = operation.to_owned();
    for i in 0..levels {
        doc.push_str(&format!(" fragment F{i} on {on} {{ {} }}", body(i + 1)));
    }
    doc.push_str(&format!(" fragment F{levels} on {on} {{ __typename }}"));
    doc
}

/// graphql-js's `getIntrospectionQuery` with every option on, as GraphiQL and
/// client code generators send it.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}"#;

#[tokio::test(flavor = "multi_thread")]
async fn fragment_fan_out_is_refused_before_validation() {
    let app = TestApp::new().await;
    let documents = [
        fan_out("query { ...F0 }", "Query", 26, |n| format!("...F{n} ...F{n}")),
        fan_out("{ ...F0 }", "Query", 26, |n| {
            format!("... on Query {{ ...F{n} }} ... {{ ...F{n} }}")
        }),
        fan_out("{ me { ...F0 } }", "User", 26, |n| {
            format!("a{n}: id ...F{n} ...F{n}")
        }),
    ];
    for document in documents {
        assert!(document.len() < 2048, "about 1 KB: {}", document.len());
        let started = Instant::now();
        let reply = app.gql(&document, json!({}), None).await;
        // Before the bound this took a minute and gigabytes; now it is
        // refused without expanding anything (a generous bound: the suite
        // runs on a shared machine).
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED", "{}", reply.body);
        assert!(reply.message().contains("fragments expanded"), "{}", reply.body);
        assert!(reply.body.get("data").is_none(), "{}", reply.body);
    }
    // The server is still there for everyone else.
    app.gql("{ __typename }", json!({}), None).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn introspection_passes_the_document_limits() {
    let app = TestApp::new().await;
    let reply = app.gql(INTROSPECTION, json!({}), None).await;
    assert!(
        reply.data()["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20),
        "{}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_past_the_token_limit_are_refused_before_parsing() {
    let app = TestApp::with_env(&[("GRAPHQL_MAX_TOKENS", "50")]).await;
    let fits = format!("{{ {} }}", "__typename ".repeat(10));
    app.gql(&fits, json!({}), None).await.data();
    // Tokens, not fields: an unparseable document is refused for its size
    // before the parser reports anything.
    let reply = app
        .gql(&format!("{{ {} ", "a ".repeat(60)), json!({}), None)
        .await;
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED", "{}", reply.body);
    assert!(reply.message().contains("more than 50 tokens"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn nested_lists_multiply_their_cost_and_are_refused_before_running() {
    let app = TestApp::new().await;
    let amplifier = "{ projects(first: 100) { edges { node { client {
        reviews(first: 100) { edges { node { reviewer {
        reviews(first: 100) { edges { node { reviewer { name } } } } } } } } } } } } }";
    let reply = app.gql(amplifier, json!({}), None).await;
    assert_eq!(reply.code(), "GRAPHQL_VALIDATION_FAILED", "{}", reply.body);
    assert!(reply.message().contains("complex"), "{}", reply.body);
    // Page sizes given as variables count the same.
    let with_variables = "query($n: Int) { projects(first: $n) { edges { node { client {
        reviews(first: $n) { edges { node { reviewer {
        reviews(first: $n) { edges { node { reviewer { name } } } } } } } } } } } } }";
    let reply = app.gql(with_variables, json!({"n": 100}), None).await;
    assert!(reply.message().contains("complex"), "{}", reply.body);
    // A validation that passed is remembered for the same document and the
    // same variables only: other values are validated again.
    let reply = app.gql(with_variables, json!({"n": 2}), None).await;
    reply.data();
    let reply = app.gql(with_variables, json!({"n": 2}), None).await;
    reply.data();
    let reply = app.gql(with_variables, json!({"n": 100}), None).await;
    assert!(reply.message().contains("complex"), "{}", reply.body);
    let reply = app.gql(with_variables, json!({"n": "two"}), None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);

    // What a real page asks for stays allowed: 100 projects with their
    // clients and five proposals each, and the README's page.
    let page = "{ projects(first: 100) { totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id title status budgetMin { amount currency }
          budgetMax { amount currency } skills createdAt proposalCount
          client { id name rating { average count } }
          proposals(first: 5) { totalCount edges { node { id status coverLetter
            bidAmount { amount currency } freelancer { id name } } } } } } } }";
    app.gql(page, json!({}), None).await.data();
    let tour = r#"{ projects(first: 20, filter: {search: "shop", skills: ["rust"], currency: "EUR"},
           orderBy: {field: BUDGET, direction: DESC}) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id title budgetMax { amount currency } client { name } proposalCount } } } }"#;
    app.gql(tour, json!({}), None).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_carries_a_bounded_number_of_values() {
    let app = TestApp::with_env(&[("GRAPHQL_MAX_RESPONSE_VALUES", "8")]).await;
    app.gql("{ a: __typename b: __typename }", json!({}), None)
        .await
        .data();
    let many: String = (0..9).map(|i| format!("a{i}: __typename ")).collect();
    let reply = app.gql(&format!("{{ {many} }}"), json!({}), None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    assert!(reply.message().contains("more than 8 values"), "{}", reply.body);
    assert!(reply.body["data"].is_null(), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn text_with_control_characters_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let register = "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }";
    for (name, email) in [("Ann\u{0}", "ann@example.com"), ("Ann", "ann\u{0}@example.com")] {
        let input = json!({"i": {"email": email, "password": PASSWORD, "name": name, "role": "CLIENT"}});
        let reply = app.gql(register, input, None).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
        let field = if name.contains('\u{0}') {
            "i.name"
        } else {
            "i.email"
        };
        assert_eq!(reply.field(), Some(field), "{}", reply.body);
    }
    assert!(app.column("SELECT email AS v FROM users").await.is_empty());

    // Written in the document rather than the variables: the argument's path.
    let reply = app
        .gql(
            r#"{ projects(filter: {search: "x\u0000"}) { totalCount } }"#,
            json!({}),
            None,
        )
        .await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    assert_eq!(reply.field(), Some("filter.search"), "{}", reply.body);
    let reply = app
        .gql(
            r#"mutation { login(input: {email: "a@example.com", password: "x\u001b"}) { accessToken } }"#,
            json!({}),
            None,
        )
        .await;
    assert_eq!(reply.field(), Some("input.password"), "{}", reply.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn names_and_titles_fit_on_one_line_while_descriptions_may_not() {
    let app = TestApp::new().await;
    let register = "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }";
    let input = json!({"i": {"email": "ann@example.com", "password": PASSWORD, "name": "Ann\nLee", "role": "CLIENT"}});
    let reply = app.gql(register, input, None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
    assert_eq!(reply.field(), Some("name"), "{}", reply.body);

    let client = app.register("ann@example.com", "CLIENT").await;
    let create = "mutation($i: CreateProjectInput!) { createProject(input: $i) { description } }";
    let project = |title: &str| {
        json!({"i": {"title": title, "description": "Line one\n\tLine two", "category": "WEB_DEVELOPMENT",
            "skills": ["Rust"], "budgetMin": {"amount": "100", "currency": "EUR"},
            "budgetMax": {"amount": "200", "currency": "EUR"}, "experienceLevel": "EXPERT", "deadline": "2027-06-01T00:00:00Z"}})
    };
    let reply = app
        .gql(create, project("Shop\r\nnow"), Some(&client.access))
        .await;
    assert_eq!(reply.field(), Some("title"), "{}", reply.body);
    let reply = app.gql(create, project("Shop"), Some(&client.access)).await;
    assert_eq!(
        reply.data()["createProject"]["description"],
        "Line one\n\tLine two"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_quote_only_a_short_prefix_of_what_they_refuse() {
    let app = TestApp::new().await;
    let client = app.register("ann@example.com", "CLIENT").await;
    let huge = "9".repeat(1_000_000);
    let create = "mutation($i: CreateProjectInput!) { createProject(input: $i) { id } }";
    let input = json!({"i": {"title": "Shop", "description": "d", "category": "WEB_DEVELOPMENT",
        "budgetMin": {"amount": format!("{huge}x"), "currency": "EUR"},
        "budgetMax": {"amount": "200", "currency": "EUR"}, "experienceLevel": "EXPERT",
        "deadline": "2027-06-01T00:00:00Z"}});
    let reply = app.gql(create, input, Some(&client.access)).await;
    assert_eq!(
        reply.code(),
        "BAD_USER_INPUT",
        "{}",
        &reply.body.to_string()[..200]
    );
    assert!(reply.message().len() < 400, "{} bytes", reply.message().len());

    // async-graphql's own refusals (an enum that does not exist) are cut too.
    let register = "mutation($i: RegisterInput!) { register(input: $i) { user { id } } }";
    let input = json!({"i": {"email": "bob@example.com", "password": PASSWORD, "name": "Bob", "role": huge}});
    let reply = app.gql(register, input, None).await;
    assert_eq!(reply.code(), "BAD_USER_INPUT");
    assert!(
        reply.body.to_string().len() < 2_000,
        "{} bytes",
        reply.body.to_string().len()
    );
}
