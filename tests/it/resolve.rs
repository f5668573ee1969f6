//! Resolution at (module, version) granularity: versioned requirements, cycles, bad files.

use vytal_host::{Quiet, RunOptions};

use crate::support::{TestDb, module, plan, try_plan};

/// tasks 1.1 requires appointments ^1.0 while appointments 1.1 requires tasks ^1.0.
const CROSSING: &str = r#"
[modules.core]
version = "1.0.0"

[modules.tasks]
version = "1.1.0"
requires = { core = "^1.0" }
since."1.1.0".requires = { appointments = "^1.0" }

[modules.appointments]
version = "1.1.0"
requires = { core = "^1.0" }
since."1.1.0".requires = { tasks = "^1.0" }
"#;

fn crossing_modules() -> Vec<vytal_host::ModuleSource> {
    vec![
        module(
            "core",
            "1.0.0",
            &[("1.0.0", "0001_users", "CREATE TABLE users (id int PRIMARY KEY);", "DROP TABLE users;")],
        ),
        module(
            "tasks",
            "1.1.0",
            &[
                (
                    "1.0.0",
                    "0001_tasks",
                    "CREATE TABLE tasks (id int PRIMARY KEY, owner int REFERENCES users);",
                    "DROP TABLE tasks;",
                ),
                (
                    "1.1.0",
                    "0002_appointment_fk",
                    "ALTER TABLE tasks ADD COLUMN appointment int REFERENCES appointments;",
                    "ALTER TABLE tasks DROP COLUMN appointment;",
                ),
            ],
        ),
        module(
            "appointments",
            "1.1.0",
            &[
                (
                    "1.0.0",
                    "0001_appointments",
                    "CREATE TABLE appointments (id int PRIMARY KEY);",
                    "DROP TABLE appointments;",
                ),
                (
                    "1.1.0",
                    "0002_task_fk",
                    "ALTER TABLE appointments ADD COLUMN task int REFERENCES tasks;",
                    "ALTER TABLE appointments DROP COLUMN task;",
                ),
            ],
        ),
    ]
}

fn order(p: &vytal_host::Plan) -> Vec<String> {
    p.migrations().iter().map(|m| format!("{}@{}/{}", m.module, m.version, m.id)).collect()
}

#[tokio::test]
async fn modules_that_come_to_require_each_other_resolve_and_apply() {
    let p = plan(CROSSING, crossing_modules());
    let o = order(&p);
    let pos = |s: &str| o.iter().position(|x| x == s).unwrap_or_else(|| panic!("{s} not in {o:?}"));
    assert!(pos("appointments@1.0.0/0001") < pos("tasks@1.1.0/0002"), "{o:?}");
    assert!(pos("tasks@1.0.0/0001") < pos("appointments@1.1.0/0002"), "{o:?}");
    assert!(pos("core@1.0.0/0001") < pos("tasks@1.0.0/0001"), "{o:?}");
    assert_eq!(o.len(), 5);

    // The order really works on PostgreSQL: each FK finds its table.
    let db = TestDb::new("resolve_crossing").await;
    let report = vytal_host::run(&p, &db.target(), &RunOptions::default(), &mut Quiet).await.unwrap();
    assert_eq!(report.migrations.len(), 5);
    assert_eq!(db.tables().await, vec!["appointments", "tasks", "users"]);

    // --module tasks at 1.1 needs appointments 1.0, not appointments 1.1.
    let db2 = TestDb::new("resolve_crossing_module").await;
    let options = RunOptions { modules: vec!["tasks".into()], ..RunOptions::default() };
    let report = vytal_host::run(&p, &db2.target(), &options, &mut Quiet).await.unwrap();
    assert_eq!(report.pulled_in, vec!["core/0001_users", "appointments/0001_appointments"]);
    assert_eq!(db2.ledger().await, vec!["appointments/0001", "core/0001", "tasks/0001", "tasks/0002"]);
    db.drop().await;
    db2.drop().await;
}

#[test]
fn a_true_cycle_is_reported_with_its_path() {
    let cyclic = CROSSING
        .replace(
            "since.\"1.1.0\".requires = { appointments = \"^1.0\" }",
            "since.\"1.1.0\".requires = { appointments = \"^1.1\" }",
        )
        .replace("since.\"1.1.0\".requires = { tasks = \"^1.0\" }", "since.\"1.1.0\".requires = { tasks = \"^1.1\" }");
    let err = try_plan(&cyclic, crossing_modules()).unwrap_err();
    assert!(
        err.starts_with("dependency cycle: appointments@1.1.0 -> tasks@1.1.0 -> appointments@1.1.0;")
            || err.starts_with("dependency cycle: tasks@1.1.0 -> appointments@1.1.0 -> tasks@1.1.0;"),
        "{err}"
    );
}

#[test]
fn requirements_are_checked_against_the_built_version() {
    // appointments is built at 1.1.0; a requirement of ^2 cannot hold.
    let m = CROSSING.replace(
        "since.\"1.1.0\".requires = { appointments = \"^1.0\" }",
        "since.\"1.1.0\".requires = { appointments = \"^2\" }",
    );
    let err = try_plan(&m, crossing_modules()).unwrap_err();
    assert_eq!(
        err,
        "fixture.toml:8:43: tasks@1.1.0 requires appointments ^2, but the build carries appointments@1.1.0; change the constraint or the appointments version"
    );
}

#[test]
fn bad_migration_files_are_named() {
    let manifest = "[modules.core]\nversion = \"1.0.0\"\n";
    let dup =
        try_plan(manifest, vec![module("core", "1.0.0", &[("1.0.0", "0001_a", "", ""), ("1.0.0", "0001_b", "", "")])])
            .unwrap_err();
    assert_eq!(
        dup,
        "module `core`: migration id 0001 is used twice (modules/core/migrations/1.0.0/0001_a.up.sql and modules/core/migrations/1.0.0/0001_b.up.sql); renumber one of them"
    );

    let ahead = try_plan(manifest, vec![module("core", "1.0.0", &[("1.1.0", "0001_a", "", "")])]).unwrap_err();
    assert!(ahead.contains("0001_a.up.sql: belongs to version 1.1.0, newer than module `core` (1.0.0)"), "{ahead}");

    let unnamed = try_plan(manifest, vec![module("core", "1.0.0", &[("1.0.0", "initial", "", "")])]).unwrap_err();
    assert!(unnamed.contains("`initial` is not named NNNN_name"), "{unnamed}");

    let directive = try_plan(
        manifest,
        vec![module("core", "1.0.0", &[("1.0.0", "0001_a", "-- vytal:no-transacton\nSELECT 1;", "")])],
    )
    .unwrap_err();
    assert!(
        directive.starts_with("modules/core/migrations/1.0.0/0001_a.up.sql:1: unknown directive `vytal:no-transacton`"),
        "{directive}"
    );

    let backwards = try_plan(
        "[modules.core]\nversion = \"1.1.0\"\n",
        vec![module("core", "1.1.0", &[("1.1.0", "0001_a", "", ""), ("1.0.0", "0002_b", "", "")])],
    )
    .unwrap_err();
    assert!(backwards.contains("ids must grow with versions"), "{backwards}");
}
