//! WebAssembly plugins: the shipped verify plugin, a third party's, and hostile ones, all real compiled components.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;
use vytal_host::seed::Silent;
use vytal_host::verify::{VerifyError, VerifyOptions};
use vytal_host::{Catalog, Manifest, Plan};

use crate::support::{TestDb, expect_code, host, stderr};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// Builds a plugin of tests/plugins once per test run (builds are serialised: they share a target folder).
pub fn guest(name: &str) -> PathBuf {
    static BUILD: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let dir = root().join("tests/plugins").join(name);
    let target_dir = vytal_contract::build::plugin_target_dir(&root());
    let target = if name == "wasi" { "wasm32-wasip2" } else { vytal_contract::build::PLUGIN_TARGET };
    vytal_contract::build::build_plugin_for(&dir, &target_dir, target).unwrap_or_else(|e| panic!("{e}"))
}

/// The shipped plan with other plugin limits, e.g. `[("fuel", "1000")]`.
fn plan_with(limits: &[(&str, &str)]) -> Plan {
    let mut text = vytal_host::manifest::EMBEDDED.to_owned();
    for (key, value) in limits {
        let line = text.lines().find(|l| l.starts_with(&format!("{key} ="))).unwrap().to_owned();
        text = text.replacen(&line, &format!("{key} = {value}"), 1);
    }
    vytal_host::resolve(&Manifest::parse(&text, "test.toml").unwrap(), &Catalog::linked()).unwrap()
}

async fn migrated(name: &str) -> TestDb {
    let db = TestDb::new(name).await;
    expect_code(&host(Some(&db), &["run"]), 0);
    db
}

async fn verify_with(plan: &Plan, db: &TestDb, plugin: &Path) -> Result<vytal_host::verify::VerifyReport, VerifyError> {
    let options = VerifyOptions { modules: Vec::new(), plugins: vec![plugin.to_owned()], ..Default::default() };
    vytal_host::verify::verify(plan, &db.target(), &options).await
}

const PATIENT: &str = "INSERT INTO users (id, email, \"firstName\", \"lastName\") VALUES ('00000000-0000-4000-8000-000000000001', 'ana@example.org', 'Ana', 'Lima');";
const MEDICATION: &str = "INSERT INTO medications (id, name, dosage, strength, frequency, \"patientId\", \"prescribedBy\", \"startDate\") \
     VALUES ('00000000-0000-4000-8000-0000000000aa', 'Metformin', '500 mg', '500 mg', 'twice_daily', \
     '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', '2026-01-01');";

#[tokio::test]
async fn the_shipped_medications_plugin_finds_an_active_medication_without_a_schedule() {
    let db = migrated("plugin_medications").await;
    db.exec(&format!("{PATIENT}{MEDICATION}")).await;
    let o = host(Some(&db), &["verify", "--json"]);
    let v: Value = serde_json::from_str(&expect_code(&o, 1)).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(
        (f["module"].as_str(), f["category"].as_str(), f["severity"].as_str(), f["kind"].as_str()),
        (Some("medications"), Some("plugin"), Some("error"), Some("medications-verify"))
    );
    assert_eq!(f["object"], "medications.id=00000000-0000-4000-8000-0000000000aa");
    assert!(f["found"].as_str().unwrap().contains("active medication `Metformin` has no schedule"), "{f:#}");
    let human = expect_code(&host(Some(&db), &["verify"]), 1);
    assert!(
        human.contains("plugin       medications-verify (error): medications.id=00000000-0000-4000-8000-0000000000aa"),
        "{human}"
    );

    db.exec("INSERT INTO medication_schedules (\"medicationId\", \"patientId\", \"scheduledTime\") VALUES ('00000000-0000-4000-8000-0000000000aa', '00000000-0000-4000-8000-000000000001', '2026-01-01 08:00')").await;
    expect_code(&host(Some(&db), &["verify"]), 0);
    db.drop().await;
}

