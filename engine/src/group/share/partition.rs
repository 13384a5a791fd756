//! One share-partition: Kafka's `SharePartition` for one (share group, topic-partition).
//!
//! ## State
//!
//! * **SPSO** ([`SharePartition::start_offset`]): every offset below it is finished.
//! * **SPEO** ([`SharePartition::end_offset`]): the last offset in the in-flight cache, or the
//!   SPSO when the cache is empty (Kafka's `endOffset`).
//! * **The in-flight cache** (`cachedState`): every offset from the SPSO to the SPEO, as sorted,
//!   contiguous [`InFlightRange`]s. Adjacent ranges always differ in (state, delivery count,
//!   member, lock deadline); an operation splits the ranges it touches and merges them back.
//! * **In-flight batches** ([`SharePartition::in_flight_batches`]): the offsets acquired
//!   together for the first time (Kafka's `InFlightBatch` boundaries, the keys of
//!   `cachedState`). They only matter for poison-record isolation, which halves the batch
//!   *size*. A batch stays until all of it is below the SPSO.
//! * Offsets the cache holds but that are in no batch are known to exist and were never
//!   delivered as far as this leader knows: `AVAILABLE` with delivery count 0. They arise
//!   when a new leader loads persisted state with holes (records acquired by the previous
//!   leader but never persisted; Kafka's `persisterReadResultGapWindow`) and are acquired as
//!   new records.
//!
//! ## Acquisition (`SharePartition.acquire`, record-limit mode)
//!
//! A share fetch reads from the next fetch offset (the first `AVAILABLE` offset, else SPEO+1)
//! up to the high watermark and acquires, in offset order, the `AVAILABLE` in-flight records,
//! then new records. At most `max_records` are acquired, and at most
//! `max_in_flight_records - (SPEO - SPSO + 1)`; when that is 0 only records inside the cache
//! can be re-acquired (`lastOffsetAndMaxRecordsToAcquire`). Each acquired record's delivery
//! count goes up by one and it is locked for `record_lock_duration_ms`.
//!
//! Poison-record isolation (4.2, `acquireSubsetBatchRecords`, `shouldThrottleRecordsDelivery`),
//! with `throttle = max(2, ceil(delivery_count_limit / 2))`:
//! * an in-flight batch whose `AVAILABLE` records reach `throttle` deliveries is acquired only
//!   as the first thing of a fetch, and ends the fetch;
//! * in it, from the first such record, at most `batch_size >> (count - throttle + 1)` records
//!   (at least 1) are acquired;
//! * with a limit above 2, a record on its last attempt (`count == limit - 1`) is delivered
//!   alone.

use serde::{Deserialize, Serialize};

use crate::kernel::Fnv;

use super::state::{ShareGroupOffset, StateBatch, WriteShareGroupState};
use super::{RecordState, ShareErrorCode};

/// `group.share.record.lock.duration.ms` default.
pub const DEFAULT_RECORD_LOCK_DURATION_MS: u64 = 30_000;
/// `group.share.delivery.count.limit` default.
pub const DEFAULT_DELIVERY_COUNT_LIMIT: u16 = 5;
/// `group.share.partition.max.record.locks` default (4.1+; 200 in 4.0).
pub const DEFAULT_MAX_IN_FLIGHT_RECORDS: u32 = 2_000;
/// `SharePartition.MINIMUM_THROTTLE_RECORDS_DELIVERY_LIMIT`.
const MINIMUM_THROTTLE_RECORDS_DELIVERY_LIMIT: u16 = 2;

/// The share-partition's settings (broker configs, or the group configs that override them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharePartitionConfig {
    /// `group.share.record.lock.duration.ms` / `share.record.lock.duration.ms` (30000).
    pub record_lock_duration_ms: u64,
    /// `group.share.delivery.count.limit` (5).
    pub delivery_count_limit: u16,
    /// `group.share.partition.max.record.locks` (2000): the in-flight records allowed.
    pub max_in_flight_records: u32,
}

impl Default for SharePartitionConfig {
    fn default() -> Self {
        SharePartitionConfig {
            record_lock_duration_ms: DEFAULT_RECORD_LOCK_DURATION_MS,
            delivery_count_limit: DEFAULT_DELIVERY_COUNT_LIMIT,
            max_in_flight_records: DEFAULT_MAX_IN_FLIGHT_RECORDS,
        }
    }
}

impl SharePartitionConfig {
    /// Checks the values against the broker configs' ranges (`ShareGroupConfig`):
    /// lock duration in [1000, 3600000], delivery-count limit in [2, 10], max record locks in
    /// [100, 10000]. The state machine itself accepts any values (tests use smaller ones) and
    /// never panics; its invariants assume a limit of at least 1.
    pub fn validate(&self) -> Result<(), String> {
        if !(1_000..=3_600_000).contains(&self.record_lock_duration_ms) {
            return Err(format!("group.share.record.lock.duration.ms {} is not in [1000, 3600000]", self.record_lock_duration_ms));
        }
        if !(2..=10).contains(&self.delivery_count_limit) {
            return Err(format!("group.share.delivery.count.limit {} is not in [2, 10]", self.delivery_count_limit));
        }
        if !(100..=10_000).contains(&self.max_in_flight_records) {
            return Err(format!("group.share.partition.max.record.locks {} is not in [100, 10000]", self.max_in_flight_records));
        }
        Ok(())
    }

    /// `throttleRecordsDeliveryLimit = max(2, ceil(limit / 2))`: from this many deliveries on,
    /// a batch is acquired in halves.
    pub fn throttle_records_delivery_limit(&self) -> u16 {
        MINIMUM_THROTTLE_RECORDS_DELIVERY_LIMIT.max(self.delivery_count_limit.div_ceil(2))
    }
}

