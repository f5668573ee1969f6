//! `new`: creates the next migration's up and down files in a module crate.

use std::path::{Path, PathBuf};

use crate::resolve::Plan;

/// Errors scaffolding a migration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScaffoldError {
    /// The module is not in the plan.
    #[error("no module `{module}`; known modules: {known}")]
    UnknownModule {
        /// The name given.
        module: String,
        /// Names that exist.
        known: String,
    },
    /// The migration name is not usable in a file name.
    #[error("migration name `{0}` must be lowercase letters, digits and underscores, e.g. add_refill_reminders")]
    BadName(String),
    /// The migration name would make a file name longer than file systems allow.
    #[error(
        "migration name is {0} characters; with its number and `.down.sql` a file name holds at most 255, so use at most {MAX_NAME}"
    )]
    LongName(usize),
    /// The module's crate folder is not here.
    #[error("cannot find {0}; run this inside the workspace, or pass --root")]
    NoCrate(PathBuf),
    /// A file of that name is there already.
    #[error("{0} already exists; pick another name for the migration, or remove that file")]
    Exists(PathBuf),
    /// Writing failed.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why (not the source: its words are in the message already).
        error: std::io::Error,
    },
}

/// Writes `NNNN_name.up.sql` and `.down.sql` under `root/<module dir>/migrations/<version>/`
/// and returns both paths. The id is one more than the module's highest,
/// in the build or on disk (files written since the last build count).
pub fn new_migration(
    plan: &Plan,
    root: &Path,
    module: &str,
    name: &str,
    dir: &str,
) -> Result<(PathBuf, PathBuf), ScaffoldError> {
    let Some(resolved) = plan.modules().get(module) else {
        return Err(ScaffoldError::UnknownModule {
            module: module.to_owned(),
            known: plan.modules().keys().map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
        });
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(ScaffoldError::BadName(name.to_owned()));
    }
    if name.len() > MAX_NAME {
        return Err(ScaffoldError::LongName(name.len()));
    }
    let crate_dir = root.join(dir);
    if !crate_dir.join("Cargo.toml").is_file() {
        return Err(ScaffoldError::NoCrate(crate_dir.join("Cargo.toml")));
    }
    let built = plan.migrations().iter().filter(|m| m.module == module).filter_map(|m| m.id.number()).max();
    let next = built.unwrap_or(0).max(highest_on_disk(&crate_dir.join("migrations"))) + 1;
    let folder = crate_dir.join("migrations").join(resolved.version.to_string());
    std::fs::create_dir_all(&folder).map_err(|error| ScaffoldError::Write { path: folder.clone(), error })?;
    let stem = format!("{next:04}_{name}");
    let up = folder.join(format!("{stem}.up.sql"));
    let down = folder.join(format!("{stem}.down.sql"));
    let header = |what: &str| {
        format!(
            "-- {module} {}: {name} ({what}).\n-- Runs in its own transaction with the ledger row; add `-- vytal:no-transaction` as the\n-- first line for CREATE INDEX CONCURRENTLY.\n\n",
            resolved.version
        )
    };
    // Both files or neither: a down that cannot be written takes the up with it.
    let mut written: Vec<&PathBuf> = Vec::new();
    for (path, text) in [(&up, header("up")), (&down, header(DOWN_TODO))] {
        let result = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()));
        if let Err(error) = result {
            for done in written {
                let _ = std::fs::remove_file(done);
            }
            if error.kind() == std::io::ErrorKind::AlreadyExists {
                return Err(ScaffoldError::Exists(path.clone()));
            }
            let _ = std::fs::remove_file(path);
            return Err(ScaffoldError::Write { path: path.clone(), error });
        }
        written.push(path);
    }
    Ok((up, down))
}

/// What the scaffold's down file says it is for, until someone writes it.
const DOWN_TODO: &str = "down: undo everything the up file creates";

/// Whether a down is the scaffold's, untouched: its words and no statement.
/// (A down written on purpose with nothing to undo says why instead.)
pub(crate) fn is_untouched_down(down: &str) -> bool {
    down.contains(DOWN_TODO) && !crate::sql::has_statement(down)
}

/// The highest `NNNN` of the migration files under `migrations/<version>/`; 0 for none.
fn highest_on_disk(migrations: &Path) -> u64 {
    let files = std::fs::read_dir(migrations)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|v| v.path().is_dir())
        .flat_map(|v| std::fs::read_dir(v.path()).into_iter().flatten().flatten())
        .filter(|f| f.path().is_file());
    files
        .filter_map(|f| {
            let name = f.file_name().to_string_lossy().into_owned();
            let (number, _) = name.split_once('_')?;
            if name.ends_with(".sql") && number.len() == 4 { number.parse().ok() } else { None }
        })
        .max()
        .unwrap_or(0)
}

/// The folder holding `migrations.toml` and `dir/Cargo.toml`: `start` or
/// the nearest folder above it, as `.env` is looked for.
pub fn find_root(start: &Path, dir: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|a| a.join("migrations.toml").is_file() && a.join(dir).join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
}

/// The longest migration name: `NNNN_` + name + `.down.sql` within 255 bytes.
pub const MAX_NAME: usize = 255 - "0000_".len() - ".down.sql".len();
