//! Conventions of the workspace that a test must guard, not memory.

use std::collections::BTreeSet;
use std::path::Path;

use vytal_host::{Catalog, Manifest};

#[test]
fn every_module_crate_is_linked_and_listed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let on_disk: BTreeSet<String> = std::fs::read_dir(root.join("modules"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let linked: BTreeSet<String> = Catalog::linked().modules.into_iter().map(|m| m.name).collect();
    let listed: BTreeSet<String> = Manifest::embedded().unwrap().modules.into_keys().collect();
    assert_eq!(on_disk.len(), 16, "core, the 11 modules of the old suite and the 4 it never built: {on_disk:?}");
    assert_eq!(linked, on_disk, "every crate under modules/ must be named in host/src/linked.rs");
    assert_eq!(listed, on_disk, "every crate under modules/ must be listed in migrations.toml");
    for m in Catalog::linked().modules {
        assert_eq!(m.dir, format!("modules/{}", m.name), "a module's name is its folder's name");
    }
}

#[test]
fn the_shipped_plan_resolves() {
    let plan = vytal_host::resolve(&Manifest::embedded().unwrap(), &Catalog::linked()).unwrap();
    assert_eq!(plan.migrations().len(), 74);
    assert_eq!(plan.migrations()[0].label().to_string(), "core/0001_create_users");
}
