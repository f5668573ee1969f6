//! `check`: each broken or dangerous migration is caught by the right rule
//! at the right line, the shipped migrations pass, suppressions need reasons,
//! and the target database is never touched.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{TestDb, expect_code, host, stderr, stdout};

/// Writes `NNNN_name.up.sql` (and its down, when given) into a fresh
/// folder of its own and returns the up file's path.
fn migration(case: &str, up: &str, down: Option<&str>) -> String {
    let dir = std::env::temp_dir().join(format!("vt_check_{case}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let up_path: PathBuf = dir.join(format!("0001_{case}.up.sql"));
    std::fs::write(&up_path, up).unwrap();
    if let Some(down) = down {
        std::fs::write(dir.join(format!("0001_{case}.down.sql")), down).unwrap();
    }
    up_path.display().to_string()
}

/// Runs `check --json` and returns (exit code, report).
fn check(db: &TestDb, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--json"];
    all.extend_from_slice(args);
    let out = host(Some(db), &all);
    let code = out.status.code().unwrap_or(-1);
    let report: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("check --json printed no JSON ({e}):\n{}\n{}", stdout(&out), stderr(&out)));
    (code, report)
}

/// `(rule, line, column)` of every finding in `file` that is not allowed.
fn found(report: &Value, file: &str) -> Vec<(String, Option<u64>, Option<u64>)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["file"].as_str().is_some_and(|f| f.ends_with(file)) && d["allowed"].is_null())
        .map(|d| (d["rule"].as_str().unwrap().to_owned(), d["line"].as_u64(), d["column"].as_u64()))
        .collect()
}

fn rule(r: &str, line: u64, column: Option<u64>) -> (String, Option<u64>, Option<u64>) {
    (r.to_owned(), Some(line), column)
}

/// What the target database holds besides PostgreSQL's own schemas.
async fn footprint(db: &TestDb) -> i64 {
    db.count(
        "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace NOT IN \
         (SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema', 'pg_toast'))) \
         + (SELECT count(*) FROM pg_namespace WHERE nspname = 'vytal')",
    )
    .await
}

#[tokio::test]
async fn the_shipped_migrations_check_clean_and_the_target_is_untouched() {
    let db = TestDb::new("check_workspace").await;
    let (code, report) = check(&db, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["errors"], 0, "{report:#}");
    assert_eq!(report["warnings"], 0, "{report:#}");
    assert_eq!(report["checked"], report["replayed"]);
    assert!(report["checked"].as_u64().unwrap() >= 38, "{report:#}");
    // The 1.0.0 migrations reproduce the old schema's defects on purpose, and say why.
    let allowed: Vec<&Value> =
        report["diagnostics"].as_array().unwrap().iter().filter(|d| !d["allowed"].is_null()).collect();
    assert!(allowed.iter().any(|d| d["rule"] == "prefer-timestamptz"), "{report:#}");
    assert!(allowed.iter().all(|d| d["allowed"].as_str().unwrap().len() > 20));
    assert_eq!(footprint(&db).await, 0, "check wrote to the target database");

    let human = expect_code(&host(Some(&db), &["check", "-m", "medications"]), 0);
    assert!(human.contains("0 error(s), 0 warning(s)"), "{human}");
    db.drop().await;
}

