//! The shared-services opportunity register: ideas for sharing services, their pipeline,
//! savings, barriers, interest from other organisations, comments and search.

pub mod api;
pub mod export;
pub mod filter;
pub mod import;
pub mod model;
pub mod pages;
pub mod queries;
pub mod search;
pub mod service;
pub mod upload;
