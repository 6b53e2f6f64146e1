//! Metro Portal: the Derby–Nottingham Metro collaboration portal.

pub mod audit;
pub mod auth;
pub mod authz;
pub mod cache;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod email;
pub mod error;
pub mod events;
pub mod identity;
pub mod jobs;
#[cfg(test)]
mod layers;
pub mod notifications;
pub mod openapi;
pub mod opportunities;
pub mod organisations;
pub mod reviews;
pub mod schema;
pub mod seed;
pub mod site;
pub mod spreadsheet;
pub mod startup;
pub mod state;
pub mod tabular;
pub mod users;
pub mod validate;
pub mod web;
pub mod workbook;
pub mod workspaces;

pub use error::{AppError, AppResult};
