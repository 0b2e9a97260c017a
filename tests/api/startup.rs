//! The real `agora` binary refusing to start, as an operator sees it: every
//! invalid variable at once, in words, printed once, with the exit status of
//! a configuration error (2) or of a failure (1).

use std::process::{Command, Output};

/// Run `agora args…` in an empty directory (no `.env`) with only `vars`.
fn agora(args: &[&str], vars: &[(&str, &str)], stdin: Option<&str>) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_agora"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("RUST_LOG", "warn");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output: Output = match stdin {
        None => command.stdin(std::process::Stdio::null()).output().unwrap(),
        Some(text) => {
            use std::io::Write;
            let mut child = command
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        }
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn every_invalid_variable_is_reported_at_once() {
    let (status, text) = agora(
        &["migrate"],
        &[
            ("PORT", "eighty"),
            ("LOG_FORMAT", "xml"),
            ("TRUSTED_DOCUMENTS", "sometimes"),
        ],
        None,
    );
    assert_eq!(status, Some(2), "{text}");
    for name in ["PORT", "LOG_FORMAT", "TRUSTED_DOCUMENTS"] {
        assert_eq!(
            text.matches(&format!("configuration error: invalid {name}"))
                .count(),
            1,
            "{name} once in: {text}"
        );
    }
}

#[test]
fn a_foreign_database_scheme_and_a_bad_log_filter_are_refused_by_name() {
    let (status, text) = agora(
        &["migrate"],
        &[("DATABASE_URL", "mysql://root@localhost/agora")],
        None,
    );
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("invalid DATABASE_URL"), "{text}");

    let (status, text) = agora(&["migrate"], &[("RUST_LOG", "info,[[[")], None);
    assert_eq!(status, Some(2), "{text}");
    assert!(text.contains("RUST_LOG"), "{text}");
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let (status, text) = agora(
        &["migrate"],
        &[(
            "DATABASE_URL",
            "postgres://agora:hunter2secret@127.0.0.1:1/marketplace",
        )],
        None,
    );
    assert_eq!(status, Some(1), "{text}");
    assert!(text.contains("127.0.0.1"), "{text}");
    assert!(text.contains("1"), "{text}");
    assert!(text.contains("marketplace"), "{text}");
    assert!(!text.contains("hunter2secret"), "{text}");
    assert!(
        !text.contains("Error occurred while creating a new object"),
        "{text}"
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("agora: ")).count(),
        1,
        "once: {text}"
    );
}

#[test]
fn create_admin_answers_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("admin.db").display());
    let (status, text) = agora(
        &["create-admin", "--email", "not-an-email"],
        &[("DATABASE_URL", &url)],
        Some("long enough password\n"),
    );
    assert_eq!(status, Some(1), "{text}");
    assert_eq!(text.matches("agora: email: ").count(), 1, "{text}");
    assert!(!text.contains("BadInput"), "{text}");
}

#[test]
fn help_says_where_the_configuration_is_documented() {
    let (status, text) = agora(&["--help"], &[], None);
    assert_eq!(status, Some(0));
    assert!(text.contains("README.md, section Configuration"), "{text}");
}
