//! The portal through its real HTTP stack, on SQLite or (with TEST_DATABASE_URL) PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod admin;
mod audit;
mod auth;
mod authz_matrix;
mod bad_input;
mod bench_seed;
mod csrf;
mod database_loss;
mod http_standards;
mod invisible_reads;
mod job_isolation;
mod kept;
mod leaders;
mod notifications;
mod opportunities;
mod own_references;
mod platform;
mod programme_import;
mod review_signoff;
mod sessions;
mod spreadsheet_import;
mod throttle;
mod webhook_addresses;
mod workspaces;
