//! `cargo xtask hot-text`: writes `host/hot-text.ld`, the linker script that
//! gathers the machine code a deploy runs into one stretch of the binary.
//!
//! Why: the kernel maps a binary's pages 64 KiB at a time around each one
//! touched (or a whole large folio of the page cache), and every mapped page
//! counts toward a process's RSS. The code a `run` executes is a megabyte
//! or two, spread over 22 MB of `.text` (wasmtime, Cranelift and the SQL
//! linter sit between its pieces), so a run had about 7 MB of `.text`
//! resident. Laid out together it is about 2.5 MB.
//!
//! How: a release build and a dist build (whole-program LTO inlines
//! otherwise) each run the commands of a deploy (`run` on an empty
//! database, `run` again with nothing to do, `status`, also over TLS) under
//! valgrind's callgrind, which names every function executed. Each name
//! (and every other symbol at its address) becomes a pattern for its
//! section (`.text.NAME`, functions having a section each):
//! v0 symbol names (`.cargo/config.toml`) spell a generic's type arguments
//! out, and the crate hashes in them, which change with the toolchain and
//! the profile, are written as `*`. A name that a later change renames or
//! removes matches nothing and the function stays where the linker puts it:
//! a stale script costs memory, never correctness. Regenerate it after large
//! changes to the run path and commit it.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::bench::{drop_db, fresh, plain, tls};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(a) = args.first() {
        bail!("unknown hot-text option `{a}`; usage: cargo xtask hot-text");
    }
    if Command::new("valgrind").arg("--version").output().is_err() {
        bail!("valgrind is not on PATH; it names the functions a run executes (Debian: apt-get install valgrind)");
    }
    let server =
        std::env::var("VYTAL_BENCH_SERVER").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
    let out_dir = crate::root().join("target").join("hot-text");
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir)?;
    }
    std::fs::create_dir_all(&out_dir)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;

    // The release build and the deployment one (whole-program LTO) inline
    // differently, so each has functions of its own: both are traced.
    let mut names = BTreeSet::new();
    for profile in ["release", "dist"] {
        eprintln!("building vytal-host ({profile}; dist takes minutes)...");
        let host = build(profile)?;
        let dbs = ["vytal_hot_text", "vytal_hot_text_atomic"];
        let url = rt.block_on(fresh(&server, dbs[0]))?;
        let atomic_url = rt.block_on(fresh(&server, dbs[1]))?;
        let traced = trace(&host, &url, &atomic_url, &out_dir.join(profile));
        for db in dbs {
            rt.block_on(drop_db(&server, db))?;
        }
        let mut executed_here = BTreeSet::new();
        for file in &traced? {
            let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
            executed_here.extend(executed(&text));
        }
        // Code that several functions share (identical instances merged)
        // has one section, named after one of them, and callgrind may name
        // it after another: every name at an executed address is kept.
        let nm = Command::new("nm").arg("--defined-only").arg(&host).output().context("cannot run nm (binutils)")?;
        if !nm.status.success() {
            bail!("nm {} failed: {}", host.display(), String::from_utf8_lossy(&nm.stderr).trim());
        }
        names.extend(with_aliases(&executed_here, &String::from_utf8_lossy(&nm.stdout)));
    }
    let patterns: BTreeSet<String> = names.iter().filter_map(|n| pattern(n)).collect();
    if patterns.len() < 100 {
        bail!(
            "only {} functions of vytal-host were seen executing; callgrind's output in {} is not what this task reads",
            patterns.len(),
            out_dir.display()
        );
    }
    let script = crate::root().join("host").join("hot-text.ld");
    std::fs::write(&script, render(&patterns))?;
    println!(
        "{}: {} patterns for the {} symbols of the code a deploy executes; rebuild vytal-host to use it",
        script.display(),
        patterns.len(),
        names.len()
    );
    Ok(())
}

/// Builds vytal-host with a cargo profile and returns the binary's path.
fn build(profile: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(crate::root())
        .args(["build", "--quiet", "-p", "vytal-host", "--bin", "vytal-host", "--profile", profile])
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building vytal-host ({profile}) failed");
    }
    let host = crate::root().join("target").join(profile).join("vytal-host");
    std::fs::canonicalize(&host).with_context(|| format!("no binary at {}", host.display()))
}

