//! Shared workspaces: the four Metro themes and programmes, with their members, updates,
//! actions and milestones, outcomes, measures and readings.
//!
//! The workspace itself is served by `pages`, `api` and `service` here; each thing inside a
//! workspace has a folder of its own with the same three files. `model` and `queries` are
//! shared by all of them.

pub mod actions;
pub mod api;
pub mod call;
pub mod chart;
pub mod measures;
pub mod members;
pub mod model;
pub mod outcomes;
pub mod overview;
pub mod pages;
pub mod posts;
pub mod queries;
pub mod service;
pub mod transfer;
pub mod views;

use crate::web::routes::Routes;

/// Every workspace page and API operation.
pub fn routes(r: &mut Routes) {
    api::routes(r);
    pages::routes(r);
    for sub in [
        transfer::routes,
        members::api::routes,
        members::pages::routes,
        posts::api::routes,
        posts::pages::routes,
        actions::api::routes,
        actions::pages::routes,
        outcomes::api::routes,
        outcomes::pages::routes,
        measures::api::routes,
        measures::pages::routes,
    ] {
        sub(r);
    }
}
