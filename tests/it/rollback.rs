//! Rollback: last, -n, module, --to, --all; dependants and --cascade; stored down SQL; failures.

use vytal_host::rollback::{DownChoice, RollbackError, RollbackOptions, Selection, Step};
use vytal_host::{ModuleSource, Plan, Quiet, RunOptions};

use crate::support::{TestDb, expect_code, host, module, plan, stderr, stdout};

const MANIFEST: &str = r#"
[modules.core]
version = "1.0.0"

[modules.clinic]
version = "1.1.0"
requires = { core = "^1.0" }

[modules.billing]
version = "1.0.0"
requires = { clinic = "^1.0" }
"#;

fn modules(rooms_down: &str) -> Vec<ModuleSource> {
    vec![
        module(
            "core",
            "1.0.0",
            &[("1.0.0", "0001_people", "CREATE TABLE people (id int PRIMARY KEY);", "DROP TABLE people;")],
        ),
        module(
            "clinic",
            "1.1.0",
            &[
                (
                    "1.0.0",
                    "0001_visits",
                    "CREATE TABLE visits (id int PRIMARY KEY, person int REFERENCES people);",
                    "DROP TABLE visits;",
                ),
                ("1.1.0", "0002_rooms", "CREATE TABLE rooms (id int PRIMARY KEY);", rooms_down),
            ],
        ),
        module(
            "billing",
            "1.0.0",
            &[(
                "1.0.0",
                "0001_invoices",
                "CREATE TABLE invoices (visit int REFERENCES visits);",
                "DROP TABLE invoices;",
            )],
        ),
    ]
}

fn full() -> Plan {
    plan(MANIFEST, modules("DROP TABLE rooms;"))
}

fn opts(selection: Selection) -> RollbackOptions {
    RollbackOptions { selection, cascade: false, dry_run: false, command: "rollback".into(), down: DownChoice::Ask }
}

async fn rollback(p: &Plan, db: &TestDb, o: RollbackOptions) -> Result<Vec<String>, RollbackError> {
    let mut yes = |_: &[Step]| Ok(());
    let report = vytal_host::rollback::rollback(p, &db.target(), &o, &mut yes).await?;
    Ok(report.steps.iter().map(Step::label).collect())
}

async fn apply(p: &Plan, db: &TestDb) {
    vytal_host::run(p, &db.target(), &RunOptions::default(), &mut Quiet).await.unwrap();
}

