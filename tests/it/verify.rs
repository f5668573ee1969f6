//! Verify: a clean database is clean; each injected drift is reported exactly, and nothing else.

use serde_json::Value;

use crate::support::{TestDb, expect_code, host};

fn only(module: &str) -> vytal_host::verify::VerifyOptions {
    vytal_host::verify::VerifyOptions { modules: vec![module.to_owned()], ..Default::default() }
}

async fn migrated(name: &str) -> TestDb {
    let db = TestDb::new(name).await;
    expect_code(&host(Some(&db), &["run"]), 0);
    db
}

fn findings(db: &TestDb, extra: &[&str], code: i32) -> Vec<Value> {
    let mut args = vec!["verify", "--json"];
    args.extend_from_slice(extra);
    let out = expect_code(&host(Some(db), &args), code);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["findings"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_clean_database_verifies_clean() {
    let db = migrated("verify_clean").await;
    assert_eq!(findings(&db, &[], 0), Vec::<Value>::new());
    let human = expect_code(&host(Some(&db), &["verify"]), 0);
    assert!(human.contains("clean: 16 module(s) verified in"), "{human}");
    db.drop().await;
}

/// (case, SQL that injects it, module, category, kind, object, expected, found)
type DriftCase = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

#[tokio::test]
async fn each_injected_drift_is_reported_exactly() {
    let cases: &[DriftCase] = &[
        (
            "drop index",
            "DROP INDEX \"IDX_tasks_status\"",
            "tasks",
            "drift",
            "missing index",
            "tasks.IDX_tasks_status",
            Some("CREATE INDEX \"IDX_tasks_status\" ON public.tasks USING btree (status)"),
            None,
        ),
        (
            "column type",
            "ALTER TABLE claims ALTER COLUMN notes TYPE varchar(10)",
            "claims",
            "drift",
            "column type",
            "claims.notes",
            Some("text"),
            Some("character varying(10)"),
        ),
        (
            "column default",
            "ALTER TABLE tasks ALTER COLUMN priority SET DEFAULT 'high'",
            "tasks",
            "drift",
            "column default",
            "tasks.priority",
            Some("'medium'::tasks_priority_enum"),
            Some("'high'::tasks_priority_enum"),
        ),
        (
            "drop not null",
            "ALTER TABLE medications ALTER COLUMN name DROP NOT NULL",
            "medications",
            "drift",
            "column nullability",
            "medications.name",
            Some("NOT NULL"),
            Some("NULL"),
        ),
        (
            "enum label",
            "ALTER TYPE consents_status_enum ADD VALUE 'withdrawn'",
            "consents",
            "drift",
            "enum labels",
            "consents_status_enum",
            Some("[\"pending\",\"granted\",\"revoked\",\"expired\"]"),
            Some("[\"pending\",\"granted\",\"revoked\",\"expired\",\"withdrawn\"]"),
        ),
        (
            "unknown table",
            "CREATE TABLE vitals_export (id int)",
            "(unowned)",
            "drift",
            "extra table",
            "vitals_export",
            None,
            Some("present"),
        ),
        (
            "deleted ledger row",
            "DELETE FROM vytal.migrations WHERE module = 'webrtc' AND id = '0003'",
            "webrtc",
            "history",
            "not applied",
            "webrtc/0003_validate_foreign_keys",
            Some("applied"),
            Some("pending"),
        ),
        (
            "ledger row of a module the build lacks",
            "INSERT INTO vytal.migrations (module, id, name, module_version, checksum, down_sql, applied_by_os, applied_by_host, duration_ms) \
             VALUES ('pharmacy', '0001', 'create_stock', '1.0.0', 'x', '', 'ops', 'db1', 0)",
            "pharmacy",
            "history",
            "unknown to this build",
            "pharmacy/0001_create_stock",
            None,
            None,
        ),
        (
            "edited checksum",
            "UPDATE vytal.migrations SET checksum = repeat('0', 64) WHERE module = 'messaging' AND id = '0001'",
            "messaging",
            "history",
            "checksum",
            "messaging/0001_create_messaging",
            None,
            Some("0000000000000000000000000000000000000000000000000000000000000000"),
        ),
    ];
    for (n, (case, sql, module, category, kind, object, expected, found)) in cases.iter().enumerate() {
        let db = migrated(&format!("verify_drift_{n}")).await;
        db.exec(sql).await;
        // Ledger edits also break the ledger's agreement with the event log, which
        // tests/it/audit.rs covers; here only the history and drift findings count.
        let f: Vec<Value> = findings(&db, &[], 1).into_iter().filter(|f| f["category"] != "audit").collect();
        assert_eq!(f.len(), 1, "case `{case}`: exactly one finding, got {f:#?}");
        let f = &f[0];
        assert_eq!(
            (f["module"].as_str(), f["category"].as_str(), f["kind"].as_str(), f["object"].as_str()),
            (Some(*module), Some(*category), Some(*kind), Some(*object)),
            "case `{case}`: {f:#?}"
        );
        if let Some(e) = expected {
            assert_eq!(f["expected"].as_str(), Some(*e), "case `{case}`");
        }
        if let Some(g) = found {
            assert_eq!(f["found"].as_str(), Some(*g), "case `{case}`");
        }
        db.drop().await;
    }
}

#[tokio::test]
async fn module_filter_and_human_report() {
    let db = migrated("verify_module").await;
    db.exec("DROP INDEX \"IDX_tasks_status\"; CREATE TABLE vitals_export (id int)").await;
    assert_eq!(
        findings(&db, &["--module", "claims"], 0),
        Vec::<Value>::new(),
        "claims is clean; others are not its business"
    );
    let f = findings(&db, &["--module", "tasks"], 1);
    assert_eq!(f.len(), 1, "{f:#?}");
    let human = expect_code(&host(Some(&db), &["verify"]), 1);
    assert!(human.contains("(unowned)\n  drift        extra table: vitals_export"), "{human}");
    assert!(
        human.contains("tasks\n  drift        missing index: tasks.IDX_tasks_status\n      expected: CREATE INDEX"),
        "{human}"
    );
    assert!(human.contains("2 finding(s) in 2 module(s), 16 verified in"), "{human}");
    let o = host(Some(&db), &["verify", "--module", "pharmacy"]);
    expect_code(&o, 2);
    db.drop().await;
}

#[tokio::test]
async fn a_module_reports_what_it_needs_from_other_modules() {
    use vytal_host::Quiet;
    let manifest = "[modules.core]\nversion = \"1.0.0\"\n\n[modules.clinic]\nversion = \"1.0.0\"\nrequires = { core = \"^1.0\" }\n";
    let p = crate::support::plan(
        manifest,
        vec![
            crate::support::module(
                "core",
                "1.0.0",
                &[(
                    "1.0.0",
                    "0001_people",
                    "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE TABLE people (id int PRIMARY KEY, code text UNIQUE);",
                    "DROP TABLE people;\nDROP EXTENSION pgcrypto;",
                )],
            ),
            crate::support::module(
                "clinic",
                "1.0.0",
                &[(
                    "1.0.0",
                    "0001_visits",
                    "CREATE TABLE visits (id int PRIMARY KEY, person text REFERENCES people (code));",
                    "DROP TABLE visits;",
                )],
            ),
        ],
    );
    let db = TestDb::new("verify_prerequisites").await;
    vytal_host::run(&p, &db.target(), &vytal_host::RunOptions::default(), &mut Quiet).await.unwrap();
    let clean = vytal_host::verify::verify(&p, &db.target(), &only("clinic")).await.unwrap();
    assert!(clean.findings.is_empty(), "{:#?}", clean.findings);

    // The referenced column goes away (its FK with it), and so does the extension core installs.
    db.exec("ALTER TABLE people DROP COLUMN code CASCADE; DROP EXTENSION pgcrypto").await;
    let report = vytal_host::verify::verify(&p, &db.target(), &only("clinic")).await.unwrap();
    let got: Vec<(&str, &str, &str, &str)> =
        report.findings.iter().map(|f| (f.module.as_str(), f.category, f.kind.as_str(), f.object.as_str())).collect();
    assert_eq!(
        got,
        vec![
            ("clinic", "drift", "missing foreign key", "visits.visits_person_fkey"),
            ("clinic", "prerequisite", "missing referenced column", "people.code"),
        ],
        "clinic sees its own drift and what it needs from core; core's own findings are core's business"
    );
    let all = vytal_host::verify::verify(&p, &db.target(), &Default::default()).await.unwrap();
    let kinds: Vec<(&str, &str)> = all.findings.iter().map(|f| (f.module.as_str(), f.kind.as_str())).collect();
    assert!(kinds.contains(&("core", "missing extension")), "{kinds:?}");
    assert!(kinds.contains(&("core", "missing column")), "{kinds:?}");
    db.drop().await;
}

#[tokio::test]
async fn the_expected_schema_is_cached_per_plan_and_replayed_when_in_doubt() {
    let manifest = "[modules.clinic]\nversion = \"1.0.0\"\n";
    let with = |column_type: &str| {
        crate::support::plan(
            manifest,
            vec![crate::support::module(
                "clinic",
                "1.0.0",
                &[("1.0.0", "0001_visits", &format!("CREATE TABLE visits (id {column_type});"), "DROP TABLE visits;")],
            )],
        )
    };
    let (int_plan, bigint_plan) = (with("int"), with("bigint"));
    let db = TestDb::new("verify_cache").await;
    db.exec("CREATE TABLE visits (id int)").await;
    let scratch_name = format!("{}_vytal_scratch", db.name);
    let scratch =
        TestDb { url: format!("{}/{scratch_name}?sslmode=disable", crate::support::server_url()), name: scratch_name };
    let drift = |r: &vytal_host::verify::VerifyReport| -> Vec<String> {
        r.findings.iter().filter(|f| f.category == "drift").map(|f| format!("{} {}", f.kind, f.object)).collect()
    };
    let options = vytal_host::verify::VerifyOptions::default();

    let first = vytal_host::verify::verify(&int_plan, &db.target(), &options).await.unwrap();
    assert_eq!(drift(&first), Vec::<String>::new());
    assert_eq!(scratch.count("SELECT count(*) FROM vytal_cache.expected").await, 1, "the replay is remembered");
    let again = vytal_host::verify::verify(&int_plan, &db.target(), &options).await.unwrap();
    assert_eq!(drift(&again), Vec::<String>::new());

    // Same migration name, other text: another key, so the change is seen, not the cached answer.
    let changed = vytal_host::verify::verify(&bigint_plan, &db.target(), &options).await.unwrap();
    assert_eq!(drift(&changed), vec!["column type visits.id".to_owned()]);
    assert_eq!(scratch.count("SELECT count(*) FROM vytal_cache.expected").await, 2);

    // An entry that does not read back is replayed and rewritten, never trusted.
    scratch.exec("UPDATE vytal_cache.expected SET expected = '{\"schema\": null}'").await;
    let after = vytal_host::verify::verify(&bigint_plan, &db.target(), &options).await.unwrap();
    assert_eq!(drift(&after), vec!["column type visits.id".to_owned()]);
    assert_eq!(
        scratch.count("SELECT count(*) FROM vytal_cache.expected WHERE expected LIKE '{\"schema\":{%'").await,
        1,
        "the entry the verify needed was rewritten"
    );

    // --replay replays regardless.
    let forced = vytal_host::verify::VerifyOptions { replay: true, ..Default::default() };
    let fresh = vytal_host::verify::verify(&int_plan, &db.target(), &forced).await.unwrap();
    assert_eq!(drift(&fresh), Vec::<String>::new());
    db.drop().await;
}

#[tokio::test]
async fn applied_checks_what_the_ledger_records_and_notes_what_is_pending() {
    let db = TestDb::new("verify_applied").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    // A partial deployment: every module but core and claims is still pending,
    // and a plain verify reports their objects as missing.
    let all = findings(&db, &[], 1);
    assert!(all.iter().any(|f| f["category"] == "drift" && f["module"] == "tasks"), "{all:#?}");

    let applied = findings(&db, &["--applied"], 0);
    assert!(!applied.is_empty());
    assert!(
        applied.iter().all(|f| f["severity"] == "note" && (f["kind"] == "not applied" || f["category"] == "plugin")),
        "only notes for the pending migrations (and the plugins of modules not there): {applied:#?}"
    );
    assert!(applied.iter().any(|f| f["object"] == "tasks/0001_create_tasks"), "{applied:#?}");
    assert!(
        applied.iter().any(|f| f["category"] == "plugin"
            && f["found"].as_str().is_some_and(|m| m.contains("module `medications` has no applied migration"))),
        "{applied:#?}"
    );
    assert!(!applied.iter().any(|f| f["module"] == "claims"), "{applied:#?}");
    // claims requires core ^1.0: core's later versions are pending too.
    assert!(applied.iter().any(|f| f["object"] == "core/0002_users_as_the_application_needs"), "{applied:#?}");

    // Drift in what is applied still fails it, named.
    db.exec("DROP INDEX \"IDX_claims_status\"").await;
    let drift = findings(&db, &["--applied"], 1);
    let errors: Vec<&Value> = drift.iter().filter(|f| f["severity"] != "note").collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["object"], "claims.IDX_claims_status");
    assert_eq!(errors[0]["kind"], "missing index");
    db.drop().await;
}
