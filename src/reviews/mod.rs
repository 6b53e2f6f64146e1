//! Quarterly reviews: a leader opens one for a quarter with a deadline, and the review
//! belongs to their organisation (the programme office or a lead council). Each
//! workspace's lead organisation submits a return; the leaders of the opening organisation
//! (and platform admins) send returns back or accept them and sign off. Sign-off freezes a
//! snapshot, so later edits to live data never change a signed-off review.

pub mod api;
pub mod board_pack;
pub mod model;
pub mod pages;
pub mod service;
pub mod summary;
mod views;
