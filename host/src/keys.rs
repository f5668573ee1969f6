//! Typed names: a module, a migration id, and the one way a migration is labelled.
//!
//! Migration ids order numerically (`0002` before `0010`, `10` after `9`),
//! everywhere: in the plan, against the ledger, and in output.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::ops::Deref;

/// A module's name as written in `migrations.toml`, e.g. `clinical-notes`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct ModuleName(String);

/// A migration's id within its module: the digits before the first `_` of its file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(transparent)]
pub struct MigrationId(String);

macro_rules! string_key {
    ($t:ident) => {
        impl $t {
            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl From<&str> for $t {
            fn from(s: &str) -> Self {
                $t(s.to_owned())
            }
        }
        impl From<String> for $t {
            fn from(s: String) -> Self {
                $t(s)
            }
        }
        impl Deref for $t {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl Borrow<str> for $t {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $t {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

string_key!(ModuleName);
string_key!(MigrationId);

impl MigrationId {
    /// Whether `text` is a usable id: one or more ASCII digits.
    pub fn is_valid(text: &str) -> bool {
        !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
    }

    /// The id as a number, for the next id to scaffold.
    pub fn number(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    fn significant(&self) -> &str {
        self.0.trim_start_matches('0')
    }
}

impl Ord for MigrationId {
    /// Numeric order of arbitrarily long digit strings: more significant digits is larger.
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| a.cmp(b)).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for MigrationId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// How a migration is named in every message and report: `module/id_name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label<'a> {
    /// The module.
    pub module: &'a str,
    /// The id.
    pub id: &'a str,
    /// The name.
    pub name: &'a str,
}

impl fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}_{}", self.module, self.id, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_numerically() {
        let mut ids: Vec<MigrationId> = ["0010", "9", "0002", "00002", "100"].into_iter().map(Into::into).collect();
        ids.sort();
        let got: Vec<&str> = ids.iter().map(MigrationId::as_str).collect();
        assert_eq!(got, ["00002", "0002", "9", "0010", "100"]);
    }

    #[test]
    fn labels_read_module_id_name() {
        let l = Label { module: "tasks", id: "0001", name: "create_tasks" };
        assert_eq!(l.to_string(), "tasks/0001_create_tasks");
    }
}
