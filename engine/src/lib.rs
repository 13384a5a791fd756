//! GroupLab engine
pub mod group;
