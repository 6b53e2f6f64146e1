//! The portal through its real HTTP stack, on SQLite or (with TEST_DATABASE_URL) PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod audit;
mod auth;
mod authz_matrix;
mod csrf;
mod opportunities;
mod platform;
mod sessions;
mod workspaces;
