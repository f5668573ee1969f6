//! Plugin costs, measured in process for `cargo xtask bench`.
//!
//! `plugin_bench load`: first load (Cranelift compile), cached load, and one
//! invocation (new store, instantiate, call, drop) of the medications verify
//! plugin the build carries, as medians in milliseconds (JSON on stdout).
//! (The write path is timed end to end by `vytal-host seed` in the bench.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use vytal_plugin_runtime::{Batch, Db, Rows, Runtime};

/// A database that is never reached: describe does no database work.
#[derive(Debug)]
struct NoDb;

impl Db for NoDb {
    async fn query(&mut self, _: String, _: Vec<Option<String>>) -> Result<Rows, String> {
        Err("no database in this benchmark".into())
    }
    async fn write(&mut self, _: Batch) -> Result<u64, String> {
        Err("no database in this benchmark".into())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("load") => load().await,
        _ => panic!("usage: plugin_bench load"),
    }
}

async fn load() {
    let catalog = vytal_host::Catalog::linked();
    let wasm = catalog
        .module("medications")
        .and_then(|m| m.plugins.iter().find(|p| p.kind == "verify"))
        .expect("the build carries medications' verify plugin")
        .wasm
        .clone();
    let cache = std::env::temp_dir().join(format!("vytal-plugin-bench-{}", std::process::id()));
    let (mut first, mut cached, mut call) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        let _ = std::fs::remove_dir_all(&cache);
        let runtime: Runtime<NoDb> = Runtime::new(Some(cache.clone())).unwrap();
        let t = Instant::now();
        runtime.load("medications/verify", &wasm).await.unwrap();
        first.push(ms(t));
    }
    let runtime: Runtime<NoDb> = Runtime::new(Some(cache.clone())).unwrap();
    let mut plugin = None;
    for _ in 0..50 {
        let t = Instant::now();
        let p = runtime.load("medications/verify", &wasm).await.unwrap();
        // A load reads the compiled form, links it, and calls describe once.
        cached.push(ms(t));
        assert!(p.load.cached);
        plugin = Some(p);
    }
    let plugin = plugin.expect("loaded");
    for _ in 0..1000 {
        let t = Instant::now();
        runtime.describe(&plugin).await.result.unwrap();
        call.push(ms(t));
    }
    let _ = std::fs::remove_dir_all(&cache);
    println!(
        "{}",
        serde_json::json!({ "first_load_ms": median(first), "cached_load_ms": median(cached), "invocation_ms": median(call) })
    );
}
