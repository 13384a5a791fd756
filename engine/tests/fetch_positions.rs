//! Where a consumer fetches from after a leader change (Kafka 4.x): a position between the new
//! leader's high watermark and its log end offset is an empty fetch, not OFFSET_OUT_OF_RANGE
//! (`Partition.fetchRecords` / `UnifiedLog.read` up to the HW); a position past a truncation is
//! found by KIP-320's validation against the leader epoch and the consumer seeks to the first
//! offset known to diverge (`SubscriptionState.maybeCompleteValidation`).

use grouplab_engine::group::{GroupConfig, GroupEvent};
use grouplab_engine::kafka::topic::TopicConfig;
use grouplab_engine::producer::{Acks, KeySpec};
use grouplab_engine::{Command, Event, Sim, SimConfig};

fn leader(sim: &Sim, topic: &str, p: u32) -> Option<u32> {
    sim.view().topics.iter().find(|t| t.name == topic).unwrap().partitions[p as usize].leader
}

/// Runs to `until_ms`, returning the consumer's offset resets on the way.
fn resets(sim: &mut Sim, until_ms: u64) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= until_ms) {
        sim.advance_to(d);
        while let Some(Event { kind, .. }) = sim.poll_event() {
            if let grouplab_engine::EventKind::Group(GroupEvent::OffsetReset { policy, reason, offset, .. }) = kind {
                out.push((policy, reason, offset));
            }
        }
    }
    sim.advance_to(until_ms);
    out
}

/// A three-broker cluster whose `__consumer_offsets` leader (the group coordinator) is not the
/// leader of `clicks-0`, a consumer reading `clicks` from the earliest offset, a producer.
fn setup(rf: u16, topic: TopicConfig, acks: Acks, replica_lag_time_max_ms: u64) -> (Sim, u32) {
    for seed in 0..100 {
        let mut sim = Sim::new(SimConfig { seed, brokers: 3, offsets_topic_num_partitions: 1, replica_lag_time_max_ms, ..SimConfig::default() }).unwrap();
        sim.apply(Command::CreateTopic { name: "clicks".into(), partitions: 1, replication_factor: rf, config: topic.clone() }).unwrap();
        let l = leader(&sim, "clicks", 0).unwrap();
        if leader(&sim, "__consumer_offsets", 0) == Some(l) {
            continue;
        }
        let config = GroupConfig { auto_offset_reset: grouplab_engine::group::AutoOffsetReset::Earliest, assignment_strategies: vec!["cooperative-sticky".into()], ..GroupConfig::default() };
        sim.apply(Command::CreateGroup { group_id: "g".into(), topics: vec!["clicks".into()], config }).unwrap();
        sim.apply(Command::AddConsumer { group_id: "g".into(), client_id: Some("C1".into()), topics: vec![], group_instance_id: None }).unwrap();
        sim.apply(Command::AddProducer { producer_id: None, topic: "clicks".into(), rate_per_sec: 500, keys: KeySpec::None, acks, config: Default::default() }).unwrap();
        return (sim, l);
    }
    panic!("no seed puts the coordinator away from the leader");
}

#[test]
fn a_position_between_the_new_leaders_hw_and_leo_waits_instead_of_resetting() {
    let (mut sim, l) = setup(3, TopicConfig::default(), Acks::All, 30_000);
    let first = resets(&mut sim, 10_000);
    assert_eq!(first.len(), 1, "the first position: {first:?}");
    sim.apply(Command::CrashBroker { broker: l }).unwrap();
    let after = resets(&mut sim, 40_000);
    assert!(after.is_empty(), "a clean failover needs no reset (got {after:?})");
    let g = sim.view().groups.into_iter().find(|g| g.group_id == "g").unwrap();
    assert_eq!(g.delivery.duplicates, 0, "nothing is processed twice");
}

#[test]
fn a_position_past_an_unclean_truncation_seeks_to_the_divergence_point() {
    let topic = TopicConfig { unclean_leader_election_enable: true, ..TopicConfig::default() };
    let (mut sim, l) = setup(2, topic, Acks::One, 2_000);
    let follower = sim.view().topics.iter().find(|t| t.name == "clicks").unwrap().partitions[0].replicas.iter().copied().find(|&b| b != l).unwrap();
    resets(&mut sim, 1_000);
    // The follower falls behind and out of the ISR; the consumer reads on from the leader alone.
    sim.apply(Command::SetBrokerDelay { broker: follower, fetch_delay_ms: Some(600_000) }).unwrap();
    resets(&mut sim, 8_000);
    let diverge_at = sim.view().topics.iter().find(|t| t.name == "clicks").unwrap().partitions[0].replica_states.iter().find(|r| r.broker == follower).unwrap().log_end_offset;
    sim.apply(Command::CrashBroker { broker: l }).unwrap();
    sim.apply(Command::SetBrokerDelay { broker: follower, fetch_delay_ms: None }).unwrap();
    let after = resets(&mut sim, 40_000);
    assert_eq!(leader(&sim, "clicks", 0), Some(follower), "the out-of-sync replica leads (unclean)");
    assert_eq!(after.len(), 1, "{after:?}");
    let (policy, reason, offset) = &after[0];
    assert_eq!(policy, "divergence", "{reason}");
    assert_eq!(*offset as u64, diverge_at, "{reason}");
}
