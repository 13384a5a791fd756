//! The Kafka log layer through the public API: validation messages, replication, ISR,
//! elections, retention, compaction, the partitioner and the group-layer hooks.

use grouplab_engine::producer::{Acks, KeySpec};
use grouplab_engine::kafka::topic::{CleanupPolicy, TopicConfig};
use grouplab_engine::cluster::event::ClusterEvent;
use grouplab_engine::producer::ProducerEvent;
use grouplab_engine::{Command, Event, EventKind, Sim, SimConfig, SimError};

/// Records of 104857 simulated bytes, so the smallest segment (1 MiB) holds 10 of them; fetches
/// still carry up to 1000.
fn big_records() -> SimConfig {
    SimConfig { record_size_bytes: 104_857, replica_fetch_max_bytes: 104_857_000, batch_size: 10_485_700, ..SimConfig::default() }
}

/// KIP-1030: `segment.bytes` below 1 MiB is refused with Kafka's message.
#[test]
fn segment_bytes_below_one_mebibyte_is_refused() {
    let mut sim = sim3();
    let err = create(&mut sim, "t", 1, 1, TopicConfig { segment_bytes: 1_000, ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("Invalid value 1000 for configuration segment.bytes: Value must be at least 1048576"), "{err}");
}

fn sim3() -> Sim {
    Sim::new(SimConfig { seed: 11, offsets_topic_num_partitions: 5, ..SimConfig::default() }).unwrap()
}

fn create(sim: &mut Sim, name: &str, partitions: u32, rf: u16, config: TopicConfig) -> Result<(), SimError> {
    sim.apply(Command::CreateTopic { name: name.into(), partitions, replication_factor: rf, config })
}

fn drain(sim: &mut Sim) -> Vec<Event> {
    let mut v = Vec::new();
    while let Some(e) = sim.poll_event() {
        v.push(e);
    }
    v
}

fn part(sim: &Sim, topic: &str, p: u32) -> grouplab_engine::PartitionView {
    sim.view().topics.into_iter().find(|t| t.name == topic).unwrap().partitions[p as usize].clone()
}

#[test]
fn topic_creation_errors_use_kafka_messages() {
    let mut sim = sim3();
    create(&mut sim, "a.b", 1, 1, TopicConfig::default()).unwrap();
    assert_eq!(
        create(&mut sim, "a_b", 1, 1, TopicConfig::default()).unwrap_err(),
        SimError::InvalidTopic("Topic 'a_b' collides with existing topic: a.b".into())
    );
    assert!(matches!(create(&mut sim, "a.b", 1, 1, TopicConfig::default()), Err(SimError::TopicAlreadyExists(_))));
    assert!(matches!(create(&mut sim, "__consumer_offsets", 1, 1, TopicConfig::default()), Err(SimError::InvalidRequest(_))));
    assert!(matches!(create(&mut sim, "__transaction_state", 1, 1, TopicConfig::default()), Err(SimError::InvalidRequest(_))));
    assert_eq!(
        create(&mut sim, "x", 1, 4, TopicConfig::default()).unwrap_err().to_string(),
        "InvalidReplicationFactorException: Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered."
    );
    assert!(matches!(create(&mut sim, "x", 10_001, 1, TopicConfig::default()), Err(SimError::LimitExceeded(_))));
    assert!(matches!(create(&mut sim, "x", 0, 1, TopicConfig::default()), Err(SimError::InvalidPartitions(_))));
    // RF is checked against live brokers.
    sim.apply(Command::ShutdownBroker { broker: 2 }).unwrap();
    assert!(matches!(create(&mut sim, "y", 1, 3, TopicConfig::default()), Err(SimError::InvalidReplicationFactor(_))));
    assert!(Sim::new(SimConfig { brokers: 101, ..SimConfig::default() }).is_err());
}

#[test]
fn create_partitions_cannot_decrease() {
    let mut sim = sim3();
    create(&mut sim, "t", 4, 2, TopicConfig::default()).unwrap();
    assert_eq!(
        sim.apply(Command::CreatePartitions { topic: "t".into(), count: 2 }).unwrap_err(),
        SimError::InvalidPartitions("The topic t currently has 4 partition(s); 2 would not be an increase.".into())
    );
    sim.apply(Command::CreatePartitions { topic: "t".into(), count: 7 }).unwrap();
    assert_eq!(sim.view().topics[1].partitions.len(), 7);
    assert!(sim.view().topics[1].partitions.iter().all(|p| p.replicas.len() == 2));
}

#[test]
fn replica_placement_spreads_leaders_and_replicas() {
    let mut sim = Sim::new(SimConfig { seed: 5, brokers: 5, offsets_topic_num_partitions: 1, ..SimConfig::default() }).unwrap();
    create(&mut sim, "t", 10, 3, TopicConfig::default()).unwrap();
    let v = sim.view();
    let mut leaders = [0; 5];
    for p in &v.topics[1].partitions {
        let mut r = p.replicas.clone();
        r.sort();
        r.dedup();
        assert_eq!(r.len(), 3, "distinct replicas");
        leaders[p.replicas[0] as usize] += 1;
    }
    assert_eq!(leaders, [2; 5], "preferred leaders round-robin over brokers");
}

#[test]
fn not_enough_replicas_for_acks_all() {
    let mut sim = sim3();
    create(&mut sim, "t", 1, 3, TopicConfig { min_insync_replicas: 3, ..Default::default() }).unwrap();
    sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: Acks::All }).unwrap();
    sim.advance_to(1_000);
    let follower = part(&sim, "t", 0).replicas[1];
    sim.apply(Command::ShutdownBroker { broker: follower }).unwrap();
    let err = sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: Acks::All }).unwrap_err();
    assert!(matches!(&err, SimError::ProduceRejected { error, .. } if error == "NOT_ENOUGH_REPLICAS"), "{err}");
    // acks=1 is still accepted, but the HW cannot advance below min ISR.
    sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: Acks::One }).unwrap();
    sim.advance_to(2_000);
    let p = part(&sim, "t", 0);
    assert_eq!(p.log_end_offset, 10);
    assert_eq!(p.high_watermark, 5, "HW frozen while ISR < min.insync.replicas");
    // A producer with retries=0 counts the rejections (the default retries them: producer_retries.rs).
    let config = grouplab_engine::producer::ProducerOptions { retries: Some(0), ..Default::default() };
    sim.apply(Command::AddProducer { producer_id: Some("w".into()), topic: "t".into(), rate_per_sec: 100, keys: KeySpec::None, acks: Acks::All, config }).unwrap();
    sim.advance_to(3_000);
    let pv = sim.view().producers[0].clone();
    assert_eq!(pv.appended, 0);
    assert_eq!(pv.failed, pv.sent);
    assert!(pv.failed >= 99);
    assert!(drain(&mut sim).iter().any(|e| matches!(&e.kind, EventKind::Producer(ProducerEvent::ProduceFailed { error, .. }) if error == "NOT_ENOUGH_REPLICAS")));
}

