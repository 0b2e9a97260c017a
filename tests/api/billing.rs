//! Billing: drafting, gap-free numbers, paying with idempotency keys,
//! refunds, who may do what, and statement counts.

use serde_json::{Value, json};

use crate::access::{World, world};
use crate::common::{Account, Reply, TestApp};
use crate::services::{admin, ok};

const CREATE: &str = "mutation($input: CreateBillInput!) { createBill(input: $input) {
  id number status currency subtotal { amount } taxRate tax { amount } total { amount currency }
  lines { description quantity unitPrice { amount } amount { amount } } payer { id } issuer { id } } }";
const ISSUE: &str = "mutation($id: ID!) { issueBill(id: $id) { number status issuedAt } }";
const VIEW: &str = "query($id: ID!) { bill(id: $id) { status number paidAt payments { status } } }";
const PAY: &str = "mutation($input: PayBillInput!) { payBill(input: $input) {
  id status failureReason providerReference amount { amount } method bill { status } } }";

/// Days from now, as an RFC 3339 time.
fn days(n: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::days(n)).to_rfc3339()
}

fn line(description: &str, quantity: &str, price: &str) -> Value {
    json!({ "description": description, "quantity": quantity, "unitPrice": price })
}

/// The contract's currency.
async fn contract_currency(w: &World) -> String {
    let q = "query($id: ID!) { contract(id: $id) { amount { currency } } }";
    ok(&w.app, q, json!({ "id": w.contract }), &w.client).await["contract"]["amount"]["currency"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A draft for the world's contract, by its freelancer.
async fn draft(w: &World, currency: &str) -> Value {
    let input = json!({ "input": { "contractId": w.contract, "currency": currency,
        "lines": [line("Design", "10", "45.50"), line("Review", "1.5", "0.33")],
        "taxRate": "19", "dueAt": days(14) } });
    ok(&w.app, CREATE, input, &w.freelancer).await["createBill"].clone()
}

async fn pay(app: &TestApp, who: &Account, bill: &str, token: Option<&str>, key: &str) -> Reply {
    let method = if token.is_some() { "CARD" } else { "BANK_TRANSFER" };
    let input =
        json!({ "input": { "billId": bill, "method": method, "cardToken": token, "idempotencyKey": key } });
    app.gql(PAY, input, Some(&who.access)).await
}

async fn column(app: &TestApp, select: &str) -> Vec<String> {
    app.column(select).await.into_iter().flatten().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn contract_bill_issue_decline_pay_receipt_refund() {
    let w = world().await;
    let app = &w.app;
    let admin = admin(app).await;
    let currency = contract_currency(&w).await;
    let bill = draft(&w, &currency).await;
    assert_eq!(bill["status"], "DRAFT");
    assert!(bill["number"].is_null());
    // 10 × 45.50 = 455.00; 1.5 × 0.33 = 0.495 → 0.50; 19 % of 455.50 = 86.545 → 86.55
    assert_eq!(bill["lines"][1]["quantity"], "1.500");
    assert_eq!(bill["lines"][1]["amount"]["amount"], "0.50");
    assert_eq!(bill["subtotal"]["amount"], "455.50");
    assert_eq!(bill["taxRate"], "19.00");
    assert_eq!(bill["tax"]["amount"], "86.55");
    assert_eq!(bill["total"]["amount"], "542.05");
    assert_eq!(bill["payer"]["id"], w.client.id.as_str());
    assert_eq!(bill["issuer"]["id"], w.freelancer.id.as_str());
    let id = bill["id"].as_str().unwrap().to_owned();

    // The payer does not see a draft, nor pay it.
    assert!(ok(app, VIEW, json!({ "id": id }), &w.client).await["bill"].is_null());
    assert_eq!(
        pay(app, &w.client, &id, Some("tok_visa"), "k0").await.code(),
        "NOT_FOUND"
    );

    let issued = ok(app, ISSUE, json!({ "id": id }), &w.freelancer).await["issueBill"].clone();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(issued["number"], format!("AG-{year}-000001"));
    assert_eq!(issued["status"], "ISSUED");
    assert_eq!(
        ok(app, VIEW, json!({ "id": id }), &w.client).await["bill"]["status"],
        "ISSUED"
    );

    // Declined: the payment is the answer, the bill stays payable.
    let declined = pay(app, &w.client, &id, Some("tok_chargeDeclined"), "key-1").await;
    let declined = declined.data()["payBill"].clone();
    assert_eq!(declined["status"], "FAILED");
    assert_eq!(declined["failureReason"], "CARD_DECLINED");
    assert_eq!(declined["bill"]["status"], "ISSUED");
    let again = pay(app, &w.client, &id, Some("tok_chargeDeclined"), "key-1").await;
    assert_eq!(
        again.data()["payBill"]["id"],
        declined["id"],
        "a replay answers the same payment"
    );
    let other = pay(app, &w.client, &id, Some("tok_visa"), "key-1").await;
    assert_eq!(
        (other.code(), other.field()),
        ("CONFLICT", Some("idempotencyKey"))
    );

    let paid = pay(app, &w.client, &id, Some("tok_visa"), "key-2").await.data()["payBill"].clone();
    assert_eq!(paid["status"], "SUCCEEDED");
    assert_eq!(paid["amount"]["amount"], "542.05");
    assert!(
        paid["providerReference"]
            .as_str()
            .unwrap()
            .starts_with("ch_test_")
    );
    assert_eq!(paid["bill"]["status"], "PAID");
    let view = ok(app, VIEW, json!({ "id": id }), &w.freelancer).await["bill"].clone();
    assert_eq!(
        view["payments"],
        json!([{ "status": "SUCCEEDED" }, { "status": "FAILED" }])
    );
    let third = pay(app, &w.client, &id, Some("tok_visa"), "key-3").await;
    assert_eq!(third.code(), "INVALID_STATE");

    let mails = column(app, "SELECT kind AS v FROM mail_outbox").await;
    for kind in ["BILL_ISSUED", "PAYMENT_RECEIPT", "BILL_PAID"] {
        assert!(mails.iter().any(|m| m == kind), "{kind} in {mails:?}");
    }
    let summary = "{ billingSummary { outstanding { amount } paid { amount currency } } }";
    let seen = ok(app, summary, json!({}), &w.client).await["billingSummary"].clone();
    assert_eq!(
        seen["paid"],
        json!([{ "amount": "542.05", "currency": currency }])
    );
    assert_eq!(seen["outstanding"], json!([]));

    let refund =
        "mutation($id: ID!) { refundPayment(id: $id, reason: \"Duplicate\") { status bill { status } } }";
    let pid = paid["id"].as_str().unwrap();
    assert_eq!(
        app.gql(refund, json!({ "id": pid }), Some(&w.client.access))
            .await
            .code(),
        "FORBIDDEN"
    );
    let refunded = ok(app, refund, json!({ "id": pid }), &admin).await["refundPayment"].clone();
    assert_eq!(
        refunded,
        json!({ "status": "REFUNDED", "bill": { "status": "REFUNDED" } })
    );
    assert_eq!(
        app.gql(refund, json!({ "id": pid }), Some(&admin.access))
            .await
            .code(),
        "INVALID_STATE"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_validation_error_names_its_field() {
    let w = world().await;
    let app = &w.app;
    let admin = admin(app).await;
    let currency = contract_currency(&w).await;
    let other = if currency == "EUR" { "USD" } else { "EUR" };
    let base = json!({ "contractId": w.contract, "currency": currency, "lines": [line("Work", "1", "10")], "dueAt": days(7) });
    let with = |patch: Value| {
        let mut input = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    for (patch, field) in [
        (json!({ "lines": [] }), "lines"),
        (
            json!({ "lines": [line("a", "1", "1"), line("b", "0", "1")] }),
            "lines.1.quantity",
        ),
        (json!({ "lines": [line("a", "1.0005", "1")] }), "lines.0.quantity"),
        (json!({ "lines": [line("a", "1", "-1")] }), "lines.0.unitPrice"),
        (
            json!({ "lines": [line("a", "1", "1"), line(" ", "1", "1")] }),
            "lines.1.description",
        ),
        (json!({ "taxRate": "100.5" }), "taxRate"),
        (json!({ "taxRate": "7.125" }), "taxRate"),
        (json!({ "dueAt": days(-1) }), "dueAt"),
        (json!({ "currency": "XXX" }), "currency"),
        (json!({ "currency": other }), "currency"),
        (
            json!({ "serviceRequestId": crate::common::unknown_id::<agora::db::ServiceRequestId>() }),
            "serviceRequestId",
        ),
        (json!({ "payerId": w.other_client.id }), "payerId"),
    ] {
        let reply = app
            .gql(CREATE, with(patch.clone()), Some(&w.freelancer.access))
            .await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", Some(field)),
            "{patch}: {}",
            reply.body
        );
    }
    let many: Vec<Value> = (0..101).map(|i| line(&format!("l{i}"), "1", "1")).collect();
    let reply = app
        .gql(CREATE, with(json!({ "lines": many })), Some(&w.freelancer.access))
        .await;
    assert_eq!(reply.field(), Some("lines"));
    // Manual bills: admins only, with a client as payer.
    let manual =
        json!({ "input": { "currency": "EUR", "lines": [line("Fee", "1", "5")], "dueAt": days(3) } });
    let reply = app.gql(CREATE, manual.clone(), Some(&w.freelancer.access)).await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", Some("contractId"))
    );
    let reply = app.gql(CREATE, manual.clone(), Some(&admin.access)).await;
    assert_eq!(reply.field(), Some("payerId"));
    let mut to_freelancer = manual.clone();
    to_freelancer["input"]["payerId"] = json!(w.freelancer.id);
    assert_eq!(
        app.gql(CREATE, to_freelancer, Some(&admin.access)).await.field(),
        Some("payerId")
    );
    // Clients do not bill; others' contracts are not yours to bill.
    assert_eq!(
        app.gql(CREATE, with(json!({})), Some(&w.client.access))
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql(CREATE, with(json!({})), Some(&w.other_freelancer.access))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert!(
        column(app, "SELECT CAST(id AS TEXT) AS v FROM bills")
            .await
            .is_empty(),
        "nothing was written"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_issues_take_numbers_one_to_fifty() {
    let app = TestApp::with_env(&[("BILL_NUMBER_PREFIX", "INV")]).await;
    let admin = admin(&app).await;
    let client = app.register("ann@example.com", "CLIENT").await;
    let mut ids = Vec::new();
    for i in 0..50 {
        let input = json!({ "input": { "payerId": client.id, "currency": "EUR",
            "lines": [line(&format!("Item {i}"), "1", "10")], "dueAt": days(30) } });
        ids.push(
            ok(&app, CREATE, input, &admin).await["createBill"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let app = &app;
    let issues = ids.iter().map(|id| {
        let admin = admin.clone();
        async move { app.gql(ISSUE, json!({ "id": id }), Some(&admin.access)).await }
    });
    let replies = futures_util::future::join_all(issues).await;
    let mut numbers: Vec<String> = replies
        .iter()
        .map(|r| r.data()["issueBill"]["number"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    let year = chrono::Utc::now().format("%Y").to_string();
    let expected: Vec<String> = (1..=50).map(|n| format!("INV-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // A voided bill keeps its number; the next issue does not reuse it.
    let void = "mutation($id: ID!) { voidBill(id: $id, reason: \"Sent twice\") { status number } }";
    let voided = ok(app, void, json!({ "id": ids[0] }), &admin).await["voidBill"].clone();
    assert_eq!(voided["status"], "VOID");
    let input = json!({ "input": { "payerId": client.id, "currency": "EUR", "lines": [line("x", "1", "1")], "dueAt": days(30) } });
    let next = ok(app, CREATE, input, &admin).await["createBill"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let issued = ok(app, ISSUE, json!({ "id": next }), &admin).await;
    assert_eq!(issued["issueBill"]["number"], format!("INV-{year}-000051"));
    assert!(
        column(
            app,
            "SELECT kind AS v FROM mail_outbox WHERE kind = 'BILL_VOIDED'"
        )
        .await
        .len()
            == 1
    );
}

/// An issued manual bill to a new client; the client and the bill id.
async fn issued_bill(app: &TestApp, admin: &Account, email: &str) -> (Account, String) {
    let client = app.register(email, "CLIENT").await;
    let input = json!({ "input": { "payerId": client.id, "currency": "EUR",
        "lines": [line("Fee", "2", "25.00")], "taxRate": "0", "dueAt": days(10) } });
    let id = ok(app, CREATE, input, admin).await["createBill"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(app, ISSUE, json!({ "id": id }), admin).await;
    (client, id)
}

#[tokio::test(flavor = "multi_thread")]
async fn idempotency_keys_never_charge_twice() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let app = &app;
    // The same key ten times at once: one payment.
    let (ann, bill) = issued_bill(app, &admin, "ann@example.com").await;
    let replies =
        futures_util::future::join_all((0..10).map(|_| pay(app, &ann, &bill, Some("tok_visa"), "same-key")))
            .await;
    let ids: Vec<Value> = replies
        .iter()
        .map(|r| r.data()["payBill"]["id"].clone())
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let rows = column(app, "SELECT status AS v FROM payments").await;
    assert_eq!(rows, ["SUCCEEDED"]);
    assert_eq!(
        ok(app, VIEW, json!({ "id": bill }), &ann).await["bill"]["status"],
        "PAID"
    );

    // Two keys at once: one payment, the other INVALID_STATE.
    let (bob, bill) = issued_bill(app, &admin, "bob@example.com").await;
    let (a, b) = tokio::join!(
        pay(app, &bob, &bill, Some("tok_visa"), "key-a"),
        pay(app, &bob, &bill, Some("tok_mastercard"), "key-b")
    );
    let won = [&a, &b].iter().filter(|r| r.body["errors"].is_null()).count();
    assert_eq!(won, 1, "{} / {}", a.body, b.body);
    let lost = if a.body["errors"].is_null() { &b } else { &a };
    assert_eq!(lost.code(), "INVALID_STATE");
    let live = column(app, "SELECT status AS v FROM payments WHERE status <> 'FAILED'").await;
    assert_eq!(live.len(), 2, "one per bill: {live:?}");

    // A bank transfer stays PENDING until an admin settles it; the bill
    // cannot be voided meanwhile, nor paid twice.
    let (cat, bill) = issued_bill(app, &admin, "cat@example.com").await;
    let pending = pay(app, &cat, &bill, None, "wire-1").await.data()["payBill"].clone();
    assert_eq!(pending["status"], "PENDING");
    let void = "mutation($id: ID!) { voidBill(id: $id, reason: \"x\") { status } }";
    assert_eq!(
        app.gql(void, json!({ "id": bill }), Some(&admin.access))
            .await
            .code(),
        "INVALID_STATE"
    );
    assert_eq!(
        pay(app, &cat, &bill, Some("tok_visa"), "wire-2").await.code(),
        "INVALID_STATE"
    );
    let fail =
        "mutation($id: ID!) { failPayment(id: $id, reason: \"Never arrived\") { status failureReason } }";
    let failed = ok(app, fail, json!({ "id": pending["id"] }), &admin).await["failPayment"].clone();
    assert_eq!(
        failed,
        json!({ "status": "FAILED", "failureReason": "Never arrived" })
    );
    let second = pay(app, &cat, &bill, None, "wire-3").await.data()["payBill"].clone();
    let confirm = "mutation($id: ID!) { confirmPayment(id: $id) { status bill { status } } }";
    assert_eq!(
        app.gql(confirm, json!({ "id": second["id"] }), Some(&cat.access))
            .await
            .code(),
        "FORBIDDEN"
    );
    let confirmed = ok(app, confirm, json!({ "id": second["id"] }), &admin).await["confirmPayment"].clone();
    assert_eq!(
        confirmed,
        json!({ "status": "SUCCEEDED", "bill": { "status": "PAID" } })
    );
    assert_eq!(
        app.gql(confirm, json!({ "id": second["id"] }), Some(&admin.access))
            .await
            .code(),
        "INVALID_STATE"
    );

    for (token, reason) in [
        ("tok_insufficientFunds", "INSUFFICIENT_FUNDS"),
        ("tok_processingError", "PROCESSING_ERROR"),
    ] {
        let (who, bill) = issued_bill(app, &admin, &format!("{reason}@example.com").to_lowercase()).await;
        let failed = pay(app, &who, &bill, Some(token), "k").await.data()["payBill"].clone();
        assert_eq!(
            (failed["status"].as_str(), failed["failureReason"].as_str()),
            (Some("FAILED"), Some(reason))
        );
    }
    let (dan, bill) = issued_bill(app, &admin, "dan@example.com").await;
    for (token, key, field) in [
        (Some("tok_unknown"), "k", "cardToken"),
        (Some("tok_visa"), "", "idempotencyKey"),
    ] {
        let reply = pay(app, &dan, &bill, token, key).await;
        assert_eq!((reply.code(), reply.field()), ("BAD_USER_INPUT", Some(field)));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_wrong_viewer_is_refused_and_nothing_changes() {
    let w = world().await;
    let app = &w.app;
    let currency = contract_currency(&w).await;
    let bill = draft(&w, &currency).await["id"].as_str().unwrap().to_owned();
    let update = "mutation($id: ID!) { updateBill(id: $id, input: {taxRate: \"7\"}) { tax { amount } } }";
    let delete = "mutation($id: ID!) { deleteBill(id: $id) }";
    for (who, code) in [
        (&w.client, "NOT_FOUND"),
        (&w.other_freelancer, "NOT_FOUND"),
        (&w.other_client, "NOT_FOUND"),
    ] {
        for query in [update, delete, ISSUE] {
            let reply = app.gql(query, json!({ "id": bill }), Some(&who.access)).await;
            assert_eq!(reply.code(), code, "{query} by {}", who.email);
        }
    }
    assert_eq!(
        app.gql(ISSUE, json!({ "id": bill }), None).await.code(),
        "UNAUTHENTICATED"
    );
    let changed = ok(app, update, json!({ "id": bill }), &w.freelancer).await;
    assert_eq!(
        changed["updateBill"]["tax"]["amount"], "31.89",
        "7 % of 455.50 = 31.885 → 31.89"
    );
    ok(app, ISSUE, json!({ "id": bill }), &w.freelancer).await;
    // Issued: the payer sees it but may not manage it; others see nothing.
    for query in [update, delete] {
        assert_eq!(
            app.gql(query, json!({ "id": bill }), Some(&w.freelancer.access))
                .await
                .code(),
            "INVALID_STATE"
        );
    }
    let void = "mutation($id: ID!) { voidBill(id: $id, reason: \"x\") { status } }";
    assert_eq!(
        app.gql(void, json!({ "id": bill }), Some(&w.client.access))
            .await
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        app.gql(void, json!({ "id": bill }), Some(&w.other_client.access))
            .await
            .code(),
        "NOT_FOUND"
    );
    assert_eq!(
        pay(app, &w.freelancer, &bill, Some("tok_visa"), "k").await.code(),
        "FORBIDDEN"
    );
    assert_eq!(
        pay(app, &w.other_client, &bill, Some("tok_visa"), "k")
            .await
            .code(),
        "NOT_FOUND"
    );
    for who in [&w.other_client, &w.other_freelancer] {
        assert!(ok(app, VIEW, json!({ "id": bill }), who).await["bill"].is_null());
        let payments = ok(
            app,
            "{ payments { totalCount } bills { totalCount } }",
            json!({}),
            who,
        )
        .await;
        assert_eq!(
            payments,
            json!({ "payments": { "totalCount": 0 }, "bills": { "totalCount": 0 } })
        );
    }
    let node = "query($id: ID!) { node(id: $id) { ... on Bill { status } } }";
    assert!(ok(app, node, json!({ "id": bill }), &w.other_client).await["node"].is_null());
    assert!(app.gql(node, json!({ "id": bill }), None).await.data()["node"].is_null());
    assert_eq!(
        ok(app, node, json!({ "id": bill }), &w.client).await["node"]["status"],
        "ISSUED"
    );
    let view = ok(app, VIEW, json!({ "id": bill }), &w.client).await["bill"].clone();
    assert_eq!(view["status"], "ISSUED");
    assert_eq!(view["payments"], json!([]));
    let summary = "query($u: ID) { billingSummary(userId: $u) { outstanding { amount } } }";
    let reply = app
        .gql(summary, json!({ "u": w.client.id }), Some(&w.other_client.access))
        .await;
    assert_eq!(reply.code(), "FORBIDDEN");
    let demo = "mutation { createDemoBill { status number total { amount } } }";
    assert_eq!(
        app.gql(demo, json!({}), Some(&w.freelancer.access)).await.code(),
        "FORBIDDEN"
    );
    let mine = ok(app, demo, json!({}), &w.client).await["createDemoBill"].clone();
    assert_eq!(mine["status"], "ISSUED");
    let off = TestApp::with_env(&[("DEMO_BILLS", "false")]).await;
    let zoe = off.register("zoe@example.com", "CLIENT").await;
    assert_eq!(
        off.gql(demo, json!({}), Some(&zoe.access)).await.code(),
        "FORBIDDEN"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn service_requests_are_billed_by_their_professional() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let service = crate::services::service(&app, &admin, "Tap Repair").await;
    let client = app.register("ann@example.com", "CLIENT").await;
    let pro =
        crate::services::verified_professional(&app, &admin, "bob@example.com", &service, &["10115"]).await;
    let input = json!({ "input": { "serviceId": service, "description": "Drip",
        "address": { "line1": "a", "city": "Berlin", "postalCode": "10115", "country": "DE" } } });
    let create =
        "mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }";
    let request = ok(&app, create, input, &client).await["createServiceRequest"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bill = json!({ "input": { "serviceRequestId": request, "currency": "EUR",
        "lines": [line("Repair", "1", "80")], "dueAt": days(7) } });
    ok(
        &app,
        "mutation($id: ID!) { claimServiceRequest(id: $id) { id } }",
        json!({ "id": request }),
        &pro,
    )
    .await;
    assert_eq!(
        app.gql(CREATE, bill.clone(), Some(&pro.access)).await.code(),
        "INVALID_STATE"
    );
    ok(
        &app,
        "mutation($id: ID!) { startServiceRequest(id: $id) { id } }",
        json!({ "id": request }),
        &pro,
    )
    .await;
    ok(
        &app,
        "mutation($id: ID!) { completeServiceRequest(id: $id) { id } }",
        json!({ "id": request }),
        &client,
    )
    .await;
    let made = ok(&app, CREATE, bill, &pro).await["createBill"].clone();
    assert_eq!(made["payer"]["id"], client.id.as_str());
    assert_eq!(made["issuer"]["id"], pro.id.as_str());
    let id = made["id"].as_str().unwrap();
    ok(&app, ISSUE, json!({ "id": id }), &pro).await;
    let q = "query($id: ID!) { bill(id: $id) { subject { __typename ... on ServiceRequest { id } } } }";
    let seen = ok(&app, q, json!({ "id": id }), &client).await;
    assert_eq!(seen["bill"]["subject"]["id"], request.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bills_page_runs_a_constant_number_of_statements() {
    let w = world().await;
    let app = &w.app;
    let admin = admin(app).await;
    let currency = contract_currency(&w).await;
    // Contract bills and manual bills in turn, so every page has both.
    for i in 0..12 {
        let id = draft(&w, &currency).await["id"].as_str().unwrap().to_owned();
        ok(app, ISSUE, json!({ "id": id }), &w.freelancer).await;
        let input = json!({ "input": { "payerId": w.client.id, "currency": "EUR",
            "lines": [line(&format!("Fee {i}"), "1", "5")], "dueAt": days(3) } });
        let id = ok(app, CREATE, input, &admin).await["createBill"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ok(app, ISSUE, json!({ "id": id }), &admin).await;
    }
    let page = "query($first: Int) { bills(first: $first) { totalCount edges { node { number total { amount }
      payer { name avatarUrl } issuer { name rating { count } } subject { __typename ... on Contract { status } }
      lines { description amount { amount } } payments { status } } } } }";
    let mut counts = Vec::new();
    for first in [4, 24] {
        ok(app, "{ me { id } }", json!({}), &w.client).await;
        let before = app.state.pool.statements();
        let reply = ok(app, page, json!({ "first": first }), &w.client).await;
        assert_eq!(reply["bills"]["edges"].as_array().unwrap().len(), first);
        counts.push(app.state.pool.statements() - before);
    }
    assert_eq!(counts[0], counts[1], "statements for 4 and 24 bills: {counts:?}");
    assert!(counts[0] <= 12, "{counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_payment_left_pending_by_a_crash_is_settled_by_its_job() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let (ann, bill) = issued_bill(&app, &admin, "ann@example.com").await;
    let paid = pay(&app, &ann, &bill, Some("tok_visa"), "crash-key").await.data()["payBill"].clone();
    let reference = paid["providerReference"].as_str().unwrap().to_owned();
    // As if the server died after recording the intent and before the outcome.
    app.sql("UPDATE payments SET status = 'PENDING', provider_reference = NULL, settled_at = NULL")
        .await;
    app.sql("UPDATE bills SET status = 'ISSUED', paid_at = NULL")
        .await;
    assert_eq!(
        pay(&app, &ann, &bill, Some("tok_visa"), "crash-key").await.data()["payBill"]["status"],
        "PENDING"
    );
    let queued = app
        .column("SELECT payload AS v FROM jobs WHERE kind = 'settle_payment'")
        .await;
    assert_eq!(queued.len(), 1, "the intent queued its settlement");
    let payload: Value = serde_json::from_str(queued[0].as_deref().unwrap()).unwrap();
    agora::billing::payments::settle_job(&app.state, payload.clone())
        .await
        .unwrap();
    let replay = pay(&app, &ann, &bill, Some("tok_visa"), "crash-key").await.data()["payBill"].clone();
    assert_eq!(replay["status"], "SUCCEEDED");
    assert_eq!(
        replay["providerReference"],
        reference.as_str(),
        "the same charge, asked again by key"
    );
    assert_eq!(replay["bill"]["status"], "PAID");
    // Settling again changes nothing.
    agora::billing::payments::settle_job(&app.state, payload)
        .await
        .unwrap();
    assert_eq!(
        app.column("SELECT status AS v FROM payments").await,
        [Some("SUCCEEDED".to_owned())]
    );
}
