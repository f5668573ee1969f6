//! Binary COPY: a plugin's typed columnar batch, checked against the live
//! catalog and encoded for `COPY ... FROM STDIN (FORMAT binary)`.
//!
//! Checking happens before a byte is sent: the table must be one the
//! plugin's module created, every column must exist, each vector's type
//! must fit the column's, vectors must have the same length, and a column
//! that is NOT NULL without a default must be given, with no NULL in it.

use std::fmt::Write as _;

use sqlx::Row;
use sqlx::postgres::PgConnection;
use vytal_plugin_runtime::{Batch, ColumnData};

/// Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from 1970-01-01 to 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;

/// How a column is stored, as far as encoding goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Bool,
    Int(usize),
    Float4,
    Float8,
    /// text, varchar, char, name, and enum labels.
    Text,
    Numeric,
    Uuid,
    Timestamp,
    Date,
    Json,
    Jsonb,
    Bytea,
    /// An array of text-like elements (text, varchar, an enum), with the element type's oid.
    TextArray(u32),
    UuidArray,
    /// `jsonb[]`: text-array values, each element a JSON document.
    JsonbArray,
    Unsupported,
}

/// One column of a live table.
#[derive(Debug, Clone)]
struct Col {
    name: String,
    /// `format_type`, for messages.
    shown: String,
    kind: Kind,
    not_null: bool,
    has_default: bool,
}

/// A live table's columns, in order.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    table: String,
    columns: Vec<Col>,
}

/// Reads `public.<table>`'s columns; `None` when there is no such table.
pub(crate) async fn shape(conn: &mut PgConnection, table: &str) -> Result<Option<Shape>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), t.typname::text, t.typtype::text, \
                a.attnotnull, (d.adbin IS NOT NULL OR a.attidentity <> '' OR a.attgenerated <> ''), \
                coalesce(e.typname::text, ''), coalesce(e.typtype::text, ''), coalesce(e.oid::int8, 0) \
         FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid AND c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') \
         JOIN pg_type t ON t.oid = a.atttypid \
         LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut columns = Vec::with_capacity(rows.len());
    for r in rows {
        let (typname, typtype): (String, String) = (r.try_get(2)?, r.try_get(3)?);
        let (elem, elem_type, elem_oid): (String, String, i64) = (r.try_get(6)?, r.try_get(7)?, r.try_get(8)?);
        let kind = match (typname.as_str(), typtype.as_str()) {
            (_, "e") => Kind::Text,
            ("bool", _) => Kind::Bool,
            ("int2", _) => Kind::Int(2),
            ("int4", _) => Kind::Int(4),
            ("int8", _) => Kind::Int(8),
            ("float4", _) => Kind::Float4,
            ("float8", _) => Kind::Float8,
            ("text" | "varchar" | "bpchar" | "name" | "citext", _) => Kind::Text,
            ("numeric", _) => Kind::Numeric,
            ("uuid", _) => Kind::Uuid,
            ("timestamp" | "timestamptz", _) => Kind::Timestamp,
            ("date", _) => Kind::Date,
            ("json", _) => Kind::Json,
            ("jsonb", _) => Kind::Jsonb,
            ("bytea", _) => Kind::Bytea,
            _ if elem == "uuid" => Kind::UuidArray,
            _ if elem == "jsonb" => Kind::JsonbArray,
            _ if matches!(elem.as_str(), "text" | "varchar" | "bpchar") || elem_type == "e" => {
                Kind::TextArray(u32::try_from(elem_oid).unwrap_or(0))
            }
            _ => Kind::Unsupported,
        };
        columns.push(Col {
            name: r.try_get(0)?,
            shown: r.try_get(1)?,
            kind,
            not_null: r.try_get(4)?,
            has_default: r.try_get(5)?,
        });
    }
    Ok(Some(Shape { table: table.to_owned(), columns }))
}

/// Bytes of the binary COPY header every [`encode`] output starts with.
pub(crate) const HEADER_LEN: usize = 19;
/// Bytes of the end marker every [`encode`] output ends with.
pub(crate) const TRAILER_LEN: usize = 2;

