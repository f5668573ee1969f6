//! Compiled plugins, kept so a second load costs a file read, not a Cranelift compile.
//!
//! An entry is named by a hash of the plugin's bytes, the wasmtime version
//! and the engine's compatibility hash, and carries a digest of its own
//! bytes beside it. Only entries this host wrote under that name are read;
//! anything else (another wasmtime, another engine configuration, a torn or
//! edited file) is ignored and the plugin is compiled again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::PluginError;

struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The cache key of `wasm` for `engine`.
fn key(engine: &Engine, wasm: &[u8]) -> String {
    let mut h = ShaHasher(Sha256::new());
    h.0.update(b"vytal-plugin-cache 1\0wasmtime 48.0.8\0");
    engine.precompile_compatibility_hash().hash(&mut h);
    h.0.update(Sha256::digest(wasm));
    hex(&h.0.finalize())
}

/// Compiles `wasm`, or reads its compiled form from `dir`; says which.
pub(crate) fn compile(
    engine: &Engine,
    dir: Option<&Path>,
    name: &str,
    wasm: &[u8],
) -> Result<(Component, bool), PluginError> {
    let entry = dir.map(|d| d.join(format!("{}.cwasm", key(engine, wasm))));
    if let Some(entry) = &entry
        && let Some(component) = read(engine, entry)
    {
        return Ok((component, true));
    }
    let component = Component::new(engine, wasm)
        .map_err(|e| PluginError::NotAComponent { plugin: name.to_owned(), reason: format!("{e:#}") })?;
    if let Some(entry) = &entry {
        write(&component, entry);
    }
    Ok((component, false))
}

fn digest_path(entry: &Path) -> PathBuf {
    entry.with_extension("sha256")
}

fn read(engine: &Engine, entry: &Path) -> Option<Component> {
    let bytes = std::fs::read(entry).ok()?;
    let digest = std::fs::read_to_string(digest_path(entry)).ok()?;
    if digest.trim() != hex(&Sha256::digest(&bytes)) {
        tracing::debug!(entry = %entry.display(), "compiled plugin does not match its digest; compiling again");
        return None;
    }
    // SAFETY: the bytes are exactly what `Component::serialize` wrote for this
    // engine configuration and these plugin bytes (the name is a hash of
    // both, and the digest above matches), in a folder only this host writes.
    // wasmtime also checks its own version and settings in the header.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize(engine, &bytes) };
    match component {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::debug!(entry = %entry.display(), error = %e, "compiled plugin not usable; compiling again");
            None
        }
    }
}

fn write(component: &Component, entry: &Path) {
    let Ok(bytes) = component.serialize() else { return };
    let result = (|| -> std::io::Result<()> {
        if let Some(dir) = entry.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Write beside, then rename: a reader never sees half a file.
        let tmp = entry.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &bytes)?;
        std::fs::write(digest_path(entry), hex(&Sha256::digest(&bytes)))?;
        std::fs::rename(&tmp, entry)
    })();
    if let Err(e) = result {
        tracing::debug!(entry = %entry.display(), error = %e, "could not cache the compiled plugin");
    }
}
