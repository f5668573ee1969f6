//! The `notifications` module: every email, SMS, push and in-app message
//! sent to a user, with its delivery state.
//!
//! | table | points at (foreign key) |
//! |---|---|
//! | `notifications` | `userId` (users) |

vytal_contract::module!("notifications");
