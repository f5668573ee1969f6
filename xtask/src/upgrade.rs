//! The upgrade benchmark: a database built at 1.0.0 by the old suite's SQL,
//! adopted, and seeded with about a million rows, brought to the build's
//! versions by `vytal-host run`, against psql running the same SQL with the
//! same transactions (each migration in its own, `-- vytal:no-transaction`
//! ones outside any). Every round starts from a copy of the same seeded
//! database (`CREATE DATABASE ... TEMPLATE`). One more run, not timed, polls
//! `pg_locks` to measure how long each table was held under ACCESS EXCLUSIVE.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

use crate::bench::{Rows, drop_db, fresh, median, per_migration_transactions, plain, sections, time};

/// The modules the old suite built: 1.0.0 of these is the schema of record.
const RECORD_MODULES: &[&str] = &[
    "core",
    "tasks",
    "consents",
    "claims",
    "medications",
    "appointments",
    "messaging",
    "clinical-notes",
    "webrtc",
    "push-notifications",
    "ai-conversations",
    "encryption-keys",
];

const TEMPLATE: &str = "vytal_bench_upgrade_template";

/// Patients seeded at 1.0.0: about 1,000,000 rows in the old suite's 17
/// tables and users (VYTAL_BENCH_SEED_COUNT overrides it).
pub const SEED_COUNT: u64 = 25_000;

/// Copies the seeded template into a new database.
async fn clone(server: &str, db: &str) -> anyhow::Result<String> {
    drop_db(server, db).await?;
    let mut c = PgConnection::connect(&format!("{server}/postgres")).await?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{db}\" TEMPLATE \"{TEMPLATE}\""))).execute(&mut c).await?;
    c.close().await?;
    Ok(format!("{server}/{db}"))
}

pub fn bench(
    host: &Path,
    server: &str,
    runs: usize,
    count: u64,
    rt: &tokio::runtime::Runtime,
    rows: &mut Rows,
) -> anyhow::Result<()> {
    let out_dir = crate::root().join("target").join("bench");
    // 1.0.0 as the old suite left it: its SQL, adopted, then seeded.
    let all = Command::new(host).args(["plan", "--all", "--sql"]).output()?;
    if !all.status.success() {
        bail!("vytal-host plan failed: {}", String::from_utf8_lossy(&all.stderr));
    }
    let old: String = sections(&String::from_utf8_lossy(&all.stdout))
        .into_iter()
        .filter(|(h, _)| RECORD_MODULES.iter().any(|m| h.contains(&format!("({m} 1.0.0)"))))
        .map(|(_, body)| body)
        .collect();
    let old_file = out_dir.join("upgrade-1.0.0.sql");
    std::fs::write(&old_file, old)?;
    let url = rt.block_on(fresh(server, TEMPLATE))?;
    time(
        Command::new("psql").args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", &plain(&url), "-f"]).arg(&old_file),
    )?;
    time(Command::new(host).args(["adopt"]).env("DATABASE_URL", plain(&url)))?;
    let seeded = Command::new(host)
        .args(["seed", "--json", "--count", &count.to_string()])
        .env("DATABASE_URL", plain(&url))
        .output()?;
    if !seeded.status.success() {
        bail!("vytal-host seed failed: {}", String::from_utf8_lossy(&seeded.stderr));
    }
    let report: serde_json::Value = serde_json::from_slice(&seeded.stdout).context("vytal-host seed --json output")?;
    let total: u64 = report["rows"].as_object().map_or(0, |r| r.values().filter_map(serde_json::Value::as_u64).sum());
    rt.block_on(async {
        let mut c = PgConnection::connect(&plain(&url)).await?;
        sqlx::raw_sql("VACUUM ANALYZE").execute(&mut c).await?;
        c.close().await
    })?;

    // The upgrade's SQL, each migration in its own transaction as vytal-host runs it.
    let pending = Command::new(host).args(["plan", "--sql"]).env("DATABASE_URL", plain(&url)).output()?;
    if !pending.status.success() {
        bail!("vytal-host plan failed: {}", String::from_utf8_lossy(&pending.stderr));
    }
    let steps = sections(&String::from_utf8_lossy(&pending.stdout));
    let up_file = out_dir.join("upgrade.sql");
    std::fs::write(&up_file, per_migration_transactions(&steps))?;

    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for round in 0..runs.clamp(1, 3) {
        let mut vytal = || -> anyhow::Result<()> {
            let u = rt.block_on(clone(server, "vytal_bench_upgrade_vytal"))?;
            ours.push(time(Command::new(host).arg("run").env("DATABASE_URL", plain(&u)))?);
            Ok(())
        };
        if round % 2 == 0 {
            vytal()?;
        }
        let u = rt.block_on(clone(server, "vytal_bench_upgrade_psql"))?;
        floor.push(time(
            Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &plain(&u), "-f"]).arg(&up_file),
        )?);
        if round % 2 == 1 {
            vytal()?;
        }
    }
    let f = median(&mut floor);
    rows.push((format!("upgrade 1.0.0 -> build, {total} rows: psql, same SQL and transactions (floor)"), f, None));
    let o = median(&mut ours);
    rows.push((
        format!("upgrade 1.0.0 -> build, {total} rows: vytal-host run, {} migrations", steps.len()),
        o,
        Some(o / f),
    ));

    // Once more, watched: ACCESS EXCLUSIVE holds per table, and each migration's time.
    let u = rt.block_on(clone(server, "vytal_bench_upgrade_vytal"))?;
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (stop, url) = (stop.clone(), plain(&format!("{server}/postgres")));
        std::thread::spawn(move || watch_locks(&url, "vytal_bench_upgrade_vytal", &stop))
    };
    let run = Command::new(host).args(["run", "--json"]).env("DATABASE_URL", plain(&u)).output()?;
    stop.store(true, Ordering::Relaxed);
    let held = watcher.join().map_err(|_| anyhow::anyhow!("the lock watcher panicked"))??;
    if !run.status.success() {
        bail!("vytal-host run failed: {}", String::from_utf8_lossy(&run.stderr));
    }
    let mut longest: Vec<(String, f64)> = held.into_iter().collect();
    longest.sort_by(|a, b| b.1.total_cmp(&a.1));
    if let Some((table, ms)) = longest.first() {
        rows.push((format!("upgrade: longest ACCESS EXCLUSIVE hold on a table ({table}), polled every ms"), *ms, None));
    }
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).context("vytal-host run --json output")?;
    let mut per = Vec::new();
    for m in report["migrations"].as_array().into_iter().flatten() {
        per.push(serde_json::json!({
            "migration": format!("{}/{}_{}", m["module"].as_str().unwrap_or(""), m["id"].as_str().unwrap_or(""), m["name"].as_str().unwrap_or("")),
            "version": m["version"],
            "ms": m["duration_ms"],
        }));
    }
    let locks: Vec<_> =
        longest.iter().map(|(t, ms)| serde_json::json!({ "table": t, "access_exclusive_ms": ms })).collect();
    std::fs::write(
        out_dir.join("upgrade.json"),
        serde_json::to_string_pretty(&serde_json::json!({ "rows": total, "migrations": per, "locks": locks }))?,
    )?;
    eprintln!("per-migration times and lock holds: {}", out_dir.join("upgrade.json").display());

    for db in [TEMPLATE, "vytal_bench_upgrade_vytal", "vytal_bench_upgrade_psql", &format!("{TEMPLATE}_vytal_scratch")]
    {
        rt.block_on(drop_db(server, db))?;
    }
    Ok(())
}