/// How a consumer acknowledges delivered records (`AcknowledgeType.java`), with Kafka's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AcknowledgeType {
    /// `ACCEPT` (1): processed; the record becomes `ACKNOWLEDGED`.
    Accept,
    /// `RELEASE` (2): give it back; `AVAILABLE` for another delivery, or `ARCHIVED` when it has
    /// had its `delivery_count_limit` deliveries.
    Release,
    /// `REJECT` (3): unprocessable; `ARCHIVED`.
    Reject,
    /// `RENEW` (4, 4.2): keep it and restart its acquisition lock (KIP-1222).
    Renew,
}

impl AcknowledgeType {
    /// Kafka's id.
    pub fn id(self) -> u8 {
        match self {
            AcknowledgeType::Accept => 1,
            AcknowledgeType::Release => 2,
            AcknowledgeType::Reject => 3,
            AcknowledgeType::Renew => 4,
        }
    }

    /// The type with Kafka's id (`AcknowledgeType.forId`), `None` for an unknown id (0 is a gap
    /// in Kafka's wire format, not a type).
    pub fn from_id(id: u8) -> Option<AcknowledgeType> {
        match id {
            1 => Some(AcknowledgeType::Accept),
            2 => Some(AcknowledgeType::Release),
            3 => Some(AcknowledgeType::Reject),
            4 => Some(AcknowledgeType::Renew),
            _ => None,
        }
    }

    /// Kafka's name (`ACCEPT`, `RELEASE`, `REJECT`, `RENEW`).
    pub fn name(self) -> &'static str {
        match self {
            AcknowledgeType::Accept => "ACCEPT",
            AcknowledgeType::Release => "RELEASE",
            AcknowledgeType::Reject => "REJECT",
            AcknowledgeType::Renew => "RENEW",
        }
    }
}

/// Records handed to a member by one acquisition (`ShareFetchResponse` `AcquiredRecords`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AcquiredRecords {
    /// First offset.
    pub first_offset: u64,
    /// Last offset (inclusive).
    pub last_offset: u64,
    /// The delivery count of these records, this delivery included.
    pub delivery_count: u16,
}

/// Consecutive in-flight offsets in the same state (what the UI draws).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InFlightRange {
    /// First offset.
    pub first_offset: u64,
    /// Last offset (inclusive).
    pub last_offset: u64,
    /// State.
    pub state: RecordState,
    /// Deliveries so far.
    pub delivery_count: u16,
    /// The acquiring member; `Some` exactly when `ACQUIRED`.
    pub member_id: Option<String>,
    /// When the acquisition lock expires; `Some` exactly when `ACQUIRED`.
    pub lock_deadline_ms: Option<u64>,
}

impl InFlightRange {
    /// Number of records.
    pub fn len(&self) -> u64 {
        (self.last_offset - self.first_offset).saturating_add(1)
    }

    /// Never empty: a range holds at least one record.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn same_state(&self, other: &InFlightRange) -> bool {
        self.state == other.state
            && self.delivery_count == other.delivery_count
            && self.member_id == other.member_id
            && self.lock_deadline_ms == other.lock_deadline_ms
    }

    fn acquired_by(&self, member_id: &str) -> bool {
        self.state == RecordState::Acquired && self.member_id.as_deref() == Some(member_id)
    }

    /// Leaves `ACQUIRED` for `state`: no member, no lock.
    fn finish(&mut self, state: RecordState) {
        self.state = state;
        self.member_id = None;
        self.lock_deadline_ms = None;
    }
}

/// A span of offsets (an in-flight batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OffsetSpan {
    /// First offset.
    pub first_offset: u64,
    /// Last offset (inclusive).
    pub last_offset: u64,
}

impl OffsetSpan {
    /// Number of offsets.
    pub fn len(&self) -> u64 {
        (self.last_offset - self.first_offset).saturating_add(1)
    }

    /// Never empty.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// In-flight records per state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StateCounts {
    /// `AVAILABLE`.
    pub available: u64,
    /// `ACQUIRED`.
    pub acquired: u64,
    /// `ACKNOWLEDGED`.
    pub acknowledged: u64,
    /// `ARCHIVED`.
    pub archived: u64,
}

/// `share.auto.offset.reset` (`ShareGroupAutoOffsetResetStrategy`; default `latest`; there is
/// no `none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareAutoOffsetReset {
    /// `latest`: the high watermark.
    #[default]
    Latest,
    /// `earliest`: the log start offset.
    Earliest,
    /// `by_duration:<ISO-8601>`: the first offset with a timestamp at or after now − duration.
    ByDuration {
        /// The duration.
        duration_ms: u64,
    },
}

/// Why an acquisition stops inside a batch.
struct BatchAcquired {
    records: u64,
    /// The batch was throttled and gave records: nothing more is acquired in this fetch.
    ends_fetch: bool,
}

/// One share-partition (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharePartition {
    config: SharePartitionConfig,
    state_epoch: i32,
    leader_epoch: i32,
    start_offset: u64,
    ranges: Vec<InFlightRange>,
    batches: Vec<OffsetSpan>,
    /// The in-flight count `check_invariants` allows: the configured maximum, or more when the
    /// state loaded at recovery already held more (it only shrinks from there).
    in_flight_allowance: u64,
    pending_writes: Vec<WriteShareGroupState>,
    /// Spans that left the window below the SPSO since the last [`Self::take_finished`], with
    /// their terminal state (adjacent spans of one state merged): what a driver accounts.
    #[serde(default)]
    finished: Vec<(u64, u64, RecordState)>,
}

