//! Kafka's own rules, independent of any simulated machine: the partitioner's and the
//! coordinator's hashing ([`hash`]), topic names and topic configs ([`topic`]), and Kafka's
//! error names as the engine's typed errors ([`error`]).

pub mod error;
pub mod hash;
pub mod topic;
