//! Integration tests: one binary, against a real PostgreSQL.
//!
//! Each test creates its own database named after the test and drops it when
//! the test passes (a failed test leaves it behind for inspection; the next
//! run recreates it). The server comes from VYTAL_TEST_SERVER, default
//! postgres://postgres@127.0.0.1:5432.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod adopt;
mod app;
mod audit;
mod check;
mod cli;
mod failures;
mod manifest;
mod operator;
mod plugins;
mod resolve;
mod rollback;
mod run;
mod schema;
mod seed;
mod tls;
mod torture;
mod upgrade;
mod verify;
mod workspace;
