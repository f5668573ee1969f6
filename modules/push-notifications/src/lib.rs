//! The `push-notifications` module. Push notification device tokens per user and platform, with
//! delivery statistics.
//!
//! | table | columns | points at (foreign key) |
//! |---|---|---|
//! | `device_tokens` | 16 | `userId` (users) |
//!
//! Foreign keys to `users` come from the `core` module; the module requires `core ^1.0`.

vytal_contract::module!("push-notifications");
