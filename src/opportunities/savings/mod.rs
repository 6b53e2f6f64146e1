//! Savings recorded against an opportunity: estimated, validated and realised.

pub mod api;
pub mod pages;
pub mod service;
