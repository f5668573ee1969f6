//! What can go wrong with a plugin, each naming the plugin and what to do.

use std::path::PathBuf;

/// Errors loading or running a plugin. Every message names the plugin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PluginError {
    /// The file could not be read.
    #[error("cannot read plugin {path}: {source}; pass the path of a built .wasm component")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not a WebAssembly component.
    #[error(
        "plugin {plugin} is not a WebAssembly component ({reason}); build it with `cargo xtask plugin build DIR` (a core module from plain `cargo build --target wasm32-unknown-unknown` is not enough)"
    )]
    NotAComponent {
        /// The plugin.
        plugin: String,
        /// Why wasmtime refused it.
        reason: String,
    },
    /// It was built against an interface version this host does not support.
    #[error(
        "plugin {plugin} was built for vytal:plugin@{found}, which this vytal-host does not support (it supports {supported}); rebuild the plugin against a supported vytal-plugins-sdk, or upgrade vytal-host"
    )]
    UnsupportedVersion {
        /// The plugin.
        plugin: String,
        /// The version it imports or declares.
        found: String,
        /// The versions this host supports, comma-separated.
        supported: String,
    },
    /// It does not have the shape of a seeder or a verifier.
    #[error("plugin {plugin} {reason}")]
    WrongShape {
        /// The plugin.
        plugin: String,
        /// What is wrong, e.g. "exports neither `seed` nor `verify`".
        reason: String,
    },
    /// It was expected to be one kind and is the other.
    #[error(
        "plugin {plugin} is a {found}, but a {expected} was asked for; give seed plugins to `seed` and verify plugins to `verify`"
    )]
    WrongWorld {
        /// The plugin.
        plugin: String,
        /// `seeder` or `verifier`.
        found: &'static str,
        /// `seeder` or `verifier`.
        expected: &'static str,
    },
    /// It stopped: a trap, a limit, a panic.
    #[error("plugin {plugin} stopped while {during}: {cause}")]
    Trapped {
        /// The plugin.
        plugin: String,
        /// What it was doing, e.g. `verifying`.
        during: &'static str,
        /// The limit or rule it hit, or the guest's panic message.
        cause: String,
    },
    /// It returned an error of its own.
    #[error("plugin {plugin} failed while {during}: {message}")]
    Returned {
        /// The plugin.
        plugin: String,
        /// What it was doing.
        during: &'static str,
        /// Its message.
        message: String,
    },
    /// Its `describe` disagrees with what it is.
    #[error("plugin {plugin} describes itself wrongly: {reason}")]
    BadDescription {
        /// The plugin.
        plugin: String,
        /// What is wrong.
        reason: String,
    },
    /// The runtime itself could not be set up.
    #[error("the plugin runtime could not start: {0}")]
    Engine(String),
}
