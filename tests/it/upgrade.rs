//! 1.2.0 fixes the schema of record's defects on live data: time zones,
//! duplicate and redundant indexes, unindexed foreign keys, and references
//! to other rows without a foreign key. (Rows kept through the upgrade and
//! back are `app.rs`'s; the adopted database is `adopt.rs`'s.)

use serde_json::Value;
use vytal_host::Quiet;
use vytal_host::seed::{SeedOptions, Silent};

use crate::schema::{describe, plan_at_1_0_0, record_modules};
use crate::support::{TestDb, expect_code, host, stderr};

/// The tables of the schema of record, and users.
fn record_tables() -> Vec<String> {
    let reference: Value = serde_json::from_str(include_str!("../reference/catalog.json")).unwrap();
    let mut out: Vec<String> =
        reference["tables"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    out.push("users".to_owned());
    out
}

/// The columns 1.2.0 gives a foreign key, as (table, column, target): to users
/// NO ACTION (the record keeps who did what), to any other row SET NULL.
const NEW_REFERENCES: &[(&str, &str, &str)] = &[
    ("tasks", "completedBy", "users"),
    ("tasks", "appointmentId", "appointments"),
    ("tasks", "medicationId", "medications"),
    ("appointments", "completedBy", "users"),
    ("appointments", "cancelledBy", "users"),
    ("appointments", "confirmedBy", "users"),
    ("appointments", "lastModifiedBy", "users"),
    ("appointments", "parentAppointmentId", "appointments"),
    ("appointments", "taskId", "tasks"),
    ("appointments", "claimId", "claims"),
    ("calls", "appointmentId", "appointments"),
    ("calls", "clinicalNoteId", "clinical_notes"),
    ("calls", "endedBy", "users"),
    ("call_recordings", "startedBy", "users"),
    ("call_recordings", "stoppedBy", "users"),
    ("call_recordings", "lastViewedBy", "users"),
    ("clinical_notes", "billingClaimId", "claims"),
    ("clinical_notes", "originalNoteId", "clinical_notes"),
    ("clinical_notes", "previousVersionId", "clinical_notes"),
    ("clinical_notes", "lockedBy", "users"),
    ("clinical_notes", "supersededBy", "clinical_notes"),
    ("clinical_notes", "addendumAddedBy", "users"),
    ("clinical_notes", "coSignedBy", "users"),
    ("clinical_notes", "lastEditedBy", "users"),
    ("clinical_notes", "deletedBy", "users"),
    ("consents", "witnessedBy", "users"),
    ("consents", "revokedBy", "users"),
    ("medications", "discontinuedBy", "users"),
    ("ai_conversations", "patientId", "users"),
    ("ai_conversations", "providerId", "users"),
    ("ai_conversations", "lastMessageId", "ai_messages"),
    ("conversations", "lastMessageId", "messages"),
];

fn strs(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_fresh_database_has_none_of_the_defects() {
    let db = TestDb::new("upgrade_fresh").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    let catalog = describe(&db, &[]).await;
    let record = record_tables();
    let mut defects = Vec::new();
    let mut timestamptz = 0;
    for t in catalog["tables"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        for c in t["columns"].as_array().unwrap() {
            match c["type"].as_str().unwrap() {
                "timestamp without time zone" => defects.push(format!("{name}.{}: timestamp", c["name"])),
                "timestamp with time zone" if record.iter().any(|r| r == name) && name != "users" => timestamptz += 1,
                _ => {}
            }
        }
        let indexes = t["indexes"].as_array().unwrap();
        for u in t["unique_constraints"].as_array().unwrap() {
            for i in indexes.iter().filter(|i| i["constraint"].is_null() && i["unique"] == true) {
                if i["columns"] == u["columns"] {
                    defects.push(format!("{name}: {} repeats unique constraint {}", i["name"], u["name"]));
                }
            }
        }
        for i in indexes.iter().filter(|i| i["unique"] == false) {
            let cols = strs(&i["columns"]);
            for j in indexes.iter().filter(|j| j["name"] != i["name"] && j["method"] == i["method"]) {
                let other = strs(&j["columns"]);
                let same_rows = j["partial_predicate"].is_null() || j["partial_predicate"] == i["partial_predicate"];
                if other.len() >= cols.len() && other[..cols.len()] == cols[..] && same_rows {
                    defects.push(format!("{name}: {} leads {}", i["name"], j["name"]));
                }
            }
        }
        for k in t["foreign_keys"].as_array().unwrap() {
            let cols = strs(&k["columns"]);
            let served = indexes.iter().any(|i| {
                let lead = strs(&i["columns"]);
                i["partial_predicate"].is_null() && lead.len() >= cols.len() && lead[..cols.len()] == cols[..]
            });
            if !served {
                defects.push(format!("{name}: foreign key {} has no index", k["name"]));
            }
        }
    }
    assert!(defects.is_empty(), "{}", defects.join("\n"));
    assert_eq!(timestamptz, 113, "the schema of record's 113 timestamps");

    for (table, column, target) in NEW_REFERENCES {
        let t = catalog["tables"].as_array().unwrap().iter().find(|t| t["name"] == *table).unwrap();
        let key = t["foreign_keys"].as_array().unwrap().iter().find(|k| k["columns"][0] == *column);
        let key = key.unwrap_or_else(|| panic!("{table}.{column} has no foreign key"));
        assert_eq!(key["ref_table"], *target, "{table}.{column}");
        let action = if *target == "users" { "NO ACTION" } else { "SET NULL" };
        assert_eq!(key["on_delete"], action, "{table}.{column}");
    }
    // Validated, all but the references into monitoring, which 1.1.0 leaves NOT VALID on purpose.
    let unvalidated = db
        .count(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND NOT convalidated \
             AND conname !~ '_(vitalReadingId|alertId)$'",
        )
        .await;
    assert_eq!(unvalidated, 0);
    // encryption_keys stays standalone: nothing points at it and it points at nothing.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' \
             AND (conrelid = 'encryption_keys'::regclass OR confrelid = 'encryption_keys'::regclass)"
        )
        .await,
        0
    );
    db.drop().await;
}

