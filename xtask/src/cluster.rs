//! Finding or making a PostgreSQL to develop against.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context as _, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

const DATABASE: &str = "vytalwatch";
const PRIVATE_PORT: u16 = 54329;

/// A URL to the `vytalwatch` database: on a local server if one answers, else on a private cluster.
pub async fn development_database(private: bool) -> anyhow::Result<String> {
    if !private {
        let user = std::env::var("USER").unwrap_or_else(|_| "postgres".to_owned());
        for server in ["postgres://postgres@127.0.0.1:5432".to_owned(), format!("postgres://{user}@127.0.0.1:5432")] {
            if let Ok(url) = ensure_database(&server).await {
                eprintln!("found a PostgreSQL server at {server}");
                return Ok(url);
            }
        }
        eprintln!("no local PostgreSQL server answers on 127.0.0.1:5432; starting a private one under target/vytal-pg");
    }
    let server = start_private_cluster()?;
    ensure_database(&server).await
}

async fn ensure_database(server: &str) -> anyhow::Result<String> {
    let mut conn = tokio::time::timeout(Duration::from_secs(3), PgConnection::connect(&format!("{server}/postgres")))
        .await
        .context("timed out")??;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(DATABASE)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{DATABASE}\""))).execute(&mut conn).await?;
        eprintln!("created database {DATABASE}");
    }
    conn.close().await?;
    Ok(format!("{server}/{DATABASE}"))
}

/// The folder holding initdb and pg_ctl: PATH first, then the usual install folders.
fn pg_bin_dir() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    let mut candidates = on_path;
    for pattern_root in ["/usr/lib/postgresql", "/usr/local/pgsql", "/opt/homebrew/opt", "/usr/local/opt"] {
        if let Ok(entries) = std::fs::read_dir(pattern_root) {
            let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path().join("bin"))).collect();
            dirs.sort();
            dirs.reverse(); // newest major version first
            candidates.extend(dirs);
        }
    }
    candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
    candidates.into_iter().find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

/// Starts (initialising if needed) a cluster under target/vytal-pg, listening on 127.0.0.1 only.
fn start_private_cluster() -> anyhow::Result<String> {
    let Some(bin) = pg_bin_dir() else {
        bail!(
            "no PostgreSQL found: nothing answers on 127.0.0.1:5432 and initdb/pg_ctl are not on PATH or in /usr/lib/postgresql/*/bin.\n\
             Install PostgreSQL (Debian/Ubuntu: sudo apt-get install postgresql; Fedora: sudo dnf install postgresql-server; macOS: brew install postgresql@15),\n\
             or set DATABASE_URL to a server you can use"
        );
    };
    let base = crate::root().join("target").join("vytal-pg");
    let data = base.join("data");
    std::fs::create_dir_all(&base)?;
    // PostgreSQL refuses to run as root: run the cluster as an unprivileged user.
    let as_user = if is_root() { Some(unprivileged_user()?) } else { None };
    let run = |program: PathBuf, args: Vec<String>| -> anyhow::Result<std::process::Output> {
        let mut cmd = match &as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        cmd.args(args).output().with_context(|| format!("cannot run {}", program.display()))
    };
    if let Some(user) = &as_user {
        let ok = Command::new("chown").args(["-R", user]).arg(&base).status()?.success();
        if !ok {
            bail!("cannot give {} to user {user}", base.display());
        }
    }
    if !data.join("PG_VERSION").is_file() {
        eprintln!("initialising a private cluster in {}", data.display());
        let out = run(
            bin.join("initdb"),
            vec![
                "-D".into(),
                data.display().to_string(),
                "-U".into(),
                "postgres".into(),
                "--auth=trust".into(),
                "-E".into(),
                "UTF8".into(),
            ],
        )?;
        if !out.status.success() {
            bail!("initdb failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let status = run(bin.join("pg_ctl"), vec!["-D".into(), data.display().to_string(), "status".into()])?;
    if !status.status.success() {
        let options = format!("-p {PRIVATE_PORT} -c listen_addresses=127.0.0.1 -k {}", base.display());
        let out = run(
            bin.join("pg_ctl"),
            vec![
                "-D".into(),
                data.display().to_string(),
                "-l".into(),
                base.join("server.log").display().to_string(),
                "-o".into(),
                options,
                "-w".into(),
                "start".into(),
            ],
        )?;
        if !out.status.success() {
            bail!(
                "pg_ctl start failed:\n{}\nsee {}",
                String::from_utf8_lossy(&out.stderr),
                base.join("server.log").display()
            );
        }
        eprintln!(
            "started a private PostgreSQL on 127.0.0.1:{PRIVATE_PORT}; stop it with: {} -D {} stop",
            bin.join("pg_ctl").display(),
            data.display()
        );
    }
    Ok(format!("postgres://postgres@127.0.0.1:{PRIVATE_PORT}"))
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn unprivileged_user() -> anyhow::Result<String> {
    for user in ["postgres", "nobody"] {
        if Command::new("id").arg(user).output().is_ok_and(|o| o.status.success()) {
            return Ok(user.to_owned());
        }
    }
    bail!(
        "running as root, and there is no `postgres` or `nobody` user to run a private cluster as; run as an ordinary user"
    )
}

/// The URL without its password.
pub fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| rest.split_once('@').map(|(auth, host)| (scheme, auth, host)))
    {
        Some((scheme, auth, host)) => format!("{scheme}://{}@{host}", auth.split(':').next().unwrap_or(auth)),
        None => url.to_owned(),
    }
}
