//! Relay global object identification: `node(id)` and `nodes(ids)` answer
//! every type by the rules of its direct reads, `null` (no error) for what the
//! viewer may not see, and read each type in one statement.

use agora::accounts::users::ops::ensure_super_admin;
use agora::db::{
    AuditEventId, ContractId, GlobalId, MailId, PortfolioItemId, ProjectId, ProposalId, ReviewId, SessionId,
    TypedId, UserId,
};
use serde_json::{Value, json};

use crate::access::{World, world};
use crate::common::{Account, MALFORMED_IDS, PASSWORD, Reply, TestApp, unknown_id};
use crate::marketplace::post_project;

const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id } }";
const NODES: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }";

/// The access world, with its contract completed and reviewed, a portfolio
/// item, the client's session, and an admin.
struct Nodes {
    w: World,
    admin: Account,
    /// The client's (only) session.
    session: String,
    /// The project of the contract (`COMPLETED`, so not public).
    hired_project: String,
    /// The client's review of the freelancer.
    review: String,
    /// The freelancer's portfolio item.
    item: String,
}

async fn nodes_world() -> Nodes {
    let w = world().await;
    let app = &w.app;
    let client = Some(w.client.access.as_str());
    let hired_project = app
        .gql(
            "query($id: ID!) { contract(id: $id) { project { id } } }",
            json!({ "id": w.contract }),
            client,
        )
        .await
        .data()["contract"]["project"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.gql(
        "mutation($id: ID!) { completeContract(id: $id) { id } }",
        json!({ "id": w.contract }),
        client,
    )
    .await
    .data();
    let review = app
        .gql(
            "mutation($id: ID!) { reviewContract(id: $id, input: {rating: 5, comment: \"Great\"}) { id } }",
            json!({ "id": w.contract }),
            client,
        )
        .await
        .data()["reviewContract"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let item = app
        .gql(
            "mutation { createPortfolioItem(input: {title: \"Shop\"}) { id } }",
            json!({}),
            Some(&w.freelancer.access),
        )
        .await
        .data()["createPortfolioItem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let session = app.gql("{ mySessions { id } }", json!({}), client).await.data()["mySessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ensure_super_admin(&app.state, "root@example.com", PASSWORD.to_owned())
        .await
        .unwrap();
    let admin = app.login("root@example.com").await;
    Nodes {
        w,
        admin,
        session,
        hired_project,
        review,
        item,
    }
}

impl Nodes {
    /// Every viewer, by name: anonymous, the four users of the world, an admin.
    fn viewers(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("anonymous", None),
            ("client", Some(&self.w.client.access)),
            ("freelancer", Some(&self.w.freelancer.access)),
            ("other client", Some(&self.w.other_client.access)),
            ("other freelancer", Some(&self.w.other_freelancer.access)),
            ("admin", Some(&self.admin.access)),
        ]
    }
}

/// Does `value` hold the string `id` anywhere?
fn holds(value: &Value, id: &str) -> bool {
    match value {
        Value::String(s) => s == id,
        Value::Array(items) => items.iter().any(|v| holds(v, id)),
        Value::Object(fields) => fields.values().any(|v| holds(v, id)),
        _ => false,
    }
}

/// Does a direct read show `id` to this viewer? Signed-in-only lists
/// refuse anonymous callers: that shows nothing.
fn shown(reply: &Reply, id: &str) -> bool {
    if reply.body.get("errors").is_some() {
        assert_eq!(reply.code(), "UNAUTHENTICATED", "{}", reply.body);
        return false;
    }
    holds(&reply.body["data"], id)
}

/// One object: its id, type, who may see it, and the direct reads that show it.
struct Case {
    id: String,
    typename: &'static str,
    seen_by: &'static [&'static str],
    direct: Vec<(&'static str, Value)>,
}

const EVERYONE: &[&str] = &[
    "anonymous",
    "client",
    "freelancer",
    "other client",
    "other freelancer",
    "admin",
];
const PARTIES_AND_ADMINS: &[&str] = &["client", "freelancer", "admin"];

fn cases(n: &Nodes) -> Vec<Case> {
    let by_id = |query: &'static str, id: &str| (query, json!({ "id": id }));
    vec![
        Case {
            id: n.w.client.id.clone(),
            typename: "User",
            seen_by: EVERYONE,
            direct: vec![by_id("query($id: ID!) { user(id: $id) { id } }", &n.w.client.id)],
        },
        Case {
            id: n.session.clone(),
            typename: "Session",
            // Admins too see only their own sessions (`mySessions`).
            seen_by: &["client"],
            direct: vec![("{ mySessions { id } }", json!({}))],
        },
        Case {
            id: n.w.open_project.clone(),
            typename: "Project",
            seen_by: EVERYONE,
            direct: vec![by_id(
                "query($id: ID!) { project(id: $id) { id } }",
                &n.w.open_project,
            )],
        },
        Case {
            id: n.hired_project.clone(),
            typename: "Project",
            seen_by: PARTIES_AND_ADMINS,
            direct: vec![by_id(
                "query($id: ID!) { project(id: $id) { id } }",
                &n.hired_project,
            )],
        },
        Case {
            id: n.w.proposal.clone(),
            typename: "Proposal",
            seen_by: PARTIES_AND_ADMINS,
            direct: vec![
                ("{ proposals(first: 100) { edges { node { id } } } }", json!({})),
                by_id(
                    "query($id: ID!) { project(id: $id) { proposals(first: 100) { edges { node { id } } } } }",
                    &n.w.open_project,
                ),
            ],
        },
        Case {
            id: n.w.contract.clone(),
            typename: "Contract",
            seen_by: PARTIES_AND_ADMINS,
            direct: vec![
                by_id("query($id: ID!) { contract(id: $id) { id } }", &n.w.contract),
                ("{ contracts(first: 100) { edges { node { id } } } }", json!({})),
            ],
        },
        Case {
            id: n.review.clone(),
            typename: "Review",
            seen_by: EVERYONE,
            direct: vec![by_id(
                "query($id: ID!) { user(id: $id) { reviews(first: 100) { edges { node { id } } } } }",
                &n.w.freelancer.id,
            )],
        },
        Case {
            id: n.item.clone(),
            typename: "PortfolioItem",
            seen_by: EVERYONE,
            direct: vec![(
                "query($f: ID!) { portfolioItems(freelancerId: $f, first: 100) { edges { node { id } } } }",
                json!({ "f": n.w.freelancer.id }),
            )],
        },
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_is_seen_by_node_as_by_its_direct_reads() {
    let n = nodes_world().await;
    let app = &n.w.app;
    let cases = cases(&n);
    for (viewer, token) in n.viewers() {
        let mut expected_list = Vec::new();
        for case in &cases {
            let visible = case.seen_by.contains(&viewer);
            for (query, vars) in &case.direct {
                let direct = app.gql(query, vars.clone(), token).await;
                assert_eq!(
                    shown(&direct, &case.id),
                    visible,
                    "{viewer}: {query} for a {}",
                    case.typename
                );
            }
            let reply = app.gql(NODE, json!({ "id": case.id }), token).await;
            let node = &reply.data()["node"];
            let expected = if visible {
                json!({ "__typename": case.typename, "id": case.id })
            } else {
                Value::Null
            };
            assert_eq!(
                *node, expected,
                "{viewer}: node of a {} ({:?})",
                case.typename, case.seen_by
            );
            expected_list.push(expected);
        }
        // All types at once: the same answers, in order.
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        let reply = app.gql(NODES, json!({ "ids": ids }), token).await;
        assert_eq!(
            reply.data()["nodes"],
            Value::Array(expected_list),
            "{viewer}: nodes"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_resolve_their_fields_by_the_usual_rules() {
    let n = nodes_world().await;
    let app = &n.w.app;
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) {
        ... on Project { title status }
        ... on User { name email }
        ... on Session { current }
        ... on Contract { status client { id } }
    } }";
    let ids = json!({ "ids": [n.w.open_project, n.w.client.id, n.session, n.w.contract] });
    let own = app.gql(query, ids.clone(), Some(&n.w.client.access)).await;
    assert_eq!(
        own.data()["nodes"],
        json!([
            { "title": "Open", "status": "OPEN" },
            { "name": "Test User", "email": "client@example.com" },
            { "current": true },
            { "status": "COMPLETED", "client": { "id": n.w.client.id } },
        ])
    );
    // Someone else: the private email is null, and so are the session and the contract.
    let other = app.gql(query, ids, Some(&n.w.other_client.access)).await;
    assert_eq!(
        other.data()["nodes"],
        json!([
            { "title": "Open", "status": "OPEN" },
            { "name": "Test User", "email": null },
            null,
            null,
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_and_ids_of_other_types_are_null_and_malformed_ones_refused() {
    let n = nodes_world().await;
    let app = &n.w.app;
    let captcha = app.gql("{ captcha { id } }", json!({}), None).await.data()["captcha"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The open project's UUID under another type's tag names no row of that type.
    let project_uuid = GlobalId::parse(&n.w.open_project).unwrap().uuid;
    let absent = [
        unknown_id::<UserId>(),
        unknown_id::<SessionId>(),
        unknown_id::<ProjectId>(),
        unknown_id::<ProposalId>(),
        unknown_id::<ContractId>(),
        unknown_id::<ReviewId>(),
        unknown_id::<PortfolioItemId>(),
        unknown_id::<AuditEventId>(),
        unknown_id::<MailId>(),
        captcha,
        UserId::from_uuid(project_uuid).to_global(),
        ContractId::from_uuid(project_uuid).to_global(),
    ];
    for (viewer, token) in n.viewers() {
        for id in &absent {
            let reply = app.gql(NODE, json!({ "id": id }), token).await;
            assert!(reply.data()["node"].is_null(), "{viewer}: {id}");
        }
        let reply = app.gql(NODES, json!({ "ids": absent }), token).await;
        assert_eq!(
            reply.data()["nodes"],
            json!(vec![Value::Null; absent.len()]),
            "{viewer}"
        );
    }
    for malformed in MALFORMED_IDS {
        let reply = app.gql(NODE, json!({ "id": malformed }), None).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
        assert_eq!(reply.field(), Some("id"));
        let reply = app
            .gql(
                NODES,
                json!({ "ids": [n.w.open_project, malformed] }),
                Some(&n.w.client.access),
            )
            .await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{}", reply.body);
        assert_eq!(reply.field(), Some("ids"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_keep_the_order_given_with_nulls_in_place() {
    let n = nodes_world().await;
    let app = &n.w.app;
    let unknown = unknown_id::<ProjectId>();
    let ids = json!({ "ids": [
        n.w.contract, n.w.open_project, unknown, n.w.client.id, n.w.contract, n.w.proposal, n.item,
    ] });
    let contract = json!({ "__typename": "Contract", "id": n.w.contract });
    let project = json!({ "__typename": "Project", "id": n.w.open_project });
    let user = json!({ "__typename": "User", "id": n.w.client.id });
    let proposal = json!({ "__typename": "Proposal", "id": n.w.proposal });
    let item = json!({ "__typename": "PortfolioItem", "id": n.item });
    let party = app.gql(NODES, ids.clone(), Some(&n.w.client.access)).await;
    assert_eq!(
        party.data()["nodes"],
        json!([contract, project, null, user, contract, proposal, item])
    );
    for token in [Some(n.w.other_client.access.as_str()), None] {
        let stranger = app.gql(NODES, ids.clone(), token).await;
        assert_eq!(
            stranger.data()["nodes"],
            json!([null, project, null, user, null, null, item])
        );
    }
    let none = app.gql(NODES, json!({ "ids": [] }), None).await;
    assert_eq!(none.data()["nodes"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_take_at_most_a_hundred_ids() {
    let app = TestApp::new().await;
    let ids: Vec<String> = (0..101).map(|_| unknown_id::<ProjectId>()).collect();
    let hundred = app.gql(NODES, json!({ "ids": ids[..100] }), None).await;
    assert_eq!(hundred.data()["nodes"], json!(vec![Value::Null; 100]));
    let more = app.gql(NODES, json!({ "ids": ids }), None).await;
    assert_eq!(more.code(), "BAD_USER_INPUT", "{}", more.body);
    assert_eq!(more.field(), Some("ids"));
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_count_their_selection_once_per_id() {
    let app = TestApp::with_env(&[("GRAPHQL_MAX_COMPLEXITY", "150")]).await;
    let ids = |count: usize| -> Vec<String> { (0..count).map(|_| unknown_id::<ProjectId>()).collect() };
    let two_fields = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Project { title } } }";
    // 60 ids × 2 fields + 1 fits in 150; 80 ids do not.
    let fits = app.gql(two_fields, json!({ "ids": ids(60) }), None).await;
    assert_eq!(fits.data()["nodes"].as_array().unwrap().len(), 60);
    let refused = app.gql(two_fields, json!({ "ids": ids(80) }), None).await;
    assert_eq!(refused.code(), "GRAPHQL_VALIDATION_FAILED", "{}", refused.body);
    // Past 100 ids the cost stops growing: the list is refused for its length,
    // with the field named, not by the complexity limit.
    let one_field = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    let long = app.gql(one_field, json!({ "ids": ids(500) }), None).await;
    assert_eq!(long.code(), "BAD_USER_INPUT", "{}", long.body);
    assert_eq!(long.field(), Some("ids"));
}

#[tokio::test(flavor = "multi_thread")]
async fn nodes_read_each_type_in_one_statement() {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let mut projects = Vec::new();
    for i in 0..30 {
        projects.push(post_project(&app, &client, &format!("Project {i}")).await);
    }
    let query = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Project { title status } } }";
    let mut counts = Vec::new();
    for count in [3, 30] {
        // Warm the session check (cached for seconds) so it is not counted.
        app.gql("{ me { id } }", json!({}), Some(&client.access))
            .await
            .data();
        let before = app.state.pool.statements();
        let reply = app
            .gql(query, json!({ "ids": projects[..count] }), Some(&client.access))
            .await;
        let nodes = reply.data()["nodes"].as_array().unwrap();
        assert_eq!(nodes.len(), count);
        assert!(nodes.iter().all(|n| n["__typename"] == "Project"));
        counts.push(app.state.pool.statements() - before);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 3 and 30 projects: {counts:?}"
    );
    assert_eq!(counts[0], 1, "one statement for the projects: {counts:?}");
}
