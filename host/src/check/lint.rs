//! The static layer of `check`: rules read off PostgreSQL's grammar.
//!
//! The file is parsed by `squawk-syntax`, a full PostgreSQL parser, and the
//! well-known downtime rules come from `squawk-linter` as they are. The rules
//! that need to know how vytal runs a migration, or that squawk does not have
//! (case folding, conditional DDL, transaction control), walk the same tree.

use squawk_linter::{Linter, Rule as Squawk};
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind};

use super::rules::Rule;

/// One rule broken at one place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    /// The rule.
    pub rule: Rule,
    /// What is wrong here, in a sentence.
    pub message: String,
    /// Byte range in the file.
    pub start: usize,
    /// End of the range, exclusive.
    pub end: usize,
}

/// Which of a migration's files is linted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The up file: every rule.
    Up,
    /// The down file: only the rules that make it fail (case folding,
    /// transaction control). Dropping is what a down is for.
    Down,
}

/// squawk's rules that vytal uses, with vytal's name for each.
const SQUAWK: &[(Squawk, Rule)] = &[
    (Squawk::RequireConcurrentIndexCreation, Rule::RequireConcurrentIndexCreation),
    (Squawk::AddingFieldWithDefault, Rule::AddingFieldWithDefault),
    (Squawk::AddingRequiredField, Rule::AddingRequiredField),
    (Squawk::AddingNotNullableField, Rule::AddingNotNullableField),
    (Squawk::ConstraintMissingNotValid, Rule::ConstraintMissingNotValid),
    (Squawk::AddingForeignKeyConstraint, Rule::AddingForeignKeyConstraint),
    (Squawk::PreferTimestampTz, Rule::PreferTimestamptz),
];

/// Lints one file. `in_transaction` is false for `-- vytal:no-transaction` migrations.
pub(crate) fn lint(text: &str, side: Side, in_transaction: bool) -> Vec<Hit> {
    let parse = SourceFile::parse(text);
    let mut hits = Vec::new();
    if side == Side::Up {
        let mut linter = Linter::from(SQUAWK.iter().map(|(s, _)| *s));
        linter.settings.assume_in_transaction = in_transaction;
        for v in linter.lint(&parse, text) {
            let Some((_, rule)) = SQUAWK.iter().find(|(s, _)| *s == v.code) else {
                continue;
            };
            let written =
                text.get(usize::from(v.text_range.start())..usize::from(v.text_range.end())).unwrap_or_default();
            hits.push(Hit {
                rule: *rule,
                message: message(*rule, written, &v.message),
                start: usize::from(v.text_range.start()),
                end: usize::from(v.text_range.end()),
            });
        }
    }
    let file = parse.tree();
    for stmt in file.stmts() {
        let transaction_control = matches!(
            stmt,
            ast::Stmt::Begin(_)
                | ast::Stmt::Commit(_)
                | ast::Stmt::Rollback(_)
                | ast::Stmt::SavepointCreate(_)
                | ast::Stmt::ReleaseSavepoint(_)
                | ast::Stmt::PrepareTransaction(_)
        );
        // squawk lets a file of one statement through (some tools run those
        // outside a transaction); vytal wraps every migration that does not
        // say `no-transaction`, one statement or many.
        let concurrent = matches!(stmt, ast::Stmt::CreateIndex(_) | ast::Stmt::DropIndex(_) | ast::Stmt::Reindex(_));
        if in_transaction && concurrent {
            let token = stmt.syntax().descendants_with_tokens().find(|e| e.kind() == SyntaxKind::CONCURRENTLY_KW);
            if let Some(token) = token {
                let range = token.text_range();
                hits.push(Hit {
                    rule: Rule::ConcurrentlyInTransaction,
                    message: "`CONCURRENTLY` in a migration that runs in a transaction".to_owned(),
                    start: usize::from(range.start()),
                    end: usize::from(range.end()),
                });
            }
        }
        if transaction_control {
            let range = stmt.syntax().text_range();
            let first = stmt.syntax().text().to_string();
            let word = first.split_whitespace().next().unwrap_or_default().to_uppercase();
            hits.push(Hit {
                rule: Rule::TransactionControl,
                message: format!("`{word}` inside a migration"),
                start: usize::from(range.start()),
                end: usize::from(range.end()),
            });
        }
    }
    for element in file.syntax().descendants_with_tokens() {
        if let Some(token) = element.as_token().filter(|t| t.kind() == SyntaxKind::IDENT) {
            let name = token.text();
            if name.starts_with('"') || !has_mixed_case(name) {
                continue;
            }
            let range = token.text_range();
            hits.push(Hit {
                rule: Rule::UnquotedMixedCase,
                message: format!("`{name}` is not quoted, so PostgreSQL reads it as `{}`", name.to_lowercase()),
                start: usize::from(range.start()),
                end: usize::from(range.end()),
            });
        } else if let Some(node) = element.as_node()
            && side == Side::Up
            && matches!(node.kind(), SyntaxKind::IF_EXISTS | SyntaxKind::IF_NOT_EXISTS)
        {
            let words = if node.kind() == SyntaxKind::IF_EXISTS { "IF EXISTS" } else { "IF NOT EXISTS" };
            let range = node.text_range();
            hits.push(Hit {
                rule: Rule::ConditionalDdl,
                message: format!("`{words}` in an up migration"),
                start: usize::from(range.start()),
                end: usize::from(range.end()),
            });
        }
    }
    hits.sort_by_key(|h| (h.start, h.rule));
    hits
}

