//! `vytal-host seed` and `vytal-host mark`, through the binary where a user would run them.

use std::time::{Duration, Instant};

use serde_json::Value;
use vytal_host::seed::{SeedOptions, Silent};
use vytal_host::{Catalog, Manifest, Quiet, RunOptions};

use crate::support::{TestDb, expect_code, host, module, stderr};

/// The 17 tables of the schema of record, and `users`.
const TABLES: &[&str] = &[
    "ai_conversations",
    "ai_messages",
    "appointments",
    "call_participants",
    "call_recordings",
    "calls",
    "claims",
    "clinical_notes",
    "consents",
    "conversations",
    "device_tokens",
    "encryption_keys",
    "medication_adherence",
    "medication_schedules",
    "medications",
    "messages",
    "tasks",
    "users",
];

async fn migrated(name: &str) -> TestDb {
    let db = TestDb::new(name).await;
    expect_code(&host(Some(&db), &["run"]), 0);
    db
}

async fn rows(db: &TestDb) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in TABLES {
        out.push(((*t).to_owned(), db.count(&format!("SELECT count(*) FROM \"{t}\"")).await));
    }
    out
}

/// Every table's contents as one hash per table, independent of physical order.
async fn hashes(db: &TestDb) -> Vec<(String, String)> {
    let mut c = db.conn().await;
    let mut out = Vec::new();
    for t in TABLES {
        let sql = format!("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{t}\" t");
        let h: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut c).await.unwrap();
        out.push(((*t).to_owned(), h));
    }
    out
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn every_table_gets_valid_rows_and_verify_still_passes() {
    let db = migrated("seed_all").await;
    let report = json(&host(Some(&db), &["seed", "--count", "30", "--json"]));
    for (table, n) in rows(&db).await {
        assert!(n > 0, "{table} holds no rows");
        assert_eq!(report["rows"][&table].as_i64(), Some(n), "the report's count for {table}");
    }
    assert_eq!(db.count("SELECT count(*) FROM users WHERE role = 'patient'").await, 30, "--count is patients");
    // Realistic: references land on the right people, ends follow starts, durations match.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM appointments a JOIN users u ON u.id = a.\"patientId\" WHERE u.role <> 'patient'"
        )
        .await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM appointments WHERE \"endTime\" <= \"scheduledAt\" OR \"endTime\" - \"scheduledAt\" <> make_interval(mins => duration)").await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM calls WHERE \"endedAt\" IS NOT NULL AND \"startedAt\" IS NOT NULL AND duration IS NOT NULL AND \"endedAt\" - \"startedAt\" <> make_interval(secs => duration)").await,
        0
    );
    assert!(db.count("SELECT count(*) FROM messages WHERE \"replyToMessageId\" IS NOT NULL").await > 0, "replies");
    assert_eq!(
        db.count("SELECT count(DISTINCT \"claimNumber\") FROM claims").await,
        db.count("SELECT count(*) FROM claims").await
    );
    assert!(db.count("SELECT count(*) FROM medications WHERE name ~ '^(Metformin|Lisinopril|Atorvastatin|Levothyroxine|Amlodipine|Albuterol|Insulin glargine|Omeprazole|Sertraline|Amoxicillin)'").await > 0);
    assert_eq!(
        db.count("SELECT count(*) FROM medication_schedules s JOIN medications m ON m.id = s.\"medicationId\" WHERE s.\"patientId\" <> m.\"patientId\"").await,
        0,
        "a schedule belongs to its medication's patient"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM medication_adherence a JOIN medication_schedules s ON s.id = a.\"scheduleId\" WHERE a.\"patientId\" <> s.\"patientId\"").await,
        0,
        "adherence belongs to its schedule's patient"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM medication_adherence a JOIN medication_schedules s ON s.id = a.\"scheduleId\" WHERE a.\"medicationId\" <> s.\"medicationId\"").await,
        0,
        "and its medication"
    );
    assert_eq!(db.count("SELECT count(*) FROM claims WHERE jsonb_typeof(\"cptCodes\") <> 'array'").await, 0);
    // The module plugins' domain rules hold: payments add up, visits end after they start,
    // a conversation's last message is the last of its own thread, notes are signed when they say so.
    assert_eq!(
        db.count("SELECT count(*) FROM claims WHERE status = 'paid' AND \"paidAmount\" + \"patientResponsibility\" <> \"totalCharge\"").await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM appointments WHERE status = 'completed' AND (\"completedAt\" IS NULL OR \"completedAt\" <= \"scheduledAt\")").await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM conversations c JOIN messages m ON m.id = c.\"lastMessageId\" WHERE m.\"conversationId\" = c.id AND m.\"createdAt\" = c.\"lastMessageAt\"").await,
        db.count("SELECT count(*) FROM conversations").await
    );
    assert_eq!(
        db.count("SELECT count(*) FROM clinical_notes WHERE \"isSigned\" <> (\"signedAt\" IS NOT NULL) OR content NOT LIKE 'S: %'").await,
        0
    );
    // Still valid for the schema check and the modules' own checks.
    expect_code(&host(Some(&db), &["verify"]), 0);
    // On the record: who, count, seed, rows.
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND command LIKE 'seed --count 30 --seed 1%' AND outcome = 'succeeded' AND (details->>'count')::int = 30 AND (details->'rows'->>'users')::int > 30").await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_tables_and_another_seed_does_not() {
    let mut all = Vec::new();
    for (n, seed) in [(0, "7"), (1, "7"), (2, "8")] {
        let db = migrated(&format!("seed_same_{n}")).await;
        expect_code(&host(Some(&db), &["seed", "--count", "12", "--seed", seed]), 0);
        all.push(hashes(&db).await);
        db.drop().await;
    }
    assert_eq!(all[0], all[1], "the same seed and count give identical tables, keys included");
    for ((t, a), (_, b)) in all[0].iter().zip(&all[2]) {
        assert_ne!(a, b, "another seed gives other rows in {t}");
    }
}

