//! Failure paths: each names the culprit and leaves the database and ledger as they were.

use vytal_host::state::StateError;
use vytal_host::{ApplyError, Quiet, RunOptions};

use crate::support::{TestDb, module, plan};

const MANIFEST: &str = r#"
[modules.core]
version = "1.0.0"

[modules.clinic]
version = "1.0.0"
requires = { core = "^1.0" }
"#;

fn core() -> vytal_host::ModuleSource {
    module(
        "core",
        "1.0.0",
        &[("1.0.0", "0001_people", "CREATE TABLE people (id int PRIMARY KEY);", "DROP TABLE people;")],
    )
}

/// The fixture plan: core's `people`, then clinic with these migrations.
fn with_clinic(migrations: &[crate::support::Fixture]) -> vytal_host::Plan {
    plan(MANIFEST, vec![core(), module("clinic", "1.0.0", migrations)])
}

fn opts() -> RunOptions {
    RunOptions { command: "run".into(), ..RunOptions::default() }
}

#[tokio::test]
async fn a_failing_migration_rolls_back_writes_no_row_and_frees_the_lock() {
    let db = TestDb::new("fail_statement").await;
    let broken = "-- clinic 1.0.0\nCREATE TABLE visits (id int PRIMARY KEY);\n\nINSERT INTO visits (id, room)\n    VALUES (1, 'a');\n";
    let p = with_clinic(&[("1.0.0", "0001_visits", broken, "DROP TABLE visits;")]);
    let err = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ApplyError::Failed(_)), "{msg}");
    assert!(msg.starts_with("migration clinic/0001_visits failed at modules/clinic/migrations/1.0.0/0001_visits.up.sql:4: column \"room\" of relation \"visits\" does not exist (SQLSTATE 42703)"), "{msg}");
    assert!(msg.contains("statement:\n    INSERT INTO visits (id, room)\n        VALUES (1, 'a')"), "{msg}");
    assert!(
        msg.contains("it was rolled back: the database and the ledger are as they were before this migration"),
        "{msg}"
    );

    // core went in before; nothing of clinic remains, no row, no lock.
    assert_eq!(db.ledger().await, vec!["core/0001"]);
    assert_eq!(db.tables().await, vec!["people"]);
    assert_eq!(db.advisory_locks().await, 0);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'failed' AND module = 'clinic' AND error LIKE '%42703%'").await,
        1
    );
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'failed'").await, 1);
    db.drop().await;
}

#[tokio::test]
async fn atomic_runs_are_all_or_nothing() {
    let db = TestDb::new("fail_atomic").await;
    let p = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int REFERENCES nowhere);", "")]);
    let options = RunOptions { atomic: true, ..opts() };
    let msg = vytal_host::run(&p, &db.target(), &options, &mut Quiet).await.unwrap_err().to_string();
    assert!(msg.contains("relation \"nowhere\" does not exist"), "{msg}");
    assert!(msg.contains("the whole run was one transaction (--atomic) and was rolled back: none of its 2 migration(s) remain, 1 of which had succeeded"), "{msg}");
    assert!(db.tables().await.is_empty());
    assert!(db.ledger().await.is_empty());
    assert_eq!(db.advisory_locks().await, 0);
    // The ledger, made beside the run, is there for the failure's events.
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'failed'").await, 1);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'failed'").await, 1);

    let ok = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int REFERENCES people);", "")]);
    let report = vytal_host::run(&ok, &db.target(), &options, &mut Quiet).await.unwrap();
    assert_eq!(report.migrations.len(), 2);
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    // Recorded together at the end, yet in the order applied: rows by time, events by sequence.
    let mut c = db.conn().await;
    let by_time: Vec<String> =
        sqlx::query_scalar("SELECT module || '/' || id FROM vytal.migrations ORDER BY applied_at")
            .fetch_all(&mut c)
            .await
            .unwrap();
    assert_eq!(by_time, vec!["core/0001", "clinic/0001"]);
    assert_eq!(db.count("SELECT count(DISTINCT applied_at) FROM vytal.migrations").await, 2);
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT module || '/' || migration FROM vytal.events WHERE kind = 'migration' AND outcome = 'applied' ORDER BY seq",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(events, vec!["core/0001", "clinic/0001"]);
    // The run's own event committed with them, once, and last.
    let last: (String, String, i64) = sqlx::query_as(
        "SELECT kind, outcome, (details->>'applied')::bigint FROM vytal.events ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&mut c)
    .await
    .unwrap();
    assert_eq!(last, ("run".to_owned(), "succeeded".to_owned(), 2));
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'succeeded'").await, 1);
    assert_chained(&db).await;
    db.drop().await;
}

