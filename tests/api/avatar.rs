//! Avatars: `uploadAvatar` by the GraphQL multipart request spec, the files
//! served at `/files/…`, replacing, removing, and deleting with the account.

use std::io::Cursor;
use std::path::Path;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common::{
    Account, File, PASSWORD, PREFLIGHT, Reply, TestApp, multipart_body, multipart_request, row_id,
};

const UPLOAD: &str = "mutation($file: Upload!) { uploadAvatar(file: $file) { id avatarUrl } }";
/// Send `files` to `uploadAvatar` with `headers`.
async fn send_files(
    app: &TestApp,
    token: Option<&str>,
    files: &[File<'_>],
    headers: &[(&str, &str)],
) -> Reply {
    app.send(multipart_request(
        UPLOAD,
        json!({ "file": null }),
        files,
        token,
        headers,
    ))
    .await
}

/// Upload `bytes` as `name` with the CSRF header, as a browser client would.
async fn upload(app: &TestApp, token: Option<&str>, name: &str, bytes: &[u8]) -> Reply {
    let file = File {
        name,
        content_type: "application/octet-stream",
        bytes,
    };
    send_files(app, token, &[file], &[PREFLIGHT]).await
}

/// `uploadAvatar`'s new avatarUrl, asserting success.
async fn upload_ok(app: &TestApp, account: &Account, name: &str, bytes: &[u8]) -> String {
    let reply = upload(app, Some(&account.access), name, bytes).await;
    let avatar = &reply.data()["uploadAvatar"];
    assert_eq!(avatar["id"], account.id.as_str());
    avatar["avatarUrl"].as_str().unwrap().to_owned()
}

/// GET `uri` and keep the body as bytes (images are not JSON).
async fn fetch(app: &TestApp, uri: &str) -> (StatusCode, HeaderMap, Bytes) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.unwrap().to_bytes(),
    )
}

/// The path of an avatar URL on this server.
fn path_of<'a>(app: &TestApp, url: &'a str) -> &'a str {
    url.strip_prefix(app.state.config.public_url.as_str()).unwrap()
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// An opaque photo-like image: colour gradients.
fn photo(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    }))
}

