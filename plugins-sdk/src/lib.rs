//! The SDK for vytal WebAssembly plugins (custom seed and verify logic).
//!
//! Reserved: the plugin interface is not defined yet, and this crate has no
//! API. It exists so the workspace layout is stable for plugin authors.
