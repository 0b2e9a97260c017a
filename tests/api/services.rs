//! Services, part one: the catalogue, professional profiles, verification
//! documents and the verification workflow. (Service requests:
//! `service_requests.rs`, which builds on the helpers here.)

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{Account, File, PREFLIGHT, Reply, TestApp, multipart_request, unknown_id};

pub const CREATE_SERVICE: &str = "mutation($input: CreateServiceInput!) {
  createService(input: $input) { id name category basePrice { amount currency } durationMinutes active } }";
pub const UPDATE_PROFILE: &str = "mutation($input: UpdateProfessionalProfileInput!) {
  updateProfessionalProfile(input: $input) { headline serviceArea verificationStatus services { name } hourlyRate { amount } } }";
pub const UPLOAD_DOC: &str = "mutation($file: Upload!, $kind: DocumentKind!) {
  uploadVerificationDocument(file: $file, kind: $kind) { id kind fileName contentType sizeBytes downloadUrl } }";
pub const SUBMIT: &str = "mutation { submitForVerification { verificationStatus } }";
pub const VERIFY: &str =
    "mutation($id: ID!) { verifyProfessional(professionalId: $id) { verificationStatus verifiedAt } }";
const REJECT: &str = "mutation($id: ID!, $reason: String!) {
  rejectProfessional(professionalId: $id, reason: $reason) { verificationStatus rejectionReason } }";
const RESET: &str =
    "mutation($id: ID!) { resetProfessionalVerification(professionalId: $id) { verificationStatus } }";
const PROFILE: &str = "query($id: ID!) { user(id: $id) { professionalProfile {
  headline serviceArea verificationStatus rejectionReason documents { id fileName downloadUrl } rating { count } } } }";

/// A small but real PDF.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// `data`, asserting there were no errors.
pub async fn ok(app: &TestApp, query: &str, variables: Value, who: &Account) -> Value {
    app.gql(query, variables, Some(&who.access)).await.data().clone()
}

/// A signed-in super admin.
pub async fn admin(app: &TestApp) -> Account {
    agora::accounts::users::ops::ensure_super_admin(
        &app.state,
        "root@example.com",
        crate::common::PASSWORD.to_owned(),
    )
    .await
    .unwrap();
    app.login("root@example.com").await
}