/// The binary COPY header: signature, flags, header extension length.
pub(crate) fn header() -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    h.extend_from_slice(&0i32.to_be_bytes());
    h.extend_from_slice(&0i32.to_be_bytes());
    h
}

/// The binary COPY end marker.
pub(crate) const TRAILER: [u8; TRAILER_LEN] = (-1i16).to_be_bytes();

/// Checks `batch` against `shape` and encodes it; returns the COPY statement, the bytes and the row count.
/// Batches with the same columns can share one COPY: send the first without
/// its last [`TRAILER_LEN`] bytes, the middle ones without header and trailer,
/// the last without its first [`HEADER_LEN`] bytes.
pub(crate) fn encode(shape: &Shape, batch: &Batch) -> Result<(String, Vec<u8>, usize), String> {
    let t = &shape.table;
    let rows = batch.columns.first().map_or(0, |c| vytal_plugin_runtime::column_len(&c.data));
    let mut cols = Vec::with_capacity(batch.columns.len());
    for c in &batch.columns {
        let Some(col) = shape.columns.iter().find(|x| x.name == c.name) else {
            return Err(format!("table `{t}` has no column `{}`", c.name));
        };
        if cols.iter().any(|(x, _): &(&Col, &ColumnData)| x.name == c.name) {
            return Err(format!("column `{t}.{}` is given twice", c.name));
        }
        let len = vytal_plugin_runtime::column_len(&c.data);
        if len != rows {
            return Err(format!("column `{t}.{}` has {len} values but the batch has {rows} rows", c.name));
        }
        fits(t, col, &c.data)?;
        cols.push((col, &c.data));
    }
    for col in shape.columns.iter().filter(|c| c.not_null && !c.has_default) {
        if !cols.iter().any(|(x, _)| x.name == col.name) {
            return Err(format!(
                "column `{t}.{}` is NOT NULL and has no default, but the batch does not give it",
                col.name
            ));
        }
    }
    let mut out = Vec::with_capacity(HEADER_LEN + rows * cols.len() * 12);
    out.extend_from_slice(&header());
    let fields = i16::try_from(cols.len()).map_err(|_| format!("the batch for `{t}` has too many columns"))?;
    for row in 0..rows {
        out.extend_from_slice(&fields.to_be_bytes());
        for (col, data) in &cols {
            field(&mut out, t, col, data, row)?;
        }
    }
    out.extend_from_slice(&TRAILER);
    let mut sql = format!("COPY \"{}\" (", t.replace('"', "\"\""));
    for (i, (col, _)) in cols.iter().enumerate() {
        let _ = write!(sql, "{}\"{}\"", if i > 0 { ", " } else { "" }, col.name.replace('"', "\"\""));
    }
    sql.push_str(") FROM STDIN (FORMAT binary)");
    Ok((sql, out, rows))
}

fn variant(d: &ColumnData) -> &'static str {
    match d {
        ColumnData::Boolean(_) => "boolean",
        ColumnData::Integer(_) => "integer",
        ColumnData::Float(_) => "float",
        ColumnData::Text(_) => "text",
        ColumnData::Uuid(_) => "uuid",
        ColumnData::Timestamp(_) => "timestamp",
        ColumnData::Date(_) => "date",
        ColumnData::Json(_) => "json",
        ColumnData::Bytes(_) => "bytes",
        ColumnData::TextArray(_) => "text-array",
        ColumnData::UuidArray(_) => "uuid-array",
    }
}

fn fits(t: &str, col: &Col, d: &ColumnData) -> Result<(), String> {
    let ok = matches!(
        (&col.kind, d),
        (Kind::Bool, ColumnData::Boolean(_))
            | (Kind::Int(_), ColumnData::Integer(_))
            | (Kind::Float4 | Kind::Float8, ColumnData::Float(_))
            | (Kind::Text, ColumnData::Text(_))
            | (Kind::Numeric, ColumnData::Text(_) | ColumnData::Integer(_))
            | (Kind::Uuid, ColumnData::Uuid(_))
            | (Kind::Timestamp, ColumnData::Timestamp(_))
            | (Kind::Date, ColumnData::Date(_))
            | (Kind::Json | Kind::Jsonb, ColumnData::Json(_))
            | (Kind::Bytea, ColumnData::Bytes(_))
            | (Kind::TextArray(_) | Kind::JsonbArray, ColumnData::TextArray(_))
            | (Kind::UuidArray, ColumnData::UuidArray(_))
    );
    if ok {
        return Ok(());
    }
    if col.kind == Kind::Unsupported {
        return Err(format!(
            "column `{t}.{}` is {}, which plugins cannot write yet; leave it to its default",
            col.name, col.shown
        ));
    }
    Err(format!("column `{t}.{}` is {}, but the batch gives it {} values", col.name, col.shown, variant(d)))
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
    let len = i32::try_from(bytes.len()).map_err(|_| "a value is over 2 GiB".to_owned())?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

fn uuid_bytes((hi, lo): (u64, u64)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&hi.to_be_bytes());
    b[8..].copy_from_slice(&lo.to_be_bytes());
    b
}

