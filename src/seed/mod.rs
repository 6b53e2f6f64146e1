//! Seeding: the demo organisations, people and programmes `serve --demo` loads (from the
//! Metro's own documents), and the large data set the benchmarks measure (`seed-bench`).

pub mod bench;
pub mod demo;
pub mod demo_notifications;
pub mod demo_opportunities;
pub mod demo_reviews;
pub mod demo_workspaces;
