//! The sandbox vytal-host runs WebAssembly plugins in.
//!
//! One [`Runtime`] per process owns the wasmtime `Engine` (fuel and epoch
//! interruption on), a linker per world, and a ticker thread that advances
//! the epoch. [`Runtime::load`] compiles a component once (or reads the
//! compiled form from the cache), finds which world and interface version
//! it was built for, refuses what this host does not support, prepares an
//! `InstancePre`, and reads the plugin's `describe`. Each call then gets a
//! fresh `Store` with the limits: fuel, a wall-clock deadline, a memory cap,
//! and caps on write batches. The database side is the host's [`Db`].
//!
//! This crate knows nothing of PostgreSQL: keeping wasmtime here means
//! edits to the host never rebuild it.

mod bindings;
mod cache;
mod error;
mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Config, Engine, Store, Trap};

use bindings::v0_1_0::{seeder, verifier};
pub use error::PluginError;
use state::State;
pub use state::{Batch, Column, ColumnData, Db, Finding, LogLine, PluginInfo, Rows, SeedRequest, Severity, column_len};

/// The `vytal:plugin` interface versions this host loads.
pub const SUPPORTED_VERSIONS: &[&str] = &["0.1.0"];

/// How often the epoch advances; deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(5);

/// Limits on one invocation of a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Fuel: roughly, WebAssembly instructions.
    pub fuel: u64,
    /// Wall-clock time for the whole invocation.
    pub timeout: Duration,
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Rows per write batch.
    pub batch_rows: usize,
    /// Bytes per write batch (roughly, as the values are counted).
    pub batch_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: 20_000_000_000,
            timeout: Duration::from_secs(60),
            memory_bytes: 256 << 20,
            batch_rows: 100_000,
            batch_bytes: 64 << 20,
        }
    }
}

/// `describe` returns a few strings: it gets a small budget, so a plugin
/// that misbehaves there is refused quickly.
fn describe_limits() -> Limits {
    Limits { fuel: 1_000_000_000, timeout: Duration::from_secs(5), memory_bytes: 64 << 20, ..Limits::default() }
}

/// Which world a plugin was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum World {
    /// Exports `seed`; may write its module's tables.
    Seeder,
    /// Exports `verify`; reads only.
    Verifier,
}

impl World {
    /// `seeder` or `verifier`.
    pub fn as_str(&self) -> &'static str {
        match self {
            World::Seeder => "seeder",
            World::Verifier => "verifier",
        }
    }
}

/// A loaded plugin: compiled, linked, described.
pub struct Plugin<D: Db> {
    name: String,
    world: World,
    info: PluginInfo,
    pre: InstancePre<State<D>>,
    /// How long loading took, and whether the compiled form came from the cache.
    pub load: LoadStats,
}

/// What loading a plugin cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadStats {
    /// Wall time of `load`.
    pub elapsed: Duration,
    /// Whether the compiled form was read from the cache rather than compiled.
    pub cached: bool,
}

impl<D: Db> std::fmt::Debug for Plugin<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("world", &self.world)
            .field("info", &self.info)
            .finish()
    }
}

impl<D: Db> Plugin<D> {
    /// The name it was loaded under (its path, or `module/seed` for a built-in one).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its world.
    pub fn world(&self) -> World {
        self.world
    }

    /// What it says about itself.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }
}

/// What an invocation produced, beside its result: what the plugin logged and how long it took.
#[derive(Debug)]
pub struct Run<R> {
    /// The result.
    pub result: Result<R, PluginError>,
    /// Lines the plugin logged.
    pub logs: Vec<LogLine>,
    /// Wall time, instantiation included.
    pub elapsed: Duration,
}

/// The engine, the linkers and the epoch ticker.
pub struct Runtime<D: Db> {
    engine: Engine,
    seeder: Linker<State<D>>,
    verifier: Linker<State<D>>,
    cache: Option<PathBuf>,
    stop: Arc<AtomicBool>,
}

