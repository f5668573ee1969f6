//! The event log is a hash chain: edits, deletions and disabled guards show
//! in verify, stop the next write until acknowledged, and an exported head
//! catches even a rewrite of the whole log.

use serde_json::Value;

use crate::support::{TestDb, expect_code, host, stderr, stdout};

/// verify's audit findings: (kind, object, found).
fn audit(db: &TestDb, extra: &[&str], code: i32) -> Vec<(String, String, String)> {
    let mut args = vec!["verify", "--json"];
    args.extend_from_slice(extra);
    let out = expect_code(&host(Some(db), &args), code);
    let v: Value = serde_json::from_str(&out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["category"] == "audit")
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["object"].as_str().unwrap().to_owned(),
                f["found"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The error of an event appended by hand, as a superuser, with the triggers on.
async fn insert_event_by_hand(db: &TestDb) -> String {
    let mut c = db.conn().await;
    sqlx::raw_sql(
        "INSERT INTO vytal.events (kind, command, outcome, duration_ms, os_user, host, host_version) \
         VALUES ('x', 'x', 'x', 0, 'u', 'h', 'v')",
    )
    .execute(&mut c)
    .await
    .expect_err("the chain's trigger lets no event in here")
    .to_string()
}

#[tokio::test]
async fn tampering_with_the_event_log_is_evident() {
    let db = TestDb::new("audit_chain").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    expect_code(&host(Some(&db), &["run"]), 0);
    assert_eq!(audit(&db, &[], 0), vec![]);
    let head = stdout(&host(Some(&db), &["history", "--head"])).trim().to_owned();
    let (seq, hash) = head.split_once(':').unwrap();
    assert_eq!(hash.len(), 64, "{head}");
    assert_eq!(db.count("SELECT max(seq) FROM vytal.events").await.to_string(), seq);
    expect_code(&host(Some(&db), &["verify", "--head", &head]), 0);

    // The owner deletes an event (the first run's own) with the guard off, and turns it back on.
    let deleted = db.count("SELECT min(seq) FROM vytal.events WHERE kind = 'run'").await;
    db.exec(&format!("ALTER TABLE vytal.events DISABLE TRIGGER events_append_only; DELETE FROM vytal.events WHERE seq = {deleted}; ALTER TABLE vytal.events ENABLE TRIGGER events_append_only")).await;
    let found = audit(&db, &[], 1);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.clone()), ("event log", format!("event {}", deleted + 1)));
    assert!(found[0].2.contains("does not follow the event before it"), "{found:?}");
    // The next write refuses, and the ledger stays as it was.
    let ledger = db.ledger().await;
    let o = host(Some(&db), &["run"]);
    expect_code(&o, 2);
    assert!(
        stderr(&o).contains("the event log in schema `vytal` has been tampered with, so nothing was written"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("vytal-host history --acknowledge"), "{}", stderr(&o));
    assert_eq!(db.ledger().await, ledger);
    // So do the other writing commands: undoing, and seeding.
    for args in [&["rollback", "--module", "claims", "--yes"][..], &["seed", "--count", "3"]] {
        let o = host(Some(&db), args);
        expect_code(&o, 2);
        assert!(stderr(&o).contains("has been tampered with"), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(db.ledger().await, ledger);
    assert_eq!(db.count("SELECT count(*) FROM claims").await, 0);

    // An operator looks into it and says so; the acknowledgement is an event, and writes go on.
    let ack = expect_code(&host(Some(&db), &["history", "--acknowledge", "test: a run event deleted on purpose"]), 0);
    assert!(ack.contains(&format!("found: event {} does not follow", deleted + 1)), "{ack}");
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'acknowledge' AND details->>'reason' = 'test: a run event deleted on purpose'").await, 1);
    let found = audit(&db, &[], 0);
    assert_eq!(found.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), vec!["event log (acknowledged)"]);
    expect_code(&host(Some(&db), &["run"]), 0);

    // A superuser edits an event with every trigger off for the session.
    let last = db.count("SELECT max(seq) FROM vytal.events").await;
    db.exec(&format!(
        "SET session_replication_role = replica; UPDATE vytal.events SET outcome = 'succeeded' WHERE seq = {last}"
    ))
    .await;
    let found = audit(&db, &[], 1);
    assert!(
        found.iter().any(|f| f.1 == format!("event {last}") && f.2.contains("does not match its hash")),
        "{found:?}"
    );

    // The whole log rewritten away: the guards are gone, the head is wrong, and the exported head is not there.
    db.exec("DROP TRIGGER events_no_truncate ON vytal.events; TRUNCATE vytal.events").await;
    let found = audit(&db, &["--head", &head], 1);
    let text = format!("{found:?}");
    assert!(text.contains("the trigger events_no_truncate on vytal.events is missing"), "{text}");
    assert!(text.contains("the chain's head is event"), "{text}");
    assert!(found.iter().any(|f| f.0 == "exported head" && f.2 == "no such event"), "{text}");
    expect_code(&host(Some(&db), &["run"]), 2);
    // Acknowledging restores the guard.
    expect_code(&host(Some(&db), &["history", "--acknowledge", "test: log truncated on purpose"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM pg_trigger WHERE tgname = 'events_no_truncate'").await, 1);
    expect_code(&host(Some(&db), &["run"]), 0);
    db.drop().await;
}

#[tokio::test]
async fn a_log_with_no_hashed_event_is_not_taken_for_an_intact_one() {
    let db = TestDb::new("audit_unhashed").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    assert_eq!(audit(&db, &[], 0), vec![]);
    // A superuser, with every trigger off, strips every hash and sets the
    // head back as a new ledger has it: no event is hashed, so none comes
    // after a hashed one.
    db.exec(
        "SET session_replication_role = replica; UPDATE vytal.events SET hash = NULL, prev_hash = NULL; \
         UPDATE vytal.events_head SET seq = 0, hash = ''",
    )
    .await;
    let (first, last) =
        (db.count("SELECT min(seq) FROM vytal.events").await, db.count("SELECT max(seq) FROM vytal.events").await);
    // The first event past the head has no hash, and the last one is not the head.
    let found = audit(&db, &[], 1);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1.clone()), ("event log", format!("event {first}")));
    assert!(found[0].2.contains("has no hash: it was written while the chain trigger was off"), "{found:?}");
    assert!(found[1].2.contains(&format!("the chain's head is event 0, but the last event is {last}")), "{found:?}");
    // The next write refuses, and the ledger stays as it was; its own event
    // cannot be chained after the unhashed ones (that would pass them off as
    // older than the chain), so the write after it refuses too.
    let ledger = db.ledger().await;
    for _ in 0..2 {
        let o = host(Some(&db), &["run"]);
        expect_code(&o, 2);
        assert!(stderr(&o).contains("has been tampered with, so nothing was written"), "{}", stderr(&o));
    }
    assert_eq!(db.ledger().await, ledger);
    assert_eq!(db.count("SELECT max(seq) FROM vytal.events").await, last);
    // Whoever writes.
    let e = insert_event_by_hand(&db).await;
    assert!(e.contains("has events after its head (event 0) with no hash"), "{e}");

    // A head moved past the last event, onto no event, does not match it either.
    db.exec(&format!("UPDATE vytal.events_head SET seq = {}", last + 1000)).await;
    let found = audit(&db, &[], 1);
    assert!(found.iter().any(|f| f.2.contains("the chain's head is event")), "{found:?}");
    // An operator looks into it: the events so far stay unhashed, on the
    // record as acknowledged, and the chain goes on from them.
    expect_code(&host(Some(&db), &["history", "--acknowledge", "test: hashes stripped on purpose"]), 0);
    expect_code(&host(Some(&db), &["run"]), 0);
    assert_eq!(audit(&db, &[], 0), vec![]);
    assert_eq!(db.count(&format!("SELECT count(*) FROM vytal.events WHERE seq > {last} AND hash IS NULL")).await, 0);
    db.drop().await;
}

#[tokio::test]
async fn an_older_chain_function_is_brought_up_to_date_by_the_owner() {
    let db = TestDb::new("audit_old_chain").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    // A ledger made by this build has its function as built: nothing to replace.
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'upgrade'").await, 0);
    let current = "SELECT count(*) FROM pg_proc WHERE oid = 'vytal.events_chain()'::regprocedure \
                   AND prosrc LIKE '%chaining onto them would hide them%'";
    assert_eq!(db.count(current).await, 1);
    // A function as an older build left it, made to run as the owner by
    // grant-runner; this one does not even chain.
    db.exec(
        "CREATE OR REPLACE FUNCTION vytal.events_chain() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RETURN NEW; END $fn$; \
         ALTER FUNCTION vytal.events_chain() SECURITY DEFINER SET search_path = pg_catalog, pg_temp",
    )
    .await;
    // The next writing command puts this build's back before it writes,
    // still running as the owner, and its events are chained.
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    assert_eq!(db.count(current).await, 1);
    assert_eq!(
        db.count("SELECT count(*) FROM pg_proc WHERE oid = 'vytal.events_chain()'::regprocedure AND prosecdef").await,
        1
    );
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE hash IS NULL").await, 0);
    // The replacement is on the record, with what it replaced.
    assert_eq!(
        db.count(
            "SELECT count(*) FROM vytal.events WHERE kind = 'upgrade' AND outcome = 'chain-function-replaced' \
             AND details->>'replaced_source' LIKE '%RETURN NEW; END%' AND (details->>'from_version')::int = 0"
        )
        .await,
        1
    );
    assert_eq!(audit(&db, &["--module", "claims"], 0), vec![]);
    let body = db.text("SELECT prosrc FROM pg_proc WHERE oid = 'vytal.events_chain()'::regprocedure").await;
    let install = |body: String| {
        format!("CREATE OR REPLACE FUNCTION vytal.events_chain() RETURNS trigger LANGUAGE plpgsql AS $fn${body}$fn$")
    };
    // One of this version edited by hand (here: rollbacks vanish) is put back, on the record.
    db.exec(&install(body.replace("BEGIN\n", "BEGIN\n    IF NEW.kind = 'rollback' THEN RETURN NULL; END IF;\n"))).await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    assert_eq!(db.count(current).await, 1);
    assert_eq!(db.count("SELECT count(*) FROM pg_proc WHERE prosrc LIKE '%RETURN NULL%'").await, 0);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM vytal.events WHERE kind = 'upgrade' AND outcome = 'chain-function-restored' \
             AND details->>'replaced_source' LIKE '%RETURN NULL%'"
        )
        .await,
        1
    );
    // A newer build's function is left as it is, by runs and acknowledgements
    // alike, however large its version.
    db.exec(&install(
        body.replace("-- vytal chain function, version 1", "-- vytal chain function, version 99999999999"),
    ))
    .await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    expect_code(&host(Some(&db), &["history", "--acknowledge", "test: nothing broken"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM pg_proc WHERE prosrc LIKE '%version 99999999999%'").await, 1);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE kind = 'upgrade'").await, 2);
    db.drop().await;
}

#[tokio::test]
async fn a_deleted_head_stops_every_write_until_acknowledged() {
    let db = TestDb::new("audit_head").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    db.exec("DELETE FROM vytal.events_head").await;
    let events = db.count("SELECT count(*) FROM vytal.events").await;
    // No event can be appended unchained, whoever writes it.
    let e = insert_event_by_hand(&db).await;
    assert!(e.contains("the vytal event log's head (vytal.events_head) is missing or not visible"), "{e}");
    assert_eq!(db.count("SELECT count(*) FROM vytal.events").await, events);
    // A run refuses, naming the head; an acknowledgement puts it back, and writes go on.
    let o = host(Some(&db), &["run"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("vytal.events_head is empty: the chain's head was deleted"), "{}", stderr(&o));
    expect_code(&host(Some(&db), &["history", "--acknowledge", "test: the head deleted on purpose"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events_head").await, 1);
    expect_code(&host(Some(&db), &["run"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE hash IS NULL").await, 0);
    db.drop().await;
}

#[tokio::test]
async fn history_lists_who_ran_what() {
    let db = TestDb::new("audit_history").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    let out = expect_code(&host(Some(&db), &["history", "-n", "3"]), 0);
    let lines: Vec<&str> =
        out.lines().filter(|l| l.trim_start().chars().next().is_some_and(|c| c.is_ascii_digit())).collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[2].contains(" run ") && lines[2].contains("succeeded") && lines[2].contains("`run --module claims`"),
        "{out}"
    );
    let v: Value =
        serde_json::from_str(&expect_code(&host(Some(&db), &["history", "--json", "-m", "claims"]), 0)).unwrap();
    let events = v["events"].as_array().unwrap();
    assert!(!events.is_empty() && events.iter().all(|e| e["module"] == "claims" && e["kind"] == "migration"), "{v:#}");
    assert_eq!(v["head"]["seq"], db.count("SELECT max(seq) FROM vytal.events").await);
    db.drop().await;
}

/// The URL of `db` for `role`.
fn as_role(db: &TestDb, role: &str) -> String {
    crate::support::server_url().replace("postgres@", &format!("{role}@")) + &format!("/{}?sslmode=disable", db.name)
}

/// vytal-host, to connect to `db` as `role`.
fn command_as(db: &TestDb, role: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"));
    c.env("DATABASE_URL", as_role(db, role)).env_remove("VYTAL_MANIFEST").current_dir(std::env::temp_dir());
    c
}

/// vytal-host with `args`, connected to `db` as `role`.
fn run_as(db: &TestDb, role: &str, args: &[&str]) -> std::process::Output {
    command_as(db, role).args(args).output().unwrap()
}

/// Drops `roles` if they exist (roles belong to the server, not to a test's database).
async fn drop_roles(roles: &[&str]) {
    let mut admin =
        <sqlx::PgConnection as sqlx::Connection>::connect(&format!("{}/postgres", crate::support::server_url()))
            .await
            .unwrap();
    for role in roles {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP ROLE IF EXISTS {role}"))).execute(&mut admin).await;
    }
}

#[tokio::test]
async fn grant_runner_works_after_a_superuser_wrote_to_the_ledger() {
    let db = TestDb::new("audit_grant_later").await;
    let (owner, runner) = ("vt_grant_owner", "vt_grant_runner");
    drop_roles(&[owner, runner]).await;
    db.exec(&format!(
        "CREATE ROLE {owner} LOGIN; CREATE ROLE {runner} LOGIN; \
         GRANT CREATE ON DATABASE \"{name}\" TO {owner}; GRANT CREATE ON SCHEMA public TO {owner}",
        name = db.name
    ))
    .await;
    expect_code(&run_as(&db, owner, &["run", "--module", "claims"]), 0);
    // Every table of the ledger is its owner's, whoever writes to it first.
    expect_code(&host(Some(&db), &["mark", "production"]), 0);
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM pg_tables WHERE schemaname = 'vytal' AND tableowner <> '{owner}'"))
            .await,
        0
    );
    // So the ledger's owner can let a runner in, and the runner sees the mark.
    let o = expect_code(&run_as(&db, owner, &["grant-runner", runner]), 0);
    assert!(o.contains("vt_grant_runner may now run migrations"), "{o}");
    let o = expect_code(&run_as(&db, runner, &["mark"]), 0);
    assert!(o.contains(": production"), "{o}");
    db.drop().await;
    drop_roles(&[owner, runner]).await;
}

#[tokio::test]
async fn a_ledger_that_cannot_be_created_stops_the_run_and_leaves_nothing() {
    let db = TestDb::new("audit_no_ledger").await;
    let role = "vt_no_ledger";
    drop_roles(&[role]).await;
    // It may create tables in public, but not the ledger's schema (nor the
    // extension core needs, made here beforehand).
    db.exec(&format!(
        "CREATE ROLE {role} LOGIN; GRANT CREATE ON SCHEMA public TO {role}; CREATE EXTENSION \"uuid-ossp\""
    ))
    .await;
    // With --atomic the ledger is made on a second connection while the
    // scripts run on the first: they must be undone when it cannot be.
    for args in [&["run", "--atomic", "--to", "claims@1.1.0"][..], &["run", "--to", "claims@1.1.0"][..]] {
        let o = command_as(&db, role).args(args).env("VYTAL_LOG", "vytal_host=debug").output().unwrap();
        expect_code(&o, 2);
        let e = stderr(&o);
        let beside = e.contains("creating the ledger on a second connection");
        assert_eq!(beside, args.contains(&"--atomic"), "{args:?}: {e}");
        assert!(
            e.lines()
                .any(|l| l
                    .starts_with("error: database error while creating the ledger: permission denied for database")),
            "{args:?}: {e}"
        );
        assert!(db.tables().await.is_empty(), "{args:?}");
        assert_eq!(db.count("SELECT count(*) FROM pg_namespace WHERE nspname = 'vytal'").await, 0, "{args:?}");
        assert_eq!(db.advisory_locks().await, 0, "{args:?}");
    }
    db.drop().await;
    drop_roles(&[role]).await;
}

#[tokio::test]
async fn a_role_allowed_one_connection_gets_its_ledger_made_on_it() {
    let role = "vt_one_conn";
    drop_roles(&[role]).await;
    for atomic in [true, false] {
        let db = TestDb::new("audit_one_conn").await;
        db.exec(&format!(
            "CREATE ROLE {role} LOGIN CONNECTION LIMIT 1; GRANT CREATE ON DATABASE \"{name}\" TO {role}; \
             GRANT CREATE ON SCHEMA public TO {role}; CREATE EXTENSION \"uuid-ossp\"",
            name = db.name
        ))
        .await;
        let mut args = vec!["run", "--to", "claims@1.1.0"];
        if atomic {
            args.push("--atomic");
        }
        // --atomic's second connection is refused: what ran is undone, the
        // ledger is made on the one connection, and the run goes on.
        let o = command_as(&db, role).args(&args).env("VYTAL_LOG", "vytal_host=debug").output().unwrap();
        let e = stderr(&o);
        expect_code(&o, 0);
        let fell_back =
            e.contains("too many connections for role") && e.contains("creating the ledger on this connection instead");
        assert_eq!(fell_back, atomic, "{args:?}: {e}");
        assert_eq!(db.count("SELECT count(*) FROM vytal.migrations").await, 4, "{args:?}");
        assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE hash IS NULL").await, 0, "{args:?}");
        assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE outcome = 'applied'").await, 4, "{args:?}");
        assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE outcome = 'failed'").await, 0, "{args:?}");
        db.drop().await;
        drop_roles(&[role]).await;
    }
}

#[tokio::test]
async fn a_runner_role_cannot_rewrite_the_log() {
    let db = TestDb::new("audit_roles").await;
    let (owner, runner) = ("vt_audit_owner", "vt_audit_runner");
    drop_roles(&[owner, runner]).await;
    db.exec(&format!(
        "CREATE ROLE {owner} LOGIN; CREATE ROLE {runner} LOGIN CREATEDB; \
         GRANT CREATE ON DATABASE \"{name}\" TO {owner}, {runner}; GRANT CREATE ON SCHEMA public TO {runner}",
        name = db.name
    ))
    .await;
    let as_role = |role: &str| as_role(&db, role);
    let run_as = |role: &str, args: &[&str]| run_as(&db, role, args);
    // A role that does not exist is named, and nothing is granted.
    let o = run_as(owner, &["grant-runner", "vt_audit_nobody"]);
    expect_code(&o, 2);
    assert!(stderr(&o).contains("role \"vt_audit_nobody\" does not exist"), "{}", stderr(&o));
    let o = expect_code(&run_as(owner, &["grant-runner", runner]), 0);
    assert!(o.contains("vt_audit_runner may now run migrations"), "{o}");
    expect_code(&run_as(runner, &["run"]), 0);
    expect_code(&run_as(runner, &["run", "--module", "claims"]), 0);
    let v: Value = serde_json::from_str(&expect_code(&run_as(runner, &["verify", "--json"]), 0)).unwrap();
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
    // The runner cannot take the guards off, nor edit, delete or empty the log, nor move its head.
    let mut as_runner = <sqlx::PgConnection as sqlx::Connection>::connect(&as_role(runner)).await.unwrap();
    for attack in [
        "ALTER TABLE vytal.events DISABLE TRIGGER events_append_only",
        "DROP TRIGGER events_chain ON vytal.events",
        "DELETE FROM vytal.events",
        "UPDATE vytal.events SET outcome = 'x'",
        "TRUNCATE vytal.events",
        "UPDATE vytal.events_head SET hash = ''",
        // Nor borrow the chain's function, which runs as the owner, to move the head from a table of its own.
        "CREATE TABLE public.not_the_log (LIKE vytal.events); \
         CREATE TRIGGER chain BEFORE INSERT ON public.not_the_log FOR EACH ROW EXECUTE FUNCTION vytal.events_chain()",
    ] {
        let e = sqlx::raw_sql(sqlx::AssertSqlSafe(attack)).execute(&mut as_runner).await.unwrap_err().to_string();
        assert!(e.contains("must be owner") || e.contains("permission denied"), "{attack}: {e}");
    }
    drop(as_runner);
    // Whoever may attach it elsewhere finds it serves the log alone.
    let mut admin = db.conn().await;
    let e = sqlx::raw_sql(
        "CREATE TABLE public.not_the_log (seq bigint); \
         CREATE TRIGGER chain BEFORE INSERT ON public.not_the_log FOR EACH ROW EXECUTE FUNCTION vytal.events_chain(); \
         INSERT INTO public.not_the_log VALUES (1)",
    )
    .execute(&mut admin)
    .await
    .expect_err("the chain's function refuses other tables")
    .to_string();
    assert!(e.contains("the vytal chain function serves vytal.events alone, not public.not_the_log"), "{e}");
    drop(admin);
    let events = db.count("SELECT count(*) FROM vytal.events WHERE db_user = 'vt_audit_runner'").await;
    assert!(events >= 3, "{events}");
    // The owner acknowledging something puts the guards back as they were,
    // the runner's way of chaining events included: its runs go on.
    expect_code(&run_as(owner, &["history", "--acknowledge", "test: nothing broken, the guards put back"]), 0);
    assert_eq!(
        db.count(
            "SELECT count(*) FROM pg_proc WHERE oid = 'vytal.events_chain()'::regprocedure AND prosecdef \
             AND proconfig = ARRAY['search_path=pg_catalog, pg_temp'] AND NOT has_function_privilege('public', oid, 'EXECUTE')"
        )
        .await,
        1
    );
    let o = run_as(runner, &["run", "--module", "claims"]);
    expect_code(&o, 0);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.events WHERE db_user = 'vt_audit_runner'").await,
        events + 1,
        "{}",
        stderr(&o)
    );
    // A chain function from an older build: the runner may not replace it,
    // is told who may, and goes on with it; the owner's next run replaces it.
    let stale = "SELECT count(*) FROM pg_proc WHERE oid = 'vytal.events_chain()'::regprocedure \
                 AND prosrc LIKE '%would hide them (older)%'";
    let body = db
        .text("SELECT prosrc FROM pg_proc WHERE oid = 'vytal.events_chain()'::regprocedure")
        .await
        .replace("chaining onto them would hide them", "chaining onto them would hide them (older)")
        .replace("-- vytal chain function, version ", "-- unmarked, as before versions ");
    db.exec(&format!(
        "CREATE OR REPLACE FUNCTION vytal.events_chain() RETURNS trigger LANGUAGE plpgsql AS $fn${body}$fn$; \
         ALTER FUNCTION vytal.events_chain() SECURITY DEFINER SET search_path = pg_catalog, pg_temp"
    ))
    .await;
    let o = run_as(runner, &["run", "--module", "claims"]);
    expect_code(&o, 0);
    assert!(stderr(&o).contains("run a writing command (vytal-host run) as the ledger's owner"), "{}", stderr(&o));
    assert_eq!(db.count(stale).await, 1);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE db_user = 'vt_audit_runner'").await, events + 2);
    expect_code(&run_as(owner, &["run", "--module", "claims"]), 0);
    assert_eq!(db.count(stale).await, 0);
    expect_code(&run_as(runner, &["run", "--module", "claims"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE db_user = 'vt_audit_runner'").await, events + 3);
    db.drop().await;
    drop_roles(&[owner, runner]).await;
}

#[tokio::test]
async fn the_ledger_and_the_log_must_agree() {
    let db = TestDb::new("audit_agree").await;
    expect_code(&host(Some(&db), &["run"]), 0);
    // A ledger row deleted by hand, and one written by hand: the log says otherwise.
    db.exec("DELETE FROM vytal.migrations WHERE module = 'claims' AND id = '0001'").await;
    db.exec("INSERT INTO vytal.migrations (module, id, name, module_version, checksum, down_sql, applied_by_os, applied_by_host, duration_ms) VALUES ('claims', '0099', 'forged', '1.0.0', 'x', '', 'x', 'x', 0)").await;
    let found = audit(&db, &[], 1);
    let disagree: Vec<&(String, String, String)> = found.iter().filter(|f| f.0 == "ledger and log disagree").collect();
    assert_eq!(disagree.len(), 2, "{found:?}");
    assert!(
        disagree.iter().any(|f| f.1 == "claims/0001" && f.2.contains("has no ledger row and no event rolled it back")),
        "{found:?}"
    );
    assert!(disagree.iter().any(|f| f.1 == "claims/0099" && f.2.contains("recorded by no event")), "{found:?}");

    db.drop().await;
}

/// A run that makes missing ledger tables skips the chain check only when
/// the event log it leaves is empty with its head at the start: an events
/// table it finds holding events, or a head left behind by a dropped log, is checked.
#[tokio::test]
async fn a_log_found_beside_missing_ledger_tables_is_still_checked() {
    let db = TestDb::new("audit_kept_log").await;
    expect_code(&host(Some(&db), &["run", "--to", "core@1.0.0"]), 0);
    let last = db.count("SELECT max(seq) FROM vytal.events").await;
    db.exec(&format!(
        "SET session_replication_role = replica; UPDATE vytal.events SET outcome = 'edited' WHERE seq = {last}; \
         RESET session_replication_role"
    ))
    .await;
    let refused = |args: &[&str], expected: &str| {
        let o = host(Some(&db), args);
        expect_code(&o, 2);
        assert!(stderr(&o).contains("has been tampered with"), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(expected), "{args:?}: {}", stderr(&o));
    };
    // The migrations table dropped: made again, and the edited event still found.
    for args in [&["run"][..], &["run", "--atomic", "--to", "claims@1.0.0"]] {
        db.exec("DROP TABLE vytal.migrations").await;
        refused(args, &format!("event {last} does not match its hash"));
        assert_eq!(db.count("SELECT count(*) FROM vytal.migrations").await, 0, "{args:?}");
        assert_eq!(db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'claims'").await, 0, "{args:?}");
    }
    // The whole events table dropped, its head left: the log made again is empty, but the head says otherwise.
    let head = db.count("SELECT seq FROM vytal.events_head").await;
    db.exec("DROP TABLE vytal.events").await;
    refused(&["run"], &format!("the chain's head is event {head}, but the last event is none"));
    // The refusal went in the new log, chained onto the old head: its first
    // event follows an event that is not there, and the next run says so.
    refused(&["run"], "event 1 does not follow the event before it");
    // The log made again holds the refusal alone, and nothing was applied.
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE NOT (kind = 'run' AND outcome = 'failed')").await, 0);
    assert_eq!(db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'claims'").await, 0);
    db.drop().await;
}

#[tokio::test]
async fn a_ledger_from_before_the_chain_is_upgraded_by_the_next_run() {
    let db = TestDb::new("audit_format_1").await;
    expect_code(&host(Some(&db), &["run", "--module", "claims"]), 0);
    // Take the ledger back to format 1: no down checksums, no chain.
    db.exec(
        "DROP TRIGGER events_chain ON vytal.events; DROP FUNCTION vytal.events_chain(); DROP TABLE vytal.events_head; \
         DROP INDEX vytal.events_acknowledged; ALTER TABLE vytal.events DROP COLUMN hash, DROP COLUMN prev_hash; \
         ALTER TABLE vytal.migrations DROP COLUMN down_checksum",
    )
    .await;
    let before = db.count("SELECT count(*) FROM vytal.events").await;
    // Reading commands work on it as it is.
    expect_code(&host(Some(&db), &["status"]), 0);
    // The next writing command adds the chain; the events already there stay before it.
    expect_code(&host(Some(&db), &["run"]), 0);
    assert_eq!(db.count("SELECT count(*) FROM vytal.events WHERE hash IS NULL").await, before);
    assert!(db.count("SELECT count(*) FROM vytal.events WHERE hash IS NOT NULL").await > 0);
    assert_eq!(
        db.count("SELECT count(*) FROM vytal.migrations WHERE down_checksum IS NULL AND module = 'claims'").await,
        4
    );
    assert_eq!(audit(&db, &[], 0), vec![]);
    // A row from before down checksums still rolls back with the down stored for it.
    expect_code(&host(Some(&db), &["rollback", "--all", "--yes"]), 0);
    assert!(db.ledger().await.is_empty());
    db.drop().await;
}
