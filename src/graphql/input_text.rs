//! Text input is text: no string a client sends (in the variables or written
//! in the document) may hold a control character other than tab and line
//! breaks. Checked once per operation, before validation, for every field of
//! every area: PostgreSQL refuses a NUL in text, SQLite would store it, and
//! neither is what a user meant. Fields that must fit on one line (names,
//! titles) refuse line breaks too, in `crate::text`.

use async_graphql::Variables;
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Value as ConstValue};
use async_graphql_value::Value;

/// A string that holds a control character: the dotted path of the value (`input.title`, `skills.2`), as the client named it.
#[derive(Debug, PartialEq, Eq)]
pub struct ControlCharacter {
    /// Where: an argument or variable name, then object keys and list indexes.
    pub field: String,
}

/// Is `c` a control character that text input may not hold?
pub fn forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The first string in the request that holds a forbidden character.
pub fn check(doc: &ExecutableDocument, variables: &Variables) -> Result<(), ControlCharacter> {
    for (name, value) in variables.iter() {
        check_const(value, name.as_str())?;
    }
    for (_, op) in doc.operations.iter() {
        check_operation(&op.node)?;
    }
    for fragment in doc.fragments.values() {
        check_directives(&fragment.node.directives)?;
        check_set(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

fn check_operation(op: &OperationDefinition) -> Result<(), ControlCharacter> {
    for definition in &op.variable_definitions {
        if let Some(default) = &definition.node.default_value {
            check_const(&default.node, definition.node.name.node.as_str())?;
        }
    }
    check_directives(&op.directives)?;
    check_set(&op.selection_set.node)
}

fn check_set(set: &SelectionSet) -> Result<(), ControlCharacter> {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                check_arguments(&field.node.arguments)?;
                check_directives(&field.node.directives)?;
                check_set(&field.node.selection_set.node)?;
            }
            Selection::InlineFragment(fragment) => {
                check_directives(&fragment.node.directives)?;
                check_set(&fragment.node.selection_set.node)?;
            }
            Selection::FragmentSpread(spread) => check_directives(&spread.node.directives)?,
        }
    }
    Ok(())
}

fn check_directives(directives: &[Positioned<Directive>]) -> Result<(), ControlCharacter> {
    directives
        .iter()
        .try_for_each(|d| check_arguments(&d.node.arguments))
}

fn check_arguments(arguments: &[(Positioned<Name>, Positioned<Value>)]) -> Result<(), ControlCharacter> {
    arguments
        .iter()
        .try_for_each(|(name, value)| check_literal(&value.node, name.node.as_str()))
}

fn refused(path: &str) -> ControlCharacter {
    ControlCharacter {
        field: path.to_owned(),
    }
}

fn check_literal(value: &Value, path: &str) -> Result<(), ControlCharacter> {
    match value {
        Value::String(s) if s.chars().any(forbidden) => Err(refused(path)),
        Value::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_literal(v, &format!("{path}.{i}"))),
        Value::Object(fields) => fields
            .iter()
            .try_for_each(|(k, v)| check_literal(v, &format!("{path}.{k}"))),
        _ => Ok(()),
    }
}

fn check_const(value: &ConstValue, path: &str) -> Result<(), ControlCharacter> {
    match value {
        ConstValue::String(s) if s.chars().any(forbidden) => Err(refused(path)),
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_const(v, &format!("{path}.{i}"))),
        ConstValue::Object(fields) => fields
            .iter()
            .try_for_each(|(k, v)| check_const(v, &format!("{path}.{k}"))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(query: &str, variables: serde_json::Value) -> Result<(), ControlCharacter> {
        let doc = async_graphql::parser::parse_query(query).unwrap_or_else(|e| panic!("{e}"));
        check(&doc, &Variables::from_json(variables))
    }

    fn at(field: &str) -> Result<(), ControlCharacter> {
        Err(refused(field))
    }

    #[test]
    fn tabs_and_line_breaks_pass() {
        let vars = serde_json::json!({"input": {"description": "a\tb\r\nc", "skills": ["x"]}});
        assert_eq!(run("mutation($input: I) { a(input: $input) }", vars), Ok(()));
        assert_eq!(run(r#"{ a(s: "é ✓ 𝄞") }"#, serde_json::json!({})), Ok(()));
    }

    #[test]
    fn control_characters_are_refused_with_their_path() {
        let vars = serde_json::json!({"input": {"title": "a\u{0}b"}});
        assert_eq!(
            run("mutation($input: I) { a(input: $input) }", vars),
            at("input.title")
        );
        let vars = serde_json::json!({"input": {"skills": ["ok", "bell\u{7}"]}});
        assert_eq!(
            run("mutation($input: I) { a(input: $input) }", vars),
            at("input.skills.1")
        );
        let vars = serde_json::json!({"q": "\u{9b}"});
        assert_eq!(run("query($q: String) { a(s: $q) }", vars), at("q"));
        assert_eq!(
            run(r#"{ a(filter: {search: "x\u0000"}) }"#, serde_json::json!({})),
            at("filter.search")
        );
        assert_eq!(
            run(
                r#"query($s: String = "\u0001") { a(s: $s) }"#,
                serde_json::json!({})
            ),
            at("s")
        );
        assert_eq!(
            run(
                r#"{ ...F } fragment F on Query { a @include(if: "\u007f") }"#,
                serde_json::json!({})
            ),
            at("if")
        );
    }
}