impl<D: Db> std::fmt::Debug for Runtime<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime").field("cache", &self.cache).finish()
    }
}

impl<D: Db> Drop for Runtime<D> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl<D: Db> Runtime<D> {
    /// Starts the engine. `cache` is a folder for compiled plugins (created if missing); `None` compiles every time.
    pub fn new(cache: Option<PathBuf>) -> Result<Self, PluginError> {
        let mut config = Config::new();
        config.consume_fuel(true).epoch_interruption(true).wasm_component_model(true);
        let engine = Engine::new(&config).map_err(|e| PluginError::Engine(e.to_string()))?;
        let linker = |world: World| -> Result<Linker<State<D>>, PluginError> {
            let mut linker = Linker::new(&engine);
            let result =
                match world {
                    World::Seeder => seeder::Seeder::add_to_linker::<State<D>, wasmtime::component::HasSelf<State<D>>>(
                        &mut linker,
                        |s| s,
                    ),
                    World::Verifier => verifier::Verifier::add_to_linker::<
                        State<D>,
                        wasmtime::component::HasSelf<State<D>>,
                    >(&mut linker, |s| s),
                };
            result
                .and_then(|()| wasmtime_wasi::p2::add_to_linker_async(&mut linker))
                .map_err(|e| PluginError::Engine(e.to_string()))?;
            Ok(linker)
        };
        let (seeder, verifier) = (linker(World::Seeder)?, linker(World::Verifier)?);
        let stop = Arc::new(AtomicBool::new(false));
        let (ticking, flag) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("vytal-plugin-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    ticking.increment_epoch();
                }
            })
            .map_err(|e| PluginError::Engine(format!("cannot start the epoch thread: {e}")))?;
        Ok(Runtime { engine, seeder, verifier, cache, stop })
    }

    /// Compiles (or reads from the cache), checks and describes a plugin.
    pub async fn load(&self, name: &str, wasm: &[u8]) -> Result<Plugin<D>, PluginError> {
        let started = Instant::now();
        let (component, cached) = cache::compile(&self.engine, self.cache.as_deref(), name, wasm)?;
        let (world, version) = inspect(&self.engine, &component, name)?;
        let linker = match world {
            World::Seeder => &self.seeder,
            World::Verifier => &self.verifier,
        };
        let pre = linker.instantiate_pre(&component).map_err(|e| PluginError::WrongShape {
            plugin: name.to_owned(),
            reason: match world {
                World::Verifier => format!(
                    "exports `verify` but cannot be linked as a verifier, which may import only log and db-read ({e:#})"
                ),
                World::Seeder => format!("cannot be linked as a seeder ({e:#})"),
            },
        })?;
        let mut plugin = Plugin {
            name: name.to_owned(),
            world,
            info: PluginInfo {
                name: String::new(),
                version: String::new(),
                wit_version: String::new(),
                module: String::new(),
                reads: Vec::new(),
                writes: Vec::new(),
            },
            pre,
            load: LoadStats { elapsed: Duration::ZERO, cached },
        };
        let described = self.invoke(&plugin, None, &describe_limits(), 0, "describing itself", Call::Describe).await;
        let info = match described.result? {
            Answer::Info(info) => info,
            _ => return Err(PluginError::Engine("describe returned no description".into())),
        };
        if !SUPPORTED_VERSIONS.contains(&info.wit_version.as_str())
            || version.as_deref().is_some_and(|v| v != info.wit_version)
        {
            return Err(PluginError::UnsupportedVersion {
                plugin: name.to_owned(),
                found: version.unwrap_or(info.wit_version),
                supported: SUPPORTED_VERSIONS.join(", "),
            });
        }
        if info.module.is_empty() {
            return Err(PluginError::BadDescription { plugin: name.to_owned(), reason: "it names no module".into() });
        }
        plugin.info = info;
        plugin.load.elapsed = started.elapsed();
        Ok(plugin)
    }

    /// Calls `describe` in a fresh instance: the cost of one invocation with no database work.
    pub async fn describe(&self, plugin: &Plugin<D>) -> Run<PluginInfo> {
        let run = self.invoke(plugin, None, &describe_limits(), 0, "describing itself", Call::Describe).await;
        map_run(Run { result: run.result, logs: run.logs, elapsed: run.elapsed }, |a| match a {
            Answer::Info(info) => info,
            _ => plugin.info.clone(),
        })
    }

    /// Runs a verifier's `verify`.
    pub async fn verify(&self, plugin: &Plugin<D>, db: D, limits: &Limits) -> (D, Run<Vec<Finding>>) {
        let (db, run) = self.expect(plugin, World::Verifier, db, limits, 0, "verifying", Call::Verify).await;
        (db, map_run(run, |a| if let Answer::Findings(f) = a { f } else { Vec::new() }))
    }

    /// Runs a seeder's `seed`.
    pub async fn seed(&self, plugin: &Plugin<D>, db: D, limits: &Limits, request: SeedRequest) -> (D, Run<()>) {
        let seed = request.seed;
        let (db, run) = self.expect(plugin, World::Seeder, db, limits, seed, "seeding", Call::Seed(request)).await;
        (db, map_run(run, |_| ()))
    }

    #[allow(clippy::too_many_arguments)]
    async fn expect(
        &self,
        plugin: &Plugin<D>,
        world: World,
        db: D,
        limits: &Limits,
        seed: u64,
        during: &'static str,
        call: Call,
    ) -> (D, Run<Answer>) {
        if plugin.world != world {
            let error = PluginError::WrongWorld {
                plugin: plugin.name.clone(),
                found: plugin.world.as_str(),
                expected: world.as_str(),
            };
            return (db, Run { result: Err(error), logs: Vec::new(), elapsed: Duration::ZERO });
        }
        let mut run = self.invoke(plugin, Some(db), limits, seed, during, call).await;
        let db = run.db.take().expect("the database goes back to the caller after every invocation");
        (db, Run { result: run.result, logs: run.logs, elapsed: run.elapsed })
    }

    /// One invocation in a fresh store: instantiate, call, classify what stopped it.
    async fn invoke(
        &self,
        plugin: &Plugin<D>,
        db: Option<D>,
        limits: &Limits,
        seed: u64,
        during: &'static str,
        call: Call,
    ) -> Invocation<D> {
        let started = Instant::now();
        let mut store = Store::new(&self.engine, State::new(&plugin.name, db, limits, seed));
        store.limiter(|s| &mut s.limits);
        // A computing guest yields to the async runtime at every epoch tick, so
        // database I/O and timers go on beside it even on one thread; the
        // timeout below, which those yields let fire, is the wall-clock limit.
        store.epoch_deadline_async_yield_and_update(1);
        store.set_epoch_deadline(1);
        let answer = match store.set_fuel(limits.fuel) {
            Ok(()) => match tokio::time::timeout(limits.timeout, call.run(&mut store, &plugin.pre, plugin.world)).await
            {
                Ok(r) => r,
                Err(_) => Err(wasmtime::Error::new(Trap::Interrupt)),
            },
            Err(e) => Err(e),
        };
        let state = store.into_data();
        let result = match answer {
            Ok(Ok(a)) => Ok(a),
            Ok(Err(message)) => Err(PluginError::Returned { plugin: plugin.name.clone(), during, message }),
            Err(e) => {
                Err(PluginError::Trapped { plugin: plugin.name.clone(), during, cause: cause(&e, &state, limits) })
            }
        };
        Invocation { db: state.db, result, logs: state.logs, elapsed: started.elapsed() }
    }
}

