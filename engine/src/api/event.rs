//! Output events ([`crate::Sim::poll_event`]): one envelope, [`Event`], with the time and what
//! happened. Each displays as one line (`t=12.345s HW p=orders-3 12->15`) and serializes with one
//! snake_case tagging for every kind, cluster, producer and group events alike:
//! `{"at_ms":12345,"type":"high_watermark","topic":"orders","partition":3,"from":12,"to":15}`,
//! `{"at_ms":45000,"type":"rebalance_completed","group_id":"g","generation_id":2}`.

use std::fmt;

use serde::Serialize;

use crate::cluster::event::ClusterEvent;
use crate::group::GroupEvent;
use crate::producer::event::ProducerEvent;

/// Something that happened in the simulation, at `at_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Simulated time.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened: the event of one machine. Serialized as that event alone (its `type` tag
/// and fields), so the JSON is flat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EventKind {
    /// The log layer: topics, partitions, replicas, brokers.
    Cluster(ClusterEvent),
    /// A producer.
    Producer(ProducerEvent),
    /// A consumer group: its coordinator or one of its consumers.
    Group(GroupEvent),
}

impl Event {
    /// The group event, if it is one.
    pub fn group(&self) -> Option<&GroupEvent> {
        match &self.kind {
            EventKind::Group(g) => Some(g),
            _ => None,
        }
    }

    /// The cluster event, if it is one.
    pub fn cluster(&self) -> Option<&ClusterEvent> {
        match &self.kind {
            EventKind::Cluster(c) => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t={}.{:03}s ", self.at_ms / 1000, self.at_ms % 1000)?;
        match &self.kind {
            EventKind::Cluster(e) => fmt::Display::fmt(e, f),
            EventKind::Producer(e) => fmt::Display::fmt(e, f),
            EventKind::Group(e) => {
                f.write_str("GROUP ")?;
                fmt::Display::fmt(e, f)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::GroupState;

    #[test]
    fn display_one_line() {
        let hw = ClusterEvent::HighWatermark {
            topic: "orders".into(),
            partition: 3,
            from: 12,
            to: 15,
        };
        let e = Event {
            at_ms: 12_345,
            kind: EventKind::Cluster(hw),
        };
        assert_eq!(e.to_string(), "t=12.345s HW p=orders-3 12->15");
        let e = Event {
            at_ms: 5,
            kind: EventKind::Cluster(ClusterEvent::BrokerDown { broker: 1, clean: false }),
        };
        assert_eq!(e.to_string(), "t=0.005s BROKER-DOWN b=1 (crash)");
        assert!(!e.to_string().contains('\n'));
    }

    /// One flat snake_case tagging for every kind, time first.
    #[test]
    fn json_is_flat_and_tagged() {
        let e = Event {
            at_ms: 7,
            kind: EventKind::Cluster(ClusterEvent::BrokerFenced { broker: 2 }),
        };
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"at_ms":7,"type":"broker_fenced","broker":2}"#);
        let g = GroupEvent::StateChanged {
            group_id: "g".into(),
            from: GroupState::Empty,
            to: GroupState::PreparingRebalance,
        };
        let e = Event {
            at_ms: 9,
            kind: EventKind::Group(g),
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"at_ms":9,"type":"state_changed","group_id":"g","from":"Empty","to":"PreparingRebalance"}"#
        );
    }
}
