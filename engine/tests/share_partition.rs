//! The KIP-932 share-partition state machine as data, in the style of Kafka's
//! `SharePartitionTest`: each case is a sequence of acquisitions, acknowledgements, releases, lock
//! timeouts and log-start moves with what each returns and the in-flight cache after it. The
//! invariants are checked after every step, a refused acknowledgement must change nothing, every
//! state write goes through a share coordinator, and at the end a new leader recovers the
//! partition from the coordinator's records and must hold the same state (acquisitions aside,
//! which are never persisted). A property test plays random sequences of all of it.
//!
//! `PROPTEST_CASES` (or `GROUPLAB_PROPTEST_CASES`) raises the property-test case count.

use std::collections::BTreeMap;

use grouplab_engine::group::protocol::ErrorCode;
use grouplab_engine::group::share::state::combine_state_batches;
use grouplab_engine::group::share::{
    AcknowledgeType, AcquiredRecords, InitializeShareGroupState, RecordState, ShareAutoOffsetReset, ShareCoordinatorConfig, ShareErrorCode,
    ShareGroupOffset, ShareGroupStateRecord, SharePartition, SharePartitionConfig, ShareStateCoordinator, StateBatch, WriteShareGroupState,
};
use grouplab_engine::kernel::Fnv;
use proptest::prelude::*;

use AcknowledgeType::{Accept, Reject, Release, Renew};

const LOCK: u64 = 30_000;
const INVALID_REQUEST: ShareErrorCode = ShareErrorCode::Group(ErrorCode::InvalidRequest);
const INVALID_RECORD_STATE: ShareErrorCode = ShareErrorCode::InvalidRecordState;

fn cfg(limit: u16, max_in_flight: u32) -> SharePartitionConfig {
    SharePartitionConfig {
        record_lock_duration_ms: LOCK,
        delivery_count_limit: limit,
        max_in_flight_records: max_in_flight,
    }
}

fn hash(sp: &SharePartition) -> u64 {
    let mut h = Fnv::default();
    sp.hash_into(&mut h);
    h.finish()
}

/// The cache as text: `spso; first-last state+count[ member@deadline]; ...`.
fn render(sp: &SharePartition) -> String {
    let mut s = sp.start_offset().to_string();
    for r in sp.in_flight_ranges() {
        let st = match r.state {
            RecordState::Available => "avl",
            RecordState::Acquired => "acq",
            RecordState::Acknowledged => "ack",
            RecordState::Archived => "arc",
        };
        if r.first_offset == r.last_offset {
            s += &format!("; {} {st}{}", r.first_offset, r.delivery_count);
        } else {
            s += &format!("; {}-{} {st}{}", r.first_offset, r.last_offset, r.delivery_count);
        }
        if let (Some(m), Some(d)) = (&r.member_id, r.lock_deadline_ms) {
            s += &format!(" {m}@{d}");
        }
    }
    s
}

fn got(list: &[AcquiredRecords]) -> Vec<(u64, u64, u16)> {
    list.iter().map(|a| (a.first_offset, a.last_offset, a.delivery_count)).collect()
}

fn batch(first: u64, last: u64, state: RecordState, count: u16) -> StateBatch {
    StateBatch {
        first_offset: first,
        last_offset: last,
        delivery_state: state,
        delivery_count: count,
    }
}

/// A share-partition with its share coordinator and the `__share_group_state` records written.
struct Harness {
    sp: SharePartition,
    coord: ShareStateCoordinator,
    records: Vec<ShareGroupStateRecord>,
    now: u64,
}

impl Harness {
    /// A new share-partition at `start`, initialized at the coordinator (state epoch 0).
    fn new(config: SharePartitionConfig, start: u64, coordinator: ShareCoordinatorConfig) -> Self {
        let mut coord = ShareStateCoordinator::new(coordinator);
        let init = InitializeShareGroupState { state_epoch: 0, start_offset: start as i64 };
        let record = coord.initialize(0, &init).unwrap();
        Harness {
            sp: SharePartition::new(config, start),
            coord,
            records: vec![record],
            now: 0,
        }
    }

    /// A leader that loaded `persisted` (written as a snapshot first).
    fn recovered(config: SharePartitionConfig, start: i64, batches: Vec<StateBatch>) -> Self {
        let snapshot = ShareGroupStateRecord::Snapshot {
            snapshot_epoch: 0,
            state_epoch: 3,
            leader_epoch: 1,
            start_offset: start,
            delivery_complete_count: -1,
            create_timestamp_ms: 0,
            write_timestamp_ms: 0,
            batches,
        };
        let mut coord = ShareStateCoordinator::loaded(ShareCoordinatorConfig::default(), std::slice::from_ref(&snapshot));
        let (persisted, record) = coord.read(0, 2).unwrap();
        let sp = SharePartition::recovered(config, &persisted, || Ok(0)).unwrap();
        sp.check_invariants().unwrap();
        Harness {
            sp,
            coord,
            records: [snapshot].into_iter().chain(record).collect(),
            now: 0,
        }
    }

    /// Hands the queued writes to the coordinator, which must take them.
    fn flush(&mut self) {
        for w in self.sp.take_state_writes() {
            let record = self.coord.write(self.now, &w).unwrap_or_else(|e| panic!("write {w:?} refused: {e}"));
            self.records.push(record);
        }
    }

    /// A new leader (leader epoch + 1) recovers from the coordinator, after the coordinator
    /// itself reloaded from its records; it must hold the same state as the old one (see
    /// [`failover_view`]).
    fn failover(&mut self) {
        self.flush();
        let reloaded = ShareStateCoordinator::loaded(self.coord.config(), &self.records);
        assert_eq!(reloaded, self.coord, "the coordinator reloaded from its records");
        let (persisted, record) = self.coord.read(self.now, self.sp.leader_epoch() + 1).unwrap();
        self.records.extend(record);
        let mut new = SharePartition::recovered(self.sp.config(), &persisted, || Ok(0)).unwrap();
        new.check_invariants().unwrap();
        // The start offset a log-start move set is written lazily: the new leader's first fetch
        // gets OFFSET_OUT_OF_RANGE and moves it the same way.
        new.update_cache_and_offsets(self.sp.start_offset());
        new.check_invariants().unwrap();
        assert_eq!(failover_view(&new), failover_view(&self.sp), "recovered {} from {}", render(&new), render(&self.sp));
        assert!(new.pending_state_writes().is_empty());
        self.sp = new;
    }
}

/// What a new leader must see of a share-partition: every record in its state with its count,
/// except that an acquired record is back to what was persisted before its acquisition
/// (`AVAILABLE`, one delivery less); leading terminal records (the SPSO may lag after a log-start
/// move) and trailing never-delivered ones are dropped.
fn failover_view(sp: &SharePartition) -> Vec<(u64, u64, RecordState, u16)> {
    let mut v: Vec<(u64, u64, RecordState, u16)> = Vec::new();
    for r in sp.in_flight_ranges() {
        let (state, count) = match r.state {
            RecordState::Acquired => (RecordState::Available, r.delivery_count - 1),
            s => (s, r.delivery_count),
        };
        match v.last_mut() {
            Some(l) if l.1 + 1 == r.first_offset && l.2 == state && l.3 == count => l.1 = r.last_offset,
            _ => v.push((r.first_offset, r.last_offset, state, count)),
        }
    }
    let lead = v.iter().take_while(|r| r.2.is_terminal()).count();
    v.drain(..lead);
    while v.last().is_some_and(|r| r.2 == RecordState::Available && r.3 == 0) {
        v.pop();
    }
    v
}