#[test]
fn slow_follower_leaves_isr_and_rejoins() {
    let mut sim = sim3();
    create(&mut sim, "t", 1, 3, TopicConfig::default()).unwrap();
    let p = part(&sim, "t", 0);
    let slow = p.replicas[2];
    sim.apply(Command::AddProducer { producer_id: None, topic: "t".into(), rate_per_sec: 100, keys: KeySpec::None, acks: Acks::One, config: Default::default() }).unwrap();
    sim.apply(Command::SetBrokerDelay { broker: slow, fetch_delay_ms: Some(60_000) }).unwrap();
    sim.advance_to(29_000);
    assert!(part(&sim, "t", 0).isr.contains(&slow), "still within replica.lag.time.max.ms");
    sim.advance_to(50_000);
    assert!(!part(&sim, "t", 0).isr.contains(&slow), "dropped after replica.lag.time.max.ms");
    assert!(drain(&mut sim).iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::IsrShrink { removed, .. }) if *removed == slow)));
    // HW keeps advancing with the remaining ISR.
    let hw1 = part(&sim, "t", 0).high_watermark;
    sim.advance_to(55_000);
    assert!(part(&sim, "t", 0).high_watermark > hw1);
    sim.apply(Command::SetBrokerDelay { broker: slow, fetch_delay_ms: None }).unwrap();
    sim.advance_to(125_000);
    assert!(part(&sim, "t", 0).isr.contains(&slow), "rejoined once caught up");
    sim.check_invariants().unwrap();
}

