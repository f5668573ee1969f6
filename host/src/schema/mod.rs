//! The schema model: a live schema read from `pg_catalog` into typed
//! structs, and the one comparison every verb uses.

mod diff;
mod model;
mod read;

pub use diff::{Aspect, Change, Drift, ObjectKind, Ownership, diff, prerequisites};
pub use model::{
    CheckConstraint, Column, EnumType, Extension, ForeignKey, Index, IndexConstraint, PrimaryKey, Schema, Summary,
    Table, UniqueConstraint,
};
pub use read::{catalog_query, describe, describe_json};
