//! Leaders' joint progress: the dashboard and its SVG charts. Everything counted is what
//! the viewer may see: workspaces they may open, opportunities they may read.

pub mod api;
pub mod chart;
pub mod pages;
pub mod queries;
mod views;
