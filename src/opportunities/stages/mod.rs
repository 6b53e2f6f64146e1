//! Moving an opportunity through the pipeline, and the moves it has made.

pub mod api;
pub mod pages;
pub mod service;