/// Every event of `db` is hashed and follows the one before it, and the
/// head is the last event.
async fn assert_chained(db: &TestDb) {
    assert!(db.count("SELECT count(*) FROM vytal.events").await > 0);
    let broken = db
        .count(
            "SELECT count(*) FROM (SELECT hash, prev_hash, lag(hash) OVER (ORDER BY seq) AS before FROM vytal.events) e \
             WHERE hash IS NULL OR prev_hash IS DISTINCT FROM coalesce(before, '')",
        )
        .await;
    assert_eq!(broken, 0, "events outside the chain");
    let head = db
        .count(
            "SELECT count(*) FROM vytal.events_head h \
             JOIN (SELECT seq, hash FROM vytal.events ORDER BY seq DESC LIMIT 1) l ON l.seq = h.seq AND l.hash = h.hash",
        )
        .await;
    assert_eq!(head, 1, "the head is not the last event");
}

#[tokio::test]
async fn an_atomic_run_with_the_ledger_schema_already_there_keeps_the_chain() {
    // Something of a ledger is there (its schema), so it is made in line.
    let db = TestDb::new("fail_atomic_schema").await;
    db.exec("CREATE SCHEMA vytal").await;
    let p = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int REFERENCES people);", "")]);
    let report = vytal_host::run(&p, &db.target(), &RunOptions { atomic: true, ..opts() }, &mut Quiet).await.unwrap();
    assert_eq!(report.migrations.len(), 2);
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    assert_chained(&db).await;
    db.drop().await;
}

#[tokio::test]
async fn an_atomic_run_on_a_new_repeatable_read_database_keeps_the_chain() {
    // Its snapshot would not see a ledger another connection commits after
    // it began, so the ledger is made before the transaction.
    let db = TestDb::new("fail_atomic_rr").await;
    db.exec(&format!("ALTER DATABASE \"{}\" SET default_transaction_isolation = 'repeatable read'", db.name)).await;
    let p = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int REFERENCES people);", "")]);
    let report = vytal_host::run(&p, &db.target(), &RunOptions { atomic: true, ..opts() }, &mut Quiet).await.unwrap();
    assert_eq!(report.migrations.len(), 2);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE outcome = 'applied'").await, 2);
    assert_chained(&db).await;
    db.drop().await;
}

/// Makes any INSERT of more than one ledger row at once fail.
const ONE_ROW_AT_A_TIME: &str = "CREATE TABLE visits (id int PRIMARY KEY);\n\
    CREATE FUNCTION one_row_at_a_time() RETURNS trigger LANGUAGE plpgsql AS $$\n\
    BEGIN\n\
        IF (SELECT count(*) FROM added) > 1 THEN RAISE EXCEPTION 'one ledger row at a time'; END IF;\n\
        RETURN NULL;\n\
    END $$;\n\
    CREATE TRIGGER one_row_at_a_time AFTER INSERT ON vytal.migrations\n\
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION one_row_at_a_time();\n";

