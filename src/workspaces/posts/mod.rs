//! Updates posted in a workspace, and the comments on them.

pub mod api;
pub mod pages;
pub mod service;
