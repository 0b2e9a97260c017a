//! `updateProfile`: partial updates, validation with fields, and which
//! profile fields others may read.

use agora::accounts::users::ops::ensure_super_admin;
use serde_json::{Value, json};

use crate::common::{PASSWORD, Reply, TestApp};

const PROFILE: &str =
    "id name firstName lastName phone bio address { line1 line2 city region postalCode country }";

fn update_query() -> String {
    format!("mutation($input: UpdateProfileInput!) {{ updateProfile(input: $input) {{ {PROFILE} }} }}")
}

fn user_query() -> String {
    format!("query($id: ID!) {{ user(id: $id) {{ {PROFILE} email deleted }} }}")
}

async fn update(app: &TestApp, token: Option<&str>, input: Value) -> Reply {
    app.gql(&update_query(), json!({ "input": input }), token).await
}

fn full_profile() -> Value {
    json!({
        "name": "  Ann Smith ",
        "firstName": " Ann ",
        "lastName": "Smith",
        "phone": "+44 (20) 7946-0958",
        "bio": "Rust and GraphQL.",
        "address": {
            "line1": " 10 Downing St ",
            "line2": "  ",
            "city": "London",
            "postalCode": "SW1A 2AA",
            "country": "gb",
        },
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn every_field_is_set_normalised_and_read_back() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let reply = update(&app, Some(&ann.access), full_profile()).await;
    let user = &reply.data()["updateProfile"];
    assert_eq!(user["name"], "Ann Smith");
    assert_eq!(user["firstName"], "Ann");
    assert_eq!(user["lastName"], "Smith");
    assert_eq!(user["phone"], "+442079460958");
    assert_eq!(user["bio"], "Rust and GraphQL.");
    assert_eq!(
        user["address"],
        json!({ "line1": "10 Downing St", "line2": null, "city": "London", "region": null,
                "postalCode": "SW1A 2AA", "country": "GB" })
    );
    let me = app
        .gql(&format!("{{ me {{ {PROFILE} }} }}"), json!({}), Some(&ann.access))
        .await;
    assert_eq!(&me.data()["me"], user);
}

#[tokio::test(flavor = "multi_thread")]
async fn omitted_fields_stay_and_null_clears() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    update(&app, Some(&ann.access), full_profile()).await.data();

    let reply = update(&app, Some(&ann.access), json!({ "bio": "Hiring." })).await;
    let user = &reply.data()["updateProfile"];
    assert_eq!(user["bio"], "Hiring.");
    assert_eq!(user["name"], "Ann Smith");
    assert_eq!(user["phone"], "+442079460958");
    assert_eq!(user["address"]["country"], "GB");

    let reply = update(
        &app,
        Some(&ann.access),
        json!({ "phone": null, "address": null, "firstName": null }),
    )
    .await;
    let user = &reply.data()["updateProfile"];
    assert!(user["phone"].is_null());
    assert!(user["address"].is_null());
    assert!(user["firstName"].is_null());
    assert_eq!(user["lastName"], "Smith");
    assert_eq!(user["bio"], "Hiring.");

    let replaced = update(
        &app,
        Some(&ann.access),
        json!({ "address": { "line1": "1 Rue de Rivoli", "city": "Paris", "region": "IDF", "country": "FR" } }),
    )
    .await;
    assert_eq!(
        replaced.data()["updateProfile"]["address"],
        json!({ "line1": "1 Rue de Rivoli", "line2": null, "city": "Paris", "region": "IDF",
                "postalCode": null, "country": "FR" })
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_values_name_their_field_and_change_nothing() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    update(&app, Some(&ann.access), full_profile()).await.data();
    let address = |country: &str, city: &str| json!({ "address": { "line1": "1 Main St", "city": city, "country": country } });
    let cases = [
        (json!({ "name": null }), "name"),
        (json!({ "name": "  " }), "name"),
        (json!({ "firstName": "x".repeat(101) }), "firstName"),
        (json!({ "lastName": "" }), "lastName"),
        (json!({ "phone": "020 7946 0958" }), "phone"),
        (json!({ "phone": "+1234567890123456" }), "phone"),
        (json!({ "bio": "x".repeat(2001) }), "bio"),
        (address("XX", "London"), "address.country"),
        (address("GBR", "London"), "address.country"),
        (address("GB", " "), "address.city"),
        (
            json!({ "address": { "line1": "1 Main St", "city": "London", "country": "GB", "postalCode": "1".repeat(21) } }),
            "address.postalCode",
        ),
    ];
    for (input, expected) in cases {
        let reply = update(&app, Some(&ann.access), input.clone()).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{input}");
        assert_eq!(reply.field(), Some(expected), "{input}");
    }
    let me = app
        .gql(&format!("{{ me {{ {PROFILE} }} }}"), json!({}), Some(&ann.access))
        .await;
    assert_eq!(me.data()["me"]["name"], "Ann Smith");
    assert_eq!(me.data()["me"]["phone"], "+442079460958");
    assert_eq!(me.data()["me"]["address"]["city"], "London");

    let anonymous = update(&app, None, json!({ "bio": "x" })).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test(flavor = "multi_thread")]
async fn others_see_only_the_public_profile() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "CLIENT").await;
    update(&app, Some(&ann.access), full_profile()).await.data();

    for token in [Some(bob.access.as_str()), None] {
        let reply = app.gql(&user_query(), json!({ "id": ann.id }), token).await;
        let user = &reply.data()["user"];
        assert_eq!(user["name"], "Ann Smith");
        assert_eq!(user["firstName"], "Ann");
        assert_eq!(user["bio"], "Rust and GraphQL.");
        assert_eq!(user["deleted"], false);
        for private in ["lastName", "phone", "address", "email"] {
            assert!(user[private].is_null(), "{private} leaked");
        }
    }

    ensure_super_admin(&app.state, "root@example.com", PASSWORD.to_owned())
        .await
        .unwrap();
    let admin = app.login("root@example.com").await;
    let reply = app
        .gql(&user_query(), json!({ "id": ann.id }), Some(&admin.access))
        .await;
    let user = &reply.data()["user"];
    assert_eq!(user["lastName"], "Smith");
    assert_eq!(user["phone"], "+442079460958");
    assert_eq!(user["address"]["postalCode"], "SW1A 2AA");
    assert_eq!(user["email"], "ann@example.com");
}
