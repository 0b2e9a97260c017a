//! The sign-up captcha: required with `SIGNUP_CAPTCHA=true`, one answer per
//! challenge, expiring.

use agora::accounts::captcha::NUMBER_WORDS;
use serde_json::{Value, json};

use crate::common::{PASSWORD, Reply, TestApp, sql_time};

const CAPTCHA: &str = "{ captcha { id question expiresAt } }";
const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { user { email } } }";

/// Solve "What is seven plus twelve?" and its kin.
fn solve(question: &str) -> String {
    let words: Vec<&str> = question.trim_end_matches('?').split(' ').collect();
    let number = |w: &str| NUMBER_WORDS.iter().position(|n| *n == w).unwrap() as i64;
    let (a, op, b) = (number(words[2]), words[3], number(words[4]));
    match op {
        "plus" => a + b,
        "minus" => a - b,
        "times" => a * b,
        other => panic!("unknown operation {other}"),
    }
    .to_string()
}

async fn captcha(app: &TestApp) -> (String, String) {
    let reply = app.gql(CAPTCHA, json!({}), None).await;
    let captcha = &reply.data()["captcha"];
    (
        captcha["id"].as_str().unwrap().to_owned(),
        captcha["question"].as_str().unwrap().to_owned(),
    )
}

async fn register(app: &TestApp, email: &str, id: Option<&str>, answer: Option<&str>) -> Reply {
    let mut input = json!({ "email": email, "password": PASSWORD, "name": "Ann", "role": "CLIENT" });
    input["captchaId"] = id.map_or(Value::Null, Value::from);
    input["captchaAnswer"] = answer.map_or(Value::Null, Value::from);
    app.gql(REGISTER, json!({ "input": input }), None).await
}

fn refused_on(reply: &Reply) -> (&str, Option<&str>) {
    (reply.code(), reply.field())
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_needs_a_right_answer_once() {
    let app = TestApp::with_env(&[("SIGNUP_CAPTCHA", "true")]).await;
    let missing = register(&app, "ann@example.com", None, None).await;
    assert_eq!(refused_on(&missing), ("BAD_USER_INPUT", Some("captchaId")));
    let (id, question) = captcha(&app).await;
    let no_answer = register(&app, "ann@example.com", Some(&id), None).await;
    assert_eq!(refused_on(&no_answer), ("BAD_USER_INPUT", Some("captchaAnswer")));

    let wrong = format!("{}1", solve(&question));
    let reply = register(&app, "ann@example.com", Some(&id), Some(&wrong)).await;
    assert_eq!(refused_on(&reply), ("BAD_USER_INPUT", Some("captchaAnswer")));
    // A wrong answer used the challenge up: no second guess.
    let reply = register(&app, "ann@example.com", Some(&id), Some(&solve(&question))).await;
    assert_eq!(refused_on(&reply), ("BAD_USER_INPUT", Some("captchaId")));

    let (id, question) = captcha(&app).await;
    let answer = format!(" {} ", solve(&question));
    let reply = register(&app, "ann@example.com", Some(&id), Some(&answer)).await;
    assert_eq!(reply.data()["register"]["user"]["email"], "ann@example.com");
    let reused = register(&app, "bob@example.com", Some(&id), Some(&answer)).await;
    assert_eq!(refused_on(&reused), ("BAD_USER_INPUT", Some("captchaId")));
    let forged = register(&app, "bob@example.com", Some("not-an-id"), Some("4")).await;
    assert_eq!(refused_on(&forged), ("BAD_USER_INPUT", Some("captchaId")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_challenge_cannot_be_answered() {
    let app = TestApp::with_env(&[("SIGNUP_CAPTCHA", "true")]).await;
    let (id, question) = captcha(&app).await;
    let past = sql_time(chrono::Utc::now() - chrono::Duration::seconds(1));
    app.sql(&format!("UPDATE captchas SET expires_at = {past}")).await;
    let reply = register(&app, "ann@example.com", Some(&id), Some(&solve(&question))).await;
    assert_eq!(refused_on(&reply), ("BAD_USER_INPUT", Some("captchaId")));
    // The retention run clears the expired ones.
    captcha(&app).await;
    agora::background::prune(&app.state).await.unwrap();
    assert_eq!(app.column("SELECT answer AS v FROM captchas").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_setting_no_captcha_is_needed() {
    let app = TestApp::new().await;
    let reply = register(&app, "ann@example.com", None, None).await;
    assert_eq!(reply.data()["register"]["user"]["email"], "ann@example.com");
}
