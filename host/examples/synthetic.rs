//! A synthetic scale case for `cargo xtask bench`: 100 modules of 10 migrations.
//!
//! The modules are generated in memory (nothing is committed), each requiring
//! the module before it and the one at half its index, so resolution has a
//! real graph to order. Prints JSON: resolve time, apply time (per-migration
//! transactions and --atomic) and psql's time on the same SQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Instant;

use sqlx::{AssertSqlSafe, Connection, PgConnection};
use vytal_host::{Catalog, Manifest, MigrationSource, ModuleSource, Quiet, RunOptions, Target};

const MODULES: usize = 100;
const PER_MODULE: usize = 10;

fn catalog_and_manifest() -> (Catalog, String) {
    let mut manifest = String::new();
    let mut modules = Vec::new();
    for m in 0..MODULES {
        let name = format!("m{m:03}");
        let _ = write!(manifest, "[modules.{name}]\nversion = \"1.0.0\"\n");
        let mut reqs = Vec::new();
        if m > 0 {
            reqs.push(format!("m{:03} = \"^1.0\"", m - 1));
        }
        if m > 1 && m / 2 != m - 1 {
            reqs.push(format!("m{:03} = \"^1.0\"", m / 2));
        }
        if !reqs.is_empty() {
            let _ = writeln!(manifest, "requires = {{ {} }}", reqs.join(", "));
        }
        manifest.push('\n');
        let migrations = (1..=PER_MODULE)
            .map(|i| {
                let table = format!("{name}_t{i:02}");
                let refers = if m > 0 { format!(", parent int REFERENCES m{:03}_t{i:02}", m - 1) } else { String::new() };
                MigrationSource {
                    version: "1.0.0".into(),
                    stem: format!("{i:04}_create_{table}"),
                    up: Cow::Owned(format!(
                        "CREATE TABLE {table} (id int PRIMARY KEY, label text NOT NULL DEFAULT ''{refers});\nCREATE INDEX {table}_label ON {table} (label);\n"
                    )),
                    down: Cow::Owned(format!("DROP TABLE {table};\n")),
                    up_path: format!("synthetic/{name}/{i:04}.up.sql"),
                }
            })
            .collect();
        modules.push(ModuleSource {
            name,
            version: "1.0.0".into(),
            dir: "synthetic".into(),
            migrations,
            plugins: Vec::new(),
        });
    }
    (Catalog { modules }, manifest)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn recreate(server: &str, db: &str) {
    let mut c = PgConnection::connect(&format!("{server}/postgres")).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{db}\""))).execute(&mut c).await.unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let server = arg("--server").unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432".into());
    let runs: usize = arg("--runs").map_or(3, |r| r.parse().unwrap());
    let sql_out = arg("--sql-out").unwrap_or_else(|| "synthetic.sql".into());
    let db = "vytal_bench_synthetic";

    let (catalog, manifest_text) = catalog_and_manifest();
    let mut plan_ms = Vec::new();
    let mut plan = None;
    for _ in 0..runs.max(5) {
        let t = Instant::now();
        let manifest = Manifest::parse(&manifest_text, "synthetic.toml").unwrap();
        plan = Some(vytal_host::resolve(&manifest, &catalog).unwrap());
        plan_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let plan = plan.unwrap();
    assert_eq!(plan.migrations().len(), MODULES * PER_MODULE);
    let sql: String = plan.migrations().iter().map(|m| m.up.as_ref()).collect();
    std::fs::write(&sql_out, sql).unwrap();

    let target = Target::from_url(&format!("{server}/{db}?sslmode=disable"), "bench").unwrap();
    let (mut apply, mut atomic, mut psql) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        for (atomic_run, out) in [(false, &mut apply), (true, &mut atomic)] {
            recreate(&server, db).await;
            let t = Instant::now();
            let options = RunOptions { atomic: atomic_run, ..RunOptions::default() };
            let r = vytal_host::run(&plan, &target, &options, &mut Quiet).await.unwrap();
            out.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(r.migrations.len(), MODULES * PER_MODULE);
        }
        recreate(&server, db).await;
        let t = Instant::now();
        let status = std::process::Command::new("psql")
            .args([
                "-X",
                "-q",
                "-1",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                &format!("{server}/{db}?sslmode=disable"),
                "-f",
                &sql_out,
            ])
            .status()
            .unwrap();
        psql.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(status.success());
    }
    let mut c = PgConnection::connect(&format!("{server}/postgres")).await.unwrap();
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)")))
        .execute(&mut c)
        .await
        .unwrap();
    println!(
        "{}",
        serde_json::json!({
            "migrations": MODULES * PER_MODULE,
            "plan_ms": median(&mut plan_ms),
            "apply_ms": median(&mut apply),
            "apply_atomic_ms": median(&mut atomic),
            "psql_ms": median(&mut psql),
        })
    );
}