#[test]
fn controlled_shutdown_moves_leadership_at_once_and_crash_waits_for_session_timeout() {
    let mut sim = sim3();
    create(&mut sim, "t", 3, 3, TopicConfig::default()).unwrap();
    let l0 = part(&sim, "t", 0).leader.unwrap();
    sim.apply(Command::ShutdownBroker { broker: l0 }).unwrap();
    let p = part(&sim, "t", 0);
    assert_ne!(p.leader, Some(l0));
    assert_eq!(p.leader_epoch, 1);
    assert!(!p.isr.contains(&l0));
    sim.apply(Command::RestartBroker { broker: l0 }).unwrap();
    sim.advance_to(1_000);
    assert!(part(&sim, "t", 0).isr.contains(&l0));

    let l1 = part(&sim, "t", 1).leader.unwrap();
    sim.apply(Command::CrashBroker { broker: l1 }).unwrap();
    sim.advance_to(1_000 + 8_999);
    assert_eq!(part(&sim, "t", 1).leader, Some(l1), "not fenced before broker.session.timeout.ms");
    sim.advance_to(1_000 + 9_000);
    let p = part(&sim, "t", 1);
    assert_ne!(p.leader, Some(l1));
    assert!(p.leader.is_some());
}

/// The only ISR member shuts down: the partition is offline until it returns. Without ELR
/// (`eligible.leader.replicas.version` 0, before 4.1) KRaft keeps it as the last ISR member;
/// with ELR (KIP-966) the ISR empties and it waits in the ELR, electable cleanly when back.
#[test]
fn offline_partition_without_unclean_election_waits_for_isr_member() {
    for version in [1u8, 0] {
        let mut sim = Sim::new(SimConfig { eligible_leader_replicas_version: version, ..SimConfig { seed: 11, offsets_topic_num_partitions: 5, ..SimConfig::default() } }).unwrap();
        create(&mut sim, "t", 1, 2, TopicConfig::default()).unwrap();
        let p = part(&sim, "t", 0);
        let (leader, follower) = (p.replicas[0], p.replicas[1]);
        sim.apply(Command::ShutdownBroker { broker: follower }).unwrap();
        sim.apply(Command::Produce { topic: "t".into(), count: 10, key: None, acks: Acks::One }).unwrap();
        sim.advance_to(100);
        sim.apply(Command::RestartBroker { broker: follower }).unwrap();
        sim.apply(Command::SetBrokerDelay { broker: follower, fetch_delay_ms: Some(1_000_000) }).unwrap();
        sim.apply(Command::ShutdownBroker { broker: leader }).unwrap();
        let p = part(&sim, "t", 0);
        assert_eq!(p.leader, None, "offline: the only ISR member is down");
        if version == 0 {
            assert_eq!(p.isr, vec![leader], "KRaft keeps the last ISR member");
        } else {
            assert_eq!((p.isr.clone(), p.elr.clone()), (vec![], vec![leader]), "the ISR empties, the member waits in the ELR");
        }
        sim.apply(Command::RestartBroker { broker: leader }).unwrap();
        let p = part(&sim, "t", 0);
        assert_eq!(p.leader, Some(leader));
        assert_eq!(p.isr, vec![leader]);
        assert_eq!(p.lost_records, 0);
        sim.check_invariants().unwrap();
    }
}

