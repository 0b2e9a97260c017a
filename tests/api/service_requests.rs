//! Services, part two: service requests from request to review, who may do
//! what, eligibility, races, addresses, ratings and statement counts.

use serde_json::{Value, json};

use crate::common::{Account, TestApp, unknown_id};
use crate::services::{admin, ok, service, verified_professional};

const CREATE: &str = "mutation($input: CreateServiceRequestInput!) {
  createServiceRequest(input: $input) { id status area { postalCode city country } address { line1 postalCode } contactPhone } }";
const VIEW: &str = "query($id: ID!) { serviceRequest(id: $id) {
  id status area { postalCode } address { line1 } contactPhone professional { id } cancellationReason review { rating kind } } }";
const AVAILABLE: &str = "{ availableServiceRequests { totalCount edges { node { id area { postalCode city } address { line1 } contactPhone } } } }";
const CLAIM: &str = "mutation($id: ID!) { claimServiceRequest(id: $id) { status professional { id } address { line1 } contactPhone } }";
const ASSIGN: &str = "mutation($id: ID!, $p: ID!) { assignServiceRequest(id: $id, professionalId: $p) { status professional { id } } }";
const UNASSIGN: &str = "mutation($id: ID!) { unassignServiceRequest(id: $id, reason: \"Double booked\") { status professional { id } } }";
const START: &str = "mutation($id: ID!) { startServiceRequest(id: $id) { status startedAt } }";
const COMPLETE: &str = "mutation($id: ID!, $review: ServiceReviewInput) {
  completeServiceRequest(id: $id, review: $review) { status completedAt review { rating comment kind } } }";
const CANCEL: &str = "mutation($id: ID!) { cancelServiceRequest(id: $id, reason: \"Plans changed\") { status cancellationReason } }";