impl SharePartition {
    /// An empty share-partition starting at `start_offset` (computed by the caller, e.g. with
    /// [`SharePartition::start_offset_during_initialization`]), state and leader epoch 0.
    pub fn new(config: SharePartitionConfig, start_offset: u64) -> Self {
        SharePartition {
            config,
            state_epoch: 0,
            leader_epoch: 0,
            start_offset,
            ranges: Vec::new(),
            batches: Vec::new(),
            in_flight_allowance: u64::from(config.max_in_flight_records),
            pending_writes: Vec::new(),
            finished: Vec::new(),
        }
    }

    /// The start offset of a share-partition whose persisted state has none
    /// (`startOffsetDuringInitialization`): `latest` is the high watermark, `earliest` the log
    /// start offset, `by_duration` the offset `offset_for_timestamp` finds for `now - duration`
    /// (Kafka's `ListOffsets` by timestamp: the first offset whose record timestamp is at or
    /// after it), `OFFSET_NOT_AVAILABLE` when it finds none.
    pub fn start_offset_during_initialization(
        reset: ShareAutoOffsetReset,
        now_ms: u64,
        log_start_offset: u64,
        high_watermark: u64,
        offset_for_timestamp: impl FnOnce(u64) -> Option<u64>,
    ) -> Result<u64, ShareErrorCode> {
        match reset {
            ShareAutoOffsetReset::Latest => Ok(high_watermark),
            ShareAutoOffsetReset::Earliest => Ok(log_start_offset),
            ShareAutoOffsetReset::ByDuration { duration_ms } => {
                offset_for_timestamp(now_ms.saturating_sub(duration_ms)).ok_or(ShareErrorCode::OffsetNotAvailable)
            }
        }
    }

    /// The share-partition a new leader builds from the persisted state (`maybeInitialize`):
    /// `persisted` is what [`super::state::ShareStateCoordinator::read`] returned, with the
    /// reader's leader epoch. A start offset of -1 (never set) is computed by `initial_start`
    /// (`startOffsetDuringInitialization`). Each persisted batch becomes an in-flight batch in
    /// its state with no member; holes between them are `AVAILABLE` records with count 0; the
    /// SPSO then moves past leading terminal records.
    ///
    /// `UNKNOWN_SERVER_ERROR` for a state Kafka refuses to load (a batch below the start offset
    /// or with its last offset before its first) or that no leader writes (batches unsorted or
    /// overlapping, an `ACQUIRED` batch). Deviation: an `AVAILABLE` batch already at the delivery
    /// limit (the limit was lowered) is archived here; Kafka would deliver it once more.
    pub fn recovered(
        config: SharePartitionConfig,
        persisted: &ShareGroupOffset,
        initial_start: impl FnOnce() -> Result<u64, ShareErrorCode>,
    ) -> Result<Self, ShareErrorCode> {
        let start_offset = match u64::try_from(persisted.start_offset) {
            Ok(s) => s,
            Err(_) => initial_start()?,
        };
        let mut sp = SharePartition::new(config, start_offset);
        sp.state_epoch = persisted.state_epoch;
        sp.leader_epoch = persisted.leader_epoch;
        let mut next = start_offset;
        for b in &persisted.state_batches {
            if b.first_offset < next || b.last_offset < b.first_offset || b.delivery_state == RecordState::Acquired {
                return Err(ShareErrorCode::UnknownServerError);
            }
            if b.first_offset > next {
                sp.ranges.push(InFlightRange::available(next, b.first_offset - 1, 0));
            }
            let state = if b.delivery_state == RecordState::Available && b.delivery_count >= config.delivery_count_limit {
                RecordState::Archived
            } else {
                b.delivery_state
            };
            sp.ranges.push(InFlightRange {
                first_offset: b.first_offset,
                last_offset: b.last_offset,
                state,
                delivery_count: b.delivery_count,
                member_id: None,
                lock_deadline_ms: None,
            });
            sp.batches.push(OffsetSpan {
                first_offset: b.first_offset,
                last_offset: b.last_offset,
            });
            next = b.last_offset.checked_add(1).ok_or(ShareErrorCode::UnknownServerError)?;
        }
        sp.merge_ranges();
        sp.maybe_advance_start_offset();
        sp.in_flight_allowance = sp.in_flight_allowance.max(sp.in_flight_count());
        Ok(sp)
    }

    // ----- views -----

    /// The configuration.
    pub fn config(&self) -> SharePartitionConfig {
        self.config
    }

    /// The share-partition start offset (SPSO).
    pub fn start_offset(&self) -> u64 {
        self.start_offset
    }

    /// The share-partition end offset (SPEO): the last cached offset, or the SPSO when the
    /// cache is empty.
    pub fn end_offset(&self) -> u64 {
        self.last_cached().unwrap_or(self.start_offset)
    }

    /// The state epoch this leader writes with.
    pub fn state_epoch(&self) -> i32 {
        self.state_epoch
    }

    /// The leader epoch this leader writes with.
    pub fn leader_epoch(&self) -> i32 {
        self.leader_epoch
    }

    /// Sets the leader epoch (the partition's, when this broker becomes its leader).
    pub fn set_leader_epoch(&mut self, leader_epoch: i32) {
        self.leader_epoch = leader_epoch;
    }

    /// Sets the record lock duration: the group config `share.record.lock.duration.ms` is
    /// dynamic, and Kafka reads it whenever it starts a lock (`recordLockDurationMsOrDefault`).
    /// Locks already running keep their deadline.
    pub fn set_record_lock_duration_ms(&mut self, record_lock_duration_ms: u64) {
        self.config.record_lock_duration_ms = record_lock_duration_ms;
    }

    /// Where the next share fetch reads (`nextFetchOffset`): the first `AVAILABLE` cached
    /// offset, else the offset after the cache.
    pub fn next_fetch_offset(&self) -> u64 {
        self.ranges
            .iter()
            .find(|r| r.state == RecordState::Available)
            .map_or_else(|| self.next_new_offset(), |r| r.first_offset)
    }

