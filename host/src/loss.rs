//! What a down migration destroys, counted before it runs.
//!
//! The down SQL is parsed (the same PostgreSQL grammar `check` reads) for the
//! statements that take data with them: `DROP TABLE`, `TRUNCATE` (with
//! `CASCADE`, every table that refers to it too), `DELETE`, `ALTER TABLE ...
//! DROP COLUMN`, `DROP TYPE ... CASCADE` (the columns of that type) and
//! `DROP SCHEMA ... CASCADE` (every table in it). The database then resolves
//! each name as the down would (search path, quoting, case) and counts what
//! is there now. A count that takes longer than a few seconds gives way to
//! the planner's estimate; one that cannot be made is reported as unknown,
//! which still counts as destroying. Statements inside a `DO` block or a
//! function are not seen.

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{SourceFile, SyntaxKind, SyntaxNode};

/// How long one count may take before the estimate is used instead.
const COUNT_TIMEOUT: &str = "3s";

/// Rows, or a column's values, that a down would destroy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Loss {
    /// The table, as PostgreSQL prints it (schema-qualified when not on the search path).
    pub table: String,
    /// The column, when only a column is dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What destroys it: `drop table`, `truncate`, `truncate cascade`,
    /// `delete`, `drop column`, `drop type cascade` or `drop schema cascade`.
    pub by: &'static str,
    /// Rows in the table now; for a column, rows with a value in it; for
    /// `delete`, the most it can remove. `None` when they could not be counted.
    pub rows: Option<i64>,
    /// Whether `rows` is the planner's estimate (the count took too long).
    pub estimated: bool,
    /// Why the rows could not be counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncounted: Option<String>,
}

impl Loss {
    /// Whether it destroys anything, or may: an uncounted or estimated loss
    /// does (a count that took too long found rows, whatever the estimate says).
    pub fn destroys(&self) -> bool {
        self.estimated || self.rows != Some(0)
    }
}

impl std::fmt::Display for Loss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match &self.column {
            Some(c) => format!("value(s) in {}.{c}", self.table),
            None => format!("row(s) of {}", self.table),
        };
        match (self.rows, &self.uncounted) {
            (Some(n), _) if self.estimated => {
                write!(f, "about {n} {what} ({}; estimated: counting took over {COUNT_TIMEOUT})", self.by)
            }
            (Some(n), _) if self.by == "delete" => write!(f, "up to {n} {what} ({})", self.by),
            (Some(n), _) => write!(f, "{n} {what} ({})", self.by),
            (None, why) => write!(
                f,
                "an unknown number of {what} ({}; cannot count: {})",
                self.by,
                why.as_deref().unwrap_or("unknown")
            ),
        }
    }
}

/// A name a statement gives, before the database resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    /// A table loses its rows.
    Table { table: String, by: &'static str },
    /// A table loses its rows, and with `CASCADE` so do the tables referring to it.
    Truncate { table: String, cascade: bool },
    /// A column loses its values (folded as PostgreSQL folds it).
    Column { table: String, column: String },
    /// Columns of this type lose their values (`DROP TYPE ... CASCADE`).
    TypeColumns { type_name: String },
    /// Every table in the schema loses its rows (`DROP SCHEMA ... CASCADE`).
    Schema { schema: String },
}

/// The outermost path under `node`: `schema.table` as written.
fn path_in(node: &SyntaxNode) -> Option<String> {
    node.descendants().find(|n| n.kind() == SyntaxKind::PATH_REF).map(|p| p.text().to_string())
}

/// Whether a statement says `CASCADE`.
fn cascades(node: &SyntaxNode) -> bool {
    node.descendants_with_tokens().any(|e| e.kind() == SyntaxKind::CASCADE_KW)
}

/// The tables and columns a script's statements destroy, as written, in order.
fn named(sql: &str) -> Vec<Named> {
    let file = SourceFile::parse(sql).tree();
    let mut found = Vec::new();
    for stmt in file.stmts() {
        match stmt {
            ast::Stmt::DropTable(d) => {
                found.extend(
                    d.table_name_refs()
                        .filter_map(|t| path_in(t.syntax()))
                        .map(|table| Named::Table { table, by: "drop table" }),
                );
            }
            ast::Stmt::Truncate(t) => {
                let cascade = cascades(t.syntax());
                for r in t.table_list().into_iter().flat_map(|l| l.table_relation_names()) {
                    if let Some(table) = path_in(r.syntax()) {
                        found.push(Named::Truncate { table, cascade });
                    }
                }
            }
            ast::Stmt::Delete(d) => {
                if let Some(table) = d.relation_name().and_then(|r| path_in(r.syntax())) {
                    found.push(Named::Table { table, by: "delete" });
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
                        found.push(Named::Column { table: table.clone(), column });
                    }
                }
            }
            ast::Stmt::DropType(d) if cascades(d.syntax()) => {
                found.extend(
                    d.type_name_refs()
                        .filter_map(|t| path_in(t.syntax()))
                        .map(|type_name| Named::TypeColumns { type_name }),
                );
            }
            ast::Stmt::DropSchema(d) if cascades(d.syntax()) => {
                found.extend(d.schema_refs().map(|s| Named::Schema { schema: fold(&s.syntax().text().to_string()) }));
            }
            _ => {}
        }
    }
    found
}