/// One step of a case and what must come out of it.
enum Step {
    /// `acquire(at, member, max_records, high_watermark)` → the acquired (first, last, count).
    Acquire(u64, &'static str, u32, u64, Vec<(u64, u64, u16)>),
    /// `acknowledge(at, member, batches)` → the result.
    Ack(u64, &'static str, Vec<(u64, u64, AcknowledgeType)>, Result<(), ShareErrorCode>),
    /// `release_acquired_records(at, member)` → records released.
    Release(u64, &'static str, u64),
    /// `handle_timeout(at)` → records whose lock expired.
    Timeout(u64, u64),
    /// `update_cache_and_offsets(log_start)` → moved.
    LogStart(u64, bool),
    /// The cache must render as this.
    Cache(&'static str),
    /// A new leader takes over (and is checked against the old one).
    Failover,
}

/// Plays `steps`, checking each result, the invariants after each step, that a refused
/// acknowledgement changes nothing, and finally that a new leader recovers the same state.
fn check(mut h: Harness, steps: Vec<Step>) -> Harness {
    h.sp.check_invariants().unwrap();
    for (i, step) in steps.into_iter().enumerate() {
        match step {
            Step::Acquire(at, member, max, hw, want) => {
                h.now = at;
                let before = h.sp.start_offset();
                let out = h.sp.acquire(at, member, max, hw);
                assert_eq!(got(&out), want, "step {i}: acquire({member}, {max}, hw {hw}) on {}", render(&h.sp));
                assert!(out.iter().all(|a| a.first_offset >= before && a.last_offset < hw), "step {i}: acquired below the SPSO or past the HW");
                assert!(out.iter().map(|a| a.last_offset - a.first_offset + 1).sum::<u64>() <= u64::from(max), "step {i}: more than max_records");
            }
            Step::Ack(at, member, batches, want) => {
                h.now = at;
                let (before, cache) = (hash(&h.sp), render(&h.sp));
                let res = h.sp.acknowledge(at, member, &batches);
                assert_eq!(res, want, "step {i}: acknowledge({member}, {batches:?}) on {cache}");
                if res.is_err() {
                    assert_eq!(hash(&h.sp), before, "step {i}: a refused acknowledgement changed {cache} into {}", render(&h.sp));
                }
            }
            Step::Release(at, member, n) => {
                h.now = at;
                assert_eq!(h.sp.release_acquired_records(at, member), n, "step {i}: release({member})");
            }
            Step::Timeout(at, n) => {
                h.now = at;
                assert_eq!(h.sp.handle_timeout(at), n, "step {i}: timeout at {at}");
                assert!(h.sp.next_deadline_ms().is_none_or(|d| d > at), "step {i}: a lock due at {at} still held");
            }
            Step::LogStart(offset, moved) => assert_eq!(h.sp.update_cache_and_offsets(offset), moved, "step {i}: log start {offset}"),
            Step::Cache(want) => assert_eq!(render(&h.sp), want, "step {i}"),
            Step::Failover => h.failover(),
        }
        h.sp.check_invariants().unwrap_or_else(|e| panic!("step {i}: {e}: {}", render(&h.sp)));
        h.flush();
    }
    h.failover();
    h
}

fn fresh(limit: u16, max_in_flight: u32) -> Harness {
    Harness::new(cfg(limit, max_in_flight), 0, ShareCoordinatorConfig::default())
}

// ----- configuration and vocabulary -----

#[test]
fn defaults_and_ids_are_kafkas() {
    let c = SharePartitionConfig::default();
    assert_eq!((c.record_lock_duration_ms, c.delivery_count_limit, c.max_in_flight_records), (30_000, 5, 2_000));
    assert_eq!(c.validate(), Ok(()));
    assert!(cfg(1, 2000).validate().is_err());
    assert!(cfg(5, 99).validate().is_err());
    assert!(SharePartitionConfig { record_lock_duration_ms: 999, ..c }.validate().is_err());
    // throttleRecordsDeliveryLimit = max(2, ceil(limit / 2)).
    for (limit, throttle) in [(2, 2), (3, 2), (4, 2), (5, 3), (6, 3), (7, 4), (10, 5)] {
        assert_eq!(cfg(limit, 100).throttle_records_delivery_limit(), throttle, "limit {limit}");
    }
    let states = [RecordState::Available, RecordState::Acquired, RecordState::Acknowledged, RecordState::Archived];
    assert_eq!(states.map(RecordState::id), [0, 1, 2, 4]);
    assert_eq!(states.map(RecordState::name), ["AVAILABLE", "ACQUIRED", "ACKNOWLEDGED", "ARCHIVED"]);
    assert!(states.iter().all(|s| RecordState::from_id(s.id()) == Some(*s)));
    assert_eq!(RecordState::from_id(3), None, "ARCHIVING (4.4) is not modelled");
    let acks = [Accept, Release, Reject, Renew];
    assert_eq!(acks.map(AcknowledgeType::id), [1, 2, 3, 4]);
    assert_eq!(acks.map(AcknowledgeType::name), ["ACCEPT", "RELEASE", "REJECT", "RENEW"]);
    assert!(acks.iter().all(|a| AcknowledgeType::from_id(a.id()) == Some(*a)));
    assert_eq!(AcknowledgeType::from_id(0), None);
    assert_eq!((INVALID_RECORD_STATE.code(), INVALID_RECORD_STATE.name()), (121, "INVALID_RECORD_STATE"));
    assert_eq!((INVALID_REQUEST.code(), INVALID_REQUEST.name()), (42, "INVALID_REQUEST"));
    assert_eq!(ShareErrorCode::FencedStateEpoch.code(), 124);
    assert_eq!(ShareErrorCode::FencedLeaderEpoch.code(), 74);
    assert_eq!(ShareErrorCode::OffsetNotAvailable.code(), 78);
    assert_eq!(ShareCoordinatorConfig::default().snapshot_update_records_per_snapshot, 500);
}

#[test]
fn start_offset_during_initialization_follows_share_auto_offset_reset() {
    let lookup = |ts: u64| if ts <= 7_000 { Some(40) } else { None };
    let start = |reset, now| SharePartition::start_offset_during_initialization(reset, now, 10, 90, lookup);
    assert_eq!(ShareAutoOffsetReset::default(), ShareAutoOffsetReset::Latest);
    assert_eq!(start(ShareAutoOffsetReset::Latest, 10_000), Ok(90));
    assert_eq!(start(ShareAutoOffsetReset::Earliest, 10_000), Ok(10));
    assert_eq!(start(ShareAutoOffsetReset::ByDuration { duration_ms: 3_000 }, 10_000), Ok(40));
    assert_eq!(start(ShareAutoOffsetReset::ByDuration { duration_ms: 1_000 }, 10_000), Err(ShareErrorCode::OffsetNotAvailable));
    assert_eq!(start(ShareAutoOffsetReset::ByDuration { duration_ms: u64::MAX }, 10_000), Ok(40), "now - duration saturates at 0");
}

// ----- acquisition -----

#[test]
fn acquire_new_records_up_to_max_records_and_the_high_watermark() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 0, 10, vec![]),
            Step::Acquire(0, "a", 4, 0, vec![]),
            Step::Acquire(100, "a", 4, 10, vec![(0, 3, 1)]),
            Step::Acquire(200, "b", 100, 10, vec![(4, 9, 1)]),
            Step::Cache("0; 0-3 acq1 a@30100; 4-9 acq1 b@30200"),
            // Nothing past the high watermark.
            Step::Acquire(300, "c", 100, 10, vec![]),
            Step::Acquire(300, "c", 2, 12, vec![(10, 11, 1)]),
            Step::Cache("0; 0-3 acq1 a@30100; 4-9 acq1 b@30200; 10-11 acq1 c@30300"),
        ],
    );
}

