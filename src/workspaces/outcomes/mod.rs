//! The outcomes a workspace works towards.

pub mod api;
pub mod pages;
pub mod service;
