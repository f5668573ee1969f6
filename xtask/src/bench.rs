//! `cargo xtask bench`: vytal-host against its floor, measured in the same run.
//!
//! Every case is timed as whole processes, the way an operator runs them.
//! The floor for applying SQL is `psql -X -q -f` of the exact SQL that
//! `vytal-host plan --all --sql` prints, each migration in its own
//! transaction as vytal-host runs it (`-- vytal:no-transaction` ones
//! outside any); `psql -1` and `run --atomic` only when the plan has no
//! such migration, since those cannot run inside one transaction. Every tool connects without TLS
//! (what TLS costs is a case of its own). The peers section times refinery
//! and sqlx-cli on the same SQL when installed. Results are medians, printed as a
//! table and written to target/bench/report.json.

use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let mut runs = 5usize;
    let mut only_peers = false;
    let mut only_upgrade = false;
    let mut at: Option<semver::Version> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--runs" => runs = it.next().context("--runs needs a number")?.parse().context("--runs needs a number")?,
            "--peers" => only_peers = true,
            "--upgrade" => only_upgrade = true,
            "--at" => {
                let v = it.next().context("--at needs a module version, e.g. --at 1.1.0")?;
                at = Some(
                    semver::Version::parse(v).with_context(|| format!("--at {v}: not a version; write e.g. 1.1.0"))?,
                );
            }
            other => bail!(
                "unknown bench option `{other}`; usage: cargo xtask bench [--runs N] [--peers [--at VERSION] | --upgrade]"
            ),
        }
    }
    if at.is_some() && !only_peers {
        bail!("--at goes with --peers: cargo xtask bench --peers --at 1.1.0");
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

    // --at V: every module as it stood at V (its newest version not above V),
    // given to `plan` and `run` as --to MODULE@VERSION.
    let to = match &at {
        Some(v) => to_args(&host, v)?,
        None => Vec::new(),
    };
    let sql_file = out_dir.join("full.sql");
    let plan = Command::new(&host).args(["plan", "--all", "--sql"]).args(&to).output()?;
    if !plan.status.success() {
        bail!("vytal-host plan failed: {}", String::from_utf8_lossy(&plan.stderr));
    }
    std::fs::write(&sql_file, &plan.stdout)?;
    let steps = sections(&String::from_utf8_lossy(&plan.stdout));
    let migrations = steps.len();
    let outside = steps.iter().filter(|(_, body)| no_transaction(body)).count();
    let one_transaction = outside == 0;
    if !one_transaction {
        eprintln!(
            "{outside} of the {migrations} migrations run outside a transaction (-- vytal:no-transaction): \
             `run --atomic` and `psql -1` cannot apply this plan and are left out"
        );
    }
    let wrapped_file = out_dir.join("full-per-migration.sql");
    std::fs::write(&wrapped_file, per_migration_transactions(&steps))?;

    let mut rows: Rows = Vec::new();
    if only_upgrade {
        crate::upgrade::bench(&host, &server, runs, upgrade_count()?, &rt, &mut rows)?;
        return report(&rows, runs, &out_dir);
    }
    peers(&host, &to, &server, runs, &rt, &steps, &wrapped_file, &mut rows)?;
    if only_peers {
        return Ok(());
    }

    // Full apply: vytal-host (per-migration transactions) against psql with the same
    // transactions; --atomic against psql -1 when the plan allows one transaction.
    // Each timed run gets a database of its own, checked empty before it starts.
    let (mut ours, mut floor, mut atomic, mut floor_1) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..runs {
        let url = rt.block_on(fresh(&server, &format!("vytal_bench_run_{i}")))?;
        ours.push(time(Command::new(&host).arg("run").env("DATABASE_URL", plain(&url)))?);
        let url = rt.block_on(fresh(&server, &format!("vytal_bench_psql_{i}")))?;
        floor.push(time(
            Command::new("psql")
                .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &plain(&url), "-f"])
                .arg(&wrapped_file),
        )?);
        if one_transaction {
            let url = rt.block_on(fresh(&server, &format!("vytal_bench_atomic_{i}")))?;
            atomic.push(time(Command::new(&host).args(["run", "--atomic"]).env("DATABASE_URL", plain(&url)))?);
            let url = rt.block_on(fresh(&server, &format!("vytal_bench_psql1_{i}")))?;
            floor_1.push(time(
                Command::new("psql")
                    .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-d", &plain(&url), "-f"])
                    .arg(&sql_file),
            )?);
        }
    }
    // A database migrated once, for the runs with nothing pending.
    let url = rt.block_on(fresh(&server, "vytal_bench_noop"))?;
    time(Command::new(&host).arg("run").env("DATABASE_URL", plain(&url)))?;
    let floor_ms = median(&mut floor);
    rows.push((
        format!("psql -X -q -f, each migration in its own transaction (floor): full schema, {migrations} migrations"),
        floor_ms,
        None,
    ));
    let m = median(&mut ours);
    rows.push(("vytal-host run: full schema".into(), m, Some(m / floor_ms)));
    if one_transaction {
        let f = median(&mut floor_1);
        rows.push(("psql -X -q -1 -f (floor): full schema in one transaction".into(), f, None));
        let m = median(&mut atomic);
        rows.push(("vytal-host run --atomic: full schema".into(), m, Some(m / f)));
    }

    let mut noop = Vec::new();
    for _ in 0..(runs * 4).max(10) {
        noop.push(time(Command::new(&host).arg("run").env("DATABASE_URL", plain(&url)))?);
    }
    rows.push(("vytal-host run, nothing pending".into(), median(&mut noop), None));

    // What TLS costs (sslmode=require against the same server): everything
    // above goes without, like every peer.
    let mut tls_noop = Vec::new();
    for _ in 0..(runs * 4).max(10) {
        tls_noop.push(time(Command::new(&host).arg("run").env("DATABASE_URL", tls(&url)))?);
    }
    let plain_noop = median(&mut noop);
    let m = median(&mut tls_noop);
    rows.push(("vytal-host run, nothing pending, TLS (sslmode=require)".into(), m, Some(m / plain_noop)));
    let mut tls_apply = Vec::new();
    for i in 0..runs {
        let u = rt.block_on(fresh(&server, &format!("vytal_bench_tls_{i}")))?;
        tls_apply.push(time(Command::new(&host).arg("run").env("DATABASE_URL", tls(&u)))?);
        rt.block_on(drop_db(&server, &format!("vytal_bench_tls_{i}")))?;
    }
    let m = median(&mut tls_apply);
    rows.push(("vytal-host run: full schema, TLS (sslmode=require)".into(), m, Some(m / floor_ms)));

    // verify of the whole database; the first call creates the scratch database once.
    time(Command::new(&host).arg("verify").env("DATABASE_URL", plain(&url)))?;
    let mut verify = Vec::new();
    for _ in 0..runs {
        verify.push(time(Command::new(&host).arg("verify").env("DATABASE_URL", plain(&url)))?);
    }
    rows.push(("vytal-host verify: full schema, expected schema from the cache".into(), median(&mut verify), None));
    let mut replayed = Vec::new();
    for _ in 0..runs {
        replayed.push(time(Command::new(&host).args(["verify", "--replay"]).env("DATABASE_URL", plain(&url)))?);
    }
    rows.push(("vytal-host verify --replay: full schema, replayed".into(), median(&mut replayed), None));

    // check of every migration the build carries: each taken up, down and up
    // again in the scratch database with the catalog read around each step,
    // and each file linted. The floor is one plain apply of the same SQL.
    let mut check = Vec::new();
    for _ in 0..runs {
        check.push(time(Command::new(&host).arg("check").env("DATABASE_URL", plain(&url)))?);
    }
    let m = median(&mut check);
    rows.push((format!("vytal-host check: {migrations} migrations up, down, up, linted"), m, Some(m / floor_ms)));

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

    plugins(&dir, &mut rows)?;
    seed(&host, &server, runs, &rt, &mut rows)?;
    crate::upgrade::bench(&host, &server, runs, upgrade_count()?, &rt, &mut rows)?;

    for i in 0..runs {
        for kind in ["run", "atomic", "psql", "psql1"] {
            rt.block_on(drop_db(&server, &format!("vytal_bench_{kind}_{i}")))?;
        }
    }
    rt.block_on(drop_db(&server, "vytal_bench_noop"))?;
    rt.block_on(drop_db(&server, "vytal_bench_noop_vytal_scratch"))?;
    rt.block_on(drop_db(&server, "vytal_bench_noop_vytal_scratch2"))?;
    report(&rows, runs, &out_dir)
}