fn field(out: &mut Vec<u8>, t: &str, col: &Col, d: &ColumnData, row: usize) -> Result<(), String> {
    let null = || {
        if col.not_null {
            Err(format!("column `{t}.{}` is NOT NULL, but row {row} of the batch is NULL", col.name))
        } else {
            Ok(())
        }
    };
    macro_rules! value {
        ($v:expr) => {
            match $v {
                Some(v) => v,
                None => {
                    null()?;
                    out.extend_from_slice(&(-1i32).to_be_bytes());
                    return Ok(());
                }
            }
        };
    }
    match (d, &col.kind) {
        (ColumnData::Boolean(v), _) => put(out, &[u8::from(*value!(&v[row]))]),
        (ColumnData::Integer(v), Kind::Int(size)) => {
            let n = *value!(&v[row]);
            let range = || format!("row {row} of `{t}.{}` holds {n}, out of range for {}", col.name, col.shown);
            match size {
                2 => put(out, &i16::try_from(n).map_err(|_| range())?.to_be_bytes()),
                4 => put(out, &i32::try_from(n).map_err(|_| range())?.to_be_bytes()),
                _ => put(out, &n.to_be_bytes()),
            }
        }
        (ColumnData::Integer(v), _) => {
            put(out, &numeric(&value!(&v[row]).to_string()).map_err(|e| format!("`{t}.{}`: {e}", col.name))?)
        }
        (ColumnData::Float(v), Kind::Float4) => put(out, &(*value!(&v[row]) as f32).to_be_bytes()),
        (ColumnData::Float(v), _) => put(out, &value!(&v[row]).to_be_bytes()),
        (ColumnData::Text(v), Kind::Numeric) => {
            let text = value!(&v[row]);
            put(out, &numeric(text).map_err(|e| format!("row {row} of `{t}.{}`: {e}", col.name))?)
        }
        (ColumnData::Text(v), _) => put(out, value!(&v[row]).as_bytes()),
        (ColumnData::Uuid(v), _) => put(out, &uuid_bytes(*value!(&v[row]))),
        (ColumnData::Timestamp(v), _) => put(out, &(value!(&v[row]) - PG_EPOCH_MICROS).to_be_bytes()),
        (ColumnData::Date(v), _) => put(out, &(value!(&v[row]) - PG_EPOCH_DAYS).to_be_bytes()),
        (ColumnData::Json(v), Kind::Jsonb) => {
            let text = value!(&v[row]);
            let mut b = Vec::with_capacity(text.len() + 1);
            b.push(1u8);
            b.extend_from_slice(text.as_bytes());
            put(out, &b)
        }
        (ColumnData::Json(v), _) => put(out, value!(&v[row]).as_bytes()),
        (ColumnData::Bytes(v), _) => put(out, value!(&v[row])),
        (ColumnData::TextArray(v), Kind::TextArray(oid)) => {
            let items = value!(&v[row]);
            let encoded: Vec<&[u8]> = items.iter().map(String::as_bytes).collect();
            put(out, &array(*oid, &encoded))
        }
        (ColumnData::TextArray(v), Kind::JsonbArray) => {
            // Binary jsonb is a version byte, then the document's text.
            let items: Vec<Vec<u8>> = value!(&v[row])
                .iter()
                .map(|doc| {
                    let mut b = Vec::with_capacity(doc.len() + 1);
                    b.push(1u8);
                    b.extend_from_slice(doc.as_bytes());
                    b
                })
                .collect();
            let encoded: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
            put(out, &array(3802, &encoded))
        }
        (ColumnData::UuidArray(v), _) => {
            let items: Vec<[u8; 16]> = value!(&v[row]).iter().map(|u| uuid_bytes(*u)).collect();
            let encoded: Vec<&[u8]> = items.iter().map(|b| b.as_slice()).collect();
            put(out, &array(2950, &encoded))
        }
        (d, _) => {
            Err(format!("column `{t}.{}` is {}, but the batch gives it {} values", col.name, col.shown, variant(d)))
        }
    }
}

