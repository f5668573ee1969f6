//! Link settings for the `vytal-host` binary.

fn main() {
    // Pack the binary's relative relocations (DT_RELR): the dynamic loader
    // reads a few kilobytes at start instead of a megabyte of `.rela.dyn`,
    // which every run would otherwise page in. The executable stays
    // position-independent. GNU ld before 2.38 ignores the option with a
    // warning; with a C library that cannot load such a binary, ld does not
    // pack.
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.contains("linux-gnu") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
