//! The operator's verbs: run --to, rollbacks that destroy rows, repair,
//! database create/drop/reset, foreign objects, history filters, completions.

use serde_json::Value;
use vytal_host::repair::{RepairError, RepairOptions};
use vytal_host::{ApplyError, Quiet, RunOptions};

use crate::support::{TestDb, expect_code, host, module, plan, stderr, stdout};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn run_to_applies_a_module_up_to_a_version_and_no_further() {
    let db = TestDb::new("op_run_to").await;
    // A version the module never had, and a malformed one: refused, nothing done.
    let o = host(Some(&db), &["run", "--to", "medications@0.9.0"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains("module `medications` has no version 0.9.0; its versions are 1.0.0, 1.1.0, 1.2.0"),
        "{}",
        stderr(&o)
    );
    let o = host(Some(&db), &["run", "--to", "medications"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--to takes MODULE@VERSION, e.g. --to medications@1.0.0"), "{}", stderr(&o));
    assert!(db.ledger().await.is_empty());

    // plan --to shows exactly what run --to applies.
    let planned = expect_code(&host(Some(&db), &["plan", "--to", "medications@1.1.0"]), 0);
    assert!(planned.contains("medications/0003_validate_foreign_keys (1.1.0)"), "{planned}");
    assert!(!planned.contains("medications/0004"), "{planned}");
    let out = expect_code(&host(Some(&db), &["run", "--to", "medications@1.1.0"]), 0);
    assert!(out.contains("required by the selected module(s) and still pending, applied first:"), "{out}");
    let ledger = db.ledger().await;
    assert!(ledger.contains(&"medications/0003".to_owned()), "{ledger:?}");
    assert!(!ledger.iter().any(|m| m.starts_with("medications/0004")), "{ledger:?}");
    assert!(ledger.iter().all(|m| m.starts_with("medications/") || m.starts_with("core/")), "{ledger:?}");
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND details->'to' = '[\"medications@1.1.0\"]'")
            .await,
        1,
        "the run's event records the target"
    );
    // Again: nothing more; then the rest of the module when asked.
    let again = expect_code(&host(Some(&db), &["run", "--to", "medications@1.1.0"]), 0);
    assert!(again.contains("nothing to apply"), "{again}");
    expect_code(&host(Some(&db), &["run", "--to", "medications@1.2.0"]), 0);
    assert!(db.ledger().await.contains(&"medications/0007".to_owned()));

    // rollback --to a version the module never had rolls nothing back.
    let ledger = db.ledger().await;
    let o = host(Some(&db), &["rollback", "--to", "medications@0.9.0", "--yes"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains(
            "module `medications` has no version 0.9.0; its versions are 1.0.0, 1.1.0, 1.2.0; nothing was rolled back"
        ),
        "{}",
        stderr(&o)
    );
    assert_eq!(db.ledger().await, ledger);
    db.drop().await;
}

#[tokio::test]
async fn a_rollback_that_destroys_rows_says_how_many_and_asks() {
    let db = TestDb::new("op_rollback_loss").await;
    expect_code(&host(Some(&db), &["run", "--module", "medications", "--module", "core"]), 0);
    // Empty tables: nothing is lost, so no confirmation is asked.
    let dry = expect_code(&host(Some(&db), &["rollback", "--module", "medications", "--dry-run"]), 0);
    assert!(!dry.contains("it would destroy"), "{dry}");
    expect_code(&host(Some(&db), &["seed", "--count", "5"]), 0);
    let rows = db.count("SELECT count(*) FROM medications").await;
    let schedules = db.count("SELECT count(*) FROM medication_schedules").await;
    assert!(rows > 0 && schedules > 0);

    let dry = expect_code(&host(Some(&db), &["rollback", "--module", "medications", "--dry-run"]), 0);
    assert!(dry.contains("-- it would destroy, as the database stands now:"), "{dry}");
    assert!(dry.contains(&format!("--   {rows} row(s) of medications (drop table)")), "{dry}");
    assert!(dry.contains(&format!("--   {schedules} row(s) of medication_schedules (drop table)")), "{dry}");
    let v = json(&expect_code(&host(Some(&db), &["rollback", "--module", "medications", "--dry-run", "--json"]), 0));
    let losses: Vec<&Value> =
        v["steps"].as_array().unwrap().iter().flat_map(|s| s["losses"].as_array().unwrap().iter()).collect();
    assert!(
        losses.iter().any(|l| l["table"] == "medications" && l["by"] == "drop table" && l["rows"] == rows),
        "{losses:#?}"
    );

    // Without a terminal or --yes: refused, with the counts, and nothing changes.
    let ledger = db.ledger().await;
    let o = host(Some(&db), &["rollback", "--module", "medications"]);
    expect_code(&o, 2);
    let err = stderr(&o);
    assert!(err.contains("its down SQL would destroy data, so this rollback needs confirmation:"), "{err}");
    assert!(err.contains(&format!("  {rows} row(s) of medications (drop table)")), "{err}");
    assert!(err.contains("run on a terminal, or add --yes"), "{err}");
    assert!(!stdout(&o).contains("rolling back"), "refused before anything is listed as done");
    assert_eq!(db.ledger().await, ledger);
    assert_eq!(db.count("SELECT count(*) FROM medications").await, rows);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM vytal.events WHERE kind = 'run' AND command LIKE 'rollback%' AND outcome = 'refused'"
        )
        .await,
        1
    );

    // Dropped columns count their values: rolling users back to 1.0.0 loses the application's columns.
    let phones = db.count("SELECT count(*) FROM users WHERE phone IS NOT NULL").await;
    let dry = expect_code(&host(Some(&db), &["rollback", "--to", "core@1.0.0", "--cascade", "--dry-run"]), 0);
    assert!(dry.contains(&format!("--   {phones} value(s) in users.phone (drop column)")), "{dry}");

    // On a terminal it lists the losses and asks for the name.
    let on_terminal = |answer: &str| crate::support::on_terminal(&db, "rollback --module medications", answer);
    let text = on_terminal("no\n");
    assert!(text.contains("it would destroy:"), "{text}");
    assert!(text.contains(&format!("{rows} row(s) of medications (drop table)")), "{text}");
    assert!(text.contains("the confirmation did not match the database name; nothing was rolled back"), "{text}");
    assert_eq!(db.count("SELECT count(*) FROM medications").await, rows);
    let text = on_terminal(&format!("{}\n", db.name));
    assert!(text.contains("rolled back 7 migration(s)"), "{text}");
    assert!(!db.tables().await.contains(&"medications".to_owned()));
    db.drop().await;
}

const REPAIR_MANIFEST: &str = r#"
[modules.clinic]
version = "1.0.0"
"#;

fn clinic(up: &str) -> vytal_host::Plan {
    plan(
        REPAIR_MANIFEST,
        vec![module(
            "clinic",
            "1.0.0",
            &[
                ("1.0.0", "0001_visits", up, "DROP TABLE visits;"),
                ("1.0.0", "0002_rooms", "CREATE TABLE rooms (id int);", "DROP TABLE rooms;"),
            ],
        )],
    )
}

#[tokio::test]
async fn repair_accepts_an_intended_edit_on_the_record() {
    let db = TestDb::new("op_repair").await;
    let run = RunOptions { command: "run".into(), ..RunOptions::default() };
    let v1 = clinic("CREATE TABLE visits (id int);");
    vytal_host::run(&v1, &db.target(), &run, &mut Quiet).await.unwrap();
    let edited = clinic("-- visits: one row per visit\nCREATE TABLE visits (id int);");
    let err = vytal_host::run(&edited, &db.target(), &run, &mut Quiet).await.unwrap_err();
    assert!(matches!(err, ApplyError::State(_)), "{err}");
    assert!(err.to_string().contains("vytal-host repair --reason"), "the refusal names the way out: {err}");

    let options = |migrations: &[&str], reason: &str, dry_run: bool| RepairOptions {
        migrations: migrations.iter().map(|m| (*m).to_owned()).collect(),
        reason: reason.to_owned(),
        dry_run,
        command: "repair".to_owned(),
    };
    // No reason, a migration that is not applied, one that matches: refused, nothing changes.
    let before = db.count("SELECT count(*) FROM vytal.events").await;
    let e = vytal_host::repair::repair(&edited, &db.target(), &options(&[], " ", false)).await.unwrap_err();
    assert!(matches!(e, RepairError::NoReason), "{e}");
    let e =
        vytal_host::repair::repair(&edited, &db.target(), &options(&["clinic/0009"], "x", false)).await.unwrap_err();
    assert!(e.to_string().contains("`clinic/0009` is not an applied migration"), "{e}");
    assert!(e.to_string().contains("these differ from the build: clinic/0001_visits"), "{e}");
    let e =
        vytal_host::repair::repair(&edited, &db.target(), &options(&["clinic/0002"], "x", false)).await.unwrap_err();
    assert!(e.to_string().contains("clinic/0002_rooms matches this build already"), "{e}");
    let dry = vytal_host::repair::repair(&edited, &db.target(), &options(&[], "x", true)).await.unwrap();
    assert_eq!(dry.repaired.len(), 1);
    let old = vytal_host::sql::checksum("CREATE TABLE visits (id int);");
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM vytal.migrations WHERE id = '0001' AND checksum = '{old}'")).await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE outcome = 'repaired'").await,
        0,
        "refusals and dry runs repair nothing"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events").await,
        before + 2,
        "the two refusals that reached the database are on the record, and nothing else"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND command = 'repair' AND outcome = 'failed'")
            .await,
        2
    );

    let done = vytal_host::repair::repair(
        &edited,
        &db.target(),
        &options(&["clinic/0001"], "added a comment (PR 812)", false),
    )
    .await
    .unwrap();
    assert_eq!(done.repaired.len(), 1);
    assert_eq!(done.repaired[0].previous_checksum, old);
    let new = &done.repaired[0].checksum;
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'repaired' AND module = 'clinic' \
             AND migration = '0001' AND details->>'checksum' = '{new}' AND details->>'previous_checksum' = '{old}' \
             AND details->>'reason' = 'added a comment (PR 812)' AND os_user <> ''"
        ))
        .await,
        1
    );
    // The build runs again, and the ledger still agrees with the log.
    assert!(vytal_host::run(&edited, &db.target(), &run, &mut Quiet).await.unwrap().migrations.is_empty());
    let v = vytal_host::verify::verify(&edited, &db.target(), &Default::default()).await.unwrap();
    assert!(v.findings.iter().all(|f| f.category != "audit" && f.category != "history"), "{:#?}", v.findings);

    db.drop().await;
}

