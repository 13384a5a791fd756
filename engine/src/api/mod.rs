//! The engine's public vocabulary: what goes in ([`command::Command`]), what comes out
//! ([`event::Event`]) and what can be read at any time ([`view::View`]). Errors are Kafka's
//! ([`crate::kafka::error::SimError`]).

pub mod command;
pub mod event;
pub mod json;
pub mod view;
