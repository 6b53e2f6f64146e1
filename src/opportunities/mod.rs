//! The shared-services opportunity register: ideas for sharing services, their pipeline,
//! savings, barriers, interest from other organisations, comments and search.
//!
//! The opportunity itself is served by `pages`, `api` and `service` here; each thing
//! attached to it has a folder of its own with the same three files, and `transfer` holds
//! the spreadsheet import and the exports. `filter` is the register's one query type;
//! `model`, `queries` and `search` are shared by all of them.

pub mod api;
pub mod barriers;
pub mod call;
pub mod comments;
pub mod filter;
pub mod interest;
pub mod model;
pub mod pages;
pub mod queries;
pub mod savings;
pub mod search;
pub mod service;
pub mod show;
pub mod stages;
pub mod transfer;
pub mod views;

use crate::web::routes::Routes;

/// Every page and API operation of the register.
pub fn routes(r: &mut Routes) {
    api::routes(r);
    pages::routes(r);
    transfer::routes(r);
    for sub in [
        stages::api::routes,
        stages::pages::routes,
        savings::api::routes,
        savings::pages::routes,
        barriers::api::routes,
        barriers::pages::routes,
        interest::api::routes,
        interest::pages::routes,
        comments::api::routes,
        comments::pages::routes,
    ] {
        sub(r);
    }
}
