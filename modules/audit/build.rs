//! Embeds this module's SQL files (migrations/<version>/NNNN_name.{up,down}.sql)
//! and its plugins (plugins/{seed,verify}/, built to WebAssembly).

fn main() {
    vytal_contract::build::embed_migrations();
    vytal_contract::build::embed_plugins();
}
