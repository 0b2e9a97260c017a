//! The layers the code is built in (docs/ARCHITECTURE.md, "The core"), read
//! off the source: who may import whom.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Areas, lowest first: an area's domain files may import only areas
/// before it.
const AREAS: [&str; 11] = [
    "sessions",
    "accounts",
    "portfolio",
    "projects",
    "proposals",
    "contracts",
    "reviews",
    "catalogue",
    "professionals",
    "service_requests",
    "billing",
];

/// Modules below every area; they import none.
const BASE: [&str; 18] = [
    "audit",
    "auth",
    "client_ip",
    "config",
    "cpu",
    "db",
    "email",
    "error",
    "events",
    "jobs",
    "mail",
    "money",
    "persisted",
    "state",
    "storage",
    "text",
    "tx",
    "uploads",
];

/// Modules above the areas: the schema, HTTP, commands and background tasks.
const TOP: [&str; 5] = ["graphql", "http", "cli", "background", "server"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<module>` a file names, outside comments.
fn imports(path: &Path) -> BTreeSet<String> {
    let text = fs::read_to_string(path).unwrap();
    let mut found = BTreeSet::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found
}

/// A file of the schema layer: the `graphql` module, or an area file whose
/// name says so (`graphql.rs`, `avatar_graphql.rs`, `prefetch_graphql.rs`).
fn is_schema_file(relative: &str) -> bool {
    relative.starts_with("graphql/") || relative.rsplit('/').next().is_some_and(|f| f.contains("graphql"))
}

fn sources() -> Vec<(String, BTreeSet<String>, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = fs::read_to_string(&path).unwrap();
            (relative, imports(&path), text)
        })
        .collect()
}

fn module_of(relative: &str) -> &str {
    relative.split(['/', '.']).next().unwrap()
}

#[test]
fn base_modules_import_no_area_and_nothing_above() {
    let mut wrong = Vec::new();
    for (file, names, _) in sources() {
        if BASE.contains(&module_of(&file)) {
            for name in names
                .iter()
                .filter(|n| AREAS.contains(&n.as_str()) || TOP.contains(&n.as_str()))
            {
                wrong.push(format!("{file} imports crate::{name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn domain_files_import_no_schema_and_no_http() {
    let mut wrong = Vec::new();
    for (file, names, text) in sources() {
        if !AREAS.contains(&module_of(&file)) || is_schema_file(&file) {
            continue;
        }
        for top in TOP.iter().filter(|t| names.contains(**t)) {
            wrong.push(format!("{file} imports crate::{top}"));
        }
        let schema_import = text
            .lines()
            .filter(|l| l.trim_start().starts_with("use "))
            .any(|l| l.contains("graphql") && !l.contains("async_graphql"));
        if schema_import {
            wrong.push(format!("{file} imports a GraphQL file"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn schema_files_do_not_import_http() {
    let wrong: Vec<String> = sources()
        .into_iter()
        .filter(|(file, names, _)| is_schema_file(file) && names.contains("http"))
        .map(|(file, ..)| file)
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn areas_import_only_lower_areas() {
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (file, names, _) in sources() {
        let area = module_of(&file);
        let Some(rank) = AREAS.iter().position(|a| *a == area) else {
            continue;
        };
        if is_schema_file(&file) {
            continue;
        }
        for (other_rank, other) in AREAS.iter().enumerate() {
            if other_rank >= rank && *other != area && names.contains(*other) {
                edges
                    .entry((area.to_owned(), other.to_string()))
                    .or_default()
                    .push(file.clone());
            }
        }
    }
    assert!(edges.is_empty(), "imports of a higher area: {edges:#?}");
}
