//! People: users (each in one organisation), invitations, and the admin pages for them.

pub mod api;
pub mod invitations;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;

pub use model::{Role, User, UserStatus};