/// A one-dimensional array without NULLs, in PostgreSQL's binary array format.
fn array(element_oid: u32, items: &[&[u8]]) -> Vec<u8> {
    let mut b = Vec::with_capacity(20 + items.iter().map(|i| i.len() + 4).sum::<usize>());
    if items.is_empty() {
        b.extend_from_slice(&0i32.to_be_bytes()); // no dimensions
        b.extend_from_slice(&0i32.to_be_bytes());
        b.extend_from_slice(&element_oid.to_be_bytes());
        return b;
    }
    b.extend_from_slice(&1i32.to_be_bytes());
    b.extend_from_slice(&0i32.to_be_bytes());
    b.extend_from_slice(&element_oid.to_be_bytes());
    b.extend_from_slice(&i32::try_from(items.len()).unwrap_or(i32::MAX).to_be_bytes());
    b.extend_from_slice(&1i32.to_be_bytes());
    for item in items {
        b.extend_from_slice(&i32::try_from(item.len()).unwrap_or(i32::MAX).to_be_bytes());
        b.extend_from_slice(item);
    }
    b
}

/// A decimal string (`-12.340`) in PostgreSQL's binary numeric format: base-10000 digits.
fn numeric(text: &str) -> Result<Vec<u8>, String> {
    let bad = || format!("`{text}` is not a decimal number");
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let dscale = i16::try_from(frac.len()).map_err(|_| bad())?;
    let int = int.trim_start_matches('0');
    let pad_left = (4 - int.len() % 4) % 4;
    let pad_right = (4 - frac.len() % 4) % 4;
    let digits_text = format!("{}{int}{frac}{}", "0".repeat(pad_left), "0".repeat(pad_right));
    let mut digits: Vec<i16> =
        digits_text.as_bytes().chunks(4).map(|c| c.iter().fold(0i16, |n, d| n * 10 + i16::from(d - b'0'))).collect();
    let mut weight = i16::try_from((pad_left + int.len()) / 4).map_err(|_| bad())? - 1;
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    let mut b = Vec::with_capacity(8 + digits.len() * 2);
    b.extend_from_slice(&i16::try_from(digits.len()).map_err(|_| bad())?.to_be_bytes());
    b.extend_from_slice(&weight.to_be_bytes());
    b.extend_from_slice(&(if negative && !digits.is_empty() { 0x4000u16 } else { 0 }).to_be_bytes());
    b.extend_from_slice(&dscale.to_be_bytes());
    for d in digits {
        b.extend_from_slice(&d.to_be_bytes());
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::numeric;

    fn parts(text: &str) -> (i16, i16, u16, i16, Vec<i16>) {
        let b = numeric(text).unwrap();
        let n = |i: usize| i16::from_be_bytes([b[i], b[i + 1]]);
        let count = n(0) as usize;
        (n(0), n(2), u16::from_be_bytes([b[4], b[5]]), n(6), (0..count).map(|i| n(8 + 2 * i)).collect())
    }

    #[test]
    fn numerics_encode_in_base_10000() {
        assert_eq!(parts("12.34"), (2, 0, 0, 2, vec![12, 3400]));
        assert_eq!(parts("0.0005"), (1, -1, 0, 4, vec![5]));
        assert_eq!(parts("-123456.7"), (3, 1, 0x4000, 1, vec![12, 3456, 7000]));
        assert_eq!(parts("0"), (0, 0, 0, 0, vec![]));
        assert_eq!(parts("10000"), (1, 1, 0, 0, vec![1]));
        assert!(numeric("12a").is_err());
        assert!(numeric("").is_err());
    }
}