/// A client's request for `service` at postal code `code`; its id.
async fn request(app: &TestApp, client: &Account, service: &str, code: &str) -> String {
    let input = json!({ "input": { "serviceId": service, "description": "The kitchen tap drips.",
        "address": { "line1": "Invalidenstr. 1", "city": "Berlin", "postalCode": code, "country": "de" },
        "contactPhone": "+49 30 1234567" } });
    ok(app, CREATE, input, client).await["createServiceRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn status(app: &TestApp, admin: &Account, id: &str) -> Value {
    ok(app, VIEW, json!({ "id": id }), admin).await["serviceRequest"]["status"].clone()
}

/// Everyone a request's story needs.
struct World {
    app: TestApp,
    admin: Account,
    client: Account,
    pro: Account,
    service: String,
}

async fn world() -> World {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let service = service(&app, &admin, "Tap Repair").await;
    let client = app.register("ann@example.com", "CLIENT").await;
    let pro = verified_professional(&app, &admin, "bob@example.com", &service, &["10115"]).await;
    World {
        app,
        admin,
        client,
        pro,
        service,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_whole_story_from_catalogue_to_rating() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    let find = "query($s: ID!, $c: String!) { availableProfessionals(serviceId: $s, postalCode: $c) {
      totalCount edges { node { user { id } headline rating { count } } } } }";
    let found = app.gql(find, json!({ "s": service, "c": " 10115 " }), None).await;
    assert_eq!(found.data()["availableProfessionals"]["totalCount"], 1);
    assert_eq!(
        found.data()["availableProfessionals"]["edges"][0]["node"]["user"]["id"],
        pro.id.as_str()
    );

    let input = json!({ "input": { "serviceId": service, "description": "The kitchen tap drips.",
        "address": { "line1": "Invalidenstr. 1", "city": "Berlin", "postalCode": " 10115 ", "country": "de" },
        "contactPhone": "+49 30 1234567" } });
    let created = ok(&app, CREATE, input, &client).await["createServiceRequest"].clone();
    assert_eq!(created["status"], "REQUESTED");
    assert_eq!(
        created["area"],
        json!({ "postalCode": "10115", "city": "Berlin", "country": "DE" })
    );
    assert_eq!(created["contactPhone"], "+49301234567");
    let id = created["id"].as_str().unwrap().to_owned();

    // The professional sees it without the street, then claims it.
    let open = ok(&app, AVAILABLE, json!({}), &pro).await["availableServiceRequests"].clone();
    assert_eq!(open["totalCount"], 1);
    let node = &open["edges"][0]["node"];
    assert_eq!(node["area"]["city"], "Berlin");
    assert!(node["address"].is_null() && node["contactPhone"].is_null());
    assert!(ok(&app, VIEW, json!({ "id": id }), &pro).await["serviceRequest"].is_null());
    let claimed = ok(&app, CLAIM, json!({ "id": id }), &pro).await["claimServiceRequest"].clone();
    assert_eq!(claimed["status"], "ASSIGNED");
    assert_eq!(claimed["address"]["line1"], "Invalidenstr. 1");
    assert_eq!(claimed["contactPhone"], "+49301234567");
    assert_eq!(
        ok(&app, AVAILABLE, json!({}), &pro).await["availableServiceRequests"]["totalCount"],
        0
    );

    assert_eq!(
        ok(&app, START, json!({ "id": id }), &pro).await["startServiceRequest"]["status"],
        "IN_PROGRESS"
    );
    let review = json!({ "rating": 4, "comment": "Quick and tidy." });
    let done =
        ok(&app, COMPLETE, json!({ "id": id, "review": review }), &client).await["completeServiceRequest"]
            .clone();
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(
        done["review"],
        json!({ "rating": 4, "comment": "Quick and tidy.", "kind": "SERVICE_REQUEST" })
    );

    // The rating counts it; the review says what it was for.
    let user =
        "query($id: ID!) { user(id: $id) { rating { average count } professionalProfile { rating { count } }
      reviews { edges { node { kind rating subject { __typename ... on ServiceRequest { id } } } } } } }";
    let seen = app.gql(user, json!({ "id": pro.id }), None).await;
    let seen = &seen.data()["user"];
    assert_eq!(seen["rating"], json!({ "average": 4.0, "count": 1 }));
    assert_eq!(seen["professionalProfile"]["rating"]["count"], 1);
    let review = &seen["reviews"]["edges"][0]["node"];
    assert_eq!(review["kind"], "SERVICE_REQUEST");
    assert!(
        review["subject"].is_null(),
        "anonymous viewers do not see the request"
    );
    let own = ok(&app, user, json!({ "id": pro.id }), &pro).await;
    assert_eq!(
        own["user"]["reviews"]["edges"][0]["node"]["subject"]["id"],
        id.as_str()
    );

    let mails = app
        .column("SELECT kind AS v FROM mail_outbox ORDER BY created_at")
        .await;
    let mails: Vec<_> = mails.into_iter().flatten().collect();
    for kind in [
        "REQUEST_ASSIGNED_TO_PROFESSIONAL",
        "REQUEST_ASSIGNED_TO_CLIENT",
        "REQUEST_COMPLETED",
    ] {
        assert!(mails.iter().any(|m| m == kind), "{kind} in {mails:?}");
    }
    let list = "query($f: ServiceRequestFilterInput) { serviceRequests(filter: $f) { totalCount } }";
    for (who, filter, count) in [
        (&client, json!({ "role": "AS_CLIENT" }), 1),
        (&client, json!({ "role": "AS_PROFESSIONAL" }), 0),
        (
            &pro,
            json!({ "role": "AS_PROFESSIONAL", "status": "COMPLETED" }),
            1,
        ),
        (&admin, json!({ "clientId": client.id, "serviceId": service }), 1),
        (&admin, json!({ "createdAfter": "2999-01-01T00:00:00Z" }), 0),
    ] {
        let got = ok(&app, list, json!({ "f": filter }), who).await;
        assert_eq!(got["serviceRequests"]["totalCount"], count, "{filter}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_status_rule_holds() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    let id = request(&app, &client, &service, "10115").await;
    // From REQUESTED: no start, no completion, no unassign.
    for (query, who) in [(START, &pro), (COMPLETE, &client), (UNASSIGN, &admin)] {
        let reply = app.gql(query, json!({ "id": id }), Some(&who.access)).await;
        let expected = if std::ptr::eq(who, &pro) {
            "NOT_FOUND"
        } else {
            "INVALID_STATE"
        };
        assert_eq!(reply.code(), expected, "{query}");
    }
    let reply = app.gql(COMPLETE, json!({ "id": id }), Some(&client.access)).await;
    assert!(reply.message().contains("REQUESTED"), "{}", reply.message());
    ok(&app, ASSIGN, json!({ "id": id, "p": pro.id }), &admin).await;
    assert_eq!(
        app.gql(ASSIGN, json!({ "id": id, "p": pro.id }), Some(&admin.access))
            .await
            .code(),
        "INVALID_STATE"
    );
    let back = ok(&app, UNASSIGN, json!({ "id": id }), &admin).await["unassignServiceRequest"].clone();
    assert_eq!(back, json!({ "status": "REQUESTED", "professional": null }));
    ok(&app, CLAIM, json!({ "id": id }), &pro).await;
    ok(&app, START, json!({ "id": id }), &pro).await;
    // IN_PROGRESS: the client may no longer cancel; an admin may.
    let reply = app.gql(CANCEL, json!({ "id": id }), Some(&client.access)).await;
    assert_eq!(reply.code(), "INVALID_STATE");
    assert!(reply.message().contains("IN_PROGRESS"));
    assert_eq!(
        app.gql(START, json!({ "id": id }), Some(&pro.access))
            .await
            .code(),
        "INVALID_STATE"
    );
    let cancelled = ok(&app, CANCEL, json!({ "id": id }), &admin).await["cancelServiceRequest"].clone();
    assert_eq!(
        cancelled,
        json!({ "status": "CANCELLED", "cancellationReason": "Plans changed" })
    );
    for (query, who) in [(CANCEL, &admin), (COMPLETE, &client), (START, &pro)] {
        assert_eq!(
            app.gql(query, json!({ "id": id }), Some(&who.access))
                .await
                .code(),
            "INVALID_STATE"
        );
    }
    assert!(
        app.column(
            "SELECT kind AS v FROM mail_outbox WHERE kind IN ('REQUEST_CANCELLED', 'REQUEST_UNASSIGNED')"
        )
        .await
        .len()
            == 2
    );

    // The client cancels before the work starts; a completion needs no review
    // but a review must be 1 to 5 stars.
    let second = request(&app, &client, &service, "10115").await;
    assert_eq!(
        ok(&app, CANCEL, json!({ "id": second }), &client).await["cancelServiceRequest"]["status"],
        "CANCELLED"
    );
    let third = request(&app, &client, &service, "10115").await;
    ok(&app, CLAIM, json!({ "id": third }), &pro).await;
    ok(&app, START, json!({ "id": third }), &pro).await;
    let bad = app
        .gql(
            COMPLETE,
            json!({ "id": third, "review": { "rating": 6 } }),
            Some(&client.access),
        )
        .await;
    assert_eq!((bad.code(), bad.field()), ("BAD_USER_INPUT", Some("rating")));
    assert_eq!(
        status(&app, &admin, &third).await,
        "IN_PROGRESS",
        "nothing changed"
    );
    let done = ok(&app, COMPLETE, json!({ "id": third }), &client).await["completeServiceRequest"].clone();
    assert_eq!(done["status"], "COMPLETED");
    assert!(done["review"].is_null());

    // A deactivated service takes no new requests; open ones go on.
    let open = request(&app, &client, &service, "10115").await;
    ok(
        &app,
        "mutation($id: ID!) { deactivateService(id: $id) { id } }",
        json!({ "id": service }),
        &admin,
    )
    .await;
    let input = json!({ "input": { "serviceId": service, "description": "x",
        "address": { "line1": "a", "city": "Berlin", "postalCode": "10115", "country": "DE" } } });
    let reply = app.gql(CREATE, input, Some(&client.access)).await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", Some("serviceId"))
    );
    ok(&app, CLAIM, json!({ "id": open }), &pro).await;
    assert_eq!(
        ok(&app, START, json!({ "id": open }), &pro).await["startServiceRequest"]["status"],
        "IN_PROGRESS"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_checked_when_made() {
    let World {
        app,
        client,
        pro,
        service,
        ..
    } = world().await;
    let base = json!({ "serviceId": service, "description": "Fix it",
        "address": { "line1": "Invalidenstr. 1", "city": "Berlin", "postalCode": "10115", "country": "DE" } });
    let with = |patch: Value| {
        let mut input = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    assert_eq!(
        app.gql(CREATE, with(json!({})), Some(&pro.access)).await.code(),
        "FORBIDDEN"
    );
    let reply = app
        .gql(
            CREATE,
            with(json!({ "serviceId": unknown_id::<agora::db::ServiceId>() })),
            Some(&client.access),
        )
        .await;
    assert_eq!(reply.code(), "NOT_FOUND");
    for (patch, field) in [
        (json!({ "description": " " }), "description"),
        (
            json!({ "address": { "line1": "a", "city": "Berlin", "country": "DE" } }),
            "address.postalCode",
        ),
        (
            json!({ "address": { "line1": "a", "city": " ", "postalCode": "1", "country": "DE" } }),
            "address.city",
        ),
        (
            json!({ "address": { "line1": "a", "city": "B", "postalCode": "1", "country": "ZZ" } }),
            "address.country",
        ),
        (json!({ "contactPhone": "030 1234" }), "contactPhone"),
        (
            json!({ "preferredStart": "2001-01-01T00:00:00Z" }),
            "preferredStart",
        ),
        (
            json!({ "preferredStart": "2990-01-02T00:00:00Z", "preferredEnd": "2990-01-01T00:00:00Z" }),
            "preferredEnd",
        ),
    ] {
        let reply = app.gql(CREATE, with(patch.clone()), Some(&client.access)).await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", Some(field)),
            "{patch}: {}",
            reply.body
        );
    }
    assert!(
        app.column("SELECT CAST(id AS TEXT) AS v FROM service_requests")
            .await
            .is_empty()
    );
    let gated = TestApp::with_env(&[("REQUIRE_VERIFIED_EMAIL", "true")]).await;
    let gadmin = admin(&gated).await;
    let svc = crate::services::service(&gated, &gadmin, "Cleaning").await;
    let unverified = gated.register("zoe@example.com", "CLIENT").await;
    let mut input = with(json!({}));
    input["input"]["serviceId"] = json!(svc);
    let reply = gated.gql(CREATE, input, Some(&unverified.access)).await;
    assert_eq!(reply.code(), "FORBIDDEN");
    assert_eq!(
        reply.body["errors"][0]["extensions"]["reason"],
        "EMAIL_NOT_VERIFIED"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn assign_and_claim_name_why_a_professional_is_not_eligible() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    let other_service = crate::services::service(&app, &admin, "Painting").await;
    let elsewhere = verified_professional(&app, &admin, "far@example.com", &service, &["80331"]).await;
    let painter = verified_professional(&app, &admin, "paint@example.com", &other_service, &["10115"]).await;
    let pending = app.register("new@example.com", "FREELANCER").await;
    let blocked = verified_professional(&app, &admin, "gone@example.com", &service, &["10115"]).await;
    app.sql("UPDATE users SET blocked_at = created_at WHERE email = 'gone@example.com'")
        .await;
    let id = request(&app, &client, &service, "10115").await;

    for (who, reason) in [
        (&elsewhere.id, "does not cover postal code 10115"),
        (&painter.id, "does not offer this service"),
        (&pending.id, "not VERIFIED"),
        (&blocked.id, "not active"),
        (&client.id, "not a professional"),
        (&id, "not a professional"),
    ] {
        let reply = app
            .gql(ASSIGN, json!({ "id": id, "p": who }), Some(&admin.access))
            .await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", Some("professionalId")),
            "{reason}"
        );
        assert!(reply.message().contains(reason), "{reason}: {}", reply.message());
    }
    for (who, reason) in [
        (&elsewhere, "do not cover postal code 10115"),
        (&painter, "do not offer this service"),
        (&pending, "not VERIFIED"),
    ] {
        let reply = app.gql(CLAIM, json!({ "id": id }), Some(&who.access)).await;
        assert_eq!(reply.code(), "FORBIDDEN", "{reason}");
        assert!(reply.message().contains(reason), "{reason}: {}", reply.message());
    }
    let reply = app.gql(CLAIM, json!({ "id": id }), Some(&client.access)).await;
    assert_eq!(reply.code(), "FORBIDDEN");
    assert_eq!(status(&app, &admin, &id).await, "REQUESTED", "nothing changed");
    assert!(
        app.column("SELECT CAST(id AS TEXT) AS v FROM mail_outbox WHERE kind LIKE 'REQUEST_%'")
            .await
            .is_empty()
    );
    let assigned = ok(&app, ASSIGN, json!({ "id": id, "p": pro.id }), &admin).await;
    assert_eq!(
        assigned["assignServiceRequest"]["professional"]["id"],
        pro.id.as_str()
    );
    // The blocked professional is not offered to clients either.
    let find =
        "query($s: ID!) { availableProfessionals(serviceId: $s, postalCode: \"10115\") { totalCount } }";
    assert_eq!(
        app.gql(find, json!({ "s": service }), None).await.data()["availableProfessionals"]["totalCount"],
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_claims_and_assignments_have_exactly_one_winner() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    let mut pros = vec![pro];
    for i in 0..4 {
        pros.push(
            verified_professional(&app, &admin, &format!("p{i}@example.com"), &service, &["10115"]).await,
        );
    }
    for round in 0..3 {
        let id = request(&app, &client, &service, "10115").await;
        let app = &app;
        let claims = pros.iter().map(|p| {
            let id = id.clone();
            async move { app.gql(CLAIM, json!({ "id": id }), Some(&p.access)).await }
        });
        let assign = app.gql(
            ASSIGN,
            json!({ "id": id, "p": pros[round].id }),
            Some(&admin.access),
        );
        let (replies, assigned) = tokio::join!(futures_util::future::join_all(claims), assign);
        let replies: Vec<_> = replies.into_iter().chain([assigned]).collect();
        let won = replies.iter().filter(|r| r.body["errors"].is_null()).count();
        assert_eq!(
            won,
            1,
            "round {round}: {:?}",
            replies.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        for lost in replies.iter().filter(|r| !r.body["errors"].is_null()) {
            assert_eq!(lost.code(), "INVALID_STATE", "{}", lost.body);
        }
        let assignments = app
            .column("SELECT kind AS v FROM mail_outbox WHERE kind = 'REQUEST_ASSIGNED_TO_CLIENT'")
            .await;
        assert_eq!(assignments.len(), round + 1, "one assignment mailed per request");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_wrong_viewer_is_refused_and_nothing_changes() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    let other_client = app.register("eve@example.com", "CLIENT").await;
    let other_pro = verified_professional(&app, &admin, "mal@example.com", &service, &["10115"]).await;
    let id = request(&app, &client, &service, "10115").await;
    ok(&app, ASSIGN, json!({ "id": id, "p": pro.id }), &admin).await;

    let wrong: [(&str, &Account, &str); 10] = [
        (START, &client, "FORBIDDEN"),
        (START, &other_pro, "NOT_FOUND"),
        (START, &admin, "FORBIDDEN"),
        (COMPLETE, &pro, "FORBIDDEN"),
        (COMPLETE, &other_client, "NOT_FOUND"),
        (CANCEL, &pro, "FORBIDDEN"),
        (CANCEL, &other_client, "NOT_FOUND"),
        (UNASSIGN, &client, "FORBIDDEN"),
        (UNASSIGN, &pro, "FORBIDDEN"),
        (CLAIM, &other_client, "FORBIDDEN"),
    ];
    for (query, who, code) in wrong {
        let reply = app.gql(query, json!({ "id": id }), Some(&who.access)).await;
        assert_eq!(reply.code(), code, "{query} by {}: {}", who.email, reply.body);
    }
    let anonymous = app.gql(START, json!({ "id": id }), None).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let assign = app
        .gql(
            ASSIGN,
            json!({ "id": id, "p": other_pro.id }),
            Some(&client.access),
        )
        .await;
    assert_eq!(assign.code(), "FORBIDDEN");
    assert_eq!(
        app.gql(CLAIM, json!({ "id": id }), Some(&other_pro.access))
            .await
            .code(),
        "INVALID_STATE"
    );
    for who in [&other_client, &other_pro] {
        assert!(ok(&app, VIEW, json!({ "id": id }), who).await["serviceRequest"].is_null());
    }
    let view = ok(&app, VIEW, json!({ "id": id }), &admin).await["serviceRequest"].clone();
    assert_eq!(view["status"], "ASSIGNED");
    assert_eq!(view["professional"]["id"], pro.id.as_str());
    assert!(view["cancellationReason"].is_null());
    let node = "query($id: ID!) { node(id: $id) { ... on ServiceRequest { status } } }";
    assert!(ok(&app, node, json!({ "id": id }), &other_pro).await["node"].is_null());
    assert_eq!(
        ok(&app, node, json!({ "id": id }), &client).await["node"]["status"],
        "ASSIGNED"
    );
    assert_eq!(
        app.gql(AVAILABLE, json!({}), Some(&client.access)).await.code(),
        "FORBIDDEN"
    );
    let unverified = app.register("nov@example.com", "FREELANCER").await;
    assert_eq!(
        app.gql(AVAILABLE, json!({}), Some(&unverified.access))
            .await
            .code(),
        "FORBIDDEN"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn professionals_are_listed_best_rated_first_and_unrated_last() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    let good = verified_professional(&app, &admin, "good@example.com", &service, &["10115"]).await;
    let _new = verified_professional(&app, &admin, "new@example.com", &service, &["10115"]).await;
    for (who, rating) in [(&pro, 3), (&good, 5)] {
        let id = request(&app, &client, &service, "10115").await;
        ok(&app, CLAIM, json!({ "id": id }), who).await;
        ok(&app, START, json!({ "id": id }), who).await;
        ok(
            &app,
            COMPLETE,
            json!({ "id": id, "review": { "rating": rating } }),
            &client,
        )
        .await;
    }
    let find = "query($s: ID!, $after: String) { availableProfessionals(serviceId: $s, postalCode: \"10115\", first: 2, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { user { email } rating { average } } } } }";
    let first = app.gql(find, json!({ "s": service }), Some(&admin.access)).await;
    let page = &first.data()["availableProfessionals"];
    let emails: Vec<_> = page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["user"]["email"].clone())
        .collect();
    assert_eq!(emails, [json!("good@example.com"), json!("bob@example.com")]);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = app
        .gql(
            find,
            json!({ "s": service, "after": page["pageInfo"]["endCursor"] }),
            Some(&admin.access),
        )
        .await;
    let rest = &next.data()["availableProfessionals"]["edges"];
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(rest[0]["node"]["user"]["email"], "new@example.com");
    assert!(rest[0]["node"]["rating"]["average"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_page_runs_a_constant_number_of_statements() {
    let World {
        app,
        admin,
        client,
        pro,
        service,
    } = world().await;
    for i in 0..30 {
        let id = request(&app, &client, &service, "10115").await;
        if i % 2 == 0 {
            ok(&app, ASSIGN, json!({ "id": id, "p": pro.id }), &admin).await;
        }
    }
    let page = "query($first: Int) { serviceRequests(first: $first) { totalCount edges { node {
      status service { name basePrice { amount } } client { name avatarUrl } professional { name rating { count } professionalProfile { headline } } review { rating } } } } }";
    let mut counts = Vec::new();
    for first in [5, 30] {
        ok(&app, "{ me { id } }", json!({}), &admin).await;
        let before = app.state.pool.statements();
        let reply = ok(&app, page, json!({ "first": first }), &admin).await;
        assert_eq!(reply["serviceRequests"]["edges"].as_array().unwrap().len(), first);
        counts.push(app.state.pool.statements() - before);
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 5 and 30 requests: {counts:?}"
    );
    assert!(counts[0] <= 10, "{counts:?}");
}
