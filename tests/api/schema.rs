//! The published SDL and the migrated databases agree with the code.

use std::collections::BTreeMap;

use diesel::QueryableByName;
use diesel_async::RunQueryDsl;

use crate::common::TestApp;

#[test]
fn schema_graphql_is_up_to_date() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let current = agora::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

/// Each custom scalar: its specification, and an example its description gives.
const CUSTOM_SCALARS: [(&str, &str, &str); 3] = [
    (
        "DateTime",
        "https://www.rfc-editor.org/rfc/rfc3339#section-5.6",
        "`\"2026-11-30T19:23:34.123456+00:00\"`",
    ),
    (
        "Decimal",
        "https://speleotrove.com/decimal/daconvs.html#reftostr",
        "`\"1250.00\"`",
    ),
    (
        "Upload",
        "https://github.com/jaydenseric/graphql-multipart-request-spec",
        "-F map='{\"0\": [\"variables.file\"]}'",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn custom_scalars_say_what_they_are_and_where_they_are_specified() {
    let app = TestApp::new().await;
    let reply = app
        .gql(
            "{ __schema { types { name kind description specifiedByURL } } }",
            serde_json::json!({}),
            None,
        )
        .await;
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut custom: Vec<&serde_json::Value> = reply.data()["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["kind"] == "SCALAR" && !builtin.contains(&t["name"].as_str().unwrap()))
        .collect();
    custom.sort_by_key(|t| t["name"].as_str().unwrap());
    let names: Vec<&str> = custom.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["DateTime", "Decimal", "Upload"]);
    let sdl = agora::graphql::sdl();
    for (scalar, (name, url, example)) in custom.iter().zip(CUSTOM_SCALARS) {
        assert_eq!(scalar["name"], name);
        assert_eq!(scalar["specifiedByURL"], url, "{name}");
        let description = scalar["description"].as_str().unwrap();
        assert!(description.contains(example), "{name}: {description}");
        assert!(description.contains("refused"), "{name} says what it refuses");
        assert!(
            sdl.contains(&format!("scalar {name} @specifiedBy(url: \"{url}\")")),
            "{name} in the SDL"
        );
    }
}

#[test]
fn every_type_and_field_is_documented() {
    let sdl = agora::graphql::sdl();
    let mut in_description = false;
    let mut documented = false;
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("\"\"\"") {
            let one_line = trimmed.len() > 3 && trimmed.ends_with("\"\"\"");
            if !one_line {
                in_description = !in_description;
            }
            documented = true;
            continue;
        }
        if in_description || trimmed.is_empty() {
            continue;
        }
        let is_type = ["type ", "input ", "enum ", "scalar ", "interface ", "union "]
            .iter()
            .any(|k| trimmed.starts_with(k));
        // Fields, enum values, input fields, and arguments printed one per
        // line; `)` closes a field's argument list.
        let is_member = line.starts_with('\t') && trimmed != "}" && !trimmed.starts_with(')');
        if (is_type || is_member) && !in_schema_block(trimmed) {
            assert!(documented, "undocumented: {trimmed}");
        }
        documented = false;
    }
}

#[test]
fn lists_page_forwards_only_and_say_so() {
    let sdl = agora::graphql::sdl();
    assert!(sdl.contains("after: String"));
    assert!(!sdl.contains("before: String") && !sdl.contains("last: Int"));
    assert!(!sdl.contains("When paginating backwards"));
}

#[test]
fn descriptions_are_paragraphs_not_wrapped_lines() {
    let sdl = agora::graphql::sdl();
    let mut wrapped = Vec::new();
    for block in sdl.split("\"\"\"").skip(1).step_by(2) {
        let lines: Vec<&str> = block.lines().map(str::trim).collect();
        let mut fenced = false;
        for pair in lines.windows(2) {
            let (line, next) = (pair[0], pair[1]);
            if line.starts_with("```") {
                fenced = !fenced;
            }
            let starts_item = ["- ", "* ", "```", "|"].iter().any(|p| next.starts_with(p))
                || next
                    .split_once(". ")
                    .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
            if !fenced && !line.is_empty() && !next.is_empty() && !starts_item {
                wrapped.push(format!("{line} / {next}"));
            }
        }
    }
    assert!(
        wrapped.is_empty(),
        "descriptions cut into lines (one line per paragraph in the doc comment): {wrapped:#?}"
    );
}

/// The `schema { query: Query … }` block has no descriptions in SDL.
fn in_schema_block(line: &str) -> bool {
    line.starts_with("schema")
        || ["query: ", "mutation: ", "subscription: "]
            .iter()
            .any(|p| line.starts_with(p))
}

/// `table -> [(column, type, nullable)]` read from `src/db/schema.rs`.
fn declared_tables() -> BTreeMap<String, Vec<(String, String, bool)>> {
    let source = include_str!("../../src/db/schema.rs");
    let mut tables = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in source.lines().map(str::trim) {
        if let Some(name) = line
            .strip_suffix(") {")
            .and_then(|l| l.split_once(" ("))
            .map(|(n, _)| n.to_owned())
        {
            current = Some(name);
            continue;
        }
        if line == "}" {
            current = None;
            continue;
        }
        let (Some(table), Some((column, ty))) = (&current, line.trim_end_matches(',').split_once(" -> "))
        else {
            continue;
        };
        let (ty, nullable) = match ty.strip_prefix("Nullable<").and_then(|t| t.strip_suffix('>')) {
            Some(inner) => (inner, true),
            None => (ty, false),
        };
        tables.entry(table.clone()).or_insert_with(Vec::new).push((
            column.to_owned(),
            ty.to_owned(),
            nullable,
        ));
    }
    tables
}

/// The catalog type each diesel type must have, per backend.
fn expected_type(diesel_type: &str, backend: &str) -> &'static str {
    match (diesel_type, backend) {
        ("PortableUuid", "postgres") => "uuid",
        ("PortableTimestamp", "postgres") => "timestamptz",
        ("Text", "postgres") => "text",
        ("BigInt", "postgres") => "int8",
        ("Integer", "postgres") => "int4",
        ("Bool", "postgres") => "bool",
        ("BigInt", _) => "bigint",
        ("Integer", _) => "integer",
        ("Bool", _) => "boolean",
        (_, _) => "text",
    }
}

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct CatalogColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    data_type: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

