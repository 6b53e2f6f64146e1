//! Actions (must-dos) of a workspace, with their milestones.

pub mod api;
pub mod pages;
pub mod service;