/// An identifier as PostgreSQL stores it: quoted kept as written, otherwise
/// folded to lower case (ASCII only, as PostgreSQL folds).
fn fold(ident: &str) -> String {
    let ident = ident.trim();
    match ident.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => ident.to_ascii_lowercase(),
    }
}

/// One table (or column) to count, resolved: its name as PostgreSQL prints it.
struct Resolved {
    table: String,
    column: Option<(String, String)>,
    by: &'static str,
}

/// Resolves what `n` names to the tables and columns there now.
async fn resolve(conn: &mut PgConnection, n: &Named) -> Result<Vec<Resolved>, sqlx::Error> {
    let regclass = async |conn: &mut PgConnection, name: &str| -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar("SELECT to_regclass($1)::text").bind(name).fetch_one(conn).await
    };
    let column = async |conn: &mut PgConnection, table: &str, column: &str| -> Result<Option<String>, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT quote_ident(attname::text) FROM pg_attribute \
             WHERE attrelid = to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped",
        )
        .bind(table)
        .bind(column)
        .fetch_optional(conn)
        .await
    };
    Ok(match n {
        Named::Table { table, by } => {
            regclass(conn, table).await?.map(|table| Resolved { table, column: None, by }).into_iter().collect()
        }
        Named::Truncate { table, cascade } => {
            let Some(table) = regclass(conn, table).await? else { return Ok(Vec::new()) };
            let mut out = vec![Resolved { table: table.clone(), column: None, by: "truncate" }];
            if *cascade {
                let referring: Vec<String> = sqlx::query_scalar(
                    "WITH RECURSIVE refs(rel) AS ( \
                       SELECT conrelid FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass($1) \
                       UNION SELECT c.conrelid FROM pg_constraint c JOIN refs r ON c.confrelid = r.rel WHERE c.contype = 'f') \
                     SELECT DISTINCT r.rel::regclass::text FROM refs r JOIN pg_class c ON c.oid = r.rel \
                     WHERE r.rel <> to_regclass($1) AND NOT c.relispartition ORDER BY 1",
                )
                .bind(&table)
                .fetch_all(&mut *conn)
                .await?;
                out.extend(referring.into_iter().map(|table| Resolved { table, column: None, by: "truncate cascade" }));
            }
            out
        }
        Named::Column { table, column: name } => {
            let Some(table) = regclass(conn, table).await? else { return Ok(Vec::new()) };
            let Some(quoted) = column(conn, &table, name).await? else { return Ok(Vec::new()) };
            vec![Resolved { table, column: Some((name.clone(), quoted)), by: "drop column" }]
        }
        Named::TypeColumns { type_name } => {
            let rows = sqlx::query(
                // The type, the domains over it (and over those), and the arrays of each.
                "WITH RECURSIVE types(oid) AS ( \
                   SELECT t.oid FROM pg_type t WHERE t.oid = to_regtype($1) \
                   UNION SELECT d.oid FROM pg_type d JOIN types ON d.typbasetype = types.oid), \
                 dropped(oid) AS (SELECT oid FROM types \
                   UNION SELECT typarray FROM pg_type WHERE oid IN (SELECT oid FROM types) AND typarray <> 0) \
                 SELECT a.attrelid::regclass::text, a.attname::text, quote_ident(a.attname::text) \
                 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped \
                   AND a.atttypid IN (SELECT oid FROM dropped) \
                 ORDER BY 1, 2",
            )
            .bind(type_name)
            .fetch_all(&mut *conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(Resolved {
                        table: r.try_get(0)?,
                        column: Some((r.try_get(1)?, r.try_get(2)?)),
                        by: "drop type cascade",
                    })
                })
                .collect::<Result<_, sqlx::Error>>()?
        }
        Named::Schema { schema } => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1",
            )
            .bind(schema)
            .fetch_all(&mut *conn)
            .await?;
            tables.into_iter().map(|table| Resolved { table, column: None, by: "drop schema cascade" }).collect()
        }
    })
}