#[test]
fn acquire_redelivers_available_records_first_lowest_offsets_first() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 10, 10, vec![(0, 9, 1)]),
            Step::Ack(1, "a", vec![(2, 3, Release), (6, 6, Release)], Ok(())),
            Step::Cache("0; 0-1 acq1 a@30000; 2-3 avl1; 4-5 acq1 a@30000; 6 avl1; 7-9 acq1 a@30000"),
            // The released records first (one batch: contiguous entries with the same count
            // are one), then new records.
            Step::Acquire(2, "b", 5, 20, vec![(2, 3, 2), (6, 6, 2), (10, 11, 1)]),
            Step::Cache("0; 0-1 acq1 a@30000; 2-3 acq2 b@30002; 4-5 acq1 a@30000; 6 acq2 b@30002; 7-9 acq1 a@30000; 10-11 acq1 b@30002"),
            Step::Ack(3, "b", vec![(2, 3, Release)], Ok(())),
            Step::Acquire(4, "c", 1, 20, vec![(2, 2, 3)]),
        ],
    );
}

#[test]
fn acquire_is_bounded_by_max_in_flight_records() {
    check(
        fresh(5, 10),
        vec![
            Step::Acquire(0, "a", 6, 100, vec![(0, 5, 1)]),
            // canAcquireRecords: 4 more fit.
            Step::Acquire(0, "b", 6, 100, vec![(6, 9, 1)]),
            Step::Acquire(0, "b", 6, 100, vec![]),
            Step::Ack(1, "a", vec![(0, 0, Release), (2, 4, Release)], Ok(())),
            // At the limit, only records inside the cache can be re-acquired.
            Step::Acquire(2, "c", 10, 100, vec![(0, 0, 2), (2, 4, 2)]),
            Step::Acquire(2, "c", 10, 100, vec![]),
            // Accepting the head moves the SPSO and makes room.
            Step::Ack(3, "a", vec![(1, 1, Accept)], Ok(())),
            Step::Ack(3, "c", vec![(0, 0, Accept), (2, 2, Accept)], Ok(())),
            Step::Cache("3; 3-4 acq2 c@30002; 5 acq1 a@30000; 6-9 acq1 b@30000"),
            Step::Acquire(4, "d", 10, 100, vec![(10, 12, 1)]),
        ],
    );
}

#[test]
fn below_the_in_flight_limit_redelivery_is_capped_by_the_room_left() {
    // lastOffsetAndMaxRecordsToAcquire: with 8 of 10 records in flight a fetch takes at most 2
    // records, released ones included (record-limit mode).
    check(
        fresh(5, 10),
        vec![
            Step::Acquire(0, "a", 8, 100, vec![(0, 7, 1)]),
            Step::Ack(1, "a", vec![(0, 4, Release)], Ok(())),
            Step::Acquire(2, "b", 100, 100, vec![(0, 1, 2)]),
            Step::Acquire(3, "b", 100, 100, vec![(2, 3, 2)]),
            Step::Acquire(4, "c", 100, 100, vec![(4, 4, 2), (8, 8, 1)]),
            Step::Cache("0; 0-1 acq2 b@30002; 2-3 acq2 b@30003; 4 acq2 c@30004; 5-7 acq1 a@30000; 8 acq1 c@30004"),
            Step::Acquire(5, "c", 100, 100, vec![(9, 9, 1)]),
            // Now the cache is full: re-acquisition inside it is still allowed.
            Step::Ack(6, "a", vec![(5, 7, Release)], Ok(())),
            Step::Acquire(7, "d", 100, 100, vec![(5, 7, 2)]),
            Step::Acquire(7, "d", 100, 100, vec![]),
        ],
    );
}

// ----- acknowledgement -----

#[test]
fn each_acknowledge_type() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 20, 20, vec![(0, 19, 1)]),
            Step::Ack(1_000, "a", vec![(0, 4, Accept), (5, 9, Release), (10, 14, Reject), (15, 19, Renew)], Ok(())),
            // ACCEPT finished 0-4: the SPSO moved past them.
            Step::Cache("5; 5-9 avl1; 10-14 arc1; 15-19 acq1 a@31000"),
            Step::Ack(2_000, "a", vec![(15, 19, Renew)], Ok(())),
            Step::Cache("5; 5-9 avl1; 10-14 arc1; 15-19 acq1 a@32000"),
            // The renewed lock holds past the original deadline.
            Step::Timeout(31_000, 0),
            Step::Timeout(32_000, 5),
            Step::Cache("5; 5-9 avl1; 10-14 arc1; 15-19 avl1"),
            Step::Acquire(33_000, "b", 100, 20, vec![(5, 9, 2), (15, 19, 2)]),
            Step::Ack(33_001, "b", vec![(5, 9, Accept), (15, 19, Accept)], Ok(())),
            Step::Cache("20"),
        ],
    );
}

#[test]
fn refused_acknowledgements_change_nothing() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 10, 10, vec![(0, 9, 1)]),
            Step::Acquire(0, "b", 5, 15, vec![(10, 14, 1)]),
            // Another member's records.
            Step::Ack(1, "a", vec![(8, 11, Accept)], Err(INVALID_RECORD_STATE)),
            Step::Ack(1, "b", vec![(0, 0, Renew)], Err(INVALID_RECORD_STATE)),
            // A valid batch before a bad one is not applied either.
            Step::Ack(1, "a", vec![(0, 3, Accept), (12, 12, Reject)], Err(INVALID_RECORD_STATE)),
            // Malformed requests (KafkaApis.validateAcknowledgementBatches).
            Step::Ack(1, "a", vec![(3, 2, Accept)], Err(INVALID_REQUEST)),
            Step::Ack(1, "a", vec![(0, 5, Accept), (4, 6, Accept)], Err(INVALID_REQUEST)),
            Step::Ack(1, "a", vec![(0, 3, Accept), (12, 12, Reject), (2, 2, Accept)], Err(INVALID_REQUEST)),
            // Past the SPEO.
            Step::Ack(1, "b", vec![(10, 15, Accept)], Err(INVALID_REQUEST)),
            Step::Ack(1, "b", vec![(20, 25, Accept)], Err(INVALID_REQUEST)),
            // The same offset twice: once acknowledged it is not acquired any more…
            Step::Ack(1, "a", vec![(0, 5, Accept), (5, 6, Accept)], Err(INVALID_RECORD_STATE)),
            Step::Cache("0; 0-9 acq1 a@30000; 10-14 acq1 b@30000"),
            // …but a renewed one still is.
            Step::Ack(2, "a", vec![(0, 5, Renew), (5, 6, Accept)], Ok(())),
            Step::Cache("0; 0-4 acq1 a@30002; 5-6 ack1; 7-9 acq1 a@30000; 10-14 acq1 b@30000"),
            // Records no longer acquired.
            Step::Ack(3, "a", vec![(5, 5, Release)], Err(INVALID_RECORD_STATE)),
            Step::Release(4, "b", 5),
            Step::Ack(5, "b", vec![(10, 14, Accept)], Err(INVALID_RECORD_STATE)),
            Step::Ack(5, "a", vec![(0, 4, Accept), (7, 9, Accept)], Ok(())),
            Step::Cache("10; 10-14 avl1"),
            // Below the SPSO: already finished, skipped.
            Step::Ack(6, "a", vec![(0, 9, Accept)], Ok(())),
            Step::Ack(6, "zz", vec![(3, 4, Reject)], Ok(())),
            Step::Ack(6, "a", vec![], Ok(())),
            Step::Cache("10; 10-14 avl1"),
        ],
    );
    // An empty cache: nothing is acquired.
    check(fresh(5, 2000), vec![Step::Ack(0, "a", vec![(0, 0, Accept)], Err(INVALID_RECORD_STATE))]);
}

