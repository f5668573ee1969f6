//! `cargo xtask bench`: vytal-host against its floor, measured in the same run.
//!
//! Every case is timed as whole processes, the way an operator runs them.
//! The floor for applying SQL is `psql -X -q -1 -f` of the exact SQL that
//! `vytal-host plan --all --sql` prints. Results are medians, printed as a
//! table and written to target/bench/report.json.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut runs = 5usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().context("--runs needs a number")?.parse().context("--runs needs a number")?,
            other => bail!("unknown bench option `{other}`; usage: cargo xtask bench [--runs N]"),
        }
    }
    if Command::new("psql").arg("--version").output().is_err() {
        bail!(
            "psql is not on PATH; it is the baseline the benchmark compares with (Debian: apt-get install postgresql-client)"
        );
    }
    let server =
        std::env::var("VYTAL_BENCH_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    eprintln!("building release binaries...");
    let dir =
        crate::cargo_build(true, &["--bin", "vytal-host", "--example", "synthetic", "--example", "plugin_bench"])?;
    let host = dir.join("vytal-host");
    let out_dir = crate::root().join("target").join("bench");
    std::fs::create_dir_all(&out_dir)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    let sql_file = out_dir.join("full.sql");
    let plan = Command::new(&host).args(["plan", "--all", "--sql"]).output()?;
    if !plan.status.success() {
        bail!("vytal-host plan failed: {}", String::from_utf8_lossy(&plan.stderr));
    }
    std::fs::write(&sql_file, &plan.stdout)?;

    let mut rows: Vec<(String, f64, Option<f64>)> = Vec::new();

    // Full apply: vytal-host (per-migration transactions, and --atomic) against psql -1.
    // Each timed run gets a database of its own, checked empty before it starts.
    let (mut ours, mut atomic, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let url = rt.block_on(fresh(&server, &format!("vytal_bench_run_{i}")))?;
        ours.push(time(Command::new(&host).arg("run").env("DATABASE_URL", &url))?);
        let url = rt.block_on(fresh(&server, &format!("vytal_bench_atomic_{i}")))?;
        atomic.push(time(Command::new(&host).args(["run", "--atomic"]).env("DATABASE_URL", &url))?);
        let url = rt.block_on(fresh(&server, &format!("vytal_bench_psql_{i}")))?;
        floor.push(time(
            Command::new("psql").args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", &url, "-f"]).arg(&sql_file),
        )?);
    }
    // A database migrated once, for the runs with nothing pending.
    let url = rt.block_on(fresh(&server, "vytal_bench_noop"))?;
    time(Command::new(&host).arg("run").env("DATABASE_URL", &url))?;
    let floor_ms = median(&mut floor);
    rows.push(("psql -X -q -1 -f (floor): full schema, 12 migrations".into(), floor_ms, None));
    let m = median(&mut ours);
    rows.push(("vytal-host run: full schema".into(), m, Some(m / floor_ms)));
    let m = median(&mut atomic);
    rows.push(("vytal-host run --atomic: full schema".into(), m, Some(m / floor_ms)));

    let mut noop = Vec::new();
    for _ in 0..(runs * 4).max(10) {
        noop.push(time(Command::new(&host).arg("run").env("DATABASE_URL", &url))?);
    }
    rows.push(("vytal-host run, nothing pending".into(), median(&mut noop), None));

    // verify of the whole database; the first call creates the scratch database once.
    time(Command::new(&host).arg("verify").env("DATABASE_URL", &url))?;
    let mut verify = Vec::new();
    for _ in 0..runs {
        verify.push(time(Command::new(&host).arg("verify").env("DATABASE_URL", &url))?);
    }
    rows.push(("vytal-host verify: full schema (history, drift, prerequisites)".into(), median(&mut verify), None));

    // Synthetic scale: 100 modules x 10 migrations, generated in memory.
    let synthetic = Command::new(dir.join("examples").join("synthetic"))
        .args(["--server", &server, "--runs", &runs.to_string(), "--sql-out"])
        .arg(out_dir.join("synthetic.sql"))
        .output()?;
    if !synthetic.status.success() {
        bail!("the synthetic benchmark failed: {}", String::from_utf8_lossy(&synthetic.stderr));
    }
    let s: serde_json::Value = serde_json::from_slice(&synthetic.stdout).context("synthetic output")?;
    let s_floor = s["psql_ms"].as_f64().unwrap_or(f64::NAN);
    rows.push((
        "synthetic 100x10: resolve + plan (in process)".into(),
        s["plan_ms"].as_f64().unwrap_or(f64::NAN),
        None,
    ));
    rows.push(("synthetic 100x10: psql -X -q -1 -f (floor)".into(), s_floor, None));
    let a = s["apply_ms"].as_f64().unwrap_or(f64::NAN);
    rows.push(("synthetic 100x10: vytal apply (in process)".into(), a, Some(a / s_floor)));
    let a = s["apply_atomic_ms"].as_f64().unwrap_or(f64::NAN);
    rows.push(("synthetic 100x10: vytal apply --atomic (in process)".into(), a, Some(a / s_floor)));

    plugins(&dir, &server, runs, &rt, &mut rows)?;

    for i in 0..runs {
        for kind in ["run", "atomic", "psql"] {
            rt.block_on(drop_db(&server, &format!("vytal_bench_{kind}_{i}")))?;
        }
    }
    rt.block_on(drop_db(&server, "vytal_bench_noop"))?;
    rt.block_on(drop_db(&server, "vytal_bench_noop_vytal_scratch"))?;
    println!("| case (median of {runs} runs) | ms | vs floor |\n|---|---:|---:|");
    for (label, ms, ratio) in &rows {
        println!("| {label} | {ms:.1} | {} |", ratio.map_or(String::new(), |r| format!("{r:.2}x")));
    }
    let json: Vec<_> =
        rows.iter().map(|(l, ms, r)| serde_json::json!({ "case": l, "median_ms": ms, "ratio_to_floor": r })).collect();
    std::fs::write(out_dir.join("report.json"), serde_json::to_string_pretty(&json)?)?;
    eprintln!("written to {}", out_dir.join("report.json").display());
    Ok(())
}

