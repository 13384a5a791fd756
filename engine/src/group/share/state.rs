//! The persisted state of a share-partition: what the leader writes, the `__share_group_state`
//! records the share coordinator makes of it, and how those records fold back into state.
//!
//! * [`WriteShareGroupState`]: the partition data of a `WriteShareGroupState` request, sent by
//!   the share-partition leader after every change it persists (`SharePartition.writeShareGroupState`).
//!   It carries the start offset, the delivery-complete count (KIP-1226, 4.2) and only the
//!   state batches that changed. Acquisitions are never written: a record is persisted only
//!   when it becomes `AVAILABLE` again (release, lock timeout) or terminal (accept, reject,
//!   archive), so no persisted batch is ever `ACQUIRED`, and a delivery that is in flight when
//!   the leader fails is forgotten with its delivery-count increment.
//! * [`InitializeShareGroupState`]: what the group coordinator sends when it initializes a
//!   share-partition or alters its start offset (`alterShareGroupOffsets`, group epoch as the
//!   new state epoch).
//! * [`ShareGroupStateRecord`]: the `ShareSnapshot` / `ShareUpdate` values
//!   (`ShareSnapshotValue.json`, `ShareUpdateValue.json`). A write becomes an update, or a full
//!   snapshot once `share.coordinator.snapshot.update.records.per.snapshot` (500) updates have
//!   been replayed since the last one (`ShareCoordinatorShard.generateShareStateRecord`).
//! * [`ShareGroupOffset`]: the coordinator's soft state for the key, rebuilt by replaying the
//!   records (`ShareCoordinatorShard.handleShareSnapshot` / `handleShareUpdate`).
//! * [`ShareStateCoordinator`]: the part of `ShareCoordinatorShard` for one share-partition key
//!   (group, topic, partition): fencing by leader epoch and state epoch, record generation,
//!   replay, and the read a new leader makes (`readStateAndMaybeUpdateLeaderEpoch`).
//!
//! Keys (`ShareSnapshotKey`: group, topic id, partition), tombstones (group or offsets deleted),
//! pruning of the topic and cold-partition snapshots are left to the caller.

use serde::{Deserialize, Serialize};

use crate::kernel::sort::sort_by_key;
use crate::kernel::Fnv;

use super::{RecordState, ShareErrorCode};

/// `share.coordinator.snapshot.update.records.per.snapshot` default.
pub const DEFAULT_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT: u32 = 500;

/// `-1`: a start offset not set (`PartitionFactory.UNINITIALIZED_START_OFFSET`) or, in a write
/// or an update, not being updated.
pub const UNINITIALIZED_START_OFFSET: i64 = -1;

/// `-1`: no delivery-complete count (`ShareGroupOffset.UNINITIALIZED_DELIVERY_COMPLETE_COUNT`).
pub const UNINITIALIZED_DELIVERY_COMPLETE_COUNT: i32 = -1;

/// `0`: `ShareGroupOffset.UNINITIALIZED_EPOCH`, the leader epoch of a fresh initialization and
/// the state epoch of state first created by an update.
pub const UNINITIALIZED_EPOCH: i32 = 0;

/// One persisted state batch (`PersisterStateBatch`; `StateBatch` of the records): consecutive
/// offsets with one delivery state and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StateBatch {
    /// First offset.
    pub first_offset: u64,
    /// Last offset (inclusive).
    pub last_offset: u64,
    /// Delivery state (`DeliveryState`, stored as [`RecordState::id`]).
    pub delivery_state: RecordState,
    /// Delivery count.
    pub delivery_count: u16,
}

impl StateBatch {
    fn hash_into(&self, h: &mut Fnv) {
        h.u64(self.first_offset);
        h.u64(self.last_offset);
        h.u64(u64::from(self.delivery_state.id()));
        h.u64(u64::from(self.delivery_count));
    }
}

/// The partition data of a `WriteShareGroupState` request (`WriteShareGroupStateRequest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteShareGroupState {
    /// The state epoch the leader initialized from (fenced if the coordinator has a newer one).
    pub state_epoch: i32,
    /// The leader epoch of the writing leader (fenced if the coordinator saw a newer one).
    pub leader_epoch: i32,
    /// The leader's start offset when it wrote, or [`UNINITIALIZED_START_OFFSET`].
    pub start_offset: i64,
    /// Terminal records at or above the start offset (KIP-1226), or -1.
    pub delivery_complete_count: i32,
    /// The batches whose state changed.
    pub state_batches: Vec<StateBatch>,
}