#[tokio::test]
async fn one_module_writes_its_tables_and_the_users_they_need_only() {
    let db = migrated("seed_module").await;
    expect_code(&host(Some(&db), &["seed", "--module", "messaging", "--count", "10"]), 0);
    for (table, n) in rows(&db).await {
        let ours = table == "conversations" || table == "messages" || table == "users";
        assert_eq!(n > 0, ours, "{table}: {n} rows");
    }
    // Again with --clean: messaging's tables are refilled; the users they point at are reused, not duplicated.
    let users = db.count("SELECT count(*) FROM users").await;
    let before = hashes(&db).await;
    expect_code(&host(Some(&db), &["seed", "-m", "messaging", "--count", "10", "--clean"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM users").await, users);
    let after = hashes(&db).await;
    assert_eq!(before, after, "--clean refills messaging's tables with the same rows; users is untouched");
    // medications' tables are referenced by tasks (1.2.0): emptying them alone is refused, naming why.
    let o = host(Some(&db), &["seed", "-m", "medications", "--count", "10", "--clean"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("Table \"tasks\" references \"medications\""), "{}", stderr(&o));
    assert!(stderr(&o).contains("seed the referencing module too (add its --module)"), "{}", stderr(&o));
    assert_eq!(hashes(&db).await, after, "nothing was written");
    db.drop().await;
}

#[tokio::test]
async fn clean_twice_gives_the_same_contents_as_once() {
    let db = migrated("seed_clean").await;
    expect_code(&host(Some(&db), &["seed", "--count", "8"]), 0);
    let once = hashes(&db).await;
    // Without --clean the same seed collides with its own rows: refused with the fix, nothing written.
    let o = host(Some(&db), &["seed", "--count", "8"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("add --clean to empty the tables first"), "{}", stderr(&o));
    assert_eq!(hashes(&db).await, once);
    expect_code(&host(Some(&db), &["seed", "--count", "8", "--clean"]), 0);
    expect_code(&host(Some(&db), &["seed", "--count", "8", "--clean"]), 0);
    assert_eq!(hashes(&db).await, once);
    db.drop().await;
}

#[tokio::test]
async fn a_dry_run_shows_each_table_and_column_and_writes_nothing() {
    let db = migrated("seed_dry").await;
    let out = expect_code(&host(Some(&db), &["seed", "--dry-run", "--count", "40"]), 0);
    assert!(out.contains("nothing was written"), "{out}");
    assert!(out.contains("appointments") && out.contains("-> users (a patient)"), "{out}");
    assert!(out.contains("medications seed plugin"), "{out}");
    let report = json(&host(Some(&db), &["seed", "--dry-run", "--count", "40", "--json"]));
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["rows"]["tasks"].as_u64(), Some(120), "three tasks per patient");
    assert!(rows(&db).await.iter().all(|(_, n)| *n == 0));
    db.drop().await;
}

#[tokio::test]
async fn production_is_refused_with_nothing_written_and_unmarking_needs_the_name() {
    let db = migrated("seed_production").await;
    let out = expect_code(&host(Some(&db), &["mark", "production"]), 0);
    assert!(out.contains("production (changed)"), "{out}");
    for args in [&["seed"][..], &["seed", "--clean"], &["seed", "--dry-run"]] {
        let o = host(Some(&db), args);
        expect_code(&o, 2);
        assert!(stderr(&o).contains("it is marked as production"), "{}", stderr(&o));
    }
    assert!(rows(&db).await.iter().all(|(_, n)| *n == 0));
    // Clearing the mark: not without the database's name.
    let o = host(Some(&db), &["mark", "development"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains(&format!("--yes {}", db.name)), "{}", stderr(&o));
    expect_code(&host(Some(&db), &["mark", "development", "--yes", "some_other_db"]), 2);
    let out = expect_code(&host(Some(&db), &["mark"]), 0);
    assert!(out.contains(": production"), "{out}");
    expect_code(&host(Some(&db), &["mark", "development", "--yes", &db.name]), 0);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'mark' AND outcome IN ('marked-production', 'unmarked-production')").await,
        2
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE command LIKE 'seed%' AND outcome = 'refused'").await,
        2
    );
    // VYTAL_ENV=production counts too.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"));
    let o = cmd
        .args(["seed", "--count", "3"])
        .env("DATABASE_URL", &db.url)
        .env("VYTAL_ENV", "production")
        .env_remove("VYTAL_MANIFEST")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    expect_code(&o, 2);
    assert!(stderr(&o).contains("VYTAL_ENV=production"), "{}", stderr(&o));
    assert!(rows(&db).await.iter().all(|(_, n)| *n == 0));
    expect_code(&host(Some(&db), &["seed", "--count", "3"]), 0);
    db.drop().await;
}

#[tokio::test]
async fn a_constraint_violation_names_the_table_and_leaves_everything_as_it_was() {
    let db = migrated("seed_violation").await;
    db.exec("ALTER TABLE tasks ADD CONSTRAINT no_urgent_tasks CHECK (priority <> 'urgent')").await;
    let o = host(Some(&db), &["seed", "--count", "30"]);
    expect_code(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("seeding `tasks` (module tasks) failed"), "{err}");
    assert!(err.contains("no_urgent_tasks"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert!(rows(&db).await.iter().all(|(_, n)| *n == 0), "a failed seed leaves no rows");
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE command LIKE 'seed%' AND outcome = 'failed'").await,
        1
    );
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn an_interrupted_seed_leaves_everything_as_it_was() {
    let db = migrated("seed_interrupt").await;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
        .args(["seed", "--count", "20000"])
        .env("DATABASE_URL", &db.url)
        .env_remove("VYTAL_MANIFEST")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until rows are on their way, then press Ctrl-C.
    let started = Instant::now();
    loop {
        let copying = db
            .count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'vytal-host seed%' AND query LIKE 'COPY%'")
            .await;
        if copying > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the seed never started writing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("interrupted"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(rows(&db).await.iter().all(|(_, n)| *n == 0), "an interrupted seed leaves no rows");
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn a_table_added_by_a_new_migration_is_filled_with_no_code_change() {
    let db = TestDb::new("seed_new_table").await;
    let mut catalog = Catalog::linked();
    catalog.modules.push(module(
        "gadgets",
        "1.0.0",
        &[(
            "1.0.0",
            "0001_create_gadgets",
            "CREATE TYPE gadget_kind AS ENUM ('scale', 'cuff', 'oximeter');\n\
             CREATE TABLE gadgets (\n\
               id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n\
               serial text NOT NULL UNIQUE,\n\
               kind gadget_kind NOT NULL,\n\
               \"ownerId\" uuid NOT NULL REFERENCES users (id),\n\
               readings integer[] ,\n\
               \"pairedAt\" timestamptz NOT NULL DEFAULT now(),\n\
               battery numeric(5,2)\n\
             );\n\
             CREATE TABLE gadget_events (\n\
               id uuid PRIMARY KEY,\n\
               \"gadgetId\" bigint NOT NULL REFERENCES gadgets (id),\n\
               payload jsonb NOT NULL\n\
             );\n\
             CREATE TABLE gadget_owners (\n\
               \"gadgetId\" bigint NOT NULL REFERENCES gadgets (id),\n\
               \"userId\" uuid NOT NULL REFERENCES users (id),\n\
               PRIMARY KEY (\"gadgetId\", \"userId\")\n\
             );",
            "DROP TABLE gadget_owners; DROP TABLE gadget_events; DROP TABLE gadgets; DROP TYPE gadget_kind;",
        )],
    ));
    let manifest = format!(
        "{}\n[modules.gadgets]\nversion = \"1.0.0\"\nrequires = {{ core = \"^1.0\" }}\n",
        vytal_host::manifest::EMBEDDED
    );
    let plan = vytal_host::resolve(&Manifest::parse(&manifest, "test.toml").unwrap(), &catalog).unwrap();
    vytal_host::run(&plan, &db.target(), &RunOptions::default(), &mut Quiet).await.unwrap();
    let options = SeedOptions { modules: vec!["gadgets".to_owned()], count: 20, ..Default::default() };
    let report = vytal_host::seed::seed(&plan, &db.target(), &options, &mut Silent).await.unwrap();
    let gadgets = db.count("SELECT count(*) FROM gadgets").await;
    assert!(gadgets > 0);
    assert_eq!(report.rows.get("gadgets").copied(), Some(gadgets as u64));
    assert!(db.count("SELECT count(*) FROM gadget_events").await > 0, "the child of a table with server-made keys");
    assert_eq!(db.count("SELECT count(DISTINCT kind) FROM gadgets").await, 3, "every enum label appears");
    assert_eq!(db.count("SELECT count(*) FROM users WHERE role = 'patient'").await, 20, "the users it needs");
    assert_eq!(db.count("SELECT count(*) FROM tasks").await, 0, "nothing else");
    assert!(db.count("SELECT count(*) FROM gadget_owners").await > 0, "a join table: every pair once");
    // Server-made keys start again on --clean: the same seed gives the same rows.
    let hash = |db: &TestDb| {
        let db = db.url.clone();
        async move {
            let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&db).await.unwrap();
            let sql = "SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM (SELECT g.*, e.payload FROM gadgets g JOIN gadget_events e ON e.\"gadgetId\" = g.id) t";
            let h: String = sqlx::query_scalar(sql).fetch_one(&mut c).await.unwrap();
            h
        }
    };
    let first = hash(&db).await;
    let again = SeedOptions { clean: true, ..options.clone() };
    vytal_host::seed::seed(&plan, &db.target(), &again, &mut Silent).await.unwrap();
    assert_eq!(hash(&db).await, first);
    db.drop().await;
}

#[tokio::test]
async fn a_plugin_for_a_module_the_seed_does_not_select_is_refused() {
    let db = migrated("seed_plugin_module").await;
    let wasm = crate::plugins::guest("bulk");
    let o = host(Some(&db), &["seed", "--module", "tasks", "--plugin", wasm.to_str().unwrap()]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("which this seed does not select; add --module medications"), "{}", stderr(&o));
    assert!(rows(&db).await.iter().all(|(_, n)| *n == 0));
    let o = host(Some(&db), &["seed", "--count", "0"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("0 is not in 1..=100000000"), "{}", stderr(&o));
    db.drop().await;
}
