//! `migrations.toml`: which modules exist, at which version, requiring what.
//!
//! Parsing is strict: unknown keys, bad versions and bad durations are
//! errors that name the file and line. Cross-checks against the build
//! (versions, missing modules, constraints) belong to the resolver, which
//! reports them with the locations kept here.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use semver::{Version, VersionReq};
use serde::Deserialize;
use toml::Spanned;

use crate::sql::parse_duration;

/// The manifest compiled into the binary.
pub const EMBEDDED: &str = include_str!("../../migrations.toml");
/// How the embedded manifest is named in messages.
pub const EMBEDDED_NAME: &str = "migrations.toml (embedded)";

/// A place in a manifest file, shown as `path:line:column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The manifest's name or path.
    pub file: String,
    /// 1-based line; 0 when the whole file is meant.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// Errors reading `migrations.toml`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read.
    #[error("cannot read manifest {path}: {reason}; {fix}")]
    Read {
        /// The path tried.
        path: PathBuf,
        /// Why, in the operating system's words.
        reason: String,
        /// What to do.
        fix: &'static str,
    },
    /// TOML syntax or shape is wrong (unknown key, wrong type).
    #[error("{file}: {message}")]
    Syntax {
        /// The manifest's name.
        file: String,
        /// The parser's message, with line, column and the offending text.
        message: String,
    },
    /// A value is present but invalid.
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong and what to write instead.
        message: String,
    },
}

/// Limits on every plugin invocation, from `[plugins]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginSettings {
    /// Fuel (roughly, WebAssembly instructions) per invocation.
    pub fuel: u64,
    /// Wall-clock time per invocation.
    pub timeout: Duration,
    /// Linear memory per invocation, in bytes.
    pub memory_bytes: usize,
    /// Rows per write batch and per query result.
    pub batch_rows: usize,
    /// Bytes per write batch and per query result.
    pub batch_bytes: usize,
    /// `statement_timeout` of each query a plugin runs.
    pub statement_timeout: Duration,
}

impl Default for PluginSettings {
    fn default() -> Self {
        PluginSettings {
            fuel: 20_000_000_000,
            timeout: Duration::from_secs(60),
            memory_bytes: 256 << 20,
            batch_rows: 100_000,
            batch_bytes: 64 << 20,
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// Host settings from `[host]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSettings {
    /// Schema holding the ledger and the event log.
    pub ledger_schema: String,
    /// How long `run` waits for another run's advisory lock.
    pub lock_wait: Duration,
    /// `lock_timeout` for every migration unless it overrides it.
    pub lock_timeout: Duration,
    /// `statement_timeout` for every migration unless it overrides it.
    pub statement_timeout: Duration,
    /// Limits on plugins, from `[plugins]`.
    pub plugins: PluginSettings,
}

impl Default for HostSettings {
    fn default() -> Self {
        HostSettings {
            ledger_schema: "vytal".to_owned(),
            lock_wait: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30 * 60),
            plugins: PluginSettings::default(),
        }
    }
}

/// A requirement on another module, as declared.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// The required module.
    pub module: String,
    /// The constraint its version must meet.
    pub constraint: VersionReq,
    /// Where it was written.
    pub at: Location,
}

/// One `[modules.NAME]` entry.
#[derive(Debug, Clone)]
pub struct ModuleEntry {
    /// The module name.
    pub name: String,
    /// The version the manifest says the build carries.
    pub version: Version,
    /// Where `version` was written.
    pub at: Location,
    /// Requirements by the module version they start at; `None` is the module's first version.
    pub requires: BTreeMap<Option<Version>, Vec<Requirement>>,
    /// Plugins the module declares, by kind (`seed`, `verify`), with where each is declared.
    pub plugins: BTreeMap<String, Location>,
}