#[tokio::test]
async fn an_atomic_run_whose_record_fails_as_a_whole_says_so_and_leaves_nothing() {
    let db = TestDb::new("fail_atomic_record").await;
    let p = with_clinic(&[("1.0.0", "0001_visits", ONE_ROW_AT_A_TIME, "DROP TABLE visits;")]);
    let options = RunOptions { atomic: true, ..opts() };
    let msg = vytal_host::run(&p, &db.target(), &options, &mut Quiet).await.unwrap_err().to_string();
    // Each migration recorded alone goes through, so no one migration is blamed.
    assert!(
        msg.starts_with(
            "recording the run's migrations in the ledger failed (--atomic): one ledger row at a time (SQLSTATE P0001)"
        ),
        "{msg}"
    );
    assert!(msg.contains("none of its 2 migration(s) remain"), "{msg}");
    assert!(db.tables().await.is_empty());
    assert!(db.ledger().await.is_empty());
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'failed' AND error LIKE 'recording the run''s migrations%'").await,
        1
    );
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE outcome = 'applied'").await, 0);
    assert_eq!(db.advisory_locks().await, 0);
    // Migration by migration, each row is recorded on its own.
    vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    db.drop().await;
}

#[tokio::test]
async fn an_edited_applied_migration_is_refused_and_nothing_runs() {
    let db = TestDb::new("fail_edited").await;
    let v1 = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", "DROP TABLE visits;")]);
    vytal_host::run(&v1, &db.target(), &opts(), &mut Quiet).await.unwrap();

    // Same text with Windows line endings is not an edit.
    let crlf = plan(
        MANIFEST,
        vec![
            module(
                "core",
                "1.0.0",
                &[("1.0.0", "0001_people", "CREATE TABLE people (id int PRIMARY KEY);\r\n", "DROP TABLE people;")],
            ),
            module(
                "clinic",
                "1.0.0",
                &[("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", "DROP TABLE visits;")],
            ),
        ],
    );
    assert!(vytal_host::run(&crlf, &db.target(), &opts(), &mut Quiet).await.unwrap().migrations.is_empty());

    let edited = with_clinic(&[
        ("1.0.0", "0001_visits", "CREATE TABLE visits (id bigint);", "DROP TABLE visits;"),
        ("1.0.0", "0002_rooms", "CREATE TABLE rooms (id int);", "DROP TABLE rooms;"),
    ]);
    let err = vytal_host::run(&edited, &db.target(), &opts(), &mut Quiet).await.unwrap_err();
    let msg = err.to_string();
    let ApplyError::State(StateError::Edited(items)) = &err else { panic!("expected Edited, got {msg}") };
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].migration, "clinic/0001_visits");
    assert_eq!(items[0].applied_checksum, vytal_host::sql::checksum("CREATE TABLE visits (id int);"));
    assert_eq!(items[0].file_checksum, vytal_host::sql::checksum("CREATE TABLE visits (id bigint);"));
    assert!(msg.contains("1 applied migration(s) changed after they were applied; nothing was applied"), "{msg}");
    assert!(
        msg.contains(&format!(
            "applied checksum {}, file checksum {}",
            items[0].applied_checksum, items[0].file_checksum
        )),
        "{msg}"
    );
    assert!(
        msg.contains("restore modules/clinic/migrations/1.0.0/0001_visits.up.sql to the text that was applied"),
        "{msg}"
    );
    assert_eq!(db.tables().await, vec!["people", "visits"], "0002 did not run");
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn an_object_that_already_exists_points_at_adoption() {
    let db = TestDb::new("fail_exists").await;
    let mut c = db.conn().await;
    sqlx::raw_sql("CREATE TABLE people (id int PRIMARY KEY)").execute(&mut c).await.unwrap();
    drop(c);
    let p = with_clinic(&[]);
    let msg = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err().to_string();
    assert!(msg.contains("relation \"people\" already exists (SQLSTATE 42P07)"), "{msg}");
    assert!(msg.contains("this database was built by something else"), "{msg}");
    assert!(msg.contains("`vytal-host adopt --dry-run`, then `vytal-host adopt`"), "{msg}");
    assert!(db.ledger().await.is_empty());
    db.drop().await;
}

