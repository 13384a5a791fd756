//! GroupLab engine
pub mod assign;