/// Plugin costs: load and call (in process), and the write path against psql's `\copy` of the same rows.
fn plugins(
    dir: &std::path::Path,
    server: &str,
    runs: usize,
    rt: &tokio::runtime::Runtime,
    rows: &mut Vec<(String, f64, Option<f64>)>,
) -> anyhow::Result<()> {
    let bench = dir.join("examples").join("plugin_bench");
    let out = Command::new(&bench).arg("load").output()?;
    if !out.status.success() {
        bail!("the plugin load benchmark failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).context("plugin_bench output")?;
    let get = |k: &str| p[k].as_f64().unwrap_or(f64::NAN);
    rows.push(("plugin: first load (Cranelift compile), medications verify".into(), get("first_load_ms"), None));
    rows.push(("plugin: cached load (read, link, describe)".into(), get("cached_load_ms"), None));
    rows.push(("plugin: one invocation (store, instantiate, call, drop)".into(), get("invocation_ms"), None));

    // Write path: a plugin writes N medications and N schedules through typed batches (binary COPY);
    // the floor is psql loading the very same rows with \copy (binary) into the same schema.
    let root = crate::root();
    let wasm = vytal_contract::build::build_plugin(
        &root.join("tests/plugins/bulk"),
        &vytal_contract::build::plugin_target_dir(&root),
    )
    .map_err(anyhow::Error::msg)?;
    let per_table: u32 = 500_000;
    let host = dir.join("vytal-host");
    let user = "INSERT INTO users (id, email, \"firstName\", \"lastName\") VALUES ('00000000-0000-4000-8000-000000000001', 'bench@example.org', 'Bench', 'Patient')";
    let prepare = |db: &str| -> anyhow::Result<String> {
        let url = rt.block_on(fresh(server, db))?;
        time(Command::new(&host).arg("run").env("DATABASE_URL", &url))?;
        time(Command::new("psql").args(["-X", "-q", "-d", &url, "-c", user]))?;
        Ok(url)
    };
    let files = crate::root().join("target").join("bench");
    let (meds, schedules) = (files.join("medications.copy"), files.join("medication_schedules.copy"));
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    let rounds = runs.clamp(1, 3);
    for _ in 0..rounds {
        let url = prepare("vytal_bench_seed")?;
        let t = Instant::now();
        let out = Command::new(&bench).args(["seed", &url]).arg(&wasm).arg(per_table.to_string()).output()?;
        if !out.status.success() {
            bail!("the plugin seed benchmark failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        ours.push(t.elapsed().as_secs_f64() * 1000.0);
        let dump =
            |table: &str, file: &std::path::Path| format!("\\copy \"{table}\" TO '{}' (FORMAT binary)", file.display());
        time(Command::new("psql").args([
            "-X",
            "-q",
            "-d",
            &url,
            "-c",
            &dump("medications", &meds),
            "-c",
            &dump("medication_schedules", &schedules),
        ]))?;
        let url = prepare("vytal_bench_copy")?;
        let load = |table: &str, file: &std::path::Path| {
            format!("\\copy \"{table}\" FROM '{}' (FORMAT binary)", file.display())
        };
        floor.push(time(Command::new("psql").args([
            "-X",
            "-q",
            "-1",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &url,
            "-c",
            &load("medications", &meds),
            "-c",
            &load("medication_schedules", &schedules),
        ]))?);
    }
    for db in ["vytal_bench_seed", "vytal_bench_seed_vytal_scratch", "vytal_bench_copy"] {
        rt.block_on(drop_db(server, db))?;
    }
    let _ = std::fs::remove_file(&meds);
    let _ = std::fs::remove_file(&schedules);
    let total = f64::from(per_table) * 2.0;
    let f = median(&mut floor);
    rows.push((format!("psql \\copy (binary) of the same {total:.0} rows (floor), median of {rounds}"), f, None));
    let o = median(&mut ours);
    rows.push((
        format!("plugin seed: {total:.0} rows through typed batches, whole process, median of {rounds}"),
        o,
        Some(o / f),
    ));
    Ok(())
}

fn time(cmd: &mut Command) -> anyhow::Result<f64> {
    let t = Instant::now();
    let out = cmd.output().context("cannot start a benchmarked command")?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if !out.status.success() {
        bail!("benchmarked command {cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(ms)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Creates an empty database and returns its URL; fails if it is not empty.
async fn fresh(server: &str, db: &str) -> anyhow::Result<String> {
    drop_db(server, db).await?;
    let mut c = PgConnection::connect(&format!("{server}/postgres")).await.context("benchmark server")?;
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{db}\""))).execute(&mut c).await?;
    c.close().await?;
    let url = format!("{server}/{db}");
    let mut c = PgConnection::connect(&url).await?;
    let objects: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
    )
    .fetch_one(&mut c)
    .await?;
    c.close().await?;
    if objects > 0 {
        bail!("the new database {db} already holds {objects} relation(s): template1 on {server} is not empty");
    }
    Ok(url)
}

async fn drop_db(server: &str, db: &str) -> anyhow::Result<()> {
    let mut c = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .with_context(|| format!("no PostgreSQL answers at {server}; start one or set VYTAL_BENCH_SERVER"))?;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))).execute(&mut c).await?;
    c.close().await?;
    Ok(())
}