#[tokio::test(flavor = "multi_thread")]
async fn migrated_database_matches_schema_rs() {
    let app = TestApp::new().await;
    let backend = app.backend();
    let catalog_sql = match backend {
        "postgres" => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, udt_name::text AS data_type, \
                       (is_nullable = 'YES') AS nullable FROM information_schema.columns \
                       WHERE table_schema = 'public' AND table_name NOT LIKE '\\_\\_diesel%'"
        }
        _ => {
            "SELECT m.name AS table_name, p.name AS column_name, lower(p.type) AS data_type, \
              (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
              FROM sqlite_master m JOIN pragma_table_info(m.name) p \
              WHERE m.type = 'table' AND m.name NOT LIKE '\\_\\_diesel%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite%'"
        }
    };
    let mut conn = app.state.pool.get().await.unwrap();
    let mut actual: Vec<CatalogColumn> =
        agora::with_conn!(&mut conn, |c| diesel::sql_query(catalog_sql).load(c).await).unwrap();
    actual.sort();
    let mut expected: Vec<CatalogColumn> = declared_tables()
        .into_iter()
        .flat_map(|(table, columns)| {
            columns
                .into_iter()
                .map(move |(column, ty, nullable)| CatalogColumn {
                    table_name: table.clone(),
                    column_name: column,
                    data_type: expected_type(&ty, backend).to_owned(),
                    nullable,
                })
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    assert_eq!(
        actual, expected,
        "{backend} migrations and src/db/schema.rs disagree"
    );
}
