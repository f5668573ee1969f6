//! Embeds this module's SQL files (migrations/<version>/NNNN_name.{up,down}.sql).

fn main() {
    vytal_contract::build::embed_migrations();
}
