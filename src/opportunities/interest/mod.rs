//! Organisations registering interest in joining an opportunity.

pub mod api;
pub mod pages;
pub mod service;