/// Runs a deploy's commands under callgrind against the empty database at
/// `url`: a run cut at a module version, a run of the rest, a run with
/// nothing to do (the connection given as a flag, as operators often do),
/// and status, also over TLS when the server takes it; then `run --atomic`
/// on the empty database at `atomic_url` (cut at core 1.0.0: the whole
/// plan has migrations that run outside a transaction). Returns the
/// profiles written.
fn trace(host: &Path, url: &str, atomic_url: &str, out_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir)?;
    let (plain_url, tls_url, atomic_url) = (plain(url), tls(url), plain(atomic_url));
    struct Step<'a> {
        label: &'a str,
        args: Vec<&'a str>,
        url: Option<&'a str>,
        optional: bool,
    }
    let steps = [
        Step {
            label: "a plan cut at a version",
            args: vec!["run", "--to", "core@1.0.0"],
            url: Some(&plain_url),
            optional: false,
        },
        Step { label: "run", args: vec!["run"], url: Some(&plain_url), optional: false },
        Step { label: "no-op", args: vec!["--database-url", &plain_url, "run"], url: None, optional: false },
        Step { label: "status", args: vec!["status"], url: Some(&plain_url), optional: false },
        Step { label: "status over TLS", args: vec!["status"], url: Some(&tls_url), optional: true },
        Step {
            label: "one transaction",
            args: vec!["run", "--atomic", "--to", "core@1.0.0"],
            url: Some(&atomic_url),
            optional: false,
        },
    ];
    let mut traced = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        eprintln!("tracing `vytal-host {}` ({})...", step.args.join(" "), step.label);
        let profile = out_dir.join(format!("callgrind.{i}"));
        let mut cmd = Command::new("valgrind");
        cmd.args(["--tool=callgrind", "--demangle=no", "--quiet"])
            .arg(format!("--callgrind-out-file={}", profile.display()))
            .arg(host)
            .args(&step.args);
        match step.url {
            Some(url) => cmd.env("DATABASE_URL", url),
            None => cmd.env_remove("DATABASE_URL"),
        };
        let out = cmd.output().context("cannot run valgrind")?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            if step.optional {
                eprintln!("left out: `vytal-host {}` ({}) failed: {}", step.args.join(" "), step.label, why.trim());
                continue;
            }
            bail!("`vytal-host {}` failed under valgrind: {}", step.args.join(" "), why.trim());
        }
        traced.push(profile);
    }
    Ok(traced)
}

/// The functions a callgrind profile saw executing, in any object.
///
/// The format names each function (`fn=`, `cfn=`) in full once, as
/// `(ID) NAME`, and by `(ID)` after that; a `fn=` line opens the costs of
/// one. Its objects (`ob=`) are not used: valgrind files code outside the
/// binary's `.text` section, as in a binary linked with this script, under
/// `???`. `with_aliases` keeps the binary's own.
fn executed(profile: &str) -> BTreeSet<String> {
    let mut functions = HashMap::new();
    let mut seen = BTreeSet::new();
    for line in profile.lines() {
        let Some((key, rest)) = line.split_once('=') else { continue };
        if key != "fn" && key != "cfn" {
            continue;
        }
        let Some((id, name)) = compressed(rest) else { continue };
        if let Some(name) = name {
            // Callgrind marks a recursive call's cost with `'DEPTH`.
            let name = name.split_once('\'').map_or(name, |(n, _)| n);
            functions.insert(id.to_owned(), name.to_owned());
        }
        if key == "fn"
            && let Some(name) = functions.get(id)
        {
            seen.insert(name.clone());
        }
    }
    seen
}

/// Those of `names` that are functions of the binary, and every other
/// symbol at the address of one of them, from its `nm` output
/// (`ADDRESS TYPE NAME`).
fn with_aliases(names: &BTreeSet<String>, nm: &str) -> BTreeSet<String> {
    let mut at = HashMap::<&str, Vec<&str>>::new();
    let mut address = HashMap::<&str, &str>::new();
    for line in nm.lines() {
        let mut fields = line.split_whitespace();
        let (Some(addr), Some(kind), Some(name)) = (fields.next(), fields.next(), fields.next()) else { continue };
        if !kind.eq_ignore_ascii_case("t") {
            continue;
        }
        at.entry(addr).or_default().push(name);
        address.insert(name, addr);
    }
    let mut all = BTreeSet::new();
    for name in names {
        if let Some(addr) = address.get(name.as_str()) {
            all.extend(at[addr].iter().map(|n| (*n).to_owned()));
        }
    }
    all
}

/// `(ID) NAME` or `(ID)`.
fn compressed(rest: &str) -> Option<(&str, Option<&str>)> {
    let rest = rest.strip_prefix('(')?;
    let (id, name) = rest.split_once(')')?;
    let name = name.trim();
    Some((id, (!name.is_empty()).then_some(name)))
}