#[test]
fn unclean_election_loses_exactly_the_tail() {
    let mut sim = sim3();
    create(&mut sim, "t", 1, 2, TopicConfig { unclean_leader_election_enable: true, ..Default::default() }).unwrap();
    let p = part(&sim, "t", 0);
    let (leader, follower) = (p.replicas[0], p.replicas[1]);
    sim.apply(Command::Produce { topic: "t".into(), count: 10, key: None, acks: Acks::One }).unwrap();
    sim.advance_to(1_000);
    sim.apply(Command::ShutdownBroker { broker: follower }).unwrap();
    sim.apply(Command::Produce { topic: "t".into(), count: 7, key: None, acks: Acks::One }).unwrap();
    sim.advance_to(2_000);
    // Follower comes back but cannot fetch; the leader dies.
    sim.apply(Command::RestartBroker { broker: follower }).unwrap();
    sim.apply(Command::SetBrokerDelay { broker: follower, fetch_delay_ms: Some(1_000_000) }).unwrap();
    sim.apply(Command::ShutdownBroker { broker: leader }).unwrap();
    let p = part(&sim, "t", 0);
    assert_eq!(p.leader, Some(follower));
    assert_eq!(p.log_end_offset, 10);
    assert_eq!(p.lost_records, 7);
    assert_eq!(p.lost_acknowledged, 7);
    let events = drain(&mut sim);
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::LeaderElected { unclean: true, .. }))));
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::RecordsLost { first_offset: 10, last_offset: 16, count: 7, .. }))));
    let lost = &sim.cluster().topic("t").unwrap().partitions[0].lost;
    assert_eq!(lost.iter().map(|l| l.offset).collect::<Vec<_>>(), (10..17).collect::<Vec<_>>());
    // New data at offset 10 under the new epoch; the old leader truncates when it returns.
    sim.apply(Command::Produce { topic: "t".into(), count: 3, key: None, acks: Acks::One }).unwrap();
    sim.apply(Command::RestartBroker { broker: leader }).unwrap();
    sim.advance_to(5_000);
    let events = drain(&mut sim);
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::Truncated { broker, from_leo: 17, to_offset: 10, .. }) if *broker == leader)), "{events:?}");
    let p = part(&sim, "t", 0);
    assert!(p.replica_states.iter().all(|r| r.log_end_offset == 13));
    let c = sim.cluster().topic("t").unwrap();
    let a = c.partitions[0].log_of(leader).unwrap().records().to_vec();
    let b = c.partitions[0].log_of(follower).unwrap().records().to_vec();
    assert_eq!(a, b, "logs identical after truncation and catch-up");
    sim.check_invariants().unwrap();
}

#[test]
fn retention_deletes_whole_segments_below_hw() {
    // 10 records per segment (the smallest segment.bytes, 1 MiB since KIP-1030, over records of
    // 104857 simulated bytes), keep ~25 records.
    let mut sim = Sim::new(SimConfig { seed: 1, offsets_topic_num_partitions: 1, log_retention_check_interval_ms: 1_000, ..big_records() }).unwrap();
    create(&mut sim, "t", 1, 3, TopicConfig { segment_bytes: 1_048_576, retention_records: 25, ..Default::default() }).unwrap();
    sim.apply(Command::Produce { topic: "t".into(), count: 55, key: None, acks: Acks::All }).unwrap();
    sim.advance_to(1_500);
    let p = part(&sim, "t", 0);
    assert_eq!(p.high_watermark, 55);
    assert_eq!(p.log_start_offset, 30, "segments [0,10),[10,20),[20,30) deleted; 25 records kept");
    assert!(p.replica_states.iter().all(|r| r.log_start_offset == 30), "{:?}", p.replica_states);
    assert!(drain(&mut sim).iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::RetentionDeleted { from: 0, to: 30, segments: 3, .. }))));
    // Time-based.
    let mut sim = Sim::new(SimConfig { seed: 1, offsets_topic_num_partitions: 1, log_retention_check_interval_ms: 1_000, ..SimConfig::default() }).unwrap();
    create(&mut sim, "t", 1, 1, TopicConfig { retention_ms: 10_000, segment_ms: 1_000, ..Default::default() }).unwrap();
    sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: Acks::All }).unwrap();
    sim.advance_to(5_000);
    sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: Acks::All }).unwrap();
    sim.advance_to(10_500);
    assert_eq!(part(&sim, "t", 0).log_start_offset, 0);
    sim.advance_to(11_500);
    assert_eq!(part(&sim, "t", 0).log_start_offset, 5, "first segment expired");
    sim.advance_to(16_500);
    let p = part(&sim, "t", 0);
    assert_eq!((p.log_start_offset, p.log_end_offset, p.retained_records), (10, 10, 0));
}