#[test]
fn acknowledging_across_the_start_offset_skips_what_is_below_it() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 10, 10, vec![(0, 9, 1)]),
            Step::Ack(1, "a", vec![(0, 3, Accept)], Ok(())),
            Step::Ack(2, "a", vec![(0, 6, Reject)], Ok(())),
            Step::Cache("7; 7-9 acq1 a@30000"),
        ],
    );
}

// ----- lock timeout, release, delivery limit -----

#[test]
fn lock_timeout_makes_records_available_again_with_the_next_delivery_counted() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 5, 10, vec![(0, 4, 1)]),
            Step::Acquire(10_000, "b", 5, 10, vec![(5, 9, 1)]),
            Step::Timeout(29_999, 0),
            Step::Timeout(30_000, 5),
            Step::Cache("0; 0-4 avl1; 5-9 acq1 b@40000"),
            // The late acknowledgement of the expired lock is refused.
            Step::Ack(30_001, "a", vec![(0, 4, Accept)], Err(INVALID_RECORD_STATE)),
            Step::Acquire(30_002, "b", 10, 10, vec![(0, 4, 2)]),
            Step::Timeout(40_000, 5),
            Step::Cache("0; 0-4 acq2 b@60002; 5-9 avl1"),
            Step::Timeout(60_002, 5),
            Step::Acquire(60_003, "c", 10, 10, vec![(0, 4, 3), (5, 9, 2)]),
        ],
    );
}

#[test]
fn a_record_out_of_deliveries_is_archived_on_release_and_on_timeout() {
    check(
        fresh(2, 2000),
        vec![
            Step::Acquire(0, "a", 4, 10, vec![(0, 3, 1)]),
            Step::Ack(1, "a", vec![(0, 1, Release)], Ok(())),
            Step::Timeout(30_000, 2),
            Step::Cache("0; 0-3 avl1"),
            Step::Acquire(30_001, "a", 4, 10, vec![(0, 3, 2)]),
            // Second delivery = the limit: release archives (the SPSO moves past them) …
            Step::Ack(30_002, "a", vec![(0, 1, Release)], Ok(())),
            Step::Cache("2; 2-3 acq2 a@60001"),
            // … and so does the lock timeout.
            Step::Timeout(60_001, 2),
            Step::Cache("4"),
            Step::Acquire(60_002, "a", 4, 10, vec![(4, 7, 1)]),
            Step::Release(60_003, "a", 4),
            Step::Acquire(60_004, "b", 4, 10, vec![(4, 7, 2)]),
            Step::Release(60_005, "zz", 0),
            Step::Release(60_005, "b", 4),
            Step::Cache("8"),
        ],
    );
}

#[test]
fn release_acquired_records_releases_only_that_members_records() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 3, 10, vec![(0, 2, 1)]),
            Step::Acquire(0, "b", 3, 10, vec![(3, 5, 1)]),
            Step::Acquire(0, "a", 3, 10, vec![(6, 8, 1)]),
            Step::Release(1, "a", 6),
            Step::Cache("0; 0-2 avl1; 3-5 acq1 b@30000; 6-8 avl1"),
            Step::Acquire(2, "b", 10, 10, vec![(0, 2, 2), (6, 8, 2), (9, 9, 1)]),
        ],
    );
}

// ----- poison-record isolation -----

#[test]
fn poison_batch_is_halved_then_delivered_record_by_record() {
    // SharePartitionTest.testAcquireRecordsHalvesBatchSizeOnEachFailureUntilSingleRecordOnLastAttempt:
    // limit 7, so throttle = 4; a batch of 20 at 4 deliveries.
    let h = Harness::recovered(cfg(7, 2000), 15, vec![batch(15, 34, RecordState::Available, 4)]);
    let mut steps = vec![
        Step::Cache("15; 15-34 avl4"),
        // 20 >> (4 - 4 + 1) = 10.
        Step::Acquire(0, "a", 500, 35, vec![(15, 24, 5)]),
        Step::Timeout(30_000, 10),
        // 20 >> 2 = 5.
        Step::Acquire(30_000, "a", 500, 35, vec![(15, 19, 6)]),
        Step::Timeout(60_000, 5),
    ];
    // Last attempt: one record per fetch.
    for i in 0..5 {
        steps.push(Step::Acquire(60_000, "a", 500, 35, vec![(15 + i, 15 + i, 7)]));
    }
    steps.extend([
        Step::Acquire(60_000, "a", 500, 35, vec![(20, 24, 6)]),
        Step::Acquire(60_000, "a", 500, 35, vec![(25, 34, 5)]),
        Step::Cache("15; 15-19 acq7 a@90000; 20-24 acq6 a@90000; 25-34 acq5 a@90000"),
    ]);
    check(h, steps);
}

#[test]
fn a_record_on_its_last_attempt_is_delivered_alone() {
    // SharePartitionTest.testLastAttemptRecordIsolationWithMixedDeliveryCount (limit 5,
    // throttle 3).
    let h = Harness::recovered(cfg(5, 2000), 15, vec![batch(15, 34, RecordState::Available, 2)]);
    check(
        h,
        vec![
            Step::Acquire(0, "a", 500, 35, vec![(15, 34, 3)]),
            Step::Ack(1, "a", vec![(17, 17, Release), (20, 20, Release)], Ok(())),
            Step::Acquire(2, "a", 500, 35, vec![(17, 17, 4), (20, 20, 4)]),
            Step::Ack(3, "a", vec![(15, 34, Release)], Ok(())),
            Step::Cache("15; 15-16 avl3; 17 avl4; 18-19 avl3; 20 avl4; 21-34 avl3"),
            // 17 is on its last attempt: the fetch stops before it …
            Step::Acquire(4, "a", 500, 35, vec![(15, 16, 4)]),
            // … and it goes alone.
            Step::Acquire(5, "a", 500, 35, vec![(17, 17, 5)]),
        ],
    );
}

#[test]
fn a_throttled_batch_opens_the_next_fetch_and_ends_it() {
    // SharePartitionTest.testThrottleRecordsWhenPendingDeliveriesExist: start 5, holes 5-14
    // and 23-25 (records the previous leader acquired but never persisted).
    let h = Harness::recovered(
        cfg(5, 2000),
        5,
        vec![batch(15, 19, RecordState::Available, 2), batch(20, 22, RecordState::Archived, 3), batch(26, 30, RecordState::Available, 3)],
    );
    check(
        h,
        vec![
            Step::Cache("5; 5-14 avl0; 15-19 avl2; 20-22 arc3; 23-25 avl0; 26-30 avl3"),
            // 26-30 (3 deliveries = throttle) is left for the next fetch.
            Step::Acquire(0, "a", 500, 40, vec![(5, 14, 1), (15, 19, 3), (23, 25, 1)]),
            // Its batch of 5 is halved (5 >> 1 = 2), and nothing is acquired after it.
            Step::Acquire(1, "a", 500, 40, vec![(26, 27, 4)]),
            Step::Acquire(2, "a", 500, 40, vec![(28, 29, 4)]),
            Step::Acquire(3, "a", 500, 40, vec![(30, 30, 4)]),
            Step::Acquire(4, "a", 500, 40, vec![(31, 39, 1)]),
            Step::Ack(5, "a", vec![(5, 39, Accept)], Err(INVALID_RECORD_STATE)),
            Step::Ack(5, "a", vec![(5, 19, Accept), (23, 39, Accept)], Ok(())),
            Step::Cache("40"),
        ],
    );
}