#[tokio::test]
async fn rolls_back_the_last_the_last_n_a_version_and_a_module() {
    let db = TestDb::new("rollback_selections").await;
    let p = full();
    apply(&p, &db).await;
    assert_eq!(db.ledger().await, vec!["billing/0001", "clinic/0001", "clinic/0002", "core/0001"]);

    assert_eq!(rollback(&p, &db, opts(Selection::Last(1))).await.unwrap(), vec!["clinic/0002_rooms"]);
    assert_eq!(db.tables().await, vec!["invoices", "people", "visits"]);
    assert_eq!(db.ledger().await, vec!["billing/0001", "clinic/0001", "core/0001"]);

    apply(&p, &db).await;
    assert_eq!(
        rollback(&p, &db, opts(Selection::Last(2))).await.unwrap(),
        vec!["clinic/0002_rooms", "billing/0001_invoices"]
    );
    assert_eq!(db.tables().await, vec!["people", "visits"]);

    apply(&p, &db).await;
    let to = Selection::To("clinic".into(), semver::Version::new(1, 0, 0));
    assert_eq!(rollback(&p, &db, opts(to)).await.unwrap(), vec!["clinic/0002_rooms"]);
    assert_eq!(db.ledger().await, vec!["billing/0001", "clinic/0001", "core/0001"]);

    assert_eq!(
        rollback(&p, &db, opts(Selection::Module("billing".into()))).await.unwrap(),
        vec!["billing/0001_invoices"]
    );
    assert_eq!(db.ledger().await, vec!["clinic/0001", "core/0001"]);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'rollback' AND outcome = 'rolled-back'").await,
        5,
        "every undone migration is in the event log"
    );
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn a_module_with_dependants_is_refused_unless_cascading() {
    let db = TestDb::new("rollback_dependants").await;
    let p = full();
    apply(&p, &db).await;
    let err = rollback(&p, &db, opts(Selection::Module("clinic".into()))).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot roll back --module clinic: 1 applied migration(s) of other modules require it:\n  billing/0001_invoices\nroll those back first, or add --cascade to roll them back before it"
    );
    assert_eq!(db.ledger().await.len(), 4, "nothing was rolled back");

    let cascade = RollbackOptions { cascade: true, ..opts(Selection::Module("clinic".into())) };
    let mut seen = Vec::new();
    let mut confirm = |steps: &[Step]| {
        seen = steps.iter().map(|s| (s.label(), s.dependant)).collect();
        Ok(())
    };
    vytal_host::rollback::rollback(&p, &db.target(), &cascade, &mut confirm).await.unwrap();
    assert_eq!(
        seen,
        vec![
            ("clinic/0002_rooms".to_owned(), false),
            ("billing/0001_invoices".to_owned(), true),
            ("clinic/0001_visits".to_owned(), false)
        ],
        "the plan is shown before anything runs, dependants marked"
    );
    assert_eq!(db.ledger().await, vec!["core/0001"]);
    assert_eq!(db.tables().await, vec!["people"]);

    // With everything applied again, the last four are all of it: nothing outside depends on them.
    apply(&p, &db).await;
    let err = rollback(&p, &db, opts(Selection::Last(4))).await;
    assert!(err.is_ok(), "the last 4 are everything: nothing outside depends on them");
    assert!(db.tables().await.is_empty());
    db.drop().await;
}