struct Invocation<D> {
    db: Option<D>,
    result: Result<Answer, PluginError>,
    logs: Vec<LogLine>,
    elapsed: Duration,
}

fn map_run<A, B>(run: Run<A>, f: impl FnOnce(A) -> B) -> Run<B> {
    Run { result: run.result.map(f), logs: run.logs, elapsed: run.elapsed }
}

/// What to call.
enum Call {
    Describe,
    Verify,
    Seed(SeedRequest),
}

/// What a call returned.
enum Answer {
    Info(PluginInfo),
    Findings(Vec<Finding>),
    Seeded,
}

impl Call {
    async fn run<D: Db>(
        self,
        store: &mut Store<State<D>>,
        pre: &InstancePre<State<D>>,
        world: World,
    ) -> wasmtime::Result<Result<Answer, String>> {
        match world {
            World::Seeder => {
                let instance = seeder::SeederPre::new(pre.clone())?.instantiate_async(&mut *store).await?;
                Ok(match self {
                    Call::Describe => Ok(Answer::Info(instance.call_describe(&mut *store).await?)),
                    Call::Seed(request) => instance.call_seed(&mut *store, request).await?.map(|()| Answer::Seeded),
                    Call::Verify => Err("a seeder cannot verify".to_owned()),
                })
            }
            World::Verifier => {
                let instance = verifier::VerifierPre::new(pre.clone())?.instantiate_async(&mut *store).await?;
                Ok(match self {
                    Call::Describe => Ok(Answer::Info(instance.call_describe(&mut *store).await?)),
                    Call::Verify => instance.call_verify(&mut *store).await?.map(Answer::Findings),
                    Call::Seed(_) => Err("a verifier cannot seed".to_owned()),
                })
            }
        }
    }
}