#[test]
fn no_throttling_below_the_throttle_limit_or_at_a_limit_of_two() {
    let h = Harness::recovered(cfg(2, 2000), 0, vec![batch(0, 9, RecordState::Available, 1)]);
    check(h, vec![Step::Acquire(0, "a", 500, 12, vec![(0, 9, 2), (10, 11, 1)])]);
    let h = Harness::recovered(cfg(5, 2000), 0, vec![batch(0, 9, RecordState::Available, 2)]);
    check(h, vec![Step::Acquire(0, "a", 500, 12, vec![(0, 9, 3), (10, 11, 1)])]);
}

// ----- start offset -----

#[test]
fn the_start_offset_advances_over_leading_finished_records_only() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 10, 10, vec![(0, 9, 1)]),
            Step::Ack(1, "a", vec![(3, 5, Accept), (7, 7, Reject)], Ok(())),
            Step::Cache("0; 0-2 acq1 a@30000; 3-5 ack1; 6 acq1 a@30000; 7 arc1; 8-9 acq1 a@30000"),
            Step::Ack(2, "a", vec![(0, 2, Reject)], Ok(())),
            Step::Cache("6; 6 acq1 a@30000; 7 arc1; 8-9 acq1 a@30000"),
            Step::Ack(3, "a", vec![(6, 6, Release)], Ok(())),
            Step::Cache("6; 6 avl1; 7 arc1; 8-9 acq1 a@30000"),
            Step::Acquire(4, "b", 10, 10, vec![(6, 6, 2)]),
            Step::Ack(5, "b", vec![(6, 6, Accept)], Ok(())),
            Step::Ack(5, "a", vec![(8, 9, Accept)], Ok(())),
            Step::Cache("10"),
        ],
    );
}

#[test]
fn log_start_moving_past_the_start_offset_drops_what_is_below_it() {
    check(
        fresh(5, 2000),
        vec![
            Step::Acquire(0, "a", 5, 25, vec![(0, 4, 1)]),
            Step::Acquire(0, "a", 5, 25, vec![(5, 9, 1)]),
            Step::Acquire(0, "b", 5, 25, vec![(10, 14, 1)]),
            Step::Acquire(0, "b", 5, 25, vec![(15, 19, 1)]),
            Step::Ack(1, "a", vec![(5, 9, Accept)], Ok(())),
            Step::Ack(1, "b", vec![(15, 19, Accept)], Ok(())),
            Step::LogStart(0, false),
            Step::LogStart(12, true),
            // SPSO and cache cut at 12; the acquired records below it are gone.
            Step::Cache("12; 12-14 acq1 b@30000; 15-19 ack1"),
            Step::Ack(2, "a", vec![(0, 4, Accept)], Ok(())),
            Step::Ack(2, "b", vec![(10, 14, Release)], Ok(())),
            Step::Cache("12; 12-14 avl1; 15-19 ack1"),
            Step::LogStart(10, false),
            // Past the whole cache: SPSO = SPEO = the log start.
            Step::LogStart(30, true),
            Step::Cache("30"),
            Step::Acquire(3, "a", 5, 25, vec![]),
            Step::Acquire(3, "a", 5, 35, vec![(30, 34, 1)]),
        ],
    );
}

#[test]
fn reset_for_an_empty_group_starts_over() {
    let mut h = fresh(5, 2000);
    h.sp.acquire(0, "a", 10, 10);
    h.sp.acknowledge(1, "a", &[(0, 4, Accept)]).unwrap();
    h.flush();
    // alterShareGroupOffsets: the group coordinator initializes with the group epoch …
    let init = InitializeShareGroupState { state_epoch: 7, start_offset: 100 };
    let record = h.coord.initialize(2, &init).unwrap();
    h.records.push(record);
    // … and the leader starts over at 100 with that state epoch.
    h.sp.reset(100, 7);
    assert_eq!((render(&h.sp), h.sp.state_epoch()), ("100".to_string(), 7));
    // A write of the old state epoch is fenced.
    let stale = WriteShareGroupState {
        state_epoch: 0,
        leader_epoch: 0,
        start_offset: 5,
        delivery_complete_count: 0,
        state_batches: vec![batch(5, 9, RecordState::Available, 1)],
    };
    assert_eq!(h.coord.write(3, &stale), Err(ShareErrorCode::FencedStateEpoch));
    assert_eq!(h.coord.initialize(3, &InitializeShareGroupState { state_epoch: 6, start_offset: 0 }), Err(ShareErrorCode::FencedStateEpoch));
    check(
        h,
        vec![
            Step::Acquire(4, "a", 10, 105, vec![(100, 104, 1)]),
            Step::Ack(5, "a", vec![(100, 101, Accept), (102, 102, Release)], Ok(())),
            Step::Cache("102; 102 avl1; 103-104 acq1 a@30004"),
        ],
    );
}

// ----- views -----

#[test]
fn counts_lag_and_views() {
    let mut h = fresh(5, 2000);
    h.sp.acquire(0, "a", 10, 20);
    h.sp.acknowledge(1, "a", &[(2, 3, Accept), (4, 4, Reject), (5, 6, Release)]).unwrap();
    let c = h.sp.state_counts();
    assert_eq!((c.available, c.acquired, c.acknowledged, c.archived), (2, 5, 2, 1));
    assert_eq!((h.sp.start_offset(), h.sp.end_offset(), h.sp.in_flight_count()), (0, 9, 10));
    // KIP-1226: HW − SPSO − terminal records above the SPSO.
    assert_eq!(h.sp.delivery_complete_count(), 3);
    assert_eq!(h.sp.lag(20), 17);
    assert_eq!(h.sp.next_fetch_offset(), 5);
    assert_eq!(h.sp.next_deadline_ms(), Some(30_000));
    assert_eq!(h.sp.record(4).map(|r| r.state), Some(RecordState::Archived));
    assert_eq!(h.sp.record(10), None);
    assert_eq!(h.sp.in_flight_batches().len(), 1);
    assert!(h.sp.can_acquire_records());
    // The write carried the SPSO and count from before the SPSO moved (none moved here).
    let writes = h.sp.pending_state_writes();
    assert_eq!(writes.len(), 1);
    assert_eq!((writes[0].start_offset, writes[0].delivery_complete_count), (0, 3));
    assert_eq!(
        writes[0].state_batches,
        vec![batch(2, 3, RecordState::Acknowledged, 1), batch(4, 4, RecordState::Archived, 1), batch(5, 6, RecordState::Available, 1)]
    );
    // Serde round trip and the state hash.
    let json = serde_json::to_string(&h.sp).unwrap();
    let back: SharePartition = serde_json::from_str(&json).unwrap();
    assert_eq!(back, h.sp);
    assert_eq!(hash(&back), hash(&h.sp));
    let mut other = h.sp.clone();
    other.handle_timeout(30_000);
    assert_ne!(hash(&other), hash(&h.sp));
    check(h, vec![]);
}