#[test]
fn compaction_keeps_latest_value_per_key_outside_active_segment() {
    let mut sim = Sim::new(SimConfig { seed: 1, offsets_topic_num_partitions: 1, log_cleaner_backoff_ms: 1_000, ..big_records() }).unwrap();
    create(&mut sim, "c", 1, 2, TopicConfig { cleanup_policy: CleanupPolicy::Compact, segment_bytes: 1_048_576, ..Default::default() }).unwrap();
    let err = sim.apply(Command::Produce { topic: "c".into(), count: 1, key: None, acks: Acks::All }).unwrap_err();
    assert!(matches!(&err, SimError::ProduceRejected { error, .. } if error == "INVALID_RECORD"));
    for round in 0..5 {
        for k in ["a", "b", "c", "d"] {
            let _ = round;
            sim.apply(Command::Produce { topic: "c".into(), count: 1, key: Some(k.into()), acks: Acks::All }).unwrap();
        }
    }
    // 20 records, segments of 10: [0,10) [10,20) and active segment starting at 20? No: the
    // active segment is [10,20); only [0,10) is cleanable.
    sim.advance_to(2_500);
    let c = sim.cluster().topic("c").unwrap();
    let leader = c.partitions[0].leader.unwrap();
    let offs: Vec<u64> = c.partitions[0].log_of(leader).unwrap().records().iter().map(|r| r.offset).collect();
    // In [0,10): latest per key below 10 are 6(c)... keys cycle a,b,c,d: a at 0,4,8; b 1,5,9; c 2,6; d 3,7.
    assert_eq!(&offs[..4], &[6, 7, 8, 9]);
    assert_eq!(offs.len(), 4 + 10);
    assert_eq!(part(&sim, "c", 0).compacted_records, 6);
    assert!(drain(&mut sim).iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::Compacted { removed: 6, cleaned_up_to: 10, .. }))));
    sim.check_invariants().unwrap();
}

#[test]
fn keyed_records_follow_murmur2_and_null_keys_stick_per_batch() {
    let mut sim = sim3();
    create(&mut sim, "t", 12, 1, TopicConfig::default()).unwrap();
    for (key, p) in [("21", 0u32), ("foobar", 6), ("a-little-bit-long-string", 8), ("abc", 3)] {
        sim.apply(Command::Produce { topic: "t".into(), count: 1, key: Some(key.into()), acks: Acks::One }).unwrap();
        assert_eq!(part(&sim, "t", p).log_end_offset, 1, "{key} -> {p}");
    }
    // batch.size 16384 / 100-byte records = 163 records per sticky batch.
    let mut sim = sim3();
    create(&mut sim, "n", 12, 1, TopicConfig::default()).unwrap();
    sim.apply(Command::Produce { topic: "n".into(), count: 163 * 4, key: None, acks: Acks::One }).unwrap();
    let v = sim.view();
    let leos: Vec<u64> = v.topics[1].partitions.iter().map(|p| p.log_end_offset).collect();
    assert_eq!(leos.iter().sum::<u64>(), 652);
    assert!(leos.iter().all(|&l| l % 163 == 0), "{leos:?}");
}

#[test]
fn records_are_read_up_to_the_high_watermark() {
    let mut sim = sim3();
    create(&mut sim, "orders", 2, 3, TopicConfig::default()).unwrap();
    sim.advance_to(1_000);
    // Records of a partition between an offset and the HW.
    sim.apply(Command::Produce { topic: "orders".into(), count: 5, key: Some("k".into()), acks: Acks::All }).unwrap();
    sim.advance_to(2_000);
    let p = grouplab_engine::kafka::hash::partition_for_key("k", 2);
    let recs = sim.cluster().read("orders", p, 2, 10).unwrap();
    assert_eq!(recs.iter().map(|r| r.offset).collect::<Vec<_>>(), vec![2, 3, 4]);
    assert_eq!(sim.cluster().high_watermark("orders", p), Some(5));
}