/// Files under `dir`, recursively.
fn stored_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(stored_files(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn avatar_of(app: &TestApp, user_id: &str, token: Option<&str>) -> Value {
    let reply = app
        .gql(
            "query($id: ID!) { user(id: $id) { avatarUrl } }",
            json!({ "id": user_id }),
            token,
        )
        .await;
    reply.data()["user"]["avatarUrl"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_becomes_a_square_thumbnail_served_for_good() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let original = encoded(&photo(600, 400), ImageFormat::Png);
    let url = upload_ok(&app, &ann, "me.png", &original).await;
    let prefix = format!(
        "{}/files/avatars/{}/",
        app.state.config.public_url,
        row_id(&ann.id)
    );
    assert!(url.starts_with(&prefix) && url.ends_with(".jpg"), "{url}");

    let (status, headers, bytes) = fetch(&app, path_of(&app, &url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_ne!(
        bytes.as_ref(),
        original.as_slice(),
        "the upload is never served back"
    );
    let served = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!(served.dimensions(), (256, 256));

    let me = app
        .gql("{ me { avatarUrl } }", json!({}), Some(&ann.access))
        .await;
    assert_eq!(me.data()["me"]["avatarUrl"], url.as_str());
    assert_eq!(stored_files(app.files.path()).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn webp_and_jpeg_are_accepted_and_transparency_stays_png() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    for format in [ImageFormat::WebP, ImageFormat::Jpeg] {
        let url = upload_ok(&app, &ann, "avatar", &encoded(&photo(300, 500), format)).await;
        assert!(url.ends_with(".jpg"), "{format:?}: {url}");
    }
    let halo = RgbaImage::from_fn(200, 200, |x, _| {
        Rgba([200, 30, 30, if x < 100 { 0 } else { 255 }])
    });
    let url = upload_ok(
        &app,
        &ann,
        "halo.png",
        &encoded(&DynamicImage::ImageRgba8(halo), ImageFormat::Png),
    )
    .await;
    assert!(url.ends_with(".png"), "{url}");
    let (status, headers, bytes) = fetch(&app, path_of(&app, &url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    let served = image::load_from_memory_with_format(&bytes, ImageFormat::Png).unwrap();
    assert_eq!(served.dimensions(), (256, 256));
    assert_eq!(served.get_pixel(5, 128).0[3], 0, "transparent stays transparent");
    assert_eq!(served.get_pixel(250, 128).0[3], 255);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_type_is_decided_by_content_not_name() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let png = encoded(&photo(64, 64), ImageFormat::Png);
    let file = File {
        name: "x.jpg",
        content_type: "image/jpeg",
        bytes: &png,
    };
    let reply = send_files(
        &app,
        Some(&ann.access),
        &[file],
        &[("x-requested-with", "XMLHttpRequest")],
    )
    .await;
    assert!(reply.data()["uploadAvatar"]["avatarUrl"].is_string());

    let bob = app.register("bob@example.com", "CLIENT").await;
    let text = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let truncated = &png[..png.len() / 2];
    for (name, bytes) in [("a.png", &text[..]), ("b.png", truncated), ("c.webp", &png[..24])] {
        let reply = upload(&app, Some(&bob.access), name, bytes).await;
        assert_eq!(reply.code(), "BAD_USER_INPUT", "{name}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["field"], "file");
        assert_eq!(reply.body["errors"][0]["path"][0], "uploadAvatar");
    }
    assert!(avatar_of(&app, &bob.id, None).await.is_null());
    assert_eq!(stored_files(app.files.path()).len(), 1, "only ann's avatar");
}

#[tokio::test(flavor = "multi_thread")]
async fn too_large_is_payload_too_large() {
    let app = TestApp::with_env(&[("MAX_AVATAR_BYTES", "1000")]).await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let big = encoded(&photo(300, 300), ImageFormat::Png);
    assert!(big.len() > 1000);
    let reply = upload(&app, Some(&ann.access), "big.png", &big).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.code(), "PAYLOAD_TOO_LARGE", "{}", reply.body);
    assert_eq!(reply.body["errors"][0]["extensions"]["field"], "file");

    // Past the room a multipart body has (the larger of MAX_AVATAR_BYTES and
    // MAX_DOCUMENT_BYTES, + 64 KiB, or MAX_BODY_BYTES when larger), the body
    // is refused before it is read.
    let app = TestApp::with_env(&[
        ("MAX_AVATAR_BYTES", "1000"),
        ("MAX_DOCUMENT_BYTES", "1000"),
        ("MAX_BODY_BYTES", "1024"),
    ])
    .await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let huge = vec![0x89; 100 * 1024];
    let reply = upload(&app, Some(&ann.access), "huge.png", &huge).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "PAYLOAD_TOO_LARGE");
    let file = File {
        name: "h.png",
        content_type: "image/png",
        bytes: &huge,
    };
    let length = multipart_body(UPLOAD, json!({ "file": null }), std::slice::from_ref(&file))
        .len()
        .to_string();
    let headers = [PREFLIGHT, ("content-length", &length)];
    let reply = send_files(&app, Some(&ann.access), &[file], &headers).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "PAYLOAD_TOO_LARGE");
    // A JSON body stays bound by MAX_BODY_BYTES.
    let long = format!("{{ __typename }} #{}", "x".repeat(2048));
    assert_eq!(
        app.gql(&long, json!({}), None).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert!(stored_files(app.files.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn one_file_per_request() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let png = encoded(&photo(32, 32), ImageFormat::Png);
    let file = || File {
        name: "a.png",
        content_type: "image/png",
        bytes: &png,
    };
    let reply = send_files(&app, Some(&ann.access), &[file(), file()], &[PREFLIGHT]).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(stored_files(app.files.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn multipart_needs_a_header_a_form_cannot_send() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let png = encoded(&photo(64, 64), ImageFormat::Png);
    for headers in [&[][..], &[("apollo-require-preflight", "")][..]] {
        let file = File {
            name: "a.png",
            content_type: "image/png",
            bytes: &png,
        };
        let reply = send_files(&app, Some(&ann.access), &[file], headers).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.code(), "BAD_REQUEST");
        let message = reply.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("Apollo-Require-Preflight") && message.contains("X-Requested-With"));
    }
    assert!(avatar_of(&app, &ann.id, None).await.is_null());
    assert!(stored_files(app.files.path()).is_empty());
    // JSON requests need no such header.
    app.gql("{ __typename }", json!({}), None).await.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymous_uploads_are_refused() {
    let app = TestApp::new().await;
    let png = encoded(&photo(64, 64), ImageFormat::Png);
    let reply = upload(&app, None, "a.png", &png).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED", "{}", reply.body);
    let reply = app.gql("mutation { removeAvatar { id } }", json!({}), None).await;
    assert_eq!(reply.code(), "UNAUTHENTICATED");
    assert!(stored_files(app.files.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_markers_written_by_the_client_are_refused() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    for marker in ["#__graphql_file__:0", "#__graphql_file__:x"] {
        let reply = app
            .gql(UPLOAD, json!({ "file": marker }), Some(&ann.access))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{marker}");
        assert_eq!(reply.code(), "BAD_REQUEST");
    }
    let inline = "mutation { uploadAvatar(file: \"#__graphql_file__:x\") { id } }";
    let reply = app.gql(inline, json!({}), Some(&ann.access)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // Any other string is not a marker: it reaches the resolver and fails there.
    let reply = app
        .gql(UPLOAD, json!({ "file": "a.png" }), Some(&ann.access))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body["errors"][0]["path"][0], "uploadAvatar",
        "{}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn replacing_or_removing_deletes_the_old_file() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let first = upload_ok(&app, &ann, "1.png", &encoded(&photo(80, 80), ImageFormat::Png)).await;
    let second = upload_ok(&app, &ann, "2.png", &encoded(&photo(90, 60), ImageFormat::Png)).await;
    assert_ne!(first, second);
    assert_eq!(fetch(&app, path_of(&app, &first)).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&app, path_of(&app, &second)).await.0, StatusCode::OK);
    assert_eq!(stored_files(app.files.path()).len(), 1);

    let reply = app
        .gql(
            "mutation { removeAvatar { id avatarUrl } }",
            json!({}),
            Some(&ann.access),
        )
        .await;
    assert!(reply.data()["removeAvatar"]["avatarUrl"].is_null());
    assert_eq!(fetch(&app, path_of(&app, &second)).await.0, StatusCode::NOT_FOUND);
    assert!(stored_files(app.files.path()).is_empty());
    let again = app
        .gql("mutation { removeAvatar { id } }", json!({}), Some(&ann.access))
        .await;
    again.data();
}

#[tokio::test(flavor = "multi_thread")]
async fn others_see_the_avatar_until_the_account_is_deleted() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "FREELANCER").await;
    let bob = app.register("bob@example.com", "CLIENT").await;
    let url = upload_ok(&app, &ann, "a.png", &encoded(&photo(120, 120), ImageFormat::Png)).await;
    assert_eq!(avatar_of(&app, &ann.id, Some(&bob.access)).await, url.as_str());
    assert_eq!(avatar_of(&app, &ann.id, None).await, url.as_str());
    assert!(avatar_of(&app, &bob.id, Some(&ann.access)).await.is_null());

    let reply = app
        .gql(
            "mutation($p: String!) { deleteAccount(password: $p) }",
            json!({ "p": PASSWORD }),
            Some(&ann.access),
        )
        .await;
    assert_eq!(reply.data()["deleteAccount"], true);
    assert!(avatar_of(&app, &ann.id, Some(&bob.access)).await.is_null());
    assert_eq!(fetch(&app, path_of(&app, &url)).await.0, StatusCode::NOT_FOUND);
    assert!(stored_files(app.files.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn files_outside_the_public_avatars_are_not_served() {
    let app = TestApp::new().await;
    let ann = app.register("ann@example.com", "CLIENT").await;
    let url = upload_ok(&app, &ann, "a.png", &encoded(&photo(64, 64), ImageFormat::Png)).await;
    let path = path_of(&app, &url);
    std::fs::write(app.files.path().join("secret.jpg"), b"secret").unwrap();
    let (_, name) = path.rsplit_once('/').unwrap();
    for uri in [
        "/files/avatars/../secret.jpg".to_owned(),
        "/files/avatars/%2e%2e/secret.jpg".to_owned(),
        "/files/avatars/..%2Fsecret.jpg".to_owned(),
        "/files/secret.jpg".to_owned(),
        "/files/avatars/../../Cargo.toml".to_owned(),
        format!("/files/avatars/{}/./{name}", row_id(&ann.id)),
        format!("/files/avatars/{}//{name}", row_id(&ann.id)),
        path.replace(".jpg", ".txt"),
        "/files/avatars/nobody/nothing.jpg".to_owned(),
    ] {
        let (status, _, body) = fetch(&app, &uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(body.is_empty(), "{uri}");
    }
}

/// Over TCP, a multipart upload refused for its missing CSRF header gets its
/// 400 and the explanation after the server read the body, not a reset
/// connection halfway through the upload.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_upload_is_read_before_the_400() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app
        .router
        .clone()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    let file = vec![b'x'; 8 * 1024 * 1024];
    let body = multipart_body(
        UPLOAD,
        json!({ "file": null }),
        &[File {
            name: "big.png",
            content_type: "image/png",
            bytes: &file,
        }],
    );
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: multipart/form-data; \
         boundary=----agora-test-boundary-7MA4YWxkTrZu0gW\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body).await.expect("the whole upload is read");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("Apollo-Require-Preflight"), "{answer}");
}