#[tokio::test]
async fn a_third_party_plugin_builds_with_the_documented_command_and_runs_with_plugin() {
    // Exactly as plugins-sdk/README.md says: cargo xtask plugin build DIR, then --plugin PATH.
    let dir = root().join("plugins-sdk/examples/expired-consents");
    let built = {
        static BUILD: Mutex<()> = Mutex::new(());
        let _one = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        std::process::Command::new(env!("CARGO"))
            .current_dir(root())
            .args(["xtask", "plugin", "build"])
            .arg(&dir)
            .output()
            .unwrap()
    };
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let wasm = String::from_utf8(built.stdout).unwrap().trim().to_owned();
    assert!(wasm.ends_with("expired_consents.wasm"), "{wasm}");

    let db = migrated("plugin_third_party").await;
    db.exec(&format!("{PATIENT}INSERT INTO consents (id, \"userId\", type, status, version, \"consentText\", \"expiresAt\") VALUES ('00000000-0000-4000-8000-0000000000cc', '00000000-0000-4000-8000-000000000001', 'telehealth', 'granted', '1', 'text', '2020-01-01')")).await;
    let out = expect_code(&host(Some(&db), &["verify", "--plugin", &wasm]), 1);
    assert!(
        out.contains("plugin       expired-consents (error): consents.id=00000000-0000-4000-8000-0000000000cc"),
        "{out}"
    );
    assert!(out.contains("telehealth consent is marked granted but has expired"), "{out}");
    db.drop().await;
}

/// A hostile plugin is stopped with an error naming it and the rule it broke, and the database is as it was.
async fn contained(db: &TestDb, plan: &Plan, plugin: &str, expected: &[&str]) {
    let before = (db.ledger().await, db.tables().await, db.count("SELECT count(*) FROM users").await);
    let err = verify_with(plan, db, &guest(plugin)).await.unwrap_err();
    let msg = err.to_string();
    for e in expected {
        assert!(msg.contains(e), "plugin {plugin}: expected `{e}` in:\n{msg}");
    }
    assert!(
        msg.contains(&format!("tests/plugins/{plugin}")) || msg.contains(&format!("vt_plugin_{plugin}")),
        "names the plugin: {msg}"
    );
    let after = (db.ledger().await, db.tables().await, db.count("SELECT count(*) FROM users").await);
    assert_eq!(before, after, "plugin {plugin} changed the database");
}

#[tokio::test]
async fn hostile_plugins_are_contained() {
    let db = migrated("plugin_hostile").await;
    db.exec(PATIENT).await;
    let fuel = plan_with(&[("fuel", "50000000")]);
    contained(&db, &fuel, "spin", &["stopped while verifying: it used up its CPU budget (50000000 units of fuel)"])
        .await;
    let time = plan_with(&[("fuel", "18000000000000000000"), ("timeout", "\"300ms\"")]);
    contained(&db, &time, "spin", &["stopped while verifying: it ran past its time limit of 300ms"]).await;
    let memory = plan_with(&[("memory", "\"32MiB\"")]);
    contained(&db, &memory, "hog", &["stopped while verifying: it tried to use more than its memory limit of 32 MiB"])
        .await;
    let plain = plan_with(&[]);
    contained(
        &db,
        &plain,
        "panic",
        &["stopped while verifying: it panicked:", "boom: the medication index is inconsistent"],
    )
    .await;
    contained(&db, &plain, "error", &["failed while verifying: cannot decide: the reference table is empty"]).await;
    contained(
        &db,
        &plain,
        "future",
        &["was built for vytal:plugin@0.9.0, which this vytal-host does not support (it supports 0.1.0)"],
    )
    .await;
    db.drop().await;
}

#[tokio::test]
async fn db_read_refuses_writes_ddl_and_oversized_results() {
    let db = migrated("plugin_reader").await;
    db.exec(PATIENT).await;
    let before = (db.tables().await, db.count("SELECT count(*) FROM users").await);
    let report = verify_with(&plan_with(&[]), &db, &guest("reader")).await.unwrap();
    let answers: Vec<(String, String)> = report
        .findings
        .iter()
        .filter(|f| f.category == "plugin")
        .map(|f| (f.object.clone(), f.found.clone().unwrap_or_default()))
        .collect();
    let answer = |name: &str| answers.iter().find(|(n, _)| n == name).map(|(_, a)| a.as_str()).unwrap_or("(none)");
    assert!(answer("ddl").starts_with("refused: db-read runs only statements that return rows"), "{answers:#?}");
    assert!(answer("delete").starts_with("refused: db-read runs only statements that return rows"), "{answers:#?}");
    assert!(answer("cte").starts_with("refused:") && answer("cte").contains("top level"), "{answers:#?}");
    assert!(answer("two").starts_with("refused:"), "{answers:#?}");
    assert!(
        answer("nextval").starts_with("refused: cannot execute nextval() in a read-only transaction"),
        "{answers:#?}"
    );
    assert!(answer("readonly").starts_with("refused: cannot set transaction read-write mode"), "{answers:#?}");
    assert!(answer("two").starts_with("refused: cannot insert multiple commands"), "{answers:#?}");
    assert!(answer("big").starts_with("refused: the query returned more than 100000 rows"), "{answers:#?}");
    assert_eq!(answer("param"), "ok: Some(\"0\")");
    // Info findings do not fail verify.
    assert!(report.findings.iter().all(|f| f.severity != "error"), "{:#?}", report.findings);
    assert_eq!(before, (db.tables().await, db.count("SELECT count(*) FROM users").await));
    db.drop().await;
}

