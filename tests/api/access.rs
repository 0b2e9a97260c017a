//! Authorization: a second user of each role tries the first user's ids, gets
//! `NOT_FOUND` or `FORBIDDEN`, and nothing changes.

use serde_json::json;

use crate::common::{Account, TestApp, unknown_id};
use crate::marketplace::{ACCEPT, SUBMIT, bid, post_project, project_input, submit};

/// Two clients and two freelancers; the client's open project with the
/// freelancer's proposal, and a second project the client hired the
/// freelancer for (its contract `ACTIVE`).
pub struct World {
    pub app: TestApp,
    pub client: Account,
    pub freelancer: Account,
    pub other_client: Account,
    pub other_freelancer: Account,
    pub open_project: String,
    pub proposal: String,
    pub contract: String,
}

pub async fn world() -> World {
    let app = TestApp::new().await;
    let client = app.register("client@example.com", "CLIENT").await;
    let freelancer = app.register("ann@example.com", "FREELANCER").await;
    let other_client = app.register("eve@example.com", "CLIENT").await;
    let other_freelancer = app.register("mallory@example.com", "FREELANCER").await;
    let open_project = post_project(&app, &client, "Open").await;
    let proposal = submit(&app, &freelancer, &open_project, "1200").await;
    let hired_project = post_project(&app, &client, "Hired").await;
    let hired = submit(&app, &freelancer, &hired_project, "1500").await;
    let contract = app
        .gql(ACCEPT, json!({ "id": hired }), Some(&client.access))
        .await
        .data()["acceptProposal"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        app,
        client,
        freelancer,
        other_client,
        other_freelancer,
        open_project,
        proposal,
        contract,
    }
}

const SNAPSHOT: &str = "query($p: ID!) { project(id: $p) { title status proposalCount proposals { edges { node { id status coverLetter } } } } }";