impl WriteShareGroupState {
    /// Feeds the write into a state hash.
    pub fn hash_into(&self, h: &mut Fnv) {
        h.u64(self.state_epoch as u32 as u64);
        h.u64(self.leader_epoch as u32 as u64);
        h.u64(self.start_offset as u64);
        h.u64(self.delivery_complete_count as u32 as u64);
        h.u64(self.state_batches.len() as u64);
        for b in &self.state_batches {
            b.hash_into(h);
        }
    }
}

/// The partition data of an `InitializeShareGroupState` request: a fresh start (no batches).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitializeShareGroupState {
    /// The new state epoch (the group epoch, for `alterShareGroupOffsets`).
    pub state_epoch: i32,
    /// The new start offset, or [`UNINITIALIZED_START_OFFSET`] to let the leader apply
    /// `share.auto.offset.reset`.
    pub start_offset: i64,
}

/// The coordinator's state for one share-partition (`ShareGroupOffset.java`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareGroupOffset {
    /// Snapshot epoch: +1 with every snapshot after the first.
    pub snapshot_epoch: i32,
    /// State epoch.
    pub state_epoch: i32,
    /// Highest leader epoch seen in the records.
    pub leader_epoch: i32,
    /// Start offset, or [`UNINITIALIZED_START_OFFSET`].
    pub start_offset: i64,
    /// Delivery-complete count, or -1.
    pub delivery_complete_count: i32,
    /// The state batches: sorted, disjoint, none below the start offset.
    pub state_batches: Vec<StateBatch>,
    /// When the state was created (the last snapshot's time).
    pub create_timestamp_ms: u64,
    /// When the state was last written as a snapshot.
    pub write_timestamp_ms: u64,
}

/// A value of `__share_group_state` (its key, group + topic + partition, is the caller's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareGroupStateRecord {
    /// `ShareSnapshotValue`: the complete state.
    Snapshot {
        /// Snapshot epoch.
        snapshot_epoch: i32,
        /// State epoch.
        state_epoch: i32,
        /// Leader epoch.
        leader_epoch: i32,
        /// Start offset, or -1.
        start_offset: i64,
        /// Delivery-complete count, or -1.
        delivery_complete_count: i32,
        /// Creation time.
        create_timestamp_ms: u64,
        /// Write time.
        write_timestamp_ms: u64,
        /// All state batches.
        batches: Vec<StateBatch>,
    },
    /// `ShareUpdateValue`: the batches of one write, applied over the state so far.
    Update {
        /// Snapshot epoch of the snapshot it applies to.
        snapshot_epoch: i32,
        /// Leader epoch, or -1 for unchanged.
        leader_epoch: i32,
        /// Start offset, or -1 for unchanged.
        start_offset: i64,
        /// Delivery-complete count, or -1.
        delivery_complete_count: i32,
        /// The updated batches.
        batches: Vec<StateBatch>,
    },
}

/// Share-coordinator configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareCoordinatorConfig {
    /// `share.coordinator.snapshot.update.records.per.snapshot` (500; Kafka allows 0..=500, and 0
    /// makes every write a snapshot).
    pub snapshot_update_records_per_snapshot: u32,
}

impl Default for ShareCoordinatorConfig {
    fn default() -> Self {
        ShareCoordinatorConfig {
            snapshot_update_records_per_snapshot: DEFAULT_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT,
        }
    }
}

/// `ShareCoordinatorShard` for one share-partition key: the soft state (`shareStateMap`), the
/// epochs it fences with (`leaderEpochMap`, `stateEpochMap`) and the update count since the last
/// snapshot (`snapshotUpdateCount`).
///
/// Every operation that writes returns the record to append to `__share_group_state` and has
/// already replayed it, as the coordinator runtime does once the record is written; replaying the
/// same records into [`ShareStateCoordinator::loaded`] rebuilds the same state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareStateCoordinator {
    config: ShareCoordinatorConfig,
    state: Option<ShareGroupOffset>,
    leader_epoch: Option<i32>,
    state_epoch: Option<i32>,
    snapshot_update_count: u32,
}

