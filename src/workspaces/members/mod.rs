//! The organisations that are members of a workspace, and their roles.

pub mod api;
pub mod pages;
pub mod service;