/// Splits `plan --sql` output into (header, body) per migration.
pub(crate) fn sections(sql: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in sql.lines() {
        if let Some(h) = line.strip_prefix("-- ==== ") {
            out.push((h.to_owned(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// Whether a migration's SQL runs outside a transaction.
pub(crate) fn no_transaction(body: &str) -> bool {
    body.lines().any(|l| l.trim() == "-- vytal:no-transaction")
}

/// The migrations as psql should run them to match vytal-host: each in its
/// own transaction, `-- vytal:no-transaction` ones outside any.
pub(crate) fn per_migration_transactions(steps: &[(String, String)]) -> String {
    let mut out = String::new();
    for (header, body) in steps {
        out.push_str(&format!("-- ==== {header}\n"));
        if no_transaction(body) {
            out.push_str(body);
        } else {
            out.push_str(&format!("BEGIN;\n{body}\nCOMMIT;\n"));
        }
    }
    out
}

/// Benchmark results: (case, median milliseconds, ratio to the case's floor).
pub(crate) type Rows = Vec<(String, f64, Option<f64>)>;

/// Prints the table and writes target/bench/report.json.
fn report(rows: &Rows, runs: usize, out_dir: &std::path::Path) -> anyhow::Result<()> {
    println!("| case (median of {runs} runs) | ms | vs floor |\n|---|---:|---:|");
    for (label, ms, ratio) in rows {
        println!("| {label} | {ms:.1} | {} |", ratio.map_or(String::new(), |r| format!("{r:.2}x")));
    }
    let json: Vec<_> =
        rows.iter().map(|(l, ms, r)| serde_json::json!({ "case": l, "median_ms": ms, "ratio_to_floor": r })).collect();
    std::fs::write(out_dir.join("report.json"), serde_json::to_string_pretty(&json)?)?;
    eprintln!("written to {}", out_dir.join("report.json").display());
    Ok(())
}

/// Plugin costs: load and call, in process.
fn plugins(dir: &std::path::Path, rows: &mut Rows) -> anyhow::Result<()> {
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

    Ok(())
}

/// Patients for the seed benchmark: about 1,000,000 rows in all.
const SEED_COUNT: u64 = 21_000;

/// SEED_COUNT, or VYTAL_BENCH_SEED_COUNT when set.
fn seed_count() -> anyhow::Result<u64> {
    count_or(SEED_COUNT)
}

/// The upgrade benchmark's count, or VYTAL_BENCH_SEED_COUNT when set.
fn upgrade_count() -> anyhow::Result<u64> {
    count_or(crate::upgrade::SEED_COUNT)
}

fn count_or(default: u64) -> anyhow::Result<u64> {
    match std::env::var("VYTAL_BENCH_SEED_COUNT") {
        Ok(v) => v.parse().context("VYTAL_BENCH_SEED_COUNT must be a number"),
        Err(_) => Ok(default),
    }
}

/// `vytal-host seed` of about a million rows into a fresh database, against
/// psql loading the very same rows (dumped from that database) with `\copy`
/// into another fresh database with the same schema; and peak memory at two
/// sizes, which must not grow with the count.
fn seed(
    host: &std::path::Path,
    server: &str,
    runs: usize,
    rt: &tokio::runtime::Runtime,
    rows: &mut Rows,
) -> anyhow::Result<()> {
    let count = seed_count()?;
    let migrated = |db: &str| -> anyhow::Result<String> {
        let url = rt.block_on(fresh(server, db))?;
        time(Command::new(host).arg("run").env("DATABASE_URL", plain(&url)))?;
        Ok(url)
    };
    // Peak memory through GNU time, when it is there.
    let gnu_time = std::path::Path::new("/usr/bin/time").exists();
    let seeded = |url: &str, n: u64| -> anyhow::Result<(f64, serde_json::Value, Option<f64>)> {
        let mut cmd = if gnu_time {
            let mut c = Command::new("/usr/bin/time");
            c.args(["-f", "peak-rss-kib %M"]).arg(host);
            c
        } else {
            Command::new(host)
        };
        cmd.args(["seed", "--json", "--count", &n.to_string()]).env("DATABASE_URL", plain(url));
        let t = Instant::now();
        let out = cmd.output().context("cannot start vytal-host seed")?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        if !out.status.success() {
            bail!("vytal-host seed failed: {}", String::from_utf8_lossy(&out.stderr));
        }
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).context("vytal-host seed --json output")?;
        let rss = String::from_utf8_lossy(&out.stderr)
            .lines()
            .find_map(|l| l.strip_prefix("peak-rss-kib ").and_then(|k| k.trim().parse::<f64>().ok()));
        Ok((ms, report, rss.map(|k| k / 1024.0)))
    };
    let files = crate::root().join("target").join("bench").join("seed");
    std::fs::create_dir_all(&files)?;
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    let mut last = serde_json::Value::Null;
    let mut peak = None;
    let rounds = runs.clamp(1, 3);
    for _ in 0..rounds {
        let url = migrated("vytal_bench_seed")?;
        let (ms, report, rss) = seeded(&url, count)?;
        ours.push(ms);
        peak = rss;
        // The same rows, dumped table by table in the order the seed wrote them.
        let mut tables: Vec<String> = Vec::new();
        for t in report["tables"].as_array().into_iter().flatten() {
            if let Some(name) = t["table"].as_str()
                && !tables.iter().any(|x| x == name)
            {
                tables.push(name.to_owned());
            }
        }
        let mut dump = Command::new("psql");
        dump.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url]);
        let mut load = Command::new("psql");
        load.args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1"]);
        for t in &tables {
            let file = files.join(format!("{t}.copy"));
            dump.args(["-c", &format!("\\copy \"{t}\" TO '{}' (FORMAT binary)", file.display())]);
            load.args(["-c", &format!("\\copy \"{t}\" FROM '{}' (FORMAT binary)", file.display())]);
        }
        time(&mut dump)?;
        let copy_url = migrated("vytal_bench_copy")?;
        floor.push(time(load.args(["-d", &plain(&copy_url)]))?);
        last = report;
    }
    // Memory at a quarter of the size: streaming keeps it flat.
    let url = migrated("vytal_bench_seed_small")?;
    let (_, _, small_peak) = seeded(&url, (count / 4).max(1))?;
    for db in [
        "vytal_bench_seed",
        "vytal_bench_seed_vytal_scratch",
        "vytal_bench_copy",
        "vytal_bench_seed_small",
        "vytal_bench_seed_small_vytal_scratch",
    ] {
        rt.block_on(drop_db(server, db))?;
    }
    let _ = std::fs::remove_dir_all(&files);
    let total: u64 = last["rows"].as_object().map_or(0, |r| r.values().filter_map(serde_json::Value::as_u64).sum());
    let tables = last["rows"].as_object().map_or(0, |r| r.len());
    let f = median(&mut floor);
    rows.push((
        format!("psql \\copy (binary) of the same {total} rows, {tables} tables (floor), median of {rounds}"),
        f,
        None,
    ));
    let o = median(&mut ours);
    rows.push((
        format!("vytal-host seed --count {count}: {total} rows, whole process, median of {rounds}"),
        o,
        Some(o / f),
    ));
    if let (Some(big), Some(small)) = (peak, small_peak) {
        rows.push((
            format!("vytal-host seed peak RSS (MiB) at --count {count}; {small:.1} MiB at a quarter of it"),
            big,
            None,
        ));
    }
    for t in last["tables"].as_array().into_iter().flatten() {
        let (Some(name), Some(n), Some(ms), Some(rate)) =
            (t["table"].as_str(), t["rows"].as_u64(), t["ms"].as_f64(), t["rows_per_second"].as_f64())
        else {
            continue;
        };
        rows.push((
            format!("  seed {name}: {n} rows, {rate:.0} rows/s ({})", t["source"].as_str().unwrap_or("")),
            ms,
            None,
        ));
    }
    Ok(())
}

pub(crate) fn time(cmd: &mut Command) -> anyhow::Result<f64> {
    let t = Instant::now();
    let out = cmd.output().context("cannot start a benchmarked command")?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    if !out.status.success() {
        bail!("benchmarked command {cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(ms)
}

pub(crate) fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Creates an empty database and returns its URL; fails if it is not empty.
pub(crate) async fn fresh(server: &str, db: &str) -> anyhow::Result<String> {
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

pub(crate) async fn drop_db(server: &str, db: &str) -> anyhow::Result<()> {
    let mut c = PgConnection::connect(&format!("{server}/postgres"))
        .await
        .with_context(|| format!("no PostgreSQL answers at {server}; start one or set VYTAL_BENCH_SERVER"))?;
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))).execute(&mut c).await?;
    c.close().await?;
    Ok(())
}

/// A migration tool in the peers comparison: how to apply every migration
/// to a database, and how to run again with nothing to do.
struct Peer {
    name: &'static str,
    apply: Box<dyn Fn(&str) -> Command>,
    noop: Box<dyn Fn(&str) -> Command>,
}

/// Whether `bin --version` runs.
fn installed(bin: &str) -> bool {
    Command::new(bin).arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The URL with TLS off. The server offers TLS and every tool here would take
/// it by default, at a different cost each; all go without, like against
/// like, and the TLS cost is measured on its own.
pub(crate) fn plain(url: &str) -> String {
    format!("{url}?sslmode=disable")
}

/// The URL with TLS required.
pub(crate) fn tls(url: &str) -> String {
    format!("{url}?sslmode=require")
}

/// vytal-host against refinery and sqlx-cli (when installed) and psql, on the
/// same SQL, over TCP without TLS, rounds rotated across tools so that
/// background load falls on all alike: full apply (and in one transaction,
/// when the plan allows), a run with nothing to do, and peak memory. A tool
/// that cannot run a `-- vytal:no-transaction` migration is left out of a
/// plan that has one, saying so: refinery runs each migration in a
/// transaction, and sqlx-cli sends one as a single multi-statement query,
/// which PostgreSQL wraps in an implicit transaction.
#[allow(clippy::too_many_arguments)]
pub fn peers(
    host: &std::path::Path,
    to: &[String],
    server: &str,
    runs: usize,
    rt: &tokio::runtime::Runtime,
    steps: &[(String, String)],
    wrapped_file: &std::path::Path,
    rows: &mut Rows,
) -> anyhow::Result<()> {
    let dir = crate::root().join("target").join("bench").join("peers");
    let _ = std::fs::remove_dir_all(&dir);
    let (refinery_dir, sqlx_dir) = (dir.join("refinery"), dir.join("sqlx"));
    std::fs::create_dir_all(&refinery_dir)?;
    std::fs::create_dir_all(&sqlx_dir)?;
    // One file per migration, cut from `plan --all --sql` at its `-- ==== module/id_name` headers;
    // sqlx reads `-- no-transaction` on a migration's first line.
    let n = steps.len();
    let one_transaction = !steps.iter().any(|(_, body)| no_transaction(body));
    for (i, (header, body)) in steps.iter().enumerate() {
        let label = header.split_whitespace().next().unwrap_or_default();
        let stem: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let text = format!("-- ==== {header}\n{body}");
        std::fs::write(refinery_dir.join(format!("V{}__{stem}.sql", i + 1)), &text)?;
        let sqlx_text = if no_transaction(body) { format!("-- no-transaction\n{text}") } else { text };
        std::fs::write(sqlx_dir.join(format!("{:04}_{stem}.sql", i + 1)), sqlx_text)?;
    }

    let mut peers: Vec<Peer> = Vec::new();
    let vytal = |args: &'static [&'static str]| -> Box<dyn Fn(&str) -> Command> {
        let h = host.to_path_buf();
        let to = to.to_vec();
        Box::new(move |url| {
            let mut c = Command::new(&h);
            c.args(args).args(&to).env("DATABASE_URL", plain(url));
            c
        })
    };
    peers.push(Peer { name: "vytal-host run", apply: vytal(&["run"]), noop: vytal(&["run"]) });
    if one_transaction {
        peers.push(Peer {
            name: "vytal-host run --atomic",
            apply: vytal(&["run", "--atomic"]),
            noop: vytal(&["run", "--atomic"]),
        });
    }
    let file = wrapped_file.to_path_buf();
    peers.push(Peer {
        name: "psql -f (same SQL, same transactions)",
        apply: Box::new(move |url| {
            let mut c = Command::new("psql");
            c.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &plain(url), "-f"]).arg(&file);
            c
        }),
        noop: Box::new(|url| {
            let mut c = Command::new("psql");
            c.args(["-X", "-q", "-d", &plain(url), "-c", "SELECT 1"]);
            c
        }),
    });
    if !one_transaction {
        eprintln!(
            "refinery runs every migration in a transaction, and this plan has migrations that cannot run in one: it is left out"
        );
    } else if installed("refinery") {
        for (name, grouped) in [("refinery migrate", false), ("refinery migrate -g (one transaction)", true)] {
            let make = {
                let d = refinery_dir.clone();
                move |url: &str| {
                    let mut c = Command::new("refinery");
                    c.args(["migrate", "-e", "VYTAL_PEER_URL", "-p"]).arg(&d).env("VYTAL_PEER_URL", plain(url));
                    if grouped {
                        c.arg("-g");
                    }
                    c
                }
            };
            peers.push(Peer { name, apply: Box::new(make.clone()), noop: Box::new(make) });
        }
    } else {
        eprintln!("refinery is not installed, so it is left out; to compare: cargo install --locked refinery_cli");
    }
    if !one_transaction {
        eprintln!(
            "sqlx-cli sends a `-- no-transaction` migration as one multi-statement query, which PostgreSQL \
             runs as one implicit transaction, so this plan's CONCURRENTLY statements fail there: it is left out \
             (compare on a plan it can run: --at 1.1.0)"
        );
    } else if installed("sqlx") {
        let make = {
            let d = sqlx_dir.clone();
            move |url: &str| {
                let mut c = Command::new("sqlx");
                c.args(["migrate", "run", "--source"]).arg(&d).args(["--database-url", &plain(url)]);
                c
            }
        };
        peers.push(Peer { name: "sqlx migrate run", apply: Box::new(make.clone()), noop: Box::new(make) });
    } else {
        eprintln!(
            "sqlx-cli is not installed, so it is left out; to compare: \
             cargo install --locked sqlx-cli --no-default-features --features postgres,rustls"
        );
    }

    let mut apply: Vec<Vec<f64>> = vec![Vec::new(); peers.len()];
    let mut noop: Vec<Vec<f64>> = vec![Vec::new(); peers.len()];
    for round in 0..runs {
        for k in 0..peers.len() {
            let i = (k + round) % peers.len();
            let url = rt.block_on(fresh(server, &format!("vytal_peer_{i}")))?;
            apply[i].push(time(&mut (peers[i].apply)(&url))?);
            for _ in 0..3 {
                noop[i].push(time(&mut (peers[i].noop)(&url))?);
            }
        }
    }
    // Peak memory of one more full apply each, measured by /usr/bin/time.
    let rss: Vec<Option<f64>> = peers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let url = rt.block_on(fresh(server, &format!("vytal_peer_{i}"))).ok()?;
            let cmd = (p.apply)(&url);
            let out = Command::new("/usr/bin/time")
                .args(["-f", "maxrss_kb=%M"])
                .arg(cmd.get_program())
                .args(cmd.get_args())
                .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .output()
                .ok()?;
            let err = String::from_utf8_lossy(&out.stderr);
            let kb: f64 = err.lines().rev().find_map(|l| l.strip_prefix("maxrss_kb="))?.trim().parse().ok()?;
            Some(kb / 1024.0)
        })
        .collect();
    for i in 0..peers.len() {
        rt.block_on(drop_db(server, &format!("vytal_peer_{i}")))?;
    }

    let medians: Vec<(f64, f64)> = apply.iter_mut().zip(noop.iter_mut()).map(|(a, n)| (median(a), median(n))).collect();
    let refinery = peers.iter().position(|p| p.name == "refinery migrate").map(|i| medians[i].0);
    println!(
        "\npeers: {n} migrations over TCP without TLS, median of {runs} rounds rotated across tools \
         (no-op: {} runs each)\n\n| tool | full apply ms | vs refinery | nothing to do ms | peak RSS MiB |\n|---|---:|---:|---:|---:|",
        runs * 3
    );
    for (i, p) in peers.iter().enumerate() {
        let (a, z) = medians[i];
        let vs = refinery.map_or(String::new(), |r| format!("{:.2}x", a / r));
        let mem = rss[i].map_or(String::from("?"), |m| format!("{m:.1}"));
        println!("| {} | {a:.1} | {vs} | {z:.1} | {mem} |", p.name);
        rows.push((format!("peers: {}, full apply", p.name), a, refinery.map(|r| a / r)));
        rows.push((format!("peers: {}, nothing to do", p.name), z, None));
    }
    println!();
    Ok(())
}