/// A short statement of what a squawk rule found here; squawk's own text is
/// the rule's rationale, which the diagnostic carries as `why`.
fn message(rule: Rule, written: &str, squawk: &str) -> String {
    let first = written.lines().next().unwrap_or_default().trim();
    match rule {
        Rule::RequireConcurrentIndexCreation => {
            "`CREATE INDEX` without `CONCURRENTLY` on a table that existed before this migration".to_owned()
        }
        Rule::AddingFieldWithDefault => format!("column added to an existing table with a volatile default: `{first}`"),
        Rule::AddingRequiredField => {
            format!("`NOT NULL` column without a default added to an existing table: `{first}`")
        }
        Rule::AddingNotNullableField => format!("`SET NOT NULL` on a column of an existing table: `{first}`"),
        Rule::ConstraintMissingNotValid if squawk.contains("VALIDATE") => {
            "`VALIDATE CONSTRAINT` in the same transaction that added the constraint `NOT VALID`".to_owned()
        }
        Rule::ConstraintMissingNotValid => {
            format!("constraint added to an existing table without `NOT VALID`: `{first}`")
        }
        Rule::AddingForeignKeyConstraint => {
            format!("foreign key added to an existing table without `NOT VALID`: `{first}`")
        }
        Rule::PreferTimestamptz => format!("`{first}` is a timestamp without time zone"),
        _ => squawk.to_owned(),
    }
}

/// Upper- and lower-case letters both: `birthDate`, not `id` or `NOW`.
fn has_mixed_case(name: &str) -> bool {
    name.chars().any(char::is_uppercase) && name.chars().any(char::is_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(sql: &str) -> Vec<(Rule, String)> {
        lint(sql, Side::Up, true).into_iter().map(|h| (h.rule, sql[h.start..h.end].to_owned())).collect()
    }

    #[test]
    fn unquoted_mixed_case_in_columns_indexes_and_constraints() {
        let sql = "CREATE TABLE \"t\" (\"id\" uuid, birthDate date, \"ok\" int);\n\
                   CREATE INDEX \"i\" ON \"t\" (birthDate);\n\
                   ALTER TABLE \"t\" ADD CONSTRAINT \"c\" CHECK (birthDate > '2000-01-01');\n\
                   SELECT NOW(), \"camelCase\" FROM \"t\";";
        let got: Vec<_> = rules(sql).into_iter().filter(|(r, _)| *r == Rule::UnquotedMixedCase).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got.iter().all(|(_, text)| text == "birthDate"));
    }

    #[test]
    fn conditional_ddl_only_in_ups() {
        let sql = "CREATE TABLE IF NOT EXISTS \"t\" (\"id\" int);\nDROP INDEX IF EXISTS \"i\";";
        let up: Vec<_> = rules(sql).into_iter().filter(|(r, _)| *r == Rule::ConditionalDdl).collect();
        assert_eq!(up.len(), 2, "{up:?}");
        assert!(lint(sql, Side::Down, true).iter().all(|h| h.rule != Rule::ConditionalDdl));
    }

    #[test]
    fn transaction_control_and_concurrently() {
        let got = rules("BEGIN;\nCREATE INDEX CONCURRENTLY \"i\" ON \"t\" (\"x\");\nCOMMIT;");
        let names: Vec<_> = got.iter().map(|(r, _)| *r).collect();
        assert_eq!(names.iter().filter(|r| **r == Rule::TransactionControl).count(), 2, "{got:?}");
        assert!(names.contains(&Rule::ConcurrentlyInTransaction), "{got:?}");
        let outside = lint("CREATE INDEX CONCURRENTLY \"i\" ON \"t\" (\"x\");", Side::Up, false);
        assert!(outside.is_empty(), "{outside:?}");
    }

    #[test]
    fn index_on_an_existing_table_needs_concurrently_but_not_on_a_new_one() {
        let existing = rules("CREATE INDEX \"i\" ON \"t\" (\"x\");");
        assert_eq!(existing.iter().map(|(r, _)| *r).collect::<Vec<_>>(), vec![Rule::RequireConcurrentIndexCreation]);
        let new = rules("CREATE TABLE \"t\" (\"x\" int);\nCREATE INDEX \"i\" ON \"t\" (\"x\");");
        assert!(new.is_empty(), "{new:?}");
    }
}