/// The section pattern for a symbol (the part after `.text.`), or None for
/// what is not a named function (callgrind names unknown code by address).
///
/// Every pattern ends in `*`: it then also takes the `.llvm.NUMBER` a
/// ThinLTO build gives a local function it makes visible across code units
/// (a build with whole-program LTO gives none).
fn pattern(symbol: &str) -> Option<String> {
    let symbol = symbol.find(".llvm.").map_or(symbol, |at| &symbol[..at]);
    let name = if let Some(v0) = symbol.strip_prefix("_R") {
        format!("_R{}*", wildcard_v0(v0))
    } else if let Some(path) = legacy_path(symbol) {
        // A legacy name (a crate built without the workspace's flags): its
        // hash covers the type arguments too, so only the path is kept.
        format!("{path}17h*")
    } else if let Some((_, rest)) = symbol.strip_prefix("ring_core_").and_then(|r| r.split_once("__")) {
        // ring's C functions carry its version: `ring_core_0_17_14__NAME`.
        format!("ring_core_*__{rest}*")
    } else {
        format!("{symbol}*")
    };
    // Nothing a linker script could read as more than a name or a wildcard.
    name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.$*".contains(&b)).then_some(name)
}

/// `_ZN...17h<16 hex digits>E` without its hash: the part up to `17h`.
fn legacy_path(symbol: &str) -> Option<&str> {
    let body = symbol.strip_prefix("_ZN")?.strip_suffix('E')?;
    let at = body.rfind("17h")?;
    let hash = &body[at + 3..];
    (hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| &symbol[..3 + at])
}

