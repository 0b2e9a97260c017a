//! Document limits async-graphql does not have: aliased fields and root
//! fields per document. They run right after parsing, on every transport.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

/// Refuses documents with too many aliases or root fields.
pub struct DocumentLimits {
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Most fields at the root of one operation.
    pub max_root_fields: usize,
}

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimits {
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
        })
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&doc);
        if aliases > self.max_aliases {
            return Err(ServerError::new(
                format!(
                    "too many aliases: {aliases}, at most {} allowed",
                    self.max_aliases
                ),
                None,
            ));
        }
        let roots = doc
            .operations
            .iter()
            .map(|(_, op)| count_root_fields(&doc, &op.node.selection_set.node))
            .max()
            .unwrap_or(0);
        if roots > self.max_root_fields {
            return Err(ServerError::new(
                format!(
                    "too many root fields: {roots}, at most {} allowed",
                    self.max_root_fields
                ),
                None,
            ));
        }
        Ok(doc)
    }
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

/// Fields at the root of an operation, looking through fragments (each
/// fragment once, so a cycle cannot loop; validation reports cycles later).
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap_or_else(|e| panic!("{e}"))
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
}