#[tokio::test]
async fn a_wasi_guest_gets_nothing_from_the_host() {
    let db = migrated("plugin_wasi").await;
    let report = verify_with(&plan_with(&[]), &db, &guest("wasi")).await.unwrap();
    let saw = |name: &str| {
        report.findings.iter().find(|f| f.object == name).and_then(|f| f.found.clone()).unwrap_or_default()
    };
    assert_eq!(saw("env"), "0 variables");
    assert_ne!(saw("file"), "read");
    assert_eq!(saw("clock"), "0", "the wall clock is fixed at the epoch");
    db.drop().await;
}

#[tokio::test]
async fn what_is_not_a_plugin_is_refused_before_any_database_work() {
    // No server listens on port 1: the plugin is refused before anything tries to connect.
    let nowhere = ["--database-url", "postgres://postgres@127.0.0.1:1/none"];
    let run = |plugin: &str| {
        let mut args = vec!["verify", "--plugin", plugin];
        args.extend(nowhere);
        let o = host(None, &args);
        expect_code(&o, 2);
        stderr(&o)
    };
    let missing = run("/nonexistent/x.wasm");
    assert!(missing.contains("cannot read plugin /nonexistent/x.wasm"), "{missing}");
    let text = std::env::temp_dir().join("vytal-not-a-plugin.wasm");
    std::fs::write(&text, "SELECT 1").unwrap();
    let err = run(text.to_str().unwrap());
    assert!(err.contains("is not a WebAssembly component"), "{err}");
    assert!(err.contains("cargo xtask plugin build DIR"), "{err}");
    // A seeder where a verifier is wanted.
    let seeder = guest("trespass");
    let err = run(seeder.to_str().unwrap());
    assert!(err.contains("is a seeder, but a verifier was asked for"), "{err}");
}

const PEOPLE: &str = "INSERT INTO users (id, email, \"firstName\", \"lastName\", role) VALUES \
    ('00000000-0000-4000-8000-000000000001', 'ana@example.org', 'Ana', 'Lima', 'patient'), \
    ('00000000-0000-4000-8000-000000000002', 'ben@example.org', 'Ben', 'Okafor', 'patient'), \
    ('00000000-0000-4000-8000-000000000003', 'chloe@example.org', 'Chloe', 'Ito', 'patient'), \
    ('00000000-0000-4000-8000-000000000009', 'dr.rossi@example.org', 'Marta', 'Rossi', 'provider');";

fn seeding(modules: &[&str], plugins: &[PathBuf], seed: u64) -> vytal_host::seed::SeedOptions {
    vytal_host::seed::SeedOptions {
        modules: modules.iter().map(|m| (*m).to_owned()).collect(),
        plugins: plugins.to_vec(),
        count: 10,
        seed,
        command: "seed (test)".to_owned(),
        ..Default::default()
    }
}

async fn table_hash(db: &TestDb, table: &str) -> String {
    let mut c = db.conn().await;
    let sql = format!("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t");
    let h: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.unwrap();
    h
}

#[tokio::test]
async fn the_shipped_medications_seeder_writes_valid_reproducible_rows() {
    let plan = plan_with(&[]);
    let mut hashes = Vec::new();
    for (n, seed) in [(0, 42u64), (1, 42), (2, 43)] {
        let db = migrated(&format!("plugin_seed_{n}")).await;
        db.exec(PEOPLE).await;
        let report = vytal_host::seed::seed(&plan, &db.target(), &seeding(&["medications"], &[], seed), &mut Silent)
            .await
            .unwrap();
        let meds = db.count("SELECT count(*) FROM medications").await;
        assert!(meds >= 3, "one to three per patient: {meds}");
        assert_eq!(report.rows.get("medications").copied(), Some(meds as u64));
        assert!(db.count("SELECT count(*) FROM medication_schedules").await >= meds);
        assert_eq!(db.count("SELECT count(*) FROM users").await, 4, "users is read, never written");
        // Valid for the module's own check too: every active medication has a schedule.
        expect_code(&host(Some(&db), &["verify"]), 0);
        assert_eq!(
            db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND command = 'seed (test)' AND outcome = 'succeeded'").await,
            1
        );
        hashes.push((table_hash(&db, "medications").await, table_hash(&db, "medication_schedules").await));
        db.drop().await;
    }
    assert_eq!(hashes[0], hashes[1], "the same seed gives the same rows, keys included");
    assert_ne!(hashes[0], hashes[2], "another seed gives other rows");
}