#[tokio::test]
async fn names_that_fold_to_lower_case_are_caught_where_they_are_written() {
    let db = TestDb::new("check_folding").await;
    // In a column list: the table gets `birthdate`, so the index on "birthDate" is rejected.
    let columns = migration(
        "fold_columns",
        "-- pets\nCREATE TABLE \"pets\" (\n    \"id\" uuid PRIMARY KEY,\n    birthDate date\n);\n\
         CREATE INDEX \"IDX_pets_birthDate\" ON \"pets\" (\"birthDate\");\n",
        Some("DROP TABLE \"pets\";\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &columns]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        found(&report, "0001_fold_columns.up.sql"),
        vec![rule("unquoted-mixed-case-identifier", 4, Some(5)), rule("rejected", 6, Some(46))],
        "{report:#}"
    );
    let rejected = report["diagnostics"].as_array().unwrap().iter().find(|d| d["rule"] == "rejected").unwrap();
    assert!(rejected["message"].as_str().unwrap().contains("column \"birthDate\" does not exist"), "{rejected:#}");

    // In an index and in a constraint on an existing table (users has "firstName" and "lastName").
    let index = migration(
        "fold_index",
        "-- vytal:no-transaction\nCREATE INDEX CONCURRENTLY \"IDX_users_firstName\" ON \"users\" (firstName);\n",
        Some("-- vytal:no-transaction\nDROP INDEX CONCURRENTLY \"IDX_users_firstName\";\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &index]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        found(&report, "0001_fold_index.up.sql"),
        vec![rule("unquoted-mixed-case-identifier", 2, Some(61)), rule("rejected", 2, Some(61))],
        "{report:#}"
    );

    let constraint = migration(
        "fold_constraint",
        "ALTER TABLE \"users\"\n    ADD CONSTRAINT \"CHK_users_lastName\" CHECK (lastName <> '') NOT VALID;\n",
        Some("ALTER TABLE \"users\" DROP CONSTRAINT \"CHK_users_lastName\";\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &constraint]);
    assert_eq!(code, 1, "{report:#}");
    let got = found(&report, "0001_fold_constraint.up.sql");
    assert_eq!(got, vec![rule("unquoted-mixed-case-identifier", 2, Some(48)), rule("rejected", 2, Some(48))]);
    assert_eq!(footprint(&db).await, 0);
    db.drop().await;
}

#[tokio::test]
async fn an_index_on_a_column_created_later_is_rejected_at_its_line() {
    let db = TestDb::new("check_later_column").await;
    let path = migration(
        "later_column",
        "CREATE TABLE \"visits\" (\"id\" int PRIMARY KEY);\nCREATE INDEX \"IDX_visits_at\" ON \"visits\" (\"at\");\n\
         ALTER TABLE \"visits\" ADD COLUMN \"at\" timestamptz;\n",
        Some("DROP TABLE \"visits\";\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &path]);
    assert_eq!(code, 1);
    assert_eq!(found(&report, "0001_later_column.up.sql"), vec![rule("rejected", 2, Some(43))], "{report:#}");
    let out = host(Some(&db), &["check", "-m", "core", &path]);
    let text = expect_code(&out, 1);
    // rustc's shape: the rule, the place, the line with a caret under the column, why and the fix.
    assert!(text.contains("error[rejected]: PostgreSQL rejected the up: column \"at\" does not exist"), "{text}");
    assert!(text.contains("0001_later_column.up.sql:2:43"), "{text}");
    assert!(text.contains("2 | CREATE INDEX \"IDX_visits_at\" ON \"visits\" (\"at\");"), "{text}");
    assert!(text.contains(&format!("  | {}^^^^\n", " ".repeat(42))), "{text}");
    assert!(text.contains("= why: ") && text.contains("= fix: "), "{text}");
    db.drop().await;
}

#[tokio::test]
async fn downs_that_do_not_undo_their_ups_are_caught() {
    let db = TestDb::new("check_downs").await;
    // Leaves the enum behind: the down reports it, and the up then cannot run again.
    let enum_left = migration(
        "enum_left",
        "CREATE TYPE \"mood\" AS ENUM ('calm', 'tense');\nCREATE TABLE \"moods\" (\"id\" int PRIMARY KEY, \"m\" \"mood\");\n",
        Some("DROP TABLE \"moods\";\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &enum_left]);
    assert_eq!(code, 1);
    let diags = report["diagnostics"].as_array().unwrap();
    let left = diags.iter().find(|d| d["rule"] == "down-leaves-objects").unwrap_or_else(|| panic!("{report:#}"));
    assert!(left["message"].as_str().unwrap().contains("enum type `mood`"), "{left:#}");
    assert!(left["file"].as_str().unwrap().ends_with("0001_enum_left.down.sql"));
    assert!(
        diags.iter().any(|d| d["rule"] == "rejected" && d["message"].as_str().unwrap().contains("already exists")),
        "{report:#}"
    );

    // Drops a column its down does not put back.
    let dropped = migration(
        "drop_column",
        "ALTER TABLE \"users\" DROP COLUMN \"lastName\";\n",
        Some("-- nothing to undo\nSELECT 1;\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &dropped]);
    assert_eq!(code, 1);
    let diags = report["diagnostics"].as_array().unwrap();
    let lost = diags.iter().find(|d| d["rule"] == "down-does-not-restore").unwrap_or_else(|| panic!("{report:#}"));
    assert!(lost["message"].as_str().unwrap().contains("column `users.lastName` is gone"), "{lost:#}");

    // Drops an object its up did not create (a down that drops too much).
    let greedy = migration(
        "greedy_down",
        "CREATE TABLE \"notes\" (\"id\" int PRIMARY KEY);\n",
        Some("DROP TABLE \"notes\";\nDROP INDEX \"UQ_users_email\";\n"),
    );
    let (code, report) = check(&db, &["-m", "core", &greedy]);
    assert_eq!(code, 1);
    let rules: Vec<String> = found(&report, "0001_greedy_down.down.sql").into_iter().map(|f| f.0).collect();
    assert!(rules.iter().any(|r| r == "rejected" || r == "down-does-not-restore"), "{report:#}");
    db.drop().await;
}

#[tokio::test]
async fn each_unsafe_statement_is_caught_by_its_rule_at_its_line() {
    let db = TestDb::new("check_unsafe").await;
    let cases: &[(&str, &str, &str, u64)] = &[
        (
            "index",
            "CREATE INDEX \"IDX_users_first\" ON \"users\" (\"firstName\");",
            "require-concurrent-index-creation",
            1,
        ),
        (
            "volatile_default",
            "ALTER TABLE \"users\" ADD COLUMN \"token\" uuid DEFAULT gen_random_uuid();",
            "adding-field-with-default",
            1,
        ),
        ("required", "ALTER TABLE \"users\" ADD COLUMN \"nick\" varchar NOT NULL;", "adding-required-field", 1),
        ("rewrite", "ALTER TABLE \"users\" ALTER COLUMN \"role\" TYPE text;", "table-rewrite", 1),
        (
            "foreign_key",
            "ALTER TABLE \"users\"\n  ADD CONSTRAINT \"FK_users_self\" FOREIGN KEY (\"id\") REFERENCES \"users\" (\"id\");",
            "adding-foreign-key-constraint",
            2,
        ),
        (
            "check",
            "ALTER TABLE \"users\" ADD CONSTRAINT \"CHK_users_email\" CHECK (\"email\" <> '');",
            "constraint-missing-not-valid",
            1,
        ),
        ("if_not_exists", "CREATE TABLE IF NOT EXISTS \"pads\" (\"id\" int PRIMARY KEY);", "conditional-ddl", 1),
        (
            "timestamp",
            "CREATE TABLE \"logs\" (\n  \"id\" int PRIMARY KEY,\n  \"at\" timestamp\n);",
            "prefer-timestamptz",
            3,
        ),
        (
            "unindexed_key",
            "CREATE TABLE \"pins\" (\"id\" int PRIMARY KEY, \"userId\" uuid REFERENCES \"users\" (\"id\"));",
            "foreign-key-without-index",
            1,
        ),
        ("transaction", "BEGIN;\nCREATE TABLE \"tx\" (\"id\" int PRIMARY KEY);\nCOMMIT;", "transaction-control", 1),
        // Last: PostgreSQL rejects it too, and the replay stops at a rejected up.
        (
            "concurrently",
            "CREATE INDEX CONCURRENTLY \"IDX_users_last\" ON \"users\" (\"lastName\");",
            "concurrently-in-transaction",
            1,
        ),
    ];
    let downs = [
        "DROP INDEX \"IDX_users_first\";",
        "ALTER TABLE \"users\" DROP COLUMN \"token\";",
        "ALTER TABLE \"users\" DROP COLUMN \"nick\";",
        "ALTER TABLE \"users\" ALTER COLUMN \"role\" TYPE \"users_role_enum\" USING \"role\"::\"users_role_enum\";",
        "ALTER TABLE \"users\" DROP CONSTRAINT \"FK_users_self\";",
        "ALTER TABLE \"users\" DROP CONSTRAINT \"CHK_users_email\";",
        "DROP TABLE \"pads\";",
        "DROP TABLE \"logs\";",
        "DROP TABLE \"pins\";",
        "DROP TABLE \"tx\";",
        "DROP INDEX \"IDX_users_last\";",
    ];
    let paths: Vec<String> =
        cases.iter().zip(downs).map(|((case, up, _, _), down)| migration(case, up, Some(down))).collect();
    let mut args = vec!["-m", "core"];
    args.extend(paths.iter().map(String::as_str));
    let (code, report) = check(&db, &args);
    assert_eq!(code, 1, "{report:#}");
    for (case, _, expected, line) in cases {
        let got = found(&report, &format!("0001_{case}.up.sql"));
        assert!(
            got.iter().any(|(r, l, _)| r == expected && *l == Some(*line)),
            "{case}: expected {expected} at line {line}, got {got:?}"
        );
    }
    // Nothing else fired on the index case: one rule, one place.
    assert_eq!(found(&report, "0001_index.up.sql").len(), 1, "{report:#}");
    let levels: Vec<(&str, &str)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["rule"].as_str().unwrap(), d["level"].as_str().unwrap()))
        .collect();
    assert!(levels.contains(&("prefer-timestamptz", "warning")), "{levels:?}");
    assert!(levels.contains(&("table-rewrite", "error")), "{levels:?}");
    assert_eq!(footprint(&db).await, 0);
    db.drop().await;
}

#[tokio::test]
async fn a_suppression_needs_a_known_rule_and_a_reason() {
    let db = TestDb::new("check_allow").await;
    let up = "CREATE TABLE \"ticks\" (\"id\" int PRIMARY KEY, \"at\" timestamp);";
    let down = Some("DROP TABLE \"ticks\";");
    let with_reason = migration(
        "allow_reason",
        &format!("-- vytal:allow prefer-timestamptz: clock readings, zone kept elsewhere\n{up}"),
        down,
    );
    let (code, report) = check(&db, &["-m", "core", &with_reason]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        (report["errors"].as_u64(), report["warnings"].as_u64(), report["allowed"].as_u64()),
        (Some(0), Some(0), Some(1))
    );

    let without = migration("allow_bare", &format!("-- vytal:allow prefer-timestamptz\n{up}"), down);
    let (code, report) = check(&db, &["-m", "core", &without]);
    assert_eq!(code, 1, "{report:#}");
    let got = found(&report, "0001_allow_bare.up.sql");
    assert!(got.contains(&rule("allow-without-reason", 1, None)), "{got:?}");
    assert!(got.iter().any(|(r, _, _)| r == "prefer-timestamptz"), "an allow without a reason allows nothing: {got:?}");

    let unknown = migration("allow_unknown", &format!("-- vytal:allow prefer-timestamp: typo\n{up}"), down);
    let (code, report) = check(&db, &["-m", "core", &unknown]);
    assert_eq!(code, 1);
    assert!(found(&report, "0001_allow_unknown.up.sql").contains(&rule("unknown-rule", 1, None)), "{report:#}");

    let unused = migration(
        "allow_unused",
        "-- vytal:allow table-rewrite: nothing here rewrites\nCREATE TABLE \"calm\" (\"id\" int PRIMARY KEY);",
        Some("DROP TABLE \"calm\";"),
    );
    let (code, report) = check(&db, &["-m", "core", &unused]);
    assert_eq!(code, 0, "an unused allow is a warning: {report:#}");
    assert_eq!(found(&report, "0001_allow_unused.up.sql"), vec![rule("unused-allow", 1, None)]);
    db.drop().await;
}

#[tokio::test]
async fn what_check_cannot_run_on_exits_2() {
    let db = TestDb::new("check_cannot").await;
    let not_up = std::env::temp_dir().join("vt_check_notes.sql");
    std::fs::write(&not_up, "SELECT 1;").unwrap();
    let out = host(Some(&db), &["check", not_up.to_str().unwrap()]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("is not an up migration: pass a file named NNNN_name.up.sql"), "{}", stderr(&out));

    let out = host(Some(&db), &["check", "-m", "nosuch"]);
    expect_code(&out, 2);
    assert!(stderr(&out).contains("no module `nosuch`"), "{}", stderr(&out));

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"));
    let out = cmd
        .args(["check", "--database-url", "postgres://postgres@127.0.0.1:9/none"])
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    expect_code(&out, 2);

    let rules = expect_code(&host(None, &["check", "--rules"]), 0);
    assert!(rules.contains("unquoted-mixed-case-identifier") && rules.contains("conditional-ddl"), "{rules}");
    db.drop().await;
}
