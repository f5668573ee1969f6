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

/// The plugin kinds a module may ship, each in `plugins/<kind>/`.
pub const PLUGIN_KINDS: &[&str] = &["seed", "verify"];

/// Builds the module's plugins (`plugins/seed/`, `plugins/verify/`) to
/// WebAssembly components and generates `$OUT_DIR/vytal_plugins.rs`, which
/// embeds them, so a deployed binary carries its module plugins as it carries
/// its SQL. Panics with what to do when the build fails.
pub fn embed_plugins() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let plugins = manifest_dir.join("plugins");
    // A path that does not exist would rerun this script on every build: watch
    // the crate folder instead, whose listing changes when plugins/ appears.
    if plugins.exists() {
        println!("cargo::rerun-if-changed={}", plugins.display());
    } else {
        println!("cargo::rerun-if-changed={}", manifest_dir.display());
    }
    let root = manifest_dir.join("../..");
    let sdk = root.join("plugins-sdk");
    println!("cargo::rerun-if-changed={}", sdk.join("src").display());
    println!("cargo::rerun-if-changed={}", sdk.join("wit").display());
    let mut code = String::from("&[\n");
    for kind in PLUGIN_KINDS {
        let dir = plugins.join(kind);
        if !dir.join("Cargo.toml").is_file() {
            continue;
        }
        println!("cargo::rerun-if-changed={}", dir.join("src").display());
        println!("cargo::rerun-if-changed={}", dir.join("Cargo.toml").display());
        let wasm = build_plugin(&dir, &plugin_target_dir(&root)).unwrap_or_else(|e| panic!("{e}"));
        let _ = writeln!(
            code,
            "    ::vytal_contract::ModulePlugin {{ kind: {kind:?}, wasm: include_bytes!({:?}) }},",
            wasm.display().to_string()
        );
    }
    code.push(']');
    write(&out_dir.join("vytal_plugins.rs"), &code);
}

/// Where plugins are built: `$CARGO_TARGET_DIR/plugins`, or `<root>/target/plugins`.
pub fn plugin_target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("plugins")
}

/// The target plugins are built for: no WASI, so a plugin's capabilities are exactly its imports.
pub const PLUGIN_TARGET: &str = "wasm32-unknown-unknown";

/// Builds the plugin crate in `dir` (release) to a WebAssembly component
/// with the toolchain's `wasm-component-ld`, installing the wasm target
/// with rustup when it is missing, and returns the `.wasm` path.
pub fn build_plugin(dir: &Path, target_dir: &Path) -> Result<PathBuf, String> {
    build_plugin_for(dir, target_dir, PLUGIN_TARGET)
}

/// [`build_plugin`] for another target: `wasm32-wasip2` guests load too, with WASI granting nothing.
pub fn build_plugin_for(dir: &Path, target_dir: &Path, target: &str) -> Result<PathBuf, String> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let name = text
        .lines()
        .find_map(|l| {
            l.trim().strip_prefix("name").map(|r| r.trim_start().trim_start_matches('=').trim().trim_matches('"'))
        })
        .ok_or_else(|| format!("{} has no package name", manifest.display()))?
        .replace('-', "_");
    ensure_target(target)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["build", "--release", "--target", target, "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(target_dir);
    if target == PLUGIN_TARGET {
        // Links the core module and the bindings' type information into a component.
        cmd.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", component_linker()?);
    }
    // A build script's environment describes the outer build; none of it applies to the plugin's.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let outer = key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
            || matches!(
                key.as_ref(),
                "CARGO_ENCODED_RUSTFLAGS"
                    | "RUSTFLAGS"
                    | "CARGO_BUILD_RUSTFLAGS"
                    | "CARGO_TARGET_DIR"
                    | "CARGO_BUILD_TARGET"
                    | "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "RUSTC_WORKSPACE_WRAPPER"
                    | "CARGO_LLVM_COV"
            );
        if outer {
            cmd.env_remove(key.as_ref());
        }
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo to build the plugin in {}: {e}", dir.display()))?;
    if !status.success() {
        return Err(format!(
            "building the plugin in {} failed (see cargo's output above); fix it, or build it alone with `cargo xtask plugin build {}`",
            dir.display(),
            dir.display()
        ));
    }
    let wasm = target_dir.join(target).join("release").join(format!("{name}.wasm"));
    if !wasm.is_file() {
        return Err(format!(
            "the plugin in {} built, but {} is missing; its Cargo.toml needs `crate-type = [\"cdylib\"]` under [lib]",
            dir.display(),
            wasm.display()
        ));
    }
    Ok(wasm)
}

fn ensure_target(target: &str) -> Result<(), String> {
    let installed = std::process::Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == target));
    match installed {
        Ok(true) => Ok(()),
        Ok(false) => {
            let ok = std::process::Command::new("rustup")
                .args(["target", "add", target])
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                Ok(())
            } else {
                Err(format!("the {target} target is missing and `rustup target add {target}` failed; run it by hand"))
            }
        }
        // No rustup: the toolchain may still have the target; let cargo say so if not.
        Err(_) => Ok(()),
    }
}

fn component_linker() -> Result<PathBuf, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = |args: &[&str]| {
        std::process::Command::new(&rustc)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .map_err(|e| format!("cannot run rustc: {e}"))
    };
    let sysroot = out(&["--print", "sysroot"])?;
    let verbose = out(&["-vV"])?;
    let host = verbose.lines().find_map(|l| l.strip_prefix("host: ")).unwrap_or("x86_64-unknown-linux-gnu").to_owned();
    let ld = Path::new(&sysroot).join("lib/rustlib").join(host).join("bin/wasm-component-ld");
    if ld.is_file() {
        Ok(ld)
    } else {
        Err(format!(
            "{} is missing: plugins are linked into components by the toolchain's wasm-component-ld (Rust 1.82 or later)",
            ld.display()
        ))
    }
}
