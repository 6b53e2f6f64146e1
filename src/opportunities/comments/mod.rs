//! Comments on an opportunity, which may propose a move.

pub mod api;
pub mod pages;
pub mod service;
