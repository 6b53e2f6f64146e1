//! Barriers in the way of an opportunity, and how they are being dealt with.

pub mod api;
pub mod pages;
pub mod service;