/// Which world a component was built for, and the `vytal:plugin` version its imports name.
fn inspect(engine: &Engine, component: &Component, name: &str) -> Result<(World, Option<String>), PluginError> {
    let ty = component.component_type();
    let mut version = None;
    for (import, _) in ty.imports(engine) {
        if let Some(rest) = import.strip_prefix("vytal:plugin/") {
            let v = rest.split_once('@').map(|(_, v)| v.to_owned());
            if let Some(v) = v.filter(|v| !SUPPORTED_VERSIONS.contains(&v.as_str())) {
                return Err(PluginError::UnsupportedVersion {
                    plugin: name.to_owned(),
                    found: v,
                    supported: SUPPORTED_VERSIONS.join(", "),
                });
            }
            version = rest.split_once('@').map(|(_, v)| v.to_owned());
        }
    }
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_owned()).collect();
    let has = |n: &str| exports.iter().any(|e| e == n);
    if !has("describe") {
        return Err(PluginError::WrongShape {
            plugin: name.to_owned(),
            reason: format!(
                "does not export `describe`, so it was not built with vytal-plugins-sdk (its exports: {})",
                if exports.is_empty() { "none".to_owned() } else { exports.join(", ") }
            ),
        });
    }
    let world = match (has("seed"), has("verify")) {
        (true, false) => World::Seeder,
        (false, true) => World::Verifier,
        _ => {
            return Err(PluginError::WrongShape {
                plugin: name.to_owned(),
                reason: "must export exactly one of `seed` and `verify`".to_owned(),
            });
        }
    };
    Ok((world, version))
}

/// The limit or rule that stopped a plugin, in words.
fn cause<D>(e: &wasmtime::Error, state: &State<D>, limits: &Limits) -> String {
    if let Some(refusal) = &state.refusal {
        return refusal.clone();
    }
    let text = format!("{e:#}");
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => format!(
            "it used up its CPU budget ({} units of fuel); if the work is legitimate, raise `fuel` under [plugins] in migrations.toml",
            limits.fuel
        ),
        Some(Trap::Interrupt) => format!(
            "it ran past its time limit of {:?}; if the work is legitimate, raise `timeout` under [plugins] in migrations.toml",
            limits.timeout
        ),
        _ if state.panic.is_some() => format!("it panicked: {}", state.panic.as_deref().unwrap_or_default()),
        _ if text.contains("growing memory") => format!(
            "it tried to use more than its memory limit of {} MiB; if the work is legitimate, raise `memory` under [plugins] in migrations.toml",
            limits.memory_bytes >> 20
        ),
        _ => text,
    }
}
