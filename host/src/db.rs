//! Where to connect, and connecting.
//!
//! The target comes from `--database-url`, else `DATABASE_URL`, else the
//! platform's `DB_HOST`/`DB_PORT`/`DB_USERNAME`/`DB_PASSWORD`/`DB_DATABASE`
//! (a `.env` file is read first by the binary). The password is kept only
//! inside the connect options: [`Target`]'s `Display` never shows it.

use std::fmt;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, ConnectOptions};

/// Errors finding or reaching the database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// No connection settings anywhere.
    #[error(
        "no database given; pass --database-url postgres://USER@HOST:PORT/DB, set DATABASE_URL, or set DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD and DB_DATABASE (a .env file is read too)"
    )]
    Missing,
    /// The URL does not parse.
    #[error(
        "the database URL from {source_name} is not valid ({reason}); write it as postgres://USER[:PASSWORD]@HOST:PORT/DATABASE"
    )]
    BadUrl {
        /// Where the URL came from.
        source_name: &'static str,
        /// The parser's reason, with any password removed.
        reason: String,
    },
    /// A `DB_*` variable is malformed.
    #[error("{0}")]
    BadVariable(String),
    /// The server refused or could not be reached.
    #[error("cannot connect to {target}: {reason}")]
    Unreachable {
        /// The target, without password.
        target: String,
        /// The driver's reason.
        reason: String,
    },
}

/// A database to connect to.
#[derive(Clone)]
pub struct Target {
    options: PgConnectOptions,
    /// Where the settings came from, for messages.
    pub source_name: &'static str,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.options.get_host();
        let host = if host.contains(':') { format!("[{host}]") } else { host.to_owned() };
        write!(f, "postgres://{}@{host}:{}/{}", self.user(), self.options.get_port(), self.database())
    }
}

impl Target {
    /// Picks the target from an explicit URL or the environment.
    pub fn from_env(url: Option<&str>) -> Result<Self, ConnectError> {
        // The driver reads PGSSLMODE (and PGSSLROOTCERT) under any URL, but
        // drops a value it does not know; a typo must not mean `prefer`.
        if let Ok(mode) = std::env::var("PGSSLMODE")
            && !mode.is_empty()
            && sqlx::postgres::PgSslMode::from_str(&mode).is_err()
        {
            return Err(ConnectError::BadVariable(format!(
                "PGSSLMODE `{mode}` is not a TLS mode; use disable, prefer, require, verify-ca or verify-full"
            )));
        }
        if let Some(url) = url {
            return Self::from_url(url, "--database-url");
        }
        if let Ok(url) = std::env::var("DATABASE_URL")
            && !url.is_empty()
        {
            return Self::from_url(&url, "DATABASE_URL");
        }
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (host, port, user, password, database) =
            (var("DB_HOST"), var("DB_PORT"), var("DB_USERNAME"), var("DB_PASSWORD"), var("DB_DATABASE"));
        if host.is_none() && database.is_none() && user.is_none() && port.is_none() {
            return Err(ConnectError::Missing);
        }
        // Without these, the server picks: a database named after the user
        // (the schema would be created there), a user named after nobody.
        let Some(database) = database else {
            return Err(ConnectError::BadVariable(
                "DB_* variables are set but DB_DATABASE is not; set it to the database to migrate (without it the server's default database would get the schema)".to_owned(),
            ));
        };
        if user.is_none() && var("PGUSER").is_none() {
            return Err(ConnectError::BadVariable(
                "DB_* variables are set but DB_USERNAME is not; set it to the user to connect as".to_owned(),
            ));
        }
        let mut options = PgConnectOptions::new().host(host.as_deref().unwrap_or("localhost"));
        if let Some(port) = port {
            let port = port.parse().map_err(|_| {
                ConnectError::BadVariable(format!("DB_PORT `{port}` is not a port number; set it to e.g. 5432"))
            })?;
            options = options.port(port);
        }
        if let Some(user) = user {
            options = options.username(&user);
        }
        if let Some(password) = password {
            options = options.password(&password);
        }
        options = options.database(&database);
        Ok(Target { options, source_name: "DB_* variables" })
    }