#[tokio::test]
async fn a_build_without_the_migration_rolls_it_back_from_the_ledger() {
    let db = TestDb::new("rollback_stored_down").await;
    apply(&full(), &db).await;
    // An older build: clinic 1.0.0 only, no rooms migration at all.
    let older = plan(
        &MANIFEST.replace("version = \"1.1.0\"", "version = \"1.0.0\""),
        vec![
            modules("")[0].clone(),
            module(
                "clinic",
                "1.0.0",
                &[(
                    "1.0.0",
                    "0001_visits",
                    "CREATE TABLE visits (id int PRIMARY KEY, person int REFERENCES people);",
                    "DROP TABLE visits;",
                )],
            ),
            modules("")[2].clone(),
        ],
    );
    let mut steps = Vec::new();
    let mut confirm = |s: &[Step]| {
        steps = s.to_vec();
        Ok(())
    };
    vytal_host::rollback::rollback(&older, &db.target(), &opts(Selection::Last(1)), &mut confirm).await.unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].label(), "clinic/0002_rooms");
    assert!(!steps[0].in_build);
    assert!(!db.tables().await.contains(&"rooms".to_owned()));

    // A build whose down SQL changed: nothing runs until one of the two is chosen.
    apply(&full(), &db).await;
    let changed = plan(MANIFEST, modules("SELECT 1;"));
    let err = rollback(&changed, &db, opts(Selection::Last(1))).await.unwrap_err().to_string();
    assert!(
        err.contains(
            "the down SQL stored when clinic/0002_rooms was applied differs from this build's; nothing was rolled back"
        ),
        "{err}"
    );
    assert!(
        err.contains("choose with --down stored") && err.contains("DROP TABLE rooms;") && err.contains("SELECT 1;"),
        "{err}"
    );
    assert!(db.tables().await.contains(&"rooms".to_owned()));
    let mut from = "";
    let mut confirm = |s: &[Step]| {
        from = s[0].down_from;
        assert!(s[0].compiled_differs);
        Ok(())
    };
    let stored = RollbackOptions { down: DownChoice::Stored, ..opts(Selection::Last(1)) };
    vytal_host::rollback::rollback(&changed, &db.target(), &stored, &mut confirm).await.unwrap();
    assert_eq!(from, "stored");
    assert!(!db.tables().await.contains(&"rooms".to_owned()), "the stored DROP TABLE ran, not the build's SELECT 1");

    // --down build runs this build's down instead.
    apply(&full(), &db).await;
    let build = RollbackOptions { down: DownChoice::Build, ..opts(Selection::Last(1)) };
    assert_eq!(rollback(&changed, &db, build).await.unwrap(), vec!["clinic/0002_rooms"]);
    assert!(db.tables().await.contains(&"rooms".to_owned()), "the build's SELECT 1 ran, so rooms stays");
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'rollback' AND details->>'down' = 'build'").await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn an_edited_stored_down_never_runs() {
    let db = TestDb::new("rollback_edited_down").await;
    apply(&full(), &db).await;
    let rows = db.ledger().await.len();
    // Someone with write access to the ledger swaps the down for something destructive.
    db.exec(
        "UPDATE vytal.migrations SET down_sql = 'DROP TABLE people CASCADE;' WHERE module = 'clinic' AND id = '0002'",
    )
    .await;
    for choice in [DownChoice::Ask, DownChoice::Stored] {
        let o = RollbackOptions { down: choice, ..opts(Selection::Last(1)) };
        let err = rollback(&full(), &db, o).await.unwrap_err().to_string();
        assert!(
            err.contains(
                "the down SQL stored for clinic/0002_rooms no longer matches the checksum taken when it was applied"
            ),
            "{err}"
        );
        assert!(err.contains("Nothing was rolled back") && err.contains("--down build"), "{err}");
    }
    assert!(db.tables().await.contains(&"people".to_owned()) && db.tables().await.contains(&"rooms".to_owned()));
    assert_eq!(db.ledger().await.len(), rows);

    // verify says so too, naming the row.
    let v = vytal_host::verify::verify(&full(), &db.target(), &Default::default()).await.unwrap();
    let edited: Vec<_> = v.findings.iter().filter(|f| f.kind == "stored down edited").collect();
    assert_eq!(edited.len(), 1, "{:#?}", v.findings);
    assert_eq!((edited[0].object.as_str(), edited[0].severity), ("clinic/0002_rooms", "error"));
    assert!(v.findings.iter().any(|f| f.kind == "stored down differs from the build's" && f.severity == "warning"));

    // The build's down is the way out, and it is recorded.
    let o = RollbackOptions { down: DownChoice::Build, ..opts(Selection::Last(1)) };
    assert_eq!(rollback(&full(), &db, o).await.unwrap(), vec!["clinic/0002_rooms"]);
    assert!(db.tables().await.contains(&"people".to_owned()));
    assert!(!db.tables().await.contains(&"rooms".to_owned()));
    db.drop().await;
}