/// A v0 name with its crate hashes (`Cs<base 62>_`) and back references
/// (`B<base 62>_`: byte offsets, which move when a hash's length does)
/// written as `*`. The scan does not parse the grammar: where an
/// identifier happens to hold such a run, it is widened too, which only
/// lets the pattern take a few more functions.
fn wildcard_v0(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    // The end of a run of base-62 digits starting at `from`, past its `_`.
    let run_end = |from: usize| {
        let mut j = from;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        (j < bytes.len() && bytes[j] == b'_').then_some(j + 1)
    };
    while i < bytes.len() {
        if bytes[i..].starts_with(b"Cs")
            && let Some(end) = run_end(i + 2)
        {
            out.push_str("Cs*_");
            i = end;
        } else if bytes[i] == b'B'
            && let Some(end) = run_end(i + 1)
        {
            out.push_str("B*_");
            i = end;
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    out
}

/// Sections a run needs that a trace under valgrind does not show: code a
/// function picks at run time by what the CPU offers (valgrind's CPU has
/// no SHA extensions, so the trace shows SHA-256 in software), code that
/// depends on the value at hand (formatting a float takes its exact path for
/// some values only), and the static constructors that register every
/// module's migrations. A page of the binary touched outside the gathered
/// code maps the memory around it too: 64 KiB, or a whole large folio.
const ALWAYS: &[&str] = &[
    ".text.startup .text.startup.*",
    ".text._R*4sha26sha256*",
    ".text._R*4core3num7flt2dec*",
    ".text._R*4core3num6bignum*",
];

fn render(patterns: &BTreeSet<String>) -> String {
    let mut s = String::from(
        "/* Written by `cargo xtask hot-text`; do not edit. The functions a deploy\n   \
         executes (`run`, `run` with nothing to do, `status`, also over TLS), gathered before the\n   \
         rest of .text so that a run maps fewer pages (see xtask/src/hot_text.rs).\n   \
         host/build.rs passes it to the linker; VYTAL_HOT_TEXT=0 leaves it out. */\n\
         SECTIONS\n{\n  .text.vytal_hot : {\n",
    );
    for p in ALWAYS {
        s.push_str(&format!("    *({p})\n"));
    }
    for p in patterns {
        s.push_str(&format!("    *(.text.{p} .text.unlikely.{p})\n"));
    }
    s.push_str("  }\n}\nINSERT BEFORE .text;\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a linker script pattern (`*` the only wildcard) takes `name`.
    fn takes(pattern: &str, name: &str) -> bool {
        match pattern.split_once('*') {
            None => pattern == name,
            Some((head, tail)) => name.starts_with(head) && (head.len()..=name.len()).any(|i| takes(tail, &name[i..])),
        }
    }

    #[test]
    fn v0_hashes_and_back_references_become_wildcards() {
        let cases = [
            ("_RNvCs4ddKfNedBQi_4toyh6fmt_it", "_RNvCs*_4toyh6fmt_it*"),
            ("_RNvXsu_CseZ3n2Kp2cxw_4itoayNtB5_8Unsigned3fmt", "_RNvXsu_Cs*_4itoayNtB*_8Unsigned3fmt*"),
            // Disambiguators and constants hold digits that are not lengths.
            ("_RNvMs10_NtNtNtCslNYArtu3iFV_5alloc3vec3new", "_RNvMs10_NtNtNtCs*_5alloc3vec3new*"),
            ("_RINvCs1x_4core4copyAhj2_ECsju3lCURTiBd_10vytal_host", "_RINvCs*_4core4copyAhj2_ECs*_10vytal_host*"),
            ("_RNvNtB15_14current_thread4park", "_RNvNtB*_14current_thread4park*"),
            // An identifier holding such a run is widened: the pattern takes more.
            ("_RNvCsabc_4core9B2_x_Cs1_", "_RNvCs*_4core9B*_x_Cs*_*"),
            // ThinLTO's suffix changes from build to build.
            ("_RNvCsab_1a1f.llvm.1504993255", "_RNvCs*_1a1f*"),
        ];
        for (name, expected) in cases {
            let p = pattern(name);
            assert_eq!(p.as_deref(), Some(expected), "{name}");
            assert!(takes(expected, name), "{expected} does not take {name}");
        }
        // Another build's hashes and ThinLTO number, and no number at all.
        assert!(takes("_RNvMs10_NtNtNtCs*_5alloc3vec3new*", "_RNvMs10_NtNtNtCsQ9x_5alloc3vec3new"));
        assert!(takes("_RNvCs*_1a1f*", "_RNvCsZZ_1a1f.llvm.77"));
        assert!(!takes("_RNvCs*_1a1f*", "_RNvCsZZ_1a1g"));
    }

    #[test]
    fn other_names_keep_what_does_not_change_and_unknown_code_is_left_out() {
        assert_eq!(pattern("_ZN4toyh6fmt_it17hdef316f937c75910E").as_deref(), Some("_ZN4toyh6fmt_it17h*"));
        // A path segment that merely starts with `17h` is not the hash.
        assert_eq!(pattern("_ZN3a17h17hdef316f937c75910E").as_deref(), Some("_ZN3a17h17h*"));
        assert_eq!(
            pattern("ring_core_0_17_14__x25519_ge_frombytes_vartime").as_deref(),
            Some("ring_core_*__x25519_ge_frombytes_vartime*")
        );
        assert_eq!(pattern("main").as_deref(), Some("main*"));
        assert_eq!(pattern("(below main)"), None);
        assert_eq!(pattern("odd{name}"), None);
    }

    #[test]
    fn every_name_at_an_executed_address_is_kept() {
        let nm = "0000000000001000 t _RNvCs1_1a3one\n0000000000001000 t _RNvCs1_1a3two\n0000000000002000 T _RNvCs1_1a5three\n\
                  0000000000001000 r _RNvCs1_1a4data\n";
        let executed: BTreeSet<String> = ["_RNvCs1_1a3two".to_owned()].into();
        let all = with_aliases(&executed, nm);
        assert_eq!(all.into_iter().collect::<Vec<_>>(), ["_RNvCs1_1a3one", "_RNvCs1_1a3two"]);
    }

    #[test]
    fn reads_functions_of_the_binary_only() {
        let profile = "ob=(1) /lib/libc.so.6\nfn=(1) memcpy\n0 3\ncob=(2) /bin/vytal\ncfn=(2) _RNvCs1_1a1f\ncalls=1 0\n\
                       ob=(2)\nfn=(2)\n0 1\nfn=(3) _RNvCs1_1a1g\n0 1\nob=(3) ???\nfn=(4) _RNvCs1_1a1h'2\ncfn=(5) _RNvCs1_1a1z\n";
        let seen = executed(profile);
        assert_eq!(seen.iter().collect::<Vec<_>>(), ["_RNvCs1_1a1f", "_RNvCs1_1a1g", "_RNvCs1_1a1h", "memcpy"]);
        let nm = "1 t _RNvCs1_1a1f\n2 t _RNvCs1_1a1g\n3 t _RNvCs1_1a1h\n4 t _RNvCs1_1a1z\n5 U memcpy\n";
        let binary = with_aliases(&seen, nm);
        assert_eq!(binary.into_iter().collect::<Vec<_>>(), ["_RNvCs1_1a1f", "_RNvCs1_1a1g", "_RNvCs1_1a1h"]);
    }
}