    /// Uses connect options the application built itself (TLS settings,
    /// a password fetched from a secret store or an IAM token...).
    pub fn from_options(options: PgConnectOptions) -> Self {
        Target { options, source_name: "the application" }
    }

    /// Parses a `postgres://` URL.
    pub fn from_url(url: &str, source_name: &'static str) -> Result<Self, ConnectError> {
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if let Some(scheme) = scheme.filter(|s| s != "postgres" && s != "postgresql") {
            return Err(ConnectError::BadUrl {
                source_name,
                reason: format!("its scheme is `{scheme}`, and vytal-host speaks only PostgreSQL"),
            });
        }
        // Parsed as given, such a URL names a different host and user than meant.
        if url.matches('@').count() > 1 || url.contains('#') {
            return Err(ConnectError::BadUrl {
                source_name,
                reason: "it holds more than one @ or a #, so it would not be read as meant; a password with @ : / ? # or % in it must be percent-encoded in a URL (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25), or given as DB_PASSWORD".to_owned(),
            });
        }
        let mut options = PgConnectOptions::from_str(url).map_err(|e| {
            let mut reason = redact(&e.to_string(), url);
            // `@`, `:`, `/`, `?` or `#` in a password cut the URL in the wrong place.
            let userinfo = url.split_once("://").map_or("", |(_, rest)| rest.rsplit_once('@').map_or("", |(u, _)| u));
            if userinfo.contains(['@', '/', '?', '#']) || userinfo.matches(':').count() > 1 || url.matches('@').count() > 1
            {
                reason.push_str(
                    "; a password with @ : / ? # or % in it must be percent-encoded in a URL (@ as %40, : as %3A, / as %2F, ? as %3F, # as %23, % as %25), or given as DB_PASSWORD",
                );
            }
            ConnectError::BadUrl { source_name, reason }
        })?;
        // An IPv6 address comes out of the URL still in its brackets, which no resolver reads.
        let host = options.get_host().to_owned();
        if let Some(bare) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            options = options.host(bare);
        }
        Ok(Target { options, source_name })
    }

    /// The database name.
    pub fn database(&self) -> &str {
        self.options.get_database().unwrap_or(self.user())
    }

    /// The user name.
    pub fn user(&self) -> &str {
        self.options.get_username()
    }

    /// The server host as configured.
    pub fn host(&self) -> &str {
        self.options.get_host()
    }

    /// The same server, another database.
    pub fn with_database(&self, database: &str) -> Self {
        Target { options: self.options.clone().database(database), source_name: self.source_name }
    }

    /// Opens one connection, named `application` in `pg_stat_activity`.
    pub async fn connect(&self, application: &str) -> Result<PgConnection, ConnectError> {
        let options = self.options.clone().application_name(application).disable_statement_logging();
        options.connect().await.map_err(|e| ConnectError::Unreachable {
            target: self.to_string(),
            reason: format!("{}{}", error_message(&e), self.hint(&e.to_string())),
        })
    }

    /// What to do about a failure to connect, from the driver's words for it.
    fn hint(&self, reason: &str) -> String {
        let mode = self.ssl_mode();
        if reason.contains("UnknownIssuer") || reason.contains("unknown issuer") {
            format!(
                "; the server's certificate is not signed by a CA this host trusts (sslmode {mode}): point sslrootcert in the URL, or PGSSLROOTCERT, at the CA that signed it"
            )
        } else if reason.contains("NotValidForName") || reason.contains("not valid for name") {
            format!(
                "; the server's certificate does not name the host `{}`: connect with a host name the certificate carries, or use sslmode=verify-ca to check the CA only",
                self.host()
            )
        } else if reason.contains("does not support TLS") || reason.contains("does not support SSL") {
            format!(
                "; the server does not offer TLS but sslmode is {mode}: turn on ssl in the server's configuration (a managed server has it on), or, only on a network you trust, use sslmode=prefer"
            )
        } else if reason.contains("expected to read") || reason.contains("unexpected response from SSLRequest") {
            format!(
                "; the server at {}:{} does not speak PostgreSQL's protocol: check the port (PostgreSQL's is usually 5432)",
                self.host(),
                self.options.get_port()
            )
        } else if reason.contains("Connection refused") {
            format!(
                "; nothing accepts connections at {}:{}: is PostgreSQL running there, and on that port?",
                self.host(),
                self.options.get_port()
            )
        } else {
            String::new()
        }
    }

    /// The TLS mode the connection will use: `disable`, `prefer` (the default),
    /// `require`, `verify-ca` or `verify-full`.
    pub fn ssl_mode(&self) -> &'static str {
        match self.options.get_ssl_mode() {
            sqlx::postgres::PgSslMode::Disable => "disable",
            sqlx::postgres::PgSslMode::Allow => "allow",
            sqlx::postgres::PgSslMode::Prefer => "prefer",
            sqlx::postgres::PgSslMode::Require => "require",
            sqlx::postgres::PgSslMode::VerifyCa => "verify-ca",
            sqlx::postgres::PgSslMode::VerifyFull => "verify-full",
        }
    }
}