#[test]
fn thousands_of_records_stay_a_few_ranges() {
    let mut h = Harness::new(cfg(5, 20_000), 0, ShareCoordinatorConfig::default());
    assert_eq!(got(&h.sp.acquire(0, "a", 5_000, 1_000_000)), vec![(0, 4_999, 1)]);
    assert_eq!(got(&h.sp.acquire(0, "b", 5_000, 1_000_000)), vec![(5_000, 9_999, 1)]);
    assert_eq!(h.sp.in_flight_ranges().len(), 2);
    h.sp.acknowledge(1, "a", &[(0, 999, Accept), (1_000, 3_999, Release), (4_000, 4_999, Accept)]).unwrap();
    assert_eq!(render(&h.sp), "1000; 1000-3999 avl1; 4000-4999 ack1; 5000-9999 acq1 b@30000");
    h.sp.release_acquired_records(2, "b");
    assert_eq!(render(&h.sp), "1000; 1000-3999 avl1; 4000-4999 ack1; 5000-9999 avl1");
    assert_eq!(got(&h.sp.acquire(3, "c", 10_000, 1_000_000)), vec![(1_000, 3_999, 2), (5_000, 9_999, 2), (10_000, 11_999, 1)]);
    assert_eq!(h.sp.in_flight_ranges().len(), 4);
    h.flush();
    check(h, vec![Step::Ack(4, "c", vec![(1_000, 3_999, Accept), (5_000, 11_999, Accept)], Ok(())), Step::Cache("12000")]);
}

// ----- persistence and recovery -----

#[test]
fn state_survives_a_leader_failover_after_updates_and_snapshots() {
    // One snapshot per two updates.
    let h = Harness::new(cfg(5, 2000), 0, ShareCoordinatorConfig { snapshot_update_records_per_snapshot: 2 });
    let h = check(
        h,
        vec![
            Step::Acquire(0, "a", 10, 30, vec![(0, 9, 1)]),
            Step::Ack(1, "a", vec![(0, 1, Accept), (4, 4, Reject), (6, 7, Release)], Ok(())),
            Step::Release(2, "a", 5),
            Step::Cache("2; 2-3 avl1; 4 arc1; 5-9 avl1"),
            Step::Acquire(3, "b", 4, 30, vec![(2, 3, 2), (5, 6, 2)]),
            Step::Timeout(30_003, 4),
            Step::Acquire(30_004, "b", 20, 30, vec![(2, 3, 3), (5, 6, 3), (7, 9, 2), (10, 22, 1)]),
            Step::Ack(30_005, "b", vec![(2, 3, Accept)], Ok(())),
            Step::Cache("5; 5-6 acq3 b@60004; 7-9 acq2 b@60004; 10-22 acq1 b@60004"),
            Step::Failover,
            // The deliveries in flight are forgotten with their count; 10-22 were never
            // persisted and are new again.
            Step::Cache("5; 5-6 avl2; 7-9 avl1"),
            Step::Acquire(40_000, "c", 100, 30, vec![(5, 6, 3), (7, 9, 2), (10, 29, 1)]),
            Step::Ack(40_001, "c", vec![(5, 29, Accept)], Ok(())),
            Step::Failover,
            Step::Cache("30"),
        ],
    );
    let snapshots = h.records.iter().filter(|r| matches!(r, ShareGroupStateRecord::Snapshot { .. })).count();
    let updates = h.records.len() - snapshots;
    assert!(snapshots >= 3 && updates >= 3, "{snapshots} snapshots, {updates} updates");
    // The start offset written is the one before the acknowledgement moved it (Kafka moves it
    // once the write succeeded); a new leader moves it again from the terminal batches.
    assert_eq!(h.coord.state().map(|s| s.start_offset), Some(5));
}

#[test]
fn coordinator_records_follow_the_update_count() {
    let mut c = ShareStateCoordinator::new(ShareCoordinatorConfig { snapshot_update_records_per_snapshot: 2 });
    let write = |start: i64, b: Vec<StateBatch>| WriteShareGroupState {
        state_epoch: 1,
        leader_epoch: 4,
        start_offset: start,
        delivery_complete_count: 0,
        state_batches: b,
    };
    assert_eq!(c.write(0, &write(0, vec![])), Err(INVALID_REQUEST), "a key never initialized");
    assert_eq!(c.read(0, 4).map(|r| r.0), Err(INVALID_REQUEST));
    let r = c.initialize(10, &InitializeShareGroupState { state_epoch: 1, start_offset: -1 }).unwrap();
    assert!(matches!(r, ShareGroupStateRecord::Snapshot { snapshot_epoch: 0, state_epoch: 1, leader_epoch: 0, start_offset: -1, delivery_complete_count: -1, .. }));
    // The new leader reads with its epoch: that is written (an update here).
    let (state, r) = c.read(20, 4).unwrap();
    assert_eq!((state.start_offset, state.leader_epoch), (-1, 4));
    assert!(matches!(r, Some(ShareGroupStateRecord::Update { leader_epoch: 4, .. })));
    assert_eq!(c.read(21, 4).unwrap().1, None, "same epoch: nothing written");
    assert_eq!(c.read(21, 3).map(|r| r.0), Err(ShareErrorCode::FencedLeaderEpoch));
    let r = c.write(30, &write(0, vec![batch(0, 4, RecordState::Acknowledged, 1), batch(5, 9, RecordState::Available, 1)])).unwrap();
    assert!(matches!(r, ShareGroupStateRecord::Update { snapshot_epoch: 0, .. }));
    assert_eq!(c.snapshot_update_count(), 2);
    // Two updates since the snapshot: the next write is a snapshot of the merged state.
    let r = c.write(40, &write(5, vec![batch(5, 6, RecordState::Archived, 1)])).unwrap();
    match &r {
        ShareGroupStateRecord::Snapshot { snapshot_epoch, start_offset, batches, create_timestamp_ms, leader_epoch, .. } => {
            assert_eq!((*snapshot_epoch, *start_offset, *create_timestamp_ms, *leader_epoch), (1, 5, 40, 4));
            assert_eq!(batches, &vec![batch(5, 6, RecordState::Archived, 1), batch(7, 9, RecordState::Available, 1)]);
        }
        other => panic!("expected a snapshot, got {other:?}"),
    }
    assert_eq!(c.snapshot_update_count(), 0);
    // An older leader is fenced.
    assert_eq!(c.write(50, &WriteShareGroupState { leader_epoch: 3, ..write(5, vec![]) }), Err(ShareErrorCode::FencedLeaderEpoch));
    assert_eq!(c.write(50, &WriteShareGroupState { state_epoch: 0, ..write(5, vec![]) }), Err(ShareErrorCode::FencedStateEpoch));
    // -1 epochs are not checked; a -1 start offset keeps the start offset.
    let r = c.write(60, &WriteShareGroupState { leader_epoch: -1, state_epoch: -1, ..write(-1, vec![batch(9, 9, RecordState::Acknowledged, 1)]) }).unwrap();
    assert!(matches!(r, ShareGroupStateRecord::Update { start_offset: -1, .. }));
    assert_eq!(
        c.state().map(|s| (s.start_offset, s.state_batches.clone())),
        Some((5, vec![batch(5, 6, RecordState::Archived, 1), batch(7, 8, RecordState::Available, 1), batch(9, 9, RecordState::Acknowledged, 1)]))
    );
}

