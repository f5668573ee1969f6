//! `cargo xtask`: the one-command paths for people working on vytal.
//!
//! - `cargo xtask migrate [ARGS]`: builds vytal-host and runs `vytal-host run ARGS`
//!   against the database vytal-host would pick (the nearest `.env` read
//!   first): DATABASE_URL, else the DB_* variables, else a local `vytalwatch`
//!   database (created if missing), else a private PostgreSQL cluster under target/.
//! - `cargo xtask seed [ARGS]`: the same database; applies what is pending,
//!   then runs `vytal-host seed ARGS`.
//! - `cargo xtask bench [--runs N] [--peers [--at V] | --upgrade]`: measures vytal-host
//!   against psql on the same SQL, in the same run (`--upgrade`: only the
//!   1.0.0 upgrade of about a million rows, with its table locks).
//! - `cargo xtask hot-text`: traces a deploy's commands under callgrind, in a
//!   release and a dist build, and writes `host/hot-text.ld`, which lays the
//!   code they run out together.
//! - `cargo xtask plugin build DIR`: builds the plugin crate in DIR to a
//!   WebAssembly component (installing the wasm target if missing).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bench;
mod cluster;
mod hot_text;
mod upgrade;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("migrate") => migrate(&args[1..]),
        Some("seed") => seed(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("plugin") => plugin(&args[1..]),
        Some("hot-text") => hot_text::run(&args[1..]),
        Some("-h" | "--help") | None => {
            println!("{}", USAGE);
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!("unknown task `{other}`\n\n{USAGE}")),
    };
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  migrate [--private] [RUN ARGS]  build vytal-host and apply every pending migration to
                                  DATABASE_URL (.env is read first), else the DB_* variables,
                                  else the local `vytalwatch` database (created if missing),
                                  else a private cluster under target/vytal-pg.
                                  --private skips straight to the private cluster; other
                                  arguments go to `vytal-host run` (e.g. --module medications)
  seed [--private] [SEED ARGS]    the same database: apply what is pending, then fill every
                                  table with test data (`vytal-host seed`, e.g. --count 500)
  bench [--runs N] [--peers [--at V] | --upgrade]
                                  time vytal-host against psql on the same SQL (release build);
                                  --peers: against refinery and sqlx-cli only (--at 1.1.0: the
                                  plan as it stood at that module version, which refinery can
                                  run); --upgrade: only 1.0.0 -> build on about a million rows,
                                  with its table locks
  hot-text                        build release and dist, trace a deploy under valgrind (`run`
                                  with and without --to, a run with nothing to do, `status` also
                                  over TLS, `run --atomic`) and rewrite host/hot-text.ld, which
                                  gathers the code they execute in one place in the binary (less
                                  memory per command); takes minutes; commit the result
  plugin build DIR                build the plugin crate in DIR to a WebAssembly component
                                  (installs the wasm32-unknown-unknown target if missing) and
                                  print the .wasm path, for `vytal-host verify --plugin PATH`";

fn plugin(args: &[String]) -> anyhow::Result<()> {
    let [verb, dir] = args else { bail!("usage: cargo xtask plugin build DIR") };
    if verb != "build" {
        bail!("unknown plugin task `{verb}`; usage: cargo xtask plugin build DIR");
    }
    let dir = std::fs::canonicalize(dir).with_context(|| format!("no plugin folder {dir}"))?;
    let wasm = vytal_contract::build::build_plugin(&dir, &vytal_contract::build::plugin_target_dir(&root()))
        .map_err(anyhow::Error::msg)?;
    println!("{}", wasm.display());
    Ok(())
}

/// The workspace root, from this crate's location, never the current directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Builds vytal-host (and, for benches, extra targets) with cargo.
pub fn cargo_build(release: bool, extra: &[&str]) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root()).args(["build", "-p", "vytal-host"]).args(extra);
    if release {
        // The benchmark's output is its table.
        cmd.args(["--release", "--quiet"]);
    }
    // Otherwise cargo's progress shows: a first build takes minutes.
    let status = cmd.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("building vytal-host failed");
    }
    Ok(root().join("target").join(if release { "release" } else { "debug" }))
}

fn migrate(args: &[String]) -> anyhow::Result<()> {
    let (bin, url, args) = development(args)?;
    host(&bin, &url, "run", &args)
}

fn seed(args: &[String]) -> anyhow::Result<()> {
    let (bin, url, args) = development(args)?;
    // A production database gets neither the pending migrations nor the data.
    let mut mark = Command::new(&bin);
    mark.args(["mark", "--json"]);
    if let Some(url) = &url {
        mark.env("DATABASE_URL", url);
    }
    let mark = mark.output().context("cannot start vytal-host")?;
    let marked: serde_json::Value = serde_json::from_slice(&mark.stdout).unwrap_or_default();
    if !mark.status.success() || marked["production"] != serde_json::Value::Bool(false) {
        bail!(
            "refusing: {} is marked as production, or its mark could not be read ({}); seed only development databases",
            url.as_deref().map_or_else(|| "the database of the DB_* variables".to_owned(), cluster::redact),
            String::from_utf8_lossy(&mark.stderr).trim()
        );
    }
    host(&bin, &url, "run", &[])?;
    host(&bin, &url, "seed", &args)
}

/// Builds vytal-host and picks the database as vytal-host does (the nearest
/// `.env` read first, variables already set winning): DATABASE_URL, else the
/// DB_* variables (left to vytal-host, `None`), else the local development
/// one. Returns the binary, the URL and the other arguments.
fn development(args: &[String]) -> anyhow::Result<(PathBuf, Option<String>, Vec<String>)> {
    let private = args.iter().any(|a| a == "--private");
    let rest: Vec<String> = args.iter().filter(|a| *a != "--private").cloned().collect();
    match dotenvy::dotenv() {
        Ok(path) => eprintln!("read {}", path.display()),
        Err(e) if e.not_found() => {}
        Err(e) => bail!("cannot read .env: {e}; write each setting as NAME=value"),
    }
    let bin = cargo_build(false, &[])?.join("vytal-host");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let set = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let url = match set("DATABASE_URL") {
        Some(url) if !private => {
            eprintln!("using DATABASE_URL ({})", cluster::redact(&url));
            Some(url)
        }
        None if !private && (set("DB_HOST").is_some() || set("DB_DATABASE").is_some()) => {
            eprintln!("using the DB_* variables");
            None
        }
        _ => Some(runtime.block_on(cluster::development_database(private))?),
    };
    Ok((bin, url, rest))
}

fn host(bin: &Path, url: &Option<String>, verb: &str, args: &[String]) -> anyhow::Result<()> {
    let mut cmd = Command::new(bin);
    cmd.arg(verb).args(args);
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    let status = cmd.status().context("cannot start vytal-host")?;
    if !status.success() {
        bail!("vytal-host {verb} failed (exit {})", status.code().unwrap_or(-1));
    }
    Ok(())
}