    /// In-flight records: SPEO − SPSO + 1, or 0 when the cache is empty (`numInFlightRecords`).
    pub fn in_flight_count(&self) -> u64 {
        self.last_cached().map_or(0, |last| (last - self.start_offset).saturating_add(1))
    }

    /// Whether a fetch could acquire anything (`canAcquireRecords`): there are `AVAILABLE`
    /// cached records, or room for new ones.
    pub fn can_acquire_records(&self) -> bool {
        self.next_fetch_offset() != self.next_new_offset() || self.in_flight_count() < u64::from(self.config.max_in_flight_records)
    }

    /// The in-flight cache, in offset order.
    pub fn in_flight_ranges(&self) -> &[InFlightRange] {
        &self.ranges
    }

    /// The in-flight batches, in offset order (the first may start below the SPSO).
    pub fn in_flight_batches(&self) -> &[OffsetSpan] {
        &self.batches
    }

    /// The cached range holding `offset`.
    pub fn record(&self, offset: u64) -> Option<&InFlightRange> {
        self.find(offset).map(|i| &self.ranges[i])
    }

    /// In-flight records per state.
    pub fn state_counts(&self) -> StateCounts {
        let mut c = StateCounts::default();
        for r in &self.ranges {
            let n = match r.state {
                RecordState::Available => &mut c.available,
                RecordState::Acquired => &mut c.acquired,
                RecordState::Acknowledged => &mut c.acknowledged,
                RecordState::Archived => &mut c.archived,
            };
            *n += r.len();
        }
        c
    }

    /// Terminal records at or above the SPSO (`deliveryCompleteCount`, KIP-1226).
    pub fn delivery_complete_count(&self) -> u64 {
        self.ranges.iter().filter(|r| r.state.is_terminal()).map(InFlightRange::len).sum()
    }

    /// The share-partition lag (`GroupCoordinatorService.describeShareGroupOffsets`, KIP-1226):
    /// `high_watermark − SPSO − deliveryCompleteCount`, the records not yet delivered for good.
    pub fn lag(&self, high_watermark: u64) -> u64 {
        high_watermark.saturating_sub(self.start_offset).saturating_sub(self.delivery_complete_count())
    }

