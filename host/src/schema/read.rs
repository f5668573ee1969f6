//! Reading a live schema's catalog as one JSON document.
//!
//! The query is `tests/reference/catalog.sql`, the same one that produced the
//! schema of record, so a live database and the reference compare with no
//! translation. Its psql variables become bind parameters here.

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

use super::model::Schema;

const CATALOG_SQL: &str = include_str!("../../../tests/reference/catalog.sql");

/// The catalog query with psql's meta-commands removed and its variables
/// filled in as quoted literals, exactly as psql would send it.
pub fn catalog_query(schema: &str, exclude: &[&str]) -> String {
    let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
    CATALOG_SQL
        .lines()
        .filter(|l| !l.trim_start().starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(":'schema'", &literal(schema))
        .replace(":'exclude'", &literal(&exclude.join(",")))
}

/// Describes `schema` as a typed [`Schema`], leaving out the tables and enum types named in `exclude`.
pub async fn describe(conn: &mut PgConnection, schema: &str, exclude: &[&str]) -> Result<Schema, sqlx::Error> {
    let json = describe_json(conn, schema, exclude).await?;
    serde_json::from_value(json).map_err(|e| {
        sqlx::Error::Decode(
            format!("the catalog query and the schema model disagree ({e}); this is a bug in vytal-host").into(),
        )
    })
}

/// Describes `schema` as the catalog query's JSON document, the format of the schema of record.
///
/// JIT is off for the call: the query's estimated cost crosses the default
/// `jit_above_cost`, and compiling it takes several times longer than running it.
/// The query is prepared once per connection and its plan kept: planning it
/// takes about a third of the time of running it, and `check` runs it
/// three times per migration on one connection.
pub async fn describe_json(
    conn: &mut PgConnection,
    schema: &str,
    exclude: &[&str],
) -> Result<serde_json::Value, sqlx::Error> {
    sqlx::raw_sql("SET jit = off").execute(&mut *conn).await?;
    let row = sqlx::query(AssertSqlSafe(catalog_query(schema, exclude))).persistent(true).fetch_one(&mut *conn).await;
    sqlx::raw_sql("RESET jit").execute(&mut *conn).await?;
    let json: sqlx::types::Json<serde_json::Value> = row?.try_get(0)?;
    Ok(json.0)
}