/// The old suite's modules at 1.0.0, with `count` rows per table.
async fn seeded_1_0_0(name: &str, count: u64) -> TestDb {
    let db = TestDb::new(name).await;
    let old = plan_at_1_0_0();
    vytal_host::run(&old, &db.target(), &record_modules(), &mut Quiet).await.unwrap();
    let options = SeedOptions { count, seed: 11, ..SeedOptions::default() };
    vytal_host::seed::seed(&old, &db.target(), &options, &mut Silent).await.unwrap();
    db
}

#[tokio::test]
async fn orphaned_references_stop_the_validation_with_a_report_and_nothing_half_applied() {
    let db = seeded_1_0_0("upgrade_orphans", 20).await;
    // Rows written before any foreign key: three tasks name appointments that
    // do not exist, two name a user who completed them who does not exist.
    db.exec(
        "UPDATE tasks SET \"appointmentId\" = gen_random_uuid() WHERE id IN (SELECT id FROM tasks ORDER BY id LIMIT 3);
         UPDATE tasks SET \"completedBy\" = gen_random_uuid() WHERE id IN (SELECT id FROM tasks ORDER BY id DESC LIMIT 2)",
    )
    .await;
    let before: Vec<String> = vec![
        db.count("SELECT count(*) FROM tasks WHERE \"appointmentId\" IS NOT NULL").await.to_string(),
        db.count("SELECT count(*) FROM tasks WHERE \"completedBy\" IS NOT NULL").await.to_string(),
    ];

    // Before anyone runs the upgrade, tasks' verify plugin reports the same
    // columns and counts, and nothing else on this 1.0.0 database is at fault.
    let o = host(Some(&db), &["verify", "--applied", "--json"]);
    expect_code(&o, 1);
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut found: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "note")
        .map(|f| {
            format!(
                "{} {}: {}",
                f["kind"],
                f["object"],
                f["found"].as_str().unwrap_or("").split(';').next().unwrap_or("")
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            "\"tasks-verify\" \"tasks.appointmentId\": 3 row(s) name no appointments row",
            "\"tasks-verify\" \"tasks.completedBy\": 2 row(s) name no users row",
        ]
    );

    let o = host(Some(&db), &["run"]);
    expect_code(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("tasks/0007_validate_references"), "{err}");
    assert!(err.contains("references that point at no row, so their foreign keys cannot be validated"), "{err}");
    assert!(err.contains("3 row(s) of tasks.\"appointmentId\" name no appointments row"), "{err}");
    assert!(err.contains("2 row(s) of tasks.\"completedBy\" name no users row"), "{err}");
    assert!(err.contains("set the column to NULL, then run again"), "{err}");
    assert!(!err.contains("no transaction in progress"), "one ROLLBACK, not two:\n{err}");
    let reported = |column: &str| {
        err.lines().any(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(column))
    };
    assert!(!reported("tasks.\"medicationId\""), "a column without orphans is not reported:\n{err}");

    // The validation did not commit, and nothing was changed: the keys are
    // there (enforced for new writes) but not validated, the rows are as they were.
    let ledger = db.ledger().await;
    assert!(ledger.contains(&"tasks/0006".to_owned()), "{ledger:?}");
    assert!(!ledger.contains(&"tasks/0007".to_owned()), "{ledger:?}");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_constraint WHERE conname = 'FK_tasks_appointmentId' AND NOT convalidated")
            .await,
        1
    );
    let after = vec![
        db.count("SELECT count(*) FROM tasks WHERE \"appointmentId\" IS NOT NULL").await.to_string(),
        db.count("SELECT count(*) FROM tasks WHERE \"completedBy\" IS NOT NULL").await.to_string(),
    ];
    assert_eq!(after, before);
    // Meanwhile the keys hold for new writes.
    let mut c = db.conn().await;
    let refused = sqlx::raw_sql(
        "UPDATE tasks SET \"medicationId\" = gen_random_uuid() WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1)",
    )
    .execute(&mut c)
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.contains("FK_tasks_medicationId"), "{refused}");

    // The query the report gives lists exactly the rows at fault.
    let listing = err
        .lines()
        .find(|l| l.contains("tasks.\"appointmentId\""))
        .and_then(|l| l.split("list them with: ").nth(1))
        .unwrap()
        .trim()
        .trim_end_matches(" (SQLSTATE P0001)")
        .to_owned();
    assert_eq!(db.count(&format!("SELECT count(*) FROM ({listing}) o")).await, 3, "{listing}");

    // Fixed by the operator, the run completes and verify is clean.
    db.exec(&format!("UPDATE tasks SET \"appointmentId\" = NULL WHERE id IN (SELECT id FROM ({listing}) o)")).await;
    db.exec("UPDATE tasks t SET \"completedBy\" = NULL WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = t.\"completedBy\")")
        .await;
    expect_code(&host(Some(&db), &["run"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'FK_tasks_%' AND NOT convalidated AND conname !~ '_(vitalReadingId|alertId)$'").await, 0);
    expect_code(&host(Some(&db), &["verify"]), 0);
    db.drop().await;
}

#[tokio::test]
async fn a_new_write_that_points_nowhere_is_refused_once_the_key_is_there() {
    let db = TestDb::new("upgrade_enforced").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    let mut c = db.conn().await;
    let err = sqlx::raw_sql(
        "INSERT INTO users (email, \"firstName\", \"lastName\") VALUES ('a@example.org', 'A', 'B');
         INSERT INTO tasks (title, type, \"patientId\", \"assignedTo\", \"createdBy\", \"appointmentId\")
             SELECT 'call', 'custom', id, id, id, gen_random_uuid() FROM users",
    )
    .execute(&mut c)
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("FK_tasks_appointmentId"), "{err}");
    // A user named as the one who completed a task cannot be deleted while the task names them.
    let err = sqlx::raw_sql(
        "INSERT INTO users (email, \"firstName\", \"lastName\") VALUES ('b@example.org', 'B', 'C');
         INSERT INTO users (email, \"firstName\", \"lastName\") VALUES ('c@example.org', 'C', 'D');
         INSERT INTO tasks (title, type, \"patientId\", \"assignedTo\", \"createdBy\", \"completedBy\")
             SELECT 'call', 'custom', b.id, b.id, b.id, c.id FROM users b, users c
             WHERE b.email = 'b@example.org' AND c.email = 'c@example.org';
         DELETE FROM users WHERE email = 'c@example.org'",
    )
    .execute(&mut c)
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("FK_tasks_completedBy"), "{err}");
    db.drop().await;
}

#[tokio::test]
async fn one_module_on_a_1_0_0_database_pulls_in_what_its_new_version_requires() {
    let db = TestDb::new("upgrade_module_tasks").await;
    vytal_host::run(&plan_at_1_0_0(), &db.target(), &record_modules(), &mut Quiet).await.unwrap();
    let before = db.ledger().await;
    let out = expect_code(&host(Some(&db), &["run", "--module", "tasks"]), 0);
    let added: Vec<String> = db.ledger().await.into_iter().filter(|m| !before.contains(m)).collect();
    // tasks 1.1.0 requires monitoring; 1.2.0 requires appointments and
    // medications, which 1.0.0 already satisfies: nothing else moves.
    assert_eq!(
        added,
        vec!["monitoring/0001", "tasks/0002", "tasks/0003", "tasks/0004", "tasks/0005", "tasks/0006", "tasks/0007"],
        "{out}"
    );
    let graph = expect_code(&host(None, &["graph"]), 0);
    assert!(graph.contains("tasks_1_2_0 -->|requires| appointments_1_0_0"), "{graph}");
    assert!(graph.contains("appointments_1_2_0 -->|requires| tasks_1_0_0"), "{graph}");
    db.drop().await;
}

#[tokio::test]
async fn one_module_in_a_1_0_0_database_goes_up_and_comes_back() {
    // clinical-notes alone to 1.2.0 (claims 1.0.0 meets its new requirement)
    // and back with module-scoped rollback, the other modules untouched.
    let db = seeded_1_0_0("upgrade_module_back", 10).await;
    let before = describe(&db, &[]).await;
    let ledger = db.ledger().await;
    expect_code(&host(Some(&db), &["run", "--module", "clinical-notes"]), 0);
    let added: Vec<String> = db.ledger().await.into_iter().filter(|m| !ledger.contains(m)).collect();
    assert!(added.iter().all(|m| m.starts_with("clinical-notes/")), "{added:?}");
    assert_ne!(describe(&db, &[]).await, before);
    expect_code(&host(Some(&db), &["rollback", "--to", "clinical-notes@1.0.0"]), 0);
    assert_eq!(describe(&db, &[]).await, before);
    assert_eq!(db.ledger().await, ledger);
    db.drop().await;
}

#[tokio::test]
async fn a_key_reference_that_names_no_key_is_a_warning_of_the_keys_plugin() {
    // encryption_keys stays standalone, so nothing stops a dangling key reference: its plugin reports it.
    let db = TestDb::new("upgrade_key_references").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    expect_code(&host(Some(&db), &["seed", "--count", "5"]), 0);
    let clean = expect_code(&host(Some(&db), &["verify"]), 0);
    assert!(clean.contains("clean:"), "seeded references name real keys:\n{clean}");
    db.exec("UPDATE call_recordings SET \"encryptionKeyId\" = 'key-gone' WHERE id = (SELECT id FROM call_recordings ORDER BY id LIMIT 1)")
        .await;
    let out = expect_code(&host(Some(&db), &["verify", "--json"]), 0);
    let report: Value = serde_json::from_str(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["kind"], "encryption-keys-verify");
    assert_eq!(findings[0]["severity"], "warning");
    assert_eq!(findings[0]["object"], "call_recordings.encryptionKeyId");
    assert!(
        findings[0]["found"].as_str().unwrap().starts_with("1 row(s) name no encryption_keys row"),
        "{findings:#?}"
    );
    db.drop().await;
}

#[tokio::test]
async fn the_time_zone_migration_reads_utc_in_any_session_and_refuses_outside_a_transaction() {
    // vytal-host's own sessions are in UTC; psql's follow PGTZ. Applied the
    // way `plan --sql` output would be, in New York time, the conversion
    // must still read every stored value as UTC.
    let db = seeded_1_0_0("upgrade_psql_time_zone", 5).await;
    let plan = vytal_host::resolve(&vytal_host::Manifest::embedded().unwrap(), &vytal_host::Catalog::linked()).unwrap();
    let migration = plan.migrations().iter().find(|m| m.label().to_string() == "tasks/0004_time_zones_and_indexes");
    let file = std::env::temp_dir().join(format!("vytal-tz-{}.sql", std::process::id()));
    std::fs::write(&file, migration.unwrap().up.as_bytes()).unwrap();
    let psql = |args: &[&str]| {
        std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url])
            .args(args)
            .arg("-f")
            .arg(&file)
            .env("PGTZ", "America/New_York")
            .output()
            .unwrap()
    };
    let sample: (String, String) =
        sqlx::query_as("SELECT id::text, \"createdAt\"::text FROM tasks ORDER BY id LIMIT 1")
            .fetch_one(&mut db.conn().await)
            .await
            .unwrap();
    let index = "SELECT count(*) FROM pg_indexes WHERE indexname = 'IDX_tasks_assignedTo'";
    let converted = "SELECT count(*) FROM information_schema.columns WHERE table_name = 'tasks' AND data_type = 'timestamp with time zone'";

    // Statement by statement (no transaction), SET LOCAL does nothing: refused before any change.
    let o = psql(&[]);
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("this migration must run inside a transaction, with timezone UTC for it (found America/New_York)"),
        "{err}"
    );
    assert_eq!((db.count(index).await, db.count(converted).await), (1, 0), "nothing changed");

    // In one transaction: every value is the same instant, read as UTC.
    let o = psql(&["-1"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!((db.count(index).await, db.count(converted).await), (0, 6));
    let same = format!(
        "SELECT count(*) FROM tasks WHERE id = '{}' AND \"createdAt\" = '{} UTC'::timestamptz",
        sample.0, sample.1
    );
    assert_eq!(db.count(&same).await, 1, "{sample:?}");
    let _ = std::fs::remove_file(&file);
    db.drop().await;
}
