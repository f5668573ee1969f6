//! Killed at random points: a run or a rollback stopped by SIGKILL leaves
//! no torn state. Every migration and its ledger row commit together (a
//! `no-transaction` one may leave the indexes it built so far, which the next
//! run rebuilds), so the next run completes and verify is clean. Bounded in count and time for CI;
//! the delays come from a fixed seed, so a failure can be replayed.

use std::time::Duration;

use serde_json::Value;

use crate::support::{TestDb, expect_code, host};

/// The next of a fixed sequence of delays in 0..max_ms (xorshift).
fn delays(seed: u64, count: usize, max_ms: u64) -> Vec<u64> {
    let mut x = seed;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % max_ms
        })
        .collect()
}

/// Starts `vytal-host args` and kills it with SIGKILL after `delay_ms`.
async fn kill_after(db: &TestDb, args: &[&str], delay_ms: u64) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("VYTAL_MANIFEST")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// What verify says of what the ledger records, as (exit code, findings).
fn verify(db: &TestDb) -> (i32, Vec<Value>) {
    let o = host(Some(db), &["verify", "--applied", "--json"]);
    let v: Value = serde_json::from_str(&String::from_utf8_lossy(&o.stdout)).unwrap_or(Value::Null);
    (o.status.code().unwrap_or(-1), v["findings"].as_array().cloned().unwrap_or_default())
}

/// The indexes the pending `-- vytal:no-transaction` migrations create.
async fn indexes_of_pending_no_transaction_migrations(db: &TestDb) -> Vec<String> {
    let plan = vytal_host::resolve(&vytal_host::Manifest::embedded().unwrap(), &vytal_host::Catalog::linked()).unwrap();
    let applied = db.ledger().await;
    let mut out = Vec::new();
    for m in plan.migrations() {
        if !m.directives.no_transaction || applied.contains(&format!("{}/{}", m.module, m.id)) {
            continue;
        }
        for part in m.up.split("CREATE INDEX CONCURRENTLY \"").skip(1) {
            out.extend(part.split('"').next().map(str::to_owned));
        }
    }
    out
}

/// After a kill: the lock is free, the event log's chain is whole, and the
/// database holds exactly what the migrations its ledger records create: no
/// object without its ledger row, no ledger row without its objects.
async fn consistent(db: &TestDb, trial: &str) {
    // The server notices the killed client when its backend next talks to it:
    // give the backend a moment to finish what it was running and go.
    let mut waited = 0;
    while db.advisory_locks().await > 0 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(db.advisory_locks().await, 0, "{trial}: the lock outlived the killed process by 5 s");
    let (_, findings) = verify(db);
    // Pending migrations are notes; anything else is a torn state, but for
    // what a pending `no-transaction` migration built before the kill: it
    // runs statement by statement, by design, and the next run finishes it.
    let partial = indexes_of_pending_no_transaction_migrations(db).await;
    let torn: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] != "note")
        .filter(|f| {
            !(f["kind"] == "extra index"
                && f["object"].as_str().is_some_and(|o| partial.iter().any(|i| o.ends_with(&format!(".{i}")))))
        })
        .collect();
    assert!(torn.is_empty(), "{trial}: {torn:#?}");
}

#[tokio::test]
async fn a_run_killed_at_any_point_leaves_nothing_torn() {
    let db = TestDb::new("torture_run").await;
    let trials = delays(0x5eed_0001, 12, 400);
    let mut part_way = 0;
    for (n, delay) in trials.iter().enumerate() {
        let trial = format!("run trial {n}, killed after {delay} ms");
        kill_after(&db, &["run"], *delay).await;
        consistent(&db, &trial).await;
        let recorded = db.ledger().await.len();
        expect_code(&host(Some(&db), &["run"]), 0);
        if recorded > 0 && recorded < db.ledger().await.len() {
            part_way += 1;
        }
        let (code, findings) = verify(&db);
        assert_eq!((code, findings.len()), (0, 0), "{trial}: {findings:#?}");
        // Back to empty for the next trial, on the record.
        expect_code(&host(Some(&db), &["rollback", "--all", "--yes"]), 0);
    }
    // The kills must land inside runs, not only before or after them.
    eprintln!("run: {part_way} of {} kills landed part-way", trials.len());
    assert!(part_way >= 3, "only {part_way} of {} kills landed part-way through a run", trials.len());
    db.drop().await;
}

#[tokio::test]
async fn a_rollback_killed_at_any_point_leaves_nothing_torn() {
    let db = TestDb::new("torture_rollback").await;
    let trials = delays(0x5eed_0002, 8, 300);
    let mut part_way = 0;
    for (n, delay) in trials.iter().enumerate() {
        let trial = format!("rollback trial {n}, killed after {delay} ms");
        expect_code(&host(Some(&db), &["run"]), 0);
        let all = db.ledger().await.len();
        kill_after(&db, &["rollback", "--all", "--yes"], *delay).await;
        consistent(&db, &trial).await;
        let left = db.ledger().await.len();
        if left > 0 && left < all {
            part_way += 1;
        }
        // Whatever the rollback left applied, a run completes it again.
        expect_code(&host(Some(&db), &["run"]), 0);
        let (code, findings) = verify(&db);
        assert_eq!((code, findings.len()), (0, 0), "{trial}: {findings:#?}");
    }
    eprintln!("rollback: {part_way} of {} kills landed part-way", trials.len());
    assert!(part_way >= 2, "only {part_way} of {} kills landed part-way through a rollback", trials.len());
    db.drop().await;
}