#[test]
fn recovery_applies_share_auto_offset_reset_and_refuses_bad_state() {
    let persisted = |start: i64, batches: Vec<StateBatch>| ShareGroupOffset {
        snapshot_epoch: 0,
        state_epoch: 2,
        leader_epoch: 5,
        start_offset: start,
        delivery_complete_count: -1,
        state_batches: batches,
        create_timestamp_ms: 0,
        write_timestamp_ms: 0,
    };
    let c = cfg(5, 2000);
    let sp = SharePartition::recovered(c, &persisted(-1, vec![]), || Ok(42)).unwrap();
    assert_eq!((sp.start_offset(), sp.end_offset(), sp.state_epoch(), sp.leader_epoch()), (42, 42, 2, 5));
    assert_eq!(SharePartition::recovered(c, &persisted(-1, vec![]), || Err(ShareErrorCode::OffsetNotAvailable)), Err(ShareErrorCode::OffsetNotAvailable));
    let bad = ShareErrorCode::UnknownServerError;
    for batches in [
        vec![batch(3, 5, RecordState::Available, 1)],
        vec![batch(12, 11, RecordState::Available, 1)],
        vec![batch(10, 15, RecordState::Available, 1), batch(15, 16, RecordState::Archived, 1)],
        vec![batch(10, 15, RecordState::Acquired, 1)],
    ] {
        assert_eq!(SharePartition::recovered(c, &persisted(10, batches.clone()), || Ok(0)), Err(bad), "{batches:?}");
    }
    // Leading terminal batches are passed; AVAILABLE at the limit is archived.
    let sp = SharePartition::recovered(
        c,
        &persisted(10, vec![batch(10, 12, RecordState::Acknowledged, 1), batch(13, 13, RecordState::Available, 5), batch(15, 16, RecordState::Available, 2)]),
        || Ok(0),
    )
    .unwrap();
    sp.check_invariants().unwrap();
    assert_eq!(render(&sp), "14; 14 avl0; 15-16 avl2");
}

#[test]
fn combining_state_batches_keeps_the_highest_state_per_offset() {
    use RecordState::{Acknowledged as Ack, Archived as Arc, Available as Avl};
    // (batches so far, new batches, start offset, combined)
    type Case = (Vec<StateBatch>, Vec<StateBatch>, i64, Vec<StateBatch>);
    let cases: Vec<Case> = vec![
        // Disjoint, contiguous with the same state: merged.
        (vec![batch(0, 4, Avl, 1)], vec![batch(5, 9, Avl, 1)], 0, vec![batch(0, 9, Avl, 1)]),
        // A later delivery count wins over the earlier one.
        (vec![batch(0, 9, Avl, 1)], vec![batch(3, 5, Avl, 2)], 0, vec![batch(0, 2, Avl, 1), batch(3, 5, Avl, 2), batch(6, 9, Avl, 1)]),
        // Same count: the higher state id wins (ACKNOWLEDGED 2 < ARCHIVED 4).
        (vec![batch(0, 9, Ack, 1)], vec![batch(0, 4, Arc, 1)], 0, vec![batch(0, 4, Arc, 1), batch(5, 9, Ack, 1)]),
        // A lower one does not override.
        (vec![batch(0, 9, Avl, 3)], vec![batch(2, 12, Ack, 2)], 0, vec![batch(0, 9, Avl, 3), batch(10, 12, Ack, 2)]),
        // Pruned below the start offset.
        (vec![batch(0, 9, Ack, 1)], vec![batch(10, 14, Avl, 1)], 7, vec![batch(7, 9, Ack, 1), batch(10, 14, Avl, 1)]),
        (vec![batch(0, 9, Ack, 1)], vec![], 10, vec![]),
        // No start offset: nothing pruned.
        (vec![batch(5, 9, Ack, 1)], vec![batch(0, 1, Avl, 1)], -1, vec![batch(0, 1, Avl, 1), batch(5, 9, Ack, 1)]),
        (vec![], vec![batch(u64::MAX - 1, u64::MAX, Avl, 1), batch(u64::MAX, u64::MAX, Arc, 1)], 0, vec![batch(u64::MAX - 1, u64::MAX - 1, Avl, 1), batch(u64::MAX, u64::MAX, Arc, 1)]),
    ];
    for (so_far, new, start, want) in cases {
        assert_eq!(combine_state_batches(&so_far, &new, start), want, "{so_far:?} + {new:?} from {start}");
    }
}

#[test]
fn extreme_offsets_do_not_panic() {
    let mut sp = SharePartition::new(cfg(5, 10), u64::MAX - 3);
    assert_eq!(got(&sp.acquire(0, "a", u32::MAX, u64::MAX)), vec![(u64::MAX - 3, u64::MAX - 1, 1)]);
    assert_eq!(sp.acquire(0, "a", u32::MAX, u64::MAX), vec![]);
    assert_eq!(sp.acknowledge(0, "a", &[(u64::MAX - 3, u64::MAX, Accept)]), Err(INVALID_REQUEST));
    assert_eq!(sp.acknowledge(0, "a", &[(0, u64::MAX - 1, Release)]), Ok(()));
    sp.check_invariants().unwrap();
    assert!(sp.update_cache_and_offsets(u64::MAX));
    assert_eq!(sp.acquire(u64::MAX, "a", 1, u64::MAX), vec![]);
    assert_eq!(sp.next_deadline_ms(), None);
    sp.check_invariants().unwrap();
    let mut sp = SharePartition::new(cfg(0, 0), 0);
    assert_eq!(sp.acquire(0, "a", 5, 10), vec![]);
    let mut sp = SharePartition::new(SharePartitionConfig { record_lock_duration_ms: u64::MAX, ..cfg(1, 5) }, 0);
    assert_eq!(got(&sp.acquire(5, "a", 5, 10)), vec![(0, 4, 1)]);
    assert_eq!(sp.next_deadline_ms(), Some(u64::MAX));
    assert_eq!(sp.release_acquired_records(6, "a"), 5);
    assert_eq!(render(&sp), "5");
}

// ----- property test -----

/// The case count: `PROPTEST_CASES` or `GROUPLAB_PROPTEST_CASES`, else 64.
fn cases() -> u32 {
    ["PROPTEST_CASES", "GROUPLAB_PROPTEST_CASES"]
        .iter()
        .find_map(|v| std::env::var(v).ok().and_then(|s| s.parse().ok()))
        .unwrap_or(64)
}

#[derive(Debug, Clone)]
enum Op {
    /// A share fetch.
    Acquire { member: u8, max: u32 },
    /// Acknowledge pieces of what the member holds: (index of a held offset, length, type).
    AckHeld { member: u8, picks: Vec<(u16, u8, u8)> },
    /// Acknowledge arbitrary offsets around the cache.
    AckAny { member: u8, batches: Vec<(u16, u8, u8)> },
    /// The member leaves.
    Release { member: u8 },
    /// Time passes; the locks due expire.
    Advance { ms: u32 },
    /// Records are produced.
    Produce { n: u16 },
    /// Retention moves the log start.
    LogStart { by: u16 },
    /// A new leader takes over.
    Failover,
    /// Everyone leaves and the start offset is altered (back or forward).
    Reset { back: bool, by: u16 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..3, 1u32..25).prop_map(|(member, max)| Op::Acquire { member, max }),
        6 => (0u8..3, prop::collection::vec((any::<u16>(), 1u8..8, 1u8..5), 1..4)).prop_map(|(member, picks)| Op::AckHeld { member, picks }),
        2 => (0u8..3, prop::collection::vec((any::<u16>(), 0u8..8, 1u8..5), 0..4)).prop_map(|(member, batches)| Op::AckAny { member, batches }),
        1 => (0u8..3).prop_map(|member| Op::Release { member }),
        3 => (0u32..4_000).prop_map(|ms| Op::Advance { ms }),
        3 => (0u16..30).prop_map(|n| Op::Produce { n }),
        1 => (0u16..20).prop_map(|by| Op::LogStart { by }),
        1 => Just(Op::Failover),
        1 => (any::<bool>(), 0u16..20).prop_map(|(back, by)| Op::Reset { back, by }),
    ]
}

const MEMBERS: [&str; 3] = ["m0", "m1", "m2"];

fn ack_type(t: u8) -> AcknowledgeType {
    AcknowledgeType::from_id(t).unwrap_or(Accept)
}

/// Who holds which offset, kept from the operations' results alone.
type Held = BTreeMap<u64, (String, u64)>;

