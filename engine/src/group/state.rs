//! The classic group's states and their legal transitions.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Classic group states (`ClassicGroupState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum GroupState {
    /// No members; the group lingers for its offsets.
    Empty,
    /// Waiting for members to (re)join.
    PreparingRebalance,
    /// Join responses sent; waiting for the leader's SyncGroup (`AwaitingSync` in old versions).
    CompletingRebalance,
    /// Assignment distributed.
    Stable,
    /// Metadata is being removed (or the coordinator moved away).
    Dead,
}

impl GroupState {
    /// Kafka's valid previous states for `self` (`ClassicGroupState` constructor).
    pub fn valid_previous_states(self) -> &'static [GroupState] {
        use GroupState::*;
        match self {
            Empty => &[PreparingRebalance],
            PreparingRebalance => &[Stable, CompletingRebalance, Empty],
            CompletingRebalance => &[PreparingRebalance],
            Stable => &[CompletingRebalance],
            Dead => &[Stable, PreparingRebalance, CompletingRebalance, Empty, Dead],
        }
    }

    /// Whether `from → self` is a legal transition.
    pub fn can_transition_from(self, from: GroupState) -> bool {
        self.valid_previous_states().contains(&from)
    }

    /// Kafka's display name.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