    /// The earliest acquisition-lock deadline.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        self.ranges.iter().filter_map(|r| r.lock_deadline_ms).min()
    }

    /// The state writes queued so far (oldest first), not yet taken.
    pub fn pending_state_writes(&self) -> &[WriteShareGroupState] {
        &self.pending_writes
    }

    /// Takes the spans that left the window below the SPSO (`(first, last, ACKNOWLEDGED or
    /// ARCHIVED)`, oldest first) since the last call.
    pub fn take_finished(&mut self) -> Vec<(u64, u64, RecordState)> {
        std::mem::take(&mut self.finished)
    }

    /// Takes the queued `WriteShareGroupState`s, oldest first, for the share coordinator.
    pub fn take_state_writes(&mut self) -> Vec<WriteShareGroupState> {
        std::mem::take(&mut self.pending_writes)
    }

    // ----- inputs -----

    /// A share fetch of `member_id` for at most `max_records` records of a log whose high
    /// watermark is `high_watermark` (see the [module docs](self)). Returns what was acquired, in
    /// offset order; contiguous records with the same delivery count of one in-flight batch are
    /// one entry (`ShareFetchUtils.accumulateAcquiredRecords`). Records are never acquired below
    /// the SPSO or at or above the high watermark. Nothing is written: acquisitions are not
    /// persisted.
    pub fn acquire(&mut self, now_ms: u64, member_id: &str, max_records: u32, high_watermark: u64) -> Vec<AcquiredRecords> {
        let mut out = Vec::new();
        let fetch_offset = self.next_fetch_offset();
        if max_records == 0 || fetch_offset >= high_watermark {
            return out;
        }
        let max_records = u64::from(max_records);
        let capacity = u64::from(self.config.max_in_flight_records).saturating_sub(self.in_flight_count());
        let mut max = max_records.min(capacity);
        let mut last_to_acquire = high_watermark - 1;
        if max == 0 {
            // At the in-flight limit, a fetch may still re-acquire inside the cache.
            match self.last_cached() {
                Some(last) if fetch_offset <= last => {
                    max = max_records.min(last - fetch_offset + 1);
                    last_to_acquire = last_to_acquire.min(last);
                }
                _ => return out,
            }
        }
        let deadline = now_ms.saturating_add(self.config.record_lock_duration_ms);
        let mut acquired = 0;
        let mut ends_fetch = false;
        if let Some(last_cached) = self.last_cached() {
            let mut pos = fetch_offset;
            while !ends_fetch && acquired < max && pos <= last_to_acquire && pos <= last_cached {
                let bi = self.batches.partition_point(|b| b.last_offset < pos);
                match self.batches.get(bi).copied() {
                    Some(batch) if batch.first_offset <= pos => {
                        let hi = batch.last_offset.min(last_to_acquire);
                        let got = self.acquire_in_batch(batch, pos, hi, max - acquired, acquired > 0, member_id, deadline, &mut out);
                        acquired += got.records;
                        ends_fetch = got.ends_fetch;
                        pos = batch.last_offset.saturating_add(1);
                    }
                    next_batch => {
                        // A hole: records never delivered by this leader, acquired as new ones.
                        let hole_end = next_batch.map_or(last_cached, |b| b.first_offset - 1);
                        let hi = hole_end.min(last_to_acquire);
                        let take = (hi - pos + 1).min(max - acquired);
                        self.acquire_hole(pos, pos + take - 1, member_id, deadline);
                        out.push(AcquiredRecords {
                            first_offset: pos,
                            last_offset: pos + take - 1,
                            delivery_count: 1,
                        });
                        acquired += take;
                        pos = hole_end.saturating_add(1);
                    }
                }
            }
        }
        if !ends_fetch && acquired < max {
            let first = self.next_new_offset();
            if first <= last_to_acquire {
                let last = last_to_acquire.min(first.saturating_add(max - acquired - 1));
                self.ranges.push(InFlightRange {
                    first_offset: first,
                    last_offset: last,
                    state: RecordState::Acquired,
                    delivery_count: 1,
                    member_id: Some(member_id.to_string()),
                    lock_deadline_ms: Some(deadline),
                });
                self.batches.push(OffsetSpan {
                    first_offset: first,
                    last_offset: last,
                });
                out.push(AcquiredRecords {
                    first_offset: first,
                    last_offset: last,
                    delivery_count: 1,
                });
            }
        }
        self.merge_ranges();
        self.debug_check();
        out
    }

    /// Acknowledges records delivered to `member_id` (`ShareAcknowledge`, or the
    /// acknowledgements of a `ShareFetch`): each `(first, last, type)` applies to its offsets.
    /// All or nothing: a refused acknowledgement changes nothing.
    ///
    /// * `INVALID_REQUEST` (`KafkaApis.validateAcknowledgementBatches`): `first > last`, or a
    ///   batch starting before the previous one's last offset.
    /// * Offsets below the SPSO are skipped (already finished).
    /// * `INVALID_RECORD_STATE`: the cache is empty, or an offset is not `ACQUIRED` by
    ///   `member_id` (including an offset an earlier batch of the same request just
    ///   acknowledged).
    /// * `INVALID_REQUEST`: offsets past the SPEO (`fetchSubMapForAcknowledgementBatch`).
    ///
    /// `RENEW` restarts the lock and persists nothing; the other types queue one state write,
    /// after which the SPSO moves past leading terminal records.
    pub fn acknowledge(&mut self, now_ms: u64, member_id: &str, batches: &[(u64, u64, AcknowledgeType)]) -> Result<(), ShareErrorCode> {
        let mut prev_last: Option<u64> = None;
        for &(first, last, _) in batches {
            if first > last || prev_last.is_some_and(|p| first < p) {
                return Err(ShareErrorCode::INVALID_REQUEST);
            }
            prev_last = Some(last);
        }
        // Validate everything first so that a refusal changes nothing.
        let mut prev: Option<(u64, AcknowledgeType)> = None;
        for &(first, last, ack) in batches {
            if last < self.start_offset {
                prev = None;
                continue;
            }
            let Some(last_cached) = self.last_cached() else {
                return Err(ShareErrorCode::InvalidRecordState);
            };
            let first = first.max(self.start_offset);
            if first > last_cached || last > last_cached {
                return Err(ShareErrorCode::INVALID_REQUEST);
            }
            // The request may repeat the previous batch's last offset; unless that batch only
            // renewed it, the offset is no longer acquired.
            if prev.is_some_and(|(p, t)| p == first && t != AcknowledgeType::Renew) {
                return Err(ShareErrorCode::InvalidRecordState);
            }
            if !self.ranges[self.overlapping(first, last)].iter().all(|r| r.acquired_by(member_id)) {
                return Err(ShareErrorCode::InvalidRecordState);
            }
            prev = Some((last, ack));
        }
        let limit = self.config.delivery_count_limit;
        let renewed = now_ms.saturating_add(self.config.record_lock_duration_ms);
        let mut written = Vec::new();
        for &(first, last, ack) in batches {
            if last < self.start_offset {
                continue;
            }
            let idx = self.isolate(first.max(self.start_offset), last);
            for r in &mut self.ranges[idx] {
                match ack {
                    AcknowledgeType::Renew => {
                        r.lock_deadline_ms = Some(renewed);
                        continue;
                    }
                    AcknowledgeType::Accept => r.finish(RecordState::Acknowledged),
                    AcknowledgeType::Reject => r.finish(RecordState::Archived),
                    AcknowledgeType::Release => r.finish(released_state(r.delivery_count, limit)),
                }
                written.push(state_batch(r));
            }
        }
        self.merge_ranges();
        self.persist(written);
        self.debug_check();
        Ok(())
    }

    /// Releases every record `member_id` holds (`releaseAcquiredRecords`: the member left, or
    /// its share session closed): `AVAILABLE` again with its count, or `ARCHIVED` at the
    /// delivery limit. Returns the number of records released. `now_ms` is not used: releasing
    /// does not depend on time.
    pub fn release_acquired_records(&mut self, _now_ms: u64, member_id: &str) -> u64 {
        let limit = self.config.delivery_count_limit;
        self.finish_acquired(|r| r.acquired_by(member_id), limit)
    }

    /// Expires the acquisition locks due at `now_ms` (`releaseAcquisitionLockOnTimeout`): each
    /// record goes back to `AVAILABLE`, or to `ARCHIVED` at the delivery limit. (Kafka also
    /// archives an expired record below the SPSO; here none is cached, see
    /// [`SharePartition::update_cache_and_offsets`].) All locks due are persisted in one write,
    /// where Kafka writes once per lock task. Returns the number of records whose lock expired.
    pub fn handle_timeout(&mut self, now_ms: u64) -> u64 {
        let limit = self.config.delivery_count_limit;
        self.finish_acquired(|r| r.state == RecordState::Acquired && r.lock_deadline_ms.is_some_and(|d| d <= now_ms), limit)
    }

    /// The log start offset moved past the SPSO (retention, `DeleteRecords`): a fetch got
    /// `OFFSET_OUT_OF_RANGE` and the broker moves the SPSO to the log start offset
    /// (`ShareFetchUtils.processFetchResponse` → `updateCacheAndOffsets`). Everything below it
    /// leaves the cache; if that is all of it, the SPEO moves too. Nothing is written (the new
    /// start offset goes out with the next write), and, as in Kafka, the SPSO does not move on
    /// past terminal records just above it until the next state change. Returns false (and
    /// changes nothing) when `log_start_offset` is not past the SPSO.
    ///
    /// Deviation: Kafka keeps acquired records below the new SPSO until their lock ends and
    /// then archives them (writing that); here they leave at once. Their acknowledgements are
    /// skipped either way.
    pub fn update_cache_and_offsets(&mut self, log_start_offset: u64) -> bool {
        if log_start_offset <= self.start_offset {
            return false;
        }
        match self.last_cached() {
            Some(last) if log_start_offset <= last => {
                self.split_before(log_start_offset);
                let n = self.ranges.partition_point(|r| r.last_offset < log_start_offset);
                self.ranges.drain(..n);
                let n = self.batches.partition_point(|b| b.last_offset < log_start_offset);
                self.batches.drain(..n);
            }
            _ => {
                self.ranges.clear();
                self.batches.clear();
            }
        }
        self.start_offset = log_start_offset;
        self.debug_check();
        true
    }

    /// The start offset was altered for an empty group (`alterShareGroupOffsets` →
    /// `InitializeShareGroupState` with the group epoch as `state_epoch`): Kafka fences the old
    /// share-partition (its next write meets `FENCED_STATE_EPOCH`) and a new one loads the fresh
    /// state; the result is this one, emptied, at `start_offset`, writing with `state_epoch`.
    /// That the group is empty (`NON_EMPTY_GROUP` otherwise) is the group coordinator's check.
    /// Writes already queued stay queued (the coordinator fences them).
    pub fn reset(&mut self, start_offset: u64, state_epoch: i32) {
        self.ranges.clear();
        self.batches.clear();
        self.start_offset = start_offset;
        self.state_epoch = state_epoch;
        self.in_flight_allowance = u64::from(self.config.max_in_flight_records);
    }

    // ----- checks -----

    /// The invariants: ranges sorted, contiguous, non-empty and merged, from the SPSO to the
    /// SPEO; `ACQUIRED` exactly when a member and a lock deadline are set; an `AVAILABLE` record
    /// below the delivery limit, an `ACQUIRED` one at 1..=limit deliveries; the in-flight count
    /// within `max_in_flight_records` (or what recovery loaded); batches sorted, disjoint, within
    /// the cache (the first may start below the SPSO), and offsets in no batch `AVAILABLE` with
    /// count 0.
    pub fn check_invariants(&self) -> Result<(), String> {
        let limit = self.config.delivery_count_limit;
        if let Some(first) = self.ranges.first() {
            if first.first_offset != self.start_offset {
                return Err(format!("the cache starts at {} but the SPSO is {}", first.first_offset, self.start_offset));
            }
        }
        for (i, r) in self.ranges.iter().enumerate() {
            if r.first_offset > r.last_offset {
                return Err(format!("range {i} is empty: {r:?}"));
            }
            if i > 0 {
                let p = &self.ranges[i - 1];
                if p.last_offset.checked_add(1) != Some(r.first_offset) {
                    return Err(format!("ranges {} and {i} are not contiguous: {p:?} {r:?}", i - 1));
                }
                if p.same_state(r) {
                    return Err(format!("ranges {} and {i} are not merged: {p:?} {r:?}", i - 1));
                }
            }
            let acquired = r.state == RecordState::Acquired;
            if acquired != r.member_id.is_some() || acquired != r.lock_deadline_ms.is_some() {
                return Err(format!("range {i}: ACQUIRED must have exactly a member and a deadline: {r:?}"));
            }
            match r.state {
                RecordState::Available if r.delivery_count >= limit => {
                    return Err(format!("range {i}: AVAILABLE at the delivery limit {limit}: {r:?}"));
                }
                RecordState::Acquired if r.delivery_count == 0 || r.delivery_count > limit => {
                    return Err(format!("range {i}: ACQUIRED with delivery count outside 1..={limit}: {r:?}"));
                }
                _ => {}
            }
        }
        if self.in_flight_count() > self.in_flight_allowance {
            return Err(format!("{} in-flight records, more than {}", self.in_flight_count(), self.in_flight_allowance));
        }
        let Some(last_cached) = self.last_cached() else {
            return if self.batches.is_empty() { Ok(()) } else { Err(format!("batches {:?} with an empty cache", self.batches)) };
        };
        for (i, b) in self.batches.iter().enumerate() {
            if b.first_offset > b.last_offset || b.last_offset > last_cached || b.last_offset < self.start_offset {
                return Err(format!("batch {i} {b:?} is empty or outside the cache {}..={last_cached}", self.start_offset));
            }
            if i > 0 && self.batches[i - 1].last_offset >= b.first_offset {
                return Err(format!("batches {} and {i} overlap or are unsorted", i - 1));
            }
            if i > 0 && b.first_offset < self.start_offset {
                return Err(format!("batch {i} {b:?} starts below the SPSO but is not the first"));
            }
        }
        // Offsets in no batch: AVAILABLE, count 0.
        let mut pos = self.start_offset;
        for b in &self.batches {
            if b.first_offset > pos {
                self.check_hole(pos, b.first_offset - 1)?;
            }
            pos = pos.max(b.last_offset.saturating_add(1));
        }
        if pos <= last_cached {
            self.check_hole(pos, last_cached)?;
        }
        Ok(())
    }

    /// Feeds the whole state into a state hash (`Sim::state_hash` style: every field, in order).
    pub fn hash_into(&self, h: &mut Fnv) {
        h.u64(self.config.record_lock_duration_ms);
        h.u64(u64::from(self.config.delivery_count_limit));
        h.u64(u64::from(self.config.max_in_flight_records));
        h.u64(self.state_epoch as u32 as u64);
        h.u64(self.leader_epoch as u32 as u64);
        h.u64(self.start_offset);
        h.u64(self.in_flight_allowance);
        h.u64(self.ranges.len() as u64);
        for r in &self.ranges {
            h.u64(r.first_offset);
            h.u64(r.last_offset);
            h.u64(u64::from(r.state.id()));
            h.u64(u64::from(r.delivery_count));
            match &r.member_id {
                Some(m) => {
                    h.u64(1);
                    h.str(m);
                }
                None => h.u64(0),
            }
            h.u64(r.lock_deadline_ms.map_or(u64::MAX, |d| d));
        }
        h.u64(self.batches.len() as u64);
        for b in &self.batches {
            h.u64(b.first_offset);
            h.u64(b.last_offset);
        }
        h.u64(self.pending_writes.len() as u64);
        for w in &self.pending_writes {
            w.hash_into(h);
        }
    }

    // ----- internals -----

    fn last_cached(&self) -> Option<u64> {
        self.ranges.last().map(|r| r.last_offset)
    }

    /// The first offset after the cache (SPEO + 1, or the SPSO when the cache is empty).
    fn next_new_offset(&self) -> u64 {
        self.last_cached().map_or(self.start_offset, |l| l.saturating_add(1))
    }

    /// The index of the range holding `offset`.
    fn find(&self, offset: u64) -> Option<usize> {
        let i = self.ranges.partition_point(|r| r.last_offset < offset);
        (i < self.ranges.len() && self.ranges[i].first_offset <= offset).then_some(i)
    }

    /// The indexes of the ranges overlapping `lo..=hi`.
    fn overlapping(&self, lo: u64, hi: u64) -> std::ops::Range<usize> {
        let a = self.ranges.partition_point(|r| r.last_offset < lo);
        let b = self.ranges.partition_point(|r| r.first_offset <= hi);
        a..b.max(a)
    }

    /// Splits the range holding `offset` so that a range starts at `offset`.
    fn split_before(&mut self, offset: u64) {
        if let Some(i) = self.find(offset) {
            if self.ranges[i].first_offset < offset {
                let mut right = self.ranges[i].clone();
                right.first_offset = offset;
                self.ranges[i].last_offset = offset - 1;
                self.ranges.insert(i + 1, right);
            }
        }
    }

    /// Splits ranges so that `lo..=hi` (inside the cache) is exactly some ranges; their indexes.
    fn isolate(&mut self, lo: u64, hi: u64) -> std::ops::Range<usize> {
        self.split_before(lo);
        if let Some(after) = hi.checked_add(1) {
            self.split_before(after);
        }
        self.overlapping(lo, hi)
    }

    /// Merges neighbouring ranges in the same state.
    fn merge_ranges(&mut self) {
        self.ranges.dedup_by(|next, prev| {
            if prev.same_state(next) && prev.last_offset.checked_add(1) == Some(next.first_offset) {
                prev.last_offset = next.last_offset;
                true
            } else {
                false
            }
        });
    }

    /// Acquires the `AVAILABLE` records of `batch` in `lo..=hi`, at most `remaining`, with the
    /// poison-record rules (`acquireSubsetBatchRecords`, `shouldThrottleRecordsDelivery`).
    #[allow(clippy::too_many_arguments)]
    fn acquire_in_batch(
        &mut self,
        batch: OffsetSpan,
        lo: u64,
        hi: u64,
        remaining: u64,
        acquired_before: bool,
        member_id: &str,
        deadline_ms: u64,
        out: &mut Vec<AcquiredRecords>,
    ) -> BatchAcquired {
        let limit = self.config.delivery_count_limit;
        let throttle = self.config.throttle_records_delivery_limit();
        let idx = self.overlapping(lo, hi);
        let available = |r: &&InFlightRange| r.state == RecordState::Available && r.delivery_count < limit;
        let Some(max_count) = self.ranges[idx.clone()].iter().filter(available).map(|r| r.delivery_count).max() else {
            return BatchAcquired { records: 0, ends_fetch: false };
        };
        let throttled = max_count >= throttle;
        if throttled && acquired_before {
            // Isolate the suspicious records: they open the next fetch.
            return BatchAcquired { records: 0, ends_fetch: true };
        }
        // Plan the chunks (first, last, count before this delivery) before splitting ranges.
        let mut plan: Vec<(u64, u64, u16)> = Vec::new();
        let mut got = 0u64;
        let mut cap: Option<u64> = None;
        for r in self.ranges[idx].iter().filter(available) {
            let (a, b, c) = (r.first_offset.max(lo), r.last_offset.min(hi), r.delivery_count);
            let mut n = (b - a + 1).min(remaining - got);
            let mut stop = false;
            if throttled {
                if limit > 2 && c == limit - 1 {
                    // Last attempt: delivered alone.
                    if got > 0 {
                        break;
                    }
                    n = 1;
                    stop = true;
                }
                if c >= throttle && cap.is_none() {
                    let shift = u32::from(c - throttle) + 1;
                    cap = Some(batch.len().checked_shr(shift).unwrap_or(0).max(1));
                }
                // Kafka stops when the count reaches the cap exactly (`==`), so records acquired
                // before the first throttled one can leave it passed and unbounded.
                if let Some(cap) = cap.filter(|&cap| got < cap) {
                    if cap - got <= n {
                        n = cap - got;
                        stop = true;
                    }
                }
            }
            plan.push((a, a + n - 1, c));
            got += n;
            if stop || got == remaining {
                break;
            }
        }
        for &(a, b, c) in &plan {
            let idx = self.isolate(a, b);
            for r in &mut self.ranges[idx] {
                r.state = RecordState::Acquired;
                r.delivery_count = c + 1;
                r.member_id = Some(member_id.to_string());
                r.lock_deadline_ms = Some(deadline_ms);
            }
            match out.last_mut() {
                Some(o) if o.last_offset.checked_add(1) == Some(a) && o.delivery_count == c + 1 && o.first_offset >= batch.first_offset => o.last_offset = b,
                _ => out.push(AcquiredRecords {
                    first_offset: a,
                    last_offset: b,
                    delivery_count: c + 1,
                }),
            }
        }
        BatchAcquired {
            records: got,
            ends_fetch: throttled && got > 0,
        }
    }

    /// Acquires the never-delivered records `lo..=hi` of a hole as a new in-flight batch.
    fn acquire_hole(&mut self, lo: u64, hi: u64, member_id: &str, deadline_ms: u64) {
        let idx = self.isolate(lo, hi);
        for r in &mut self.ranges[idx] {
            debug_assert!(r.state == RecordState::Available && r.delivery_count == 0, "a hole holds new records: {r:?}");
            r.state = RecordState::Acquired;
            r.delivery_count = 1;
            r.member_id = Some(member_id.to_string());
            r.lock_deadline_ms = Some(deadline_ms);
        }
        let at = self.batches.partition_point(|b| b.first_offset < lo);
        self.batches.insert(at, OffsetSpan { first_offset: lo, last_offset: hi });
    }

    /// Ends the acquisition of the records `pick` selects (all `ACQUIRED`): `AVAILABLE`, or
    /// `ARCHIVED` at the limit; persists them and moves the SPSO. Returns the records changed.
    fn finish_acquired(&mut self, pick: impl Fn(&InFlightRange) -> bool, limit: u16) -> u64 {
        let mut written = Vec::new();
        let mut n = 0;
        for r in self.ranges.iter_mut().filter(|r| pick(r)) {
            r.finish(released_state(r.delivery_count, limit));
            written.push(state_batch(r));
            n += r.len();
        }
        self.merge_ranges();
        self.persist(written);
        self.debug_check();
        n
    }

    /// Queues the write of `batches` (if any) with the SPSO and delivery-complete count as they
    /// are now, then moves the SPSO (`rollbackOrProcessStateUpdates` →
    /// `maybeUpdateCachedStateAndOffsets`, which Kafka runs once the write succeeded).
    fn persist(&mut self, mut batches: Vec<StateBatch>) {
        if batches.is_empty() {
            return;
        }
        batches.dedup_by(|next, prev| {
            if prev.last_offset.checked_add(1) == Some(next.first_offset) && prev.delivery_state == next.delivery_state && prev.delivery_count == next.delivery_count {
                prev.last_offset = next.last_offset;
                true
            } else {
                false
            }
        });
        self.pending_writes.push(WriteShareGroupState {
            state_epoch: self.state_epoch,
            leader_epoch: self.leader_epoch,
            start_offset: i64::try_from(self.start_offset).unwrap_or(i64::MAX),
            delivery_complete_count: i32::try_from(self.delivery_complete_count()).unwrap_or(i32::MAX),
            state_batches: batches,
        });
        self.maybe_advance_start_offset();
    }

    /// Moves the SPSO past the leading terminal records and drops them, with the batches that
    /// end below it (`maybeUpdateCachedStateAndOffsets`).
    fn maybe_advance_start_offset(&mut self) -> bool {
        let n = self.ranges.iter().take_while(|r| r.state.is_terminal()).count();
        if n == 0 {
            return false;
        }
        let new_start = self.ranges[n - 1].last_offset.saturating_add(1);
        for r in self.ranges.drain(..n) {
            match self.finished.last_mut() {
                Some((_, last, state)) if *state == r.state && last.checked_add(1) == Some(r.first_offset) => *last = r.last_offset,
                _ => self.finished.push((r.first_offset, r.last_offset, r.state)),
            }
        }
        self.start_offset = new_start;
        if self.ranges.is_empty() {
            self.batches.clear();
        } else {
            let n = self.batches.partition_point(|b| b.last_offset < new_start);
            self.batches.drain(..n);
        }
        true
    }

    fn check_hole(&self, lo: u64, hi: u64) -> Result<(), String> {
        match self.ranges[self.overlapping(lo, hi)]
            .iter()
            .find(|r| r.state != RecordState::Available || r.delivery_count != 0)
        {
            Some(r) => Err(format!("offsets {lo}..={hi} are in no in-flight batch but hold {r:?}")),
            None => Ok(()),
        }
    }

    fn debug_check(&self) {
        if cfg!(debug_assertions) {
            if let Err(e) = self.check_invariants() {
                debug_assert!(false, "share-partition invariant broken: {e}");
            }
        }
    }
}

impl InFlightRange {
    fn available(first_offset: u64, last_offset: u64, delivery_count: u16) -> Self {
        InFlightRange {
            first_offset,
            last_offset,
            state: RecordState::Available,
            delivery_count,
            member_id: None,
            lock_deadline_ms: None,
        }
    }
}

/// Where a released or timed-out record goes (`InFlightState.tryUpdateState`): `AVAILABLE`,
/// or `ARCHIVED` once it had its `limit` deliveries.
fn released_state(delivery_count: u16, limit: u16) -> RecordState {
    if delivery_count >= limit {
        RecordState::Archived
    } else {
        RecordState::Available
    }
}

fn state_batch(r: &InFlightRange) -> StateBatch {
    StateBatch {
        first_offset: r.first_offset,
        last_offset: r.last_offset,
        delivery_state: r.state,
        delivery_count: r.delivery_count,
    }
}