/// A seed with `plugin` fails with every text of `expected`, and nothing is written.
async fn seed_refused(db: &TestDb, plan: &Plan, plugin: &str, expected: &[&str]) {
    let before = (db.count("SELECT count(*) FROM users").await, db.count("SELECT count(*) FROM medications").await);
    let err =
        vytal_host::seed::seed(plan, &db.target(), &seeding(&[], &[guest(plugin)], 1), &mut Silent).await.unwrap_err();
    let msg = err.to_string();
    for e in expected {
        assert!(msg.contains(e), "plugin {plugin}: expected `{e}` in:\n{msg}");
    }
    assert!(msg.ends_with("the seed was rolled back and nothing was written"), "{msg}");
    let after = (db.count("SELECT count(*) FROM users").await, db.count("SELECT count(*) FROM medications").await);
    assert_eq!(before, after, "plugin {plugin} left rows behind");
    assert_eq!(db.advisory_locks().await, 0);
}

#[tokio::test]
async fn hostile_seeders_write_nothing() {
    let db = migrated("plugin_seed_hostile").await;
    db.exec(PEOPLE).await;
    let plain = plan_with(&[]);
    seed_refused(
        &db,
        &plain,
        "trespass",
        &["writing to `users` refused: a medications seeder writes only the tables its module's migrations create (medication_adherence, medication_schedules, medications)"],
    )
    .await;
    seed_refused(
        &db,
        &plain,
        "wrongtype",
        &["column `medication_schedules.scheduledDosage` is character varying, but the batch gives it integer values"],
    )
    .await;
    seed_refused(&db, &plan_with(&[("batch_rows", "100")]), "oversized", &["over the limit of 100 rows"]).await;
    seed_refused(
        &db,
        &plain,
        "nulls",
        &["column `medication_schedules.medicationId` is NOT NULL, but row 1 of the batch is NULL"],
    )
    .await;
    seed_refused(&db, &plain, "seeds-then-panics", &["it panicked", "now failing on purpose"]).await;
    // A verifier given to seed is refused before it runs.
    seed_refused(&db, &plain, "error", &["is a verifier, but a seeder was asked for"]).await;
    db.drop().await;
}

#[tokio::test]
async fn the_compile_cache_is_used_and_a_tampered_entry_is_ignored() {
    let db = migrated("plugin_cache").await;
    let cache = std::env::temp_dir().join(format!("vytal-plugin-cache-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let verify = || {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
            .args(["verify", "--module", "medications"])
            .env("DATABASE_URL", &db.url)
            .env("VYTAL_PLUGIN_CACHE", &cache)
            .env("VYTAL_LOG", "vytal_plugin_runtime=debug")
            .env_remove("VYTAL_MANIFEST")
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap();
        expect_code(&o, 0);
        stderr(&o)
    };
    verify();
    let entries = |ext: &str| -> Vec<PathBuf> {
        std::fs::read_dir(&cache)
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == ext)).collect()
            })
            .unwrap_or_default()
    };
    let compiled = entries("cwasm");
    assert_eq!(compiled.len(), 1, "the medications verify plugin is cached: {compiled:?}");
    let original = std::fs::read(&compiled[0]).unwrap();

    // Tampered: the entry no longer matches its digest, so it is compiled again (and rewritten), never loaded.
    let mut tampered = original.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0xff;
    std::fs::write(&compiled[0], &tampered).unwrap();
    let log = verify();
    assert!(log.contains("does not match its digest; compiling again"), "{log}");
    assert_eq!(std::fs::read(&compiled[0]).unwrap(), original, "the entry was rewritten from a fresh compile");
    let _ = std::fs::remove_dir_all(&cache);
    db.drop().await;
}