/// Polls `pg_locks` until `stop`: for each table of `database`, the longest
/// time one transaction held it under ACCESS EXCLUSIVE (first to last sighting).
fn watch_locks(url: &str, database: &str, stop: &AtomicBool) -> anyhow::Result<BTreeMap<String, f64>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let mut c = PgConnection::connect(url).await?;
        let mut seen: BTreeMap<(String, String), (Instant, Instant)> = BTreeMap::new();
        while !stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            let held: Vec<(String, String)> = sqlx::query_as(
                "SELECT l.relation::text, l.virtualtransaction FROM pg_locks l \
                 JOIN pg_database d ON d.oid = l.database \
                 WHERE d.datname = $1 AND l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.granted",
            )
            .bind(database)
            .fetch_all(&mut c)
            .await?;
            for key in held {
                seen.entry(key).and_modify(|(_, last)| *last = now).or_insert((now, now));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // Relation oids to names, in the upgraded database.
        let mut names = BTreeMap::new();
        let mut db = PgConnection::connect(&url.replace("/postgres?", &format!("/{database}?"))).await?;
        for (oid, _) in seen.keys() {
            let name: Option<(String, String)> =
                sqlx::query_as("SELECT relname::text, relkind::text FROM pg_class WHERE oid = $1::oid")
                    .bind(oid)
                    .fetch_optional(&mut db)
                    .await?;
            names.insert(oid.clone(), name);
        }
        db.close().await?;
        c.close().await?;
        let mut out: BTreeMap<String, f64> = BTreeMap::new();
        for ((oid, _), (first, last)) in seen {
            // Tables only: indexes being rebuilt and relations dropped since are left out.
            let Some(Some((name, kind))) = names.get(&oid) else { continue };
            if kind != "r" {
                continue;
            }
            let ms = (last - first).as_secs_f64() * 1000.0;
            let e = out.entry(name.clone()).or_insert(0.0);
            *e = e.max(ms);
        }
        Ok(out)
    })
}
