//! The contract between a vytal module crate and the host.
//!
//! A module crate holds data only: readable SQL files embedded at compile
//! time and one [`Module`] record submitted to [`inventory`]. The host
//! collects every submitted record, checks it against `migrations.toml` and
//! owns everything that talks to a database. Keeping this crate below both
//! sides lets a module depend on nothing that does I/O.

pub mod build;

#[doc(hidden)]
pub use inventory;

/// One migration as compiled into a module crate.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The module version this migration belongs to (its folder name), e.g. `1.0.0`.
    pub version: &'static str,
    /// The file stem without `.up.sql`, e.g. `0001_create_tasks`.
    pub stem: &'static str,
    /// The SQL that applies the migration.
    pub up: &'static str,
    /// The SQL that reverts it.
    pub down: &'static str,
    /// Where the up file lives, relative to the workspace root.
    pub up_path: &'static str,
}

/// A module crate's registration: its name, crate version and migrations.
#[derive(Debug)]
pub struct Module {
    /// The module name as written in `migrations.toml`, e.g. `clinical-notes`.
    pub name: &'static str,
    /// The crate version (`CARGO_PKG_VERSION`); `migrations.toml` must agree.
    pub version: &'static str,
    /// The crate's folder relative to the workspace root, e.g. `modules/tasks`.
    pub dir: &'static str,
    /// Every migration of the crate, in file order.
    pub migrations: &'static [Migration],
    /// The module's plugins, built to WebAssembly and embedded.
    pub plugins: &'static [ModulePlugin],
}

/// A plugin a module crate ships (`plugins/<kind>/`), compiled into the binary.
#[derive(Debug, Clone, Copy)]
pub struct ModulePlugin {
    /// `seed` or `verify`.
    pub kind: &'static str,
    /// The WebAssembly component.
    pub wasm: &'static [u8],
}

inventory::collect!(Module);

/// Every module linked into the running binary, in no particular order.
pub fn linked_modules() -> impl Iterator<Item = &'static Module> {
    inventory::iter::<Module>.into_iter()
}

/// Registers the calling crate as a vytal module.
///
/// The crate's `build.rs` must call [`build::embed_migrations`] and
/// [`build::embed_plugins`], which generate the lists this macro includes.
///
/// ```ignore
/// vytal_contract::module!("medications");
/// ```
#[macro_export]
macro_rules! module {
    ($name:literal) => {
        /// The migrations of this module, embedded from its `migrations/` folder.
        pub static MIGRATIONS: &[$crate::Migration] = include!(concat!(env!("OUT_DIR"), "/vytal_migrations.rs"));

        $crate::inventory::submit! {
            $crate::Module {
                name: $name,
                version: env!("CARGO_PKG_VERSION"),
                dir: include!(concat!(env!("OUT_DIR"), "/vytal_module_dir.rs")),
                migrations: MIGRATIONS,
                plugins: include!(concat!(env!("OUT_DIR"), "/vytal_plugins.rs")),
            }
        }
    };
}