/// A parsed, syntactically valid manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The name used in messages (a path, or the embedded name).
    pub file: String,
    /// `[host]` settings.
    pub host: HostSettings,
    /// Modules by name.
    pub modules: BTreeMap<String, ModuleEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    host: RawHost,
    #[serde(default)]
    modules: BTreeMap<String, RawModule>,
    #[serde(default)]
    plugins: RawPlugins,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPlugins {
    fuel: Option<Spanned<u64>>,
    timeout: Option<Spanned<String>>,
    memory: Option<Spanned<String>>,
    batch_rows: Option<Spanned<u64>>,
    batch_bytes: Option<Spanned<String>>,
    statement_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHost {
    ledger_schema: Option<Spanned<String>>,
    lock_wait: Option<Spanned<String>>,
    lock_timeout: Option<Spanned<String>>,
    statement_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModule {
    version: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    requires: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    since: BTreeMap<String, Spanned<RawSince>>,
    #[serde(default)]
    plugins: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSince {
    #[serde(default)]
    requires: BTreeMap<String, Spanned<String>>,
}

impl Manifest {
    /// The manifest compiled into the binary.
    pub fn embedded() -> Result<Self, ManifestError> {
        Self::parse(EMBEDDED, EMBEDDED_NAME)
    }

    /// Reads and parses a manifest file.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|e| ManifestError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
            fix: match e.kind() {
                std::io::ErrorKind::InvalidData => {
                    "it is not a text file (not UTF-8): pass a migrations.toml with --manifest or VYTAL_MANIFEST"
                }
                std::io::ErrorKind::NotFound => "pass an existing file with --manifest or VYTAL_MANIFEST",
                std::io::ErrorKind::IsADirectory => "pass the file inside it (migrations.toml), not the folder",
                _ => "check the path and its permissions, or pass another file with --manifest or VYTAL_MANIFEST",
            },
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses manifest text; `file` names it in messages.
    pub fn parse(text: &str, file: &str) -> Result<Self, ManifestError> {
        let raw: RawManifest = toml::from_str(text)
            .map_err(|e| ManifestError::Syntax { file: file.to_owned(), message: syntax_message(&e, text) })?;
        let loc = |span: std::ops::Range<usize>| location(file, text, span.start);
        let invalid = |span: std::ops::Range<usize>, message: String| ManifestError::Invalid { at: loc(span), message };

        let mut host = HostSettings::default();
        if let Some(s) = raw.host.ledger_schema {
            let name = s.get_ref();
            let ok = !name.is_empty()
                && name.len() <= 63
                && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && !name.starts_with("pg_")
                && name != "public";
            if !ok {
                return Err(invalid(
                    s.span(),
                    format!(
                        "ledger_schema `{name}` cannot hold the ledger; use a schema of its own: lowercase letters, digits and _, not starting with a digit or pg_, and not public"
                    ),
                ));
            }
            host.ledger_schema = name.clone();
        }
        for (field, value, target) in [
            ("lock_wait", raw.host.lock_wait, &mut host.lock_wait),
            ("lock_timeout", raw.host.lock_timeout, &mut host.lock_timeout),
            ("statement_timeout", raw.host.statement_timeout, &mut host.statement_timeout),
        ] {
            if let Some(v) = value {
                *target = parse_duration(v.get_ref()).map_err(|e| invalid(v.span(), format!("host.{field}: {e}")))?;
            }
        }

        let p = raw.plugins;
        let plugins = &mut host.plugins;
        if let Some(v) = p.fuel {
            plugins.fuel = *v.get_ref();
        }
        if let Some(v) = p.batch_rows {
            plugins.batch_rows = usize::try_from(*v.get_ref()).unwrap_or(usize::MAX);
        }
        for (field, value, target) in [
            ("timeout", p.timeout, &mut plugins.timeout),
            ("statement_timeout", p.statement_timeout, &mut plugins.statement_timeout),
        ] {
            if let Some(v) = value {
                *target =
                    parse_duration(v.get_ref()).map_err(|e| invalid(v.span(), format!("plugins.{field}: {e}")))?;
            }
        }
        for (field, value, target) in
            [("memory", p.memory, &mut plugins.memory_bytes), ("batch_bytes", p.batch_bytes, &mut plugins.batch_bytes)]
        {
            if let Some(v) = value {
                *target = parse_size(v.get_ref()).map_err(|e| invalid(v.span(), format!("plugins.{field}: {e}")))?;
            }
        }

        let mut modules = BTreeMap::new();
        for (name, m) in raw.modules {
            let _ = m.description;
            let version = Version::parse(m.version.get_ref()).map_err(|e| {
                invalid(
                    m.version.span(),
                    format!(
                        "module `{name}`: version `{}` is not semver ({e}); write it as MAJOR.MINOR.PATCH, e.g. \"1.0.0\"",
                        m.version.get_ref()
                    ),
                )
            })?;
            let reqs = |table: BTreeMap<String, Spanned<String>>| -> Result<Vec<Requirement>, ManifestError> {
                table
                    .into_iter()
                    .map(|(module, c)| {
                        let constraint = VersionReq::parse(c.get_ref()).map_err(|e| {
                            invalid(
                                c.span(),
                                format!(
                                    "module `{name}`: requirement `{module} = \"{}\"` is not a semver constraint ({e}); write e.g. \"^1.0\"",
                                    c.get_ref()
                                ),
                            )
                        })?;
                        Ok(Requirement { module, constraint, at: loc(c.span()) })
                    })
                    .collect()
            };
            let mut requires = BTreeMap::new();
            requires.insert(None, reqs(m.requires)?);
            for (since, table) in m.since {
                let span = table.span();
                let at = Version::parse(&since).map_err(|e| {
                    invalid(
                        span.clone(),
                        format!("module `{name}`: `since.\"{since}\"` is not a semver version ({e}); write e.g. since.\"1.1.0\""),
                    )
                })?;
                if at > version {
                    return Err(invalid(
                        span,
                        format!(
                            "module `{name}`: `since.\"{since}\"` is newer than the module's version {version}; raise `version` or remove the entry"
                        ),
                    ));
                }
                requires.insert(Some(at), reqs(table.into_inner().requires)?);
            }
            let mut plugins = BTreeMap::new();
            for (kind, folder) in m.plugins {
                let expected = format!("plugins/{kind}");
                if !matches!(kind.as_str(), "seed" | "verify") || folder.get_ref() != &expected {
                    return Err(invalid(
                        folder.span(),
                        format!(
                            "module `{name}`: plugins.{kind} = \"{}\" is not a module plugin; write `seed = \"plugins/seed\"` or `verify = \"plugins/verify\"` (the folder in modules/{name}/ the plugin crate lives in); run other plugins with --plugin PATH",
                            folder.get_ref()
                        ),
                    ));
                }
                plugins.insert(kind, loc(folder.span()));
            }
            modules.insert(name.clone(), ModuleEntry { name, version, at: loc(m.version.span()), requires, plugins });
        }
        Ok(Manifest { file: file.to_owned(), host, modules })
    }
}

/// Parses `64MiB`, `1GiB`, `512KiB` or a number of bytes.
fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: usize = number.parse().map_err(|_| format!("`{text}` is not a size; write e.g. 64MiB, 1GiB or 1048576"))?;
    let shift = match unit.trim() {
        "" | "B" => 0,
        "KiB" => 10,
        "MiB" => 20,
        "GiB" => 30,
        _ => return Err(format!("`{text}` has no known unit; write e.g. 64MiB, 1GiB or 1048576")),
    };
    n.checked_mul(1 << shift).ok_or_else(|| format!("`{text}` is too large"))
}

fn location(file: &str, text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location { file: file.to_owned(), line, column }
}

fn syntax_message(e: &toml::de::Error, text: &str) -> String {
    let mut message = e.message().trim_end().to_owned();
    if let Some(span) = e.span() {
        let at = location("", text, span.start);
        message = format!("line {}, column {}: {message}", at.line, at.column);
    }
    if message.contains("unknown field") {
        message.push_str(
            "\n  known keys: [host] ledger_schema, lock_wait, lock_timeout, statement_timeout; \
             [modules.NAME] version, description, requires, since.\"VERSION\".requires, plugins.seed, plugins.verify; \
             [plugins] fuel, timeout, memory, batch_rows, batch_bytes, statement_timeout",
        );
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_manifest_parses() {
        let m = Manifest::embedded().unwrap();
        assert!(m.modules.contains_key("core"));
    }

    #[test]
    fn reads_settings_and_versioned_requirements() {
        let m = Manifest::parse(
            "[host]\nlock_timeout = \"2s\"\n\n[modules.core]\nversion = \"1.0.0\"\n\n\
             [modules.tasks]\nversion = \"1.1.0\"\nrequires = { core = \"^1.0\" }\n\
             since.\"1.1.0\".requires = { appointments = \"^1.0\" }\n",
            "m.toml",
        )
        .unwrap();
        assert_eq!(m.host.lock_timeout, Duration::from_secs(2));
        assert_eq!(m.host.ledger_schema, "vytal");
        let tasks = &m.modules["tasks"];
        assert_eq!(tasks.requires[&None][0].module, "core");
        let later = &tasks.requires[&Some(Version::new(1, 1, 0))][0];
        assert_eq!(later.module, "appointments");
        assert_eq!(later.at.to_string(), "m.toml:10:43");
    }
}