#[tokio::test]
async fn repair_through_the_binary() {
    let db = TestDb::new("op_repair_cli").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    // Applied from another text than this build's (an older build applied it
    // so): the row and its event agree, the build differs. run refuses and names repair.
    db.exec("UPDATE vytal.migrations SET checksum = 'c0ffee' WHERE module = 'claims' AND id = '0001'").await;
    db.exec(
        "INSERT INTO vytal.events (kind, command, outcome, module, migration, duration_ms, os_user, host, host_version, details) \
         VALUES ('migration', 'run', 'applied', 'claims', '0001', 1, 'ops', 'old-build', '0.9.0', '{\"checksum\": \"c0ffee\"}')",
    )
    .await;
    let o = host(Some(&db), &["run"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("accept it on the record instead: vytal-host repair --reason"), "{}", stderr(&o));
    let o = host(Some(&db), &["repair"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--reason <WHY>"), "{}", stderr(&o));
    let dry = expect_code(&host(Some(&db), &["repair", "--dry-run"]), 0);
    assert!(dry.contains("claims/0001_create_claims: would record checksum c0ffee -> "), "{dry}");
    assert!(dry.contains("dry run: 1 ledger row(s) would be repaired; nothing was changed"), "{dry}");
    let v = json(&expect_code(
        &host(Some(&db), &["repair", "claims/0001", "--reason", "restored from backup", "--json"]),
        0,
    ));
    assert_eq!(v["repaired"][0]["previous_checksum"], "c0ffee");
    assert_eq!(v["repaired"][0]["migration"], "claims/0001_create_claims");
    let run = expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    assert!(run.contains("nothing to apply"), "{run}");
    let history = expect_code(&host(Some(&db), &["history", "--kind", "migration", "--command", "repair"]), 0);
    assert!(history.contains("repaired") && history.contains("claims/0001"), "{history}");
    expect_code(&host(Some(&db), &["verify", "--applied"]), 0);

    // A row changed outside vytal-host, with no event behind it, is the ledger's problem: refused.
    db.exec("UPDATE vytal.migrations SET checksum = 'bad' WHERE module = 'claims' AND id = '0002'").await;
    let o = host(Some(&db), &["repair", "claims/0002", "claims/0002", "--reason", "x"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains("the ledger row of claims/0002_fit_the_application disagrees with the event log"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("not a ledger row changed outside vytal-host"), "{}", stderr(&o));
    assert_eq!(db.count("SELECT count(*) FROM vytal.migrations WHERE checksum = 'bad'").await, 1);
    db.drop().await;
}

async fn exists(name: &str) -> bool {
    let admin = TestDb { name: "postgres".into(), url: crate::support::server_url() + "/postgres" };
    admin.count(&format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'")).await == 1
}

#[tokio::test]
async fn database_create_drop_and_reset_refuse_production() {
    let db = TestDb::new("op_database").await;
    let o = host(Some(&db), &["database", "drop"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o)
            .contains(&format!("needs confirmation: run on a terminal, or add --yes {}; nothing was dropped", db.name)),
        "{}",
        stderr(&o)
    );
    let o = host(Some(&db), &["database", "drop", "--yes", "another_db"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--yes another_db does not name this database"), "{}", stderr(&o));
    assert!(exists(&db.name).await);
    // verify leaves a scratch database beside it; drop takes that too.
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    expect_code(&host(Some(&db), &["verify", "--applied"]), 0);
    let scratch = format!("{}_vytal_scratch", db.name);
    assert!(exists(&scratch).await);
    let out = expect_code(&host(Some(&db), &["database", "drop", "--yes", &db.name]), 0);
    assert!(out.contains(&format!("dropped database {}", db.name)), "{out}");
    assert!(out.contains(&format!("dropped scratch database {scratch}")), "{out}");
    assert!(!exists(&db.name).await && !exists(&scratch).await);
    let out = expect_code(&host(Some(&db), &["database", "drop", "--yes", &db.name]), 0);
    assert!(out.contains("does not exist; nothing to drop"), "{out}");
    let out = expect_code(&host(Some(&db), &["database", "create"]), 0);
    assert!(out.contains(&format!("created database {}", db.name)), "{out}");
    let out = expect_code(&host(Some(&db), &["database", "create"]), 0);
    assert!(out.contains("exists already"), "{out}");

    let v = json(&expect_code(&host(Some(&db), &["database", "reset", "--yes", &db.name, "--json"]), 0));
    assert_eq!(v["dropped"], true);
    assert_eq!(v["created"], true);
    assert_eq!(v["applied"], 74);
    assert_eq!(db.ledger().await.len(), 74);

    expect_code(&host(Some(&db), &["mark", "production"]), 0);
    for verb in ["drop", "reset"] {
        let o = host(Some(&db), &["database", verb, "--yes", &db.name, "--force"]);
        expect_code(&o, 2);
        assert!(
            stderr(&o).contains(&format!(
                "{} is marked as production (vytal-host mark); `database {verb}` never drops such a database",
                db.name
            )),
            "{}",
            stderr(&o)
        );
        assert_eq!(db.ledger().await.len(), 74, "nothing was dropped");
    }
    db.drop().await;
}

#[tokio::test]
async fn adopt_records_acknowledged_foreign_objects_and_verify_notes_them() {
    let db = crate::adopt::built_elsewhere("op_foreign", &[]).await;
    // The earlier suite's own bookkeeping table.
    db.exec("CREATE TABLE migrations (id serial PRIMARY KEY, timestamp bigint NOT NULL, name varchar NOT NULL)").await;
    let out = expect_code(&host(Some(&db), &["adopt"]), 0);
    assert!(
        out.contains("note: (unowned): extra table migrations is not created by any migration; left alone"),
        "{out}"
    );
    assert!(out.contains("record them with --acknowledge-foreign"), "{out}");
    // Not while migrations are pending: an object that looks foreign may be one of theirs.
    let o = host(Some(&db), &["adopt", "--acknowledge-foreign", "old suite"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--acknowledge-foreign waits until nothing is pending"), "{}", stderr(&o));
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'foreign'").await, 0);
    expect_code(&host(Some(&db), &["run"]), 0);
    let o = host(Some(&db), &["verify"]);
    assert!(expect_code(&o, 1).contains("extra table: migrations"));

    let o = host(Some(&db), &["adopt", "--acknowledge-foreign", " "]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--acknowledge-foreign needs a reason"), "{}", stderr(&o));
    let dry = expect_code(&host(Some(&db), &["adopt", "--dry-run", "--acknowledge-foreign", "old suite"]), 0);
    assert!(
        dry.contains("extra table migrations is not created by any migration; would be recorded as foreign"),
        "{dry}"
    );
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'foreign'").await, 0);

    let out = expect_code(
        &host(Some(&db), &["adopt", "--acknowledge-foreign", "the old TypeScript suite's migrations table"]),
        0,
    );
    assert!(out.contains("recorded as foreign (verify shows it as a note)"), "{out}");
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.foreign_objects WHERE kind = 'table' AND object = 'migrations' AND reason LIKE 'the old TypeScript%'").await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'foreign' AND outcome = 'acknowledged' AND details->'objects' = '[\"table migrations\"]'").await,
        1
    );
    let human = expect_code(&host(Some(&db), &["verify"]), 0);
    assert!(human.contains("foreign table (acknowledged): migrations (note)"), "{human}");
    assert!(human.contains("none is an error"), "{human}");
    // Another foreign object is drift again until it is acknowledged too,
    // also one on a module's own table, in a later adopt.
    db.exec("CREATE TABLE scratchpad (id int)").await;
    db.exec("ALTER TABLE users ADD COLUMN nickname text").await;
    let human = expect_code(&host(Some(&db), &["verify"]), 1);
    assert!(human.contains("extra table: scratchpad") && human.contains("extra column: users.nickname"), "{human}");
    let out = expect_code(&host(Some(&db), &["adopt", "--acknowledge-foreign", "the application's own"]), 0);
    assert!(
        out.contains("core: extra column users.nickname is not created by any migration; recorded as foreign"),
        "{out}"
    );
    assert!(out.contains("extra table scratchpad is not created by any migration; recorded as foreign"), "{out}");
    expect_code(&host(Some(&db), &["verify"]), 0);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND command LIKE 'adopt --acknowledge-foreign%' AND outcome = 'succeeded' AND (details->>'acknowledged_foreign')::int = 2").await,
        1
    );
    // A foreign object written behind vytal-host's back hides nothing: verify names it.
    db.exec("INSERT INTO vytal.foreign_objects (kind, object, reason, acknowledged_by) VALUES ('table', 'secret', 'x', 'me')").await;
    let human = expect_code(&host(Some(&db), &["verify"]), 1);
    assert!(human.contains("foreign table secret"), "{human}");
    assert!(human.contains("no event acknowledged it with this reason"), "{human}");
    db.drop().await;
}

#[tokio::test]
async fn history_filters_by_command_kind_and_time() {
    let db = TestDb::new("op_history").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    expect_code(&host(Some(&db), &["rollback"]), 0);
    let events = |args: &[&str]| -> Vec<Value> {
        let mut all = vec!["history", "--json", "-n", "1000"];
        all.extend_from_slice(args);
        json(&expect_code(&host(Some(&db), &all), 0))["events"].as_array().unwrap().clone()
    };
    let everything = events(&[]);
    assert!(everything.len() > 3);
    let rollbacks = events(&["--command", "rollback"]);
    assert!(!rollbacks.is_empty() && rollbacks.iter().all(|e| e["command"].as_str().unwrap().starts_with("rollback")));
    assert!(rollbacks.iter().any(|e| e["kind"] == "rollback"));
    let runs = events(&["--kind", "run"]);
    assert_eq!(runs.len(), 2, "{runs:#?}");
    assert_eq!(events(&["--since", "1h"]).len(), everything.len());
    assert!(events(&["--until", "2000-01-01"]).is_empty());
    assert!(
        events(&["--since", "2000-01-01", "--kind", "migration", "-m", "claims"])
            .iter()
            .all(|e| e["module"] == "claims")
    );
    assert!(events(&["--failed"]).is_empty());
    assert!(events(&["--until", "1h"]).is_empty(), "nothing is older than an hour");
    // A LIKE wildcard is a character like any other.
    assert!(events(&["--command", "r%"]).is_empty());

    let o = host(Some(&db), &["history", "--since", "yesterday"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("`yesterday` is not a time: give a date or time"), "{}", stderr(&o));
    let o = host(Some(&db), &["history", "--since", "2026-13-45"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("is --since or --until a valid time?"), "{}", stderr(&o));
    db.drop().await;
}

#[test]
fn completions_are_printed_for_each_shell() {
    for (shell, marker) in [("bash", "complete -F"), ("zsh", "#compdef vytal-host"), ("fish", "complete -c vytal-host")]
    {
        let out = expect_code(&host(None, &["completions", shell]), 0);
        assert!(out.contains(marker), "{shell}: {out}");
        for verb in ["run", "rollback", "repair", "database"] {
            assert!(out.contains(verb), "{shell} completes {verb}");
        }
    }
    let o = host(None, &["completions", "tcsh"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("invalid value 'tcsh'"), "{}", stderr(&o));
}

#[test]
fn a_named_module_is_never_cut_short_by_to() {
    let manifest = r#"
[modules.core]
version = "1.1.0"

[modules.clinic]
version = "1.0.0"
requires = { core = "^1.1" }
"#;
    let p = plan(
        manifest,
        vec![
            module(
                "core",
                "1.1.0",
                &[
                    ("1.0.0", "0001_people", "CREATE TABLE people (id int);", "DROP TABLE people;"),
                    ("1.1.0", "0002_more", "ALTER TABLE people ADD x int;", "ALTER TABLE people DROP x;"),
                ],
            ),
            module(
                "clinic",
                "1.0.0",
                &[("1.0.0", "0001_visits", "CREATE TABLE visits (id int);", "DROP TABLE visits;")],
            ),
        ],
    );
    let labels = |v: Vec<&vytal_host::PlannedMigration>| v.iter().map(|m| m.label().to_string()).collect::<Vec<_>>();
    let at = |v: &str| vec![("core".to_owned(), semver::Version::parse(v).unwrap())];
    let e = p.select_up_to(&["clinic".to_owned()], &at("1.0.0")).unwrap_err();
    assert!(e.to_string().contains("clinic/0001_visits needs a version that --to core@1.0.0 leaves out"), "{e}");
    assert_eq!(labels(p.select_up_to(&[], &at("1.0.0")).unwrap()), ["core/0001_people"]);
    assert_eq!(
        labels(p.select_up_to(&["clinic".to_owned()], &at("1.1.0")).unwrap()),
        ["core/0001_people", "core/0002_more", "clinic/0001_visits"]
    );
    let e = p.select_up_to(&[], &at("2.0.0")).unwrap_err();
    assert!(e.to_string().contains("module `core` has no version 2.0.0; its versions are 1.0.0, 1.1.0"), "{e}");
}

#[tokio::test]
async fn losses_are_counted_for_every_statement_that_destroys_rows() {
    let db = TestDb::new("op_losses").await;
    db.exec(
        "CREATE TYPE mood AS ENUM ('calm', 'cross'); \
         CREATE TABLE parent (id int PRIMARY KEY); \
         CREATE DOMAIN steady_mood AS mood; \
         CREATE TABLE child (id int UNIQUE, parent_id int REFERENCES parent, feeling mood, feelings mood[], steady steady_mood); \
         CREATE TABLE grandchild (child_id int REFERENCES child (id)); \
         CREATE TABLE notes (id int, body text); \
         CREATE SCHEMA archive; CREATE TABLE archive.old (id int); \
         INSERT INTO parent SELECT generate_series(1, 5); \
         INSERT INTO child VALUES (1, 1, 'calm', NULL, NULL), (2, 2, NULL, '{cross}', 'calm'), (3, 3, NULL, NULL, NULL); \
         INSERT INTO grandchild VALUES (1), (2); \
         INSERT INTO notes VALUES (1, 'a'), (2, NULL); \
         INSERT INTO archive.old SELECT generate_series(1, 7);",
    )
    .await;
    let mut conn = db.conn().await;
    let scripts = [
        "DROP TYPE mood CASCADE; ALTER TABLE notes DROP COLUMN body; DELETE FROM notes WHERE id = 2;",
        "TRUNCATE parent CASCADE;",
        "DROP SCHEMA archive CASCADE; DROP TABLE IF EXISTS nowhere; DROP TABLE parent;",
    ];
    let found = vytal_host::loss::count(&mut conn, &scripts).await.unwrap();
    let shown: Vec<Vec<String>> = found.iter().map(|s| s.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(
        shown,
        vec![
            vec![
                "1 value(s) in child.feeling (drop type cascade)".to_owned(),
                "1 value(s) in child.feelings (drop type cascade)".to_owned(),
                "1 value(s) in child.steady (drop type cascade)".to_owned(),
                "1 value(s) in notes.body (drop column)".to_owned(),
                "up to 2 row(s) of notes (delete)".to_owned(),
            ],
            vec![
                "5 row(s) of parent (truncate)".to_owned(),
                "3 row(s) of child (truncate cascade)".to_owned(),
                "2 row(s) of grandchild (truncate cascade)".to_owned(),
            ],
            vec!["7 row(s) of archive.old (drop schema cascade)".to_owned()],
        ],
        "a table counted once is not counted again (parent); what is not there is not counted"
    );

    // A count that cannot finish (the table is locked) falls back to the
    // planner's estimate; a table never analyzed has none: unknown, and it asks.
    db.exec("CREATE TABLE busy (id int); INSERT INTO busy VALUES (1), (2)").await;
    let mut holder = db.conn().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE busy IN ACCESS EXCLUSIVE MODE").execute(&mut holder).await.unwrap();
    let found = vytal_host::loss::count(&mut conn, &["DROP TABLE busy;"]).await.unwrap();
    let busy = &found[0][0];
    assert!(busy.estimated && busy.rows.is_none() && busy.destroys(), "{busy:?}");
    assert!(busy.to_string().contains("cannot count: counting took over 3s and the planner has no estimate"), "{busy}");
    let inside: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(&mut conn).await.unwrap();
    assert_eq!(inside, "off", "the count's read-only transaction is over");
    sqlx::raw_sql("ROLLBACK").execute(&mut holder).await.unwrap();
    drop(holder);
    drop(conn);

    // A table the rolling-back user may not read is an unknown loss, which still asks.
    let role = "vt_op_losses_reader";
    db.exec(&format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN")).await;
    let url = format!(
        "{}/{}?sslmode=disable",
        crate::support::server_url().replace("postgres@", &format!("{role}@")),
        db.name
    );
    let mut reader = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
    let found = vytal_host::loss::count(&mut reader, &["DROP TABLE notes;"]).await.unwrap();
    assert_eq!(found[0].len(), 1);
    assert_eq!(found[0][0].rows, None);
    assert!(found[0][0].destroys());
    assert!(
        found[0][0]
            .to_string()
            .starts_with("an unknown number of row(s) of notes (drop table; cannot count: permission denied"),
        "{}",
        found[0][0]
    );
    let inside: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(&mut reader).await.unwrap();
    assert_eq!(inside, "off", "a failed count leaves no transaction open");
    drop(reader);
    db.drop().await;
    TestDb { name: "postgres".into(), url: crate::support::server_url() + "/postgres" }
        .exec(&format!("DROP ROLE IF EXISTS {role}"))
        .await;
}