fn held_by_state(sp: &SharePartition) -> Held {
    let mut held = Held::new();
    for r in sp.in_flight_ranges() {
        if let (Some(m), Some(d)) = (&r.member_id, r.lock_deadline_ms) {
            for o in r.first_offset..=r.last_offset {
                held.insert(o, (m.clone(), d));
            }
        }
    }
    held
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_operations_keep_the_invariants(
        limit in 2u16..7,
        max_in_flight in 5u32..60,
        lock_ms in 1_000u64..5_000,
        per_snapshot in 0u32..4,
        start in 0u64..5,
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let config = SharePartitionConfig { record_lock_duration_ms: lock_ms, delivery_count_limit: limit, max_in_flight_records: max_in_flight };
        let mut h = Harness::new(config, start, ShareCoordinatorConfig { snapshot_update_records_per_snapshot: per_snapshot });
        let (mut hw, mut log_start) = (start + 10, start);
        let mut state_epoch = 0;
        let mut held = Held::new();
        for (i, op) in ops.into_iter().enumerate() {
            let cache = render(&h.sp);
            match op {
                Op::Acquire { member, max } => {
                    let m = MEMBERS[member as usize];
                    let spso = h.sp.start_offset();
                    let before: Vec<_> = h.sp.in_flight_ranges().to_vec();
                    let out = h.sp.acquire(h.now, m, max, hw);
                    let mut total = 0;
                    let mut prev_last: Option<u64> = None;
                    for a in &out {
                        prop_assert!(a.first_offset <= a.last_offset && prev_last.is_none_or(|p| p < a.first_offset), "op {i}: unsorted {out:?}");
                        prev_last = Some(a.last_offset);
                        prop_assert!(a.first_offset >= spso, "op {i}: acquired {a:?} below the SPSO {spso} of {cache}");
                        prop_assert!(a.last_offset < hw, "op {i}: acquired {a:?} at or past the HW {hw}");
                        total += a.last_offset - a.first_offset + 1;
                        for o in a.first_offset..=a.last_offset {
                            // At most one member holds a record.
                            prop_assert!(!held.contains_key(&o), "op {i}: {o} acquired by {m} while {:?} holds it", held.get(&o));
                            let was = before.iter().find(|r| r.first_offset <= o && o <= r.last_offset);
                            let was_count = match was {
                                Some(r) => {
                                    prop_assert_eq!(r.state, RecordState::Available, "op {}: {} acquired from {:?}", i, o, r);
                                    r.delivery_count
                                }
                                None => 0,
                            };
                            prop_assert_eq!(a.delivery_count, was_count + 1, "op {}: delivery count of {}", i, o);
                            held.insert(o, (m.to_string(), h.now + lock_ms));
                        }
                    }
                    prop_assert!(total <= u64::from(max), "op {i}: {total} records for max {max}");
                }
                Op::AckHeld { member, picks } => {
                    let m = MEMBERS[member as usize];
                    let mine: Vec<u64> = held.iter().filter(|(_, (who, _))| who == m).map(|(o, _)| *o).collect();
                    if mine.is_empty() {
                        continue;
                    }
                    let mut batches: Vec<(u64, u64, AcknowledgeType)> = Vec::new();
                    for (idx, len, t) in picks {
                        let first = mine[idx as usize % mine.len()];
                        let mut last = first;
                        while last - first + 1 < u64::from(len) && mine.binary_search(&(last + 1)).is_ok() {
                            last += 1;
                        }
                        if batches.last().is_none_or(|b| b.1 < first) {
                            batches.push((first, last, ack_type(t)));
                        }
                    }
                    let res = h.sp.acknowledge(h.now, m, &batches);
                    prop_assert_eq!(res, Ok(()), "op {}: {} acknowledging held {:?} on {}", i, m, batches, cache);
                    let renew = h.now + lock_ms;
                    for &(f, l, t) in &batches {
                        for o in f..=l {
                            if t == Renew {
                                held.insert(o, (m.to_string(), renew));
                            } else {
                                held.remove(&o);
                            }
                        }
                    }
                }
                Op::AckAny { member, batches } => {
                    let m = MEMBERS[member as usize];
                    let base = h.sp.start_offset().saturating_sub(3);
                    let batches: Vec<(u64, u64, AcknowledgeType)> = batches
                        .iter()
                        .map(|&(off, len, t)| {
                            let first = base + u64::from(off % 40);
                            // Length 0: a malformed batch (first > last) when possible.
                            let last = if len == 0 { first.saturating_sub(1) } else { first + u64::from(len) - 1 };
                            (first, last, ack_type(t))
                        })
                        .collect();
                    let before = hash(&h.sp);
                    let spso = h.sp.start_offset();
                    match h.sp.acknowledge(h.now, m, &batches) {
                        Ok(()) => {
                            for &(f, l, t) in &batches {
                                for o in f.max(spso)..=l {
                                    prop_assert_eq!(held.get(&o).map(|x| x.0.as_str()), Some(m), "op {}: {} acknowledged {} it did not hold", i, m, o);
                                    if t == Renew {
                                        held.insert(o, (m.to_string(), h.now + lock_ms));
                                    } else {
                                        held.remove(&o);
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            prop_assert!(e == INVALID_REQUEST || e == INVALID_RECORD_STATE, "op {i}: {e}");
                            prop_assert_eq!(hash(&h.sp), before, "op {}: refused {:?} changed {}", i, batches, cache);
                        }
                    }
                }
                Op::Release { member } => {
                    let m = MEMBERS[member as usize];
                    let n = h.sp.release_acquired_records(h.now, m);
                    let before = held.len();
                    held.retain(|_, (who, _)| who != m);
                    prop_assert_eq!(n as usize, before - held.len(), "op {}: released", i);
                }
                Op::Advance { ms } => {
                    h.now += u64::from(ms);
                    let n = h.sp.handle_timeout(h.now);
                    let before = held.len();
                    let now = h.now;
                    held.retain(|_, (_, d)| *d > now);
                    prop_assert_eq!(n as usize, before - held.len(), "op {}: expired", i);
                }
                Op::Produce { n } => hw += u64::from(n),
                Op::LogStart { by } => {
                    log_start = (log_start + u64::from(by)).min(hw);
                    h.sp.update_cache_and_offsets(log_start);
                    let spso = h.sp.start_offset();
                    held.retain(|o, _| *o >= spso);
                }
                Op::Failover => {
                    h.failover();
                    held.clear();
                    // The new leader's first fetch moves it to the log start if it is behind.
                    h.sp.update_cache_and_offsets(log_start);
                }
                Op::Reset { back, by } => {
                    for m in MEMBERS {
                        h.sp.release_acquired_records(h.now, m);
                    }
                    held.clear();
                    h.flush();
                    let spso = h.sp.start_offset();
                    let to = if back { spso.saturating_sub(u64::from(by)).max(log_start) } else { (spso + u64::from(by)).min(hw) };
                    state_epoch += 1;
                    let record = h.coord.initialize(h.now, &InitializeShareGroupState { state_epoch, start_offset: to as i64 }).unwrap();
                    h.records.push(record);
                    h.sp.reset(to, state_epoch);
                }
            }
            h.sp.check_invariants().map_err(|e| TestCaseError::fail(format!("op {i}: {e}: {}", render(&h.sp))))?;
            prop_assert!(h.sp.start_offset() >= log_start, "op {i}: SPSO {} below the log start {log_start}", h.sp.start_offset());
            prop_assert_eq!(held_by_state(&h.sp), held.clone(), "op {}: who holds what, after {}", i, render(&h.sp));
            h.flush();
        }
        h.failover();
    }
}
