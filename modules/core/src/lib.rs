//! The `core` module: the `users` table that every other VytalWatch module
//! references, its `users_role_enum` type, and the `uuid-ossp` extension whose
//! `uuid_generate_v4()` gives every table its ids.
//!
//! Every other module requires `core ^1.0` in `migrations.toml`.

vytal_contract::module!("core");
