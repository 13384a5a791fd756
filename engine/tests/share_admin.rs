//! The share-group Admin commands (`kafka-share-groups.sh --reset-offsets --execute` and
//! `--delete-offsets`): `Command::AlterShareGroupOffsets` and
//! `Command::DeleteShareGroupOffsets`, with Kafka 4.2's rules (`GroupMetadataManager
//! .alterShareGroupOffsets`, `GroupCoordinatorShard.initiateDeleteShareGroupOffsets`): refused
//! on a group with members (NON_EMPTY_GROUP) without changing anything; after an alter the
//! group's next consumers start at the new start offset; after a delete they start where
//! `share.auto.offset.reset` says.

use grouplab_engine::api::command::{Acks, PartitionOffset};
use grouplab_engine::group::share::settings::{ShareGroupSettings, ShareOffsetReset};
use grouplab_engine::sim::group_layer::share_admin::NO_OFFSET_INFORMATION;
use grouplab_engine::{Command, ShareGroupView, Sim, SimConfig, SimError};

fn sim() -> Sim {
    let mut sim = Sim::new(SimConfig { seed: 11, ..SimConfig::default() }).expect("sim");
    for t in ["jobs", "other"] {
        sim.apply(Command::CreateTopic { name: t.into(), partitions: 1, replication_factor: 3, config: Default::default() }).unwrap();
    }
    let settings = ShareGroupSettings { auto_offset_reset: ShareOffsetReset::Earliest, processing_time_ms: 10, ..ShareGroupSettings::default() };
    sim.apply(Command::CreateShareGroup { group_id: "s".into(), topics: vec!["jobs".into()], config: settings }).unwrap();
    sim
}

fn add(sim: &mut Sim, client: &str) {
    sim.apply(Command::AddConsumer { group_id: "s".into(), client_id: Some(client.into()), topics: vec![], group_instance_id: None }).unwrap();
}

fn produce(sim: &mut Sim, count: u32) {
    sim.apply(Command::Produce { topic: "jobs".into(), count, key: None, acks: Acks::All }).unwrap();
}

fn run(sim: &mut Sim, ms: u64) {
    let until = sim.now_ms() + ms;
    while let Some(d) = sim.next_deadline_ms().filter(|&d| d <= until) {
        sim.advance_to(d);
        sim.check_invariants().unwrap_or_else(|e| panic!("at {} ms: {e}", sim.now_ms()));
    }
    sim.advance_to(until);
}

fn group(sim: &Sim, gid: &str) -> ShareGroupView {
    sim.view().share_groups.into_iter().find(|g| g.group_id == gid).unwrap_or_else(|| panic!("share group {gid}"))
}

fn alter(gid: &str, offset: u64) -> Command {
    Command::AlterShareGroupOffsets { group_id: gid.into(), offsets: vec![PartitionOffset { topic: "jobs".into(), partition: 0, offset }] }
}

fn delete(gid: &str, topics: &[&str]) -> Command {
    Command::DeleteShareGroupOffsets { group_id: gid.into(), topics: topics.iter().map(|t| t.to_string()).collect() }
}

fn rejected(error: &str, message: &str) -> SimError {
    SimError::GroupRequestRejected { error: error.into(), message: message.into() }
}

/// `s` with consumer `A`, 30 records consumed, then `A` closed: Empty, SPSO 30.
fn consumed_and_empty() -> Sim {
    let mut sim = sim();
    add(&mut sim, "A");
    run(&mut sim, 6_000);
    produce(&mut sim, 30);
    run(&mut sim, 5_000);
    sim.apply(Command::CloseConsumer { client_id: "A".into() }).unwrap();
    run(&mut sim, 1_000);
    let g = group(&sim, "s");
    assert_eq!((g.state.as_str(), g.partitions[0].start_offset, g.delivery.distinct), ("Empty", 30, 30), "{g:?}");
    sim
}

/// Both commands are refused while the group has members, with Kafka's NON_EMPTY_GROUP and
/// its message, and change nothing.
#[test]
fn a_group_with_members_refuses_both() {
    let mut sim = sim();
    add(&mut sim, "A");
    run(&mut sim, 6_000);
    produce(&mut sim, 30);
    run(&mut sim, 100);
    assert_eq!(group(&sim, "s").state, "Stable");
    let (hash, view) = (sim.state_hash(), sim.view());
    assert_eq!(sim.apply(alter("s", 0)), Err(rejected("NON_EMPTY_GROUP", "The group is not empty.")));
    assert_eq!(sim.apply(delete("s", &["jobs"])), Err(rejected("NON_EMPTY_GROUP", "The group is not empty.")));
    assert_eq!((sim.state_hash(), sim.view()), (hash, view), "a refused command changes nothing");
    let e = sim.share_admin().delete_outcome("s", &["jobs".into()]).unwrap_err();
    assert_eq!((e.error, e.exception, e.message.as_str()), ("NON_EMPTY_GROUP", "org.apache.kafka.common.errors.GroupNotEmptyException", "The group is not empty."));
}