/// Counts the rows of `r` (or its column's values) in a read-only
/// transaction of its own with a short statement timeout and row security
/// off (a policy must not hide rows from the count: a user it would filter
/// gets "permission denied", an unknown count); past the timeout, the
/// planner's estimate of the table's rows, if it has one. Called outside a
/// transaction, and leaves the connection outside one on every path.
async fn count_one(conn: &mut PgConnection, r: &Resolved) -> Result<(Option<i64>, bool, Option<String>), sqlx::Error> {
    let query = match &r.column {
        None => format!("SELECT count(*) FROM {}", r.table),
        Some((_, quoted)) => format!("SELECT count(*) FROM {} WHERE {quoted} IS NOT NULL", r.table),
    };
    let begin =
        format!("BEGIN READ ONLY; SET LOCAL statement_timeout = '{COUNT_TIMEOUT}'; SET LOCAL row_security = off");
    if let Err(e) = sqlx::raw_sql(AssertSqlSafe(begin)).execute(&mut *conn).await {
        crate::exec::rollback(conn).await;
        return Err(e);
    }
    let counted = sqlx::query_scalar::<_, i64>(AssertSqlSafe(query)).fetch_one(&mut *conn).await;
    crate::exec::rollback(conn).await;
    match counted {
        Ok(n) => Ok((Some(n), false, None)),
        Err(e) => match e.as_database_error().and_then(|d| d.code()).as_deref() {
            Some("57014") => {
                // -1 (PostgreSQL 14 on): never analyzed, no estimate at all.
                let estimate: Option<i64> = sqlx::query_scalar(
                    "SELECT CASE WHEN reltuples < 0 THEN NULL ELSE reltuples::bigint END FROM pg_class WHERE oid = to_regclass($1)",
                )
                .bind(&r.table)
                .fetch_optional(&mut *conn)
                .await?
                .flatten();
                let why = estimate.is_none().then(|| {
                    format!("counting took over {COUNT_TIMEOUT} and the planner has no estimate (the table was never analyzed)")
                });
                Ok((estimate, true, why))
            }
            Some("42501") => Ok((None, false, Some(crate::db::error_message(&e)))),
            _ => Err(e),
        },
    }
}

/// Counts what each script would destroy, on `conn`, as things stand now.
/// A table or column that is not there (yet) destroys nothing; one named
/// twice is counted once, at its first mention; a dropped table's columns
/// are not counted again. Call it outside a transaction: each count runs in
/// one of its own.
pub async fn count(conn: &mut PgConnection, scripts: &[&str]) -> Result<Vec<Vec<Loss>>, sqlx::Error> {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    let mut all = Vec::with_capacity(scripts.len());
    for sql in scripts {
        let mut losses = Vec::new();
        for n in named(sql) {
            for r in resolve(conn, &n).await? {
                let column = r.column.as_ref().map(|(name, _)| name.clone());
                let whole_table_gone = seen.iter().any(|(t, c)| *t == r.table && c.is_none());
                if whole_table_gone || seen.contains(&(r.table.clone(), column.clone())) {
                    continue;
                }
                let (rows, estimated, uncounted) = count_one(conn, &r).await?;
                seen.push((r.table.clone(), column.clone()));
                losses.push(Loss { table: r.table, column, by: r.by, rows, estimated, uncounted });
            }
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
            TRUNCATE visits CASCADE;
            DELETE FROM vytal.things WHERE id > 3;
            ALTER TABLE "users" DROP COLUMN "firstName", DROP COLUMN Email, ADD COLUMN x int;
            ALTER TABLE users DROP CONSTRAINT "FK_x";
            DROP TYPE "status_enum";
            DROP TYPE "role_enum" CASCADE;
            DROP SCHEMA reporting;
            DROP SCHEMA "Reporting" CASCADE;
        "#;
        let t = |table: &str, by| Named::Table { table: table.to_owned(), by };
        assert_eq!(
            named(sql),
            vec![
                t("\"medication_logs\"", "drop table"),
                t("public.medications", "drop table"),
                Named::Truncate { table: "\"Tasks\"".to_owned(), cascade: false },
                Named::Truncate { table: "visits".to_owned(), cascade: true },
                t("vytal.things", "delete"),
                Named::Column { table: "\"users\"".to_owned(), column: "firstName".to_owned() },
                Named::Column { table: "\"users\"".to_owned(), column: "email".to_owned() },
                Named::TypeColumns { type_name: "\"role_enum\"".to_owned() },
                Named::Schema { schema: "Reporting".to_owned() },
            ]
        );
    }

    #[test]
    fn folds_as_postgres_does() {
        assert_eq!(fold("Email"), "email");
        assert_eq!(fold("\"Email\""), "Email");
        assert_eq!(fold("\"a\"\"b\""), "a\"b");
        assert_eq!(fold("ÉTAT"), "État", "only ASCII letters fold");
    }
}
