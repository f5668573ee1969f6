//! What a down migration destroys, counted before it runs.
//!
//! The down SQL is parsed (the same PostgreSQL grammar `check` reads) for the
//! statements that take data with them: `DROP TABLE`, `TRUNCATE`, `DELETE`
//! and `ALTER TABLE ... DROP COLUMN`. The database then resolves each name as
//! the down would (search path, quoting, case) and counts what is there now.
//! Statements inside a `DO` block or a function are not seen.

use sqlx::Row;
use sqlx::postgres::PgConnection;
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind};

/// Rows, or a column's values, that a down would destroy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Loss {
    /// The table, as PostgreSQL prints it (schema-qualified when not on the search path).
    pub table: String,
    /// The column, when only a column is dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What destroys it: `drop table`, `truncate`, `delete` or `drop column`.
    pub by: &'static str,
    /// Rows in the table now; for a column, rows with a value in it. For
    /// `delete`, the most it can remove.
    pub rows: i64,
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "{} value(s) in {}.{c} ({})", self.rows, self.table, self.by),
            None if self.by == "delete" => write!(f, "up to {} row(s) of {} (delete)", self.rows, self.table),
            None => write!(f, "{} row(s) of {} ({})", self.rows, self.table, self.by),
        }
    }
}

/// A name a statement gives, before the database resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    /// The table as written, e.g. `public."Tasks"`.
    table: String,
    /// The column, folded as PostgreSQL folds it.
    column: Option<String>,
    by: &'static str,
}

/// The tables and columns a script's statements destroy, as written, in order.
fn named(sql: &str) -> Vec<Named> {
    let file = SourceFile::parse(sql).tree();
    let path_in = |node: &squawk_syntax::SyntaxNode| -> Option<String> {
        // The outermost path: `schema.table` as written.
        node.descendants().find(|n| n.kind() == SyntaxKind::PATH_REF).map(|p| p.text().to_string())
    };
    let mut found = Vec::new();
    for stmt in file.stmts() {
        match stmt {
            ast::Stmt::DropTable(d) => {
                for t in d.table_name_refs() {
                    if let Some(table) = path_in(t.syntax()) {
                        found.push(Named { table, column: None, by: "drop table" });
                    }
                }
            }
            ast::Stmt::Truncate(t) => {
                for r in t.table_list().into_iter().flat_map(|l| l.table_relation_names()) {
                    if let Some(table) = path_in(r.syntax()) {
                        found.push(Named { table, column: None, by: "truncate" });
                    }
                }
            }
            ast::Stmt::Delete(d) => {
                if let Some(table) = d.relation_name().and_then(|r| path_in(r.syntax())) {
                    found.push(Named { table, column: None, by: "delete" });
                }
            }
            ast::Stmt::AlterTable(a) => {
                let Some(table) = a.table_relation_name().and_then(|r| path_in(r.syntax())) else {
                    continue;
                };
                for action in a.actions() {
                    if let ast::AlterTableAction::DropColumn(c) = action
                        && let Some(column) = c.column_name_ref()
                    {
                        let column = fold(&column.syntax().text().to_string());
                        found.push(Named { table: table.clone(), column: Some(column), by: "drop column" });
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// An identifier as PostgreSQL stores it: quoted kept as written, otherwise lower case.
fn fold(ident: &str) -> String {
    let ident = ident.trim();
    match ident.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => ident.to_lowercase(),
    }
}

/// Counts what each script would destroy, on `conn`, as things stand now.
/// A table or column that is not there (yet) destroys nothing; one named
/// twice is counted once, at its first mention; a dropped table's columns
/// are not counted again.
pub async fn count(conn: &mut PgConnection, scripts: &[&str]) -> Result<Vec<Vec<Loss>>, sqlx::Error> {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    let mut all = Vec::with_capacity(scripts.len());
    for sql in scripts {
        let mut losses = Vec::new();
        for n in named(sql) {
            let Some(table) = sqlx::query_scalar::<_, Option<String>>("SELECT to_regclass($1)::text")
                .bind(&n.table)
                .fetch_one(&mut *conn)
                .await
                .ok()
                .flatten()
            else {
                continue;
            };
            let whole_table_gone = seen.iter().any(|(t, c)| *t == table && c.is_none());
            if whole_table_gone || seen.contains(&(table.clone(), n.column.clone())) {
                continue;
            }
            let query = match &n.column {
                None => format!("SELECT count(*) FROM {table}"),
                Some(column) => {
                    let quoted: Option<String> = sqlx::query(
                        "SELECT quote_ident(attname::text) FROM pg_attribute
                         WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped",
                    )
                    .bind(&table)
                    .bind(column)
                    .fetch_optional(&mut *conn)
                    .await?
                    .map(|r| r.get(0));
                    let Some(quoted) = quoted else { continue };
                    format!("SELECT count(*) FROM {table} WHERE {quoted} IS NOT NULL")
                }
            };
            let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(query)).fetch_one(&mut *conn).await?;
            seen.push((table.clone(), n.column.clone()));
            losses.push(Loss { table, column: n.column, by: n.by, rows });
        }
        all.push(losses);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_destroys_data() {
        let sql = r#"
            DROP INDEX "IDX_x";
            DROP TABLE IF EXISTS "medication_logs", public.medications CASCADE;
            TRUNCATE ONLY "Tasks";
            DELETE FROM vytal.things WHERE id > 3;
            ALTER TABLE "users" DROP COLUMN "firstName", DROP COLUMN Email, ADD COLUMN x int;
            ALTER TABLE users DROP CONSTRAINT "FK_x";
        "#;
        let found: Vec<(String, Option<String>, &str)> =
            named(sql).into_iter().map(|n| (n.table, n.column, n.by)).collect();
        assert_eq!(
            found,
            vec![
                ("\"medication_logs\"".to_owned(), None, "drop table"),
                ("public.medications".to_owned(), None, "drop table"),
                ("\"Tasks\"".to_owned(), None, "truncate"),
                ("vytal.things".to_owned(), None, "delete"),
                ("\"users\"".to_owned(), Some("firstName".to_owned()), "drop column"),
                ("\"users\"".to_owned(), Some("email".to_owned()), "drop column"),
            ]
        );
    }
}
