//! Every rule `check` knows: its name, its default level, why it matters and the fix.

use serde::Serialize;

/// How serious a finding is. Only errors make `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Fails the check.
    Error,
    /// Printed; does not fail the check.
    Warning,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Error => "error",
            Level::Warning => "warning",
        })
    }
}

macro_rules! rules {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, $level:ident, why: $why:literal, fix: $fix:literal; )*) => {
        /// A rule of `check`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $( $(#[$doc])* $variant, )*
        }

        impl Rule {
            /// Every rule, in the order `check --help` and the docs list them.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// Its name, as diagnostics print it and `-- vytal:allow` names it.
            pub fn name(self) -> &'static str {
                match self { $(Rule::$variant => $name,)* }
            }

            /// Its level unless allowed.
            pub fn level(self) -> Level {
                match self { $(Rule::$variant => Level::$level,)* }
            }

            /// Why it matters.
            pub fn why(self) -> &'static str {
                match self { $(Rule::$variant => $why,)* }
            }

            /// What to do instead.
            pub fn fix(self) -> &'static str {
                match self { $(Rule::$variant => $fix,)* }
            }

            /// The rule named `name`.
            pub fn named(name: &str) -> Option<Rule> {
                Rule::ALL.iter().copied().find(|r| r.name() == name)
            }
        }
    };
}

rules! {
    /// PostgreSQL rejected a statement of the up or the down.
    Rejected = "rejected", Error,
        why: "the migration cannot apply (or roll back) on any database",
        fix: "correct the statement; the position is where PostgreSQL stopped reading";
    /// The down left objects its up had not found there.
    DownLeavesObjects = "down-leaves-objects", Error,
        why: "after a rollback the database still holds what the migration created, so applying it again fails or the next rollback drifts",
        fix: "drop in the down everything the up creates (types, indexes and functions too)";
    /// After the down, something that existed before the up is missing or different.
    DownDoesNotRestore = "down-does-not-restore", Error,
        why: "a rollback does not bring back the schema the migration started from: whatever the up dropped or changed stays lost",
        fix: "make the down recreate exactly what the up dropped or changed, and drop only what the up created";
    /// Up, down and up again gives a different catalog from one up.
    RoundTripDiffers = "round-trip-differs", Error,
        why: "a database that was rolled back and upgraded again ends up different from one upgraded once",
        fix: "make the down undo the up completely (column order, defaults, constraint names)";
    /// The up rewrote a table that existed before it.
    TableRewrite = "table-rewrite", Error,
        why: "a rewrite holds an ACCESS EXCLUSIVE lock (no reads, no writes) for as long as copying every row takes",
        fix: "add a new column and backfill it in batches, or use a type change PostgreSQL does without a rewrite (e.g. widening a varchar)";
    /// An identifier with upper-case letters, not quoted.
    UnquotedMixedCase = "unquoted-mixed-case-identifier", Error,
        why: "PostgreSQL folds unquoted names to lower case, so it creates or looks for a different name than the one written (\"column does not exist\")",
        fix: "quote it, e.g. \"birthDate\", everywhere it appears";
    /// `CREATE INDEX` on an existing table without `CONCURRENTLY`.
    RequireConcurrentIndexCreation = "require-concurrent-index-creation", Error,
        why: "a plain CREATE INDEX blocks every write to the table until the index is built",
        fix: "use CREATE INDEX CONCURRENTLY in a migration of its own that starts with `-- vytal:no-transaction`";
    /// `CONCURRENTLY` in a migration that runs in a transaction.
    ConcurrentlyInTransaction = "concurrently-in-transaction", Error,
        why: "PostgreSQL refuses CONCURRENTLY inside a transaction block, and every migration runs in one unless it says otherwise",
        fix: "put `-- vytal:no-transaction` at the top of the up file, and keep that migration to the concurrent statements";
    /// A column added with a volatile default.
    AddingFieldWithDefault = "adding-field-with-default", Error,
        why: "a volatile default (random(), clock_timestamp(), gen_random_uuid()) makes PostgreSQL rewrite the table under an ACCESS EXCLUSIVE lock",
        fix: "add the column without the default, set the default, then backfill existing rows in batches";
    /// A `NOT NULL` column without a default added to an existing table.
    AddingRequiredField = "adding-required-field", Error,
        why: "a NOT NULL column without a default fails on a table that has rows, and any writer that does not know the column breaks",
        fix: "give it a default, or add it nullable, backfill, then add a NOT VALID check and validate it";
    /// `SET NOT NULL` on an existing column.
    AddingNotNullableField = "adding-not-nullable-field", Warning,
        why: "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
        fix: "add CHECK (col IS NOT NULL) NOT VALID, validate it in a later migration, then SET NOT NULL (which then skips the scan)";
    /// A check or unique constraint added to an existing table without `NOT VALID`.
    ConstraintMissingNotValid = "constraint-missing-not-valid", Error,
        why: "adding a constraint checks every row while holding a lock that blocks writes (reads too, for some kinds)",
        fix: "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration";
    /// A foreign key added to an existing table without `NOT VALID`.
    AddingForeignKeyConstraint = "adding-foreign-key-constraint", Error,
        why: "adding a foreign key scans the table while blocking writes to both tables",
        fix: "add it NOT VALID, then VALIDATE CONSTRAINT in a later migration";
    /// `IF NOT EXISTS` or `IF EXISTS` in an up migration.
    ConditionalDdl = "conditional-ddl", Error,
        why: "the ledger already knows what exists; a conditional statement turns a database that drifted into a silent success instead of an error",
        fix: "write the statement unconditionally; if a database drifted, let it fail and fix it (`vytal-host verify` shows how)";
    /// `timestamp without time zone`.
    PreferTimestamptz = "prefer-timestamptz", Warning,
        why: "a timestamp without time zone stores wall-clock time with no zone, so the same instant reads differently from servers or sessions in other zones",
        fix: "use timestamptz";
    /// A foreign key with no index leading with its columns.
    ForeignKeyWithoutIndex = "foreign-key-without-index", Warning,
        why: "every delete or key update in the referenced table scans the referencing table, and joins on the key cannot use an index",
        fix: "create an index whose leading columns are the foreign key's columns";
    /// `BEGIN`, `COMMIT`, `ROLLBACK` or a savepoint in a migration.
    TransactionControl = "transaction-control", Error,
        why: "the host runs each migration in its own transaction with its ledger row; a COMMIT inside it splits the two and a BEGIN does nothing",
        fix: "remove it; use `-- vytal:no-transaction` if the statements must run outside a transaction";
    /// `-- vytal:allow RULE` without a reason.
    AllowWithoutReason = "allow-without-reason", Error,
        why: "a suppression is a decision a reviewer must be able to read",
        fix: "write the reason after a colon: `-- vytal:allow RULE: why it is acceptable here`";
    /// `-- vytal:allow` naming no rule `check` has.
    UnknownRule = "unknown-rule", Error,
        why: "a misspelt rule name suppresses nothing",
        fix: "use one of the names `vytal-host check --rules` lists";
    /// `-- vytal:allow` for a rule the migration does not break.
    UnusedAllow = "unused-allow", Warning,
        why: "a suppression nothing needs hides the next real finding of that rule",
        fix: "remove the line";
}

#[cfg(test)]
mod tests {
    use super::Rule;

    #[test]
    fn names_are_unique_and_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::named(rule.name()), Some(*rule));
        }
        let mut names: Vec<_> = Rule::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Rule::ALL.len());
    }
}