#[tokio::test]
async fn a_held_lock_times_out_naming_the_holder() {
    let db = TestDb::new("fail_lock").await;
    let manifest = format!("[host]\nlock_wait = \"300ms\"\n{MANIFEST}");
    let p = plan(&manifest, vec![core(), module("clinic", "1.0.0", &[])]);
    let mut holder = db.conn().await;
    sqlx::query("SET application_name = 'stuck-deploy'").execute(&mut holder).await.unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut holder).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(vytal_host::lock::key_for("vytal"))
        .execute(&mut holder)
        .await
        .unwrap();

    let err = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("another run holds the migration lock (pid {pid}, application `stuck-deploy`, user postgres, connected since ")), "{msg}");
    assert!(msg.contains(&format!("SELECT pg_terminate_backend({pid})")), "{msg}");
    assert!(db.tables().await.is_empty());

    drop(holder);
    vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    assert_eq!(db.ledger().await, vec!["core/0001"]);
    db.drop().await;
}

#[tokio::test]
async fn no_transaction_migrations_run_concurrently_safe_ddl() {
    let db = TestDb::new("no_transaction").await;
    let index =
        "-- vytal:no-transaction\n-- vytal:lock-timeout 2s\nCREATE INDEX CONCURRENTLY people_id_idx ON people (id);\n";
    let p = with_clinic(&[("1.0.0", "0001_index", index, "DROP INDEX CONCURRENTLY people_id_idx;")]);
    let msg = vytal_host::run(&p, &db.target(), &RunOptions { atomic: true, ..opts() }, &mut Quiet)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("--atomic cannot include clinic/0001_index: it is marked -- vytal:no-transaction"),
        "{msg}"
    );
    assert!(db.tables().await.is_empty(), "refused before touching the database");

    vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    assert_eq!(db.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'people_id_idx'").await, 1);
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    db.drop().await;
}