/// `set_producer_rate`: one enum variant and its handler; the JSON form comes from the derive.
#[test]
fn a_producer_rate_can_change_while_it_runs() {
    let mut sim = sim3();
    create(&mut sim, "clicks", 3, 3, TopicConfig::default()).unwrap();
    let add: Command = serde_json::from_str(r#"{"type":"add_producer","producer_id":"p","topic":"clicks","rate_per_sec":100}"#).unwrap();
    sim.apply(add).unwrap();
    sim.advance_to(10_000);
    let sent = |sim: &Sim| sim.view().producers[0].sent;
    assert_eq!(sent(&sim), 1_000);
    let faster: Command = serde_json::from_str(r#"{"type":"set_producer_rate","producer_id":"p","rate_per_sec":1000}"#).unwrap();
    sim.apply(faster).unwrap();
    sim.advance_to(20_000);
    assert_eq!(sent(&sim), 11_000);
    let unknown = Command::SetProducerRate { producer_id: "nobody".into(), rate_per_sec: 1 };
    let before = sim.state_hash();
    assert!(matches!(sim.apply(unknown), Err(SimError::UnknownClient(_))));
    assert!(matches!(sim.apply(Command::SetProducerRate { producer_id: "p".into(), rate_per_sec: u32::MAX }), Err(SimError::LimitExceeded(_))));
    assert_eq!(sim.state_hash(), before, "a rejected command changes nothing");
}

/// Kafka 4.x `Partition.effectiveMinIsr`: `min.insync.replicas` above the replication factor is
/// capped at it, so acks=all writes succeed and the HW advances once all replicas are in sync
/// (the engine used to block them forever).
#[test]
fn min_insync_replicas_above_the_replication_factor_is_capped_at_it() {
    let mut sim = sim3();
    let config = TopicConfig { min_insync_replicas: 3, ..TopicConfig::default() };
    create(&mut sim, "audit", 1, 2, config).unwrap();
    sim.apply(Command::Produce { topic: "audit".into(), count: 5, key: None, acks: Acks::All }).unwrap();
    sim.advance_to(2_000);
    assert_eq!(part(&sim, "audit", 0).high_watermark, 5);
    // With a replica out of the ISR, the effective minimum (2) is not met: NOT_ENOUGH_REPLICAS.
    let follower = part(&sim, "audit", 0).replicas.into_iter().find(|&b| Some(b) != part(&sim, "audit", 0).leader).unwrap();
    sim.apply(Command::CrashBroker { broker: follower }).unwrap();
    sim.advance_to(60_000);
    assert_eq!(part(&sim, "audit", 0).isr.len(), 1);
    let err = sim.apply(Command::Produce { topic: "audit".into(), count: 1, key: None, acks: Acks::All }).unwrap_err();
    assert!(matches!(err, SimError::ProduceRejected { ref error, .. } if error == "NOT_ENOUGH_REPLICAS"), "{err}");
}

/// KIP-966 (`PartitionChangeBuilder.maybePopulateTargetElr` / `electAnyLeader`, on by default
/// since 4.1): followers that fall out of the ISR while it is below `min.insync.replicas` hold
/// every committed record (the HW stopped) and become eligible leader replicas; when the last
/// ISR member dies the ISR empties and an ELR member leads cleanly. With
/// `eligible.leader.replicas.version` 0 the partition stays offline instead.
#[test]
fn an_eligible_leader_replica_leads_cleanly_when_the_isr_empties() {
    for version in [1u8, 0] {
        let mut sim = Sim::new(SimConfig { seed: 3, offsets_topic_num_partitions: 1, replica_lag_time_max_ms: 2_000, eligible_leader_replicas_version: version, ..SimConfig::default() }).unwrap();
        create(&mut sim, "t", 1, 3, TopicConfig { min_insync_replicas: 2, ..TopicConfig::default() }).unwrap();
        sim.apply(Command::Produce { topic: "t".into(), count: 10, key: None, acks: Acks::All }).unwrap();
        sim.advance_to(1_000);
        let p0 = part(&sim, "t", 0);
        assert_eq!(p0.high_watermark, 10);
        let leader = p0.leader.unwrap();
        for &b in p0.replicas.iter().filter(|&&b| b != leader) {
            sim.apply(Command::SetBrokerDelay { broker: b, fetch_delay_ms: Some(600_000) }).unwrap();
        }
        sim.apply(Command::Produce { topic: "t".into(), count: 5, key: None, acks: Acks::One }).unwrap();
        sim.advance_to(10_000);
        let p1 = part(&sim, "t", 0);
        assert_eq!(p1.isr, vec![leader], "v{version}");
        assert_eq!(p1.high_watermark, 10, "v{version}: below min ISR the HW stops");
        if version == 1 {
            // The first follower left while the ISR was still at the minimum (the HW could move
            // on without it): only the second one, which left it below, is eligible.
            assert_eq!(p1.elr.len(), 1, "{p1:?}");
        } else {
            assert!(p1.elr.is_empty());
        }
        sim.apply(Command::CrashBroker { broker: leader }).unwrap();
        sim.advance_to(30_000);
        let p2 = part(&sim, "t", 0);
        let events = drain(&mut sim);
        if version == 1 {
            let new_leader = p2.leader.expect("an ELR member leads");
            assert_eq!(new_leader, p1.elr[0]);
            assert_eq!(p2.isr, vec![new_leader], "the elected ELR member is the ISR");
            assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::LeaderElected { unclean: false, leader: Some(l), .. }) if *l == new_leader)));
            assert_eq!(p2.high_watermark.max(10), p2.high_watermark, "no committed record lost");
        } else {
            assert_eq!(p2.leader, None, "v0: offline, the last ISR member kept");
            assert_eq!(p2.isr, vec![leader]);
        }
        sim.check_invariants().unwrap();
    }
}