/// A new active service, by the admin; its id.
pub async fn service(app: &TestApp, admin: &Account, name: &str) -> String {
    let input = json!({ "input": {
        "name": name, "description": "Done well.", "category": "PLUMBING",
        "basePrice": { "amount": "80", "currency": "EUR" }, "durationMinutes": 90 } });
    ok(app, CREATE_SERVICE, input, admin).await["createService"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Upload `bytes` as a verification document.
pub async fn upload(app: &TestApp, who: &Account, name: &str, bytes: &[u8]) -> Reply {
    let file = File {
        name,
        content_type: "application/octet-stream",
        bytes,
    };
    let request = multipart_request(
        UPLOAD_DOC,
        json!({ "file": null, "kind": "CERTIFICATE" }),
        &[file],
        Some(&who.access),
        &[PREFLIGHT],
    );
    app.send(request).await
}

/// A FREELANCER offering `service` in `codes`, with a document, submitted
/// and verified by `admin`.
pub async fn verified_professional(
    app: &TestApp,
    admin: &Account,
    email: &str,
    service: &str,
    codes: &[&str],
) -> Account {
    let pro = app.register(email, "FREELANCER").await;
    let input = json!({ "input": { "serviceIds": [service], "serviceArea": codes } });
    ok(app, UPDATE_PROFILE, input, &pro).await;
    upload(app, &pro, "licence.pdf", PDF).await.data();
    ok(app, SUBMIT, json!({}), &pro).await;
    ok(app, VERIFY, json!({ "id": pro.id }), admin).await;
    pro
}

/// GET `uri`: status, a header, and the body.
async fn fetch(app: &TestApp, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes().to_vec();
    (parts.status, parts.headers, bytes)
}

/// The path and query of an absolute link.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest[rest.find('/').unwrap()..].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catalogue_is_kept_by_admins_and_names_are_unique_ignoring_case() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let client = app.register("ann@example.com", "CLIENT").await;
    let id = service(&app, &admin, "Boiler Repair").await;

    let dup = json!({ "input": { "name": "  boiler REPAIR ", "description": "x", "category": "PLUMBING",
        "basePrice": { "amount": "1", "currency": "EUR" }, "durationMinutes": 30 } });
    let reply = app.gql(CREATE_SERVICE, dup.clone(), Some(&admin.access)).await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("CONFLICT", Some("name")),
        "{}",
        reply.body
    );
    let reply = app.gql(CREATE_SERVICE, dup, Some(&client.access)).await;
    assert_eq!(reply.code(), "FORBIDDEN");
    let bad = json!({ "input": { "name": "Tiling", "description": "x", "category": "OTHER",
        "basePrice": { "amount": "1", "currency": "EUR" }, "durationMinutes": 0 } });
    let reply = app.gql(CREATE_SERVICE, bad, Some(&admin.access)).await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", Some("durationMinutes"))
    );

    let other = service(&app, &admin, "Garden Care").await;
    let rename =
        "mutation($id: ID!, $name: String!) { updateService(id: $id, input: {name: $name}) { name } }";
    let reply = app
        .gql(
            rename,
            json!({ "id": other, "name": "BOILER repair" }),
            Some(&admin.access),
        )
        .await;
    assert_eq!((reply.code(), reply.field()), ("CONFLICT", Some("name")));

    let list = "query($f: ServiceFilterInput) { services(filter: $f) { totalCount edges { node { name active } } } }";
    let found = app.gql(list, json!({ "f": { "search": "BOILER" } }), None).await;
    assert_eq!(found.data()["services"]["totalCount"], 1);

    let deactivate = "mutation($id: ID!) { deactivateService(id: $id) { active } }";
    assert_eq!(
        ok(&app, deactivate, json!({ "id": id }), &admin).await["deactivateService"]["active"],
        false
    );
    let again = app
        .gql(deactivate, json!({ "id": id }), Some(&admin.access))
        .await;
    assert_eq!(again.code(), "INVALID_STATE");
    let public = app
        .gql(
            list,
            json!({ "f": { "includeInactive": true } }),
            Some(&client.access),
        )
        .await;
    assert_eq!(
        public.data()["services"]["totalCount"],
        1,
        "clients never see inactive services"
    );
    let all = app
        .gql(
            list,
            json!({ "f": { "includeInactive": true } }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(all.data()["services"]["totalCount"], 2);
    let one = "query($id: ID!) { service(id: $id) { name } }";
    assert!(app.gql(one, json!({ "id": id }), None).await.data()["service"].is_null());
    assert_eq!(
        ok(&app, one, json!({ "id": id }), &admin).await["service"]["name"],
        "Boiler Repair"
    );
    let node = "query($id: ID!) { node(id: $id) { ... on Service { name } } }";
    assert!(
        app.gql(node, json!({ "id": id }), Some(&client.access))
            .await
            .data()["node"]
            .is_null()
    );
    assert_eq!(
        ok(&app, node, json!({ "id": id }), &admin).await["node"]["name"],
        "Boiler Repair"
    );
    assert_eq!(
        app.gql(node, json!({ "id": other }), None).await.data()["node"]["name"],
        "Garden Care"
    );
    let reactivate = "mutation($id: ID!) { reactivateService(id: $id) { active } }";
    assert_eq!(
        ok(&app, reactivate, json!({ "id": id }), &admin).await["reactivateService"]["active"],
        true
    );
    let missing = app
        .gql(
            deactivate,
            json!({ "id": unknown_id::<agora::db::ServiceId>() }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(missing.code(), "NOT_FOUND");
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_are_for_freelancers_and_checked() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let svc = service(&app, &admin, "Plumbing").await;
    let client = app.register("ann@example.com", "CLIENT").await;
    let pro = app.register("bob@example.com", "FREELANCER").await;
    let input = json!({ "input": { "headline": "Pipes" } });
    assert_eq!(
        app.gql(UPDATE_PROFILE, input, Some(&client.access)).await.code(),
        "FORBIDDEN"
    );

    let input = json!({ "input": { "headline": " Fast pipes ", "serviceIds": [svc, svc],
        "serviceArea": [" 10115 ", "sw1a 1aa", "10115"], "hourlyRate": { "amount": "45", "currency": "EUR" } } });
    let profile = ok(&app, UPDATE_PROFILE, input, &pro).await["updateProfessionalProfile"].clone();
    assert_eq!(profile["headline"], "Fast pipes");
    assert_eq!(profile["serviceArea"], json!(["10115", "SW1A 1AA"]));
    assert_eq!(profile["services"], json!([{ "name": "Plumbing" }]));
    assert_eq!(profile["verificationStatus"], "UNSUBMITTED");

    for (input, field) in [
        (json!({ "serviceArea": [] }), "serviceArea"),
        (json!({ "serviceArea": ["<b>"] }), "serviceArea"),
        (
            json!({ "serviceIds": [unknown_id::<agora::db::ServiceId>()] }),
            "serviceIds",
        ),
        (json!({ "serviceIds": [pro.id] }), "serviceIds"),
        (json!({ "experienceYears": 81 }), "experienceYears"),
        (
            json!({ "hourlyRate": { "amount": "0", "currency": "EUR" } }),
            "hourlyRate",
        ),
        (json!({ "headline": " " }), "headline"),
    ] {
        let reply = app
            .gql(UPDATE_PROFILE, json!({ "input": input }), Some(&pro.access))
            .await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", Some(field)),
            "{input}: {}",
            reply.body
        );
    }
    let codes: Vec<String> = (0..201).map(|n| format!("{n:05}")).collect();
    let reply = app
        .gql(
            UPDATE_PROFILE,
            json!({ "input": { "serviceArea": codes } }),
            Some(&pro.access),
        )
        .await;
    assert_eq!(reply.field(), Some("serviceArea"));
    ok(
        &app,
        "mutation($id: ID!) { deactivateService(id: $id) { id } }",
        json!({ "id": svc }),
        &admin,
    )
    .await;
    let reply = app
        .gql(
            UPDATE_PROFILE,
            json!({ "input": { "serviceIds": [svc] } }),
            Some(&pro.access),
        )
        .await;
    assert_eq!(reply.field(), Some("serviceIds"), "inactive services are refused");
    let seen = app.gql(PROFILE, json!({ "id": pro.id }), None).await;
    assert_eq!(
        seen.data()["user"]["professionalProfile"]["headline"],
        "Fast pipes",
        "nothing changed"
    );
    assert!(seen.data()["user"]["professionalProfile"]["documents"].is_null());
    let none = app.gql(PROFILE, json!({ "id": client.id }), None).await;
    assert!(none.data()["user"]["professionalProfile"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn verification_needs_a_service_an_area_and_a_document_and_is_decided_by_admins() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let svc = service(&app, &admin, "Plumbing").await;
    let pro = app.register("bob@example.com", "FREELANCER").await;
    let other = app.register("carl@example.com", "FREELANCER").await;

    let reply = app.gql(SUBMIT, json!({}), Some(&pro.access)).await;
    assert_eq!(
        (reply.code(), reply.field()),
        ("BAD_USER_INPUT", Some("serviceIds"))
    );
    ok(
        &app,
        UPDATE_PROFILE,
        json!({ "input": { "serviceIds": [svc] } }),
        &pro,
    )
    .await;
    let reply = app.gql(SUBMIT, json!({}), Some(&pro.access)).await;
    assert_eq!(reply.field(), Some("serviceArea"));
    ok(
        &app,
        UPDATE_PROFILE,
        json!({ "input": { "serviceArea": ["10115"] } }),
        &pro,
    )
    .await;
    let reply = app.gql(SUBMIT, json!({}), Some(&pro.access)).await;
    assert_eq!(reply.field(), Some("documents"));
    upload(&app, &pro, "id.pdf", PDF).await.data();
    // Deciding before a submission is refused by the status.
    let early = app
        .gql(VERIFY, json!({ "id": pro.id }), Some(&admin.access))
        .await;
    assert_eq!(early.code(), "INVALID_STATE");
    assert!(early.message().contains("UNSUBMITTED"), "{}", early.message());
    assert_eq!(
        ok(&app, SUBMIT, json!({}), &pro).await["submitForVerification"]["verificationStatus"],
        "PENDING"
    );
    assert_eq!(
        app.gql(SUBMIT, json!({}), Some(&pro.access)).await.code(),
        "INVALID_STATE"
    );

    // Only admins decide; a reason is required to reject.
    for who in [&pro, &other] {
        let reply = app.gql(VERIFY, json!({ "id": pro.id }), Some(&who.access)).await;
        assert_eq!(reply.code(), "FORBIDDEN");
    }
    let reply = app
        .gql(
            REJECT,
            json!({ "id": pro.id, "reason": "  " }),
            Some(&admin.access),
        )
        .await;
    assert_eq!((reply.code(), reply.field()), ("BAD_USER_INPUT", Some("reason")));
    let reply = app
        .gql(
            VERIFY,
            json!({ "id": unknown_id::<agora::db::UserId>() }),
            Some(&admin.access),
        )
        .await;
    assert_eq!(reply.code(), "NOT_FOUND");
    let rejected = ok(
        &app,
        REJECT,
        json!({ "id": pro.id, "reason": "The licence is unreadable." }),
        &admin,
    )
    .await;
    assert_eq!(rejected["rejectProfessional"]["verificationStatus"], "REJECTED");

    // The reason is the professional's and the admins'; it was mailed.
    let own = ok(&app, PROFILE, json!({ "id": pro.id }), &pro).await;
    assert_eq!(
        own["user"]["professionalProfile"]["rejectionReason"],
        "The licence is unreadable."
    );
    let seen = ok(&app, PROFILE, json!({ "id": pro.id }), &other).await;
    assert!(seen["user"]["professionalProfile"]["rejectionReason"].is_null());
    let mail = app
        .column("SELECT text_body AS v FROM mail_outbox WHERE kind = 'PROFESSIONAL_REJECTED'")
        .await;
    assert!(mail[0].as_deref().unwrap().contains("The licence is unreadable."));

    // Fix and resubmit; verify; reset sends back to UNSUBMITTED.
    ok(&app, SUBMIT, json!({}), &pro).await;
    let verified = ok(&app, VERIFY, json!({ "id": pro.id }), &admin).await;
    assert_eq!(verified["verifyProfessional"]["verificationStatus"], "VERIFIED");
    assert!(verified["verifyProfessional"]["verifiedAt"].is_string());
    let queue = "query($f: ProfessionalFilterInput) { professionals(filter: $f) { totalCount edges { node { user { id } } } } }";
    let list = ok(
        &app,
        queue,
        json!({ "f": { "status": "VERIFIED", "postalCode": "10115", "serviceId": svc } }),
        &admin,
    )
    .await;
    assert_eq!(list["professionals"]["totalCount"], 1);
    let list = ok(&app, queue, json!({ "f": { "status": "PENDING" } }), &admin).await;
    assert_eq!(list["professionals"]["totalCount"], 0);
    assert_eq!(
        app.gql(queue, json!({}), Some(&pro.access)).await.code(),
        "FORBIDDEN"
    );
    let reset = ok(&app, RESET, json!({ "id": pro.id }), &admin).await;
    assert_eq!(
        reset["resetProfessionalVerification"]["verificationStatus"],
        "UNSUBMITTED"
    );
    assert_eq!(
        app.gql(RESET, json!({ "id": pro.id }), Some(&admin.access))
            .await
            .code(),
        "INVALID_STATE"
    );

    let audited = app
        .column("SELECT kind AS v FROM audit_events WHERE kind LIKE 'PROFESSIONAL_%' ORDER BY created_at")
        .await;
    let audited: Vec<_> = audited.into_iter().flatten().collect();
    assert_eq!(
        audited,
        [
            "PROFESSIONAL_REJECTED",
            "PROFESSIONAL_VERIFIED",
            "PROFESSIONAL_VERIFICATION_RESET"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn documents_are_private_and_served_only_through_signed_links() {
    let app = TestApp::new().await;
    let admin = admin(&app).await;
    let pro = app.register("bob@example.com", "FREELANCER").await;
    let other = app.register("carl@example.com", "FREELANCER").await;
    let client = app.register("ann@example.com", "CLIENT").await;

    let doc =
        upload(&app, &pro, "C:\\scans\\Zeugnis.pdf", PDF).await.data()["uploadVerificationDocument"].clone();
    assert_eq!(doc["fileName"], "Zeugnis.pdf");
    assert_eq!(doc["contentType"], "application/pdf");
    assert_eq!(doc["sizeBytes"], PDF.len());
    let url = doc["downloadUrl"].as_str().unwrap();
    assert!(url.starts_with("http://localhost:8080/documents/"), "{url}");
    let (status, headers, body) = fetch(&app, &path_of(url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, PDF);
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Zeugnis.pdf\"")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "private, no-store");

    // Never under the public files path.
    let key = app
        .column("SELECT object_key AS v FROM verification_documents")
        .await[0]
        .clone()
        .unwrap();
    assert!(key.starts_with("documents/"));
    assert_eq!(
        fetch(&app, &format!("/files/{key}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Only the professional and admins see documents and their links.
    let seen_by = |who: &Account| {
        let who = who.clone();
        let app = &app;
        let pro = pro.id.clone();
        async move {
            ok(app, PROFILE, json!({ "id": pro }), &who).await["user"]["professionalProfile"]["documents"]
                .clone()
        }
    };
    assert_eq!(seen_by(&pro).await.as_array().unwrap().len(), 1);
    assert!(seen_by(&admin).await[0]["downloadUrl"].is_string());
    assert!(seen_by(&other).await.is_null());
    assert!(seen_by(&client).await.is_null());
    let anonymous = app.gql(PROFILE, json!({ "id": pro.id }), None).await;
    assert!(anonymous.data()["user"]["professionalProfile"]["documents"].is_null());

    // Forged, tampered, for another document, expired: all 404.
    let (path, query) = path_of(url)
        .split_once('?')
        .map(|(p, q)| (p.to_owned(), q.to_owned()))
        .unwrap();
    let expires: i64 = query
        .split('&')
        .find_map(|p| p.strip_prefix("expires="))
        .unwrap()
        .parse()
        .unwrap();
    let signature = query
        .split('&')
        .find_map(|p| p.strip_prefix("signature="))
        .unwrap()
        .to_owned();
    let doc_id = path.rsplit('/').next().unwrap().to_owned();
    let sign = |id: &str, at: i64| {
        use hmac::{Hmac, Mac};
        let uuid = agora::db::GlobalId::parse(id).unwrap().uuid;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(crate::common::JWT_SECRET.as_bytes()).unwrap();
        mac.update(format!("verification-document:{uuid}:{at}").as_bytes());
        base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            mac.finalize().into_bytes(),
        )
    };
    assert_eq!(
        sign(&doc_id, expires),
        signature,
        "the test signs as the server does"
    );
    let past = expires - 3600;
    let other_doc = unknown_id::<agora::db::VerificationDocumentId>();
    for uri in [
        format!("{path}?expires={expires}&signature=AAAA{}", &signature[4..]),
        format!("{path}?expires={}&signature={signature}", expires + 1),
        format!("{path}?expires={past}&signature={}", sign(&doc_id, past)),
        format!(
            "/documents/{other_doc}?expires={expires}&signature={}",
            sign(&other_doc, expires)
        ),
        format!("{path}?expires={expires}"),
        format!("{path}?expires=soon&signature={signature}"),
        path.clone(),
    ] {
        assert_eq!(fetch(&app, &uri).await.0, StatusCode::NOT_FOUND, "{uri}");
    }

    // Deleting: not someone else's, not while VERIFIED; the file goes too.
    let delete = "mutation($id: ID!) { deleteVerificationDocument(id: $id) }";
    let id = doc["id"].as_str().unwrap();
    assert_eq!(
        app.gql(delete, json!({ "id": id }), Some(&other.access))
            .await
            .code(),
        "NOT_FOUND"
    );
    let svc = service(&app, &admin, "Plumbing").await;
    ok(
        &app,
        UPDATE_PROFILE,
        json!({ "input": { "serviceIds": [svc], "serviceArea": ["1"] } }),
        &pro,
    )
    .await;
    ok(&app, SUBMIT, json!({}), &pro).await;
    ok(&app, VERIFY, json!({ "id": pro.id }), &admin).await;
    assert_eq!(
        app.gql(delete, json!({ "id": id }), Some(&pro.access))
            .await
            .code(),
        "INVALID_STATE"
    );
    ok(&app, RESET, json!({ "id": pro.id }), &admin).await;
    assert_eq!(
        ok(&app, delete, json!({ "id": id }), &pro).await["deleteVerificationDocument"],
        id
    );
    assert_eq!(fetch(&app, &path_of(url)).await.0, StatusCode::NOT_FOUND);
    assert!(
        !app.files.path().join(&key).exists(),
        "the file is deleted after the commit"
    );

    // Deleting the account deletes its documents' files.
    upload(&app, &pro, "again.png", b"\x89PNG\r\n\x1a\nrest")
        .await
        .data();
    let key = app
        .column("SELECT object_key AS v FROM verification_documents")
        .await[0]
        .clone()
        .unwrap();
    assert!(app.files.path().join(&key).exists());
    let delete_account = "mutation($p: String!) { deleteAccount(password: $p) }";
    ok(
        &app,
        delete_account,
        json!({ "p": crate::common::PASSWORD }),
        &pro,
    )
    .await;
    assert!(!app.files.path().join(&key).exists());
    assert!(
        app.column("SELECT CAST(id AS TEXT) AS v FROM verification_documents")
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_are_limited_in_type_size_and_number() {
    let app = TestApp::with_env(&[
        ("MAX_DOCUMENT_BYTES", "2000"),
        ("MAX_DOCUMENTS_PER_PROFESSIONAL", "2"),
    ])
    .await;
    let pro = app.register("bob@example.com", "FREELANCER").await;
    let client = app.register("ann@example.com", "CLIENT").await;
    assert_eq!(upload(&app, &client, "a.pdf", PDF).await.code(), "FORBIDDEN");
    for bytes in [&b"<html><script>alert(1)</script>"[..], b"GIF89a......", b""] {
        let reply = upload(&app, &pro, "x.pdf", bytes).await;
        assert_eq!(
            (reply.code(), reply.field()),
            ("BAD_USER_INPUT", Some("file")),
            "{}",
            reply.body
        );
    }
    let big = [PDF, &vec![b' '; 3000]].concat();
    let reply = upload(&app, &pro, "big.pdf", &big).await;
    assert_eq!((reply.code(), reply.field()), ("PAYLOAD_TOO_LARGE", Some("file")));
    upload(&app, &pro, "1.pdf", PDF).await.data();
    upload(&app, &pro, "2.jpg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0])
        .await
        .data();
    let third = upload(&app, &pro, "3.pdf", PDF).await;
    assert_eq!((third.code(), third.field()), ("BAD_USER_INPUT", Some("file")));
    assert_eq!(
        app.column("SELECT CAST(id AS TEXT) AS v FROM verification_documents")
            .await
            .len(),
        2
    );
    let stored = walk(app.files.path());
    assert_eq!(stored, 2, "refused uploads leave no file behind");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 })
                .sum()
        })
        .unwrap_or(0)
}
