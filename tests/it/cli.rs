//! The binary as a user runs it: fresh apply, repeat, status, plan, graph, concurrency, --module.

use crate::support::{TestDb, expect_code, host, stderr, stdout};

/// Every migration the build carries: 16 modules, 12 of them at 1.2.0.
const ALL: usize = 74;

#[tokio::test]
async fn fresh_database_applies_everything_then_nothing() {
    let db = TestDb::new("cli_fresh").await;
    let out = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(out.contains(&format!("database: postgres://postgres@127.0.0.1:5432/{}", db.name)), "{out}");
    assert!(out.contains("applied core/0001_create_users (1.0.0) in"), "{out}");
    assert!(out.contains(&format!("applied {ALL} migration(s)")), "{out}");
    assert_eq!(db.ledger().await.len(), ALL);
    assert_eq!(db.tables().await.len(), 26, "25 module tables and users");

    let again = expect_code(&host(Some(&db), &["run"]), 0);
    assert!(again.contains("nothing to apply: the database is up to date"), "{again}");
    assert_eq!(db.ledger().await.len(), ALL);

    // The audit trail has both runs and one event per applied migration.
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'succeeded'").await, 1);
    // The run that changed nothing is recorded too, chained after the last
    // event before it, and is the chain's head.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM vytal.events e WHERE kind = 'run' AND outcome = 'nothing-pending' \
             AND hash IS NOT NULL AND prev_hash = (SELECT hash FROM vytal.events WHERE seq < e.seq ORDER BY seq DESC LIMIT 1) \
             AND seq = (SELECT seq FROM vytal.events_head)"
        )
        .await,
        1
    );
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE kind = 'migration' AND outcome = 'applied'").await,
        ALL as i64
    );
    // Who applied it is recorded.
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.migrations WHERE applied_by_db = 'postgres' AND applied_by_os <> '' AND applied_by_host <> '' AND duration_ms > 0").await,
        ALL as i64
    );
    assert_eq!(db.advisory_locks().await, 0, "the lock is released");
    db.drop().await;
}

#[tokio::test]
async fn the_event_log_is_append_only() {
    let db = TestDb::new("cli_append_only").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    let mut c = db.conn().await;
    for sql in ["UPDATE vytal.events SET outcome = 'x'", "DELETE FROM vytal.events", "TRUNCATE vytal.events"] {
        let err = sqlx::raw_sql(sql).execute(&mut c).await.unwrap_err().to_string();
        assert!(err.contains("the vytal event log is append-only"), "{sql}: {err}");
    }
    drop(c);
    db.drop().await;
}

