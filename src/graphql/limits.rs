//! Bounds on a document, checked before validation and execution: its
//! tokens (before parsing), its aliases and root fields, and its size with
//! every fragment expanded (computed once per fragment, so a document whose
//! fragments spread each other twice over is measured without expanding it).
//! Validation walks fragments expanded, so without this bound a 1 KB document
//! could cost minutes and gigabytes before any limit looked at it.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value};

use crate::config::GraphqlLimits;

/// What a document may hold (see [`crate::config::GraphqlLimits`]).
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// Most lexical tokens in the document's text.
    pub max_tokens: usize,
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Most fields at the root of one operation.
    pub max_root_fields: usize,
    /// Most fields in the whole document with every fragment spread expanded.
    pub max_fields: usize,
}

impl From<&GraphqlLimits> for DocumentLimits {
    fn from(limits: &GraphqlLimits) -> Self {
        DocumentLimits {
            max_tokens: limits.max_tokens,
            max_aliases: limits.max_aliases,
            max_root_fields: limits.max_root_fields,
            max_fields: limits.max_fields,
        }
    }
}

impl DocumentLimits {
    /// Check the text before it is parsed.
    pub fn check_source(&self, query: &str) -> Result<(), String> {
        match count_tokens(query, self.max_tokens) {
            n if n > self.max_tokens => Err(format!("the document has more than {} tokens", self.max_tokens)),
            _ => Ok(()),
        }
    }

    /// Check a parsed document.
    pub fn check_document(&self, doc: &ExecutableDocument) -> Result<(), String> {
        let aliases = count_aliases(doc);
        if aliases > self.max_aliases {
            return Err(format!(
                "too many aliases: {aliases}, at most {} allowed",
                self.max_aliases
            ));
        }
        let roots = doc
            .operations
            .iter()
            .map(|(_, op)| count_root_fields(doc, &op.node.selection_set.node))
            .max()
            .unwrap_or(0);
        if roots > self.max_root_fields {
            return Err(format!(
                "too many root fields: {roots}, at most {} allowed",
                self.max_root_fields
            ));
        }
        if expanded_fields(doc) > self.max_fields {
            return Err(format!(
                "the document selects more than {} fields with its fragments expanded",
                self.max_fields
            ));
        }
        Ok(())
    }
}

/// Lexical tokens of a GraphQL document, counting no further than `stop + 1` (punctuators, names, numbers and strings; white space, commas and comments are not tokens). Anything the lexer would refuse counts as one token per character: the parser refuses it later.
fn count_tokens(text: &str, stop: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut tokens = 0;
    while i < bytes.len() && tokens <= stop {
        match bytes[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' => {
                tokens += 1;
                i = skip_string(bytes, i);
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                tokens += 1;
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                tokens += 1;
                i += 1;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            _ => {
                tokens += 1;
                i += 1;
            }
        }
    }
    tokens
}

/// The index after the string starting at `start` (a `"…"` or `"""…"""`).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return i;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' | b'\n' | b'\r' => return i + 1,
            _ => i += 1,
        }
    }
    i
}

