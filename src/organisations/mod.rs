//! Organisations: the tenants.

pub mod api;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;

pub use model::{OrgKind, Organisation};