#[tokio::test(flavor = "multi_thread")]
async fn strangers_cannot_touch_projects_or_proposals() {
    let w = world().await;
    let before = w
        .app
        .gql(SNAPSHOT, json!({ "p": w.open_project }), Some(&w.client.access))
        .await
        .body;
    let attempts = [
        (
            "mutation($id: ID!) { updateProject(id: $id, input: {title: \"x\"}) { id } }",
            &w.open_project,
        ),
        (
            "mutation($id: ID!) { cancelProject(id: $id) { id } }",
            &w.open_project,
        ),
        ("mutation($id: ID!) { deleteProject(id: $id) }", &w.open_project),
        (
            "mutation($id: ID!) { updateProposal(id: $id, input: {coverLetter: \"x\"}) { id } }",
            &w.proposal,
        ),
        (
            "mutation($id: ID!) { withdrawProposal(id: $id) { id } }",
            &w.proposal,
        ),
        (
            "mutation($id: ID!) { acceptProposal(id: $id) { id } }",
            &w.proposal,
        ),
        (
            "mutation($id: ID!) { rejectProposal(id: $id) { id } }",
            &w.proposal,
        ),
    ];
    for stranger in [&w.other_client, &w.other_freelancer] {
        for (mutation, id) in attempts {
            let reply = w
                .app
                .gql(mutation, json!({ "id": id }), Some(&stranger.access))
                .await;
            assert!(
                matches!(reply.code(), "NOT_FOUND" | "FORBIDDEN"),
                "{mutation}: {}",
                reply.body
            );
        }
    }
    // The parties' wrong halves: the freelancer cannot act as the client and vice versa.
    for (mutation, token) in [
        (
            "mutation($id: ID!) { acceptProposal(id: $id) { id } }",
            &w.freelancer.access,
        ),
        (
            "mutation($id: ID!) { rejectProposal(id: $id) { id } }",
            &w.freelancer.access,
        ),
        (
            "mutation($id: ID!) { withdrawProposal(id: $id) { id } }",
            &w.client.access,
        ),
        (
            "mutation($id: ID!) { updateProposal(id: $id, input: {coverLetter: \"x\"}) { id } }",
            &w.client.access,
        ),
    ] {
        assert_eq!(
            w.app
                .gql(mutation, json!({ "id": w.proposal }), Some(token))
                .await
                .code(),
            "FORBIDDEN",
            "{mutation}"
        );
    }
    let after = w
        .app
        .gql(SNAPSHOT, json!({ "p": w.open_project }), Some(&w.client.access))
        .await
        .body;
    assert_eq!(before, after, "nothing changed");

    let theirs = w
        .app
        .gql(
            "{ proposals { totalCount } }",
            json!({}),
            Some(&w.other_freelancer.access),
        )
        .await;
    assert_eq!(theirs.data()["proposals"]["totalCount"], 0);
    let peek = w
        .app
        .gql(
            SNAPSHOT,
            json!({ "p": w.open_project }),
            Some(&w.other_client.access),
        )
        .await;
    assert_eq!(peek.data()["project"]["proposals"]["edges"], json!([]));
    assert_eq!(peek.data()["project"]["proposalCount"], 1, "the count is public");
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_are_enforced() {
    let w = world().await;
    let by_freelancer = w
        .app
        .gql(
            crate::marketplace::CREATE,
            project_input("Nope"),
            Some(&w.freelancer.access),
        )
        .await;
    assert_eq!(by_freelancer.code(), "FORBIDDEN");
    let by_client = w
        .app
        .gql(SUBMIT, bid(&w.open_project, "100"), Some(&w.other_client.access))
        .await;
    assert_eq!(by_client.code(), "FORBIDDEN");
    let anonymous = w.app.gql(SUBMIT, bid(&w.open_project, "100"), None).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let unknown = w
        .app
        .gql(
            SUBMIT,
            bid(&unknown_id::<agora::db::ProjectId>(), "100"),
            Some(&w.other_freelancer.access),
        )
        .await;
    assert_eq!(unknown.code(), "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn contracts_are_for_their_parties_only() {
    let w = world().await;
    let read = "query($id: ID!) { contract(id: $id) { id status } }";
    for party in [&w.client, &w.freelancer] {
        assert_eq!(
            w.app
                .gql(read, json!({ "id": w.contract }), Some(&party.access))
                .await
                .data()["contract"]["status"],
            "ACTIVE"
        );
    }
    for stranger in [
        Some(&w.other_client.access),
        Some(&w.other_freelancer.access),
        None,
    ] {
        // Invisible reads are null without an error, like unknown ids.
        let unseen = w
            .app
            .gql(read, json!({ "id": w.contract }), stranger.map(String::as_str))
            .await;
        assert!(unseen.data()["contract"].is_null());
        let unknown = json!({ "id": unknown_id::<agora::db::ContractId>() });
        assert!(
            w.app
                .gql(read, unknown, stranger.map(String::as_str))
                .await
                .data()["contract"]
                .is_null()
        );
        let Some(stranger) = stranger else { continue };
        for mutation in [
            "mutation($id: ID!) { completeContract(id: $id) { id } }",
            "mutation($id: ID!) { cancelContract(id: $id, reason: \"x\") { id } }",
        ] {
            assert_eq!(
                w.app
                    .gql(mutation, json!({ "id": w.contract }), Some(stranger))
                    .await
                    .code(),
                "NOT_FOUND"
            );
        }
        let list = w
            .app
            .gql("{ contracts { totalCount } }", json!({}), Some(stranger))
            .await;
        assert_eq!(list.data()["contracts"]["totalCount"], 0);
    }
    let hidden = w
        .app
        .gql(
            "{ projects(filter: {status: IN_PROGRESS}) { edges { node { contract { id } } } } }",
            json!({}),
            Some(&w.other_client.access),
        )
        .await;
    assert_eq!(hidden.data()["projects"]["edges"], json!([]));
    let as_client = w
        .app
        .gql(
            "{ contracts(filter: {role: AS_FREELANCER}) { totalCount } }",
            json!({}),
            Some(&w.client.access),
        )
        .await;
    assert_eq!(as_client.data()["contracts"]["totalCount"], 0);
    assert_eq!(
        w.app
            .gql(read, json!({ "id": w.contract }), Some(&w.client.access))
            .await
            .data()["contract"]["status"],
        "ACTIVE"
    );
}
