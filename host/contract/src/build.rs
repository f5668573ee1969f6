//! Build-script helper that embeds a module's SQL files.
//!
//! Module crates call [`embed_migrations`] from `build.rs`. It reads
//! `migrations/<version>/<stem>.up.sql` and its `.down.sql` twin and writes an
//! array literal of [`crate::Migration`] records that `include_str!` each file,
//! so a built binary carries its SQL and needs no checkout.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Generates `$OUT_DIR/vytal_migrations.rs` for the calling crate.
///
/// Panics with a message naming the file when the folder layout is wrong:
/// build scripts report errors that way.
pub fn embed_migrations() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let root = manifest_dir.join("migrations");
    println!("cargo::rerun-if-changed={}", root.display());

    let migrations = collect(&root).unwrap_or_else(|e| panic!("{e}"));
    let rel_dir = relative_to_workspace(&manifest_dir);

    let mut code = String::from("&[\n");
    for m in &migrations {
        println!("cargo::rerun-if-changed={}", m.version_dir.display());
        let _ = writeln!(
            code,
            "    $crate_path::Migration {{ version: {:?}, stem: {:?}, up: include_str!({:?}), down: include_str!({:?}), up_path: {:?} }},",
            m.version,
            m.stem,
            m.up.display().to_string(),
            m.down.display().to_string(),
            format!("{rel_dir}/migrations/{}/{}.up.sql", m.version, m.stem),
        );
    }
    code.push(']');
    // `$crate` cannot be used inside an included file; module crates name
    // the contract crate as `vytal_contract`.
    let code = code.replace("$crate_path", "::vytal_contract");
    write(&out_dir.join("vytal_migrations.rs"), &code);
    write(&out_dir.join("vytal_module_dir.rs"), &format!("{rel_dir:?}"));
}

struct Found {
    version: String,
    stem: String,
    up: PathBuf,
    down: PathBuf,
    version_dir: PathBuf,
}

fn collect(root: &Path) -> Result<Vec<Found>, String> {
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(format!("cannot read {}: {e}", root.display())),
    };
    let mut version_dirs: Vec<PathBuf> =
        entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    version_dirs.sort();
    for dir in version_dirs {
        let version = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("folder name is not UTF-8: {}", dir.display()))?
            .to_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for file in &files {
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if let Some(stem) = name.strip_suffix(".up.sql") {
                let down = dir.join(format!("{stem}.down.sql"));
                if !down.is_file() {
                    return Err(format!(
                        "{} has no down migration: create {} (it may be empty only if nothing needs undoing)",
                        file.display(),
                        down.display()
                    ));
                }
                found.push(Found {
                    version: version.clone(),
                    stem: stem.to_owned(),
                    up: file.clone(),
                    down,
                    version_dir: dir.clone(),
                });
            } else if let Some(stem) = name.strip_suffix(".down.sql") {
                if !dir.join(format!("{stem}.up.sql")).is_file() {
                    return Err(format!(
                        "{} has no up migration beside it: add {stem}.up.sql or remove the file",
                        file.display()
                    ));
                }
            } else {
                return Err(format!(
                    "unexpected file {}: migration files are named NNNN_name.up.sql and NNNN_name.down.sql",
                    file.display()
                ));
            }
        }
    }
    Ok(found)
}

fn relative_to_workspace(manifest_dir: &Path) -> String {
    // Module crates live at `<root>/modules/<name>`; anything else is named as is.
    let parts: Vec<_> = manifest_dir.components().rev().take(2).collect();
    match parts.as_slice() {
        [name, parent] => format!("{}/{}", parent.as_os_str().to_string_lossy(), name.as_os_str().to_string_lossy()),
        _ => manifest_dir.display().to_string(),
    }
}

fn write(path: &Path, contents: &str) {
    // Write only on change so dependants are not rebuilt for nothing.
    if std::fs::read_to_string(path).ok().as_deref() != Some(contents) {
        std::fs::write(path, contents).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}