#[tokio::test]
async fn a_failing_down_stops_and_leaves_the_migration_applied() {
    let db = TestDb::new("rollback_failing_down").await;
    let p = plan(MANIFEST, modules("DROP TABLE rooms;\nDROP TABLE no_such_table;"));
    apply(&p, &db).await;
    let err = rollback(&p, &db, opts(Selection::Last(2))).await.unwrap_err().to_string();
    assert!(
        err.starts_with(
            "rolling back clinic/0002_rooms failed at line 2 of the down SQL stored in the ledger: table \"no_such_table\" does not exist (SQLSTATE 42P01)"
        ),
        "{err}"
    );
    assert!(err.contains("statement:\n    DROP TABLE no_such_table"), "{err}");
    assert!(err.contains("clinic/0002_rooms is still applied"), "{err}");
    assert!(db.tables().await.contains(&"rooms".to_owned()), "its first statement was rolled back too");
    assert_eq!(db.ledger().await.len(), 4, "nothing was undone, billing included");
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'rollback' AND outcome = 'failed'").await, 1);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn all_needs_a_terminal_or_yes() {
    let db = TestDb::new("rollback_all").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    let o = host(Some(&db), &["rollback", "--all"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--all and --cascade roll back more than one module's migrations and need confirmation: run on a terminal, or add --yes; nothing was rolled back"), "{}", stderr(&o));
    // Refused first: no list that could read as if it had happened.
    assert!(!stdout(&o).contains("newest first"), "{}", stdout(&o));
    assert_eq!(db.ledger().await.len(), 74);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'refused'").await, 1);

    let dry = expect_code(&host(Some(&db), &["rollback", "--all", "--dry-run"]), 0);
    let webrtc = dry.find("-- ==== webrtc/0001_create_webrtc").unwrap();
    let core = dry.find("-- ==== core/0001_create_users").unwrap();
    assert!(webrtc < core && dry.contains("DROP TABLE \"users\";"), "down SQL in the order it would run:\n{dry}");
    assert_eq!(db.ledger().await.len(), 74, "a dry run changes nothing");

    let out = expect_code(&host(Some(&db), &["rollback", "--all", "--yes"]), 0);
    assert!(out.contains("rolled back 74 migration(s)"), "{out}");
    assert!(db.tables().await.is_empty());
    assert!(db.ledger().await.is_empty());
    assert_eq!(db.count("SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'").await, 0);
    db.drop().await;
}

#[tokio::test]
async fn on_a_terminal_rollback_shows_both_downs_and_asks_which() {
    // util-linux `script` gives the command a terminal; the answer comes on its stdin.
    let db = TestDb::new("rollback_tty").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    let last: String = {
        let mut c = db.conn().await;
        sqlx::query_scalar("SELECT module || '/' || id FROM vytal.migrations ORDER BY applied_at DESC LIMIT 1")
            .fetch_one(&mut c)
            .await
            .unwrap()
    };
    // The stored down differs from the build's but is intact (its checksum matches).
    db.exec(&format!(
        "UPDATE vytal.migrations SET down_sql = 'SELECT 1;', down_checksum = encode(sha256('SELECT 1;'::bytea), 'hex') \
         WHERE module || '/' || id = '{last}'"
    ))
    .await;
    let on_terminal = |answer: &str| crate::support::on_terminal(&db, "rollback -n 1", answer);
    // Anything but stored or build cancels, and nothing runs.
    let text = on_terminal("neither\n");
    assert!(text.contains("stored in the ledger when applied") && text.contains("this build's:"), "{text}");
    assert!(text.contains("run which down SQL: `stored` or `build`"), "{text}");
    assert!(text.contains("no down SQL chosen; nothing was rolled back"), "{text}");
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM vytal.migrations WHERE module || '/' || id = '{last}'")).await,
        1
    );
    // `build` runs this build's down, and the event says so.
    let text = on_terminal("build\n");
    assert!(text.contains("ran the build down SQL"), "{text}");
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM vytal.migrations WHERE module || '/' || id = '{last}'")).await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'rollback' AND details->>'down' = 'build'").await,
        1
    );
    db.drop().await;
}

#[tokio::test]
async fn on_a_terminal_rollback_all_lists_what_it_would_do_and_asks_for_the_name() {
    let db = TestDb::new("rollback_all_tty").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    let applied = db.ledger().await.len();
    let on_terminal = |answer: &str| crate::support::on_terminal(&db, "rollback --all", answer);
    // Worded as a plan until confirmed; a wrong name cancels.
    let text = on_terminal("not-the-name\n");
    assert!(text.contains(&format!("would roll back {applied} migration(s), newest first:")), "{text}");
    assert!(text.contains(&format!("type the database name `{}` to confirm", db.name)), "{text}");
    assert!(text.contains("the confirmation did not match the database name; nothing was rolled back"), "{text}");
    assert_eq!(db.ledger().await.len(), applied);
    // The name typed: done.
    let text = on_terminal(&format!("{}\n", db.name));
    assert!(text.contains(&format!("rolled back {applied} migration(s)")), "{text}");
    assert!(db.ledger().await.is_empty());
    db.drop().await;
}