/// Aliased fields anywhere in the document (operations and fragments).
fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn in_set(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(f) => {
                    usize::from(f.node.alias.is_some()) + in_set(&f.node.selection_set.node)
                }
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let in_operations: usize = doc
        .operations
        .iter()
        .map(|(_, op)| in_set(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = doc
        .fragments
        .values()
        .map(|f| in_set(&f.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

/// Fields at the root of an operation, looking through fragments (each fragment once, so a cycle cannot loop; validation reports cycles later).
fn count_root_fields(doc: &ExecutableDocument, root: &SelectionSet) -> usize {
    fn walk<'a>(doc: &'a ExecutableDocument, set: &'a SelectionSet, seen: &mut HashSet<&'a str>) -> usize {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(_) => 1,
                Selection::InlineFragment(f) => walk(doc, &f.node.selection_set.node, seen),
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match doc.fragments.get(&spread.node.fragment_name.node) {
                        Some(fragment) if seen.insert(name) => {
                            walk(doc, &fragment.node.selection_set.node, seen)
                        }
                        _ => 0,
                    }
                }
            })
            .sum()
    }
    walk(doc, root, &mut HashSet::new())
}

/// Fields of every operation and every fragment definition with each fragment spread expanded: what validation walks. Each fragment's size is computed once and reused (a fragment spread twice in each of 26 levels costs 26 computations, not 2^26); a spread inside its own expansion (a cycle, refused by validation) counts nothing. Saturates instead of overflowing.
fn expanded_fields(doc: &ExecutableDocument) -> usize {
    struct Sizes<'a> {
        doc: &'a ExecutableDocument,
        known: HashMap<&'a Name, usize>,
        open: HashSet<&'a Name>,
    }
    impl<'a> Sizes<'a> {
        fn of_set(&mut self, set: &'a SelectionSet) -> usize {
            set.items.iter().fold(0usize, |sum, item| {
                let size = match &item.node {
                    Selection::Field(f) => 1usize.saturating_add(self.of_set(&f.node.selection_set.node)),
                    Selection::InlineFragment(f) => self.of_set(&f.node.selection_set.node),
                    Selection::FragmentSpread(spread) => self.of_fragment(&spread.node.fragment_name.node),
                };
                sum.saturating_add(size)
            })
        }

        fn of_fragment(&mut self, name: &'a Name) -> usize {
            if let Some(size) = self.known.get(name) {
                return *size;
            }
            let Some(fragment) = self.doc.fragments.get(name) else {
                return 0;
            };
            if !self.open.insert(name) {
                return 0;
            }
            let size = self.of_set(&fragment.node.selection_set.node);
            self.open.remove(name);
            self.known.insert(name, size);
            size
        }
    }
    let mut sizes = Sizes {
        doc,
        known: HashMap::new(),
        open: HashSet::new(),
    };
    let operations = doc.operations.iter().fold(0usize, |sum, (_, op)| {
        sum.saturating_add(sizes.of_set(&op.node.selection_set.node))
    });
    doc.fragments.keys().fold(operations, |sum, name| {
        sum.saturating_add(sizes.of_fragment(name))
    })
}

/// Values in a response's `data`: every field and every list item.
pub fn count_values(value: &Value) -> usize {
    match value {
        Value::List(items) => items.iter().map(|v| 1 + count_values(v)).sum(),
        Value::Object(fields) => fields.values().map(|v| 1 + count_values(v)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Fragments F0..F(n-1) each spreading the next twice, the last `__typename`.
    fn fan_out(levels: usize) -> String {
        let mut doc = String::from("query { ...F0 }");
        for i in 0..levels {
            doc.push_str(&format!(
                " fragment F{i} on Query {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        doc.push_str(&format!(" fragment F{levels} on Query {{ __typename }}"));
        doc
    }

    #[test]
    fn counts_aliases_everywhere() {
        let doc = parse("{ a: me { n: name } ...F } fragment F on Query { b: me { id } }");
        assert_eq!(count_aliases(&doc), 3);
    }

    #[test]
    fn counts_root_fields_through_fragments_once() {
        let doc =
            parse("{ me ...F ... on Query { user(id: 1) { id } } } fragment F on Query { a: me b: me ...F }");
        let (_, op) = doc.operations.iter().next().unwrap_or_else(|| unreachable!());
        assert_eq!(count_root_fields(&doc, &op.node.selection_set.node), 4);
    }

    #[test]
    fn expanded_size_is_computed_once_per_fragment() {
        let doc = parse(&fan_out(26));
        // 2^26 `__typename`s in the operation, as many again in F0, half of
        // that in F1 ...: far past any limit, and counted at once.
        assert!(expanded_fields(&doc) > 1 << 26);
        assert_eq!(expanded_fields(&parse(&fan_out(2))), 4 + 4 + 2 + 1);
        let cyclic = parse("{ ...A } fragment A on Query { me ...B } fragment B on Query { ...A }");
        // A: `me` (B, open, counts nothing there); B: A, open at the time.
        assert_eq!(expanded_fields(&cyclic), 1 + 1);
    }

    #[test]
    fn tokens_are_counted_like_the_lexer() {
        assert_eq!(count_tokens("{ a }", 100), 3);
        assert_eq!(count_tokens("query Q($x: Int = -1.5e3) { a(x: $x) }", 100), 19);
        assert_eq!(count_tokens("# comment\n{ a, b ...F }", 100), 6);
        assert_eq!(
            count_tokens(r#"{ a(s: "x \" { }") b(t: """ { " } """) }"#, 100),
            14
        );
        assert_eq!(count_tokens(&"a ".repeat(1000), 10), 11);
    }

    #[test]
    fn response_values_are_counted() {
        let value = Value::from_json(serde_json::json!({"a": {"b": [1, 2, {"c": null}]}}))
            .unwrap_or_else(|e| panic!("{e}"));
        // a, b, three items, c
        assert_eq!(count_values(&value), 6);
    }
}