#[tokio::test]
async fn a_failing_no_transaction_migration_says_what_took_effect() {
    let db = TestDb::new("no_transaction_fail").await;
    let two = "-- vytal:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON people (id);\nCREATE INDEX CONCURRENTLY b_idx ON nowhere (id);\n";
    let p = with_clinic(&[("1.0.0", "0001_index", two, "")]);
    let msg = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err().to_string();
    assert!(msg.contains("0001_index.up.sql:3: relation \"nowhere\" does not exist"), "{msg}");
    assert!(
        msg.contains("its first 1 statement(s) took effect and were not undone; no ledger row was written"),
        "{msg}"
    );
    assert_eq!(db.ledger().await, vec!["core/0001"]);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn a_migration_added_below_an_applied_one_is_refused() {
    let db = TestDb::new("fail_out_of_order").await;
    let first = with_clinic(&[
        ("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", ""),
        ("1.0.0", "0003_rooms", "CREATE TABLE rooms (id int);", ""),
    ]);
    vytal_host::run(&first, &db.target(), &opts(), &mut Quiet).await.unwrap();
    let later = with_clinic(&[
        ("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", ""),
        ("1.0.0", "0002_beds", "CREATE TABLE beds (id int);", ""),
        ("1.0.0", "0003_rooms", "CREATE TABLE rooms (id int);", ""),
    ]);
    let msg = vytal_host::run(&later, &db.target(), &opts(), &mut Quiet).await.unwrap_err().to_string();
    assert_eq!(
        msg,
        "migration clinic/0002_beds is pending but clinic/0003_rooms of the same module is already applied; migrations must be added after the last applied one: renumber clinic/0002_beds after clinic/0003_rooms"
    );
    assert!(!db.tables().await.contains(&"beds".to_owned()));
    assert_eq!(db.ledger().await, vec!["clinic/0001", "clinic/0003", "core/0001"]);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn an_error_at_commit_names_the_migration_and_leaves_nothing() {
    let db = TestDb::new("fail_commit").await;
    // The foreign key is checked at COMMIT, after every statement succeeded.
    let deferred = "CREATE TABLE visits (id int PRIMARY KEY, person int REFERENCES people DEFERRABLE INITIALLY DEFERRED);\nINSERT INTO visits VALUES (1, 42);\n";
    let p = with_clinic(&[("1.0.0", "0001_visits", deferred, "DROP TABLE visits;")]);
    let err = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("migration clinic/0001_visits failed at COMMIT, after every statement had run at modules/clinic/migrations/1.0.0/0001_visits.up.sql: insert or update on table \"visits\" violates foreign key constraint"),
        "{msg}"
    );
    assert!(msg.contains("(SQLSTATE 23503)"), "{msg}");
    assert!(msg.contains("detail: Key (person)=(42) is not present in table \"people\"."), "{msg}");
    assert!(
        msg.contains("it was rolled back: the database and the ledger are as they were before this migration"),
        "{msg}"
    );
    assert_eq!(db.ledger().await, vec!["core/0001"]);
    assert_eq!(db.tables().await, vec!["people"]);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn a_timeout_postgresql_would_refuse_is_refused_before_anything_runs() {
    let db = TestDb::new("fail_begin").await;
    // Once, PostgreSQL refused this at the SET LOCAL that opens the migration; now the plan does, with file and line.
    let huge = "-- vytal:lock-timeout 9999999h\nCREATE TABLE visits (id int);\n";
    let err = crate::support::try_plan(
        MANIFEST,
        vec![core(), module("clinic", "1.0.0", &[("1.0.0", "0001_visits", huge, "DROP TABLE visits;")])],
    )
    .unwrap_err();
    assert_eq!(
        err,
        "modules/clinic/migrations/1.0.0/0001_visits.up.sql:1: `vytal:lock-timeout`: `9999999h` is longer than PostgreSQL accepts for a timeout (2147483647ms, about 24 days); write at most 596h, or 0 for no limit"
    );
    assert!(db.tables().await.is_empty());
    db.drop().await;
}

#[tokio::test]
async fn a_failed_run_records_how_many_migrations_did_commit() {
    let db = TestDb::new("fail_counts").await;
    let p = with_clinic(&[
        ("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", "DROP TABLE visits;"),
        ("1.0.0", "0002_broken", "SELECT * FROM nowhere;", ""),
    ]);
    let err = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err();
    let report = err.partial_report().expect("a failed migration carries the run so far");
    let done: Vec<String> = report.migrations.iter().map(|m| format!("{}/{}", m.module, m.id)).collect();
    assert_eq!(done, vec!["core/0001", "clinic/0001"]);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'failed' AND (details->>'applied')::int = 2").await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn a_no_transaction_down_that_fails_part_way_says_what_took_effect() {
    let db = TestDb::new("fail_down_no_tx").await;
    let up = "-- vytal:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON people (id);\nCREATE INDEX CONCURRENTLY b_idx ON people (id);\n";
    let down = "-- vytal:no-transaction\nDROP INDEX CONCURRENTLY a_idx;\nDROP INDEX CONCURRENTLY no_such_idx;\n";
    let p = with_clinic(&[("1.0.0", "0001_index", up, down)]);
    vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    let options = vytal_host::rollback::RollbackOptions {
        selection: vytal_host::rollback::Selection::Last(1),
        cascade: false,
        dry_run: false,
        command: "rollback".into(),
        down: vytal_host::rollback::DownChoice::Ask,
    };
    let mut yes = |_: &[vytal_host::rollback::Step]| Ok(());
    let msg = vytal_host::rollback::rollback(&p, &db.target(), &options, &mut yes).await.unwrap_err().to_string();
    assert!(msg.contains("index \"no_such_idx\" does not exist"), "{msg}");
    assert!(
        msg.contains(
            "its first 1 statement(s) took effect and were not undone; clinic/0001_index is still recorded as applied"
        ),
        "{msg}"
    );
    assert!(!msg.contains("it was rolled back"), "{msg}");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_indexes WHERE indexname = 'a_idx'").await,
        0,
        "the first DROP did happen"
    );
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[test]
fn a_bad_directive_in_a_down_file_is_refused_when_planning() {
    let err = crate::support::try_plan(
        MANIFEST,
        vec![
            core(),
            module(
                "clinic",
                "1.0.0",
                &[(
                    "1.0.0",
                    "0001_visits",
                    "CREATE TABLE visits (id int);",
                    "-- vytal:no-transactions\nDROP TABLE visits;",
                )],
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err,
        "modules/clinic/migrations/1.0.0/0001_visits.down.sql:1: unknown directive `vytal:no-transactions`; known: no-transaction, lock-timeout, statement-timeout, allow"
    );
}

#[tokio::test]
async fn a_bad_directive_in_a_stored_down_is_refused_before_anything_runs() {
    let db = TestDb::new("fail_stored_directive").await;
    let p = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", "DROP TABLE visits;")]);
    vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    // A row from before down checksums (none recorded), so the directive is what stops it.
    db.exec("UPDATE vytal.migrations SET down_sql = E'-- vytal:lock-timeout soon\\nDROP TABLE visits;', down_checksum = NULL WHERE module = 'clinic'").await;
    let options = vytal_host::rollback::RollbackOptions {
        selection: vytal_host::rollback::Selection::All,
        cascade: false,
        dry_run: false,
        command: "rollback --all".into(),
        down: vytal_host::rollback::DownChoice::Ask,
    };
    let mut yes = |_: &[vytal_host::rollback::Step]| Ok(());
    let msg = vytal_host::rollback::rollback(&p, &db.target(), &options, &mut yes).await.unwrap_err().to_string();
    assert!(
        msg.starts_with(
            "the down SQL stored for clinic/0001_visits has a bad directive at line 1: `vytal:lock-timeout`"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("nothing was rolled back"), "{msg}");
    assert_eq!(db.tables().await, vec!["people", "visits"]);
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    db.drop().await;
}

#[tokio::test]
async fn an_error_without_a_position_still_names_its_statement_and_line() {
    // A migration runs as one batch; a unique violation carries no position, so the statement is found by re-running.
    let db = TestDb::new("fail_no_position").await;
    let sql =
        "CREATE TABLE visits (id int PRIMARY KEY);\nINSERT INTO visits VALUES (1);\n\nINSERT INTO visits VALUES (1);\n";
    // --atomic first, on a database without a ledger: the trace records each
    // migration again, so it waits for the ledger made beside the run.
    for atomic in [true, false] {
        let p = with_clinic(&[("1.0.0", "0001_visits", sql, "DROP TABLE visits;")]);
        let options = RunOptions { atomic, ..opts() };
        let msg = vytal_host::run(&p, &db.target(), &options, &mut Quiet).await.unwrap_err().to_string();
        assert!(
            msg.contains(
                "0001_visits.up.sql:4: duplicate key value violates unique constraint \"visits_pkey\" (SQLSTATE 23505)"
            ),
            "atomic {atomic}: {msg}"
        );
        assert!(
            msg.contains("statement:\n    INSERT INTO visits VALUES (1)\n  detail: Key (id)=(1) already exists."),
            "{msg}"
        );
        assert!(!db.tables().await.contains(&"visits".to_owned()), "atomic {atomic}");
        assert_eq!(db.advisory_locks().await, 0);
    }
    db.drop().await;
}

#[tokio::test]
async fn an_edited_ledger_row_stops_run_and_status_says_what_is_wrong() {
    let db = TestDb::new("fail_ledger_edits").await;
    crate::support::expect_code(&crate::support::host(Some(&db), &["run"]), 0);
    db.exec("UPDATE vytal.migrations SET module_version = '9.9.9' WHERE module = 'claims' AND id = '0001'").await;
    let before = db.ledger().await;

    let o = crate::support::host(Some(&db), &["run"]);
    crate::support::expect_code(&o, 2);
    let err = crate::support::stderr(&o);
    assert!(
        err.contains(
            "1 ledger row(s) record a module version this build does not give the migration; nothing was applied"
        ),
        "{err}"
    );
    assert!(
        err.contains("claims/0001_create_claims: the ledger says claims 9.9.9, this build has it in claims 1.0.0"),
        "{err}"
    );
    assert_eq!(db.ledger().await, before);

    let o = crate::support::host(Some(&db), &["status", "--check"]);
    let out = crate::support::expect_code(&o, 1);
    assert!(out.contains("VERSION claims/0001_create_claims: the ledger says claims 9.9.9"), "{out}");
    assert!(
        out.contains(
            "1 applied migration(s) no longer match the ledger (above); `vytal-host run` refuses until they do"
        ),
        "{out}"
    );
    assert!(!out.contains("up to date"), "{out}");

    // An edited checksum is the same story.
    db.exec("UPDATE vytal.migrations SET module_version = '1.0.0' WHERE module = 'claims' AND id = '0001'").await;
    db.exec("UPDATE vytal.migrations SET checksum = 'x' WHERE module = 'tasks' AND id = '0001'").await;
    let out = crate::support::expect_code(&crate::support::host(Some(&db), &["status", "--check"]), 1);
    assert!(out.contains("EDITED tasks/0001_create_tasks") && !out.contains("up to date"), "{out}");
    db.drop().await;
}

#[tokio::test]
async fn an_empty_up_is_refused_and_a_down_left_as_scaffolded_is_warned_of() {
    let db = TestDb::new("fail_empty_up").await;
    let header = |what: &str| {
        format!(
            "-- clinic 1.0.0: visits ({what}).\n-- Runs in its own transaction with the ledger row; add `-- vytal:no-transaction` as the\n-- first line for CREATE INDEX CONCURRENTLY.\n\n"
        )
    };
    let (up, down) = (header("up"), header("down: undo everything the up file creates"));
    // The scaffold's up, never written: refused before anything runs.
    let p = with_clinic(&[("1.0.0", "0001_visits", &up, "DROP TABLE visits;")]);
    let err = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap_err().to_string();
    assert!(err.contains("clinic/0001_visits has no SQL statement, only comments"), "{err}");
    assert!(err.contains("nothing was applied"), "{err}");
    assert!(db.ledger().await.is_empty());
    assert!(db.tables().await.is_empty());

    // An up written, its down left as scaffolded: applied, with a warning naming it.
    let p = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int PRIMARY KEY);", &down)]);
    let report = vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    assert_eq!(report.migrations.len(), 2);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(
        report.warnings[0].starts_with("clinic/0001_visits: its down file is still the scaffold's"),
        "{:?}",
        report.warnings
    );
    // A down with nothing to undo on purpose says why, and draws no warning.
    let db2 = TestDb::new("fail_empty_down_on_purpose").await;
    let p = with_clinic(&[("1.0.0", "0001_visits", "SELECT 1;", "-- nothing to undo: the up only reads")]);
    let report = vytal_host::run(&p, &db2.target(), &opts(), &mut Quiet).await.unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    db2.drop().await;
    db.drop().await;
}

/// A migration that writes its own ledger row: the bookkeeping sent after its
/// statements then fails, and the error says so rather than blaming a statement.
const SELF_RECORDING: &str = "CREATE TABLE visits (id int PRIMARY KEY);\n\
    INSERT INTO vytal.migrations (module, id, name, module_version, checksum, down_sql, applied_by_os, applied_by_host, duration_ms)\n\
    VALUES ('clinic', '0001', 'visits', '1.0.0', 'x', '', 'os', 'host', 0);\n";

#[tokio::test]
async fn a_failure_in_the_bookkeeping_is_named_as_such_and_leaves_nothing() {
    let db = TestDb::new("fail_record").await;
    let p = with_clinic(&[("1.0.0", "0001_visits", SELF_RECORDING, "DROP TABLE visits;")]);
    for atomic in [false, true] {
        let options = RunOptions { atomic, ..opts() };
        let msg = vytal_host::run(&p, &db.target(), &options, &mut Quiet).await.unwrap_err().to_string();
        assert!(
            msg.starts_with("migration clinic/0001_visits failed while recording it in the ledger at modules/clinic/migrations/1.0.0/0001_visits.up.sql: duplicate key value violates unique constraint \"migrations_pkey\" (SQLSTATE 23505)"),
            "atomic {atomic}: {msg}"
        );
        assert!(!msg.contains("statement:"), "no statement of the migration failed: {msg}");
        if atomic {
            assert!(msg.contains("all of their scripts had run, and recording this one failed"), "{msg}");
        }
        // core went in on the first pass; nothing of clinic, on either.
        assert_eq!(db.ledger().await, vec!["core/0001"], "atomic {atomic}");
        assert_eq!(
            db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND module = 'clinic' AND outcome = 'applied'").await,
            0,
            "atomic {atomic}"
        );
        assert!(!db.tables().await.contains(&"visits".to_owned()), "atomic {atomic}");
        assert_eq!(db.advisory_locks().await, 0);
    }
    db.drop().await;
}

#[tokio::test]
async fn ledger_text_reads_back_exactly_whatever_it_holds() {
    let db = TestDb::new("ledger_literals").await;
    // Backslashes mean escapes to a session with this setting off; the ledger's text must not care.
    let mut conn = db.conn().await;
    sqlx::raw_sql("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET standard_conforming_strings = off', current_database()); END $$")
        .execute(&mut conn)
        .await
        .unwrap();
    // Quotes, backslashes, non-ASCII text and the quoting's own tags, in a
    // name, a down stored in the ledger, and the event that records it.
    let down =
        "-- it's a \\ test: $v$ and $v1$, déjà vu, a cost $v\nDROP TABLE visits; SELECT $v$ $v1$ $v$;\n-- ends with $v";
    let p = with_clinic(&[("1.0.0", "0001_it's_$v$_déjà", "CREATE TABLE visits (id int);", down)]);
    vytal_host::run(&p, &db.target(), &opts(), &mut Quiet).await.unwrap();
    let (stored, name): (String, String) =
        sqlx::query_as("SELECT down_sql, name FROM vytal.migrations WHERE module = 'clinic'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(stored, down);
    assert_eq!(name, "it's_$v$_déjà");
    let event: String = sqlx::query_scalar(
        "SELECT details->>'name' FROM vytal.events WHERE kind = 'migration' AND module = 'clinic' AND outcome = 'applied'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(event, "it's_$v$_déjà");
    // The chain still verifies: every event's hash covers exactly what was stored.
    let problems = vytal_host::verify::verify(&p, &db.target(), &Default::default())
        .await
        .unwrap()
        .findings
        .into_iter()
        .filter(|f| f.category == "audit")
        .count();
    assert_eq!(problems, 0);
    db.drop().await;
}

#[test]
fn a_rollback_refuses_ledger_rows_read_without_their_down_sql() {
    let p = with_clinic(&[("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", "DROP TABLE visits;")]);
    let row = |module: &str, id: &str, down_sql: Option<&str>| vytal_host::ledger::AppliedRow {
        module: module.into(),
        id: id.into(),
        name: "visits".into(),
        module_version: "1.0.0".into(),
        checksum: String::new(),
        down_sql: down_sql.map(str::to_owned),
        down_checksum: None,
        applied_at: String::new(),
        applied_by: String::new(),
        duration_ms: 0.0,
    };
    let options = vytal_host::rollback::RollbackOptions {
        selection: vytal_host::rollback::Selection::Last(1),
        cascade: false,
        dry_run: true,
        command: "rollback".into(),
        down: vytal_host::rollback::DownChoice::Ask,
    };
    // Read with their down SQL, the rows make a step that runs it.
    let rows = [row("core", "0001", Some("DROP TABLE people;")), row("clinic", "0001", Some("DROP TABLE visits;"))];
    let steps = vytal_host::rollback::select(&p, &rows, &options).unwrap();
    assert_eq!(steps.iter().map(|s| s.down_sql.as_str()).collect::<Vec<_>>(), vec!["DROP TABLE visits;"]);
    // Read without, they make no step that would run nothing and forget the row.
    let rows = [row("core", "0001", Some("DROP TABLE people;")), row("clinic", "0001", None)];
    let e = vytal_host::rollback::select(&p, &rows, &options).unwrap_err().to_string();
    assert!(e.starts_with("the ledger row of clinic/0001_visits was read without its stored down SQL"), "{e}");
}
