//! Host bindings for each supported version of the `vytal:plugin` interfaces.
//!
//! One module per released WIT folder; both worlds of a version share the
//! types and import traits generated for the seeder world.

/// `vytal:plugin@0.1.0`.
pub mod v0_1_0 {
    /// The seeder world: log, rand, db-read and db-write imported; `describe` and `seed` exported.
    pub mod seeder {
        wasmtime::component::bindgen!({
            path: "../../plugins-sdk/wit/v0.1.0",
            world: "seeder",
            imports: {
                "vytal:plugin/db-read.query": async | trappable,
                "vytal:plugin/db-write.write": async | trappable,
                default: trappable,
            },
            exports: { default: async },
        });
    }

    /// The verifier world: log and db-read imported; `describe` and `verify` exported.
    pub mod verifier {
        wasmtime::component::bindgen!({
            path: "../../plugins-sdk/wit/v0.1.0",
            world: "verifier",
            exports: { default: async },
            with: {
                "vytal:plugin/types": super::seeder::vytal::plugin::types,
                "vytal:plugin/log": super::seeder::vytal::plugin::log,
                "vytal:plugin/db-read": super::seeder::vytal::plugin::db_read,
            },
        });
    }
}