impl ShareStateCoordinator {
    /// A coordinator with no state for the key.
    pub fn new(config: ShareCoordinatorConfig) -> Self {
        ShareStateCoordinator {
            config,
            state: None,
            leader_epoch: None,
            state_epoch: None,
            snapshot_update_count: 0,
        }
    }

    /// A coordinator that loaded the key's records (coordinator failover, `replay`).
    pub fn loaded(config: ShareCoordinatorConfig, records: &[ShareGroupStateRecord]) -> Self {
        let mut c = ShareStateCoordinator::new(config);
        for r in records {
            c.replay(r);
        }
        c
    }

    /// The state, if the key was initialized or written.
    pub fn state(&self) -> Option<&ShareGroupOffset> {
        self.state.as_ref()
    }

    /// Updates replayed since the last snapshot that reset the count.
    pub fn snapshot_update_count(&self) -> u32 {
        self.snapshot_update_count
    }

    /// The configuration.
    pub fn config(&self) -> ShareCoordinatorConfig {
        self.config
    }

    /// `initializeState`: a new snapshot with no batches (`generateInitializeStateRecord`), or
    /// `FENCED_STATE_EPOCH` if the coordinator already has a newer state epoch.
    pub fn initialize(&mut self, now_ms: u64, req: &InitializeShareGroupState) -> Result<ShareGroupStateRecord, ShareErrorCode> {
        if self.state_epoch.is_some_and(|e| e > req.state_epoch) {
            return Err(ShareErrorCode::FencedStateEpoch);
        }
        let snapshot_epoch = self.state.as_ref().map_or(0, |s| s.snapshot_epoch.saturating_add(1));
        let record = ShareGroupStateRecord::Snapshot {
            snapshot_epoch,
            state_epoch: req.state_epoch,
            leader_epoch: UNINITIALIZED_EPOCH,
            start_offset: req.start_offset,
            // Lag is unknown until the start offset is; from a set start offset it counts from 0.
            delivery_complete_count: if req.start_offset == UNINITIALIZED_START_OFFSET {
                UNINITIALIZED_DELIVERY_COMPLETE_COUNT
            } else {
                0
            },
            create_timestamp_ms: now_ms,
            write_timestamp_ms: now_ms,
            batches: Vec::new(),
        };
        self.replay(&record);
        Ok(record)
    }

    /// `writeState`: fences a write from an older leader or state epoch, then makes it an update
    /// record, or a snapshot of the merged state once the update count reached the limit.
    pub fn write(&mut self, now_ms: u64, req: &WriteShareGroupState) -> Result<ShareGroupStateRecord, ShareErrorCode> {
        if self.state.is_none() {
            // WRITE_UNINITIALIZED_SHARE_PARTITION
            return Err(ShareErrorCode::INVALID_REQUEST);
        }
        if req.leader_epoch != -1 && self.leader_epoch.is_some_and(|e| e > req.leader_epoch) {
            return Err(ShareErrorCode::FencedLeaderEpoch);
        }
        if req.state_epoch != -1 && self.state_epoch.is_some_and(|e| e > req.state_epoch) {
            return Err(ShareErrorCode::FencedStateEpoch);
        }
        let record = self.state_record(now_ms, req, false);
        self.replay(&record);
        Ok(record)
    }

    /// `readStateAndMaybeUpdateLeaderEpoch`: the state a (new) leader initializes from. A read
    /// with a newer leader epoch also writes that epoch (an update or snapshot record, returned),
    /// so that writes of the previous leader are fenced from then on. `INVALID_REQUEST` for a
    /// key never initialized, `FENCED_LEADER_EPOCH` for a reader older than the last leader.
    pub fn read(&mut self, now_ms: u64, leader_epoch: i32) -> Result<(ShareGroupOffset, Option<ShareGroupStateRecord>), ShareErrorCode> {
        let Some(state) = self.state.as_ref() else {
            // READ_UNINITIALIZED_SHARE_PARTITION
            return Err(ShareErrorCode::INVALID_REQUEST);
        };
        if self.leader_epoch.is_some_and(|e| e > leader_epoch) {
            return Err(ShareErrorCode::FencedLeaderEpoch);
        }
        if leader_epoch == -1 || self.leader_epoch == Some(leader_epoch) {
            return Ok((state.clone(), None));
        }
        let req = WriteShareGroupState {
            state_epoch: state.state_epoch,
            leader_epoch,
            start_offset: state.start_offset,
            delivery_complete_count: state.delivery_complete_count,
            state_batches: Vec::new(),
        };
        let record = self.state_record(now_ms, &req, true);
        self.replay(&record);
        let state = self.state.clone().ok_or(ShareErrorCode::UnknownServerError)?;
        Ok((state, Some(record)))
    }

