//! Reading a live schema's catalog as one JSON document.
//!
//! The query is `tests/reference/catalog.sql`, the same one that produced the
//! schema of record, so a live database and the reference compare with no
//! translation. Its psql variables become bind parameters here.

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Row};

const CATALOG_SQL: &str = include_str!("../../tests/reference/catalog.sql");

/// The catalog query with psql's meta-commands removed and its variables as `$1` (schema) and `$2` (exclusions).
pub fn catalog_query() -> String {
    CATALOG_SQL
        .lines()
        .filter(|l| !l.trim_start().starts_with('\\'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(":'schema'", "$1")
        .replace(":'exclude'", "$2")
}

/// Describes `schema`, leaving out the tables and enum types named in `exclude`.
pub async fn describe(
    conn: &mut PgConnection,
    schema: &str,
    exclude: &[&str],
) -> Result<serde_json::Value, sqlx::Error> {
    let row = sqlx::query(AssertSqlSafe(catalog_query())).bind(schema).bind(exclude.join(",")).fetch_one(conn).await?;
    let json: sqlx::types::Json<serde_json::Value> = row.try_get(0)?;
    Ok(json.0)
}