/// `--to MODULE@VERSION` for every module, at its newest version not above `at`.
fn to_args(host: &std::path::Path, at: &semver::Version) -> anyhow::Result<Vec<String>> {
    let out = Command::new(host).args(["graph", "--json"]).output()?;
    if !out.status.success() {
        bail!("vytal-host graph failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let graph: serde_json::Value = serde_json::from_slice(&out.stdout).context("vytal-host graph --json")?;
    let mut newest: std::collections::BTreeMap<String, semver::Version> = std::collections::BTreeMap::new();
    for node in graph["modules"].as_array().into_iter().flatten() {
        let (Some(m), Some(v)) = (node["module"].as_str(), node["version"].as_str()) else { continue };
        let v = semver::Version::parse(v)?;
        if v <= *at && newest.get(m).is_none_or(|n| v > *n) {
            newest.insert(m.to_owned(), v);
        }
    }
    let all: std::collections::BTreeSet<&str> =
        graph["modules"].as_array().into_iter().flatten().filter_map(|n| n["module"].as_str()).collect();
    let missing: Vec<&str> = all.iter().copied().filter(|m| !newest.contains_key(*m)).collect();
    if !missing.is_empty() {
        bail!(
            "--at {at}: {} had no version at or below it; give a version every module had, e.g. 1.0.0",
            missing.join(", ")
        );
    }
    Ok(newest.iter().flat_map(|(m, v)| ["--to".to_owned(), format!("{m}@{v}")]).collect())
}
