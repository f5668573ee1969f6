//! A column's type, as far as generating values for it goes, read off the
//! catalog's `format_type` text.

use crate::schema::Schema;

/// How values of a column are typed, as far as generating them goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Type {
    Bool,
    Int {
        bits: u8,
    },
    Float,
    Numeric {
        scale: u32,
        int_digits: u32,
    },
    Text {
        max: Option<usize>,
    },
    Uuid,
    Timestamp,
    Date,
    Json,
    /// `jsonb[]`: an array of JSON documents.
    JsonArray,
    Enum(Vec<String>),
    TextArray {
        max: Option<usize>,
    },
    EnumArray(Vec<String>),
    UuidArray,
    Bytes,
    /// A type the generator cannot produce (left to its default, or NULL).
    Other(String),
}

/// Reads a `format_type` string.
pub(crate) fn parse_type(shown: &str, schema: &Schema) -> Type {
    let (base, array) = match shown.strip_suffix("[]") {
        Some(b) => (b, true),
        None => (shown, false),
    };
    let len = || {
        base.split_once('(').and_then(|(_, r)| r.trim_end_matches(')').split(',').next()?.trim().parse::<usize>().ok())
    };
    let unquoted = base.trim_matches('"');
    if let Some(e) = schema.enum_type(unquoted) {
        return if array { Type::EnumArray(e.labels.clone()) } else { Type::Enum(e.labels.clone()) };
    }
    let head = base.split('(').next().unwrap_or(base).trim();
    let scalar = match head {
        "boolean" => Type::Bool,
        "smallint" => Type::Int { bits: 16 },
        "integer" => Type::Int { bits: 32 },
        "bigint" => Type::Int { bits: 64 },
        "real" | "double precision" => Type::Float,
        "numeric" => {
            let inner = base.split_once('(').map(|(_, r)| r.trim_end_matches(')'));
            let (p, s): (u32, u32) = match inner.and_then(|i| i.split_once(',')) {
                Some((p, s)) => (p.trim().parse().unwrap_or(12), s.trim().parse().unwrap_or(2)),
                None => (inner.and_then(|i| i.trim().parse().ok()).unwrap_or(12), 0),
            };
            Type::Numeric { scale: s, int_digits: p.saturating_sub(s).max(1) }
        }
        "text" | "character varying" | "character" | "citext" | "name" => Type::Text { max: len() },
        "uuid" => Type::Uuid,
        "date" => Type::Date,
        "json" => Type::Json,
        "jsonb" => Type::Json,
        "bytea" => Type::Bytes,
        _ if head.starts_with("timestamp") => Type::Timestamp,
        _ => Type::Other(shown.to_owned()),
    };
    if !array {
        return scalar;
    }
    match scalar {
        Type::Text { max } => Type::TextArray { max },
        Type::Uuid => Type::UuidArray,
        Type::Json if head == "jsonb" => Type::JsonArray,
        _ => Type::Other(shown.to_owned()),
    }
}
