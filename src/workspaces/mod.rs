//! Shared workspaces: the four Metro themes and programmes, with their members, updates,
//! actions and milestones, outcomes, measures and readings.

pub mod api;
pub mod chart;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;