    /// `generateShareStateRecord`.
    fn state_record(&self, now_ms: u64, req: &WriteShareGroupState, update_leader_epoch: bool) -> ShareGroupStateRecord {
        let empty = ShareGroupOffset {
            snapshot_epoch: 0,
            state_epoch: UNINITIALIZED_EPOCH,
            leader_epoch: UNINITIALIZED_EPOCH,
            start_offset: UNINITIALIZED_START_OFFSET,
            delivery_complete_count: UNINITIALIZED_DELIVERY_COMPLETE_COUNT,
            state_batches: Vec::new(),
            create_timestamp_ms: 0,
            write_timestamp_ms: 0,
        };
        let current = self.state.as_ref().unwrap_or(&empty);
        let leader_epoch = if update_leader_epoch && req.leader_epoch != -1 { req.leader_epoch } else { current.leader_epoch };
        if self.snapshot_update_count >= self.config.snapshot_update_records_per_snapshot {
            let start_offset = if req.start_offset == UNINITIALIZED_START_OFFSET { current.start_offset } else { req.start_offset };
            ShareGroupStateRecord::Snapshot {
                snapshot_epoch: current.snapshot_epoch.saturating_add(1),
                state_epoch: current.state_epoch,
                leader_epoch,
                start_offset,
                delivery_complete_count: req.delivery_complete_count,
                create_timestamp_ms: now_ms,
                write_timestamp_ms: now_ms,
                batches: combine_state_batches(&current.state_batches, &req.state_batches, start_offset),
            }
        } else {
            ShareGroupStateRecord::Update {
                snapshot_epoch: current.snapshot_epoch,
                leader_epoch,
                start_offset: req.start_offset,
                delivery_complete_count: req.delivery_complete_count,
                batches: combine_state_batches(&[], &req.state_batches, req.start_offset),
            }
        }
    }

    /// Applies one record to the soft state (`handleShareSnapshot` / `handleShareUpdate`).
    pub fn replay(&mut self, record: &ShareGroupStateRecord) {
        match record {
            ShareGroupStateRecord::Snapshot {
                snapshot_epoch,
                state_epoch,
                leader_epoch,
                start_offset,
                delivery_complete_count,
                create_timestamp_ms,
                write_timestamp_ms,
                batches,
            } => {
                self.leader_epoch = Some(self.leader_epoch.map_or(*leader_epoch, |e| e.max(*leader_epoch)));
                self.state_epoch = Some(self.state_epoch.map_or(*state_epoch, |e| e.max(*state_epoch)));
                self.state = Some(ShareGroupOffset {
                    snapshot_epoch: *snapshot_epoch,
                    state_epoch: *state_epoch,
                    leader_epoch: *leader_epoch,
                    start_offset: *start_offset,
                    delivery_complete_count: *delivery_complete_count,
                    state_batches: batches.clone(),
                    create_timestamp_ms: *create_timestamp_ms,
                    write_timestamp_ms: *write_timestamp_ms,
                });
                // Kafka resets the count only once it reached the limit (an initialize snapshot
                // in between leaves it as it was).
                if self.snapshot_update_count >= self.config.snapshot_update_records_per_snapshot {
                    self.snapshot_update_count = 0;
                }
            }
            ShareGroupStateRecord::Update {
                snapshot_epoch,
                leader_epoch,
                start_offset,
                delivery_complete_count,
                batches,
            } => {
                self.leader_epoch = Some(self.leader_epoch.map_or(*leader_epoch, |e| e.max(*leader_epoch)));
                let merged = match self.state.take() {
                    None => ShareGroupOffset {
                        snapshot_epoch: *snapshot_epoch,
                        state_epoch: UNINITIALIZED_EPOCH,
                        leader_epoch: *leader_epoch,
                        start_offset: *start_offset,
                        delivery_complete_count: *delivery_complete_count,
                        state_batches: batches.clone(),
                        create_timestamp_ms: 0,
                        write_timestamp_ms: 0,
                    },
                    Some(so_far) => {
                        let start_offset = if *start_offset == UNINITIALIZED_START_OFFSET { so_far.start_offset } else { *start_offset };
                        ShareGroupOffset {
                            snapshot_epoch: so_far.snapshot_epoch,
                            state_epoch: so_far.state_epoch,
                            leader_epoch: if *leader_epoch == -1 { so_far.leader_epoch } else { *leader_epoch },
                            start_offset,
                            delivery_complete_count: *delivery_complete_count,
                            state_batches: combine_state_batches(&so_far.state_batches, batches, start_offset),
                            create_timestamp_ms: so_far.create_timestamp_ms,
                            write_timestamp_ms: so_far.write_timestamp_ms,
                        }
                    }
                };
                self.state = Some(merged);
                self.snapshot_update_count = self.snapshot_update_count.saturating_add(1);
            }
        }
    }