/// KRaft's controller knows a broker crashed only when its session expires: until then the
/// broker is electable (`isAcceptableLeader` is "registered and unfenced"), so a leader moved
/// away by a controlled shutdown may land on a dead broker, and the partition is unavailable
/// until that broker is fenced and a live ISR member is elected.
#[test]
fn a_crashed_broker_stays_electable_until_its_session_expires() {
    let mut sim = sim3();
    create(&mut sim, "t", 1, 3, TopicConfig::default()).unwrap();
    let p = part(&sim, "t", 0);
    let (a, b, c) = (p.replicas[0], p.replicas[1], p.replicas[2]);
    assert_eq!(p.leader, Some(a));
    sim.apply(Command::CrashBroker { broker: b }).unwrap();
    sim.advance_to(1_000);
    sim.apply(Command::ShutdownBroker { broker: a }).unwrap();
    let p = part(&sim, "t", 0);
    assert_eq!(p.leader, Some(b), "the first unfenced ISR member in replica order, though it is down");
    sim.advance_to(8_999);
    assert_eq!(part(&sim, "t", 0).leader, Some(b));
    sim.advance_to(9_000);
    let p = part(&sim, "t", 0);
    assert_eq!((p.leader, p.isr.clone()), (Some(c), vec![c]), "fenced at broker.session.timeout.ms, then the live member leads");
    sim.check_invariants().unwrap();
}

/// KIP-966 with `useLastKnownLeaderInBalancedRecovery` (Kafka's default): when the ISR empties,
/// `lastKnownElr` remembers the leader the partition had. Brokers that come back after an
/// unclean shutdown leave the ELR; once both the ISR and the ELR are empty the last known
/// leader is elected when it returns, flagged unclean, and the partition is online again.
#[test]
fn the_last_known_leader_leads_again_when_the_isr_and_the_elr_are_empty() {
    let mut sim = sim3();
    create(&mut sim, "t", 1, 2, TopicConfig { min_insync_replicas: 2, ..TopicConfig::default() }).unwrap();
    sim.apply(Command::Produce { topic: "t".into(), count: 10, key: None, acks: Acks::All }).unwrap();
    sim.advance_to(500);
    let p = part(&sim, "t", 0);
    let (a, b) = (p.replicas[0], p.replicas[1]);
    assert_eq!((p.leader, p.high_watermark), (Some(a), 10));
    sim.apply(Command::CrashBroker { broker: b }).unwrap();
    sim.advance_to(1_000);
    sim.apply(Command::CrashBroker { broker: a }).unwrap();
    sim.advance_to(20_000);
    let p = part(&sim, "t", 0);
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone(), p.last_known_elr.clone()), (None, vec![], vec![a, b], vec![a]), "both fenced: offline, the leader remembered");
    let out = grouplab_engine::tools::run_line(&sim, "kafka-topics.sh --bootstrap-server localhost:9092 --describe --topic t").stdout;
    assert!(out.contains(&format!("Leader: none\tReplicas: {a},{b}\tIsr: \tElr: {a},{b}\tLastKnownElr: {a}\n")), "{out}");
    sim.apply(Command::RestartBroker { broker: b }).unwrap();
    let p = part(&sim, "t", 0);
    assert_eq!((p.leader, p.elr.clone()), (None, vec![a]), "back after an unclean shutdown, {b} leaves the ELR and may not lead");
    sim.apply(Command::RestartBroker { broker: a }).unwrap();
    let p = part(&sim, "t", 0);
    assert_eq!((p.leader, p.isr.clone(), p.elr.clone(), p.last_known_elr.clone()), (Some(a), vec![a], vec![], vec![]), "the last known leader leads again");
    assert_eq!(p.high_watermark.max(10), p.high_watermark);
    let events = drain(&mut sim);
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Cluster(ClusterEvent::LeaderElected { unclean: true, leader: Some(l), .. }) if *l == a)));
    sim.advance_to(21_000);
    assert_eq!(part(&sim, "t", 0).isr, vec![a, b], "the follower catches up and rejoins");
    sim.check_invariants().unwrap();
}