#[tokio::test]
async fn four_concurrent_runs_apply_each_migration_once() {
    let db = TestDb::new("cli_concurrent").await;
    let bin = env!("CARGO_BIN_EXE_vytal-host");
    let children: Vec<_> = (0..4)
        .map(|_| {
            tokio::process::Command::new(bin)
                .arg("run")
                .env("DATABASE_URL", &db.url)
                .current_dir(std::env::temp_dir())
                .output()
        })
        .collect();
    let mut succeeded = 0;
    for child in children {
        let o = child.await.unwrap();
        expect_code(&o, 0);
        if stdout(&o).contains(&format!("applied {ALL} migration(s)")) {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 1, "exactly one run applies the migrations, the others find nothing pending");
    assert_eq!(db.ledger().await.len(), ALL);
    assert_eq!(
        db.count("SELECT count(*) FROM (SELECT module, migration FROM vytal.events WHERE kind = 'migration' AND outcome = 'applied' GROUP BY 1, 2 HAVING count(*) = 1) once").await,
        ALL as i64
    );
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'run'").await, 4);
    assert_eq!(db.advisory_locks().await, 0);
    db.drop().await;
}

#[tokio::test]
async fn module_pulls_in_exactly_its_pending_requirements() {
    let db = TestDb::new("cli_module").await;
    let out = expect_code(&host(Some(&db), &["run", "--module", "medications"]), 0);
    let listed =
        out.find("required by the selected module(s) and still pending, applied first:\n  core/0001_create_users");
    let applied = out.find("applied core/0001_create_users");
    assert!(listed.is_some() && listed < applied, "requirements are listed before anything runs:\n{out}");
    // medications 1.2.0 still requires only core ^1.0: core's 1.1.0 is not pulled in.
    assert_eq!(
        db.ledger().await,
        vec![
            "core/0001",
            "medications/0001",
            "medications/0002",
            "medications/0003",
            "medications/0004",
            "medications/0005",
            "medications/0006",
            "medications/0007"
        ]
    );
    assert_eq!(db.tables().await, vec!["medication_adherence", "medication_schedules", "medications", "users"]);

    // tasks requires monitoring (since 1.1.0), appointments and medications (since 1.2.0):
    // exactly what of that is still pending is pulled in, at the first version that satisfies it.
    let out = expect_code(&host(Some(&db), &["run", "--module", "tasks"]), 0);
    assert!(
        out.contains("required by the selected module(s) and still pending, applied first:\n  appointments/0001_create_appointments (1.0.0)\n  monitoring/0001_create_devices_readings_alerts (1.0.0)\napplying"),
        "{out}"
    );
    assert_eq!(
        db.ledger().await,
        vec![
            "appointments/0001",
            "core/0001",
            "medications/0001",
            "medications/0002",
            "medications/0003",
            "medications/0004",
            "medications/0005",
            "medications/0006",
            "medications/0007",
            "monitoring/0001",
            "tasks/0001",
            "tasks/0002",
            "tasks/0003",
            "tasks/0004",
            "tasks/0005",
            "tasks/0006",
            "tasks/0007"
        ]
    );

    // monitoring itself requires core ^1.0 only: on a fresh database, core/0001 and nothing else.
    let fresh = TestDb::new("cli_module_monitoring").await;
    expect_code(&host(Some(&fresh), &["run", "--module", "monitoring"]), 0);
    assert_eq!(fresh.ledger().await, vec!["core/0001", "monitoring/0001"]);
    assert_eq!(fresh.tables().await, vec!["alerts", "devices", "users", "vital_readings"]);
    fresh.drop().await;

    let o = host(Some(&db), &["run", "--module", "pharmacy"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains("no module `pharmacy` in this build; known modules: ai-conversations, appointments"),
        "{}",
        stderr(&o)
    );
    db.drop().await;
}

#[tokio::test]
async fn status_and_plan_report_and_check() {
    let db = TestDb::new("cli_status").await;
    let o = host(Some(&db), &["status", "--check"]);
    let out = expect_code(&o, 1);
    assert!(out.contains(&format!("{ALL} migration(s) pending")), "{out}");
    assert_eq!(db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'vytal'").await, 0, "status writes nothing");

    let plan = expect_code(&host(Some(&db), &["plan", "--module", "webrtc", "--check"]), 1);
    assert!(
        plan.contains(
            "   1. core/0001_create_users (1.0.0)\n   2. appointments/0001_create_appointments (1.0.0)\n   3. clinical-notes/0001_create_clinical_notes (1.0.0)\n   4. webrtc/0001_create_webrtc (1.0.0)\n   5. webrtc/0002_fit_the_application (1.1.0)\n   6. webrtc/0003_validate_foreign_keys (1.1.0)\n   7. webrtc/0004_time_zones_and_indexes (1.2.0)\n   8. webrtc/0005_index_foreign_keys (1.2.0)  (no transaction)\n   9. webrtc/0006_reference_other_rows (1.2.0)\n  10. webrtc/0007_validate_references (1.2.0)\n10 migration(s) to apply"
        ),
        "{plan}"
    );

    let sql = expect_code(&host(Some(&db), &["plan", "--module", "core", "--sql"]), 0);
    assert!(
        sql.contains(
            "-- ==== core/0001_create_users (core 1.0.0) from modules/core/migrations/1.0.0/0001_create_users.up.sql"
        ),
        "{sql}"
    );
    assert!(sql.contains("CREATE TABLE \"users\" ("), "{sql}");

    expect_code(&host(Some(&db), &["run", "--module", "core"]), 0);
    let json = expect_code(&host(Some(&db), &["status", "--json"]), 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["pending"], ALL - 3);
    let core = v["modules"].as_array().unwrap().iter().find(|m| m["module"] == "core").unwrap();
    assert_eq!(core["applied_version"], "1.2.0");
    assert_eq!(core["applied"][0]["name"], "create_users");
    // When, by whom and how long, per applied migration, as the ledger has them.
    assert!(core["applied"][0]["applied_by"].as_str().is_some_and(|b| b.starts_with("postgres (")), "{core:#}");
    assert!(core["applied"][0]["duration_ms"].as_f64().is_some_and(|d| d > 0.0), "{core:#}");
    let human = expect_code(&host(Some(&db), &["status"]), 0);
    let line = human.lines().find(|l| l.contains("applied 0001_create_users (1.0.0) at ")).unwrap_or_default();
    assert!(line.contains(" by postgres (") && line.ends_with(" ms"), "{human}");

    expect_code(&host(Some(&db), &["run"]), 0);
    expect_code(&host(Some(&db), &["status", "--check"]), 0);
    expect_code(&host(Some(&db), &["plan", "--check"]), 0);
    db.drop().await;
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let db = TestDb::new("cli_dry_run").await;
    let out = expect_code(&host(Some(&db), &["run", "--dry-run"]), 0);
    assert!(out.contains("would apply core/0001_create_users"), "{out}");
    assert!(out.contains(&format!("dry run: {ALL} migration(s) would be applied; nothing was changed")), "{out}");
    assert!(db.tables().await.is_empty());
    assert_eq!(db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'vytal'").await, 0);
    db.drop().await;
}

#[test]
fn graph_and_plan_all_need_no_database() {
    let mermaid = expect_code(&host(None, &["graph"]), 0);
    // Fenced, to paste into Markdown as it is.
    assert!(mermaid.starts_with("```mermaid\nflowchart BT\n") && mermaid.trim_end().ends_with("```"), "{mermaid}");
    assert!(mermaid.contains("medications_1_0_0 -->|requires| core_1_0_0"), "{mermaid}");
    let dot = expect_code(&host(None, &["graph", "--format", "dot"]), 0);
    assert!(dot.contains("\"tasks@1.0.0\" -> \"core@1.0.0\""), "{dot}");
    let json: serde_json::Value = serde_json::from_str(&expect_code(&host(None, &["graph", "--json"]), 0)).unwrap();
    let tasks = json["modules"].as_array().unwrap().iter().find(|n| n["module"] == "tasks").unwrap();
    assert_eq!(tasks["requires"], serde_json::json!(["core@1.0.0"]));
    // Two choices of output are one too many, said rather than one silently winning.
    let o = host(None, &["graph", "--json", "--format", "dot"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("--json and --format both choose the output; give one of them"), "{}", stderr(&o));
    // plan --json is an object too, like every other verb's.
    let json: serde_json::Value =
        serde_json::from_str(&expect_code(&host(None, &["plan", "--all", "--json"]), 0)).unwrap();
    assert_eq!(json["migrations"].as_array().unwrap().len(), ALL);
    assert_eq!(json["migrations"][0]["module"], "core");
    let plan = expect_code(&host(None, &["plan", "--all"]), 0);
    assert!(plan.starts_with("   1. core/0001_create_users (1.0.0)\n"), "{plan}");
    assert!(plan.contains(&format!("{ALL} migration(s) to apply")), "{plan}");
}

#[test]
fn no_database_is_a_clear_error() {
    let o = host(None, &["status"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("no database given; pass --database-url"), "{}", stderr(&o));
}

#[test]
fn urls_that_cannot_work_say_why() {
    let err = |url: &str| {
        let o = host(None, &["--database-url", url, "status"]);
        expect_code(&o, 2);
        stderr(&o)
    };
    // Another database's scheme.
    let e = err("mysql://root@127.0.0.1:3306/test");
    assert!(e.contains("its scheme is `mysql`, and vytal-host speaks only PostgreSQL"), "{e}");
    // The server's refusal in its own words, without the driver's "at line N"
    // (PostgreSQL's source line, which reads like a line of the user's file).
    let e = err("postgres://vytal_no_such_role@127.0.0.1:5432/postgres?sslmode=disable");
    assert!(e.contains("role \"vytal_no_such_role\" does not exist"), "{e}");
    assert!(!e.contains(" at line "), "{e}");
    // An IPv6 address in brackets is an address, not a host name to look up.
    let e = err("postgres://postgres@[::1]:1/db");
    assert!(e.contains("cannot connect to postgres://postgres@[::1]:1/db"), "{e}");
    assert!(!e.contains("lookup"), "{e}");
    // A password with URL syntax in it.
    let e = err("postgres://auditor:p@ss/w#rd@127.0.0.1:5432/db");
    assert!(
        e.contains("it holds more than one @ or a #") && e.contains("must be percent-encoded in a URL (@ as %40"),
        "{e}"
    );
    assert!(!e.contains("ss/w#rd"), "{e}");
    // Nothing listening.
    let e = err("postgres://postgres@127.0.0.1:1/db");
    assert!(e.contains("nothing accepts connections at 127.0.0.1:1: is PostgreSQL running there"), "{e}");
}

#[test]
fn a_server_that_is_not_postgresql_is_named_as_such() {
    // A listener that answers with something else: a line of text, then closes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            use std::io::{Read, Write};
            // Read all the client sends (its startup message), answer, and close in order.
            s.set_read_timeout(Some(std::time::Duration::from_millis(300))).unwrap();
            let mut buf = [0u8; 1024];
            while s.read(&mut buf).is_ok_and(|n| n > 0) {}
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            let _ = s.shutdown(std::net::Shutdown::Write);
            while s.read(&mut buf).is_ok_and(|n| n > 0) {}
        }
    });
    let o =
        host(None, &["--database-url", &format!("postgres://postgres@127.0.0.1:{port}/db?sslmode=disable"), "status"]);
    expect_code(&o, 2);
    let e = stderr(&o);
    assert!(e.contains(&format!("the server at 127.0.0.1:{port} does not speak PostgreSQL's protocol")), "{e}");
    server.join().unwrap();
}

#[test]
fn a_password_never_appears_in_output() {
    // Nothing listens on port 1; the error must name the target without the password.
    let url = "postgres://auditor:S3cr3t-pw@127.0.0.1:1/vytalwatch";
    let o = host(None, &["--database-url", url, "status"]);
    expect_code(&o, 2);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("cannot connect to postgres://auditor@127.0.0.1:1/vytalwatch"), "{all}");
    assert!(!all.contains("S3cr3t-pw"), "{all}");

    let o = host(None, &["--database-url", "postgres://auditor:S3cr3t-pw@127.0.0.1:notaport/db", "status"]);
    expect_code(&o, 2);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("is not valid"), "{all}");
    assert!(!all.contains("S3cr3t-pw"), "{all}");
}

#[tokio::test]
async fn db_variables_are_used_when_there_is_no_url() {
    let db = TestDb::new("cli_db_vars").await;
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
        .args(["run", "--module", "core"])
        .env_remove("DATABASE_URL")
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", "5432")
        .env("DB_USERNAME", "postgres")
        .env("DB_PASSWORD", "unused-with-trust")
        .env("DB_DATABASE", &db.name)
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let out = expect_code(&o, 0);
    assert!(out.contains(&format!("database: postgres://postgres@127.0.0.1:5432/{}", db.name)), "{out}");
    assert!(!out.contains("unused-with-trust") && !stderr(&o).contains("unused-with-trust"));
    assert_eq!(db.ledger().await, vec!["core/0001", "core/0002", "core/0003"]);

    // Half-set variables are refused, not completed with the server's defaults.
    let refused = |vars: &[(&str, &str)]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"));
        c.args(["status"]).current_dir(std::env::temp_dir()).env_remove("DATABASE_URL").env_remove("PGUSER");
        for k in ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_DATABASE"] {
            c.env_remove(k);
        }
        for (k, v) in vars {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        expect_code(&o, 2);
        stderr(&o)
    };
    let e = refused(&[("DB_HOST", "127.0.0.1"), ("DB_USERNAME", "postgres")]);
    assert!(e.contains("DB_* variables are set but DB_DATABASE is not; set it to the database to migrate"), "{e}");
    let e = refused(&[("DB_HOST", "127.0.0.1"), ("DB_DATABASE", &db.name)]);
    assert!(e.contains("DB_* variables are set but DB_USERNAME is not"), "{e}");
    db.drop().await;
}