    /// Feeds the coordinator state into a state hash.
    pub fn hash_into(&self, h: &mut Fnv) {
        h.u64(u64::from(self.config.snapshot_update_records_per_snapshot));
        h.u64(u64::from(self.snapshot_update_count));
        for e in [self.leader_epoch, self.state_epoch] {
            h.u64(e.map_or(u64::MAX, |e| e as u32 as u64));
        }
        match &self.state {
            None => h.u64(0),
            Some(s) => {
                h.u64(1);
                for v in [s.snapshot_epoch, s.state_epoch, s.leader_epoch, s.delivery_complete_count] {
                    h.u64(v as u32 as u64);
                }
                h.u64(s.start_offset as u64);
                h.u64(s.create_timestamp_ms);
                h.u64(s.write_timestamp_ms);
                h.u64(s.state_batches.len() as u64);
                for b in &s.state_batches {
                    b.hash_into(h);
                }
            }
        }
    }
}

/// The combined state batches (`PersisterStateBatchCombiner.combineStateBatches`): batches
/// below `start_offset` are pruned (cut at it), and where batches overlap the one with the
/// higher delivery count wins, then the higher state id; contiguous batches with the same state
/// and count are merged. The result is sorted and disjoint.
///
/// Kafka reaches this result pairwise over a `TreeSet`; here it is computed directly, offset
/// span by offset span. As a record's count only grows and its state only moves towards a
/// terminal state (whose ids are higher), "highest wins" is "latest wins" for the writes a
/// leader makes.
pub fn combine_state_batches(so_far: &[StateBatch], new: &[StateBatch], start_offset: i64) -> Vec<StateBatch> {
    let start = u64::try_from(start_offset).ok();
    let mut all: Vec<StateBatch> = so_far
        .iter()
        .chain(new)
        .filter(|b| b.first_offset <= b.last_offset)
        .filter_map(|b| match start {
            Some(s) if b.last_offset < s => None,
            Some(s) if b.first_offset < s => Some(StateBatch { first_offset: s, ..*b }),
            _ => Some(*b),
        })
        .collect();
    if all.len() < 2 {
        return all;
    }
    sort_by_key(&mut all, |b| b.first_offset);
    // The boundaries of elementary spans (u128: a batch may end at u64::MAX).
    let mut points: Vec<u128> = Vec::with_capacity(all.len() * 2);
    for b in &all {
        points.push(u128::from(b.first_offset));
        points.push(u128::from(b.last_offset) + 1);
    }
    sort_by_key(&mut points, |p| *p);
    points.dedup();
    let mut out: Vec<StateBatch> = Vec::new();
    let mut active: Vec<StateBatch> = Vec::new();
    let mut next = 0;
    for w in points.windows(2) {
        let (p, q) = (w[0], w[1]);
        while next < all.len() && u128::from(all[next].first_offset) <= p {
            active.push(all[next]);
            next += 1;
        }
        active.retain(|b| u128::from(b.last_offset) >= p);
        let Some(win) = active.iter().max_by_key(|b| (b.delivery_count, b.delivery_state.id())) else { continue };
        // `p < q <= u64::MAX + 1`, so both ends fit a u64.
        let (first, last) = (p as u64, (q - 1) as u64);
        match out.last_mut() {
            Some(o) if o.last_offset.checked_add(1) == Some(first) && o.delivery_state == win.delivery_state && o.delivery_count == win.delivery_count => {
                o.last_offset = last;
            }
            _ => out.push(StateBatch {
                first_offset: first,
                last_offset: last,
                delivery_state: win.delivery_state,
                delivery_count: win.delivery_count,
            }),
        }
    }
    out
}