/// A driver error in words for people: the server's message without the
/// driver's ` at line N` (PostgreSQL's own source line, which reads like a
/// line of the user's file); any other error as the driver words it.
pub(crate) fn error_message(e: &sqlx::Error) -> String {
    match e.as_database_error().and_then(|d| d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()) {
        Some(pg) => pg.message().to_owned(),
        None => e.to_string(),
    }
}

/// Removes a URL's password from a message.
fn redact(message: &str, url: &str) -> String {
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(auth, _)| auth.split_once(':'))
        .map(|(_, password)| password)
        .filter(|p| !p.is_empty());
    match password {
        Some(p) => message.replace(p, "***"),
        None => message.to_owned(),
    }
}

/// Where a command's connection comes from: a target to connect to, or a
/// connection the embedding application already holds.
#[derive(Debug)]
pub enum Database<'c> {
    /// Connect to this target; the session closes the connection when done.
    Target(&'c Target),
    /// Use this connection; the session leaves it open.
    Connection(&'c mut PgConnection),
}

impl<'c> From<&'c Target> for Database<'c> {
    fn from(t: &'c Target) -> Self {
        Database::Target(t)
    }
}

impl<'c> From<&'c mut PgConnection> for Database<'c> {
    fn from(c: &'c mut PgConnection) -> Self {
        Database::Connection(c)
    }
}

/// Creates the database `name` unless it exists, on `admin` (a connection to
/// another database of the server); true when this call created it. Several
/// commands may race to create it: losing that race (`duplicate_database`,
/// or the unique index on `pg_database` when both inserts overlap) means it
/// exists, which is all a caller needs.
pub(crate) async fn create_database(admin: &mut PgConnection, name: &str) -> Result<bool, sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *admin)
        .await?;
    if exists {
        return Ok(false);
    }
    let created =
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {}", quote_ident(name)))).execute(&mut *admin).await;
    match created {
        Ok(_) => Ok(true),
        Err(e) if e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42P04" || c == "23505") => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Drops the database `name` if it exists, on `admin`; true when it existed.
/// With `force`, ends the sessions connected to it first (`WITH (FORCE)`).
pub(crate) async fn drop_database(admin: &mut PgConnection, name: &str, force: bool) -> Result<bool, sqlx::Error> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *admin)
        .await?;
    if !exists {
        return Ok(false);
    }
    let with = if force { " WITH (FORCE)" } else { "" };
    sqlx::raw_sql(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {}{with}", quote_ident(name))))
        .execute(&mut *admin)
        .await?;
    Ok(true)
}

/// `name` as a quoted identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
