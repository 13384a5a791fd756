//! Kafka's own rules, independent of any simulated machine: the partitioner's and the
//! coordinator's hashing ([`hash`]), topic names and topic configs ([`topic`]), ISO-8601
//! durations as Java reads them ([`duration`]), and Kafka's error names as the engine's typed
//! errors ([`error`]).

pub mod duration;
pub mod error;
pub mod hash;
pub mod topic;
