//! Measures of a workspace and the readings recorded against them.

pub mod api;
pub mod pages;
pub mod service;
