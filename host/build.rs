//! Link settings for the `vytal-host` binary.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=VYTAL_PACK_RELOCS");
    println!("cargo:rerun-if-env-changed=VYTAL_HOT_TEXT");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let gnu = linux && std::env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|env| env == "gnu");
    // VYTAL_PACK_RELOCS=1 packs the binary's relative relocations (DT_RELR):
    // the dynamic loader then reads a few kilobytes at start instead of a
    // megabyte of `.rela.dyn`, and a run's peak RSS drops by about 1 MiB
    // (measured: 8.0 -> 7.0 MiB). The binary then needs glibc 2.36 or
    // later where it runs (Debian 12, Ubuntu 24.04; not Ubuntu 22.04 or
    // RHEL 9), so it is opt-in. It stays position-independent.
    if gnu && std::env::var("VYTAL_PACK_RELOCS").is_ok_and(|v| v == "1") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    hot_text(linux);
}

/// hot-text.ld (written by `cargo xtask hot-text`) gathers the functions a
/// deploy executes ahead of the rest of `.text`, so that a run maps about
/// 2.7 MB of code instead of 7. It adds to the linker's own layout (`INSERT
/// BEFORE .text`), which lld and GNU ld understand, and names functions by
/// their v0 symbols (`.cargo/config.toml`). Optimised builds only: a debug
/// build names its generic instances otherwise, and its memory matters
/// less than its link time.
fn hot_text(linux: bool) {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let script = Path::new(&dir).join("hot-text.ld");
    if script.exists() {
        println!("cargo:rerun-if-changed=hot-text.ld");
    } else {
        // Cargo takes a missing file for a changed one on every build.
        println!("cargo:rerun-if-changed=.");
        return;
    }
    let optimised = std::env::var("OPT_LEVEL").is_ok_and(|o| o != "0");
    if !linux || !optimised || std::env::var("VYTAL_HOT_TEXT").as_deref() == Ok("0") {
        return;
    }
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["fuse-ld=mold", "fuse-ld=gold"].iter().any(|l| flags.contains(l)) {
        println!("cargo:warning=mold and gold do not take hot-text.ld's INSERT; linking without it");
        return;
    }
    if !flags.contains("symbol-mangling-version=v0") {
        println!(
            "cargo:warning=RUSTFLAGS (or a target's rustflags) replaced .cargo/config.toml's \
             `-C symbol-mangling-version=v0`, so hot-text.ld names no function of this build; \
             add it to keep a run's memory low"
        );
        return;
    }
    // Two arguments, not `-Wl,-T,PATH`: a comma in the path would split it.
    println!("cargo:rustc-link-arg-bins=-T");
    println!("cargo:rustc-link-arg-bins={}", script.display());
}
