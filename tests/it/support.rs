//! Shared test helpers: a database per test, fixture modules, the binary.

use std::borrow::Cow;
use std::process::Output;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection, Row};
use vytal_host::{Catalog, Manifest, MigrationSource, ModuleSource, Plan, Target};

/// The server tests run against.
pub fn server_url() -> String {
    std::env::var("VYTAL_TEST_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

/// A database owned by one test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// Creates (or recreates) the database `vt_<name>`.
    pub async fn new(name: &str) -> Self {
        let name = format!("vt_{name}");
        let admin_url = format!("{}/postgres", server_url());
        let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "no PostgreSQL answers at {admin_url} ({e}); start it (on Debian: pg_ctlcluster --skip-systemctl-redirect 15 main start) or point VYTAL_TEST_SERVER at one"
            )
        });
        // What a failed earlier run left, scratch databases (and so the
        // roles that own them) included.
        drop_databases(&mut admin, &name).await;
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut admin).await.unwrap();
        admin.close().await.unwrap();
        // Without TLS: these tests are about what vytal does, not the transport, and
        // a TLS handshake costs this driver about 90 ms per connection here.
        // tests/it/tls.rs covers TLS itself.
        TestDb { url: format!("{}/{name}?sslmode=disable", server_url()), name }
    }

    pub fn target(&self) -> Target {
        Target::from_url(&self.url, "test").unwrap()
    }

    pub async fn conn(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.unwrap()
    }

    /// Runs a query returning one i64.
    pub async fn count(&self, sql: &str) -> i64 {
        let mut c = self.conn().await;
        let n: i64 = sqlx::query(AssertSqlSafe(sql.to_owned())).fetch_one(&mut c).await.unwrap().get(0);
        c.close().await.unwrap();
        n
    }

    /// Runs a query returning one text.
    pub async fn text(&self, sql: &str) -> String {
        let mut c = self.conn().await;
        let t: String = sqlx::query(AssertSqlSafe(sql.to_owned())).fetch_one(&mut c).await.unwrap().get(0);
        c.close().await.unwrap();
        t
    }

    /// Names of the tables in `public`, sorted.
    pub async fn tables(&self) -> Vec<String> {
        let mut c = self.conn().await;
        let rows = sqlx::query("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            .fetch_all(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// Ledger rows as `module/id`, in (module, id) order.
    pub async fn ledger(&self) -> Vec<String> {
        let mut c = self.conn().await;
        let exists: bool =
            sqlx::query("SELECT to_regclass('vytal.migrations') IS NOT NULL").fetch_one(&mut c).await.unwrap().get(0);
        if !exists {
            return Vec::new();
        }
        let rows = sqlx::query("SELECT module || '/' || id FROM vytal.migrations ORDER BY module, id")
            .fetch_all(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// Whether any session holds an advisory lock in this database.
    pub async fn advisory_locks(&self) -> i64 {
        self.count(&format!(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = '{}'",
            self.name
        ))
        .await
    }

    /// Drops the database; called at the end of a passing test.
    pub async fn drop(self) {
        let mut admin = PgConnection::connect(&format!("{}/postgres", server_url())).await.unwrap();
        drop_databases(&mut admin, &self.name).await;
        admin.close().await.unwrap();
    }

    /// Runs SQL against the database.
    pub async fn exec(&self, sql: &str) {
        let mut c = self.conn().await;
        sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await.unwrap();
    }
}

/// Drops the database `name` and its scratch databases (verify's, and
/// check's second), which are named after it.
async fn drop_databases(admin: &mut PgConnection, name: &str) {
    for name in [name.to_owned(), format!("{name}_vytal_scratch"), format!("{name}_vytal_scratch2")] {
        sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
            .execute(&mut *admin)
            .await
            .unwrap();
    }
}

/// A fixture migration: (module version, stem, up, down).
pub type Fixture<'a> = (&'a str, &'a str, &'a str, &'a str);

/// Builds a module the way a crate would register it.
pub fn module(name: &str, version: &str, migrations: &[Fixture]) -> ModuleSource {
    ModuleSource {
        name: name.to_owned(),
        version: version.to_owned(),
        dir: format!("modules/{name}"),
        migrations: migrations
            .iter()
            .map(|(v, stem, up, down)| MigrationSource {
                version: (*v).to_owned(),
                stem: (*stem).to_owned(),
                up: Cow::Owned((*up).to_owned()),
                down: Cow::Owned((*down).to_owned()),
                up_path: format!("modules/{name}/migrations/{v}/{stem}.up.sql"),
            })
            .collect(),
        plugins: Vec::new(),
    }
}

/// Resolves a fixture manifest against fixture modules.
pub fn plan(manifest: &str, modules: Vec<ModuleSource>) -> Plan {
    try_plan(manifest, modules).unwrap_or_else(|e| panic!("fixture should resolve: {e}"))
}

pub fn try_plan(manifest: &str, modules: Vec<ModuleSource>) -> Result<Plan, String> {
    let manifest = Manifest::parse(manifest, "fixture.toml").map_err(|e| e.to_string())?;
    vytal_host::resolve(&manifest, &Catalog { modules }).map_err(|e| e.to_string())
}

/// Runs the real `vytal-host` binary with `args` against `db` (or no database).
pub fn host(db: Option<&TestDb>, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vytal-host"));
    cmd.args(args).env_remove("DATABASE_URL").env_remove("VYTAL_MANIFEST").env("NO_COLOR", "1");
    for k in ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_DATABASE"] {
        cmd.env_remove(k);
    }
    // Run outside the workspace so no .env file is picked up.
    cmd.current_dir(std::env::temp_dir());
    if let Some(db) = db {
        cmd.env("DATABASE_URL", &db.url);
    }
    cmd.output().expect("the vytal-host binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts an exit code and returns stdout, showing both streams on failure.
#[track_caller]
pub fn expect_code(o: &Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
    stdout(o)
}

/// Runs `vytal-host ARGS` on a terminal (util-linux `script` gives it one)
/// against `db`, typing `answer` at its prompt; returns everything it printed.
pub fn on_terminal(db: &TestDb, args: &str, answer: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("script")
        .args(["-qec", &format!("{} {args}", env!("CARGO_BIN_EXE_vytal-host")), "/dev/null"])
        .env("DATABASE_URL", &db.url)
        .env("NO_COLOR", "1")
        .current_dir(std::env::temp_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux `script` runs (apt-get install bsdutils)");
    child.stdin.take().expect("piped stdin").write_all(answer.as_bytes()).expect("the answer is written");
    String::from_utf8_lossy(&child.wait_with_output().expect("script ends").stdout).into_owned()
}