/// An alter back to offset 10: the persisted state and the share-partition start there, and
/// the next consumer delivers records 10..29 again; an alter past records produced while the
/// group was empty skips them, without counting them as losses.
#[test]
fn the_next_consumers_start_at_the_altered_start_offset() {
    let mut sim = consumed_and_empty();
    sim.apply(alter("s", 10)).unwrap();
    let p = &group(&sim, "s").partitions[0];
    assert_eq!((p.start_offset, p.in_flight.len(), p.lag), (10, 0, 20), "{p:?}");
    let o = sim.share_admin().offsets("s").unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!((o[0].start_offset, o[0].lag, o[0].leader_epoch), (Some(10), Some(20), Some(0)), "the initialize's snapshot has leader epoch 0: {o:?}");
    add(&mut sim, "B");
    run(&mut sim, 8_000);
    let g = group(&sim, "s");
    let d = &g.delivery;
    assert_eq!((d.distinct, d.duplicates, d.losses), (30, 20, 0), "records 10..29 delivered again: {d:?}");
    assert_eq!(g.partitions[0].start_offset, 30);

    sim.apply(Command::CloseConsumer { client_id: "B".into() }).unwrap();
    run(&mut sim, 1_000);
    produce(&mut sim, 20);
    sim.apply(alter("s", 45)).unwrap();
    add(&mut sim, "C");
    run(&mut sim, 8_000);
    let g = group(&sim, "s");
    let d = &g.delivery;
    assert_eq!((d.distinct, d.duplicates, d.losses), (35, 20, 0), "records 30..44 skipped on purpose, 45..49 delivered: {d:?}");
    assert_eq!((g.partitions[0].start_offset, g.partitions[0].lag), (50, 0));
}

/// A delete forgets the topic's share-partition state: `listShareGroupOffsets` no longer lists
/// it, and the next consumer starts where `share.auto.offset.reset` (earliest) says, delivering
/// everything again.
#[test]
fn after_a_delete_the_next_consumers_start_by_the_reset_policy() {
    let mut sim = consumed_and_empty();
    let outcome = sim.share_admin().delete_outcome("s", &["jobs".into(), "other".into(), "nosuch".into(), "jobs".into()]).unwrap();
    let shown: Vec<(&str, Option<&str>)> = outcome.iter().map(|(t, e)| (t.as_str(), e.as_ref().map(|e| e.message.as_str()))).collect();
    assert_eq!(shown, [("jobs", None), ("other", Some(NO_OFFSET_INFORMATION)), ("nosuch", Some("This server does not host this topic-partition."))]);
    assert!(outcome.iter().filter_map(|(_, e)| e.as_ref()).all(|e| e.error == "UNKNOWN_TOPIC_OR_PARTITION"));
    sim.apply(delete("s", &["jobs", "other", "nosuch"])).unwrap();
    assert_eq!(sim.share_admin().offsets("s").unwrap(), []);
    assert!(group(&sim, "s").partitions.is_empty());
    let outcome = sim.share_admin().delete_outcome("s", &["jobs".into()]).unwrap();
    assert_eq!(outcome[0].1.as_ref().map(|e| e.message.as_str()), Some(NO_OFFSET_INFORMATION), "nothing left to delete");
    add(&mut sim, "B");
    run(&mut sim, 8_000);
    let g = group(&sim, "s");
    let d = &g.delivery;
    assert_eq!((d.distinct, d.duplicates, d.losses), (30, 30, 0), "from offset 0 again: {d:?}");
    assert_eq!(sim.share_admin().offsets("s").unwrap().len(), 1, "initialized again by the join");
}

/// The request-level errors: a consumer group's id, an unknown group (delete), an unknown
/// partition (alter, refused as a whole); an alter of an unknown id creates the share group,
/// and its first consumer starts at the altered offset.
#[test]
fn request_errors_and_a_group_created_by_an_alter() {
    let mut sim = sim();
    produce(&mut sim, 12);
    sim.apply(Command::CreateGroup { group_id: "cg".into(), topics: vec!["jobs".into()], config: Default::default() }).unwrap();
    assert_eq!(sim.apply(alter("cg", 0)), Err(rejected("GROUP_ID_NOT_FOUND", "Group cg is not a share group.")));
    assert_eq!(sim.apply(delete("cg", &["jobs"])), Err(rejected("GROUP_ID_NOT_FOUND", "Group cg is not a share group.")));
    assert_eq!(sim.apply(delete("nosuch", &["jobs"])), Err(rejected("GROUP_ID_NOT_FOUND", "Group nosuch not found.")));
    let bad = Command::AlterShareGroupOffsets { group_id: "s".into(), offsets: vec![PartitionOffset { topic: "jobs".into(), partition: 3, offset: 0 }] };
    assert_eq!(sim.apply(bad), Err(rejected("UNKNOWN_TOPIC_OR_PARTITION", "The partition jobs-3 does not exist")));
    assert!(matches!(sim.apply(Command::AlterShareGroupOffsets { group_id: "s".into(), offsets: vec![] }), Err(SimError::InvalidRequest(_))));
    assert!(matches!(sim.apply(alter("", 0)), Err(SimError::InvalidRequest(_))));

    sim.apply(alter("fresh", 8)).unwrap();
    let g = group(&sim, "fresh");
    assert_eq!((g.state.as_str(), g.partitions[0].start_offset), ("Empty", 8), "{g:?}");
    sim.apply(Command::CreateShareGroup { group_id: "fresh".into(), topics: vec!["jobs".into()], config: ShareGroupSettings { processing_time_ms: 10, ..Default::default() } }).unwrap();
    sim.apply(Command::AddConsumer { group_id: "fresh".into(), client_id: Some("F".into()), topics: vec![], group_instance_id: None }).unwrap();
    run(&mut sim, 8_000);
    let g = group(&sim, "fresh");
    assert_eq!((g.delivery.distinct, g.partitions[0].start_offset), (4, 12), "records 8..11: {g:?}");
}