#[test]
fn new_scaffolds_the_next_migration() {
    let root = tempdir("scaffold");
    std::fs::create_dir_all(root.join("modules/medications")).unwrap();
    std::fs::write(root.join("modules/medications/Cargo.toml"), "[package]\n").unwrap();
    let root_arg = root.to_str().unwrap();
    let out =
        expect_code(&host(None, &["new", "--module", "medications", "add_refill_reminders", "--root", root_arg]), 0);
    let up = root.join("modules/medications/migrations/1.2.0/0008_add_refill_reminders.up.sql");
    assert!(up.is_file(), "{out}");
    assert!(root.join("modules/medications/migrations/1.2.0/0008_add_refill_reminders.down.sql").is_file());
    let folder = root.join("modules/medications/migrations/1.2.0");
    // Numbered from the files on disk too: a second `new` before any rebuild gets the next number.
    let out = expect_code(&host(None, &["new", "-m", "medications", "add_refill_windows", "--root", root_arg]), 0);
    assert!(folder.join("0009_add_refill_windows.up.sql").is_file(), "{out}");
    // Without --root, the workspace is found from a folder inside it, as `.env` is.
    std::fs::write(root.join("migrations.toml"), "# the workspace root\n").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
        .args(["new", "-m", "medications", "from_below"])
        .current_dir(root.join("modules/medications/migrations"))
        .env_remove("VYTAL_MANIFEST")
        .output()
        .unwrap();
    expect_code(&o, 0);
    assert!(folder.join("0010_from_below.up.sql").is_file(), "{}", stderr(&o));
    let o = host(None, &["new", "--module", "medications", "Bad-Name", "--root", root_arg]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("migration name `Bad-Name` must be lowercase"), "{}", stderr(&o));

    // Both files or neither: a name too long for a file name is refused before anything is written...
    let files = || std::fs::read_dir(&folder).unwrap().count();
    let before = files();
    let long = "a".repeat(242);
    let o = host(None, &["new", "--module", "medications", &long, "--root", root_arg]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("migration name is 242 characters"), "{}", stderr(&o));
    assert_eq!(files(), before);
    // ...and a down that cannot be written (something else holds its name) takes its up with it,
    // leaving what was there, and says so once.
    std::fs::create_dir(folder.join("0011_clash.down.sql")).unwrap();
    let o = host(None, &["new", "--module", "medications", "clash", "--root", root_arg]);
    expect_code(&o, 2);
    assert!(!folder.join("0011_clash.up.sql").exists());
    assert!(folder.join("0011_clash.down.sql").is_dir());
    assert!(
        stderr(&o).contains("0011_clash.down.sql already exists; pick another name for the migration"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("os error"), "{}", stderr(&o));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_build_older_than_the_files_on_disk_says_to_rebuild() {
    let root = tempdir("stale");
    std::fs::write(root.join("migrations.toml"), "# the workspace root\n").unwrap();
    let folder = root.join("modules/medications/migrations/1.2.0");
    std::fs::create_dir_all(&folder).unwrap();
    let run = |dir: &std::path::Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
            .args(["plan", "--all"])
            .current_dir(dir)
            .env_remove("VYTAL_MANIFEST")
            .env_remove("VYTAL_LOG")
            .output()
            .unwrap();
        expect_code(&o, 0);
        stderr(&o)
    };
    // Nothing newer on disk: no word about it.
    assert!(!run(&root).contains("not in this build"));
    // A migration written since the build, seen from anywhere inside the workspace.
    std::fs::write(folder.join("0099_add_refill_windows.up.sql"), "SELECT 1;\n").unwrap();
    let err = run(&folder);
    assert!(
        err.contains("1 migration file(s) in ")
            && err.contains("are not in this build of vytal-host (modules/medications/migrations/1.2.0/0099_add_refill_windows.up.sql)")
            && err.contains("rebuild to include them: cargo xtask migrate"),
        "{err}"
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_dotenv_is_read_from_above_and_a_broken_one_is_named() {
    let root = tempdir("dotenv");
    let below = root.join("a/b");
    std::fs::create_dir_all(&below).unwrap();
    let status = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
            .args(["status"])
            .current_dir(&below)
            .env_remove("DATABASE_URL")
            .env_remove("VYTAL_MANIFEST")
            .env("VYTAL_LOG", "info")
            .output()
            .unwrap()
    };
    // Read from the nearest folder above, and said so at info level.
    std::fs::write(root.join(".env"), "DATABASE_URL=postgres://postgres@127.0.0.1:1/from_dotenv\n").unwrap();
    let o = status();
    expect_code(&o, 2);
    assert!(stderr(&o).contains("cannot connect to postgres://postgres@127.0.0.1:1/from_dotenv"), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("read .env") && stderr(&o).contains(&root.join(".env").display().to_string()),
        "{}",
        stderr(&o)
    );
    // A line that does not parse stops everything, with the file and the line.
    std::fs::write(root.join(".env"), "DATABASE_URL=postgres://postgres@127.0.0.1:1/x\nTHIS IS BROKEN\n").unwrap();
    let o = status();
    expect_code(&o, 2);
    let want = format!("{}, line 2: cannot read `THIS IS BROKEN`", root.join(".env").display());
    assert!(stderr(&o).contains(&want), "{}", stderr(&o));
    assert!(!stderr(&o).contains("cannot connect"), "nothing else ran: {}", stderr(&o));
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn every_subcommand_help_shows_an_example() {
    for sub in [
        "run",
        "status",
        "plan",
        "adopt",
        "rollback",
        "verify",
        "history",
        "check",
        "seed",
        "mark",
        "grant-runner",
        "graph",
        "new",
    ] {
        let help = expect_code(&host(None, &[sub, "--help"]), 0);
        assert!(help.contains(&format!("Example: vytal-host {sub}")), "{sub} --help:\n{help}");
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vytal-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_closed_stdout_does_not_cut_a_run_short() {
    let db = TestDb::new("cli_closed_stdout").await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
        .arg("run")
        .env("DATABASE_URL", &db.url)
        .env_remove("VYTAL_MANIFEST")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // As `vytal-host run | head -0` would: the reader goes away before the first line.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    assert_eq!(db.ledger().await.len(), ALL, "every migration was applied");
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM vytal.events WHERE kind = 'run' AND outcome = 'succeeded' AND (details->>'applied')::int = {ALL}")).await,
        1,
        "and the run was recorded"
    );
    db.drop().await;
}

#[tokio::test]
async fn json_errors_are_json_with_the_run_so_far() {
    let db = TestDb::new("cli_json_error").await;
    // device_tokens exists already: push-notifications fails after the modules before it committed.
    db.exec("CREATE TABLE device_tokens (id int)").await;
    let o = host(Some(&db), &["run", "--json"]);
    let out = expect_code(&o, 2);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("relation \"device_tokens\" already exists"), "{message}");
    assert_eq!(v["error"]["exit_code"], 2);
    let applied = v["report"]["migrations"].as_array().unwrap();
    assert!(!applied.is_empty() && applied.len() < ALL, "{v:#}");
    assert_eq!(db.ledger().await.len(), applied.len(), "the report lists exactly what committed");

    // Errors before any work are JSON too.
    let o = host(None, &["status", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&expect_code(&o, 2)).unwrap();
    assert!(v["error"]["message"].as_str().unwrap().starts_with("no database given"), "{v:#}");
    assert!(v["report"].is_null());
    db.drop().await;
}

#[tokio::test]
async fn concurrent_verifies_all_succeed() {
    let db = TestDb::new("cli_concurrent_verify").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    // The scratch database does not exist yet: all four race to create it.
    let bin = env!("CARGO_BIN_EXE_vytal-host");
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(bin)
                .arg("verify")
                .env("DATABASE_URL", &db.url)
                .env_remove("VYTAL_MANIFEST")
                .current_dir(std::env::temp_dir())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        let out = expect_code(&o, 0);
        assert!(out.contains("clean: 16 module(s) verified"), "{out}");
    }
    db.drop().await;
}
