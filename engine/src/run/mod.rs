//! Running the simulation over time: scenario files and the one replay that every caller (the
//! CLI, lessons, tests and the UI's timeline) uses.

pub mod bounds;
pub mod scenario;
pub mod timeline;
