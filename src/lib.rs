//! Metro Portal: the Derby–Nottingham Metro collaboration portal.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod bench_seed;
pub mod cache;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod demo_notifications;
pub mod demo_opportunities;
pub mod demo_reviews;
pub mod demo_workspaces;
pub mod email;
pub mod error;
pub mod events;
pub mod jobs;
pub mod notifications;
pub mod openapi;
pub mod opportunities;
pub mod organisations;
pub mod reviews;
pub mod schema;
pub mod site;
pub mod spreadsheet;
pub mod startup;
pub mod state;
pub mod users;
pub mod validate;
pub mod web;
pub mod workspaces;

pub use error::{AppError, AppResult};
